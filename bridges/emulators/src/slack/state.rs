//! The emulated workspace: users, channels, messages, files, calls and rate buckets.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use serde_json::Value;

use super::{Call, Ephemeral, FileInfo, Message, SlackEmulator, SlackUser};
use crate::slack::delivery::LastEnvelope;

pub(crate) const BOT: &str = SlackEmulator::BOT_USER_ID;

pub(crate) struct Channel {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) private: bool,
    pub(crate) members: Vec<String>,
    pub(crate) created: u64,
}

impl Channel {
    pub(crate) fn has(&self, user: &str) -> bool {
        self.members.iter().any(|m| m == user)
    }

    /// The `channel_type` of message events.
    pub(crate) fn channel_type(&self) -> &'static str {
        if self.private { "group" } else { "channel" }
    }
}

pub(crate) struct StoredFile {
    pub(crate) info: FileInfo,
    /// The bytes arrived at the upload URL (always true for user uploads).
    pub(crate) uploaded: bool,
    pub(crate) via_api: bool,
}

/// What a `response_url` belongs to.
#[derive(Clone)]
pub(crate) struct ResponseTarget {
    pub(crate) channel: String,
    pub(crate) user: String,
    pub(crate) message_ts: Option<String>,
    pub(crate) thread_ts: Option<String>,
}

/// A token bucket.
#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    pub(crate) fn new(burst: u32, now: Instant) -> Self {
        Self {
            tokens: f64::from(burst),
            last: now,
        }
    }

    /// Takes one token if there is one.
    pub(crate) fn take(&mut self, now: Instant, per_second: f64, burst: u32) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * per_second.max(0.0)).min(f64::from(burst));
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

pub(crate) struct State {
    pub(crate) users: HashMap<String, SlackUser>,
    pub(crate) channels: HashMap<String, Channel>,
    /// channel → ts (microseconds) → message
    pub(crate) messages: HashMap<String, BTreeMap<u64, Message>>,
    pub(crate) ephemerals: Vec<Ephemeral>,
    pub(crate) calls: Vec<Call>,
    pub(crate) files: Vec<StoredFile>,
    pub(crate) buckets: HashMap<String, Bucket>,
    pub(crate) rate_limited: u64,
    pub(crate) tickets: HashSet<String>,
    pub(crate) response_urls: HashMap<String, ResponseTarget>,
    pub(crate) last_envelope: Option<LastEnvelope>,
    last_ts: u64,
    counter: u64,
}

impl State {
    pub(crate) fn new() -> Self {
        let mut users = HashMap::new();
        users.insert(
            BOT.to_string(),
            SlackUser {
                id: BOT.to_string(),
                name: SlackEmulator::BOT_NAME.to_string(),
                real_name: "Handover Bridge".to_string(),
                image_url: None,
                is_bot: true,
            },
        );
        Self {
            users,
            channels: HashMap::new(),
            messages: HashMap::new(),
            ephemerals: Vec::new(),
            calls: Vec::new(),
            files: Vec::new(),
            buckets: HashMap::new(),
            rate_limited: 0,
            tickets: HashSet::new(),
            response_urls: HashMap::new(),
            last_envelope: None,
            last_ts: 0,
            counter: 0,
        }
    }

    pub(crate) fn add_channel(&mut self, id: &str, name: &str, private: bool, members: &[&str]) {
        let mut list: Vec<String> = Vec::new();
        for m in members {
            if !list.iter().any(|x| x == m) {
                list.push((*m).to_string());
            }
        }
        let created = self.now_micros() / 1_000_000;
        self.channels.insert(
            id.to_string(),
            Channel {
                id: id.to_string(),
                name: name.to_string(),
                private,
                members: list,
                created,
            },
        );
    }

    fn now_micros(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }

    /// A new message ts ("1700000000.000100" style), strictly increasing.
    pub(crate) fn next_ts(&mut self) -> String {
        let now = self.now_micros();
        self.last_ts = now.max(self.last_ts + 1);
        ts_string(self.last_ts)
    }

    /// A new id such as `F0000000007` (`prefix` + 10 digits).
    pub(crate) fn next_id(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}{:010}", self.counter)
    }

    pub(crate) fn message(&self, channel: &str, ts: &str) -> Option<&Message> {
        self.messages.get(channel)?.get(&ts_key(ts)?)
    }

    pub(crate) fn message_mut(&mut self, channel: &str, ts: &str) -> Option<&mut Message> {
        self.messages.get_mut(channel)?.get_mut(&ts_key(ts)?)
    }

    pub(crate) fn store(&mut self, channel: &str, msg: Message) {
        if let Some(key) = ts_key(&msg.ts) {
            self.messages
                .entry(channel.to_string())
                .or_default()
                .insert(key, msg);
        }
    }

    pub(crate) fn remove(&mut self, channel: &str, ts: &str) -> Option<Message> {
        self.messages.get_mut(channel)?.remove(&ts_key(ts)?)
    }

    /// The thread a reply to `thread_ts` belongs to: a reply to a reply joins the root's
    /// thread. `None` when `thread_ts` is not a message of the channel.
    pub(crate) fn thread_root(&self, channel: &str, thread_ts: &str) -> Option<String> {
        let m = self.message(channel, thread_ts)?;
        Some(m.thread_ts.clone().unwrap_or_else(|| m.ts.clone()))
    }

    /// For a root: (reply count, latest reply ts, reply users).
    pub(crate) fn thread_info(
        &self,
        channel: &str,
        ts: &str,
    ) -> Option<(usize, String, Vec<String>)> {
        let replies: Vec<&Message> = self
            .messages
            .get(channel)?
            .values()
            .filter(|m| m.thread_ts.as_deref() == Some(ts) && m.ts != ts)
            .collect();
        let latest = replies.last()?.ts.clone();
        let mut users: Vec<String> = Vec::new();
        for r in &replies {
            if let Some(u) = &r.user
                && !users.contains(u)
            {
                users.push(u.clone());
            }
        }
        Some((replies.len(), latest, users))
    }

    pub(crate) fn file(&self, id: &str) -> Option<&StoredFile> {
        self.files.iter().find(|f| f.info.id == id)
    }

    pub(crate) fn file_mut(&mut self, id: &str) -> Option<&mut StoredFile> {
        self.files.iter_mut().find(|f| f.info.id == id)
    }

    pub(crate) fn record(
        &mut self,
        method: &str,
        params: Value,
        status: u16,
        error: Option<String>,
    ) {
        self.calls.push(Call {
            method: method.to_string(),
            params,
            status,
            ok: error.is_none() && (200..300).contains(&status),
            error,
            at: Instant::now(),
        });
    }
}

pub(crate) fn ts_string(micros: u64) -> String {
    format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
}

/// "1700000000.000100" → microseconds.
pub(crate) fn ts_key(ts: &str) -> Option<u64> {
    let (secs, frac) = ts.split_once('.').unwrap_or((ts, "0"));
    if frac.len() > 6 || secs.is_empty() {
        return None;
    }
    let secs: u64 = secs.parse().ok()?;
    let frac_val: u64 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    let scale = 10u64.pow(u32::try_from(6 - frac.len()).ok()?);
    secs.checked_mul(1_000_000)?.checked_add(frac_val * scale)
}

/// A random id of `len` lowercase hex digits.
pub(crate) fn random_hex(len: usize) -> String {
    let mut s = String::with_capacity(len + 16);
    while s.len() < len {
        s.push_str(&format!("{:016x}", rand::random::<u64>()));
    }
    s.truncate(len);
    s
}

/// A random UUID-shaped string (envelope ids, client_msg_id).
pub(crate) fn uuid() -> String {
    let h = random_hex(32);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}
