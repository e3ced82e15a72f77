//! Identifiers the bridge makes and reads: locations, button action ids, dedupe keys.

use handover_core::{HandoverId, Location};

pub const BRIDGE: &str = "slack";

pub const ACTION_TAKE: &str = "handover_take";
pub const ACTION_END_AI: &str = "handover_end_ai";
pub const ACTION_CLOSE: &str = "handover_close";

/// Where a card posted as `ts` in `channel` lives; its thread is the conversation.
pub fn location(channel: &str, ts: &str) -> Location {
    Location {
        bridge: BRIDGE.to_owned(),
        channel: channel.to_owned(),
        thread: Some(ts.to_owned()),
        url: Some(format!(
            "https://slack.com/archives/{channel}/p{}",
            ts.replace('.', "")
        )),
    }
}

/// The handover's channel and thread root, when it has been posted.
pub fn thread_of(location: Option<&Location>) -> Option<(&str, &str)> {
    let l = location.filter(|l| l.bridge == BRIDGE)?;
    Some((l.channel.as_str(), l.thread.as_deref()?))
}

/// The handover channel for a new handover: spread over the configured channels.
pub fn channel_for(id: HandoverId, channels: &[String]) -> Option<&str> {
    let n = channels.len() as u64;
    (n > 0).then(|| channels[(id.0 % n) as usize].as_str())
}

/// Dedupe key of a message by channel and `ts` (a message can arrive as an event and
/// again after a reconnect with another event id).
pub fn message_key(channel: &str, ts: &str) -> Vec<u8> {
    format!("slack\0msg\0{channel}\0{ts}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_round_trip_and_ignore_other_bridges() {
        let l = location("C0HANDOVER", "1700000000.000100");
        assert_eq!(
            thread_of(Some(&l)),
            Some(("C0HANDOVER", "1700000000.000100"))
        );
        assert_eq!(
            l.url.as_deref(),
            Some("https://slack.com/archives/C0HANDOVER/p1700000000000100")
        );
        let other = Location {
            bridge: "discord".into(),
            ..l
        };
        assert_eq!(thread_of(Some(&other)), None);
        assert_eq!(thread_of(None), None);
    }

    #[test]
    fn new_handovers_spread_over_channels() {
        let chans = vec!["C1".to_owned(), "C2".to_owned(), "C3".to_owned()];
        let picked: Vec<&str> = (1..=6)
            .filter_map(|i| channel_for(HandoverId(i), &chans))
            .collect();
        assert_eq!(picked, ["C2", "C3", "C1", "C2", "C3", "C1"]);
        assert_eq!(channel_for(HandoverId(1), &[]), None);
    }
}
