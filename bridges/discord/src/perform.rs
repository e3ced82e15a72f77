//! Showing effects in Discord: relayed messages (nothing in them can ping), card
//! edits, reminders, delivery marks and ratings, each rendered from the handover's
//! latest stored state. Placing and putting away handovers is in [`crate::place`].

use handover_config::DiscordMode;
use handover_core::{BridgeEffect, DeliveryOutcome, Handover, Role, Status, TranscriptEntry};
use handover_daemon::bridge::{DeliveryError, Performed};
use handover_daemon::engine::Engine;
use serenity::all::{
    ButtonStyle, ChannelId, CreateActionRow, CreateAllowedMentions, CreateButton, CreateEmbed,
    CreateMessage, CreateWebhook, EditMessage, ExecuteWebhook, MessageId, RoleId, UserId,
};

use crate::bridge::snowflake;
use crate::calls::RelayHook;
use crate::{DiscordBridge, format, ids};

pub(crate) fn id_of(what: &str, s: &str) -> Result<u64, DeliveryError> {
    snowflake(s).ok_or_else(|| DeliveryError::new(format!("invalid Discord {what} id")))
}

impl DiscordBridge {
    pub(crate) async fn show(
        &self,
        engine: &Engine,
        h: &Handover,
        effect: &BridgeEffect,
    ) -> Result<Performed, DeliveryError> {
        if let BridgeEffect::Announce = effect {
            if let Some(l) = h.location.as_ref().filter(|l| l.bridge == ids::BRIDGE) {
                // Already posted (a retried effect): nothing to do.
                return Ok(Performed {
                    location: Some(l.clone()),
                });
            }
            let members = self.members(engine)?;
            return Ok(Performed {
                location: Some(self.place(h, &members).await?),
            });
        }
        let (channel, header) = ids::header_of(h.location.as_ref())
            .ok_or_else(|| DeliveryError::new(format!("{} is not posted in Discord yet", h.id)))?;
        let channel = ChannelId::new(id_of("channel", channel)?);
        let header = MessageId::new(id_of("message", header)?);
        let rest = &self.inner.rest;
        let card = || EditMessage::new().embed(embed(h)).components(buttons(h));
        match effect {
            BridgeEffect::Announce => {}
            BridgeEffect::UpdateCard => {
                self.in_place(h, channel, async {
                    rest.edit_message(channel, header, &card()).await.map(drop)
                })
                .await?;
            }
            BridgeEffect::Archive => {
                // A thread is put away by `in_place` (the handover has ended).
                self.in_place(h, channel, async {
                    rest.edit_message(channel, header, &card()).await.map(drop)
                })
                .await?;
                if self.inner.config.mode == DiscordMode::Channel {
                    self.put_away(channel).await?;
                }
            }
            BridgeEffect::Relay { entry } => {
                self.in_place(h, channel, self.relay(channel, h, entry))
                    .await?;
            }
            BridgeEffect::Remind { count } => {
                let members = self.members(engine)?;
                let text = format::reminder_text(h, *count, &members);
                self.say(channel, text, pings(&members)).await?;
            }
            BridgeEffect::Delivery {
                message_id,
                outcome,
            } => {
                let message = MessageId::new(id_of("message", message_id)?);
                self.in_place(h, channel, async {
                    match outcome {
                        DeliveryOutcome::Delivered => {
                            rest.react(channel, message, format::DELIVERED).await
                        }
                        DeliveryOutcome::Failed { reason } => {
                            rest.react(channel, message, format::FAILED).await?;
                            let note = format::delivery_failed_text(reason);
                            self.say(channel, note, CreateAllowedMentions::new()).await
                        }
                    }
                })
                .await?;
            }
            BridgeEffect::Rated { score, comment } => {
                let text = format::rating_text(*score, comment.as_deref());
                self.in_place(
                    h,
                    channel,
                    self.say(channel, text, CreateAllowedMentions::new()),
                )
                .await?;
            }
        }
        Ok(Performed::default())
    }

    /// An end-user or AI message, split at 2,000 characters, that can ping nobody:
    /// through the channel's webhook under the user's name and avatar, or (when no
    /// webhook can be made) as the bot with the name in bold.
    async fn relay(
        &self,
        channel: ChannelId,
        h: &Handover,
        entry: &TranscriptEntry,
    ) -> Result<(), DeliveryError> {
        // A thread's webhook belongs to its parent channel.
        let (hook_channel, thread) = match self.inner.config.mode {
            DiscordMode::Channel => (channel, None),
            DiscordMode::PrivateThread => (
                ChannelId::new(id_of(
                    "parent channel",
                    &self.inner.config.parent_channel_id,
                )?),
                Some(channel),
            ),
        };
        let Some(hook) = self.webhook(hook_channel).await else {
            let text = format::relay_text(entry, &h.user.name);
            for part in format::split(&text, format::MAX_CONTENT) {
                self.say(channel, part, CreateAllowedMentions::new())
                    .await?;
            }
            return Ok(());
        };
        let (name, avatar) = match entry.role {
            Role::Ai => (format::AI_NAME.to_owned(), None),
            _ => (
                format::webhook_name(&h.user.name),
                h.user.avatar_url.clone(),
            ),
        };
        for part in format::split(&format::relay_body(entry), format::MAX_CONTENT) {
            let mut exec = ExecuteWebhook::new()
                .content(part)
                .username(name.clone())
                .allowed_mentions(CreateAllowedMentions::new());
            if let Some(a) = &avatar {
                exec = exec.avatar_url(a.clone());
            }
            if let Err(e) = self.inner.rest.execute_webhook(&hook, thread, &exec).await {
                // Perhaps deleted: make a new one on the retry.
                if let Ok(mut w) = self.inner.webhooks.lock() {
                    w.remove(&hook_channel.get());
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// The channel's relay webhook, created once and kept in memory.
    async fn webhook(&self, channel: ChannelId) -> Option<RelayHook> {
        let cached = self
            .inner
            .webhooks
            .lock()
            .ok()
            .and_then(|w| w.get(&channel.get()).cloned());
        if cached.is_some() {
            return cached;
        }
        let create = CreateWebhook::new("Handover relay");
        match self.inner.rest.create_webhook(channel, &create).await {
            Ok(hook) => {
                if let Ok(mut w) = self.inner.webhooks.lock() {
                    w.insert(channel.get(), hook.clone());
                }
                Some(hook)
            }
            Err(e) => {
                tracing::warn!(error = %e.reason, "Cannot create a Discord webhook; relaying as the bot.");
                None
            }
        }
    }

    async fn say(
        &self,
        channel: ChannelId,
        text: String,
        mentions: CreateAllowedMentions,
    ) -> Result<(), DeliveryError> {
        let message = CreateMessage::new()
            .content(text)
            .allowed_mentions(mentions);
        self.inner.rest.send_message(channel, &message).await?;
        Ok(())
    }

    pub(crate) fn members(&self, engine: &Engine) -> Result<Vec<String>, DeliveryError> {
        engine
            .settings()
            .members(engine.store(), ids::BRIDGE)
            .map_err(|e| DeliveryError::new(e.to_string()))
    }
}

/// Allowed mentions limited to the selected members.
pub(crate) fn pings(members: &[String]) -> CreateAllowedMentions {
    let (_, users, roles) = format::mentions(members);
    CreateAllowedMentions::new()
        .users(users.into_iter().map(UserId::new))
        .roles(roles.into_iter().map(RoleId::new))
}

/// The card as an embed.
pub(crate) fn embed(h: &Handover) -> CreateEmbed {
    let (title, fields) = format::card(h);
    let mut e = CreateEmbed::new().title(title);
    for (name, value) in fields {
        e = e.field(name, value, false);
    }
    if let Some(a) = &h.user.avatar_url {
        e = e.thumbnail(a);
    }
    e
}

/// The card's buttons for the handover's status (none once it has ended).
pub(crate) fn buttons(h: &Handover) -> Vec<CreateActionRow> {
    let button = |action: &str, label: &str, style| {
        CreateButton::new(ids::button(action, h.id))
            .label(label)
            .style(style)
    };
    let mut row = Vec::new();
    if h.status == Status::Pending {
        row.push(button(ids::ACTION_TAKE, "Take it", ButtonStyle::Primary));
    }
    if h.status.is_open() {
        row.push(button(
            ids::ACTION_END_AI,
            "Back to the AI",
            ButtonStyle::Secondary,
        ));
        row.push(button(ids::ACTION_CLOSE, "Close", ButtonStyle::Danger));
    }
    if row.is_empty() {
        Vec::new()
    } else {
        vec![CreateActionRow::Buttons(row)]
    }
}
