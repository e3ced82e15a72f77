//! What people do in Discord, from the gateway: messages in handover channels, the
//! card's buttons and `/handover`.
//!
//! Discord has no ephemeral answer to a plain message, so a refused message (say, by
//! someone who is not a selected member) is answered with a reply in the channel that
//! mentions only its author. Buttons and `/handover` are answered ephemerally.
//! A gateway RESUME may deliver a message again: the engine dedupes by message id.
//! A new session (a start, or an outage too long to RESUME) gets no replay of what was
//! written meanwhile: see [`crate::backfill`].

use std::sync::atomic::Ordering;

use handover_core::{Agent, EndMode, HandoverId, commands};
use handover_daemon::desk::{self, Who, answer_error};
use handover_daemon::engine::{Action, Engine};
use serenity::all::{
    CommandInteraction, CommandOptionType, ComponentInteraction, ConnectionStage, Context,
    CreateAllowedMentions, CreateCommand, CreateCommandOption, CreateInteractionResponse,
    CreateInteractionResponseMessage, CreateMessage, EventHandler, GuildId, Interaction, Message,
    Ready, ResumedEvent, ShardStageUpdateEvent, User, UserId,
};

use crate::bridge::snowflake;
use crate::{DiscordBridge, format, ids};

/// Whether a message came from the gateway or from a backfill.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    Live,
    Backfill,
}

pub(crate) struct Handler {
    pub bridge: DiscordBridge,
    pub engine: Engine,
}

type Error = Box<dyn std::error::Error + Send + Sync>;

fn agent(user: &User, nick: Option<&str>) -> Agent {
    let name = nick
        .map(str::to_owned)
        .or_else(|| user.global_name.clone())
        .unwrap_or_else(|| user.name.clone());
    Agent {
        id: user.id.to_string(),
        name,
        platform: ids::BRIDGE.to_owned(),
    }
}

/// The ephemeral answer to an interaction, cut to Discord's limit.
fn ephemeral(text: &str) -> CreateInteractionResponse {
    let text: String = text.chars().take(format::MAX_CONTENT).collect();
    CreateInteractionResponse::Message(
        CreateInteractionResponseMessage::new()
            .content(text)
            .ephemeral(true)
            .allowed_mentions(CreateAllowedMentions::new()),
    )
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, r: Ready) {
        // A new session: every channel has to be caught up again (before anything that
        // awaits, so that no live message is caught up against the old session's marks).
        self.bridge.inner.caught.reset();
        let _ = self.bridge.inner.bot_user.set(r.user.id.get());
        if let Err(e) = self.register(&ctx).await {
            tracing::warn!(error = %e, "Cannot register the /handover command on Discord.");
        }
        self.bridge.inner.connected.store(true, Ordering::SeqCst);
        tracing::info!("Discord bridge connected.");
        let h = Handler {
            bridge: self.bridge.clone(),
            engine: self.engine.clone(),
        };
        tokio::spawn(async move { h.backfill(&ctx).await });
    }

    /// Not ready while the gateway reconnects; ready again once it is connected
    /// (after a RESUME as after a new IDENTIFY).
    async fn shard_stage_update(&self, _ctx: Context, e: ShardStageUpdateEvent) {
        let up = e.new == ConnectionStage::Connected;
        self.bridge.inner.connected.store(up, Ordering::SeqCst);
        if !up {
            tracing::info!(stage = %e.new, "Discord gateway reconnecting.");
        }
    }

    async fn resume(&self, _ctx: Context, _: ResumedEvent) {
        self.bridge.inner.connected.store(true, Ordering::SeqCst);
        tracing::info!("Discord gateway resumed.");
    }

    async fn message(&self, ctx: Context, m: Message) {
        // What this session missed in the channel goes first.
        self.catch_up(&ctx, m.channel_id.get()).await;
        if let Err(e) = self.on_message(&ctx, m, Seen::Live).await {
            tracing::warn!(error = %e, "A Discord message could not be handled.");
        }
    }

    async fn interaction_create(&self, ctx: Context, i: Interaction) {
        let r = match i {
            Interaction::Component(c) => self.on_button(&ctx, c).await,
            Interaction::Command(c) if c.data.name == "handover" => self.on_command(&ctx, c).await,
            _ => Ok(()),
        };
        if let Err(e) = r {
            tracing::warn!(error = %e, "A Discord interaction could not be handled.");
        }
    }
}

impl Handler {
    /// Registers `/handover [text]` as a guild command.
    async fn register(&self, ctx: &Context) -> Result<(), Error> {
        let guild = snowflake(&self.bridge.inner.config.guild_id).ok_or("invalid guild id")?;
        let command = CreateCommand::new("handover")
            .description("Handover commands: take, end, list, members, help")
            .add_option(
                CreateCommandOption::new(CommandOptionType::String, "text", "e.g. list, take H-12")
                    .required(false),
            );
        GuildId::new(guild)
            .set_commands(&ctx.http, vec![command])
            .await?;
        Ok(())
    }

    pub(crate) fn here(&self, channel: &str) -> Result<Option<HandoverId>, Error> {
        Ok(self
            .engine
            .store()
            .handover_at(ids::BRIDGE, channel, None)?)
    }

    /// A message in a handover channel: relayed to the end user when a selected member
    /// wrote it (returns whether it was new); anyone else gets a reply that mentions
    /// only them, unless the message is backfilled.
    pub(crate) async fn on_message(
        &self,
        ctx: &Context,
        m: Message,
        seen: Seen,
    ) -> Result<bool, Error> {
        if m.author.bot || m.webhook_id.is_some() {
            return Ok(false);
        }
        let Some(id) = self.here(&m.channel_id.to_string())? else {
            return Ok(false);
        };
        let roles: Vec<String> = match m.member.as_ref() {
            Some(pm) => pm.roles.iter().map(ToString::to_string).collect(),
            // Messages read over REST carry no member: ask for the author's roles.
            None => self.roles_of(m.author.id).await,
        };
        let nick = m.member.as_ref().and_then(|pm| pm.nick.as_deref());
        let public_url = self
            .bridge
            .inner
            .public_url
            .get()
            .map_or("", String::as_str);
        let attachments =
            crate::files::attachments(&self.engine, public_url, &m.attachments).await?;
        let message_id = m.id.to_string();
        let action = Action::Message {
            message_id: message_id.clone(),
            text: m.content.clone(),
            attachments,
        };
        let dedupe = Some(ids::message_key(&message_id));
        let result = self
            .engine
            .act(id, agent(&m.author, nick), roles, action, dedupe)
            .await;
        let refusal = match result {
            Ok(accepted) => {
                self.engine.store().durable(accepted.ticket).await?;
                return Ok(!accepted.duplicate);
            }
            Err(e) => answer_error(id, e)?,
        };
        if seen == Seen::Backfill {
            return Ok(false);
        }
        let reply = CreateMessage::new()
            .content(format!("<@{}> {refusal}", m.author.id))
            .reference_message(&m)
            .allowed_mentions(CreateAllowedMentions::new().users([m.author.id]));
        m.channel_id.send_message(&ctx.http, reply).await?;
        Ok(false)
    }

    /// The author's roles in the guild (once per author and session); none when they
    /// cannot be read.
    async fn roles_of(&self, user: UserId) -> Vec<String> {
        let caught = &self.bridge.inner.caught;
        if let Some(roles) = caught.roles(user.get()) {
            return roles;
        }
        let Some(guild) = snowflake(&self.bridge.inner.config.guild_id) else {
            return Vec::new();
        };
        match self
            .bridge
            .inner
            .rest
            .member(GuildId::new(guild), user)
            .await
        {
            Ok(member) => {
                let roles: Vec<String> = member.roles.iter().map(ToString::to_string).collect();
                caught.remember_roles(user.get(), &roles);
                roles
            }
            Err(e) => {
                tracing::warn!(error = %e.reason, "Cannot read a member's roles.");
                Vec::new()
            }
        }
    }

    /// The card's buttons.
    async fn on_button(&self, ctx: &Context, c: ComponentInteraction) -> Result<(), Error> {
        let Some((action, id)) = ids::parse_button(&c.data.custom_id) else {
            return Ok(());
        };
        let (action, ok) = match action {
            ids::ACTION_TAKE => (
                Action::Take,
                format!("You have {id} now. Write in this channel to answer the customer."),
            ),
            ids::ACTION_END_AI => (
                Action::End {
                    mode: EndMode::ReturnToAi,
                },
                format!("{id} is back with the AI."),
            ),
            ids::ACTION_CLOSE => (
                Action::End {
                    mode: EndMode::Close,
                },
                format!("{id} is closed."),
            ),
            _ => return Ok(()),
        };
        let member = c.member.as_ref();
        let roles = member
            .map(|m| m.roles.iter().map(ToString::to_string).collect())
            .unwrap_or_default();
        let who = agent(&c.user, member.and_then(|m| m.nick.as_deref()));
        let dedupe = Some(ids::interaction_key(&c.id.to_string()));
        let text = match self.engine.act(id, who, roles, action, dedupe).await {
            Ok(accepted) => {
                self.engine.store().durable(accepted.ticket).await?;
                ok
            }
            Err(e) => answer_error(id, e)?,
        };
        c.create_response(&ctx.http, ephemeral(&text)).await?;
        Ok(())
    }

    /// `/handover [text]`, in a handover channel (which names the handover) or elsewhere.
    async fn on_command(&self, ctx: &Context, c: CommandInteraction) -> Result<(), Error> {
        let text = c
            .data
            .options
            .iter()
            .find(|o| o.name == "text")
            .and_then(|o| o.value.as_str())
            .unwrap_or("")
            .to_owned();
        let answer = match commands::parse(&text) {
            Err(e) => e.to_string(),
            Ok(cmd) => {
                let member = c.member.as_ref();
                let who = Who {
                    bridge: ids::BRIDGE,
                    agent: agent(&c.user, member.and_then(|m| m.nick.as_deref())),
                    roles: member
                        .map(|m| m.roles.iter().map(ToString::to_string).collect())
                        .unwrap_or_default(),
                };
                let here = self.here(&c.channel_id.to_string())?;
                desk::run(&self.engine, &who, here, cmd, &self.bridge).await?
            }
        };
        c.create_response(&ctx.http, ephemeral(&answer)).await?;
        Ok(())
    }
}
