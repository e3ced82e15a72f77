//! Assembly and supervision: builds every part from the config, starts them in order,
//! and stops them in order (intake, sources, deliveries, engine, store) on shutdown.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use handover_config::{Config, MuteAi};
use handover_core::{Command, Policy};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::bridge::{Bridge, BridgeContext, HttpContext};
use crate::clock::{Clock, SystemClock};
use crate::delivery::{
    BridgeSink, Dispatcher, Report, RetryPolicy, Sink, WebhookSink, http_client,
};
use crate::engine::{Engine, EngineParts, Settings, Target};
use crate::ingress::{AppState, PlatformAuth, router};
use crate::metrics::Metrics;
use crate::scheduler;
use crate::store::Store;

/// How much memory sled may use for its page cache.
const CACHE_BYTES: u64 = 16 << 20;

/// Retry policy of chat-bridge effects (their own rate limits come from the bridge).
const BRIDGE_RETRY: RetryPolicy = RetryPolicy {
    initial: Duration::from_millis(500),
    max: Duration::from_secs(60),
    give_up_after: Duration::from_secs(24 * 3600),
};

/// What can be swapped in tests.
pub struct Options {
    pub clock: Arc<dyn Clock>,
    pub bridges: Vec<Arc<dyn Bridge>>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            bridges: Vec::new(),
        }
    }
}

/// A running daemon.
pub struct Daemon {
    pub addr: SocketAddr,
    pub engine: Engine,
    pub metrics: Arc<Metrics>,
    stopping: CancellationToken,
    sources: CancellationToken,
    deliveries: CancellationToken,
    engine_stop: CancellationToken,
    store_stop: CancellationToken,
    server: JoinHandle<std::io::Result<()>>,
    source_tasks: Vec<JoinHandle<()>>,
    dispatcher: JoinHandle<()>,
    reports: JoinHandle<()>,
    engine_tasks: Vec<JoinHandle<()>>,
    flusher: JoinHandle<()>,
    grace: Duration,
}

pub fn policy(c: &Config) -> Policy {
    let h = &c.handover;
    Policy {
        mute_ai: match h.mute_ai {
            MuteAi::OnTakeOver => handover_core::MuteAi::OnTakeOver,
            MuteAi::OnRequest => handover_core::MuteAi::OnRequest,
        },
        return_to_ai: h.return_to_ai,
        take_over_on_reply: h.take_over_on_reply,
        remind_after: h.remind_after,
        remind_every: h.remind_every,
        note_prefix: h.note_prefix.clone(),
    }
}

fn settings(c: &Config) -> Settings {
    let mut s = Settings {
        enabled_seed: c.handover.enabled,
        digest_zone: Some(c.digest.zone),
        ..Settings::default()
    };
    let bridges = [
        ("slack", c.slack.enabled, &c.slack.members, &c.slack.admins),
        (
            "discord",
            c.discord.enabled,
            &c.discord.members,
            &c.discord.admins,
        ),
    ];
    for (name, enabled, members, admins) in bridges {
        if enabled {
            s.members_seed.insert(name.to_owned(), members.clone());
            s.admins.insert(
                name.to_owned(),
                admins.iter().cloned().collect::<HashSet<_>>(),
            );
        }
    }
    s
}

impl Daemon {
    /// Opens the store, starts every part and binds the API. Fails before binding when
    /// the store is locked or corrupt.
    pub async fn start(config: &Config, opts: Options) -> anyhow::Result<Self> {
        let store = Store::open(&config.data_dir, CACHE_BYTES)?;
        // Reading the whole outbox now also refuses to start on an undecodable entry.
        let pending = store.outbox()?;
        let settings = settings(config);
        settings.seed(&store)?;
        store.flush().await?;

        // The analytics index fills in the background; analytics wait for it.
        let facts = store.clone();
        tokio::spawn(async move {
            if let Err(e) = facts.facts_ready().await {
                tracing::error!(error = %e, "Cannot build the analytics index.");
            }
        });

        let metrics = Arc::new(Metrics::default());
        let store_stop = CancellationToken::new();
        let flusher = store.spawn_flusher(store_stop.clone());

        let (outbox_tx, outbox_rx) = mpsc::unbounded_channel();
        let engine_stop = CancellationToken::new();
        let (engine, engine_tasks) = Engine::start(
            EngineParts {
                store: store.clone(),
                clock: opts.clock.clone(),
                policy: policy(config),
                settings,
                dedupe_ttl: config.server.dedupe_ttl,
                outbox: outbox_tx,
                shards: 64,
            },
            engine_stop.clone(),
        );

        let client = http_client();
        let mut sinks: HashMap<String, Arc<dyn Sink>> = HashMap::new();
        for p in &config.platforms {
            let url: hyper::Uri = p
                .webhook_url
                .parse()
                .with_context(|| format!("platform {} webhook_url", p.id))?;
            let sink = WebhookSink {
                url,
                secret: p.webhook_secret.expose().as_bytes().to_vec(),
                timeout: p.timeout,
                retry: RetryPolicy {
                    initial: p.retry_initial,
                    max: p.retry_max,
                    give_up_after: p.give_up_after,
                },
                client: client.clone(),
                clock: opts.clock.clone(),
            };
            sinks.insert(
                crate::store::OutboxEntry::webhook_sink(&p.id),
                Arc::new(sink),
            );
        }
        for b in &opts.bridges {
            let sink = BridgeSink {
                bridge: b.clone(),
                engine: engine.clone(),
                retry: BRIDGE_RETRY,
            };
            sinks.insert(
                crate::store::OutboxEntry::bridge_sink(b.name()),
                Arc::new(sink),
            );
        }

        let deliveries = CancellationToken::new();
        let (reports_tx, reports_rx) = mpsc::unbounded_channel();
        let dispatcher = Dispatcher {
            store: store.clone(),
            sinks,
            reports: reports_tx,
            clock: opts.clock.clone(),
            metrics: metrics.clone(),
        };
        let dispatcher = tokio::spawn(dispatcher.run(pending, outbox_rx, deliveries.clone()));
        let reports = tokio::spawn(apply_reports(engine.clone(), reports_rx));

        let stopping = CancellationToken::new();
        let platforms = config
            .platforms
            .iter()
            .map(|p| {
                let (rate, burst) = (
                    config.server.rate_limit_per_second,
                    config.server.rate_limit_burst,
                );
                Arc::new(PlatformAuth::new(
                    &p.id,
                    p.bridge.as_str(),
                    p.token.expose(),
                    rate,
                    burst,
                ))
            })
            .collect();
        let state = AppState {
            engine: engine.clone(),
            platforms: Arc::new(platforms),
            bridges: Arc::new(opts.bridges.clone()),
            metrics: metrics.clone(),
            max_body_bytes: config.server.max_body_bytes,
            stopping: stopping.clone(),
        };
        let listener = tokio::net::TcpListener::bind(config.server.listen)
            .await
            .with_context(|| {
                format!("cannot listen on server.listen = {}", config.server.listen)
            })?;
        let addr = listener.local_addr()?;
        let public_url = config
            .server
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"));
        let http = HttpContext {
            engine: engine.clone(),
            max_body_bytes: config.server.max_body_bytes,
            public_url: public_url.clone(),
        };
        let bridge_routes = opts
            .bridges
            .iter()
            .filter_map(|b| b.http_routes(&http))
            .collect();
        let sources = CancellationToken::new();
        let mut source_tasks = vec![
            tokio::spawn(scheduler::run(engine.clone(), sources.clone())),
            tokio::spawn(crate::digest::run(
                engine.clone(),
                Arc::new(opts.bridges.clone()),
                config.digest.clone(),
                sources.clone(),
            )),
        ];
        for b in &opts.bridges {
            let (b, ctx) = (
                b.clone(),
                BridgeContext {
                    engine: engine.clone(),
                    cancel: sources.clone(),
                    public_url: public_url.clone(),
                },
            );
            source_tasks.push(tokio::spawn(async move { b.start(ctx).await }));
        }

        let stop = stopping.clone();
        let server = tokio::spawn(async move {
            axum::serve(listener, router(state, bridge_routes))
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
        });
        tracing::info!(%addr, platforms = config.platforms.len(), "Handover Bridge is listening.");
        Ok(Self {
            addr,
            engine,
            metrics,
            stopping,
            sources,
            deliveries,
            engine_stop,
            store_stop,
            server,
            source_tasks,
            dispatcher,
            reports,
            engine_tasks,
            flusher,
            grace: config.server.shutdown_grace,
        })
    }

    /// Stops intake, lets the parts drain in order, flushes the store. Whatever is not
    /// done within the grace period stays in the store for the next start.
    pub async fn shutdown(self) {
        let grace = self.grace;
        let store = self.engine.store().clone();
        let ordered = async move {
            self.stopping.cancel();
            let _ = self.server.await;
            self.sources.cancel();
            for t in self.source_tasks {
                let _ = t.await;
            }
            self.deliveries.cancel();
            let _ = self.dispatcher.await;
            let _ = self.reports.await;
            self.engine_stop.cancel();
            for t in self.engine_tasks {
                let _ = t.await;
            }
            self.store_stop.cancel();
            let _ = self.flusher.await;
        };
        if tokio::time::timeout(grace, ordered).await.is_err() {
            tracing::warn!(
                grace_ms = grace.as_millis() as u64,
                "Shutdown grace period over; stopping now."
            );
        }
        if let Err(e) = store.flush().await {
            tracing::error!(error = %e, "Final flush failed.");
        }
        tracing::info!("Handover Bridge stopped.");
    }

    /// Whether the HTTP server has stopped on its own (a fatal error).
    pub fn server_finished(&self) -> bool {
        self.server.is_finished()
    }
}

/// Feeds what deliveries report (delivery marks of agent messages) back to the engine.
async fn apply_reports(engine: Engine, mut rx: mpsc::UnboundedReceiver<Report>) {
    while let Some(r) = rx.recv().await {
        let Report::Delivery {
            handover: id,
            message_id,
            outcome,
        } = r;
        let cmd = Command::Delivery {
            message_id,
            outcome,
        };
        if let Err(e) = engine.submit(Target::Handover(id), cmd, None).await {
            tracing::error!(handover_id = %id, error = %e, "Cannot record a delivery report.");
        }
    }
}
