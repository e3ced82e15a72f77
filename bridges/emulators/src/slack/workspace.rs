//! `auth.test`, `apps.connections.open`, `users.info` and the `conversations.*` methods.

use serde_json::{Value, json};

use super::SlackEmulator;
use super::payloads::{self, TEAM_DOMAIN};
use super::state::{BOT, Channel, random_hex};
use super::web_api::{Cx, Outcome};

pub(crate) fn api_test(cx: &mut Cx<'_>) -> Outcome {
    Outcome::ok(json!({"args": cx.p.value()}))
}

pub(crate) fn auth_test(_cx: &mut Cx<'_>) -> Outcome {
    Outcome::ok(json!({
        "url": format!("https://{TEAM_DOMAIN}.slack.com/"),
        "team": "Emulator",
        "user": SlackEmulator::BOT_NAME,
        "team_id": SlackEmulator::TEAM_ID,
        "user_id": BOT,
        "bot_id": SlackEmulator::BOT_ID,
        "is_enterprise_install": false,
    }))
}

pub(crate) fn connections_open(cx: &mut Cx<'_>) -> Outcome {
    let ticket = random_hex(24);
    cx.st.tickets.insert(ticket.clone());
    Outcome::ok(json!({
        "url": format!("ws://{}/socket?ticket={ticket}&app_id={}", cx.inner.addr, SlackEmulator::APP_ID),
    }))
}

pub(crate) fn users_info(cx: &mut Cx<'_>) -> Outcome {
    match cx.p.str("user").and_then(|u| cx.st.users.get(&u)) {
        Some(u) => Outcome::ok(json!({"user": payloads::user_json(u)})),
        None => Outcome::err("user_not_found"),
    }
}

/// A channel the bot can see: public channels always, private ones when a member.
fn visible<'a>(cx: &'a Cx<'_>) -> Result<&'a Channel, Outcome> {
    let ch =
        cx.p.str("channel")
            .and_then(|id| cx.st.channels.get(&id))
            .ok_or_else(|| Outcome::err("channel_not_found"))?;
    if ch.private && !ch.has(BOT) {
        return Err(Outcome::err("channel_not_found"));
    }
    Ok(ch)
}

pub(crate) fn conversations_info(cx: &mut Cx<'_>) -> Outcome {
    match visible(cx) {
        Ok(ch) => Outcome::ok(json!({"channel": payloads::channel_json(ch)})),
        Err(e) => e,
    }
}

pub(crate) fn conversations_members(cx: &mut Cx<'_>) -> Outcome {
    let ch = match visible(cx) {
        Ok(ch) => ch,
        Err(e) => return e,
    };
    let limit =
        cx.p.str("limit")
            .and_then(|l| l.parse::<usize>().ok())
            .filter(|l| *l > 0)
            .unwrap_or(100);
    let start =
        cx.p.str("cursor")
            .and_then(|c| {
                c.strip_prefix("offset:")
                    .and_then(|o| o.parse::<usize>().ok())
            })
            .unwrap_or(0);
    let page: Vec<&String> = ch.members.iter().skip(start).take(limit).collect();
    let next = if start + page.len() < ch.members.len() {
        format!("offset:{}", start + page.len())
    } else {
        String::new()
    };
    Outcome::ok(json!({"members": page, "response_metadata": {"next_cursor": next}}))
}

/// The channel the bot may manage (it must be a member), or the error.
fn managed(cx: &Cx<'_>) -> Result<String, Outcome> {
    let ch =
        cx.p.str("channel")
            .and_then(|id| cx.st.channels.get(&id))
            .ok_or_else(|| Outcome::err("channel_not_found"))?;
    if !ch.has(BOT) {
        let code = if ch.private {
            "channel_not_found"
        } else {
            "not_in_channel"
        };
        return Err(Outcome::err(code));
    }
    Ok(ch.id.clone())
}

pub(crate) fn conversations_invite(cx: &mut Cx<'_>) -> Outcome {
    let id = match managed(cx) {
        Ok(id) => id,
        Err(e) => return e,
    };
    let users = cx.p.list("users");
    if users.is_empty() {
        return Outcome::err("no_user");
    }
    if users.iter().any(|u| u == BOT) {
        return Outcome::err("cant_invite_self");
    }
    if users.iter().any(|u| !cx.st.users.contains_key(u)) {
        return Outcome::err("user_not_found");
    }
    let Some(ch) = cx.st.channels.get_mut(&id) else {
        return Outcome::err("channel_not_found");
    };
    let new: Vec<String> = users.into_iter().filter(|u| !ch.has(u)).collect();
    if new.is_empty() {
        return Outcome::err("already_in_channel");
    }
    ch.members.extend(new);
    let channel: Value = payloads::channel_json(ch);
    Outcome::ok(json!({"channel": channel}))
}

pub(crate) fn conversations_kick(cx: &mut Cx<'_>) -> Outcome {
    let id = match managed(cx) {
        Ok(id) => id,
        Err(e) => return e,
    };
    let Some(user) = cx.p.str("user") else {
        return Outcome::err("user_not_found");
    };
    if user == BOT {
        return Outcome::err("cant_kick_self");
    }
    if !cx.st.users.contains_key(&user) {
        return Outcome::err("user_not_found");
    }
    let Some(ch) = cx.st.channels.get_mut(&id) else {
        return Outcome::err("channel_not_found");
    };
    if !ch.has(&user) {
        return Outcome::err("not_in_channel");
    }
    ch.members.retain(|m| *m != user);
    Outcome::ok(json!({}))
}
