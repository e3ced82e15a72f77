//! When a weekly digest is due and which week it covers, in the configured time zone.
//!
//! The digest due at the schedule (say Monday 09:00 in Europe/Berlin) covers the seven
//! local days before the schedule's day: from the local midnight a week before it to
//! the local midnight that starts it (Monday 00:00 to Monday 00:00). "The week before"
//! is the seven days before that. A week is named by its end date, the schedule's day
//! (`2026-11-23`), which is what the store remembers so that no week is posted twice.
//! Daylight-saving changes are handled by the time zone database: a local time that
//! does not exist (spring forward) is taken an hour later, an ambiguous one (fall back)
//! at its first occurrence.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;
use handover_config::{Schedule, Weekday};
use handover_core::Timestamp;

/// The week a digest covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Week {
    /// The schedule's day, `YYYY-MM-DD`: the week's name in the store.
    pub key: String,
    /// When its digest is due.
    pub due_at: Timestamp,
    /// `[from, to)`: the seven days before the schedule's day, local midnights.
    pub from: Timestamp,
    pub to: Timestamp,
    /// The week before it, for comparison.
    pub previous_from: Timestamp,
    /// The local dates of the seven days, first to last.
    pub days: Vec<NaiveDate>,
    /// Where each day starts, and where the last one ends (eight instants).
    pub day_bounds: Vec<Timestamp>,
}

fn weekday(w: Weekday) -> chrono::Weekday {
    match w {
        Weekday::Mon => chrono::Weekday::Mon,
        Weekday::Tue => chrono::Weekday::Tue,
        Weekday::Wed => chrono::Weekday::Wed,
        Weekday::Thu => chrono::Weekday::Thu,
        Weekday::Fri => chrono::Weekday::Fri,
        Weekday::Sat => chrono::Weekday::Sat,
        Weekday::Sun => chrono::Weekday::Sun,
    }
}

/// The instant of a local date and time in `zone` (see the module notes for gaps and
/// overlaps).
fn instant(zone: Tz, local: NaiveDateTime) -> Timestamp {
    let t = zone
        .from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(local + Duration::hours(1)))
                .earliest()
        })
        .map_or_else(
            || local.and_utc().timestamp_millis(),
            |t| t.timestamp_millis(),
        );
    Timestamp(t)
}

fn midnight(zone: Tz, day: NaiveDate) -> Timestamp {
    instant(zone, day.and_time(NaiveTime::MIN))
}

/// The week whose digest is due at the day `day` (a schedule day).
pub fn week_ending(schedule: Schedule, zone: Tz, day: NaiveDate) -> Week {
    let at = NaiveTime::from_hms_opt(u32::from(schedule.hour), u32::from(schedule.minute), 0)
        .unwrap_or(NaiveTime::MIN);
    let first = day - Duration::days(7);
    Week {
        key: day.format("%Y-%m-%d").to_string(),
        due_at: instant(zone, day.and_time(at)),
        from: midnight(zone, first),
        to: midnight(zone, day),
        previous_from: midnight(zone, first - Duration::days(7)),
        days: (0..7).map(|i| first + Duration::days(i)).collect(),
        day_bounds: (0..=7)
            .map(|i| midnight(zone, first + Duration::days(i)))
            .collect(),
    }
}

/// The latest week whose digest is due at or before `now`.
pub fn latest_due(schedule: Schedule, zone: Tz, now: Timestamp) -> Week {
    let local = DateTime::from_timestamp_millis(now.0)
        .unwrap_or_default()
        .with_timezone(&zone)
        .date_naive();
    let want = weekday(schedule.weekday);
    let back = (7 + local.weekday().num_days_from_monday() - want.num_days_from_monday()) % 7;
    let day = local - Duration::days(i64::from(back));
    let week = week_ending(schedule, zone, day);
    if week.due_at <= now {
        week
    } else {
        week_ending(schedule, zone, day - Duration::days(7))
    }
}

/// The seven days before `now` (for a digest asked for now), with the same shape.
pub fn last_seven_days(zone: Tz, now: Timestamp) -> Week {
    let seven = 7 * 86_400_000;
    let local = |t: i64| {
        DateTime::from_timestamp_millis(t)
            .unwrap_or_default()
            .with_timezone(&zone)
            .date_naive()
    };
    let first = local(now.0 - seven + 1);
    Week {
        key: format!("now-{}", now.0),
        due_at: now,
        from: Timestamp(now.0 - seven),
        to: now,
        previous_from: Timestamp(now.0 - 2 * seven),
        days: (0..7).map(|i| first + Duration::days(i)).collect(),
        day_bounds: (0..=7)
            .map(|i| Timestamp(now.0 - seven + i * 86_400_000))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp(
            DateTime::parse_from_rfc3339(s)
                .expect("time")
                .timestamp_millis(),
        )
    }

    fn monday_nine() -> Schedule {
        Schedule {
            weekday: Weekday::Mon,
            hour: 9,
            minute: 0,
        }
    }

    #[test]
    fn a_monday_digest_covers_the_calendar_week_before_it() {
        // Wednesday 25 November 2026, in UTC.
        let w = latest_due(monday_nine(), Tz::UTC, ts("2026-11-25T12:00:00Z"));
        assert_eq!(w.key, "2026-11-23");
        assert_eq!(w.due_at, ts("2026-11-23T09:00:00Z"));
        assert_eq!(w.from, ts("2026-11-16T00:00:00Z"));
        assert_eq!(w.to, ts("2026-11-23T00:00:00Z"));
        assert_eq!(w.previous_from, ts("2026-11-09T00:00:00Z"));
        assert_eq!(
            w.days.first().map(ToString::to_string).as_deref(),
            Some("2026-11-16")
        );
        assert_eq!(
            w.days.last().map(ToString::to_string).as_deref(),
            Some("2026-11-22")
        );
    }

    #[test]
    fn before_the_hour_on_the_day_the_previous_week_is_the_latest_due() {
        let before = latest_due(monday_nine(), Tz::UTC, ts("2026-11-23T08:59:59Z"));
        assert_eq!(before.key, "2026-11-16");
        let at = latest_due(monday_nine(), Tz::UTC, ts("2026-11-23T09:00:00Z"));
        assert_eq!(at.key, "2026-11-23");
    }

    #[test]
    fn the_schedule_is_local_time_in_the_zone() {
        let berlin: Tz = "Europe/Berlin".parse().expect("zone");
        // 09:00 in Berlin in winter is 08:00 UTC.
        let w = latest_due(monday_nine(), berlin, ts("2026-11-23T08:30:00Z"));
        assert_eq!(w.key, "2026-11-23");
        assert_eq!(w.due_at, ts("2026-11-23T08:00:00Z"));
        assert_eq!(w.from, ts("2026-11-15T23:00:00Z"));
        // A zone west of UTC: Sunday evening UTC is still Sunday there.
        let ny: Tz = "America/New_York".parse().expect("zone");
        let w = latest_due(monday_nine(), ny, ts("2026-11-23T13:59:00Z"));
        assert_eq!(w.key, "2026-11-16", "09:00 in New York is 14:00 UTC");
    }

    #[test]
    fn a_week_with_a_daylight_saving_change_is_one_hour_short() {
        let berlin: Tz = "Europe/Berlin".parse().expect("zone");
        // Clocks go forward on Sunday 29 March 2026.
        let day = NaiveDate::from_ymd_opt(2026, 3, 30).expect("date");
        let w = week_ending(monday_nine(), berlin, day);
        assert_eq!(w.from, ts("2026-03-22T23:00:00Z"));
        assert_eq!(w.to, ts("2026-03-29T22:00:00Z"));
        assert_eq!(w.to.0 - w.from.0, (7 * 24 - 1) * 3_600_000);
        assert_eq!(w.day_bounds.len(), 8);
        assert_eq!(w.day_bounds[7], w.to);
        // Sunday 29 March has 23 hours.
        assert_eq!(w.day_bounds[7].0 - w.day_bounds[6].0, 23 * 3_600_000);
        assert_eq!(w.due_at, ts("2026-03-30T07:00:00Z"));
    }

    #[test]
    fn a_schedule_time_that_does_not_exist_is_taken_an_hour_later() {
        let berlin: Tz = "Europe/Berlin".parse().expect("zone");
        let at_two = Schedule {
            weekday: Weekday::Sun,
            hour: 2,
            minute: 30,
        };
        let day = NaiveDate::from_ymd_opt(2026, 3, 29).expect("date");
        // 02:30 does not exist that night; 03:30 CEST is 01:30 UTC.
        assert_eq!(
            week_ending(at_two, berlin, day).due_at,
            ts("2026-03-29T01:30:00Z")
        );
    }
}
