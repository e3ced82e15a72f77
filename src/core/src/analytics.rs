//! Handover analytics over a time window, computed from the handover records themselves
//! (no counters that could drift). Definitions, for a window `[from, to)`:
//!
//! - `total`: handovers requested in the window.
//! - `pending`, `in_progress`: handovers in that status now (window ignored).
//! - `completed`: handovers ended in the window, by resolution.
//! - `time_to_take_over`: request → take-over, of handovers taken in the window.
//! - `first_response`: request → first relayed agent message, of first responses in the window.
//! - `resolution`: request → end, of handovers ended in the window.
//! - `rating`: ratings of handovers ended in the window.
//! - `agents`: per assignee, the same figures restricted to their handovers.
//! - `reasons`: the ten most frequent reasons of handovers requested in the window.
//!
//! Percentiles use the nearest-rank method: the p-th percentile of n sorted values is
//! the value at rank ⌈p·n⌉ (so the median of 1, 2, 3, 4 is 2).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::{Agent, Handover, Resolution, Status, Timestamp};

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Spread {
    pub median_s: Option<f64>,
    pub p90_s: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Completed {
    pub total: u64,
    pub returned_to_ai: u64,
    pub closed: u64,
    pub cancelled: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RatingSummary {
    pub average: Option<f64>,
    pub count: u64,
    pub distribution: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AgentFigures {
    pub id: String,
    pub name: String,
    pub platform: String,
    pub taken: u64,
    pub completed: u64,
    pub first_response_median_s: Option<f64>,
    pub resolution_median_s: Option<f64>,
    pub rating_average: Option<f64>,
    pub rating_count: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReasonCount {
    pub reason: String,
    pub count: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Analytics {
    pub total: u64,
    pub pending: u64,
    pub in_progress: u64,
    pub completed: Completed,
    pub time_to_take_over: Spread,
    pub first_response: Spread,
    pub resolution: Spread,
    pub rating: RatingSummary,
    pub agents: Vec<AgentFigures>,
    pub reasons: Vec<ReasonCount>,
}

/// The nearest-rank percentile of sorted `values`.
pub fn percentile(sorted: &[Duration], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted
        .get(rank.min(sorted.len()) - 1)
        .map(Duration::as_secs_f64)
}

fn spread(mut v: Vec<Duration>) -> Spread {
    v.sort();
    Spread {
        median_s: percentile(&v, 0.5),
        p90_s: percentile(&v, 0.9),
    }
}

#[derive(Default)]
struct AgentAcc {
    agent: Option<Agent>,
    taken: u64,
    completed: u64,
    first: Vec<Duration>,
    resolution: Vec<Duration>,
    ratings: Vec<u8>,
}

fn average(scores: &[u8]) -> Option<f64> {
    (!scores.is_empty())
        .then(|| scores.iter().map(|&s| f64::from(s)).sum::<f64>() / scores.len() as f64)
}

/// Computes the analytics of `handovers` for the window `[from, to)`.
pub fn compute<'a>(
    handovers: impl IntoIterator<Item = &'a Handover>,
    from: Timestamp,
    to: Timestamp,
) -> Analytics {
    let inside = |t: Option<Timestamp>| t.is_some_and(|t| t >= from && t < to);
    let mut a = Analytics::default();
    let (mut take, mut first, mut resolution, mut scores) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut agents: BTreeMap<(String, String), AgentAcc> = BTreeMap::new();
    let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
    for h in handovers {
        match h.status {
            Status::Pending => a.pending += 1,
            Status::InProgress => a.in_progress += 1,
            Status::Completed => {}
        }
        if inside(Some(h.requested_at)) {
            a.total += 1;
            if let Some(r) = h.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
                *reasons.entry(r.to_owned()).or_default() += 1;
            }
        }
        let mut acc = h.assignee.as_ref().map(|ag| {
            let e = agents
                .entry((ag.platform.clone(), ag.id.clone()))
                .or_default();
            e.agent.get_or_insert_with(|| ag.clone());
            e
        });
        if inside(h.taken_at) {
            take.push(h.taken_at.unwrap_or_default().since(h.requested_at));
            if let Some(e) = acc.as_deref_mut() {
                e.taken += 1;
            }
        }
        if inside(h.first_response_at) {
            let d = h
                .first_response_at
                .unwrap_or_default()
                .since(h.requested_at);
            first.push(d);
            if let Some(e) = acc.as_deref_mut() {
                e.first.push(d);
            }
        }
        if inside(h.ended_at) {
            let d = h.ended_at.unwrap_or_default().since(h.requested_at);
            resolution.push(d);
            a.completed.total += 1;
            match h.resolution {
                Some(Resolution::ReturnedToAi) => a.completed.returned_to_ai += 1,
                Some(Resolution::Closed) => a.completed.closed += 1,
                Some(Resolution::Cancelled) => a.completed.cancelled += 1,
                None => {}
            }
            if let Some(r) = &h.rating {
                scores.push(r.score);
            }
            if let Some(e) = acc {
                e.completed += 1;
                e.resolution.push(d);
                if let Some(r) = &h.rating {
                    e.ratings.push(r.score);
                }
            }
        }
    }
    a.time_to_take_over = spread(take);
    a.first_response = spread(first);
    a.resolution = spread(resolution);
    a.rating.count = scores.len() as u64;
    a.rating.average = average(&scores);
    a.rating.distribution = (1..=5u8)
        .map(|s| {
            (
                s.to_string(),
                scores.iter().filter(|&&x| x == s).count() as u64,
            )
        })
        .collect();
    a.agents = agents
        .into_values()
        .filter(|e| e.taken > 0 || e.completed > 0 || !e.first.is_empty())
        .filter_map(|mut e| {
            let agent = e.agent.take()?;
            e.first.sort();
            e.resolution.sort();
            Some(AgentFigures {
                id: agent.id,
                name: agent.name,
                platform: agent.platform,
                taken: e.taken,
                completed: e.completed,
                first_response_median_s: percentile(&e.first, 0.5),
                resolution_median_s: percentile(&e.resolution, 0.5),
                rating_average: average(&e.ratings),
                rating_count: e.ratings.len() as u64,
            })
        })
        .collect();
    let mut reasons: Vec<ReasonCount> = reasons
        .into_iter()
        .map(|(reason, count)| ReasonCount { reason, count })
        .collect();
    reasons.sort_by(|x, y| y.count.cmp(&x.count).then_with(|| x.reason.cmp(&y.reason)));
    reasons.truncate(10);
    a.reasons = reasons;
    a
}

#[cfg(test)]
mod tests;
