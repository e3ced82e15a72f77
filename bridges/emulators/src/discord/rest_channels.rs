//! Channel routes: create (with the 50-per-category check), modify, delete, permission
//! overwrites, private threads and their members, and webhook creation.

use serde_json::{Value, json};

use super::rest::Outcome;
use super::state::{BOT, CATEGORY, Channel, PRIVATE_THREAD, PUBLIC_THREAD, State, TEXT, Webhook};
use super::{DiscordEmulator, payloads};

/// Discord's limit of channels under one category.
pub(crate) const CATEGORY_LIMIT: usize = 50;

/// A permission bit set from a JSON string or number, as a string.
fn bits(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => "0".to_string(),
    }
}

/// An overwrite as Discord answers it.
pub(crate) fn overwrite(id: &str, v: &Value) -> Value {
    json!({
        "id": id,
        "type": v["type"].as_u64().unwrap_or(0),
        "allow": bits(&v["allow"]),
        "deny": bits(&v["deny"]),
    })
}

/// Checks that `parent` is a category with room for one more channel.
fn check_parent(st: &State, parent: &str) -> Result<(), Outcome> {
    match st.channels.get(parent) {
        Some(c) if c.kind == CATEGORY => {}
        _ => {
            return Err(Outcome::invalid(
                "parent_id",
                "CHANNEL_PARENT_INVALID",
                "Invalid parent channel",
            ));
        }
    }
    if st.children(parent) >= CATEGORY_LIMIT {
        return Err(Outcome::invalid(
            "parent_id",
            "CHANNEL_PARENT_MAX_CHANNELS",
            "Maximum number of channels in category reached (50)",
        ));
    }
    Ok(())
}

fn name_of(body: &Value) -> Result<&str, Outcome> {
    match body["name"].as_str() {
        Some(n) if !n.is_empty() && n.chars().count() <= 100 => Ok(n),
        _ => Err(Outcome::invalid(
            "name",
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 1 and 100 in length.",
        )),
    }
}

/// `POST /guilds/{guild}/channels`.
pub(crate) fn create(st: &mut State, body: &Value) -> Outcome {
    let name = match name_of(body) {
        Ok(n) => n.to_string(),
        Err(o) => return o,
    };
    let kind = body["type"].as_u64().unwrap_or(TEXT);
    if kind != TEXT && kind != CATEGORY {
        return Outcome::invalid("type", "BASE_TYPE_CHOICES", "Value must be one of {0, 4}.");
    }
    let parent = body["parent_id"].as_str().map(str::to_string);
    if let Some(p) = &parent {
        if kind == CATEGORY {
            return Outcome::invalid(
                "parent_id",
                "CHANNEL_PARENT_INVALID",
                "Categories cannot have a parent",
            );
        }
        if let Err(o) = check_parent(st, p) {
            return o;
        }
    }
    let id = st.next_id();
    let mut c = Channel::new(id.clone(), kind, &name, parent);
    c.topic = body["topic"].as_str().map(str::to_string);
    c.position = body["position"].as_u64().unwrap_or(0);
    c.overwrites = overwrites_of(&body["permission_overwrites"]);
    let json = payloads::channel(&c);
    st.channels.insert(id, c);
    Outcome::status(201, json.clone()).with_event("CHANNEL_CREATE", json)
}

fn overwrites_of(v: &Value) -> Vec<Value> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|o| Some(overwrite(&id_string(&o["id"])?, o)))
                .collect()
        })
        .unwrap_or_default()
}

/// A snowflake from a JSON string or number.
fn id_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn update_event(c: &Channel) -> &'static str {
    if c.is_thread() {
        "THREAD_UPDATE"
    } else {
        "CHANNEL_UPDATE"
    }
}

/// `PATCH /channels/{id}`: name, topic, parent_id, position, permission_overwrites,
/// and for threads archived/locked.
pub(crate) fn modify(st: &mut State, id: &str, body: &Value) -> Outcome {
    let Some(current_parent) = st.channels.get(id).map(|c| c.parent_id.clone()) else {
        return Outcome::not_found("Channel", 10003);
    };
    if body.get("name").is_some()
        && let Err(o) = name_of(body)
    {
        return o;
    }
    let new_parent = match body.get("parent_id") {
        Some(Value::String(p)) => Some(Some(p.clone())),
        Some(Value::Null) => Some(None),
        _ => None,
    };
    if let Some(Some(p)) = &new_parent
        && current_parent.as_deref() != Some(p.as_str())
        && let Err(o) = check_parent(st, p)
    {
        return o;
    }
    let Some(c) = st.channels.get_mut(id) else {
        return Outcome::not_found("Channel", 10003);
    };
    if let Some(n) = body["name"].as_str() {
        c.name = n.to_string();
    }
    if let Some(t) = body.get("topic") {
        c.topic = t.as_str().map(str::to_string);
    }
    if let Some(p) = new_parent {
        c.parent_id = p;
    }
    if let Some(p) = body["position"].as_u64() {
        c.position = p;
    }
    if body.get("permission_overwrites").is_some() {
        c.overwrites = overwrites_of(&body["permission_overwrites"]);
    }
    if c.is_thread() {
        if let Some(a) = body["archived"].as_bool() {
            c.archived = a;
        }
        if let Some(l) = body["locked"].as_bool() {
            c.locked = l;
        }
    }
    let json = payloads::channel(c);
    let event = update_event(c);
    Outcome::ok(json.clone()).with_event(event, json)
}

/// `DELETE /channels/{id}`.
pub(crate) fn delete(st: &mut State, id: &str) -> Outcome {
    match st.channels.remove(id) {
        Some(c) => {
            let json = payloads::channel(&c);
            let event = if c.is_thread() {
                "THREAD_DELETE"
            } else {
                "CHANNEL_DELETE"
            };
            Outcome::ok(json.clone()).with_event(event, json)
        }
        None => Outcome::not_found("Channel", 10003),
    }
}

/// `PUT /channels/{id}/permissions/{overwrite}`.
pub(crate) fn put_overwrite(st: &mut State, id: &str, target: &str, body: &Value) -> Outcome {
    let Some(c) = st.channels.get_mut(id) else {
        return Outcome::not_found("Channel", 10003);
    };
    let o = overwrite(target, body);
    match c.overwrites.iter_mut().find(|x| x["id"] == target) {
        Some(x) => *x = o,
        None => c.overwrites.push(o),
    }
    let json = payloads::channel(c);
    Outcome::no_content().with_event("CHANNEL_UPDATE", json)
}

/// `DELETE /channels/{id}/permissions/{overwrite}`.
pub(crate) fn delete_overwrite(st: &mut State, id: &str, target: &str) -> Outcome {
    let Some(c) = st.channels.get_mut(id) else {
        return Outcome::not_found("Channel", 10003);
    };
    c.overwrites.retain(|x| x["id"] != target);
    let json = payloads::channel(c);
    Outcome::no_content().with_event("CHANNEL_UPDATE", json)
}

/// `POST /channels/{id}/threads` (without a message; private by default).
pub(crate) fn create_thread(st: &mut State, parent: &str, body: &Value) -> Outcome {
    match st.channels.get(parent) {
        Some(c) if c.kind == TEXT => {}
        Some(_) => return Outcome::error(400, 50024, "Cannot execute action on this channel type"),
        None => return Outcome::not_found("Channel", 10003),
    }
    let name = match name_of(body) {
        Ok(n) => n.to_string(),
        Err(o) => return o,
    };
    let kind = body["type"].as_u64().unwrap_or(PRIVATE_THREAD);
    if kind != PRIVATE_THREAD && kind != PUBLIC_THREAD {
        return Outcome::invalid(
            "type",
            "BASE_TYPE_CHOICES",
            "Value must be one of {11, 12}.",
        );
    }
    let id = st.next_id();
    let mut c = Channel::new(id.clone(), kind, &name, Some(parent.to_string()));
    c.owner_id = Some(BOT.to_string());
    c.thread_members.push(BOT.to_string());
    let json = payloads::channel(&c);
    st.channels.insert(id, c);
    let mut event = json.clone();
    event["newly_created"] = json!(true);
    Outcome::status(201, json).with_event("THREAD_CREATE", event)
}

fn thread_mut<'a>(st: &'a mut State, id: &str) -> Result<&'a mut Channel, Outcome> {
    match st.channels.get_mut(id) {
        Some(c) if c.is_thread() => Ok(c),
        Some(_) => Err(Outcome::error(
            400,
            50024,
            "Cannot execute action on this channel type",
        )),
        None => Err(Outcome::not_found("Channel", 10003)),
    }
}

/// `PUT /channels/{thread}/thread-members/{user}`.
pub(crate) fn add_thread_member(st: &mut State, id: &str, user: &str) -> Outcome {
    if !st.users.contains_key(user) {
        return Outcome::not_found("User", 10013);
    }
    match thread_mut(st, id) {
        Ok(c) => {
            if c.archived {
                return Outcome::error(400, 50083, "Thread is archived");
            }
            if !c.thread_members.iter().any(|m| m == user) {
                c.thread_members.push(user.to_string());
            }
            Outcome::no_content()
        }
        Err(o) => o,
    }
}

/// `DELETE /channels/{thread}/thread-members/{user}`.
pub(crate) fn remove_thread_member(st: &mut State, id: &str, user: &str) -> Outcome {
    match thread_mut(st, id) {
        Ok(c) => {
            c.thread_members.retain(|m| m != user);
            Outcome::no_content()
        }
        Err(o) => o,
    }
}

/// `POST /channels/{id}/webhooks`.
pub(crate) fn create_webhook(st: &mut State, channel: &str, body: &Value) -> Outcome {
    if !st.channels.contains_key(channel) {
        return Outcome::not_found("Channel", 10003);
    }
    let name = match name_of(body) {
        Ok(n) => n.to_string(),
        Err(o) => return o,
    };
    let id = st.next_id();
    let token = st.token();
    let hook = Webhook {
        id: id.clone(),
        token,
        channel_id: channel.to_string(),
        name,
    };
    let json = webhook_json(st, &hook);
    st.webhooks.insert(id, hook);
    Outcome::ok(json)
}

pub(crate) fn webhook_json(st: &State, h: &Webhook) -> Value {
    json!({
        "id": h.id,
        "type": 1,
        "guild_id": DiscordEmulator::GUILD_ID,
        "channel_id": h.channel_id,
        "name": h.name,
        "avatar": null,
        "token": h.token,
        "application_id": DiscordEmulator::APPLICATION_ID,
        "user": st.user_json(BOT),
    })
}
