//! JSON objects of the Web API as Slack shapes them: user, channel, file, message.

use serde_json::{Value, json};

use super::state::{BOT, Channel, random_hex};
use super::{FileInfo, Message, SlackEmulator, SlackUser};

const TEAM: &str = SlackEmulator::TEAM_ID;
const APP: &str = SlackEmulator::APP_ID;
pub(crate) const TEAM_DOMAIN: &str = "emulator";
/// The (legacy) verification token Slack puts in payloads.
pub(crate) const VERIFICATION_TOKEN: &str = "emulator-verification-token";

pub(crate) fn insert(v: &mut Value, key: &str, val: Value) {
    if let Some(obj) = v.as_object_mut() {
        obj.insert(key.to_string(), val);
    }
}

pub(crate) fn user_json(u: &SlackUser) -> Value {
    let mut profile = json!({
        "real_name": u.real_name,
        "real_name_normalized": u.real_name,
        "display_name": u.name,
        "display_name_normalized": u.name,
        "team": TEAM,
        "status_text": "",
        "status_emoji": "",
    });
    for size in [24, 32, 48, 72, 192, 512] {
        // Slack always has an avatar (a generated one when the user set none).
        let img = u.image_url.clone().unwrap_or_else(|| {
            format!(
                "https://avatars.slack-edge.com/emulator/{}_{size}.png",
                u.id
            )
        });
        insert(&mut profile, &format!("image_{size}"), json!(img));
    }
    let mut user = json!({
        "id": u.id,
        "team_id": TEAM,
        "name": u.name,
        "deleted": false,
        "real_name": u.real_name,
        "tz": "Europe/Berlin",
        "tz_label": "Central European Time",
        "tz_offset": 3600,
        "profile": profile,
        "is_admin": false,
        "is_owner": false,
        "is_bot": u.is_bot,
        "is_app_user": false,
        "updated": 1_700_000_000,
    });
    if u.is_bot
        && let Some(p) = user.get_mut("profile")
    {
        insert(p, "bot_id", json!(SlackEmulator::BOT_ID));
    }
    user
}

pub(crate) fn channel_json(ch: &Channel) -> Value {
    json!({
        "id": ch.id,
        "name": ch.name,
        "name_normalized": ch.name,
        "created": ch.created,
        "creator": ch.members.first().cloned().unwrap_or_else(|| BOT.to_string()),
        "is_channel": true,
        "is_group": false,
        "is_im": false,
        "is_mpim": false,
        "is_private": ch.private,
        "is_archived": false,
        "is_general": false,
        "is_shared": false,
        "is_org_shared": false,
        "is_member": ch.has(BOT),
        "num_members": ch.members.len(),
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
        "previous_names": [],
    })
}

pub(crate) fn file_json(f: &FileInfo) -> Value {
    let filetype = f
        .name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    json!({
        "id": f.id,
        "created": 1_700_000_000,
        "timestamp": 1_700_000_000,
        "name": f.name,
        "title": f.title,
        "mimetype": f.mimetype,
        "filetype": filetype,
        "pretty_type": filetype.to_ascii_uppercase(),
        "user": f.user,
        "size": f.size,
        "mode": "hosted",
        "is_external": false,
        "external_type": "",
        "is_public": false,
        "public_url_shared": false,
        "display_as_bot": false,
        "editable": false,
        "url_private": f.url_private,
        "url_private_download": f.url_private,
        "permalink": format!("https://{TEAM_DOMAIN}.slack.com/files/{}/{}", f.user.as_deref().unwrap_or(BOT), f.id),
        "channels": f.channels,
        "groups": [],
        "ims": [],
    })
}

/// Guesses a MIME type from a file name.
pub(crate) fn mimetype(name: &str) -> String {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "txt" | "log" => "text/plain",
        "md" => "text/markdown",
        "csv" => "text/csv",
        "json" => "application/json",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
    .to_string()
}

/// A message object as the Web API returns it (`SlackMessage` / `SlackHistoryMessage`).
pub(crate) fn message_json(m: &Message, thread: Option<(usize, String, Vec<String>)>) -> Value {
    let mut v = json!({"type": "message", "ts": m.ts, "text": m.text, "team": TEAM});
    if let Some(u) = &m.user {
        insert(&mut v, "user", json!(u));
    }
    if let Some(b) = &m.bot_id {
        insert(&mut v, "bot_id", json!(b));
        insert(&mut v, "app_id", json!(APP));
        insert(&mut v, "bot_profile", bot_profile());
        if m.username.is_some() {
            insert(&mut v, "subtype", json!("bot_message"));
        }
    }
    if let Some(name) = &m.username {
        insert(&mut v, "username", json!(name));
    }
    if let Some(url) = &m.icon_url {
        insert(&mut v, "icons", json!({"image_48": url}));
    }
    if !m.blocks.is_null() {
        insert(&mut v, "blocks", m.blocks.clone());
    }
    if let Some(meta) = &m.metadata {
        insert(&mut v, "metadata", meta.clone());
    }
    if let Some(t) = &m.thread_ts {
        insert(&mut v, "thread_ts", json!(t));
    } else if let Some((count, latest, users)) = thread {
        insert(&mut v, "thread_ts", json!(m.ts));
        insert(&mut v, "reply_count", json!(count));
        insert(&mut v, "reply_users_count", json!(users.len()));
        insert(&mut v, "reply_users", json!(users));
        insert(&mut v, "latest_reply", json!(latest));
        insert(&mut v, "is_locked", json!(false));
        insert(&mut v, "subscribed", json!(false));
    }
    if !m.files.is_empty() {
        insert(
            &mut v,
            "files",
            Value::Array(m.files.iter().map(file_json).collect()),
        );
        insert(&mut v, "upload", json!(false));
        insert(&mut v, "display_as_bot", json!(false));
        if m.bot_id.is_none() {
            insert(&mut v, "subtype", json!("file_share"));
        }
    }
    if !m.reactions.is_empty() {
        let r: Vec<Value> = m
            .reactions
            .iter()
            .map(|n| json!({"name": n, "users": [BOT], "count": 1}))
            .collect();
        insert(&mut v, "reactions", Value::Array(r));
    }
    if m.edited > 0 {
        insert(&mut v, "edited", json!({"user": BOT, "ts": m.ts}));
    }
    v
}

pub(crate) fn bot_profile() -> Value {
    json!({
        "id": SlackEmulator::BOT_ID,
        "deleted": false,
        "name": SlackEmulator::BOT_NAME,
        "updated": 1_700_000_000,
        "app_id": APP,
        "user_id": BOT,
        "team_id": TEAM,
        "icons": {"image_36": "https://a.slack-edge.com/bot_36.png"},
    })
}

/// The `rich_text` block Slack derives from a typed message.
pub(crate) fn rich_text(text: &str) -> Value {
    json!([{
        "type": "rich_text",
        "block_id": random_hex(5),
        "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
    }])
}
