//! Analytics on a hand-made data set whose answers are worked out by hand.

use std::collections::BTreeMap;

use super::*;
use crate::{Agent, EndUser, HandoverId, Priority, Rating};

const MIN: i64 = 60_000;

fn agent(id: &str) -> Agent {
    Agent {
        id: id.into(),
        name: id.to_uppercase(),
        platform: "slack".into(),
    }
}

/// A handover requested at minute `req`; taken/first/ended at the given minutes.
fn h(
    id: u64,
    req: i64,
    taken: Option<(i64, &str)>,
    first: Option<i64>,
    ended: Option<(i64, Resolution)>,
    rating: Option<u8>,
    reason: &str,
) -> Handover {
    let status = match (taken, ended) {
        (_, Some(_)) => Status::Completed,
        (Some(_), None) => Status::InProgress,
        (None, None) => Status::Pending,
    };
    Handover {
        id: HandoverId(id),
        platform: "web".into(),
        conversation_id: format!("c{id}"),
        bridge: "slack".into(),
        status,
        resolution: ended.map(|e| e.1),
        user: EndUser {
            id: "u".into(),
            name: "U".into(),
            email: None,
            avatar_url: None,
        },
        reason: Some(reason.into()),
        summary: None,
        metadata: BTreeMap::new(),
        priority: Priority::Normal,
        recent: Vec::new(),
        assignee: taken.map(|t| agent(t.1)),
        requested_at: Timestamp(req * MIN),
        taken_at: taken.map(|t| Timestamp(t.0 * MIN)),
        first_response_at: first.map(|m| Timestamp(m * MIN)),
        ended_at: ended.map(|e| Timestamp(e.0 * MIN)),
        ended_by: None,
        end_reason: None,
        rating: rating.map(|score| Rating {
            score,
            comment: None,
            at: Timestamp(0),
        }),
        location: None,
        mute_on_request: false,
        next_reminder_at: None,
        reminders_sent: 0,
    }
}

#[test]
fn figures_of_a_hand_made_data_set() {
    use Resolution::*;
    let data = vec![
        // Window is [100, 200) minutes.
        h(
            1,
            100,
            Some((102, "ann")),
            Some(103),
            Some((110, ReturnedToAi)),
            Some(5),
            "refund",
        ),
        h(
            2,
            120,
            Some((124, "ann")),
            Some(126),
            Some((150, Closed)),
            Some(3),
            "refund",
        ),
        h(
            3,
            130,
            Some((131, "bob")),
            Some(132),
            Some((160, ReturnedToAi)),
            Some(4),
            "billing",
        ),
        h(4, 140, None, None, Some((145, Cancelled)), None, "refund"),
        h(5, 150, Some((158, "bob")), None, None, None, "login"),
        h(6, 190, None, None, None, None, "billing"),
        // Requested before the window, ended inside it.
        h(
            7,
            50,
            Some((60, "ann")),
            Some(61),
            Some((110, Closed)),
            Some(1),
            "old",
        ),
        // Entirely after the window.
        h(
            8,
            250,
            Some((251, "bob")),
            Some(252),
            Some((260, Closed)),
            Some(2),
            "later",
        ),
    ];
    let a = compute(&data, Timestamp(100 * MIN), Timestamp(200 * MIN));
    assert_eq!(a.total, 6, "requested in the window: 1..=6");
    assert_eq!(
        (a.pending, a.in_progress),
        (1, 1),
        "now: #6 pending, #5 in progress"
    );
    assert_eq!(
        a.completed,
        Completed {
            total: 5,
            returned_to_ai: 2,
            closed: 2,
            cancelled: 1
        }
    );
    // Take-over times of #1..#5 taken in the window: 2, 4, 1, 8 minutes -> sorted 1,2,4,8.
    assert_eq!(
        a.time_to_take_over,
        Spread {
            median_s: Some(120.0),
            p90_s: Some(480.0)
        }
    );
    // First responses in window: #1 3m, #2 6m, #3 2m -> sorted 2,3,6.
    assert_eq!(
        a.first_response,
        Spread {
            median_s: Some(180.0),
            p90_s: Some(360.0)
        }
    );
    // Ended in window: #1 10m, #2 30m, #3 30m, #4 5m, #7 60m -> 5,10,30,30,60.
    assert_eq!(
        a.resolution,
        Spread {
            median_s: Some(1800.0),
            p90_s: Some(3600.0)
        }
    );
    // Ratings of handovers ended in window: 5, 3, 4, 1.
    assert_eq!(a.rating.count, 4);
    assert_eq!(a.rating.average, Some(3.25));
    let dist: Vec<u64> = a.rating.distribution.values().copied().collect();
    assert_eq!(dist, [1, 0, 1, 1, 1]);
    assert_eq!(a.agents.len(), 2);
    let ann = &a.agents[0];
    assert_eq!(
        (ann.id.as_str(), ann.taken, ann.completed, ann.rating_count),
        ("ann", 2, 3, 3)
    );
    assert_eq!(
        ann.first_response_median_s,
        Some(180.0),
        "ann's first responses 3m, 6m"
    );
    assert_eq!(
        ann.resolution_median_s,
        Some(1800.0),
        "ann's resolutions 10, 30, 60 m"
    );
    assert_eq!(ann.rating_average, Some(3.0));
    let bob = &a.agents[1];
    assert_eq!((bob.id.as_str(), bob.taken, bob.completed), ("bob", 2, 1));
    assert_eq!(bob.rating_average, Some(4.0));
    let reasons: Vec<(&str, u64)> = a
        .reasons
        .iter()
        .map(|r| (r.reason.as_str(), r.count))
        .collect();
    assert_eq!(reasons, [("refund", 3), ("billing", 2), ("login", 1)]);
}

#[test]
fn an_empty_window_has_nulls_not_zeros_for_averages() {
    let a = compute(&[], Timestamp(0), Timestamp(1));
    assert_eq!(a.total, 0);
    assert_eq!(a.rating.average, None);
    assert_eq!(a.resolution, Spread::default());
    assert_eq!(a.rating.distribution.len(), 5);
}

#[test]
fn nearest_rank_percentiles() {
    // Seconds as milliseconds, deliberately out of order.
    let d = |v: &[i64]| {
        let mut ms: Vec<i64> = v.iter().rev().map(|s| s * 1000).collect();
        (select(&mut ms, 0.5), select(&mut ms, 0.9))
    };
    assert_eq!(d(&[1, 2, 3, 4]).0, Some(2.0));
    assert_eq!(d(&[1, 2, 3, 4, 5]).0, Some(3.0));
    assert_eq!(d(&(1..=10).collect::<Vec<_>>()).1, Some(9.0));
    assert_eq!(d(&[7]), (Some(7.0), Some(7.0)));
    assert_eq!(d(&[]), (None, None));
}

#[test]
fn the_table_keeps_one_fact_per_handover_and_filters_by_scope() {
    let mut t = FactTable::default();
    t.record(&h(1, 0, None, None, None, None, "refund"));
    // The same handover later: replaced, not counted twice.
    let done = h(
        1,
        0,
        Some((5, "ann")),
        Some(6),
        Some((10, Resolution::Closed)),
        Some(4),
        "refund",
    );
    t.record(&done);
    let mut other = h(2, 1, None, None, None, None, "login");
    other.platform = "app".into();
    other.bridge = "discord".into();
    t.record(&other);
    // An older state read while building the table does not overwrite a newer one.
    t.record_if_absent(&h(1, 0, None, None, None, None, "refund"));
    assert_eq!(t.len(), 2);

    let window = (Timestamp(0), Timestamp(60 * MIN));
    let all = t.compute(Scope::All, window.0, window.1);
    assert_eq!((all.total, all.pending, all.completed.closed), (2, 1, 1));
    assert_eq!(all.rating.count, 1);
    let web = t.compute(Scope::Platform("web"), window.0, window.1);
    assert_eq!((web.total, web.pending, web.agents.len()), (1, 0, 1));
    assert_eq!(web.agents[0].name, "ANN");
    let discord = t.compute(Scope::Bridge("discord"), window.0, window.1);
    assert_eq!((discord.total, discord.pending), (1, 1));
    assert_eq!(discord.reasons[0].reason, "login");
    let nobody = t.compute(Scope::Platform("unknown"), window.0, window.1);
    assert_eq!((nobody.total, nobody.pending), (0, 0));
}

#[test]
fn outcomes_are_counted_by_the_day_of_the_request() {
    let mut t = FactTable::default();
    let day = 24 * 60;
    t.record(&h(
        1,
        10,
        None,
        None,
        Some((20, Resolution::Closed)),
        None,
        "a",
    ));
    t.record(&h(
        2,
        day + 5,
        None,
        None,
        Some((day + 9, Resolution::ReturnedToAi)),
        None,
        "a",
    ));
    t.record(&h(
        3,
        day + 6,
        Some((day + 7, "ann")),
        None,
        None,
        None,
        "a",
    ));
    t.record(&h(4, 3 * day, None, None, None, None, "a"));
    let bounds = [0, day * MIN, 2 * day * MIN];
    let o = t.outcomes(Scope::All, &bounds);
    assert_eq!(
        o,
        vec![
            Outcomes {
                closed: 1,
                ..Outcomes::default()
            },
            Outcomes {
                returned_to_ai: 1,
                open: 1,
                ..Outcomes::default()
            },
        ]
    );
}
