//! Setting the guild up (users, roles, categories, channels) and acting as users:
//! messages (MESSAGE_CREATE), slash commands and button clicks (INTERACTION_CREATE,
//! answered by the bot's callback POST).

use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::payloads::{self, MessageParts};
use super::rest_messages::gateway_message;
use super::state::{CATEGORY, Channel, PendingInteraction, Role, TEXT, User};
use super::{DiscordEmulator, EmulatorError};

impl DiscordEmulator {
    /// Adds a guild member (a human) and returns its id.
    pub fn add_user(&self, name: &str) -> String {
        let mut st = self.inner.state();
        let id = st.next_id();
        st.users.insert(
            id.clone(),
            User {
                id: id.clone(),
                name: name.to_string(),
                avatar: None,
                bot: false,
                roles: Vec::new(),
            },
        );
        id
    }

    /// Adds a role held by `members` and returns its id.
    pub fn add_role(&self, name: &str, members: &[&str]) -> String {
        let mut st = self.inner.state();
        let id = st.next_id();
        let position = u64::try_from(st.roles.len()).unwrap_or(0);
        st.roles.insert(
            id.clone(),
            Role {
                id: id.clone(),
                name: name.to_string(),
                position,
                permissions: "0".to_string(),
            },
        );
        for m in members {
            if let Some(u) = st.users.get_mut(*m) {
                u.roles.push(id.clone());
            }
        }
        id
    }

    /// Adds a category and returns its id.
    pub fn add_category(&self, name: &str) -> String {
        self.add(CATEGORY, name, None)
    }

    /// Adds a text channel (under `parent`, a category id) and returns its id.
    pub fn add_channel(&self, name: &str, parent: Option<&str>) -> String {
        self.add(TEXT, name, parent)
    }

    fn add(&self, kind: u64, name: &str, parent: Option<&str>) -> String {
        let mut st = self.inner.state();
        let id = st.next_id();
        let c = Channel::new(id.clone(), kind, name, parent.map(str::to_string));
        st.channels.insert(id.clone(), c);
        id
    }

    pub(crate) async fn wait_session(&self) -> Result<(), EmulatorError> {
        if self.wait_connected(self.inner.config.ack_timeout).await {
            Ok(())
        } else {
            Err(EmulatorError::NotConnected)
        }
    }

    /// `user` writes `content` in `channel`: stores the message and dispatches
    /// MESSAGE_CREATE (with `guild_id` and `member`). Returns the message id.
    pub async fn user_message(
        &self,
        user: &str,
        channel: &str,
        content: &str,
    ) -> Result<String, EmulatorError> {
        self.wait_session().await?;
        self.user_message_with(user, channel, content, Vec::new())
            .await
    }

    /// `user` writes `content` in `channel` whether or not the bot is connected, as
    /// Discord keeps a message written while the bot is away (and does not replay it
    /// to a new session). Returns the message id.
    pub async fn user_message_while_away(
        &self,
        user: &str,
        channel: &str,
        content: &str,
    ) -> Result<String, EmulatorError> {
        self.user_message_with(user, channel, content, Vec::new())
            .await
    }

    /// [`Self::user_message`] with `attachments` (objects as Discord sends them).
    pub(crate) async fn user_message_with(
        &self,
        user: &str,
        channel: &str,
        content: &str,
        attachments: Vec<Value>,
    ) -> Result<String, EmulatorError> {
        let event = {
            let mut st = self.inner.state();
            let author = st
                .user_json(user)
                .ok_or_else(|| EmulatorError::NotFound(format!("user {user}")))?;
            if !st.channels.contains_key(channel) {
                return Err(EmulatorError::NotFound(format!("channel {channel}")));
            }
            let id = st.next_id();
            let body = json!({"content": content});
            let msg = payloads::message(&MessageParts {
                id: &id,
                channel_id: channel,
                author,
                body: &body,
                webhook_id: None,
            });
            let mut msg = msg;
            msg["attachments"] = Value::Array(attachments);
            let msg = st.store_message(channel, msg);
            gateway_message(&st, &msg)
        };
        let id = event["id"].as_str().unwrap_or_default().to_string();
        self.inner.gateway.dispatch("MESSAGE_CREATE", event);
        Ok(id)
    }

    /// `user` runs `/name` with `options` (the interaction's `data.options` array) in
    /// `channel`. Returns the bot's callback body (`{"type": …, "data": …}`).
    pub async fn slash_command(
        &self,
        user: &str,
        channel: &str,
        name: &str,
        options: Value,
    ) -> Result<Value, EmulatorError> {
        self.interact(user, channel, |st, ids, c| {
            let command_id = st
                .commands
                .iter()
                .find(|c| c["name"] == name)
                .and_then(|c| c["id"].as_str().map(str::to_string))
                .unwrap_or_else(|| st.next_id());
            Ok(payloads::command_interaction(
                st,
                (ids.0, ids.1, &command_id),
                user,
                c,
                name,
                options,
            ))
        })
        .await
    }

    /// `user` clicks the button `custom_id` on `message_id`. Returns the bot's callback.
    pub async fn click(
        &self,
        user: &str,
        channel: &str,
        message_id: &str,
        custom_id: &str,
    ) -> Result<Value, EmulatorError> {
        self.interact(user, channel, |st, ids, c| {
            let msg = st
                .messages
                .get(message_id)
                .filter(|m| m.channel_id == channel)
                .map(|m| m.json.clone())
                .ok_or_else(|| EmulatorError::NotFound(format!("message {message_id}")))?;
            Ok(payloads::component_interaction(
                st, ids, user, c, msg, custom_id,
            ))
        })
        .await
    }

    /// Dispatches an INTERACTION_CREATE built by `make` and waits for its callback.
    async fn interact(
        &self,
        user: &str,
        channel: &str,
        make: impl FnOnce(
            &mut super::state::State,
            (&str, &str),
            &Channel,
        ) -> Result<Value, EmulatorError>,
    ) -> Result<Value, EmulatorError> {
        self.wait_session().await?;
        let (tx, rx) = oneshot::channel();
        let event = {
            let mut st = self.inner.state();
            if !st.users.contains_key(user) {
                return Err(EmulatorError::NotFound(format!("user {user}")));
            }
            let c = st
                .channels
                .get(channel)
                .cloned()
                .ok_or_else(|| EmulatorError::NotFound(format!("channel {channel}")))?;
            let id = st.next_id();
            let token = st.token();
            let event = make(&mut st, (&id, &token), &c)?;
            st.interactions.insert(
                id,
                PendingInteraction {
                    token,
                    channel_id: channel.to_string(),
                    tx: Some(tx),
                    original: None,
                },
            );
            event
        };
        self.inner.gateway.dispatch("INTERACTION_CREATE", event);
        match tokio::time::timeout(self.inner.config.ack_timeout, rx).await {
            Ok(Ok(v)) => Ok(v),
            _ => Err(EmulatorError::Timeout),
        }
    }
}
