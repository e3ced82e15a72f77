//! The Discord REST calls the bridge makes, typed: serenity's routes and builders
//! sent through [`Rest`] (which keeps the rate limits).

use handover_daemon::bridge::DeliveryError;
use serde::{Deserialize, Serialize};
use serenity::all::{
    ChannelId, CreateChannel, CreateMessage, CreateThread, CreateWebhook, CurrentUser, EditMessage,
    ExecuteWebhook, GuildChannel, GuildId, Member, Message, MessageId, ReactionType, User, UserId,
    WebhookId,
};
use serenity::http::{LightMethod, Request, Route};

use crate::rest::Rest;

/// A channel webhook the bridge made, with the token that executes it.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct RelayHook {
    pub id: WebhookId,
    pub token: String,
}

fn json(body: &impl Serialize) -> Result<Option<Vec<u8>>, DeliveryError> {
    serde_json::to_vec(body)
        .map(Some)
        .map_err(|e| DeliveryError::new(format!("Discord: cannot encode a request: {e}")))
}

impl Rest {
    pub(crate) async fn current_user(&self) -> Result<CurrentUser, DeliveryError> {
        self.fire(Request::new(Route::UserMe, LightMethod::Get))
            .await
    }

    pub(crate) async fn user(&self, user_id: UserId) -> Result<User, DeliveryError> {
        self.fire(Request::new(Route::User { user_id }, LightMethod::Get))
            .await
    }

    /// `GET /gateway`: the gateway's URL.
    pub(crate) async fn gateway_url(&self) -> Result<String, DeliveryError> {
        #[derive(Deserialize)]
        struct Gateway {
            url: String,
        }
        let g: Gateway = self
            .fire(Request::new(Route::Gateway, LightMethod::Get))
            .await?;
        Ok(g.url)
    }

    /// `GET /channels/{id}/messages?limit=`: the channel's last messages, newest first.
    pub(crate) async fn recent_messages(
        &self,
        channel_id: ChannelId,
        limit: u8,
    ) -> Result<Vec<Message>, DeliveryError> {
        let req = Request::new(Route::ChannelMessages { channel_id }, LightMethod::Get)
            .params(Some(vec![("limit", limit.to_string())]));
        self.fire(req).await
    }

    /// `GET /guilds/{id}/members/{user}` (for the roles of a message's author).
    pub(crate) async fn member(
        &self,
        guild_id: GuildId,
        user_id: UserId,
    ) -> Result<Member, DeliveryError> {
        let route = Route::GuildMember { guild_id, user_id };
        self.fire(Request::new(route, LightMethod::Get)).await
    }

    pub(crate) async fn guild_channels(
        &self,
        guild_id: GuildId,
    ) -> Result<Vec<GuildChannel>, DeliveryError> {
        self.fire(Request::new(
            Route::GuildChannels { guild_id },
            LightMethod::Get,
        ))
        .await
    }

    pub(crate) async fn create_channel(
        &self,
        guild_id: GuildId,
        create: &CreateChannel<'_>,
    ) -> Result<GuildChannel, DeliveryError> {
        let req = Request::new(Route::GuildChannels { guild_id }, LightMethod::Post);
        self.fire(req.body(json(create)?)).await
    }

    /// `PATCH /channels/{id}` with an `EditChannel` or an `EditThread`.
    pub(crate) async fn edit_channel(
        &self,
        channel_id: ChannelId,
        edit: &impl Serialize,
    ) -> Result<GuildChannel, DeliveryError> {
        let req = Request::new(Route::Channel { channel_id }, LightMethod::Patch);
        self.fire(req.body(json(edit)?)).await
    }

    /// A private thread in `channel_id`, without a starter message.
    pub(crate) async fn create_thread(
        &self,
        channel_id: ChannelId,
        create: &CreateThread<'_>,
    ) -> Result<GuildChannel, DeliveryError> {
        let req = Request::new(Route::ChannelThreads { channel_id }, LightMethod::Post);
        self.fire(req.body(json(create)?)).await
    }

    pub(crate) async fn add_thread_member(
        &self,
        channel_id: ChannelId,
        user_id: UserId,
    ) -> Result<(), DeliveryError> {
        let route = Route::ChannelThreadMember {
            channel_id,
            user_id,
        };
        self.send(Request::new(route, LightMethod::Put)).await?;
        Ok(())
    }

    pub(crate) async fn send_message(
        &self,
        channel_id: ChannelId,
        message: &CreateMessage,
    ) -> Result<Message, DeliveryError> {
        let req = Request::new(Route::ChannelMessages { channel_id }, LightMethod::Post);
        self.fire(req.body(json(message)?)).await
    }

    pub(crate) async fn edit_message(
        &self,
        channel_id: ChannelId,
        message_id: MessageId,
        edit: &EditMessage,
    ) -> Result<Message, DeliveryError> {
        let route = Route::ChannelMessage {
            channel_id,
            message_id,
        };
        let req = Request::new(route, LightMethod::Patch);
        self.fire(req.body(json(edit)?)).await
    }

    pub(crate) async fn react(
        &self,
        channel_id: ChannelId,
        message_id: MessageId,
        emoji: &str,
    ) -> Result<(), DeliveryError> {
        let reaction = ReactionType::Unicode(emoji.to_owned()).as_data();
        let route = Route::ChannelMessageReactionMe {
            channel_id,
            message_id,
            reaction: &reaction,
        };
        self.send(Request::new(route, LightMethod::Put)).await?;
        Ok(())
    }

    pub(crate) async fn create_webhook(
        &self,
        channel_id: ChannelId,
        create: &CreateWebhook<'_>,
    ) -> Result<RelayHook, DeliveryError> {
        let req = Request::new(Route::ChannelWebhooks { channel_id }, LightMethod::Post);
        self.fire(req.body(json(create)?)).await
    }

    /// Executes `hook` and waits for the message; into `thread` when given.
    pub(crate) async fn execute_webhook(
        &self,
        hook: &RelayHook,
        thread: Option<ChannelId>,
        exec: &ExecuteWebhook,
    ) -> Result<Message, DeliveryError> {
        let route = Route::WebhookWithToken {
            webhook_id: hook.id,
            token: &hook.token,
        };
        let mut params = vec![("wait", "true".to_owned())];
        if let Some(t) = thread {
            params.push(("thread_id", t.to_string()));
        }
        let req = Request::new(route, LightMethod::Post).params(Some(params));
        self.fire(req.body(json(exec)?)).await
    }
}
