//! `chat.postMessage` (rate-limited per channel), `chat.update`, `chat.postEphemeral`
//! and `reactions.add`.

use serde_json::{Value, json};

use super::delivery::Push;
use super::state::{BOT, Bucket, Channel};
use super::web_api::{Cx, Outcome};
use super::{Ephemeral, Message, SlackEmulator, events, payloads};

/// Slack's limit for `text`.
const MAX_TEXT: usize = 40_000;
/// Slack's limit of blocks per message.
const MAX_BLOCKS: usize = 50;
/// Slack's limit for a section's text.
const MAX_SECTION_TEXT: usize = 3_000;

/// The channel the bot may post to, or the error.
fn bot_channel<'a>(cx: &'a Cx<'_>, key: &str) -> Result<&'a Channel, Outcome> {
    let id =
        cx.p.str(key)
            .ok_or_else(|| Outcome::err("channel_not_found"))?;
    let ch = cx
        .st
        .channels
        .get(&id)
        .ok_or_else(|| Outcome::err("channel_not_found"))?;
    if !ch.has(BOT) {
        return Err(Outcome::err("not_in_channel"));
    }
    Ok(ch)
}

/// Text and blocks of a post, checked against Slack's limits.
fn content(cx: &Cx<'_>) -> Result<(Option<String>, Option<Value>), Outcome> {
    let text = cx.p.str("text");
    let blocks = cx.p.json("blocks");
    if text.is_none() && blocks.is_none() && cx.p.json("attachments").is_none() {
        return Err(Outcome::err("no_text"));
    }
    if text.as_ref().is_some_and(|t| t.chars().count() > MAX_TEXT) {
        return Err(Outcome::err("msg_too_long"));
    }
    if let Some(b) = &blocks {
        check_blocks(b)?;
    }
    Ok((text, blocks))
}

fn check_blocks(blocks: &Value) -> Result<(), Outcome> {
    let Some(list) = blocks.as_array() else {
        return Err(Outcome::err("invalid_blocks"));
    };
    if list.len() > MAX_BLOCKS {
        return Err(Outcome::err("invalid_blocks"));
    }
    for b in list {
        if b.get("type").and_then(Value::as_str).is_none() {
            return Err(Outcome::err("invalid_blocks"));
        }
        let section_text = b
            .get("text")
            .and_then(|t| t.get("text"))
            .and_then(Value::as_str);
        if section_text.is_some_and(|t| t.chars().count() > MAX_SECTION_TEXT) {
            return Err(Outcome::err("invalid_blocks"));
        }
    }
    Ok(())
}

pub(crate) fn post_message(cx: &mut Cx<'_>) -> Outcome {
    let channel = match bot_channel(cx, "channel") {
        Ok(ch) => ch.id.clone(),
        Err(e) => return e,
    };
    let (text, blocks) = match content(cx) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let thread_ts =
        cx.p.str("thread_ts")
            .map(|t| cx.st.thread_root(&channel, &t).unwrap_or(t));
    let cfg = &cx.inner.config;
    let bucket = cx
        .st
        .buckets
        .entry(channel.clone())
        .or_insert_with(|| Bucket::new(cfg.post_burst, cx.now));
    if !bucket.take(cx.now, cfg.post_per_second, cfg.post_burst) {
        return Outcome::rate_limited(cfg.retry_after_secs);
    }
    let ts = cx.st.next_ts();
    let msg = Message {
        ts: ts.clone(),
        thread_ts,
        user: Some(BOT.to_string()),
        bot_id: Some(SlackEmulator::BOT_ID.to_string()),
        username: cx.p.str("username"),
        icon_url: cx.p.str("icon_url"),
        text: text.unwrap_or_default(),
        blocks: blocks.unwrap_or(Value::Null),
        metadata: cx.p.json("metadata"),
        reactions: Vec::new(),
        edited: 0,
        files: Vec::new(),
    };
    let parent_user = msg
        .thread_ts
        .as_ref()
        .and_then(|t| cx.st.message(&channel, t))
        .and_then(|m| m.user.clone());
    if let Some(ch) = cx.st.channels.get(&channel) {
        let ev = events::bot_message_event(&msg, ch, parent_user.as_deref());
        cx.pushes.push(Push::event(ev));
    }
    let answer = json!({
        "channel": channel,
        "ts": ts,
        "message": payloads::message_json(&msg, None),
    });
    cx.st.store(&channel, msg);
    Outcome::ok(answer)
}

pub(crate) fn update(cx: &mut Cx<'_>) -> Outcome {
    let channel = match bot_channel(cx, "channel") {
        Ok(ch) => ch.id.clone(),
        Err(e) => return e,
    };
    let Some(ts) = cx.p.str("ts") else {
        return Outcome::err("message_not_found");
    };
    let text = cx.p.str("text");
    let blocks = cx.p.json("blocks");
    if let Some(b) = &blocks
        && let Err(e) = check_blocks(b)
    {
        return e;
    }
    if text.as_ref().is_some_and(|t| t.chars().count() > MAX_TEXT) {
        return Outcome::err("msg_too_long");
    }
    let metadata = cx.p.json("metadata");
    let event_ts = cx.st.next_ts();
    let Some(m) = cx.st.message_mut(&channel, &ts) else {
        return Outcome::err("message_not_found");
    };
    if m.bot_id.as_deref() != Some(SlackEmulator::BOT_ID) {
        return Outcome::err("cant_update_message");
    }
    let old = m.clone();
    if let Some(t) = text {
        m.text = t;
    }
    if let Some(b) = blocks {
        m.blocks = b;
    }
    if metadata.is_some() {
        m.metadata = metadata;
    }
    m.edited += 1;
    let new = m.clone();
    if let Some(ch) = cx.st.channels.get(&channel) {
        let ev = events::message_changed_event(&new, &old, ch, &event_ts);
        cx.pushes.push(Push::event(ev));
    }
    let mut message = payloads::message_json(&new, None);
    if let Some(obj) = message.as_object_mut() {
        for key in ["ts", "thread_ts", "type", "team"] {
            obj.remove(key);
        }
    }
    let mut answer = json!({"channel": channel, "ts": ts, "text": new.text, "message": message});
    if let (Some(t), Some(obj)) = (&new.thread_ts, answer.as_object_mut()) {
        obj.insert("thread_ts".to_string(), json!(t));
    }
    Outcome::ok(answer)
}

pub(crate) fn post_ephemeral(cx: &mut Cx<'_>) -> Outcome {
    let channel = match bot_channel(cx, "channel") {
        Ok(ch) => ch,
        Err(e) => return e,
    };
    let Some(user) = cx.p.str("user") else {
        return Outcome::err("user_not_found");
    };
    if !cx.st.users.contains_key(&user) {
        return Outcome::err("user_not_found");
    }
    if !channel.has(&user) {
        return Outcome::err("user_not_in_channel");
    }
    let channel = channel.id.clone();
    let (text, blocks) = match content(cx) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let thread_ts = cx.p.str("thread_ts");
    cx.st.ephemerals.push(Ephemeral {
        channel,
        user,
        text: text.unwrap_or_default(),
        blocks: blocks.unwrap_or(Value::Null),
        thread_ts,
    });
    let message_ts = cx.st.next_ts();
    Outcome::ok(json!({"message_ts": message_ts}))
}

pub(crate) fn reactions_add(cx: &mut Cx<'_>) -> Outcome {
    let channel = match bot_channel(cx, "channel") {
        Ok(ch) => ch.id.clone(),
        Err(e) => return e,
    };
    let name =
        cx.p.str("name")
            .map(|n| n.trim_matches(':').to_string())
            .unwrap_or_default();
    if name.is_empty() {
        return Outcome::err("invalid_name");
    }
    let Some(ts) = cx.p.str("timestamp") else {
        return Outcome::err("no_item_specified");
    };
    let Some(m) = cx.st.message_mut(&channel, &ts) else {
        return Outcome::err("message_not_found");
    };
    if m.reactions.contains(&name) {
        return Outcome::err("already_reacted");
    }
    m.reactions.push(name);
    Outcome::ok(json!({}))
}
