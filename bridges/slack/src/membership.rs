//! `manage_membership = true`: the handover channels' members follow the selected
//! members. Missing members are invited, everyone else is removed (the bot stays).
//! Runs at start, after `/handover members add|remove`, and every few minutes.

use std::collections::BTreeSet;

use handover_daemon::bridge::DeliveryError;
use handover_daemon::engine::Engine;

use crate::{SlackBridge, ids};

/// What a sync changed in one channel.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub invited: Vec<String>,
    pub removed: Vec<String>,
}

/// The invitations and removals that make `current` equal `wanted` (plus the bot).
pub fn plan(current: &[String], wanted: &[String], bot: &str) -> Changes {
    let current: BTreeSet<&str> = current.iter().map(String::as_str).collect();
    let wanted: BTreeSet<&str> = wanted
        .iter()
        .map(String::as_str)
        .filter(|m| !m.starts_with("role:"))
        .collect();
    Changes {
        invited: wanted
            .difference(&current)
            .map(|s| (*s).to_owned())
            .filter(|u| u != bot)
            .collect(),
        removed: current
            .difference(&wanted)
            .map(|s| (*s).to_owned())
            .filter(|u| u != bot)
            .collect(),
    }
}

impl SlackBridge {
    /// Brings every handover channel's membership in line with the selected members.
    pub(crate) async fn sync_membership(&self, engine: &Engine) -> Result<(), DeliveryError> {
        if !self.inner.config.manage_membership {
            return Ok(());
        }
        let wanted = engine
            .settings()
            .members(engine.store(), ids::BRIDGE)
            .map_err(|e| DeliveryError::new(e.to_string()))?;
        let bot = self.inner.bot_user.get().cloned().unwrap_or_default();
        for channel in &self.inner.config.channels {
            let current = self.inner.api.channel_members(channel).await?;
            let changes = plan(&current, &wanted, &bot);
            if !changes.invited.is_empty() {
                self.inner.api.invite(channel, &changes.invited).await?;
            }
            for user in &changes.removed {
                self.inner.api.kick(channel, user).await?;
            }
            if changes != Changes::default() {
                tracing::info!(channel = %channel, invited = changes.invited.len(), removed = changes.removed.len(), "Slack handover channel membership updated.");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn members_are_invited_others_removed_and_the_bot_kept() {
        let c = plan(
            &v(&["UBOT", "UA", "UX"]),
            &v(&["UA", "UB", "role:123"]),
            "UBOT",
        );
        assert_eq!(
            c,
            Changes {
                invited: v(&["UB"]),
                removed: v(&["UX"])
            }
        );
        assert_eq!(
            plan(&v(&["UBOT", "UA"]), &v(&["UA"]), "UBOT"),
            Changes::default()
        );
        assert_eq!(
            plan(&v(&["UA"]), &v(&["UBOT", "UA"]), "UBOT"),
            Changes::default(),
            "never invites itself"
        );
    }
}
