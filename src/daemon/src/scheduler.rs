//! Timers: due reminders go to the engine; expired dedupe keys are swept.

use std::time::Duration;

use handover_core::Command;
use tokio_util::sync::CancellationToken;

use crate::engine::{Engine, Target};

const TICK: Duration = Duration::from_secs(1);
const SWEEP_EVERY: u32 = 600;

pub async fn run(engine: Engine, cancel: CancellationToken) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut n: u32 = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = cancel.cancelled() => return,
        }
        remind_due(&engine).await;
        n = n.wrapping_add(1);
        if n.is_multiple_of(SWEEP_EVERY)
            && let Err(e) = engine.store().sweep_dedupe(engine.now())
        {
            tracing::error!(error = %e, "Sweeping dedupe keys failed.");
        }
        if n.is_multiple_of(SWEEP_EVERY)
            && let Err(e) = engine.store().sweep_links(engine.now())
        {
            tracing::error!(error = %e, "Sweeping expired file links failed.");
        }
    }
}

/// Sends `Remind` for every handover whose reminder is due now.
pub async fn remind_due(engine: &Engine) {
    let due = match engine.store().due_reminders(engine.now(), 1000) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "Reading due reminders failed.");
            return;
        }
    };
    for id in due {
        if let Err(e) = engine
            .submit(Target::Handover(id), Command::Remind, None)
            .await
        {
            tracing::error!(handover_id = %id, error = %e, "Reminder failed.");
        }
    }
}
