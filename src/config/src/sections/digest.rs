//! Owns `[digest]`: the weekly digest switch, its schedule ("MON 09:00") and time zone.

use std::fmt;
use std::str::FromStr;

use chrono_tz::Tz;

use crate::raw::RawDigest;
use crate::validate::{Errors, quote};

/// `[digest]`.
#[derive(Debug, Clone)]
pub struct DigestConfig {
    /// Default true.
    pub enabled: bool,
    /// Default Monday 09:00.
    pub schedule: Schedule,
    /// IANA time zone name; default "UTC".
    pub timezone: String,
    /// `timezone`, resolved from the IANA database built into the binary.
    pub zone: Tz,
}

/// A weekly point in time: day and 24h clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Schedule {
    pub weekday: Weekday,
    pub hour: u8,
    pub minute: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    /// "MON" … "SUN".
    pub fn as_str(self) -> &'static str {
        match self {
            Weekday::Mon => "MON",
            Weekday::Tue => "TUE",
            Weekday::Wed => "WED",
            Weekday::Thu => "THU",
            Weekday::Fri => "FRI",
            Weekday::Sat => "SAT",
            Weekday::Sun => "SUN",
        }
    }

    /// Monday = 0 … Sunday = 6.
    pub fn days_from_monday(self) -> u8 {
        match self {
            Weekday::Mon => 0,
            Weekday::Tue => 1,
            Weekday::Wed => 2,
            Weekday::Thu => 3,
            Weekday::Fri => 4,
            Weekday::Sat => 5,
            Weekday::Sun => 6,
        }
    }
}

impl fmt::Display for Weekday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            weekday: Weekday::Mon,
            hour: 9,
            minute: 0,
        }
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:02}:{:02}", self.weekday, self.hour, self.minute)
    }
}

impl FromStr for Schedule {
    type Err = String;

    /// "MON 09:00": a day (MON..SUN or its full name, any case) and a 24h HH:MM time.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let expected = || {
            format!(
                "expected a day and a 24h time such as \"MON 09:00\" (days MON to SUN), got {}",
                quote(s)
            )
        };
        let mut parts = s.split_whitespace();
        let (Some(day), Some(time), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(expected());
        };
        let day = day.to_ascii_uppercase();
        let weekday = Weekday::ALL
            .into_iter()
            .find(|w| day == w.as_str() || day == full_name(*w))
            .ok_or_else(expected)?;
        let (h, m) = time.split_once(':').ok_or_else(expected)?;
        let two_digits =
            |t: &str| (1..=2).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit());
        if !two_digits(h) || m.len() != 2 || !two_digits(m) {
            return Err(expected());
        }
        let hour: u8 = h.parse().map_err(|_| expected())?;
        let minute: u8 = m.parse().map_err(|_| expected())?;
        if hour > 23 || minute > 59 {
            return Err(expected());
        }
        Ok(Schedule {
            weekday,
            hour,
            minute,
        })
    }
}

fn full_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "MONDAY",
        Weekday::Tue => "TUESDAY",
        Weekday::Wed => "WEDNESDAY",
        Weekday::Thu => "THURSDAY",
        Weekday::Fri => "FRIDAY",
        Weekday::Sat => "SATURDAY",
        Weekday::Sun => "SUNDAY",
    }
}

pub(crate) fn validate(raw: &RawDigest, e: &mut Errors) -> DigestConfig {
    let schedule = raw.schedule.parse().unwrap_or_else(|message| {
        e.push("digest.schedule", message);
        Schedule::default()
    });
    let zone = raw.timezone.parse::<Tz>().unwrap_or_else(|_| {
        e.push(
            "digest.timezone",
            format!(
                "expected \"UTC\" or an IANA time zone name such as \"Europe/Berlin\", got {}",
                quote(&raw.timezone)
            ),
        );
        Tz::UTC
    });
    DigestConfig {
        enabled: raw.enabled,
        schedule,
        timezone: raw.timezone.clone(),
        zone,
    }
}
