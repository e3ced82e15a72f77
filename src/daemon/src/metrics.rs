//! Operational counters and gauges, rendered in the Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use handover_core::Status;

use crate::store::Store;

#[derive(Default)]
pub struct Metrics {
    http_responses: Mutex<BTreeMap<u16, u64>>,
    outbox_depth: Mutex<BTreeMap<String, u64>>,
    pub deliveries: AtomicU64,
    pub delivery_failures: AtomicU64,
    pub delivery_retries: AtomicU64,
    pub deliveries_given_up: AtomicU64,
    pub rate_limited_remote: AtomicU64,
    pub messages_accepted: AtomicU64,
    pub handovers_requested: AtomicU64,
}

pub fn inc(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl Metrics {
    pub fn http_response(&self, status: u16) {
        if let Ok(mut m) = self.http_responses.lock() {
            *m.entry(status).or_default() += 1;
        }
    }

    pub fn set_outbox_depth(&self, sink: &str, depth: u64) {
        if let Ok(mut m) = self.outbox_depth.lock() {
            m.insert(sink.to_owned(), depth);
        }
    }

    /// The whole exposition, with handover gauges read from the store.
    pub fn render(&self, store: &Store, bridges: &[(&str, bool, u64)]) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, v) in samples {
                let _ = writeln!(out, "{name}{labels} {v}");
            }
        };
        let open = [Status::Pending, Status::InProgress].map(|s| {
            (
                format!("{{status=\"{}\"}}", s.as_str()),
                store.count_status(s) as u64,
            )
        });
        metric(
            "handover_handovers",
            "gauge",
            "Open handovers by status.",
            &open,
        );
        let plain = |c: &AtomicU64| vec![(String::new(), c.load(Ordering::Relaxed))];
        metric(
            "handover_handovers_requested_total",
            "counter",
            "Handovers created.",
            &plain(&self.handovers_requested),
        );
        metric(
            "handover_messages_accepted_total",
            "counter",
            "Messages accepted from AI platforms.",
            &plain(&self.messages_accepted),
        );
        metric(
            "handover_deliveries_total",
            "counter",
            "Outbox entries delivered (webhooks and bridges).",
            &plain(&self.deliveries),
        );
        metric(
            "handover_delivery_failures_total",
            "counter",
            "Failed delivery attempts (each is retried).",
            &plain(&self.delivery_failures),
        );
        metric(
            "handover_delivery_retries_total",
            "counter",
            "Delivery retries scheduled.",
            &plain(&self.delivery_retries),
        );
        metric(
            "handover_deliveries_given_up_total",
            "counter",
            "Deliveries abandoned after give_up_after.",
            &plain(&self.deliveries_given_up),
        );
        metric(
            "handover_remote_rate_limited_total",
            "counter",
            "429 answers received from webhooks and chat platforms.",
            &plain(&self.rate_limited_remote),
        );
        let depth: Vec<(String, u64)> = self
            .outbox_depth
            .lock()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (format!("{{sink=\"{k}\"}}"), *v))
                    .collect()
            })
            .unwrap_or_default();
        metric(
            "handover_outbox_depth",
            "gauge",
            "Entries waiting in the outbox, by sink.",
            &depth,
        );
        let codes: Vec<(String, u64)> = self
            .http_responses
            .lock()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (format!("{{code=\"{k}\"}}"), *v))
                    .collect()
            })
            .unwrap_or_default();
        metric(
            "handover_http_responses_total",
            "counter",
            "HTTP API responses by status code.",
            &codes,
        );
        let up: Vec<(String, u64)> = bridges
            .iter()
            .map(|(b, ok, _)| (format!("{{bridge=\"{b}\"}}"), u64::from(*ok)))
            .collect();
        metric(
            "handover_bridge_up",
            "gauge",
            "Whether each chat bridge is connected.",
            &up,
        );
        let waited: Vec<(String, u64)> = bridges
            .iter()
            .map(|(b, _, n)| (format!("{{bridge=\"{b}\"}}"), *n))
            .collect();
        metric(
            "handover_bridge_rate_limited_total",
            "counter",
            "429 answers a chat bridge waited out within an effect.",
            &waited,
        );
        out
    }
}
