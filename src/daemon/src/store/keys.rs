//! Key encodings: big-endian, so that sled's byte order is numeric and time order.

use handover_core::{HandoverId, Status, Timestamp};

pub fn id_key(id: HandoverId) -> [u8; 8] {
    id.0.to_be_bytes()
}

pub fn id_from(bytes: &[u8]) -> Option<HandoverId> {
    Some(HandoverId(u64::from_be_bytes(
        bytes.get(..8)?.try_into().ok()?,
    )))
}

/// A timestamp whose byte order is its numeric order, negative values included.
pub fn time_key(t: Timestamp) -> [u8; 8] {
    ((t.0 as u64) ^ (1 << 63)).to_be_bytes()
}

pub fn time_from(bytes: &[u8]) -> Option<Timestamp> {
    let raw = u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
    Some(Timestamp((raw ^ (1 << 63)) as i64))
}

/// `platform \0 conversation_id`: the conversation a handover belongs to.
pub fn conversation_key(platform: &str, conversation_id: &str) -> Vec<u8> {
    joined(&[platform, conversation_id])
}

/// `id ++ seq`: one transcript entry, ordered within its handover by a global,
/// monotonic sequence number (so appending never rewrites the handover record).
pub fn transcript_key(id: HandoverId, seq: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&id_key(id));
    k[8..].copy_from_slice(&seq.to_be_bytes());
    k
}

pub fn status_byte(s: Status) -> u8 {
    match s {
        Status::Pending => 1,
        Status::InProgress => 2,
        Status::Completed => 3,
    }
}

/// `status ++ id`: the status index, so a status lists in id order.
pub fn status_key(s: Status, id: HandoverId) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = status_byte(s);
    k[1..].copy_from_slice(&id_key(id));
    k
}

/// `due ++ id`: reminders in the order they fall due.
pub fn due_key(due: Timestamp, id: HandoverId) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&time_key(due));
    k[8..].copy_from_slice(&id_key(id));
    k
}

/// `expiry ++ key`: dedupe keys in the order they expire.
pub fn expiry_key(expiry: Timestamp, key: &[u8]) -> Vec<u8> {
    let mut k = time_key(expiry).to_vec();
    k.extend_from_slice(key);
    k
}

/// `bridge \0 channel \0 thread`: where a handover lives in a chat platform.
pub fn location_key(bridge: &str, channel: &str, thread: Option<&str>) -> Vec<u8> {
    joined(&[bridge, channel, thread.unwrap_or("")])
}

/// Parts joined by NUL; parts never contain NUL (ingress refuses control characters).
pub fn joined(parts: &[&str]) -> Vec<u8> {
    let mut k = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            k.push(0);
        }
        k.extend_from_slice(p.as_bytes());
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_times_round_trip_and_sort_numerically() {
        let ids = [1u64, 2, 255, 256, u64::MAX].map(HandoverId);
        for w in ids.windows(2) {
            assert!(id_key(w[0]) < id_key(w[1]));
        }
        for id in ids {
            assert_eq!(id_from(&id_key(id)), Some(id));
        }
        let times = [i64::MIN, -1, 0, 1, 1_700_000_000_000, i64::MAX].map(Timestamp);
        for w in times.windows(2) {
            assert!(time_key(w[0]) < time_key(w[1]), "{w:?}");
        }
        for t in times {
            assert_eq!(time_from(&time_key(t)), Some(t));
        }
        assert_eq!(id_from(&[1, 2]), None);
    }

    #[test]
    fn composite_keys_keep_their_parts_apart_and_ordered() {
        assert_ne!(conversation_key("ab", "c"), conversation_key("a", "bc"));
        assert!(transcript_key(HandoverId(1), 9) < transcript_key(HandoverId(1), 10));
        assert!(transcript_key(HandoverId(1), u64::MAX) < transcript_key(HandoverId(2), 0));
        assert!(
            status_key(Status::Pending, HandoverId(9))
                < status_key(Status::InProgress, HandoverId(1))
        );
        assert!(due_key(Timestamp(5), HandoverId(9)) < due_key(Timestamp(6), HandoverId(1)));
        assert_eq!(location_key("slack", "C1", None), b"slack\0C1\0".to_vec());
    }

    mod props {
        use proptest::prelude::*;

        use super::super::*;

        /// Parts as ingress lets them through: any text without NUL.
        fn part() -> impl Strategy<Value = String> {
            "[^\\x00]{0,12}"
        }

        proptest! {
            #[test]
            fn id_and_time_keys_sort_like_their_values(a: u64, b: u64, x: i64, y: i64) {
                prop_assert_eq!(id_key(HandoverId(a)).cmp(&id_key(HandoverId(b))), a.cmp(&b));
                prop_assert_eq!(time_key(Timestamp(x)).cmp(&time_key(Timestamp(y))), x.cmp(&y));
                prop_assert_eq!(id_from(&id_key(HandoverId(a))), Some(HandoverId(a)));
                prop_assert_eq!(time_from(&time_key(Timestamp(x))), Some(Timestamp(x)));
            }

            #[test]
            fn composite_keys_sort_by_their_first_part_then_the_next(
                (i, j) in (any::<u64>(), any::<u64>()),
                (s, t) in (any::<u64>(), any::<u64>()),
                (d, e) in (any::<i64>(), any::<i64>()),
            ) {
                let (a, b) = (HandoverId(i), HandoverId(j));
                prop_assert_eq!(
                    transcript_key(a, s).cmp(&transcript_key(b, t)),
                    (i, s).cmp(&(j, t))
                );
                prop_assert_eq!(
                    due_key(Timestamp(d), a).cmp(&due_key(Timestamp(e), b)),
                    (d, i).cmp(&(e, j))
                );
            }

            #[test]
            fn joined_keys_are_equal_only_for_equal_parts(
                p in prop::collection::vec(part(), 1..4),
                q in prop::collection::vec(part(), 1..4),
            ) {
                let pk: Vec<&str> = p.iter().map(String::as_str).collect();
                let qk: Vec<&str> = q.iter().map(String::as_str).collect();
                prop_assert_eq!(joined(&pk) == joined(&qk), p == q);
            }
        }
    }
}
