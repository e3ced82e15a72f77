//! The digest's content: a week's figures against the week before, the per-agent table,
//! the top reasons and the chart, as text both Slack and Discord show well (tables in
//! a code block, no platform markup).

use handover_core::analytics::{AgentFigures, Analytics, Outcomes, Spread};

use super::chart::{self, DayBar};
use super::schedule::Week;
use crate::store::{Store, StoreError, Whose};

/// A digest ready to post.
#[derive(Clone, Debug, PartialEq)]
pub struct Digest {
    /// The week's name (`2026-11-23`), or `now-…` for one asked for.
    pub key: String,
    /// `Handover digest · 16–22 Nov 2026`.
    pub title: String,
    pub text: String,
    /// PNG bytes.
    pub chart: Vec<u8>,
    pub chart_name: String,
}

fn minutes(s: Option<f64>) -> String {
    match s {
        None => "—".to_owned(),
        Some(s) if s < 90.0 => format!("{s:.0} s"),
        Some(s) if s < 90.0 * 60.0 => format!("{:.0} min", s / 60.0),
        Some(s) => format!("{:.1} h", s / 3600.0),
    }
}

fn spread(s: &Spread) -> String {
    format!("median {} · p90 {}", minutes(s.median_s), minutes(s.p90_s))
}

/// `+20%`, `−5%`, `new`, or nothing when both are zero.
fn change(now: u64, before: u64) -> String {
    match (now, before) {
        (0, 0) => String::new(),
        (_, 0) => " (new)".to_owned(),
        _ => {
            let pct = (now as f64 - before as f64) * 100.0 / before as f64;
            let sign = if pct >= 0.0 { "+" } else { "−" };
            format!(" ({sign}{:.0}% on the week before)", pct.abs())
        }
    }
}

fn rating(a: &Analytics) -> String {
    a.rating.average.map_or_else(
        || "no ratings".to_owned(),
        |r| format!("{r:.1}/5 from {}", a.rating.count),
    )
}

/// The per-agent table, in a code block.
fn agent_table(agents: &[AgentFigures]) -> String {
    let mut out = String::from("```\n");
    out.push_str(&format!(
        "{:<22} {:>5} {:>5} {:>10} {:>10} {:>7}\n",
        "agent", "taken", "done", "1st reply", "resolved", "rating"
    ));
    for a in agents {
        let name: String = a.name.chars().take(22).collect();
        let rating = a
            .rating_average
            .map_or("—".to_owned(), |r| format!("{r:.1}"));
        out.push_str(&format!(
            "{name:<22} {:>5} {:>5} {:>10} {:>10} {rating:>7}\n",
            a.taken,
            a.completed,
            minutes(a.first_response_median_s),
            minutes(a.resolution_median_s),
        ));
    }
    out.push_str("```\n");
    out
}

fn reasons(a: &Analytics) -> String {
    let mut out = String::from("Top reasons (where the AI needs training)\n");
    for (i, r) in a.reasons.iter().enumerate() {
        out.push_str(&format!("{}. {} — {}\n", i + 1, r.reason, r.count));
    }
    out
}

/// The answer to `/handover stats`: the window's figures as a readable table.
pub fn stats_text(title: &str, a: &Analytics) -> String {
    let c = &a.completed;
    let stars: Vec<String> = a
        .rating
        .distribution
        .iter()
        .map(|(score, n)| format!("{score}★ {n}"))
        .collect();
    let mut out = format!(
        "{title}\n\
         Handovers {} · pending {} · in progress {} · completed {} (back to AI {} · closed {} · cancelled {})\n\
         Take-over {}\n\
         First response {}\n\
         Resolution {}\n\
         Rating {} · {}\n",
        a.total,
        a.pending,
        a.in_progress,
        c.total,
        c.returned_to_ai,
        c.closed,
        c.cancelled,
        spread(&a.time_to_take_over),
        spread(&a.first_response),
        spread(&a.resolution),
        rating(a),
        stars.join(" · "),
    );
    if !a.agents.is_empty() {
        out.push('\n');
        out.push_str(&agent_table(&a.agents));
    }
    if !a.reasons.is_empty() {
        out.push('\n');
        out.push_str(&reasons(a));
    }
    out
}

/// The text of a digest of `week` against `before`.
pub fn text(title: &str, week: &Analytics, before: &Analytics) -> String {
    let c = &week.completed;
    let mut out = format!(
        "{title}\n\
         Handovers: {}{}\n\
         Completed: {} (back to AI {} · closed {} · cancelled {}); now pending {}, in progress {}\n\
         Time to take over: {} (week before: {})\n\
         First response: {} (week before: {})\n\
         Resolution: {} (week before: {})\n\
         Customer rating: {} (week before: {})\n",
        week.total,
        change(week.total, before.total),
        c.total,
        c.returned_to_ai,
        c.closed,
        c.cancelled,
        week.pending,
        week.in_progress,
        spread(&week.time_to_take_over),
        spread(&before.time_to_take_over),
        spread(&week.first_response),
        spread(&before.first_response),
        spread(&week.resolution),
        spread(&before.resolution),
        rating(week),
        rating(before),
    );
    if !week.agents.is_empty() {
        out.push_str("\nPer agent\n");
        out.push_str(&agent_table(&week.agents));
    }
    if !week.reasons.is_empty() {
        out.push('\n');
        out.push_str(&reasons(week));
    }
    out
}

/// The chart's bars for the week's seven days.
pub fn bars(week: &Week, outcomes: &[Outcomes]) -> Vec<DayBar> {
    week.days
        .iter()
        .zip(outcomes)
        .map(|(d, o)| DayBar {
            label: d.format("%a %d").to_string().to_uppercase(),
            returned_to_ai: o.returned_to_ai,
            closed: o.closed,
            cancelled: o.cancelled,
            open: o.open,
        })
        .collect()
}

/// Builds the digest of `whose` handovers for `week`.
pub async fn build(store: &Store, whose: Whose, week: &Week) -> Result<Digest, StoreError> {
    let now = store.analytics(whose.clone(), week.from, week.to).await?;
    let before = store
        .analytics(whose.clone(), week.previous_from, week.from)
        .await?;
    let outcomes = store.outcomes(whose, week.day_bounds.clone()).await?;
    let (first, last) = (week.days.first(), week.days.last());
    let span = match (first, last) {
        (Some(f), Some(l)) => format!("{} – {}", f.format("%-d %b"), l.format("%-d %b %Y")),
        _ => String::new(),
    };
    let title = format!("Handover digest · {span}");
    Ok(Digest {
        key: week.key.clone(),
        text: text(&title, &now, &before),
        chart: chart::render(
            &format!(
                "HANDOVERS PER DAY {}",
                span.replace('–', "-").to_uppercase()
            ),
            &bars(week, &outcomes),
        ),
        chart_name: format!("handover-digest-{}.png", week.key),
        title,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use handover_core::analytics::{Completed, ReasonCount};

    #[test]
    fn the_text_compares_the_weeks_and_lists_agents_and_reasons() {
        let week = Analytics {
            total: 12,
            completed: Completed {
                total: 10,
                returned_to_ai: 6,
                closed: 3,
                cancelled: 1,
            },
            time_to_take_over: Spread {
                median_s: Some(240.0),
                p90_s: Some(1080.0),
            },
            agents: vec![AgentFigures {
                id: "U1".into(),
                name: "Grace Hopper".into(),
                platform: "slack".into(),
                taken: 7,
                completed: 6,
                first_response_median_s: Some(45.0),
                resolution_median_s: Some(7200.0),
                rating_average: Some(4.5),
                rating_count: 4,
            }],
            reasons: vec![ReasonCount {
                reason: "refund".into(),
                count: 5,
            }],
            ..Analytics::default()
        };
        let before = Analytics {
            total: 10,
            ..Analytics::default()
        };
        let t = text("Handover digest · 16 Nov – 22 Nov 2026", &week, &before);
        assert!(t.contains("Handovers: 12 (+20% on the week before)"), "{t}");
        assert!(t.contains("back to AI 6 · closed 3 · cancelled 1"), "{t}");
        assert!(
            t.contains(
                "Time to take over: median 4 min · p90 18 min (week before: median — · p90 —)"
            ),
            "{t}"
        );
        assert!(
            t.contains("Grace Hopper               7     6       45 s      2.0 h     4.5"),
            "{t}"
        );
        assert!(t.contains("1. refund — 5"), "{t}");
        assert_eq!(change(5, 10), " (−50% on the week before)");
        assert_eq!(change(3, 0), " (new)");
        assert_eq!(change(0, 0), "");
    }
}
