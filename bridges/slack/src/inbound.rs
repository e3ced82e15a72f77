//! What people do in Slack, from Socket Mode: thread replies, buttons, mentions and
//! `/handover`. Every callback finishes its durable work before slack-morphism acks
//! the envelope, so a crash before the ack means Slack delivers it again (deduped).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use handover_core::commands;
use handover_core::{Agent, EndMode, HandoverId};
use handover_daemon::bridge::BridgeContext;
use handover_daemon::desk::{self, Who, answer_error};
use handover_daemon::engine::{Action, Engine, EngineError};
use slack_morphism::prelude::*;

use crate::{SlackBridge, format, ids};

/// What the callbacks share (slack-morphism passes plain `fn`s a state map).
#[derive(Clone)]
pub(crate) struct Shared {
    pub bridge: SlackBridge,
    pub engine: Engine,
    /// `server.public_url`, for file links.
    pub public_url: String,
}

pub(crate) type Error = Box<dyn std::error::Error + Send + Sync>;

async fn shared(states: &SlackClientEventsUserState) -> Result<Shared, Error> {
    let guard = states.read().await;
    guard
        .get_user_state::<Shared>()
        .cloned()
        .ok_or_else(|| "bridge state missing".into())
}

/// Connects over Socket Mode and runs until `ctx.cancel`.
pub(crate) async fn run_socket_mode(bridge: SlackBridge, ctx: BridgeContext) {
    let app_token = bridge.inner.config.app_token.expose().to_owned();
    if app_token.is_empty() {
        tracing::info!(
            "No Slack app_token: Socket Mode is off (Events API over HTTP is used instead)."
        );
        bridge.inner.connected.store(true, Ordering::SeqCst);
        keep_membership(&bridge, &ctx).await;
        return;
    }
    let callbacks = SlackSocketModeListenerCallbacks::new()
        .with_push_events(on_push)
        .with_interaction_events(on_interaction)
        .with_command_events(on_command);
    let env = Arc::new(
        SlackClientEventsListenerEnvironment::new(bridge.inner.api.client.clone())
            .with_error_handler(on_error)
            .with_user_state(Shared {
                bridge: bridge.clone(),
                engine: ctx.engine.clone(),
                public_url: ctx.public_url.clone(),
            }),
    );
    let config = SlackClientSocketModeConfig::new().with_max_connections_count(1);
    let listener = SlackClientSocketModeListener::new(&config, env, callbacks);
    let token = SlackApiToken::new(SlackApiTokenValue(app_token));
    if let Err(e) = listener.listen_for(&token).await {
        tracing::error!(error = %e, "Slack Socket Mode cannot connect.");
        return;
    }
    listener.start().await;
    bridge.inner.connected.store(true, Ordering::SeqCst);
    tracing::info!("Slack bridge connected (Socket Mode).");
    keep_membership(&bridge, &ctx).await;
    bridge.inner.connected.store(false, Ordering::SeqCst);
    listener.shutdown().await;
}

/// Keeps the handover channels' membership in line until `ctx.cancel`.
async fn keep_membership(bridge: &SlackBridge, ctx: &BridgeContext) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(300));
    loop {
        tokio::select! {
            _ = every.tick() => {
                if let Err(e) = bridge.sync_membership(&ctx.engine).await {
                    tracing::warn!(reason = %e, "Cannot update the Slack handover channels' members.");
                }
            }
            () = ctx.cancel.cancelled() => return,
        }
    }
}

/// A failed callback is not acknowledged, so Slack sends the envelope again.
fn on_error(
    err: Error,
    _client: Arc<SlackHyperClient>,
    _states: SlackClientEventsUserState,
) -> HttpStatusCode {
    tracing::warn!(error = %err, "A Slack event could not be handled; it will be redelivered.");
    HttpStatusCode::INTERNAL_SERVER_ERROR
}

async fn on_push(
    ev: SlackPushEventCallback,
    _c: Arc<SlackHyperClient>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<()> {
    shared(&states).await?.event(ev).await
}

async fn on_interaction(
    ev: SlackInteractionEvent,
    _c: Arc<SlackHyperClient>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<()> {
    shared(&states).await?.interaction(ev).await
}

async fn on_command(
    ev: SlackCommandEvent,
    _c: Arc<SlackHyperClient>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<SlackCommandEventResponse> {
    let text = shared(&states).await?.command(&ev).await?;
    Ok(command_response(text))
}

/// The private answer to a slash command.
pub(crate) fn command_response(text: String) -> SlackCommandEventResponse {
    SlackCommandEventResponse::new(SlackMessageContent::new().with_text(text))
        .with_response_type(SlackMessageResponseType::Ephemeral)
}

impl Shared {
    /// An Events API event, from Socket Mode or HTTP.
    pub(crate) async fn event(&self, ev: SlackPushEventCallback) -> Result<(), Error> {
        match ev.event {
            SlackEventCallbackBody::Message(m) => self.thread_reply(m).await,
            SlackEventCallbackBody::AppMention(m) => self.mention(m).await,
            _ => Ok(()),
        }
    }

    /// An interaction (the card's buttons), from Socket Mode or HTTP.
    pub(crate) async fn interaction(&self, ev: SlackInteractionEvent) -> Result<(), Error> {
        match ev {
            SlackInteractionEvent::BlockActions(a) => self.button(a).await,
            _ => Ok(()),
        }
    }

    fn is_bot(&self, user: Option<&SlackUserId>, bot_id: Option<&SlackBotId>) -> bool {
        bot_id.is_some()
            || user.map(|u| u.0.as_str()) == self.bridge.inner.bot_user.get().map(String::as_str)
    }

    async fn agent(&self, user: &str) -> Agent {
        let (name, _) = self.bridge.person(user).await;
        Agent {
            id: user.to_owned(),
            name,
            platform: ids::BRIDGE.to_owned(),
        }
    }

    /// A reply in a handover's thread: relayed to the end user when a selected member
    /// wrote it; anyone else is told, privately, that it was not sent.
    async fn thread_reply(&self, m: SlackMessageEvent) -> Result<(), Error> {
        // Plain replies and replies with files; edits, joins and the like are not relayed.
        let plain = matches!(m.subtype, None | Some(SlackMessageEventType::FileShare));
        if self.is_bot(m.sender.user.as_ref(), m.sender.bot_id.as_ref()) || !plain {
            return Ok(());
        }
        let (Some(channel), Some(thread), Some(user)) = (
            m.origin.channel.as_ref(),
            m.origin.thread_ts.as_ref(),
            m.sender.user.as_ref(),
        ) else {
            return Ok(());
        };
        let text = m
            .content
            .as_ref()
            .and_then(|c| c.text.clone())
            .unwrap_or_default();
        if let Some(bot) = self.bridge.inner.bot_user.get()
            && text.trim_start().starts_with(&format!("<@{bot}>"))
        {
            // A command by mention: handled from its app_mention event.
            return Ok(());
        }
        let Some(id) = self
            .engine
            .store()
            .handover_at(ids::BRIDGE, &channel.0, Some(&thread.0))?
        else {
            return Ok(());
        };
        let agent = self.agent(&user.0).await;
        let ts = m.origin.ts.0.clone();
        let files = m
            .content
            .as_ref()
            .and_then(|c| c.files.clone())
            .unwrap_or_default();
        let attachments = self.attachments(&files).await?;
        let action = Action::Message {
            message_id: ts.clone(),
            text,
            attachments,
        };
        let dedupe = Some(ids::message_key(&channel.0, &ts));
        let result = self.engine.act(id, agent, Vec::new(), action, dedupe).await;
        self.answer(id, &channel.0, &thread.0, &user.0, result, None)
            .await
    }

    /// The card's buttons.
    async fn button(&self, a: SlackInteractionBlockActionsEvent) -> Result<(), Error> {
        let Some(user) = a.user.as_ref().map(|u| u.id.0.clone()) else {
            return Ok(());
        };
        let SlackInteractionActionContainer::Message(container) = &a.container else {
            return Ok(());
        };
        let Some(channel) = container
            .channel_id
            .as_ref()
            .map(|c| c.0.clone())
            .or(a.channel.as_ref().map(|c| c.id.0.clone()))
        else {
            return Ok(());
        };
        for act in a.actions.iter().flatten() {
            let mode = match act.action_id.0.as_str() {
                ids::ACTION_TAKE => None,
                ids::ACTION_END_AI => Some(EndMode::ReturnToAi),
                ids::ACTION_CLOSE => Some(EndMode::Close),
                _ => continue,
            };
            let Some(id) = act
                .value
                .as_deref()
                .and_then(|v| v.parse::<HandoverId>().ok())
            else {
                continue;
            };
            let action = match mode {
                None => Action::Take,
                Some(mode) => Action::End { mode },
            };
            let agent = self.agent(&user).await;
            let dedupe = Some(format!("slack\0action\0{}", a.trigger_id.0).into_bytes());
            let result = self.engine.act(id, agent, Vec::new(), action, dedupe).await;
            let ok = match mode {
                None => format!("You have {id} now. Reply in the thread to answer the customer."),
                Some(EndMode::Close) => format!("{id} is closed."),
                Some(_) => format!("{id} is back with the AI."),
            };
            self.answer(
                id,
                &channel,
                &container.message_ts.0,
                &user,
                result,
                Some(ok),
            )
            .await?;
        }
        Ok(())
    }

    /// `/handover …` typed in a channel (Slack allows no slash commands in threads).
    pub(crate) async fn command(&self, ev: &SlackCommandEvent) -> Result<String, Error> {
        self.run(&ev.user_id.0, ev.text.as_deref().unwrap_or(""), None)
            .await
    }

    /// `@bot take` and friends, typed in a handover's thread.
    async fn mention(&self, m: SlackAppMentionEvent) -> Result<(), Error> {
        let channel = m.channel.0.clone();
        let thread = m.origin.thread_ts.as_ref().map(|t| t.0.clone());
        let here = match &thread {
            Some(t) => self
                .engine
                .store()
                .handover_at(ids::BRIDGE, &channel, Some(t))?,
            None => None,
        };
        let text = m.content.text.unwrap_or_default();
        let bot = self
            .bridge
            .inner
            .bot_user
            .get()
            .cloned()
            .unwrap_or_default();
        let answer = self
            .run(&m.user.0, format::strip_bot_mention(&text, &bot), here)
            .await?;
        let thread = thread.unwrap_or_else(|| m.origin.ts.0.clone());
        if let Err(e) = self
            .bridge
            .inner
            .api
            .ephemeral(&channel, &m.user.0, Some(&thread), answer)
            .await
        {
            tracing::warn!(reason = %e, "Cannot answer a Slack mention privately.");
        }
        Ok(())
    }

    async fn run(&self, user: &str, text: &str, here: Option<HandoverId>) -> Result<String, Error> {
        let cmd = match commands::parse(text) {
            Ok(c) => c,
            // The error quotes the user's words: escape them like any other text.
            Err(e) => return Ok(format::escape(&e.to_string())),
        };
        let who = Who {
            bridge: ids::BRIDGE,
            agent: self.agent(user).await,
            roles: Vec::new(),
        };
        let changes_members = matches!(
            cmd,
            commands::HandoverCommand::Members(
                commands::MembersCommand::Add(_) | commands::MembersCommand::Remove(_)
            )
        );
        let answer = desk::run(&self.engine, &who, here, cmd, &self.bridge).await?;
        if changes_members && let Err(e) = self.bridge.sync_membership(&self.engine).await {
            tracing::warn!(reason = %e, "Cannot update the Slack handover channels' members.");
        }
        Ok(answer)
    }

    /// Tells `user` privately what happened, or returns a store error so the envelope
    /// is redelivered.
    async fn answer(
        &self,
        id: HandoverId,
        channel: &str,
        thread: &str,
        user: &str,
        result: Result<handover_daemon::engine::Accepted, EngineError>,
        ok: Option<String>,
    ) -> Result<(), Error> {
        let text = match result {
            Ok(accepted) => {
                // Stored before Slack's delivery is acknowledged.
                self.engine.store().durable(accepted.ticket).await?;
                ok
            }
            Err(e) => Some(answer_error(id, e)?),
        };
        if let Some(text) = text
            && let Err(e) = self
                .bridge
                .inner
                .api
                .ephemeral(channel, user, Some(thread), text)
                .await
        {
            tracing::warn!(reason = %e, "Cannot answer a Slack user privately.");
        }
        Ok(())
    }
}
