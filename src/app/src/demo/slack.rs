//! The demo's Slack part: the platform `web` hands Ada's conversation over into the
//! private channel `#handovers` of the built-in Slack emulator; Grace takes it with the
//! card's button, answers in the thread (and leaves an internal note), Sam, who is not
//! a selected member, is refused, Grace hands Ada back to the AI and Ada rates the help.

use std::time::Duration;

use anyhow::{Context as _, bail};
use handover_daemon::daemon::Daemon;
use handover_emulators::slack::{SlackEmulator, SlackEmulatorConfig, SlackUser};
use serde_json::json;

use super::{
    AiPlatform, first_line, hand_back_and_rate, part, print_outcome, print_user_view, step, until,
};

const PLATFORM: &str = "web";
const TOKEN: &str = "demo-platform-token-0123456789";
const CHANNEL: &str = "C0HANDOVERS";
const GRACE: &str = "U0GRACE";
const ALAN: &str = "U0ALAN";
const SAM: &str = "U0SAM";
const CONVERSATION: &str = "web-chat-4711";

/// The demo's people, by Slack id.
const PEOPLE: [(&str, &str); 4] = [
    (GRACE, "Grace Hopper"),
    (ALAN, "Alan Turing"),
    (SAM, "Sam Support"),
    (SlackEmulator::BOT_USER_ID, "handover (bot)"),
];

/// The Slack emulator with the demo's workspace: three people and `#handovers`.
pub(super) struct Stage {
    slack: SlackEmulator,
}

impl Stage {
    pub(super) async fn start() -> anyhow::Result<Self> {
        let slack = SlackEmulator::start(SlackEmulatorConfig::default()).await?;
        for (id, name, real) in [
            (GRACE, "grace", "Grace Hopper"),
            (ALAN, "alan", "Alan Turing"),
            (SAM, "sam", "Sam Support"),
        ] {
            slack.add_user(SlackUser {
                id: id.into(),
                name: name.into(),
                real_name: real.into(),
                image_url: None,
                is_bot: false,
            });
        }
        slack.add_channel(
            CHANNEL,
            "handovers",
            true,
            &[SlackEmulator::BOT_USER_ID, GRACE, ALAN, SAM],
        );
        Ok(Self { slack })
    }

    /// The `web` platform and `[slack]`, pointed at the emulator.
    pub(super) fn toml(&self, ai: &AiPlatform) -> String {
        format!(
            r#"{platform}[slack]
enabled = true
bot_token = "xoxb-emulator"
app_token = "xapp-emulator"
channels = ["{CHANNEL}"]
members = ["{GRACE}", "{ALAN}"]
admins = ["{GRACE}"]
api_url = "{api}"
"#,
            platform = ai.platform_toml(PLATFORM, TOKEN, "slack"),
            api = self.slack.api_url(),
        )
    }

    pub(super) async fn play(&self, daemon: &Daemon, ai: &AiPlatform) -> anyhow::Result<()> {
        let slack = &self.slack;
        let api = ai.api(daemon, TOKEN);
        part("Part 1: Slack — a thread in the private channel #handovers");
        if !slack.wait_connected(1, Duration::from_secs(10)).await {
            bail!("the Slack bridge did not connect to the emulator over Socket Mode");
        }
        let mut user_view = vec![
            "Ada: My order #1234 arrived broken.".to_owned(),
            "AI: I'm sorry! Could you send a photo?".to_owned(),
            "Ada: I want to talk to a person.".to_owned(),
        ];

        step("The AI platform “web” hands Ada's conversation over (POST /v1/handovers).");
        let r = api
            .call("POST", "/v1/handovers", Some(json!({
                "conversation_id": CONVERSATION,
                "user": {"id": "ada-77", "name": "Ada Lovelace", "email": "ada@example.com"},
                "reason": "wants a refund for a broken order",
                "summary": "Order #1234 arrived broken; the customer asks for a refund and a person.",
                "transcript": [
                    {"role": "user", "text": "My order #1234 arrived broken."},
                    {"role": "ai", "text": "I'm sorry! Could you send a photo?"},
                    {"role": "user", "text": "I want to talk to a person."}
                ],
                "metadata": {"order": "1234", "plan": "premium"},
                "priority": "high"
            })))
            .await?;
        let id = r["handover_id"].as_str().context("handover_id")?.to_owned();
        println!("  → {id} is {} (route: {})", r["status"], r["route"]);
        let card_ts = until("the card in Slack", || {
            slack
                .messages(CHANNEL)
                .into_iter()
                .find(|m| m.thread_ts.is_none())
                .map(|m| m.ts)
        })
        .await?;

        step("Ada writes again while she waits.");
        user_view.push("Ada: Hello? Is anyone there?".into());
        let messages = format!("/v1/conversations/{CONVERSATION}/messages");
        let r = api
            .call(
                "POST",
                &messages,
                Some(json!({"message_id": "m-101", "text": "Hello? Is anyone there?"})),
            )
            .await?;
        println!("  → may the AI answer? route = {}", r["route"]);

        step("Grace presses “Take over” on the card in Slack.");
        slack
            .click(GRACE, CHANNEL, &card_ts, "handover_take", &id)
            .await?;
        until("the take-over", || {
            ai.has(PLATFORM, "handover.taken").then_some(())
        })
        .await?;

        step("Ada's next message goes to Grace; the AI is muted.");
        user_view.push("Ada: Here is the photo of the broken mug.".into());
        let r = api
            .call(
                "POST",
                &messages,
                Some(json!({
                    "message_id": "m-102",
                    "text": "Here is the photo of the broken mug.",
                    "attachments": [{"url": "https://cdn.example.com/u/ada/mug.jpg",
                        "name": "mug.jpg", "content_type": "image/jpeg"}]
                })),
            )
            .await?;
        println!("  → route = {}", r["route"]);
        until("Ada's message in the thread", || {
            slack
                .thread(CHANNEL, &card_ts)
                .iter()
                .any(|m| m.text.contains("broken mug"))
                .then_some(())
        })
        .await?;

        step("Grace replies in the thread, and leaves an internal note.");
        slack
            .user_message(
                GRACE,
                CHANNEL,
                Some(&card_ts),
                "Hi Ada, I'm Grace. So sorry about the mug! I've issued a full refund.",
            )
            .await?;
        slack
            .user_message(
                GRACE,
                CHANNEL,
                Some(&card_ts),
                "// refund approved under the premium plan policy",
            )
            .await?;
        step("Sam (not a selected member) tries to reply too.");
        slack
            .user_message(SAM, CHANNEL, Some(&card_ts), "I can help!")
            .await?;
        // What the AI platform shows the end user: the agent messages it receives.
        let (agent, text) = until("the agent's message at the AI platform", || {
            ai.agent_message(PLATFORM)
        })
        .await?;
        user_view.push(format!("{agent} (agent): {text}"));

        step("Grace presses “End → AI”; Ada rates the help.");
        slack
            .click(GRACE, CHANNEL, &card_ts, "handover_end_ai", &id)
            .await?;
        let rating = json!({"score": 5, "comment": "Quick and kind"});
        hand_back_and_rate(ai, &api, PLATFORM, CONVERSATION, &id, rating).await?;
        until("the rating in Slack", || {
            slack
                .thread(CHANNEL, &card_ts)
                .iter()
                .any(|m| m.text.contains("5/5"))
                .then_some(())
        })
        .await
        .ok();

        print_user_view(&user_view);
        self.print_channel(&card_ts);
        ai.print(PLATFORM);
        print_outcome(&api, &id).await
    }

    /// What `#handovers` shows: the card, its thread and the private answers.
    fn print_channel(&self, card_ts: &str) {
        let slack = &self.slack;
        println!("\n══ What the Slack channel #handovers saw ══");
        if let Some(card) = slack.message(CHANNEL, card_ts) {
            println!(
                "  [card, updated {} times] {}",
                card.edited,
                readable(first_line(&card.text))
            );
        }
        for m in slack.thread(CHANNEL, card_ts) {
            let who = m
                .username
                .clone()
                .or(m.user.clone())
                .unwrap_or_else(|| "bot".into());
            let marks = if m.reactions.is_empty() {
                String::new()
            } else {
                format!("  [{}]", m.reactions.join(", "))
            };
            println!(
                "  ↳ {}: {}{marks}",
                readable(&who),
                readable(first_line(&m.text))
            );
        }
        for e in slack.ephemerals() {
            println!(
                "  (only {} saw) {}",
                readable(&e.user),
                readable(first_line(&e.text))
            );
        }
    }
}

/// Slack text as a person reads it: `<@U…>` mentions and ids shown as names.
fn readable(text: &str) -> String {
    let mut out = text.to_owned();
    for (id, name) in PEOPLE {
        out = out.replace(&format!("<@{id}>"), &format!("@{name}"));
        if out == id {
            out = name.to_owned();
        }
    }
    out
}
