//! Constructors of every JSON object the emulator sends: users, members, roles,
//! channels, messages, READY, GUILD_CREATE and interactions. Each one is unit-tested by
//! deserialising it into serenity's model type, since serenity silently drops events it
//! cannot deserialise.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::DiscordEmulator;
use super::state::{Channel, Role, State, User};

const GUILD: &str = DiscordEmulator::GUILD_ID;
/// Every permission a member gets in interactions (`permissions`, `app_permissions`).
const ALL_PERMISSIONS: &str = "2251799813685247";

/// An RFC 3339 timestamp of now, as Discord writes them.
pub(crate) fn now_iso() -> String {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    iso(d.as_secs(), d.subsec_micros())
}

/// `secs` since the epoch as `YYYY-MM-DDTHH:MM:SS.ffffff+00:00`.
pub(crate) fn iso(secs: u64, micros: u32) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{micros:06}+00:00",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

pub(crate) fn user(u: &User) -> Value {
    json!({
        "id": u.id,
        "username": u.name,
        "discriminator": "0",
        "global_name": u.name,
        "avatar": u.avatar,
        "bot": u.bot,
        "public_flags": 0,
    })
}

/// A guild member with its user.
pub(crate) fn member(u: &User) -> Value {
    let mut m = partial_member(u);
    m["user"] = user(u);
    m
}

/// A member without `user` (MESSAGE_CREATE's `member`).
pub(crate) fn partial_member(u: &User) -> Value {
    json!({
        "roles": u.roles,
        "nick": null,
        "avatar": null,
        "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": false,
    })
}

pub(crate) fn role(r: &Role) -> Value {
    json!({
        "id": r.id,
        "name": r.name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
        "hoist": false,
        "icon": null,
        "unicode_emoji": null,
        "position": r.position,
        "permissions": r.permissions,
        "managed": false,
        "mentionable": false,
        "flags": 0,
    })
}

pub(crate) fn channel(c: &Channel) -> Value {
    let mut v = json!({
        "id": c.id,
        "type": c.kind,
        "guild_id": GUILD,
        "name": c.name,
        "position": c.position,
        "permission_overwrites": c.overwrites,
        "parent_id": c.parent_id,
        "nsfw": false,
        "flags": 0,
    });
    if c.kind != super::state::CATEGORY {
        v["topic"] = json!(c.topic);
        v["last_message_id"] = json!(c.last_message_id);
        v["rate_limit_per_user"] = json!(0);
    }
    if c.is_thread() {
        v["owner_id"] = json!(c.owner_id);
        v["member_count"] = json!(c.thread_members.len().min(50));
        v["message_count"] = json!(0);
        v["total_message_sent"] = json!(0);
        v["thread_metadata"] = json!({
            "archived": c.archived,
            "auto_archive_duration": 10080,
            "archive_timestamp": now_iso(),
            "locked": c.locked,
            "invitable": false,
        });
        v.as_object_mut().map(|o| o.remove("permission_overwrites"));
    }
    v
}

/// What a message is made of besides its author.
pub(crate) struct MessageParts<'a> {
    pub(crate) id: &'a str,
    pub(crate) channel_id: &'a str,
    pub(crate) author: Value,
    /// The create or execute body (`content`, `embeds`, `components`, `nonce`, `tts`).
    pub(crate) body: &'a Value,
    pub(crate) webhook_id: Option<&'a str>,
}

pub(crate) fn message(p: &MessageParts<'_>) -> Value {
    let body = p.body;
    let embeds: Vec<Value> = body["embeds"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    let mut e = e.clone();
                    if e.get("type").is_none() && e.is_object() {
                        e["type"] = json!("rich");
                    }
                    e
                })
                .collect()
        })
        .unwrap_or_default();
    let mut m = json!({
        "id": p.id,
        "channel_id": p.channel_id,
        "author": p.author,
        "content": body["content"].as_str().unwrap_or_default(),
        "timestamp": now_iso(),
        "edited_timestamp": null,
        "tts": body["tts"].as_bool().unwrap_or(false),
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        // Files the emulator stored for this message (see `files::uploads`).
        "attachments": body["attachments"]
            .as_array()
            .map(|a| a.iter().filter(|x| x["url"].is_string()).cloned().collect::<Vec<_>>())
            .unwrap_or_default(),
        "embeds": embeds,
        "components": body.get("components").cloned().unwrap_or(json!([])),
        "pinned": false,
        "type": 0,
        "flags": 0,
    });
    if let Some(nonce) = body.get("nonce").filter(|n| !n.is_null()) {
        m["nonce"] = nonce.clone();
    }
    if let Some(w) = p.webhook_id {
        m["webhook_id"] = json!(w);
    }
    m
}

/// The author of a webhook message: the webhook with the `username` override.
pub(crate) fn webhook_author(id: &str, name: &str, avatar_url: Option<&str>) -> Value {
    // Discord stores the avatar and answers its hash; a hash of the URL stands in.
    let avatar = avatar_url.map(|u| {
        let h = u.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        format!("{h:016x}{h:016x}")
    });
    json!({
        "id": id,
        "username": name,
        "discriminator": "0000",
        "global_name": null,
        "avatar": avatar,
        "bot": true,
    })
}

/// The gateway READY payload (`d`).
pub(crate) fn ready(st: &State, session_id: &str, resume_url: &str) -> Value {
    let mut me = st
        .user_json(DiscordEmulator::BOT_USER_ID)
        .unwrap_or(json!({}));
    me["verified"] = json!(true);
    me["mfa_enabled"] = json!(false);
    me["flags"] = json!(0);
    json!({
        "v": 10,
        "user": me,
        "guilds": [{"id": GUILD, "unavailable": true}],
        "session_id": session_id,
        "resume_gateway_url": resume_url,
        "shard": [0, 1],
        "application": {"id": DiscordEmulator::APPLICATION_ID, "flags": 0},
        "private_channels": [],
        "relationships": [],
    })
}

/// The gateway GUILD_CREATE payload (`d`).
pub(crate) fn guild_create(st: &State) -> Value {
    let mut channels: Vec<&Channel> = st.channels.values().filter(|c| !c.is_thread()).collect();
    channels.sort_by(|a, b| a.id.cmp(&b.id));
    let mut threads: Vec<&Channel> = st
        .channels
        .values()
        .filter(|c| c.is_thread() && !c.archived)
        .collect();
    threads.sort_by(|a, b| a.id.cmp(&b.id));
    let mut roles: Vec<&Role> = st.roles.values().collect();
    roles.sort_by(|a, b| a.id.cmp(&b.id));
    let mut users: Vec<&User> = st.users.values().collect();
    users.sort_by(|a, b| a.id.cmp(&b.id));
    let mut guild = json!({
        "id": GUILD,
        "name": "Handover Emulator",
        "icon": null,
        "icon_hash": null,
        "splash": null,
        "discovery_splash": null,
        "owner_id": DiscordEmulator::BOT_USER_ID,
        "afk_channel_id": null,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "roles": roles.iter().map(|r| role(r)).collect::<Vec<_>>(),
        "emojis": [],
        "features": [],
        "mfa_level": 0,
        "application_id": null,
        "system_channel_id": null,
        "system_channel_flags": 0,
        "rules_channel_id": null,
        "vanity_url_code": null,
        "description": null,
        "banner": null,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "public_updates_channel_id": null,
        "nsfw_level": 0,
        "stickers": [],
        "premium_progress_bar_enabled": false,
    });
    let live = json!({
        "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "large": false,
        "unavailable": false,
        "member_count": users.len(),
        "voice_states": [],
        "members": users.iter().map(|u| member(u)).collect::<Vec<_>>(),
        "channels": channels.iter().map(|c| channel(c)).collect::<Vec<_>>(),
        "threads": threads.iter().map(|c| channel(c)).collect::<Vec<_>>(),
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "safety_alerts_channel_id": null,
        "incidents_data": null,
    });
    if let (Some(g), Value::Object(l)) = (guild.as_object_mut(), live) {
        g.extend(l);
    }
    guild
}

/// Fields shared by both interaction kinds.
fn interaction_base(
    st: &State,
    id: &str,
    token: &str,
    kind: u64,
    user_id: &str,
    channel: &Channel,
) -> Value {
    let mut member = st.member_json(user_id).unwrap_or(json!({}));
    member["permissions"] = json!(ALL_PERMISSIONS);
    json!({
        "id": id,
        "application_id": DiscordEmulator::APPLICATION_ID,
        "type": kind,
        "guild_id": GUILD,
        "channel_id": channel.id,
        "channel": {"id": channel.id, "type": channel.kind, "name": channel.name, "guild_id": GUILD},
        "member": member,
        "token": token,
        "version": 1,
        "app_permissions": ALL_PERMISSIONS,
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": GUILD},
        "context": 0,
        "attachment_size_limit": 26_214_400,
    })
}

/// An application command interaction (type 2) for a chat-input command.
pub(crate) fn command_interaction(
    st: &State,
    ids: (&str, &str, &str),
    user_id: &str,
    channel: &Channel,
    name: &str,
    options: Value,
) -> Value {
    let (id, token, command_id) = ids;
    let mut v = interaction_base(st, id, token, 2, user_id, channel);
    v["data"] = json!({
        "id": command_id,
        "name": name,
        "type": 1,
        "guild_id": GUILD,
        "options": if options.is_array() { options } else { json!([]) },
    });
    v
}

/// A message component interaction (type 3) for a button click.
pub(crate) fn component_interaction(
    st: &State,
    ids: (&str, &str),
    user_id: &str,
    channel: &Channel,
    message: Value,
    custom_id: &str,
) -> Value {
    let (id, token) = ids;
    let mut v = interaction_base(st, id, token, 3, user_id, channel);
    v["message"] = message;
    v["data"] = json!({"custom_id": custom_id, "component_type": 2});
    v
}
