//! Setting the bot up in a server: the permissions it needs, what each one is for,
//! the gateway intents it uses, and the invite URL (`handover-bridge discord-invite`).
//!
//! Why these permissions (Discord's rules for the calls the bridge makes):
//!
//! - *Create Guild Channel* needs `MANAGE_CHANNELS`, and every bit allowed or denied in
//!   the new channel's permission overwrites must be a permission the bot has in the
//!   server: hence `VIEW_CHANNEL`, `SEND_MESSAGES`, `READ_MESSAGE_HISTORY`,
//!   `EMBED_LINKS` and `ADD_REACTIONS` (the bridge never puts `MANAGE_ROLES` itself in
//!   an overwrite: only server administrators may).
//! - *Edit Channel Permissions* (changing who sees an existing handover channel) needs
//!   `MANAGE_ROLES`; moving a channel to the archive category needs `MANAGE_CHANNELS`.
//! - Relaying under the end user's name goes through a channel webhook:
//!   `MANAGE_WEBHOOKS`.
//! - Private threads: *Start Thread* (type 12) needs `CREATE_PRIVATE_THREADS`, adding
//!   members needs the right to send messages in the thread
//!   (`SEND_MESSAGES_IN_THREADS`), and archiving and locking it needs `MANAGE_THREADS`.

use handover_config::{DiscordConfig, DiscordMode};
use serenity::all::{GatewayIntents, Permissions};

/// What the bot needs in `mode = "channel"`, each with the reason shown to people.
pub const CHANNEL_PERMISSIONS: &[(Permissions, &str, &str)] = &[
    (
        Permissions::VIEW_CHANNEL,
        "View Channels",
        "see the handover channels it creates (and allow it to the selected members)",
    ),
    (
        Permissions::MANAGE_CHANNELS,
        "Manage Channels",
        "create a channel per handover under the category and move it to the archive",
    ),
    (
        Permissions::MANAGE_ROLES,
        "Manage Roles (channel permissions)",
        "set and change who may see a handover channel (its permission overwrites)",
    ),
    (
        Permissions::MANAGE_WEBHOOKS,
        "Manage Webhooks",
        "post the end user's messages under their name and avatar",
    ),
    (
        Permissions::SEND_MESSAGES,
        "Send Messages",
        "post the header card, reminders, ratings and answers",
    ),
    (
        Permissions::EMBED_LINKS,
        "Embed Links",
        "show the header card as an embed",
    ),
    (
        Permissions::ATTACH_FILES,
        "Attach Files",
        "pass files on with relayed messages",
    ),
    (
        Permissions::READ_MESSAGE_HISTORY,
        "Read Message History",
        "react to members' messages (Discord requires it to add a reaction)",
    ),
    (
        Permissions::ADD_REACTIONS,
        "Add Reactions",
        "mark members' messages delivered (✅) or not (⚠️)",
    ),
];

/// What `mode = "private_thread"` needs on top of [`CHANNEL_PERMISSIONS`].
pub const THREAD_PERMISSIONS: &[(Permissions, &str, &str)] = &[
    (
        Permissions::CREATE_PRIVATE_THREADS,
        "Create Private Threads",
        "open a private thread per handover in the parent channel",
    ),
    (
        Permissions::SEND_MESSAGES_IN_THREADS,
        "Send Messages in Threads",
        "post in the threads and add the selected members to them",
    ),
    (
        Permissions::MANAGE_THREADS,
        "Manage Threads",
        "archive and lock a thread when its handover ends",
    ),
];

/// The gateway intents the bridge asks for, with the reason for each.
/// `MESSAGE_CONTENT` is privileged: it must be switched on in the Developer Portal.
pub const INTENTS: &[(GatewayIntents, &str, &str)] = &[
    (
        GatewayIntents::GUILDS,
        "GUILDS",
        "channels, threads and the server's roles",
    ),
    (
        GatewayIntents::GUILD_MESSAGES,
        "GUILD_MESSAGES",
        "members' messages in handover channels",
    ),
    (
        GatewayIntents::MESSAGE_CONTENT,
        "MESSAGE_CONTENT (privileged)",
        "the text of those messages, to relay it to the end user",
    ),
];

/// The permissions and reasons `mode` needs, in the order people read them.
pub fn permission_list(mode: DiscordMode) -> Vec<(Permissions, &'static str, &'static str)> {
    let mut list = CHANNEL_PERMISSIONS.to_vec();
    if mode == DiscordMode::PrivateThread {
        list.extend_from_slice(THREAD_PERMISSIONS);
    }
    list
}

/// Every permission the bridge needs in `mode`.
pub fn permissions(mode: DiscordMode) -> Permissions {
    permission_list(mode)
        .into_iter()
        .fold(Permissions::empty(), |all, (p, _, _)| all | p)
}

/// Every intent of [`INTENTS`].
pub fn intents() -> GatewayIntents {
    INTENTS
        .iter()
        .fold(GatewayIntents::empty(), |all, (i, _, _)| all | *i)
}

/// Why no invite URL can be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteError(pub String);

impl std::fmt::Display for InviteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InviteError {}

/// The bot invite URL for `[discord]`: the application id, the `bot` and
/// `applications.commands` scopes, and [`permissions`] of the configured mode.
pub fn invite_url(config: &DiscordConfig) -> Result<String, InviteError> {
    let id = config.application_id.trim();
    if id.is_empty() {
        return Err(InviteError(
            "discord.application_id is empty; copy the Application ID from the Developer \
             Portal (General Information) into [discord] application_id"
                .to_owned(),
        ));
    }
    let valid = (17..=20).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_digit())
        && id.parse::<u64>().is_ok_and(|n| n != 0);
    if !valid {
        return Err(InviteError(format!(
            "discord.application_id {id:?} is not a Discord id (17 to 20 digits)"
        )));
    }
    Ok(format!(
        "https://discord.com/oauth2/authorize?client_id={id}&scope=bot%20applications.commands&permissions={}",
        permissions(config.mode).bits()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(id: &str, mode: DiscordMode) -> DiscordConfig {
        DiscordConfig {
            enabled: true,
            bot_token: handover_config::Secret::new("token"),
            application_id: id.to_owned(),
            guild_id: "1000000000000000001".to_owned(),
            mode,
            category_id: String::new(),
            archive_category_id: String::new(),
            parent_channel_id: String::new(),
            members: Vec::new(),
            admins: Vec::new(),
            digest_channel_id: String::new(),
            api_url: "https://discord.com".to_owned(),
        }
    }

    #[test]
    fn channel_mode_needs_exactly_the_documented_bits() {
        // Discord's documented bit of each permission, summed by hand.
        let documented: u64 = (1 << 10) // VIEW_CHANNEL
            + (1 << 4) // MANAGE_CHANNELS
            + (1 << 28) // MANAGE_ROLES
            + (1 << 29) // MANAGE_WEBHOOKS
            + (1 << 11) // SEND_MESSAGES
            + (1 << 14) // EMBED_LINKS
            + (1 << 15) // ATTACH_FILES
            + (1 << 16) // READ_MESSAGE_HISTORY
            + (1 << 6); // ADD_REACTIONS
        assert_eq!(documented, 805_424_208);
        assert_eq!(permissions(DiscordMode::Channel).bits(), documented);
        assert!(!permissions(DiscordMode::Channel).administrator());
    }

    #[test]
    fn private_thread_mode_adds_the_thread_bits() {
        let documented: u64 = 805_424_208
            + (1 << 36) // CREATE_PRIVATE_THREADS
            + (1 << 38) // SEND_MESSAGES_IN_THREADS
            + (1 << 34); // MANAGE_THREADS
        assert_eq!(documented, 361_582_677_072);
        assert_eq!(permissions(DiscordMode::PrivateThread).bits(), documented);
    }

    #[test]
    fn every_permission_has_a_distinct_single_bit_and_a_reason() {
        let list = permission_list(DiscordMode::PrivateThread);
        let mut seen = Permissions::empty();
        for (p, name, why) in &list {
            assert_eq!(p.bits().count_ones(), 1, "{name}");
            assert!(!seen.intersects(*p), "{name} twice");
            assert!(!name.is_empty() && !why.is_empty());
            seen |= *p;
        }
        assert_eq!(list.len(), 12);
    }

    #[test]
    fn the_invite_url_has_the_application_scopes_and_permissions() {
        let c = config("1234567890123456789", DiscordMode::Channel);
        assert_eq!(
            invite_url(&c).expect("url"),
            "https://discord.com/oauth2/authorize?client_id=1234567890123456789\
             &scope=bot%20applications.commands&permissions=805424208"
        );
        let t = config("1234567890123456789", DiscordMode::PrivateThread);
        assert!(
            invite_url(&t)
                .expect("url")
                .ends_with("&permissions=361582677072")
        );
    }

    #[test]
    fn no_invite_url_without_a_valid_application_id() {
        for bad in [
            "",
            "  ",
            "abc",
            "12345",
            "0000000000000000000",
            "1".repeat(21).as_str(),
        ] {
            let e = invite_url(&config(bad, DiscordMode::Channel)).expect_err(bad);
            assert!(e.to_string().contains("discord.application_id"), "{e}");
        }
    }

    #[test]
    fn intents_are_guilds_messages_and_content() {
        assert_eq!(
            intents(),
            GatewayIntents::GUILDS
                | GatewayIntents::GUILD_MESSAGES
                | GatewayIntents::MESSAGE_CONTENT
        );
        assert!(intents().message_content());
    }
}
