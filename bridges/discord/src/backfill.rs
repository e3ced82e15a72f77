//! Catching up after a new gateway session. Discord replays missed events on a RESUME,
//! but not to a new session (a start, or an outage too long to RESUME): what members
//! wrote in a handover channel while the bridge was away would never be relayed.
//!
//! So each READY starts a backfill of every open handover's channel, and a live message
//! in a channel not caught up yet in this session waits for that channel's catch-up, so
//! that older messages still reach the AI platform first. A catch-up reads the channel's
//! last [`BACKFILL`] messages of the last [`BACKFILL_HOURS`] and passes the ones not seen
//! yet through the live path ([`Handler::on_message`]); the engine's dedupe by message id
//! makes a message that also arrives live count once, and refusals are not answered
//! again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use handover_core::Status;
use serenity::all::{ChannelId, Context};

use crate::bridge::snowflake;
use crate::ids;
use crate::inbound::{Handler, Seen};

/// How many of a channel's last messages a catch-up reads (Discord's most per request).
const BACKFILL: u8 = 100;
/// How far back: older messages are left alone, since the engine remembers message ids
/// for `server.dedupe_ttl` (at least an hour).
const BACKFILL_HOURS: i64 = 1;

/// Per channel, whether this session has caught it up (behind a lock, so that a live
/// message waits for a catch-up in progress).
#[derive(Default)]
pub(crate) struct Caught {
    channels: Mutex<HashMap<u64, Arc<tokio::sync::Mutex<bool>>>>,
    /// Authors' roles read over REST in this session (a message read over REST has no
    /// member; one look-up per author, not per message).
    roles: Mutex<HashMap<u64, Vec<String>>>,
}

impl Caught {
    /// A new session: every channel has to be caught up again.
    pub(crate) fn reset(&self) {
        if let Ok(mut c) = self.channels.lock() {
            c.clear();
        }
        if let Ok(mut r) = self.roles.lock() {
            r.clear();
        }
    }

    pub(crate) fn roles(&self, user: u64) -> Option<Vec<String>> {
        self.roles.lock().ok()?.get(&user).cloned()
    }

    pub(crate) fn remember_roles(&self, user: u64, roles: &[String]) {
        if let Ok(mut r) = self.roles.lock() {
            r.insert(user, roles.to_vec());
        }
    }

    fn gate(&self, channel: u64) -> Arc<tokio::sync::Mutex<bool>> {
        match self.channels.lock() {
            Ok(mut c) => c.entry(channel).or_default().clone(),
            Err(_) => Arc::new(tokio::sync::Mutex::new(true)),
        }
    }
}

impl Handler {
    /// After READY: catches up every open handover's channel.
    pub(crate) async fn backfill(&self, ctx: &Context) {
        let mut open = Vec::new();
        for status in [Status::Pending, Status::InProgress] {
            match self.engine.store().list(Some(status), None, usize::MAX) {
                Ok(list) => open.extend(list),
                Err(e) => tracing::warn!(error = %e, "Cannot list the open handovers to backfill."),
            }
        }
        let channels: Vec<u64> = open
            .into_iter()
            .filter(|h| h.bridge == ids::BRIDGE)
            .filter_map(|h| h.location.and_then(|l| snowflake(&l.channel)))
            .collect();
        let mut relayed = 0;
        for &channel in &channels {
            relayed += self.catch_up(ctx, channel).await;
        }
        tracing::info!(channels = channels.len(), relayed, "Discord backfill done.");
    }

    /// Catches `channel` up once per session (a no-op for other channels); returns how
    /// many missed messages it relayed.
    pub(crate) async fn catch_up(&self, ctx: &Context, channel: u64) -> usize {
        let gate = self.bridge.inner.caught.gate(channel);
        let mut done = gate.lock().await;
        if *done {
            return 0;
        }
        *done = true;
        if !matches!(self.here(&channel.to_string()), Ok(Some(_))) {
            return 0;
        }
        let rest = &self.bridge.inner.rest;
        let recent = match rest
            .recent_messages(ChannelId::new(channel), BACKFILL)
            .await
        {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(channel, error = %e.reason, "Cannot read a handover channel to backfill.");
                return 0;
            }
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let oldest = now - BACKFILL_HOURS * 3600;
        let store = self.engine.store();
        let mut relayed = 0;
        for m in recent.into_iter().rev() {
            // Most were relayed already: skipped before any call.
            let key = ids::message_key(&m.id.to_string());
            if m.author.bot
                || m.webhook_id.is_some()
                || m.timestamp.unix_timestamp() < oldest
                || store.seen(&key, self.engine.now()).unwrap_or(false)
            {
                continue;
            }
            match self.on_message(ctx, m, Seen::Backfill).await {
                Ok(true) => relayed += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "A backfilled Discord message could not be handled.")
                }
            }
        }
        relayed
    }
}
