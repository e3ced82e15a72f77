//! Identifiers people type (`H-12`) and instants as milliseconds since the Unix epoch.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant, in milliseconds since the Unix epoch (UTC). The core never reads a clock.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    pub const fn millis(self) -> i64 {
        self.0
    }

    /// This instant moved forward by `d` (saturating).
    pub fn plus(self, d: Duration) -> Self {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Self(self.0.saturating_add(ms))
    }

    /// Time from `earlier` to `self`; zero when `earlier` is later.
    pub fn since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0))
    }
}

/// A handover's short id, shown and typed as `H-<n>`. Allocated by the store from a
/// monotonic counter, so an id is never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HandoverId(pub u64);

impl fmt::Display for HandoverId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "H-{}", self.0)
    }
}

/// The text was not a handover id such as `H-12`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a handover id (expected H-<number>, e.g. H-12)")]
pub struct ParseIdError;

impl FromStr for HandoverId {
    type Err = ParseIdError;

    /// Accepts `H-12`, `h-12`, `#H-12` and a bare `12`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let s = s.strip_prefix('#').unwrap_or(s);
        let digits = s
            .strip_prefix("H-")
            .or_else(|| s.strip_prefix("h-"))
            .unwrap_or(s);
        if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseIdError);
        }
        match digits.parse::<u64>() {
            Ok(0) | Err(_) => Err(ParseIdError),
            Ok(n) => Ok(Self(n)),
        }
    }
}

impl Serialize for HandoverId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for HandoverId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_round_trips_through_text_and_json() {
        for n in [1u64, 2, 99, u64::MAX] {
            let id = HandoverId(n);
            assert_eq!(id.to_string().parse::<HandoverId>(), Ok(id));
            let json = serde_json::to_string(&id).expect("serialize");
            assert_eq!(json, format!("\"H-{n}\""));
            assert_eq!(
                serde_json::from_str::<HandoverId>(&json).expect("parse"),
                id
            );
        }
    }

    #[test]
    fn id_accepts_typed_variants_and_rejects_junk() {
        assert_eq!("h-7".parse(), Ok(HandoverId(7)));
        assert_eq!(" #H-7 ".parse(), Ok(HandoverId(7)));
        assert_eq!("7".parse(), Ok(HandoverId(7)));
        for bad in [
            "",
            "H-",
            "H-0",
            "H-1x",
            "X-1",
            "H--1",
            "H-99999999999999999999",
            "H-+1",
        ] {
            assert_eq!(bad.parse::<HandoverId>(), Err(ParseIdError), "{bad:?}");
        }
    }

    #[test]
    fn timestamps_add_and_subtract_saturating() {
        let t = Timestamp(1_000);
        assert_eq!(t.plus(Duration::from_secs(2)), Timestamp(3_000));
        assert_eq!(Timestamp(3_000).since(t), Duration::from_secs(2));
        assert_eq!(t.since(Timestamp(3_000)), Duration::ZERO);
        assert_eq!(
            Timestamp(i64::MAX).plus(Duration::from_secs(1)),
            Timestamp(i64::MAX)
        );
    }
}
