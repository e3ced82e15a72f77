//! Handover analytics over a time window, computed from the handover records themselves
//! (no counters that could drift), through the [`FactTable`] index. Definitions, for a
//! window `[from, to)`:
//!
//! - `total`: handovers requested in the window.
//! - `pending`, `in_progress`: handovers in that status now (window ignored).
//! - `completed`: handovers ended in the window, by resolution.
//! - `time_to_take_over`: request → take-over, of handovers taken in the window.
//! - `first_response`: request → first relayed agent message, of first responses in the window.
//! - `resolution`: request → end, of handovers ended in the window.
//! - `rating`: ratings of handovers ended in the window.
//! - `agents`: per assignee, the same figures restricted to their handovers.
//! - `reasons`: the ten most frequent reasons of handovers requested in the window.
//!
//! Percentiles use the nearest-rank method: the p-th percentile of n sorted values is
//! the value at rank ⌈p·n⌉ (so the median of 1, 2, 3, 4 is 2).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{Handover, Resolution, Status, Timestamp};

mod facts;

pub use facts::{AgentKey, Fact, FactTable, NEVER, Names, Outcomes, Scope};

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Spread {
    pub median_s: Option<f64>,
    pub p90_s: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Completed {
    pub total: u64,
    pub returned_to_ai: u64,
    pub closed: u64,
    pub cancelled: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RatingSummary {
    pub average: Option<f64>,
    pub count: u64,
    pub distribution: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AgentFigures {
    pub id: String,
    pub name: String,
    pub platform: String,
    pub taken: u64,
    pub completed: u64,
    pub first_response_median_s: Option<f64>,
    pub resolution_median_s: Option<f64>,
    pub rating_average: Option<f64>,
    pub rating_count: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReasonCount {
    pub reason: String,
    pub count: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Analytics {
    pub total: u64,
    pub pending: u64,
    pub in_progress: u64,
    pub completed: Completed,
    pub time_to_take_over: Spread,
    pub first_response: Spread,
    pub resolution: Spread,
    pub rating: RatingSummary,
    pub agents: Vec<AgentFigures>,
    pub reasons: Vec<ReasonCount>,
}

/// The nearest-rank percentile of `ms` (milliseconds, in any order; reordered), in
/// seconds. Linear time: the element is selected, not the whole list sorted.
fn select(ms: &mut [i64], p: f64) -> Option<f64> {
    if ms.is_empty() {
        return None;
    }
    let rank = (p * ms.len() as f64).ceil().max(1.0) as usize;
    let (_, v, _) = ms.select_nth_unstable(rank.min(ms.len()) - 1);
    Some(*v as f64 / 1000.0)
}

fn spread(mut ms: Vec<i64>) -> Spread {
    Spread {
        median_s: select(&mut ms, 0.5),
        p90_s: select(&mut ms, 0.9),
    }
}

#[derive(Default)]
struct AgentAcc {
    taken: u64,
    completed: u64,
    first: Vec<i64>,
    resolution: Vec<i64>,
    ratings: Vec<u8>,
}

fn average(scores: &[u8]) -> Option<f64> {
    (!scores.is_empty())
        .then(|| scores.iter().map(|&s| f64::from(s)).sum::<f64>() / scores.len() as f64)
}

/// Computes the analytics of `handovers` for the window `[from, to)`.
pub fn compute<'a>(
    handovers: impl IntoIterator<Item = &'a Handover>,
    from: Timestamp,
    to: Timestamp,
) -> Analytics {
    let mut table = FactTable::default();
    for h in handovers {
        table.record(h);
    }
    table.compute(Scope::All, from, to)
}

impl FactTable {
    /// The analytics of the handovers in `scope` for the window `[from, to)`.
    pub fn compute(&self, scope: Scope<'_>, from: Timestamp, to: Timestamp) -> Analytics {
        let inside = |t: i64| t != NEVER && t >= from.0 && t < to.0;
        let mut a = Analytics::default();
        let (mut take, mut first, mut resolution, mut scores) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut agents: Vec<AgentAcc> = Vec::new();
        agents.resize_with(self.agents.list.len(), AgentAcc::default);
        let mut reasons = vec![0u64; self.reasons.list.len()];
        for f in self.scoped(&scope) {
            match f.status {
                Status::Pending => a.pending += 1,
                Status::InProgress => a.in_progress += 1,
                Status::Completed => {}
            }
            if inside(f.requested_at) {
                a.total += 1;
                if f.reason > 0 {
                    reasons[f.reason as usize - 1] += 1;
                }
            }
            let mut acc = (f.agent > 0).then(|| &mut agents[f.agent as usize - 1]);
            if inside(f.taken_at) {
                take.push(f.taken_at - f.requested_at);
                if let Some(e) = acc.as_deref_mut() {
                    e.taken += 1;
                }
            }
            if inside(f.first_response_at) {
                let d = f.first_response_at - f.requested_at;
                first.push(d);
                if let Some(e) = acc.as_deref_mut() {
                    e.first.push(d);
                }
            }
            if inside(f.ended_at) {
                let d = f.ended_at - f.requested_at;
                resolution.push(d);
                a.completed.total += 1;
                match f.resolution {
                    Some(Resolution::ReturnedToAi) => a.completed.returned_to_ai += 1,
                    Some(Resolution::Closed) => a.completed.closed += 1,
                    Some(Resolution::Cancelled) => a.completed.cancelled += 1,
                    None => {}
                }
                if f.rating > 0 {
                    scores.push(f.rating);
                }
                if let Some(e) = acc {
                    e.completed += 1;
                    e.resolution.push(d);
                    if f.rating > 0 {
                        e.ratings.push(f.rating);
                    }
                }
            }
        }
        a.time_to_take_over = spread(take);
        a.first_response = spread(first);
        a.resolution = spread(resolution);
        a.rating.count = scores.len() as u64;
        a.rating.average = average(&scores);
        a.rating.distribution = (1..=5u8)
            .map(|s| {
                let n = scores.iter().filter(|&&x| x == s).count() as u64;
                (s.to_string(), n)
            })
            .collect();
        a.agents = self.agent_figures(agents);
        let mut top: Vec<ReasonCount> = reasons
            .into_iter()
            .enumerate()
            .filter(|(_, n)| *n > 0)
            .map(|(i, count)| ReasonCount {
                reason: self.reasons.list[i].clone(),
                count,
            })
            .collect();
        top.sort_by(|x, y| y.count.cmp(&x.count).then_with(|| x.reason.cmp(&y.reason)));
        top.truncate(10);
        a.reasons = top;
        a
    }

    /// The agents with something in the window, ordered by platform and id.
    fn agent_figures(&self, agents: Vec<AgentAcc>) -> Vec<AgentFigures> {
        let mut out: Vec<AgentFigures> = agents
            .into_iter()
            .enumerate()
            .filter(|(_, e)| e.taken > 0 || e.completed > 0 || !e.first.is_empty())
            .map(|(i, mut e)| {
                let key = &self.agents.list[i];
                AgentFigures {
                    id: key.id.clone(),
                    name: self.agent_names[i].clone(),
                    platform: key.platform.clone(),
                    taken: e.taken,
                    completed: e.completed,
                    first_response_median_s: select(&mut e.first, 0.5),
                    resolution_median_s: select(&mut e.resolution, 0.5),
                    rating_average: average(&e.ratings),
                    rating_count: e.ratings.len() as u64,
                }
            })
            .collect();
        out.sort_by(|x, y| (&x.platform, &x.id).cmp(&(&y.platform, &y.id)));
        out
    }
}

#[cfg(test)]
mod tests;
