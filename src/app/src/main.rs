//! `handover-bridge`: run the daemon, check a config file, play the demo, print the
//! Discord bot's invite URL.

#![forbid(unsafe_code)]

mod demo;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use handover_config::{Config, LogFormat};
use handover_daemon::bridge::Bridge;
use handover_daemon::daemon::{Daemon, Options};
use handover_discord::DiscordBridge;
use handover_slack::{Limits, SlackBridge};

const USAGE: &str = "\
Handover Bridge: carries AI-to-human handovers into Slack and Discord.

Usage:
  handover-bridge demo
  handover-bridge run [--config FILE]
  handover-bridge check-config [--config FILE] [--print]
  handover-bridge discord-invite [--config FILE]
  handover-bridge --version

Every config key can be set by an environment variable HANDOVER__SECTION__KEY
(e.g. HANDOVER__SERVER__LISTEN=0.0.0.0:8080). See deploy.md.";

/// Exit code for an invalid configuration (EX_CONFIG-like usage error).
const EXIT_CONFIG: u8 = 64;

struct Args {
    command: String,
    config: Option<PathBuf>,
    print: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let command = it.next().ok_or_else(|| "no command given".to_owned())?;
    let mut args = Args {
        command,
        config: None,
        print: false,
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--config" | "-c" => {
                args.config = Some(it.next().ok_or("--config needs a file")?.into())
            }
            "--print" => args.print = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

fn load(path: Option<&std::path::Path>) -> Result<Config, ExitCode> {
    handover_config::load_from_process_env(path).map_err(|errors| {
        eprintln!("The configuration has {} problem(s):", errors.len());
        for e in errors.iter() {
            eprintln!("  {e}");
        }
        ExitCode::from(EXIT_CONFIG)
    })
}

fn init_logs(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&config.log.level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log.format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Pretty => builder.init(),
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !matches!(
                std::env::args().nth(1).as_deref(),
                Some("--help" | "-h" | "help")
            ) {
                eprintln!("error: {e}\n");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match args.command.as_str() {
        "--version" | "-V" | "version" => {
            println!("handover-bridge {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        "--help" | "-h" | "help" => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        "check-config" => match load(args.config.as_deref()) {
            Err(code) => code,
            Ok(config) => {
                for w in config.warnings() {
                    eprintln!("warning: {w}");
                }
                if args.print {
                    println!("{}", config.redacted_toml());
                }
                println!("The configuration is valid.");
                ExitCode::SUCCESS
            }
        },
        "demo" => demo(),
        "discord-invite" => match load(args.config.as_deref()) {
            Err(code) => code,
            Ok(config) => discord_invite(&config),
        },
        "run" => match load(args.config.as_deref()) {
            Err(code) => code,
            Ok(config) => run(config),
        },
        other => {
            eprintln!("error: unknown command {other:?}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// Prints the bot invite URL for `[discord]`, then what each permission is for.
fn discord_invite(config: &Config) -> ExitCode {
    use handover_discord::setup;
    let url = match setup::invite_url(&config.discord) {
        Ok(url) => url,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    println!("{url}");
    let mode = config.discord.mode;
    println!(
        "\nOpen it as someone with Manage Server on your server and pick the server.\nPermissions (mode = \"{mode}\"):"
    );
    for (_, name, why) in setup::permission_list(mode) {
        println!("  {name}: {why}");
    }
    println!(
        "Gateway intents (switch the privileged one on under Developer Portal → Bot → Privileged Gateway Intents):"
    );
    for (_, name, why) in setup::INTENTS {
        println!("  {name}: {why}");
    }
    ExitCode::SUCCESS
}

/// Runs the whole flow against the built-in emulators and prints what each side saw.
fn demo() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(demo::run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo failed: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(config: Config) -> ExitCode {
    init_logs(&config);
    for w in config.warnings() {
        tracing::warn!("{w}");
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let options = Options {
            bridges: bridges(&config),
            ..Options::default()
        };
        let daemon = match Daemon::start(&config, options).await {
            Ok(d) => d,
            Err(e) => {
                tracing::error!("Cannot start: {e:#}");
                eprintln!("error: {e:#}");
                return ExitCode::FAILURE;
            }
        };
        let reason = supervise(&daemon).await;
        tracing::info!(reason, "Shutting down.");
        let failed = reason == "server stopped";
        daemon.shutdown().await;
        if failed {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        }
    })
}

/// The chat bridges `[slack]` and `[discord]` turn on.
fn bridges(config: &Config) -> Vec<Arc<dyn Bridge>> {
    let mut out: Vec<Arc<dyn Bridge>> = Vec::new();
    if config.slack.enabled {
        out.push(Arc::new(SlackBridge::new(&config.slack, Limits::default())));
    }
    if config.discord.enabled {
        out.push(Arc::new(DiscordBridge::new(&config.discord)));
    }
    out
}

/// Waits for SIGTERM or SIGINT (the only place that handles signals), or for the HTTP
/// server to stop on its own.
async fn supervise(daemon: &Daemon) -> &'static str {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "Cannot watch SIGTERM.");
            return "no signal handler";
        }
    };
    let mut check = tokio::time::interval(std::time::Duration::from_millis(500));
    loop {
        tokio::select! {
            _ = term.recv() => return "SIGTERM",
            _ = tokio::signal::ctrl_c() => return "SIGINT",
            _ = check.tick() => if daemon.server_finished() { return "server stopped" },
        }
    }
}
