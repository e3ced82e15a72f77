//! The weekly digest (SPEC §6): at `[digest] schedule` in `timezone`, each bridge with a
//! digest channel gets last week's figures against the week before, the per-agent
//! table, the top reasons and a chart of handovers per day by outcome.
//!
//! Exactly one digest per week and bridge: the store remembers the last week posted
//! (`digest_week:<bridge>`), written once the post succeeded. A week that came due
//! while the daemon was down is posted when it starts; only the latest such week is
//! posted, not every one missed. On the very first start nothing is posted: the
//! latest week is recorded as done, and the first digest comes at the next schedule
//! (`/handover digest` posts one at any time). A crash between the post and that
//! record would post the week again, the same at-least-once window as every post.

mod chart;
mod font;
mod report;
mod schedule;

use std::sync::Arc;
use std::time::Duration;

use handover_config::DigestConfig;
use tokio_util::sync::CancellationToken;

pub use chart::DayBar;
pub use report::{Digest, build, stats_text};
pub use schedule::{Week, last_seven_days, latest_due, week_ending};

use crate::bridge::Bridge;
use crate::engine::Engine;
use crate::store::{StoreError, Whose};

/// How often the schedule is checked.
const TICK: Duration = Duration::from_secs(1);

/// The setting that remembers the last week posted to `bridge`.
fn setting(bridge: &str) -> String {
    format!("digest_week:{bridge}")
}

/// Checks the schedule every second until `cancel`.
pub async fn run(
    engine: Engine,
    bridges: Arc<Vec<Arc<dyn Bridge>>>,
    config: DigestConfig,
    cancel: CancellationToken,
) {
    if !config.enabled {
        return;
    }
    let mut tick = tokio::time::interval(TICK);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                for b in bridges.iter().filter(|b| b.has_digest() && b.ready()) {
                    if let Err(e) = due(&engine, b.as_ref(), &config).await {
                        tracing::warn!(bridge = b.name(), error = %e, "The weekly digest could not be posted; retrying.");
                    }
                }
            }
            () = cancel.cancelled() => return,
        }
    }
}

/// Posts the latest due week's digest to `bridge` unless it was posted already.
async fn due(engine: &Engine, bridge: &dyn Bridge, config: &DigestConfig) -> Result<(), String> {
    let week = latest_due(config.schedule, config.zone, engine.now());
    let store = engine.store();
    let name = setting(bridge.name());
    let done: Option<String> = store.setting(&name).map_err(|e| e.to_string())?;
    match done {
        Some(k) if k >= week.key => return Ok(()),
        Some(_) => {}
        None => {
            // First start: nothing was missed yet.
            remember(engine, &name, &week.key)
                .await
                .map_err(|e| e.to_string())?;
            return Ok(());
        }
    }
    let digest = build(store, Whose::Bridge(bridge.name().to_owned()), &week)
        .await
        .map_err(|e| e.to_string())?;
    bridge.post_digest(&digest).await.map_err(|e| e.reason)?;
    remember(engine, &name, &week.key)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(bridge = bridge.name(), week = %week.key, "Posted the weekly digest.");
    Ok(())
}

async fn remember(engine: &Engine, name: &str, key: &str) -> Result<(), StoreError> {
    let ticket = engine.store().put_setting(name, &key.to_owned())?;
    engine.store().durable(ticket).await
}

/// The digest of the last seven days up to now, for `/handover digest`.
pub async fn now(engine: &Engine, bridge: &str) -> Result<Digest, StoreError> {
    let zone = engine.settings().digest_zone.unwrap_or(chrono_tz::Tz::UTC);
    let week = last_seven_days(zone, engine.now());
    build(engine.store(), Whose::Bridge(bridge.to_owned()), &week).await
}
