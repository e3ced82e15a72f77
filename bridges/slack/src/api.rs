//! Outbound calls to the Slack Web API, behind per-channel and workspace-wide rate
//! limits. Slack's own 429 (with `Retry-After`) is authoritative: it comes back as a
//! [`DeliveryError`] carrying the wait, and the outbox retries after it.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use handover_daemon::bridge::DeliveryError;
use handover_daemon::delivery::https_connector;
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;

/// The client type: slack-morphism over hyper with http allowed (for the emulator).
pub type Client = SlackClient<SlackClientHyperHttpsConnector>;

/// Posting limits (Slack: about one message per second per channel, short bursts).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub per_channel_per_second: u32,
    pub per_channel_burst: u32,
    pub workspace_per_second: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            per_channel_per_second: 1,
            per_channel_burst: 3,
            workspace_per_second: 20,
        }
    }
}

/// A Web API session with the bot token and the guards in front of it. The keyed
/// limiter only ever holds the configured handover channels, so it needs no pruning.
pub struct Api {
    pub client: Arc<Client>,
    token: SlackApiToken,
    per_channel: DefaultKeyedRateLimiter<String>,
    workspace: DefaultDirectRateLimiter,
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

/// Builds the client for `api_url` (no trailing slash), allowing `http://`.
pub fn client(api_url: &str) -> Arc<Client> {
    let connector =
        SlackClientHyperConnector::with_connector(https_connector()).with_slack_api_url(api_url);
    Arc::new(SlackClient::new(connector))
}

/// Turns a Slack client error into a retryable delivery error (no message content).
pub fn delivery_error(e: SlackClientError) -> DeliveryError {
    match e {
        SlackClientError::RateLimitError(r) => DeliveryError {
            reason: "Slack rate limit".into(),
            retry_after: Some(r.retry_after.unwrap_or(Duration::from_secs(1))),
        },
        SlackClientError::ApiError(a) => DeliveryError::new(format!("Slack answered {}", a.code)),
        other => DeliveryError::new(format!("cannot reach Slack: {}", short(&other.to_string()))),
    }
}

fn short(s: &str) -> &str {
    s.get(..s.char_indices().nth(160).map_or(s.len(), |(i, _)| i))
        .unwrap_or(s)
}

/// A message to post.
#[derive(Clone, Debug, Default)]
pub struct Post {
    pub channel: String,
    pub thread_ts: Option<String>,
    pub text: String,
    pub blocks: Option<Vec<SlackBlock>>,
    pub username: Option<String>,
    pub icon_url: Option<String>,
}

impl Api {
    pub fn new(client: Arc<Client>, bot_token: &str, limits: Limits) -> Self {
        let channel_quota = Quota::per_second(nz(limits.per_channel_per_second))
            .allow_burst(nz(limits.per_channel_burst));
        Self {
            client,
            token: SlackApiToken::new(SlackApiTokenValue(bot_token.to_owned())),
            per_channel: RateLimiter::keyed(channel_quota),
            workspace: RateLimiter::direct(Quota::per_second(nz(limits.workspace_per_second))),
        }
    }

    pub(crate) fn session(&self) -> SlackClientSession<'_, SlackClientHyperHttpsConnector> {
        self.client.open_session(&self.token)
    }

    /// Waits for the channel's and the workspace's posting allowance.
    async fn allowance(&self, channel: &str) {
        self.per_channel.until_key_ready(&channel.to_owned()).await;
        self.workspace.until_ready().await;
    }

    pub async fn auth_test(&self) -> Result<SlackApiAuthTestResponse, SlackClientError> {
        self.session().auth_test().await
    }

    /// Posts a message and returns its `ts`.
    pub async fn post(&self, p: Post) -> Result<String, DeliveryError> {
        self.allowance(&p.channel).await;
        let mut content = SlackMessageContent::new().with_text(p.text);
        if let Some(blocks) = p.blocks {
            content = content.with_blocks(blocks);
        }
        let mut req = SlackApiChatPostMessageRequest::new(p.channel.into(), content)
            .with_link_names(false)
            .with_unfurl_links(false)
            .with_unfurl_media(false);
        if let Some(t) = p.thread_ts {
            req = req.with_thread_ts(t.into());
        }
        if let Some(u) = p.username {
            req = req.with_username(u);
        }
        if let Some(i) = p.icon_url {
            req = req.with_icon_url(i);
        }
        let resp = self
            .session()
            .chat_post_message(&req)
            .await
            .map_err(delivery_error)?;
        Ok(resp.ts.0)
    }

    pub async fn update(
        &self,
        channel: &str,
        ts: &str,
        text: String,
        blocks: Vec<SlackBlock>,
    ) -> Result<(), DeliveryError> {
        self.workspace.until_ready().await;
        let content = SlackMessageContent::new()
            .with_text(text)
            .with_blocks(blocks);
        let req = SlackApiChatUpdateRequest::new(channel.into(), content, ts.into())
            .with_link_names(false);
        self.session()
            .chat_update(&req)
            .await
            .map_err(delivery_error)?;
        Ok(())
    }

    pub async fn react(&self, channel: &str, ts: &str, name: &str) -> Result<(), DeliveryError> {
        self.workspace.until_ready().await;
        let req = SlackApiReactionsAddRequest::new(
            channel.into(),
            SlackReactionName(name.to_owned()),
            ts.into(),
        );
        match self.session().reactions_add(&req).await {
            Ok(_) => Ok(()),
            // Retried after a crash: the mark is already there.
            Err(SlackClientError::ApiError(a)) if a.code == "already_reacted" => Ok(()),
            Err(e) => Err(delivery_error(e)),
        }
    }

    /// An answer only `user` sees.
    pub async fn ephemeral(
        &self,
        channel: &str,
        user: &str,
        thread_ts: Option<&str>,
        text: String,
    ) -> Result<(), DeliveryError> {
        self.workspace.until_ready().await;
        let content = SlackMessageContent::new().with_text(text);
        let mut req = SlackApiChatPostEphemeralRequest::new(channel.into(), user.into(), content);
        if let Some(t) = thread_ts {
            req = req.with_thread_ts(t.into());
        }
        self.session()
            .chat_post_ephemeral(&req)
            .await
            .map_err(delivery_error)?;
        Ok(())
    }

    /// Everyone in a channel (following the cursor).
    pub async fn channel_members(&self, channel: &str) -> Result<Vec<String>, DeliveryError> {
        let mut out = Vec::new();
        let mut cursor: Option<SlackCursorId> = None;
        loop {
            let mut req = SlackApiConversationsMembersRequest::new()
                .with_channel(channel.into())
                .with_limit(200);
            if let Some(c) = cursor.take() {
                req = req.with_cursor(c);
            }
            let resp = self
                .session()
                .conversations_members(&req)
                .await
                .map_err(delivery_error)?;
            out.extend(resp.members.into_iter().map(|u| u.0));
            match resp
                .response_metadata
                .and_then(|m| m.next_cursor)
                .filter(|c| !c.0.is_empty())
            {
                Some(c) => cursor = Some(c),
                None => return Ok(out),
            }
        }
    }

    pub async fn invite(&self, channel: &str, users: &[String]) -> Result<(), DeliveryError> {
        let users = users.iter().map(|u| SlackUserId(u.clone())).collect();
        let req = SlackApiConversationsInviteRequest::new(channel.into(), users);
        self.session()
            .conversations_invite(&req)
            .await
            .map_err(delivery_error)?;
        Ok(())
    }

    pub async fn kick(&self, channel: &str, user: &str) -> Result<(), DeliveryError> {
        let req = SlackApiConversationsKickRequest::new(channel.into(), user.into());
        self.session()
            .conversations_kick(&req)
            .await
            .map_err(delivery_error)?;
        Ok(())
    }

    /// The display name and avatar of a user.
    pub async fn user(&self, id: &str) -> Result<(String, Option<String>), DeliveryError> {
        let resp = self
            .session()
            .users_info(&SlackApiUsersInfoRequest::new(id.into()))
            .await
            .map_err(delivery_error)?;
        let u = resp.user;
        let profile = u.profile.as_ref();
        let name = profile
            .and_then(|p| p.real_name.clone().filter(|n| !n.is_empty()))
            .or(u.real_name.clone().filter(|n| !n.is_empty()))
            .or_else(|| profile.and_then(|p| p.display_name.clone().filter(|n| !n.is_empty())))
            .or(u.name.clone())
            .unwrap_or_else(|| id.to_owned());
        let avatar = profile
            .and_then(|p| p.icon.as_ref())
            .and_then(|i| i.images.as_ref())
            .and_then(|imgs| {
                imgs.resolutions
                    .iter()
                    .max_by_key(|(r, _)| *r)
                    .map(|(_, url)| url.clone())
            });
        Ok((name, avatar))
    }
}
