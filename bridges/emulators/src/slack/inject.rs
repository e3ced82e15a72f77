//! What users do: messages, mentions, clicks, slash commands and file uploads.

use serde_json::{Map, Value};

use super::delivery::{Kind, Push};
use super::events::{self, Click};
use super::payloads;
use super::state::{ResponseTarget, State, random_hex};
use super::{EmulatorError, Message, SlackEmulator, files};

fn not_found(what: String) -> EmulatorError {
    EmulatorError::NotFound(what)
}

/// Checks that `user` may write in `channel` and stores a message; returns the message
/// and its `message` event.
fn post_as_user(
    st: &mut State,
    user: &str,
    channel: &str,
    thread_ts: Option<&str>,
    text: &str,
    files: Vec<super::FileInfo>,
) -> Result<(Message, Value), EmulatorError> {
    if !st.users.contains_key(user) {
        return Err(not_found(format!("user {user}")));
    }
    let ch = st
        .channels
        .get(channel)
        .ok_or_else(|| not_found(format!("channel {channel}")))?;
    if !ch.has(user) {
        return Err(not_found(format!("user {user} in channel {channel}")));
    }
    let thread_ts = match thread_ts {
        None => None,
        Some(t) => Some(
            st.thread_root(channel, t)
                .ok_or_else(|| not_found(format!("thread {t} in channel {channel}")))?,
        ),
    };
    let parent_user = thread_ts
        .as_ref()
        .and_then(|t| st.message(channel, t))
        .and_then(|m| m.user.clone());
    let ts = st.next_ts();
    let msg = Message {
        ts,
        thread_ts,
        user: Some(user.to_string()),
        bot_id: None,
        username: None,
        icon_url: None,
        text: text.to_string(),
        blocks: if files.is_empty() || !text.is_empty() {
            payloads::rich_text(text)
        } else {
            Value::Null
        },
        metadata: None,
        reactions: Vec::new(),
        edited: 0,
        files,
    };
    let ev = match st.channels.get(channel) {
        Some(ch) => events::user_message_event(&msg, ch, parent_user.as_deref()),
        None => return Err(not_found(format!("channel {channel}"))),
    };
    st.store(channel, msg.clone());
    Ok((msg, ev))
}

impl SlackEmulator {
    /// A user types a message (in a thread when `thread_ts` is set); returns its ts once
    /// the app acknowledged the `message` event.
    pub async fn user_message(
        &self,
        user: &str,
        channel: &str,
        thread_ts: Option<&str>,
        text: &str,
    ) -> Result<String, EmulatorError> {
        let once = (1, std::time::Duration::ZERO);
        self.user_message_until_acked(user, channel, thread_ts, text, once)
            .await
            .map(|(ts, _)| ts)
    }

    /// Like [`Self::user_message`], but the event is delivered again until the app
    /// acknowledges it (see `push_until_acked`), at most `attempts` times, `pause` apart;
    /// returns the message's ts and how many deliveries it took.
    pub async fn user_message_until_acked(
        &self,
        user: &str,
        channel: &str,
        thread_ts: Option<&str>,
        text: &str,
        (attempts, pause): (u32, std::time::Duration),
    ) -> Result<(String, u32), EmulatorError> {
        let (msg, ev) = post_as_user(
            &mut self.inner.state(),
            user,
            channel,
            thread_ts,
            text,
            Vec::new(),
        )?;
        let (_, deliveries) = self
            .push_until_acked(Push::event(ev), attempts, pause)
            .await?;
        Ok((msg.ts, deliveries))
    }

    /// A user mentions the bot (`text` should contain `<@UBOT>`): pushes the `message`
    /// event (see [`super::SlackEmulatorConfig::mention_also_pushes_message`]), then the
    /// `app_mention` event; returns the message's ts.
    pub async fn mention(
        &self,
        user: &str,
        channel: &str,
        thread_ts: Option<&str>,
        text: &str,
    ) -> Result<String, EmulatorError> {
        let (msg, ev, mention) = {
            let mut st = self.inner.state();
            let (msg, ev) = post_as_user(&mut st, user, channel, thread_ts, text, Vec::new())?;
            let ch = st
                .channels
                .get(channel)
                .ok_or_else(|| not_found(format!("channel {channel}")))?;
            let mention = events::app_mention_event(&msg, ch);
            (msg, ev, mention)
        };
        if self.inner.config.mention_also_pushes_message {
            self.push_new(Push::event(ev)).await?;
        }
        self.push_new(Push::event(mention)).await?;
        Ok(msg.ts)
    }

    /// A user clicks the element `action_id` of a stored message; returns the ack payload.
    pub async fn click(
        &self,
        user: &str,
        channel: &str,
        message_ts: &str,
        action_id: &str,
        value: &str,
    ) -> Result<Value, EmulatorError> {
        let payload = {
            let mut st = self.inner.state();
            let action_ts = st.next_ts();
            let rid = random_hex(24);
            let response_url = format!("{}/response/{rid}", self.inner.base_url());
            let u = st
                .users
                .get(user)
                .ok_or_else(|| not_found(format!("user {user}")))?;
            let ch = st
                .channels
                .get(channel)
                .ok_or_else(|| not_found(format!("channel {channel}")))?;
            if !ch.has(user) {
                return Err(not_found(format!("user {user} in channel {channel}")));
            }
            let msg = st
                .message(channel, message_ts)
                .ok_or_else(|| not_found(format!("message {message_ts} in {channel}")))?;
            let (block_id, element) =
                events::find_action(&msg.blocks, action_id).ok_or_else(|| {
                    not_found(format!("action_id {action_id} in message {message_ts}"))
                })?;
            let thread_ts = msg.thread_ts.clone();
            let message = payloads::message_json(msg, st.thread_info(channel, message_ts));
            let payload = events::block_actions(&Click {
                user: u,
                ch,
                message,
                message_ts,
                thread_ts: thread_ts.as_deref(),
                block_id,
                element,
                action_id,
                value,
                action_ts,
                response_url,
            });
            let target = ResponseTarget {
                channel: channel.to_string(),
                user: user.to_string(),
                message_ts: Some(message_ts.to_string()),
                thread_ts,
            };
            st.response_urls.insert(rid, target);
            payload
        };
        self.push_new(Push {
            kind: Kind::Interactive,
            payload,
        })
        .await
    }

    /// A user runs a slash command in a channel; returns the ack payload (Socket Mode
    /// `payload`, or the HTTP answer), e.g. `{"response_type":"ephemeral","text":"…"}`.
    pub async fn slash_command(
        &self,
        user: &str,
        channel: &str,
        command: &str,
        text: &str,
    ) -> Result<Value, EmulatorError> {
        let payload = {
            let mut st = self.inner.state();
            let rid = random_hex(24);
            let response_url = format!("{}/response/{rid}", self.inner.base_url());
            let u = st
                .users
                .get(user)
                .ok_or_else(|| not_found(format!("user {user}")))?;
            let ch = st
                .channels
                .get(channel)
                .ok_or_else(|| not_found(format!("channel {channel}")))?;
            if !ch.has(user) {
                return Err(not_found(format!("user {user} in channel {channel}")));
            }
            let trigger = events::trigger_id();
            let fields = events::command_fields(u, ch, command, text, &response_url, &trigger);
            let target = ResponseTarget {
                channel: channel.to_string(),
                user: user.to_string(),
                message_ts: None,
                thread_ts: None,
            };
            st.response_urls.insert(rid, target);
            let obj: Map<String, Value> = fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), Value::String(v)))
                .collect();
            Value::Object(obj)
        };
        self.push_new(Push {
            kind: Kind::Command,
            payload,
        })
        .await
    }

    /// A user shares a file in a message (`message` event, subtype `file_share`);
    /// returns the message's ts.
    pub async fn user_upload(
        &self,
        user: &str,
        channel: &str,
        thread_ts: Option<&str>,
        name: &str,
        bytes: Vec<u8>,
    ) -> Result<String, EmulatorError> {
        let (msg, ev) = {
            let mut st = self.inner.state();
            if !st.channels.get(channel).is_some_and(|c| c.has(user)) {
                return Err(not_found(format!("user {user} in channel {channel}")));
            }
            let base = self.inner.base_url();
            let mut info = files::new_file(&mut st, &base, user, name, Some(bytes), false);
            info.channels.push(channel.to_string());
            if let Some(f) = st.file_mut(&info.id) {
                f.info.channels.push(channel.to_string());
            }
            post_as_user(&mut st, user, channel, thread_ts, "", vec![info])?
        };
        self.push_new(Push::event(ev)).await?;
        Ok(msg.ts)
    }
}
