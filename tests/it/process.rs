//! The real binary as a separate process: kill -9 with undelivered events, SIGTERM,
//! a second instance on the same data_dir, check-config, the demo and discord-invite.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::support::*;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_handover-bridge");

pub(crate) fn write_config(dir: &Path, webhook: SocketAddr) -> std::path::PathBuf {
    let toml = config_toml(
        &dir.join("data"),
        webhook,
        "[log]\nformat = \"json\"\nlevel = \"info\"",
    );
    let path = dir.join("handover-bridge.toml");
    std::fs::write(&path, toml).expect("write config");
    path
}

/// A running `handover-bridge run` and the address it listens on.
pub(crate) struct Proc {
    pub child: Child,
    pub addr: SocketAddr,
    /// Every line the daemon logged so far.
    pub log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

pub(crate) fn spawn(config: &Path) -> Proc {
    let mut cmd = Command::new(BIN);
    cmd.args(["run", "--config"]).arg(config);
    spawn_command(cmd)
}

/// Starts `cmd` (a `handover-bridge run`) and waits for the address it reports.
pub(crate) fn spawn_command(mut cmd: Command) -> Proc {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn handover-bridge");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            keep.lock().expect("log").push(line.clone());
            let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            if let Some(addr) = v.pointer("/fields/addr").and_then(|a| a.as_str()) {
                let _ = tx.send(addr.to_owned());
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the daemon reports its address");
    Proc {
        child,
        addr: addr.parse().expect("addr"),
        log,
    }
}

/// The distinct event ids among `rs`, sorted.
fn unique_ids(rs: &[Received]) -> Vec<String> {
    let mut ids: Vec<String> = rs
        .iter()
        .map(|r| r.json()["event_id"].as_str().expect("id").to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

pub(crate) fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + within;
    loop {
        if let Some(s) = child.try_wait().expect("wait") {
            return s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "process did not exit within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn events_undelivered_at_sigkill_are_delivered_after_restart_with_the_same_ids() {
    let dir = tempfile::tempdir().expect("tempdir");
    let webhook = Receiver::start().await;
    webhook.set(Answer::Fail);
    let config = write_config(dir.path(), webhook.addr);
    let mut p = spawn(&config);
    let api = Api::new(p.addr);
    for i in 0..3 {
        let conv = format!("killed-{i}");
        let r = api.post("/v1/handovers", handover_request(&conv)).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.body["handover_id"].as_str().expect("id").to_owned();
        let r = api
            .post(
                &format!("/v1/handovers/{id}/end"),
                json!({"resolution": "cancelled", "reason": "user left"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    // Every event was tried (and refused) at least once before the kill.
    let ids_before =
        wait_for(|| Some(unique_ids(&webhook.all())).filter(|ids| ids.len() == 3)).await;
    p.child.kill().expect("SIGKILL");
    p.child.wait().expect("reaped");

    webhook.set(Answer::Ok);
    let mut p = spawn(&config);
    // At least once: a request the receiver was still handling when the old process
    // died may count as delivered and come again; receivers dedupe on event_id.
    let ids_after =
        wait_for(|| Some(unique_ids(&webhook.delivered())).filter(|ids| ids.len() >= 3)).await;
    let delivered = webhook.delivered();
    assert_eq!(
        ids_after, ids_before,
        "the same events, with the same event_id"
    );
    for r in &delivered {
        assert_eq!(r.json()["type"], "handover.ended");
        assert_eq!(r.json()["data"]["resolution"], "cancelled");
    }
    // And the state survived too.
    let api = Api::new(p.addr);
    let list = api.get("/v1/handovers?status=completed").await;
    assert_eq!(
        list.body["items"].as_array().map(Vec::len),
        Some(3),
        "{}",
        list.text
    );
    p.child.kill().expect("kill");
    p.child.wait().expect("reaped");
}

#[tokio::test]
async fn sigterm_drains_and_exits_zero_keeping_what_was_acknowledged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let webhook = Receiver::start().await;
    let config = write_config(dir.path(), webhook.addr);
    let mut p = spawn(&config);
    let api = Api::new(p.addr);
    assert_eq!(
        api.post("/v1/handovers", handover_request("term"))
            .await
            .status,
        201
    );
    let status = Command::new("kill")
        .args(["-TERM", &p.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = wait_exit(&mut p.child, Duration::from_secs(10));
    assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
    let mut p = spawn(&config);
    let r = Api::new(p.addr).get("/v1/conversations/term").await;
    assert_eq!(r.body["handover"]["handover_id"], "H-1");
    p.child.kill().expect("kill");
    p.child.wait().expect("reaped");
}

#[tokio::test]
async fn a_second_process_on_the_same_data_dir_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let webhook = Receiver::start().await;
    let config = write_config(dir.path(), webhook.addr);
    let mut first = spawn(&config);
    let out = Command::new(BIN)
        .args(["run", "--config"])
        .arg(&config)
        .output()
        .expect("second");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("in use by another handover-bridge process"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("pid {}", first.child.id())),
        "{stderr}"
    );
    // The first one is unharmed.
    assert_eq!(Api::new(first.addr).get("/healthz").await.status, 200);
    first.child.kill().expect("kill");
    first.child.wait().expect("reaped");
}

#[test]
fn check_config_explains_every_error_and_never_prints_secrets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = write_config(dir.path(), "127.0.0.1:9".parse().expect("addr"));
    let out = Command::new(BIN)
        .args(["check-config", "--print", "--config"])
        .arg(&good)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !stdout.contains(TOKEN) && !stdout.contains(SECRET),
        "secrets must not be printed"
    );

    let bad = dir.path().join("bad.toml");
    let text = std::fs::read_to_string(&good).expect("read").replace(
        "listen = \"127.0.0.1:0\"",
        "listen = \"nowhere\"\nlisen = 1",
    );
    std::fs::write(&bad, text).expect("write");
    let out = Command::new(BIN)
        .args(["check-config", "--config"])
        .arg(&bad)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "{stderr}");
    assert!(
        stderr.contains("server.lisen"),
        "unknown key named: {stderr}"
    );
    assert!(!stderr.contains(TOKEN), "{stderr}");

    let out = Command::new(BIN)
        .args(["check-config", "--config"])
        .arg(&good)
        .env("HANDOVER__HANDOVER__REMIND_AFTER", "soon")
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64));
    assert!(stderr.contains("handover.remind_after"), "{stderr}");
}

#[test]
fn the_demo_plays_the_whole_flow_and_exits_zero() {
    let out = Command::new(BIN).arg("demo").output().expect("run demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "Grace Hopper (agent): Hi Ada",
        "handover.taken agent \"Grace Hopper\"  (signature verified)",
        "handover.ended \"returned_to_ai\" — hand-back with 3 messages  (signature verified)",
        "(only Sam Support saw) Only the selected members",
        "[white_check_mark]",
        "H-1: \"completed\", resolution \"returned_to_ai\", rating 5",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
    // The Discord part, after the Slack one.
    let discord = stdout
        .split_once("Part 2: Discord")
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("no Discord part in:\n{stdout}"));
    for line in [
        // The private channel, hidden from everyone but the bot and the selected members.
        "#h-2-lin-chen created under “handovers”; hidden from @everyone (role), \
         visible to handover-bot (bot), Katherine Johnson, @support (role)",
        // The end user got the member's message.
        "Katherine Johnson (agent): Hi Lin, I'm Katherine.",
        // The channel: header card with its final status, the delivery mark on the
        // member's message, the end user's message under her name through the webhook.
        "What the Discord channel #h-2-lin-chen saw (now in “handovers-archive”)",
        "[header card, edited] handover-bot (bot): @Katherine Johnson @support New handover H-2: Lin Chen",
        "H-2 · Lin Chen · Status: Ended (returned to ai) · Rating: 4/5 · buttons: none",
        "Katherine Johnson: Hi Lin, I'm Katherine. I've refunded the second charge; you'll see it in 3 days.  [✅]",
        "Lin Chen (webhook): Thank you, that was fast!",
        "(only Katherine Johnson saw) You have H-2 now.",
        // The AI platform of the Discord side.
        "What the AI platform received (app)",
        "handover.taken agent \"Katherine Johnson\"  (signature verified)",
        "handover.ended \"returned_to_ai\" — hand-back with 2 messages  (signature verified)",
        "H-2: \"completed\", resolution \"returned_to_ai\", rating 4, assignee \"Katherine Johnson\"",
    ] {
        assert!(discord.contains(line), "missing {line:?} in:\n{stdout}");
    }
    // The internal note stayed in Discord.
    let received = discord
        .split_once("What the AI platform received (app)")
        .map_or("", |(_, rest)| rest);
    assert!(
        !received.contains("payment retry bug") && !received.contains("INVALID"),
        "{stdout}"
    );
}

/// `discord-invite` prints the bot invite URL with the permissions of the configured
/// mode, and refuses (exit 64) a config without a valid application id.
#[test]
fn discord_invite_prints_the_bot_invite_url_for_the_configured_application() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = std::fs::read_to_string(write_config(
        dir.path(),
        "127.0.0.1:9".parse().expect("addr"),
    ))
    .expect("read");
    let invite = |name: &str, discord: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("{base}\n[discord]\n{discord}")).expect("write");
        Command::new(BIN)
            .args(["discord-invite", "--config"])
            .arg(&path)
            .output()
            .expect("run")
    };

    let out = invite("channel.toml", "application_id = \"1234567890123456789\"\n");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // VIEW_CHANNEL, MANAGE_CHANNELS, MANAGE_ROLES, MANAGE_WEBHOOKS, SEND_MESSAGES,
    // EMBED_LINKS, ATTACH_FILES, READ_MESSAGE_HISTORY, ADD_REACTIONS.
    let bits: u64 = [10, 4, 28, 29, 11, 14, 15, 16, 6]
        .iter()
        .map(|b| 1u64 << b)
        .sum();
    assert_eq!(
        stdout.lines().next(),
        Some(
            format!(
                "https://discord.com/oauth2/authorize?client_id=1234567890123456789\
                 &scope=bot%20applications.commands&permissions={bits}"
            )
            .as_str()
        ),
        "{stdout}"
    );
    assert!(stdout.contains("Manage Webhooks"), "{stdout}");
    assert!(stdout.contains("MESSAGE_CONTENT (privileged)"), "{stdout}");

    // private_thread mode adds CREATE_PRIVATE_THREADS, SEND_MESSAGES_IN_THREADS and
    // MANAGE_THREADS.
    let out = invite(
        "thread.toml",
        "application_id = \"1234567890123456789\"\nmode = \"private_thread\"\n",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let thread_bits = bits + (1u64 << 36) + (1u64 << 38) + (1u64 << 34);
    assert!(
        stdout
            .lines()
            .next()
            .is_some_and(|l| l.ends_with(&format!("&permissions={thread_bits}"))),
        "{stdout}"
    );

    for (name, discord) in [
        ("none.toml", ""),
        ("bad.toml", "application_id = \"my-bot\"\n"),
    ] {
        let out = invite(name, discord);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(64), "{name}: {stderr}");
        assert!(
            stderr.contains("discord.application_id"),
            "{name}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{name}: no URL");
    }
}

/// `run` serves the bridges the config turns on: a handover from a Slack platform
/// reaches the Slack emulator and one from a Discord platform the Discord emulator.
#[tokio::test]
async fn run_carries_handovers_into_the_configured_slack_and_discord() {
    use handover_emulators::discord::{DiscordEmulator, DiscordEmulatorConfig};
    use handover_emulators::slack::{SlackEmulator, SlackEmulatorConfig};

    let slack = SlackEmulator::start(SlackEmulatorConfig::default())
        .await
        .expect("slack emulator");
    slack.add_channel("C0RUN", "handovers", true, &[SlackEmulator::BOT_USER_ID]);
    let discord = DiscordEmulator::start(DiscordEmulatorConfig::default())
        .await
        .expect("discord emulator");
    let category = discord.add_category("handovers");
    let grace = discord.add_user("grace");
    let dir = tempfile::tempdir().expect("tempdir");
    let webhook = Receiver::start().await;
    let toml = format!(
        r#"data_dir = "{data}"
[server]
listen = "127.0.0.1:0"
[[platforms]]
id = "web"
token = "{TOKEN}"
webhook_url = "http://{hook}/events"
webhook_secret = "{SECRET}"
bridge = "slack"
[[platforms]]
id = "app"
token = "{OTHER_TOKEN}"
webhook_url = "http://{hook}/other"
webhook_secret = "{SECRET}"
bridge = "discord"
[slack]
enabled = true
bot_token = "xoxb-emulator"
app_token = "xapp-emulator"
channels = ["C0RUN"]
api_url = "{slack_api}"
[discord]
enabled = true
bot_token = "emulator-bot-token"
application_id = "{app}"
guild_id = "{guild}"
category_id = "{category}"
members = ["{grace}"]
api_url = "{discord_api}"
[log]
format = "json"
"#,
        data = dir.path().join("data").display(),
        hook = webhook.addr,
        slack_api = slack.api_url(),
        discord_api = discord.api_url(),
        app = DiscordEmulator::APPLICATION_ID,
        guild = DiscordEmulator::GUILD_ID,
    );
    let path = dir.path().join("handover-bridge.toml");
    std::fs::write(&path, toml).expect("write config");
    let mut p = spawn(&path);
    assert!(slack.wait_connected(1, Duration::from_secs(10)).await);
    assert!(discord.wait_connected(Duration::from_secs(10)).await);

    let api = Api::new(p.addr);
    let r = api
        .post("/v1/handovers", handover_request("via-slack"))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let body = handover_request("via-discord").to_string().into_bytes();
    let r = api
        .raw("POST", "/v1/handovers", Some(OTHER_TOKEN), body)
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    wait_for(|| (!slack.messages("C0RUN").is_empty()).then_some(())).await;
    let created = wait_for(|| {
        discord
            .channels()
            .into_iter()
            .find(|c| c["parent_id"] == category.as_str())
    })
    .await;
    let channel = created["id"].as_str().expect("channel id").to_owned();
    wait_for(|| (!discord.messages(&channel).is_empty()).then_some(())).await;
    p.child.kill().expect("kill");
    p.child.wait().expect("reaped");
}
