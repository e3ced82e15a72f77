//! Where a handover lives on Discord, and how it is put away.
//!
//! - `mode = "channel"`: a text channel under the configured category, hidden from
//!   @everyone and shown to the selected members (users and roles) and the bot. A
//!   category holds at most 50 channels: when the configured one is full, the channel
//!   goes into an overflow category named after it (`handovers 2`, `handovers 3`, …),
//!   made when needed and found again by name after a restart. On end it moves to the
//!   archive category (when one is configured), which overflows the same way.
//! - `mode = "private_thread"`: a private thread in the parent channel; the selected
//!   users are added to it and the selected roles are mentioned in the header (on
//!   Discord a role mention in a private thread brings in the role's members who can see
//!   the parent channel). On end the thread is archived and locked.
//!
//! Either way the location's channel is the channel or thread id (messages in a thread
//! carry the thread's id as their channel), and the header message id is in its url.

use handover_config::DiscordMode;
use handover_core::{Handover, Location};
use handover_daemon::bridge::DeliveryError;
use serenity::all::{
    AutoArchiveDuration, ChannelId, ChannelType, CreateChannel, CreateThread, EditChannel,
    EditThread, GuildChannel, GuildId, PermissionOverwrite, PermissionOverwriteType, Permissions,
    RoleId, UserId,
};

use crate::perform::{id_of, pings};
use crate::{DiscordBridge, format, ids};

/// A category holds at most this many channels.
pub const CATEGORY_LIMIT: usize = 50;

/// What a selected member may do in a handover channel.
fn member_rights() -> Permissions {
    Permissions::VIEW_CHANNEL
        | Permissions::SEND_MESSAGES
        | Permissions::READ_MESSAGE_HISTORY
        | Permissions::ATTACH_FILES
}

/// The overwrites of a handover channel: hidden from @everyone, open to the bot and
/// the selected users and roles.
fn overwrites(guild: u64, bot: u64, users: &[u64], roles: &[u64]) -> Vec<PermissionOverwrite> {
    let open = |kind| PermissionOverwrite {
        allow: member_rights(),
        deny: Permissions::empty(),
        kind,
    };
    let mut out = vec![
        PermissionOverwrite {
            allow: Permissions::empty(),
            deny: Permissions::VIEW_CHANNEL,
            // The @everyone role has the guild's id.
            kind: PermissionOverwriteType::Role(RoleId::new(guild)),
        },
        PermissionOverwrite {
            allow: member_rights()
                | Permissions::EMBED_LINKS
                | Permissions::ADD_REACTIONS
                | Permissions::MANAGE_WEBHOOKS,
            deny: Permissions::empty(),
            kind: PermissionOverwriteType::Member(UserId::new(bot)),
        },
    ];
    out.extend(
        users
            .iter()
            .map(|u| open(PermissionOverwriteType::Member(UserId::new(*u)))),
    );
    out.extend(
        roles
            .iter()
            .map(|r| open(PermissionOverwriteType::Role(RoleId::new(*r)))),
    );
    out
}

/// The category with room for one more channel: the configured one, then its overflow
/// categories in order, or `None` when all are full.
pub fn category_with_room(
    base: ChannelId,
    channels: &[GuildChannel],
) -> (Option<ChannelId>, Vec<ChannelId>) {
    let base_name = channels
        .iter()
        .find(|c| c.id == base)
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let mut overflow: Vec<(u32, ChannelId)> = channels
        .iter()
        .filter(|c| c.kind == ChannelType::Category)
        .filter_map(|c| {
            let n = c.name.strip_prefix(&base_name)?.strip_prefix(' ')?;
            Some((n.parse::<u32>().ok().filter(|n| *n >= 2)?, c.id))
        })
        .collect();
    overflow.sort();
    let order: Vec<ChannelId> = std::iter::once(base)
        .chain(overflow.into_iter().map(|(_, id)| id))
        .collect();
    let used = |cat: ChannelId| channels.iter().filter(|c| c.parent_id == Some(cat)).count();
    let room = order.iter().copied().find(|c| used(*c) < CATEGORY_LIMIT);
    (room, order)
}

impl DiscordBridge {
    /// Makes the handover's channel or thread and posts the header card in it,
    /// mentioning the selected members.
    pub(crate) async fn place(
        &self,
        h: &Handover,
        members: &[String],
    ) -> Result<Location, DeliveryError> {
        let c = &self.inner.config;
        let guild = id_of("guild", &c.guild_id)?;
        let (_, users, roles) = format::mentions(members);
        let rest = &self.inner.rest;
        let channel = match c.mode {
            DiscordMode::Channel => {
                let bot = self.bot_user().await?;
                let base = ChannelId::new(id_of("category", &c.category_id)?);
                let category = self.category(GuildId::new(guild), base).await?;
                let create = CreateChannel::new(format::channel_name(h.id, &h.user.name))
                    .kind(ChannelType::Text)
                    .category(category)
                    .permissions(overwrites(guild, bot, &users, &roles));
                rest.create_channel(GuildId::new(guild), &create).await?.id
            }
            DiscordMode::PrivateThread => {
                let parent = ChannelId::new(id_of("parent channel", &c.parent_channel_id)?);
                let create = CreateThread::new(format::channel_name(h.id, &h.user.name))
                    .kind(ChannelType::PrivateThread)
                    .invitable(false)
                    .auto_archive_duration(AutoArchiveDuration::OneWeek);
                let thread = rest.create_thread(parent, &create).await?.id;
                for u in &users {
                    rest.add_thread_member(thread, UserId::new(*u)).await?;
                }
                thread
            }
        };
        let message = serenity::all::CreateMessage::new()
            .content(format::announce_text(h, members))
            .embed(crate::perform::embed(h))
            .components(crate::perform::buttons(h))
            .allowed_mentions(pings(members));
        let header = rest.send_message(channel, &message).await?;
        Ok(ids::location(
            &c.guild_id,
            &channel.to_string(),
            &header.id.to_string(),
        ))
    }

    /// The category a channel goes into: `base` or one of its overflow categories,
    /// making a new overflow category when they are all full.
    async fn category(&self, guild: GuildId, base: ChannelId) -> Result<ChannelId, DeliveryError> {
        let rest = &self.inner.rest;
        let channels = rest.guild_channels(guild).await?;
        let (room, order) = category_with_room(base, &channels);
        if let Some(c) = room {
            return Ok(c);
        }
        let base_name = channels
            .iter()
            .find(|c| c.id == base)
            .map_or_else(|| "handovers".to_owned(), |c| c.name.clone());
        let bot = self.bot_user().await?;
        let create = CreateChannel::new(format!("{base_name} {}", order.len() + 1))
            .kind(ChannelType::Category)
            .permissions(overwrites(guild.get(), bot, &[], &[]));
        let made = rest.create_channel(guild, &create).await?;
        tracing::info!(category = %made.id, "Handover category full; made an overflow category.");
        Ok(made.id)
    }

    /// Puts an ended handover away: the channel moves to the archive category, the
    /// thread is archived and locked.
    pub(crate) async fn put_away(&self, channel: ChannelId) -> Result<(), DeliveryError> {
        let c = &self.inner.config;
        let rest = &self.inner.rest;
        match c.mode {
            DiscordMode::Channel => {
                if let Some(archive) = crate::bridge::snowflake(&c.archive_category_id) {
                    let guild = GuildId::new(id_of("guild", &c.guild_id)?);
                    let archive = self.category(guild, ChannelId::new(archive)).await?;
                    let edit = EditChannel::new().category(Some(archive));
                    rest.edit_channel(channel, &edit).await?;
                }
            }
            DiscordMode::PrivateThread => {
                let edit = EditThread::new().archived(true).locked(true);
                rest.edit_channel(channel, &edit).await?;
            }
        }
        Ok(())
    }

    /// Runs `post` in the handover's place; a thread that was put away is opened for it
    /// and put away again afterwards (a rating can arrive after the end).
    pub(crate) async fn in_place<F: Future<Output = Result<(), DeliveryError>>>(
        &self,
        h: &Handover,
        channel: ChannelId,
        post: F,
    ) -> Result<(), DeliveryError> {
        let reopen = self.inner.config.mode == DiscordMode::PrivateThread && !h.status.is_open();
        if reopen {
            let open = EditThread::new().archived(false).locked(false);
            self.inner.rest.edit_channel(channel, &open).await?;
        }
        let r = post.await;
        if reopen {
            self.put_away(channel).await?;
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(id: u64, name: &str, kind: ChannelType, parent: Option<u64>) -> GuildChannel {
        let mut c = GuildChannel::default();
        c.id = ChannelId::new(id);
        c.name = name.to_owned();
        c.kind = kind;
        c.parent_id = parent.map(ChannelId::new);
        c
    }

    fn children(parent: u64, n: usize, first_id: u64) -> Vec<GuildChannel> {
        (0..n)
            .map(|i| channel(first_id + i as u64, "h", ChannelType::Text, Some(parent)))
            .collect()
    }

    #[test]
    fn the_configured_category_is_used_until_it_is_full() {
        let mut all = vec![channel(10, "handovers", ChannelType::Category, None)];
        all.extend(children(10, 49, 1000));
        assert_eq!(
            category_with_room(ChannelId::new(10), &all).0,
            Some(ChannelId::new(10))
        );
        all.extend(children(10, 1, 2000));
        let (room, order) = category_with_room(ChannelId::new(10), &all);
        assert_eq!(room, None);
        assert_eq!(order, vec![ChannelId::new(10)]);
    }

    #[test]
    fn overflow_categories_are_found_by_name_in_order() {
        let mut all = vec![
            channel(10, "handovers", ChannelType::Category, None),
            channel(12, "handovers 3", ChannelType::Category, None),
            channel(11, "handovers 2", ChannelType::Category, None),
            channel(13, "handovers archive", ChannelType::Category, None),
            channel(14, "handovers 4", ChannelType::Text, None),
        ];
        all.extend(children(10, 50, 1000));
        all.extend(children(11, 50, 2000));
        let (room, order) = category_with_room(ChannelId::new(10), &all);
        assert_eq!(room, Some(ChannelId::new(12)));
        assert_eq!(
            order,
            vec![ChannelId::new(10), ChannelId::new(11), ChannelId::new(12)]
        );
    }
}
