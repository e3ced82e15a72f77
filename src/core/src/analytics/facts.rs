//! The analytics index: one compact [`Fact`] per handover (its times, outcome and
//! rating, with platform, bridge, agent and reason interned), kept in a vector indexed
//! by handover id. A window's figures are one pass over it: a million handovers are a
//! 48 MB table that is read in a few milliseconds, with nothing to decode.
//!
//! The table holds no counters: it is a copy of the handover records' analytic fields,
//! replaced whole whenever a record changes, so it cannot drift from them.

use std::collections::HashMap;

use crate::{Handover, HandoverId, Resolution, Status};

/// "No time" in a [`Fact`] (so that a time fits in 8 bytes).
pub const NEVER: i64 = i64::MIN;

/// What analytics needs of one handover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fact {
    pub requested_at: i64,
    pub taken_at: i64,
    pub first_response_at: i64,
    pub ended_at: i64,
    /// Index into the platform names.
    pub platform: u16,
    /// Index into the bridge names.
    pub bridge: u8,
    pub status: Status,
    pub resolution: Option<Resolution>,
    /// 1–5, or 0 for none.
    pub rating: u8,
    /// Index + 1 into the agents, or 0 for no assignee.
    pub agent: u32,
    /// Index + 1 into the reasons, or 0 for none.
    pub reason: u32,
}

/// Strings numbered in order of first sight.
#[derive(Clone, Debug)]
pub struct Names<K> {
    index: HashMap<K, u32>,
    pub list: Vec<K>,
}

impl<K> Default for Names<K> {
    fn default() -> Self {
        Self {
            index: HashMap::new(),
            list: Vec::new(),
        }
    }
}

impl<K: Clone + Eq + std::hash::Hash> Names<K> {
    /// The number of `k`, numbering it when new.
    pub fn intern(&mut self, k: &K) -> u32 {
        if let Some(&i) = self.index.get(k) {
            return i;
        }
        let i = u32::try_from(self.list.len()).unwrap_or(u32::MAX);
        self.index.insert(k.clone(), i);
        self.list.push(k.clone());
        i
    }

    pub fn get(&self, k: &K) -> Option<u32> {
        self.index.get(k).copied()
    }
}

/// An agent as analytics groups them: by platform and id; the name is the latest seen.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AgentKey {
    pub platform: String,
    pub id: String,
}

/// Every handover's [`Fact`], by id.
#[derive(Clone, Debug, Default)]
pub struct FactTable {
    /// Slot `id`; `None` for ids not (yet) seen.
    pub(super) facts: Vec<Option<Fact>>,
    pub(super) platforms: Names<String>,
    pub(super) bridges: Names<String>,
    pub(super) agents: Names<AgentKey>,
    pub(super) agent_names: Vec<String>,
    pub(super) reasons: Names<String>,
    len: usize,
}

fn time(t: Option<crate::Timestamp>) -> i64 {
    t.map_or(NEVER, |t| t.0)
}

impl FactTable {
    /// Records `h`'s current state, replacing what was known of it.
    pub fn record(&mut self, h: &Handover) {
        let fact = self.fact(h);
        let Ok(slot) = usize::try_from(h.id.0) else {
            return;
        };
        if slot >= self.facts.len() {
            self.facts.resize(slot + 1, None);
        }
        if self.facts[slot].replace(fact).is_none() {
            self.len += 1;
        }
    }

    /// Records `h` unless something is known of it already (a newer state).
    pub fn record_if_absent(&mut self, h: &Handover) {
        if !self.contains(h.id) {
            self.record(h);
        }
    }

    pub fn contains(&self, id: HandoverId) -> bool {
        usize::try_from(id.0)
            .ok()
            .and_then(|i| self.facts.get(i))
            .is_some_and(Option::is_some)
    }

    /// How many handovers are recorded.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn fact(&mut self, h: &Handover) -> Fact {
        let platform = u16::try_from(self.platforms.intern(&h.platform)).unwrap_or(u16::MAX);
        let bridge = u8::try_from(self.bridges.intern(&h.bridge)).unwrap_or(u8::MAX);
        let agent = h.assignee.as_ref().map_or(0, |a| {
            let key = AgentKey {
                platform: a.platform.clone(),
                id: a.id.clone(),
            };
            let i = self.agents.intern(&key) as usize;
            if i >= self.agent_names.len() {
                self.agent_names.resize(i + 1, String::new());
            }
            if self.agent_names[i] != a.name {
                self.agent_names[i] = a.name.clone();
            }
            i as u32 + 1
        });
        let reason = h
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map_or(0, |r| self.reasons.intern(&r.to_owned()) + 1);
        Fact {
            requested_at: h.requested_at.0,
            taken_at: time(h.taken_at),
            first_response_at: time(h.first_response_at),
            ended_at: time(h.ended_at),
            platform,
            bridge,
            status: h.status,
            resolution: h.resolution,
            rating: h.rating.as_ref().map_or(0, |r| r.score),
            agent,
            reason,
        }
    }

    /// The facts of `scope`, in id order.
    pub(super) fn scoped(&self, scope: &Scope<'_>) -> impl Iterator<Item = &Fact> {
        let platform = match scope {
            Scope::Platform(p) => Some(self.platforms.get(&(*p).to_owned())),
            _ => None,
        };
        let bridge = match scope {
            Scope::Bridge(b) => Some(self.bridges.get(&(*b).to_owned())),
            _ => None,
        };
        self.facts.iter().flatten().filter(move |f| {
            platform.is_none_or(|p| p.is_some_and(|p| u32::from(f.platform) == p))
                && bridge.is_none_or(|b| b.is_some_and(|b| u32::from(f.bridge) == b))
        })
    }
}

/// Handovers requested in a period, by what has become of them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcomes {
    pub returned_to_ai: u64,
    pub closed: u64,
    pub cancelled: u64,
    /// Still pending or in progress.
    pub open: u64,
}

impl FactTable {
    /// For each period `[bounds[i], bounds[i + 1])`, the outcomes of the handovers in
    /// `scope` requested in it (one pass over the table).
    pub fn outcomes(&self, scope: Scope<'_>, bounds: &[i64]) -> Vec<Outcomes> {
        let mut out = vec![Outcomes::default(); bounds.len().saturating_sub(1)];
        for f in self.scoped(&scope) {
            // The last bound at or before the request.
            let i = bounds.partition_point(|b| *b <= f.requested_at);
            let Some(o) = i.checked_sub(1).and_then(|i| out.get_mut(i)) else {
                continue;
            };
            match f.resolution {
                Some(Resolution::ReturnedToAi) => o.returned_to_ai += 1,
                Some(Resolution::Closed) => o.closed += 1,
                Some(Resolution::Cancelled) => o.cancelled += 1,
                None => o.open += 1,
            }
        }
        out
    }
}

/// Whose handovers a figure covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope<'a> {
    All,
    /// One AI platform's (the API's view).
    Platform(&'a str),
    /// One chat bridge's (what `/handover stats` shows in Slack or Discord).
    Bridge(&'a str),
}
