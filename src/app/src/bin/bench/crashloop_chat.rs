//! The chats `handover-bench crashloop` runs against: the Slack or the Discord
//! emulator, set up for N conversations, spoken in as the agent and read back.

use std::time::Duration;

use handover_emulators::discord::{DiscordEmulator, DiscordEmulatorConfig};
use handover_emulators::slack::{SlackEmulator, SlackEmulatorConfig, SlackUser};

const SLACK_AGENT: &str = "U0AGENT";

#[derive(Clone)]
pub enum Chat {
    Slack {
        emu: SlackEmulator,
        channels: Vec<String>,
    },
    Discord {
        emu: DiscordEmulator,
        agent: String,
    },
}

impl Chat {
    /// Starts the emulator; returns it with the config's chat section.
    pub async fn start(discord: bool, conversations: usize) -> anyhow::Result<(Chat, String)> {
        if discord {
            let emu = DiscordEmulator::start(DiscordEmulatorConfig {
                // A message written while the daemon is down waits this long for it.
                ack_timeout: Duration::from_secs(5),
                ..DiscordEmulatorConfig::default()
            })
            .await?;
            let agent = emu.add_user("agent");
            let category = emu.add_category("handovers");
            let section = crate::discord::section(&emu, &category, &agent);
            return Ok((Chat::Discord { emu, agent }, section));
        }
        let emu = SlackEmulator::start(SlackEmulatorConfig::default()).await?;
        emu.add_user(SlackUser::new(SLACK_AGENT, "agent", "Crash Agent"));
        let channels: Vec<String> = (0..conversations)
            .map(|c| format!("C0CRASH{c:02}"))
            .collect();
        for c in &channels {
            emu.add_channel(c, c, true, &[SlackEmulator::BOT_USER_ID, SLACK_AGENT]);
        }
        let list: Vec<String> = channels.iter().map(|c| format!("\"{c}\"")).collect();
        let section = format!(
            r#"[slack]
enabled = true
bot_token = "xoxb-emulator"
app_token = "xapp-emulator"
channels = [{list}]
members = ["{SLACK_AGENT}"]
api_url = "{api}"
"#,
            list = list.join(", "),
            api = emu.api_url(),
        );
        Ok((Chat::Slack { emu, channels }, section))
    }

    pub fn name(&self) -> &'static str {
        match self {
            Chat::Slack { .. } => "slack",
            Chat::Discord { .. } => "discord",
        }
    }

    /// Every channel's message texts, oldest first.
    pub fn texts(&self) -> Vec<Vec<String>> {
        match self {
            Chat::Slack { emu, channels } => channels
                .iter()
                .map(|c| emu.messages(c).into_iter().map(|m| m.text).collect())
                .collect(),
            Chat::Discord { emu, .. } => emu
                .channels()
                .iter()
                .filter_map(|c| c["id"].as_str())
                .map(|id| {
                    emu.messages(id)
                        .into_iter()
                        .map(|m| m.json["content"].as_str().unwrap_or_default().to_owned())
                        .collect()
                })
                .collect(),
        }
    }

    /// The agent writes `text` in `channel` (in `thread` on Slack). On Slack the event
    /// is delivered until the daemon acknowledges it: `Some(deliveries)`. On Discord
    /// the gateway has no acknowledgement: `Some(1)` once a session got it; the daemon
    /// confirms later with ✅ (see [`Chat::confirmed`]).
    pub async fn agent_says(&self, channel: &str, thread: Option<&str>, text: &str) -> Option<u32> {
        match self {
            Chat::Slack { emu, .. } => emu
                .user_message_until_acked(
                    SLACK_AGENT,
                    channel,
                    thread,
                    text,
                    (40, Duration::from_millis(250)),
                )
                .await
                .ok()
                .map(|(_, n)| n),
            Chat::Discord { emu, agent } => {
                emu.user_message(agent, channel, text).await.ok().map(|_| 1)
            }
        }
    }

    /// Discord: the agent's messages the daemon marked ✅ (relayed). Slack acknowledges
    /// at once, so its acknowledged replies are counted when sent.
    pub fn confirmed(&self) -> Option<Vec<String>> {
        let Chat::Discord { emu, agent } = self else {
            return None;
        };
        let mut out = Vec::new();
        for c in emu.channels() {
            let Some(id) = c["id"].as_str() else { continue };
            for m in emu.messages(id) {
                if m.json["author"]["id"] == agent.as_str() && m.reactions.iter().any(|r| r == "✅")
                {
                    out.push(m.json["content"].as_str().unwrap_or_default().to_owned());
                }
            }
        }
        Some(out)
    }
}
