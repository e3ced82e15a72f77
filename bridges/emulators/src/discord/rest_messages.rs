//! Message routes (create with nonce/enforce_nonce, edit, get, list, delete, reactions),
//! webhook execution, interaction callbacks and follow-ups, and application commands.

use serde_json::{Value, json};

use super::payloads::{self, MessageParts};
use super::rest::{Ctx, Outcome};
use super::state::{BOT, CATEGORY, State};
use super::{Callback, DiscordEmulator};

/// Discord's content limit.
pub(crate) const CONTENT_LIMIT: usize = 2000;

pub(crate) fn handle(st: &mut State, ctx: &Ctx<'_>, method: &str, segs: &[&str]) -> Outcome {
    let body = ctx.body;
    match (method, segs) {
        ("POST", ["channels", c, "messages"]) => create(st, c, body),
        ("GET", ["channels", c, "messages"]) => list(st, c, ctx.query),
        ("GET", ["channels", c, "messages", m]) => match find(st, c, m) {
            Some(v) => Outcome::ok(v),
            None => Outcome::not_found("Message", 10008),
        },
        ("PATCH", ["channels", c, "messages", m]) => edit(st, c, m, body),
        ("DELETE", ["channels", c, "messages", m]) => match st.messages.remove(*m) {
            Some(_) => Outcome::no_content().with_event(
                "MESSAGE_DELETE",
                json!({"id": m, "channel_id": c, "guild_id": DiscordEmulator::GUILD_ID}),
            ),
            None => Outcome::not_found("Message", 10008),
        },
        ("PUT", ["channels", c, "messages", m, "reactions", emoji, "@me"]) => {
            match st.messages.get_mut(*m).filter(|x| x.channel_id == *c) {
                Some(msg) => {
                    if !msg.reactions.iter().any(|r| r == emoji) {
                        msg.reactions.push((*emoji).to_string());
                    }
                    Outcome::no_content()
                }
                None => Outcome::not_found("Message", 10008),
            }
        }
        ("GET", ["channels", c, "webhooks"]) => {
            let hooks: Vec<Value> = st
                .webhooks
                .values()
                .filter(|h| h.channel_id == *c)
                .map(|h| super::rest_channels::webhook_json(st, h))
                .collect();
            Outcome::ok(json!(hooks))
        }
        ("POST", ["webhooks", id, token]) if *id == DiscordEmulator::APPLICATION_ID => {
            followup(st, token, body)
        }
        ("PATCH", ["webhooks", _, token, "messages", "@original"]) => {
            edit_original(st, token, body)
        }
        ("POST", ["webhooks", id, token]) => execute(st, id, token, ctx.query, body),
        ("PUT", ["applications", _, "guilds", _, "commands"] | ["applications", _, "commands"]) => {
            overwrite_commands(st, body)
        }
        ("GET", ["applications", _, "guilds", _, "commands"] | ["applications", _, "commands"]) => {
            Outcome::ok(json!(st.commands))
        }
        ("POST", ["interactions", id, token, "callback"]) => callback(st, id, token, body),
        _ => Outcome::error(404, 0, "404: Not Found"),
    }
}

fn find(st: &State, channel: &str, id: &str) -> Option<Value> {
    st.messages
        .get(id)
        .filter(|m| m.channel_id == channel)
        .map(|m| m.json.clone())
}

/// Checks content length and emptiness of a create or edit body.
fn validate(body: &Value, create: bool) -> Result<(), Outcome> {
    let content = body["content"].as_str().unwrap_or_default();
    if content.chars().count() > CONTENT_LIMIT {
        return Err(Outcome::invalid(
            "content",
            "BASE_TYPE_MAX_LENGTH",
            "Must be 2000 or fewer in length.",
        ));
    }
    let empty = |k: &str| body[k].as_array().is_none_or(Vec::is_empty);
    if create && content.is_empty() && empty("embeds") && empty("components") {
        return Err(Outcome::error(400, 50006, "Cannot send an empty message"));
    }
    Ok(())
}

/// Checks that a message can be posted in `channel`.
fn postable(st: &State, channel: &str) -> Result<(), Outcome> {
    match st.channels.get(channel) {
        None => Err(Outcome::not_found("Channel", 10003)),
        Some(c) if c.kind == CATEGORY => Err(Outcome::error(
            400,
            50008,
            "Cannot send messages in a non-text channel",
        )),
        Some(c) if c.archived => Err(Outcome::error(400, 50083, "Thread is archived")),
        Some(_) => Ok(()),
    }
}

/// The MESSAGE_CREATE/UPDATE payload of a stored message: with `guild_id` and, for
/// non-webhook authors, `member`.
pub(crate) fn gateway_message(st: &State, msg: &Value) -> Value {
    let mut ev = msg.clone();
    ev["guild_id"] = json!(DiscordEmulator::GUILD_ID);
    if msg.get("webhook_id").is_none()
        && let Some(u) = msg["author"]["id"].as_str().and_then(|id| st.users.get(id))
    {
        ev["member"] = payloads::partial_member(u);
    }
    ev
}

/// Stores a new message by `author` and returns it with its MESSAGE_CREATE.
pub(crate) fn post(
    st: &mut State,
    channel: &str,
    author: Value,
    body: &Value,
    webhook_id: Option<&str>,
) -> Outcome {
    let id = st.next_id();
    let msg = payloads::message(&MessageParts {
        id: &id,
        channel_id: channel,
        author,
        body,
        webhook_id,
    });
    let msg = st.store_message(channel, msg);
    let ev = gateway_message(st, &msg);
    Outcome::ok(msg).with_event("MESSAGE_CREATE", ev)
}

/// `POST /channels/{id}/messages`.
fn create(st: &mut State, channel: &str, body: &Value) -> Outcome {
    if let Err(o) = postable(st, channel).and_then(|()| validate(body, true)) {
        return o;
    }
    let nonce = match &body["nonce"] {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    if body["enforce_nonce"].as_bool() == Some(true)
        && let Some(n) = &nonce
        && let Some(existing) = st
            .nonces
            .get(&(channel.to_string(), n.clone()))
            .and_then(|id| find(st, channel, id))
    {
        return Outcome::ok(existing);
    }
    let author = st.user_json(BOT).unwrap_or(json!({}));
    let out = post(st, channel, author, body, None);
    if let (Some(n), Some(id)) = (nonce, out.body.as_ref().and_then(|b| b["id"].as_str())) {
        st.nonces.insert((channel.to_string(), n), id.to_string());
    }
    out
}

/// `GET /channels/{id}/messages?limit=` newest first.
fn list(st: &State, channel: &str, query: &str) -> Outcome {
    if !st.channels.contains_key(channel) {
        return Outcome::not_found("Channel", 10003);
    }
    let limit = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("limit="))
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(50)
        .clamp(1, 100);
    let mut msgs = st.channel_messages(channel);
    msgs.reverse();
    let out: Vec<Value> = msgs.into_iter().take(limit).map(|m| m.json).collect();
    Outcome::ok(json!(out))
}

/// Applies an edit body to a stored message and returns it with its MESSAGE_UPDATE.
fn apply_edit(st: &mut State, id: &str, body: &Value) -> Outcome {
    if let Err(o) = validate(body, false) {
        return o;
    }
    let Some(m) = st.messages.get_mut(id) else {
        return Outcome::not_found("Message", 10008);
    };
    for key in ["content", "embeds", "components", "flags"] {
        if let Some(v) = body.get(key).filter(|v| !v.is_null()) {
            m.json[key] = v.clone();
        }
    }
    m.json["edited_timestamp"] = json!(payloads::now_iso());
    let msg = m.json.clone();
    let ev = gateway_message(st, &msg);
    Outcome::ok(msg).with_event("MESSAGE_UPDATE", ev)
}

/// `PATCH /channels/{id}/messages/{mid}`.
fn edit(st: &mut State, channel: &str, id: &str, body: &Value) -> Outcome {
    if find(st, channel, id).is_none() {
        return Outcome::not_found("Message", 10008);
    }
    apply_edit(st, id, body)
}

/// `POST /webhooks/{id}/{token}[?wait=true][&thread_id=]`.
fn execute(st: &mut State, id: &str, token: &str, query: &str, body: &Value) -> Outcome {
    let Some(hook) = st.webhooks.get(id).filter(|h| h.token == token) else {
        return Outcome::not_found("Webhook", 10015);
    };
    let param = |k: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(k).and_then(|r| r.strip_prefix('=')))
    };
    let channel = param("thread_id").map_or_else(|| hook.channel_id.clone(), str::to_string);
    let name = body["username"]
        .as_str()
        .map_or_else(|| hook.name.clone(), str::to_string);
    let author = payloads::webhook_author(id, &name, body["avatar_url"].as_str());
    if let Err(o) = postable(st, &channel).and_then(|()| validate(body, true)) {
        return o;
    }
    let out = post(st, &channel, author, body, Some(id));
    if param("wait") == Some("true") {
        out
    } else {
        Outcome {
            status: 204,
            body: None,
            ..out
        }
    }
}

/// `POST /interactions/{id}/{token}/callback`.
fn callback(st: &mut State, id: &str, token: &str, body: &Value) -> Outcome {
    let Some(channel) = st
        .interactions
        .get(id)
        .filter(|p| p.token == token)
        .map(|p| p.channel_id.clone())
    else {
        return Outcome::not_found("interaction", 10062);
    };
    if st.callbacks.iter().any(|c| c.interaction_id == id) {
        return Outcome::error(400, 40060, "Interaction has already been acknowledged.");
    }
    let kind = body["type"].as_u64().unwrap_or(0);
    let data = body.get("data").cloned().unwrap_or(Value::Null);
    st.callbacks.push(Callback {
        interaction_id: id.to_string(),
        token: token.to_string(),
        kind,
        data: data.clone(),
    });
    let mut out = Outcome::no_content();
    let ephemeral = data["flags"].as_u64().is_some_and(|f| f & 64 != 0);
    if kind == 4 && !ephemeral {
        let author = st.user_json(BOT).unwrap_or(json!({}));
        let posted = post(st, &channel, author, &data, None);
        if let Some(mid) = posted.body.as_ref().and_then(|b| b["id"].as_str())
            && let Some(p) = st.interactions.get_mut(id)
        {
            p.original = Some(mid.to_string());
        }
        out.events = posted.events;
    }
    if let Some(tx) = st.interactions.get_mut(id).and_then(|p| p.tx.take()) {
        let _ = tx.send(body.clone());
    }
    out
}

/// `POST /webhooks/{application}/{interaction token}`: a follow-up message.
fn followup(st: &mut State, token: &str, body: &Value) -> Outcome {
    let Some(channel) = st
        .interactions
        .values()
        .find(|p| p.token == token)
        .map(|p| p.channel_id.clone())
    else {
        return Outcome::not_found("Webhook", 10015);
    };
    if let Err(o) = validate(body, true) {
        return o;
    }
    let author = st.user_json(BOT).unwrap_or(json!({}));
    post(
        st,
        &channel,
        author,
        body,
        Some(DiscordEmulator::APPLICATION_ID),
    )
}

/// `PATCH /webhooks/{application}/{token}/messages/@original`.
fn edit_original(st: &mut State, token: &str, body: &Value) -> Outcome {
    let Some((channel, original)) = st
        .interactions
        .values()
        .find(|p| p.token == token)
        .map(|p| (p.channel_id.clone(), p.original.clone()))
    else {
        return Outcome::not_found("Webhook", 10015);
    };
    match original {
        Some(mid) => apply_edit(st, &mid, body),
        // After a deferred response the edit creates the original message.
        None => {
            let author = st.user_json(BOT).unwrap_or(json!({}));
            let out = post(
                st,
                &channel,
                author,
                body,
                Some(DiscordEmulator::APPLICATION_ID),
            );
            let mid = out
                .body
                .as_ref()
                .and_then(|b| b["id"].as_str())
                .map(str::to_string);
            if let Some(p) = st.interactions.values_mut().find(|p| p.token == token) {
                p.original = mid;
            }
            out
        }
    }
}

/// `PUT /applications/{app}/guilds/{guild}/commands` (and the global variant).
fn overwrite_commands(st: &mut State, body: &Value) -> Outcome {
    let Some(list) = body.as_array() else {
        return Outcome::invalid("_root", "BASE_TYPE_ARRAY", "Must be an array.");
    };
    let mut out = Vec::new();
    for c in list {
        let Some(name) = c["name"].as_str() else {
            return Outcome::invalid("name", "BASE_TYPE_REQUIRED", "This field is required");
        };
        let id = st
            .commands
            .iter()
            .find(|old| old["name"] == name)
            .and_then(|old| old["id"].as_str().map(str::to_string))
            .unwrap_or_else(|| st.next_id());
        let version = st.next_id();
        let mut cmd = c.clone();
        cmd["id"] = json!(id);
        cmd["application_id"] = json!(DiscordEmulator::APPLICATION_ID);
        cmd["guild_id"] = json!(DiscordEmulator::GUILD_ID);
        cmd["version"] = json!(version);
        for (k, v) in [
            ("type", json!(1)),
            ("description", json!("")),
            ("options", json!([])),
        ] {
            if cmd.get(k).is_none_or(Value::is_null) {
                cmd[k] = v;
            }
        }
        cmd["nsfw"] = json!(cmd["nsfw"].as_bool().unwrap_or(false));
        out.push(cmd);
    }
    st.commands = out.clone();
    Outcome::ok(json!(out))
}
