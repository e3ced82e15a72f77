//! Identifiers the bridge makes and reads: locations, button ids, dedupe keys.
//!
//! Location convention (channel mode): a handover lives in its own channel, so its
//! [`Location`] is `{bridge: "discord", channel: <channel id>, thread: None}` and the
//! store finds it with `handover_at("discord", channel_id, None)` from any message in
//! that channel. The header (card) message id is kept in the location's `url`, the
//! message link `https://discord.com/channels/<guild>/<channel>/<header>`, and read back
//! with [`header_of`].

use handover_core::{HandoverId, Location};

pub const BRIDGE: &str = "discord";

pub const ACTION_TAKE: &str = "handover_take";
pub const ACTION_END_AI: &str = "handover_end_ai";
pub const ACTION_CLOSE: &str = "handover_close";

/// Where a handover whose channel is `channel` and header `header` lives.
pub fn location(guild: &str, channel: &str, header: &str) -> Location {
    Location {
        bridge: BRIDGE.to_owned(),
        channel: channel.to_owned(),
        thread: None,
        url: Some(format!(
            "https://discord.com/channels/{guild}/{channel}/{header}"
        )),
    }
}

/// The handover's channel and header message id, when it has been posted.
pub fn header_of(location: Option<&Location>) -> Option<(&str, &str)> {
    let l = location.filter(|l| l.bridge == BRIDGE)?;
    let header = l.url.as_deref()?.rsplit('/').next()?;
    (!header.is_empty() && header.bytes().all(|b| b.is_ascii_digit()))
        .then_some((l.channel.as_str(), header))
}

/// A button's `custom_id`: `handover_take:H-1`.
pub fn button(action: &str, id: HandoverId) -> String {
    format!("{action}:{id}")
}

/// The action and handover of a button's `custom_id`.
pub fn parse_button(custom_id: &str) -> Option<(&str, HandoverId)> {
    let (action, id) = custom_id.split_once(':')?;
    Some((action, id.parse().ok()?))
}

/// Dedupe key of a Discord message (a gateway RESUME may deliver it again).
pub fn message_key(message_id: &str) -> Vec<u8> {
    format!("discord\0msg\0{message_id}").into_bytes()
}

/// Dedupe key of an interaction (button click).
pub fn interaction_key(interaction_id: &str) -> Vec<u8> {
    format!("discord\0action\0{interaction_id}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_round_trip_and_ignore_other_bridges() {
        let l = location("1", "22", "333");
        assert_eq!(l.thread, None);
        assert_eq!(header_of(Some(&l)), Some(("22", "333")));
        let other = Location {
            bridge: "slack".into(),
            ..l.clone()
        };
        assert_eq!(header_of(Some(&other)), None);
        let no_url = Location { url: None, ..l };
        assert_eq!(header_of(Some(&no_url)), None);
    }

    #[test]
    fn buttons_round_trip() {
        let b = button(ACTION_TAKE, HandoverId(7));
        assert_eq!(b, "handover_take:H-7");
        assert_eq!(parse_button(&b), Some((ACTION_TAKE, HandoverId(7))));
        assert_eq!(parse_button("nope"), None);
    }
}
