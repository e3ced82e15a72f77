//! Showing effects in Discord: the handover channel with its header card, relayed
//! messages (nothing in them can ping), reminders, delivery marks, ratings and the
//! archive move, each rendered from the handover's latest stored state.

use handover_core::{BridgeEffect, DeliveryOutcome, Handover, Role, Status, TranscriptEntry};
use handover_daemon::bridge::{DeliveryError, Performed};
use handover_daemon::engine::Engine;
use serenity::all::{
    ButtonStyle, ChannelId, ChannelType, CreateActionRow, CreateAllowedMentions, CreateButton,
    CreateChannel, CreateEmbed, CreateMessage, CreateWebhook, EditChannel, EditMessage,
    ExecuteWebhook, GuildId, MessageId, PermissionOverwrite, PermissionOverwriteType, Permissions,
    ReactionType, RoleId, UserId, Webhook,
};

use crate::bridge::snowflake;
use crate::{DiscordBridge, format, ids};

/// A REST failure as a retryable delivery error (no message content in it).
pub(crate) fn failed(e: serenity::Error) -> DeliveryError {
    DeliveryError::new(format!("Discord: {e}"))
}

fn id_of(what: &str, s: &str) -> Result<u64, DeliveryError> {
    snowflake(s).ok_or_else(|| DeliveryError::new(format!("invalid Discord {what} id")))
}

/// What a selected member may do in a handover channel.
fn member_rights() -> Permissions {
    Permissions::VIEW_CHANNEL | Permissions::SEND_MESSAGES | Permissions::READ_MESSAGE_HISTORY
}

impl DiscordBridge {
    pub(crate) async fn show(
        &self,
        engine: &Engine,
        h: &Handover,
        effect: &BridgeEffect,
    ) -> Result<Performed, DeliveryError> {
        if let BridgeEffect::Announce = effect {
            return self.announce(engine, h).await;
        }
        let (channel, header) = ids::header_of(h.location.as_ref())
            .ok_or_else(|| DeliveryError::new(format!("{} is not posted in Discord yet", h.id)))?;
        let channel = ChannelId::new(id_of("channel", channel)?);
        let header = MessageId::new(id_of("message", header)?);
        let http = &self.inner.http;
        match effect {
            BridgeEffect::Announce => {}
            BridgeEffect::UpdateCard => {
                let edit = EditMessage::new().embed(embed(h)).components(buttons(h));
                channel
                    .edit_message(http, header, edit)
                    .await
                    .map_err(failed)?;
            }
            BridgeEffect::Archive => {
                let edit = EditMessage::new().embed(embed(h)).components(buttons(h));
                channel
                    .edit_message(http, header, edit)
                    .await
                    .map_err(failed)?;
                if let Some(archive) = snowflake(&self.inner.config.archive_category_id) {
                    channel
                        .edit(
                            http,
                            EditChannel::new().category(Some(ChannelId::new(archive))),
                        )
                        .await
                        .map_err(failed)?;
                }
            }
            BridgeEffect::Relay { entry } => self.relay(channel, h, entry).await?,
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
                let (emoji, note) = match outcome {
                    DeliveryOutcome::Delivered => (format::DELIVERED, None),
                    DeliveryOutcome::Failed { reason } => {
                        (format::FAILED, Some(format::delivery_failed_text(reason)))
                    }
                };
                channel
                    .create_reaction(http, message, ReactionType::Unicode(emoji.to_owned()))
                    .await
                    .map_err(failed)?;
                if let Some(note) = note {
                    self.say(channel, note, CreateAllowedMentions::new())
                        .await?;
                }
            }
            BridgeEffect::Rated { score, comment } => {
                let text = format::rating_text(*score, comment.as_deref());
                self.say(channel, text, CreateAllowedMentions::new())
                    .await?;
            }
        }
        Ok(Performed::default())
    }

    /// Creates the private handover channel and posts the header card in it,
    /// mentioning the selected members.
    async fn announce(&self, engine: &Engine, h: &Handover) -> Result<Performed, DeliveryError> {
        if let Some(l) = h.location.as_ref().filter(|l| l.bridge == ids::BRIDGE) {
            // Already posted (a retried effect): nothing to do.
            return Ok(Performed {
                location: Some(l.clone()),
            });
        }
        let c = &self.inner.config;
        let guild = id_of("guild", &c.guild_id)?;
        let category = id_of("category", &c.category_id)?;
        let bot = self.bot_user().await?;
        let members = self.members(engine)?;
        let (_, users, roles) = format::mentions(&members);
        let mut overwrites = vec![
            PermissionOverwrite {
                allow: Permissions::empty(),
                deny: Permissions::VIEW_CHANNEL,
                // The @everyone role has the guild's id.
                kind: PermissionOverwriteType::Role(RoleId::new(guild)),
            },
            PermissionOverwrite {
                allow: member_rights() | Permissions::EMBED_LINKS | Permissions::ADD_REACTIONS,
                deny: Permissions::empty(),
                kind: PermissionOverwriteType::Member(UserId::new(bot)),
            },
        ];
        overwrites.extend(users.iter().map(|u| PermissionOverwrite {
            allow: member_rights(),
            deny: Permissions::empty(),
            kind: PermissionOverwriteType::Member(UserId::new(*u)),
        }));
        overwrites.extend(roles.iter().map(|r| PermissionOverwrite {
            allow: member_rights(),
            deny: Permissions::empty(),
            kind: PermissionOverwriteType::Role(RoleId::new(*r)),
        }));
        let create = CreateChannel::new(format::channel_name(h.id, &h.user.name))
            .kind(ChannelType::Text)
            .category(ChannelId::new(category))
            .permissions(overwrites);
        let http = &self.inner.http;
        let channel = GuildId::new(guild)
            .create_channel(http, create)
            .await
            .map_err(failed)?;
        let message = CreateMessage::new()
            .content(format::announce_text(h, &members))
            .embed(embed(h))
            .components(buttons(h))
            .allowed_mentions(pings(&members));
        let header = channel
            .id
            .send_message(http, message)
            .await
            .map_err(failed)?;
        Ok(Performed {
            location: Some(ids::location(
                &c.guild_id,
                &channel.id.to_string(),
                &header.id.to_string(),
            )),
        })
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
        let Some(hook) = self.webhook(channel).await else {
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
            if let Err(e) = hook.execute(&self.inner.http, true, exec).await {
                // Perhaps deleted: make a new one on the retry.
                if let Ok(mut w) = self.inner.webhooks.lock() {
                    w.remove(&channel.get());
                }
                return Err(failed(e));
            }
        }
        Ok(())
    }

    /// The channel's relay webhook, created once and kept in memory.
    async fn webhook(&self, channel: ChannelId) -> Option<Webhook> {
        let cached = self
            .inner
            .webhooks
            .lock()
            .ok()
            .and_then(|w| w.get(&channel.get()).cloned());
        if cached.is_some() {
            return cached;
        }
        match channel
            .create_webhook(&self.inner.http, CreateWebhook::new("Handover relay"))
            .await
        {
            Ok(hook) => {
                if let Ok(mut w) = self.inner.webhooks.lock() {
                    w.insert(channel.get(), hook.clone());
                }
                Some(hook)
            }
            Err(e) => {
                tracing::warn!(error = %e, "Cannot create a Discord webhook; relaying as the bot.");
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
        channel
            .send_message(&self.inner.http, message)
            .await
            .map_err(failed)?;
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
fn pings(members: &[String]) -> CreateAllowedMentions {
    let (_, users, roles) = format::mentions(members);
    CreateAllowedMentions::new()
        .users(users.into_iter().map(UserId::new))
        .roles(roles.into_iter().map(RoleId::new))
}

/// The card as an embed.
fn embed(h: &Handover) -> CreateEmbed {
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
fn buttons(h: &Handover) -> Vec<CreateActionRow> {
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
