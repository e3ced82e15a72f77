//! JSON shapes Slack pushes: event callbacks and their events, Socket Mode frames
//! (envelopes, `hello`, `disconnect`), slash commands and `block_actions` payloads.

use serde_json::{Value, json};

use super::payloads::{TEAM_DOMAIN, VERIFICATION_TOKEN, file_json, insert, message_json};
use super::state::{BOT, Channel, random_hex, uuid};
use super::{Message, SlackEmulator, SlackUser};

const TEAM: &str = SlackEmulator::TEAM_ID;
const APP: &str = SlackEmulator::APP_ID;

/// An event callback (the Events API body, and the Socket Mode `events_api` payload).
pub(crate) fn event_callback(event: Value, event_id: &str, event_time: u64) -> Value {
    let etype = event
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("message")
        .to_string();
    let channel = event
        .get("channel")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    json!({
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM,
        "context_team_id": TEAM,
        "context_enterprise_id": null,
        "api_app_id": APP,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [{
            "enterprise_id": null,
            "team_id": TEAM,
            "user_id": BOT,
            "is_bot": true,
            "is_enterprise_install": false,
        }],
        "is_ext_shared_channel": false,
        "event_context": format!("4-{etype}-{TEAM}-{channel}"),
    })
}

/// A Socket Mode envelope.
pub(crate) fn envelope(
    kind: &str,
    envelope_id: &str,
    payload: &Value,
    accepts_response_payload: bool,
    retry_attempt: u32,
) -> Value {
    json!({
        "envelope_id": envelope_id,
        "payload": payload,
        "type": kind,
        "accepts_response_payload": accepts_response_payload,
        "retry_attempt": retry_attempt,
        "retry_reason": if retry_attempt > 0 { "timeout" } else { "" },
    })
}

/// The `message` event of a message typed (or a file shared) by a user.
pub(crate) fn user_message_event(m: &Message, ch: &Channel, parent_user: Option<&str>) -> Value {
    let user = m.user.clone().unwrap_or_default();
    let mut ev = json!({
        "type": "message",
        "text": m.text,
        "user": user,
        "ts": m.ts,
        "team": TEAM,
        "channel": ch.id,
        "event_ts": m.ts,
        "channel_type": ch.channel_type(),
    });
    if m.files.is_empty() {
        insert(&mut ev, "client_msg_id", json!(uuid()));
        insert(&mut ev, "blocks", m.blocks.clone());
    } else {
        insert(&mut ev, "subtype", json!("file_share"));
        insert(
            &mut ev,
            "files",
            Value::Array(m.files.iter().map(file_json).collect()),
        );
        insert(&mut ev, "upload", json!(false));
        insert(&mut ev, "display_as_bot", json!(false));
    }
    add_thread(&mut ev, m, parent_user);
    ev
}

fn add_thread(ev: &mut Value, m: &Message, parent_user: Option<&str>) {
    if let Some(t) = &m.thread_ts {
        insert(ev, "thread_ts", json!(t));
        if let Some(p) = parent_user {
            insert(ev, "parent_user_id", json!(p));
        }
    }
}

/// The `app_mention` event of a message that mentions the bot.
pub(crate) fn app_mention_event(m: &Message, ch: &Channel) -> Value {
    let mut ev = json!({
        "type": "app_mention",
        "client_msg_id": uuid(),
        "text": m.text,
        "user": m.user,
        "ts": m.ts,
        "team": TEAM,
        "blocks": m.blocks,
        "channel": ch.id,
        "event_ts": m.ts,
    });
    add_thread(&mut ev, m, None);
    ev
}

/// The `message` event real Slack pushes back for the app's own post.
pub(crate) fn bot_message_event(m: &Message, ch: &Channel, parent_user: Option<&str>) -> Value {
    let mut ev = message_json(m, None);
    for key in [
        "team",
        "reply_count",
        "reply_users_count",
        "reply_users",
        "latest_reply",
    ] {
        if let Some(obj) = ev.as_object_mut() {
            obj.remove(key);
        }
    }
    if m.username.is_some() {
        // A post under another name comes as a bot_message without `user`.
        if let Some(obj) = ev.as_object_mut() {
            obj.remove("user");
        }
    }
    insert(&mut ev, "channel", json!(ch.id));
    insert(&mut ev, "event_ts", json!(m.ts));
    insert(&mut ev, "channel_type", json!(ch.channel_type()));
    add_thread(&mut ev, m, parent_user);
    ev
}

/// The `message_changed` event pushed after `chat.update`.
pub(crate) fn message_changed_event(
    new: &Message,
    old: &Message,
    ch: &Channel,
    event_ts: &str,
) -> Value {
    json!({
        "type": "message",
        "subtype": "message_changed",
        "hidden": true,
        "message": message_json(new, None),
        "previous_message": message_json(old, None),
        "channel": ch.id,
        "ts": event_ts,
        "event_ts": event_ts,
        "channel_type": ch.channel_type(),
    })
}

/// Slash command fields (form fields over HTTP, a JSON object over Socket Mode).
pub(crate) fn command_fields(
    user: &SlackUser,
    ch: &Channel,
    command: &str,
    text: &str,
    response_url: &str,
    trigger_id: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("token", VERIFICATION_TOKEN.to_string()),
        ("team_id", TEAM.to_string()),
        ("team_domain", TEAM_DOMAIN.to_string()),
        ("channel_id", ch.id.clone()),
        ("channel_name", ch.name.clone()),
        ("user_id", user.id.clone()),
        ("user_name", user.name.clone()),
        ("command", command.to_string()),
        ("text", text.to_string()),
        ("api_app_id", APP.to_string()),
        ("is_enterprise_install", "false".to_string()),
        ("response_url", response_url.to_string()),
        ("trigger_id", trigger_id.to_string()),
    ]
}

pub(crate) fn trigger_id() -> String {
    format!(
        "{}.{}.{}",
        rand::random::<u32>(),
        rand::random::<u32>(),
        random_hex(32)
    )
}

/// What the clicked element looks like: (block_id, element) when found in `blocks`.
pub(crate) fn find_action(blocks: &Value, action_id: &str) -> Option<(String, Value)> {
    for block in blocks.as_array()? {
        let block_id = block.get("block_id").and_then(Value::as_str).unwrap_or("");
        let mut candidates: Vec<&Value> = Vec::new();
        if let Some(els) = block.get("elements").and_then(Value::as_array) {
            candidates.extend(els.iter());
        }
        if let Some(acc) = block.get("accessory") {
            candidates.push(acc);
        }
        for el in candidates {
            if el.get("action_id").and_then(Value::as_str) == Some(action_id) {
                let id = if block_id.is_empty() {
                    random_hex(4)
                } else {
                    block_id.to_string()
                };
                return Some((id, el.clone()));
            }
        }
    }
    None
}

pub(crate) struct Click<'a> {
    pub(crate) user: &'a SlackUser,
    pub(crate) ch: &'a Channel,
    pub(crate) message: Value,
    pub(crate) message_ts: &'a str,
    pub(crate) thread_ts: Option<&'a str>,
    pub(crate) block_id: String,
    pub(crate) element: Value,
    pub(crate) action_id: &'a str,
    pub(crate) value: &'a str,
    pub(crate) action_ts: String,
    pub(crate) response_url: String,
}

/// A `block_actions` payload for a click on a message button.
pub(crate) fn block_actions(c: &Click<'_>) -> Value {
    let mut container = json!({
        "type": "message",
        "message_ts": c.message_ts,
        "channel_id": c.ch.id,
        "is_ephemeral": false,
    });
    if let Some(t) = c.thread_ts {
        insert(&mut container, "thread_ts", json!(t));
    }
    let el_type = c
        .element
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("button");
    let mut action = json!({
        "action_id": c.action_id,
        "block_id": c.block_id,
        "value": c.value,
        "type": el_type,
        "action_ts": c.action_ts,
    });
    if let Some(text) = c.element.get("text") {
        insert(&mut action, "text", text.clone());
    }
    json!({
        "type": "block_actions",
        "user": {"id": c.user.id, "username": c.user.name, "name": c.user.name, "team_id": TEAM},
        "api_app_id": APP,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": trigger_id(),
        "team": {"id": TEAM, "domain": TEAM_DOMAIN},
        "enterprise": null,
        "is_enterprise_install": false,
        "channel": {"id": c.ch.id, "name": c.ch.name},
        "message": c.message,
        "state": {"values": {}},
        "response_url": c.response_url,
        "actions": [action],
    })
}

pub(crate) fn hello(num_connections: usize, started: &str) -> Value {
    json!({
        "type": "hello",
        "num_connections": num_connections,
        "debug_info": {
            "host": "emulator",
            "started": started,
            "build_number": 1,
            "approximate_connection_time": 3600,
        },
        "connection_info": {"app_id": APP},
    })
}

pub(crate) fn disconnect(reason: &str) -> Value {
    json!({
        "type": "disconnect",
        "reason": reason,
        "debug_info": {"host": "emulator"},
    })
}
