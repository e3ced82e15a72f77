//! The demo's Discord part: the platform `app` hands Lin's conversation over; the
//! Discord bridge creates a private channel under the category “handovers” with the
//! header card; Katherine, a selected member, clicks “Take it”, answers in the channel
//! and leaves an internal note; Lin's next message appears under her own name (through
//! the channel's webhook); Katherine clicks “Back to the AI”, the channel moves to the
//! archive category, and Lin rates the help.

use std::time::Duration;

use anyhow::{Context as _, bail};
use handover_daemon::daemon::Daemon;
use handover_emulators::discord::{DiscordEmulator, DiscordEmulatorConfig, StoredMessage};
use serde_json::{Value, json};

use super::{
    AiPlatform, first_line, hand_back_and_rate, part, print_outcome, print_user_view, step, until,
};

const PLATFORM: &str = "app";
const TOKEN: &str = "demo-app-token-9876543210abcdef";
const CONVERSATION: &str = "app-chat-815";
/// Discord's VIEW_CHANNEL bit, to show who may see the handover channel.
const VIEW_CHANNEL: u64 = 1 << 10;

/// The Discord emulator with the demo's server: two categories, two selected members
/// (Katherine by user id, Dorothy through the role “support”) and their ids.
pub(super) struct Stage {
    discord: DiscordEmulator,
    category: String,
    archive: String,
    katherine: String,
    support: String,
    /// Ids and how people read them: users, the role and the bot.
    names: Vec<(String, String)>,
}

impl Stage {
    pub(super) async fn start() -> anyhow::Result<Self> {
        let discord = DiscordEmulator::start(DiscordEmulatorConfig::default()).await?;
        let category = discord.add_category("handovers");
        let archive = discord.add_category("handovers-archive");
        discord.add_channel("general", None);
        let katherine = discord.add_user("Katherine Johnson");
        let dorothy = discord.add_user("Dorothy Vaughan");
        let support = discord.add_role("support", &[&dorothy]);
        let names = vec![
            (katherine.clone(), "Katherine Johnson".to_owned()),
            (dorothy, "Dorothy Vaughan".to_owned()),
            (support.clone(), "support".to_owned()),
            (
                DiscordEmulator::BOT_USER_ID.to_owned(),
                format!("{} (bot)", DiscordEmulator::BOT_NAME),
            ),
            (
                DiscordEmulator::EVERYONE_ROLE_ID.to_owned(),
                "everyone".to_owned(),
            ),
        ];
        Ok(Self {
            discord,
            category,
            archive,
            katherine,
            support,
            names,
        })
    }

    /// The `app` platform and `[discord]`, pointed at the emulator.
    pub(super) fn toml(&self, ai: &AiPlatform) -> String {
        format!(
            r#"{platform}[discord]
enabled = true
bot_token = "{token}"
application_id = "{app}"
guild_id = "{guild}"
category_id = "{category}"
archive_category_id = "{archive}"
members = ["{katherine}", "role:{support}"]
admins = ["{katherine}"]
api_url = "{api}"
"#,
            platform = ai.platform_toml(PLATFORM, TOKEN, "discord"),
            token = DiscordEmulatorConfig::default().bot_token,
            app = DiscordEmulator::APPLICATION_ID,
            guild = DiscordEmulator::GUILD_ID,
            category = self.category,
            archive = self.archive,
            katherine = self.katherine,
            support = self.support,
            api = self.discord.api_url(),
        )
    }

    pub(super) async fn play(&self, daemon: &Daemon, ai: &AiPlatform) -> anyhow::Result<()> {
        let discord = &self.discord;
        let api = ai.api(daemon, TOKEN);
        part("Part 2: Discord — a private channel per handover");
        if !discord.wait_connected(Duration::from_secs(10)).await {
            bail!("the Discord bridge did not connect to the emulator's gateway");
        }
        let mut user_view = vec![
            "Lin: The app charged me twice for my subscription.".to_owned(),
            "AI: I can see two payments on 3 March. Shall I explain refunds?".to_owned(),
            "Lin: No, please get me a person.".to_owned(),
        ];
        let mut private = Vec::new();

        step("The AI platform “app” hands Lin's conversation over (POST /v1/handovers).");
        let r = api
            .call("POST", "/v1/handovers", Some(json!({
                "conversation_id": CONVERSATION,
                "user": {"id": "lin-3", "name": "Lin Chen", "email": "lin@example.com",
                    "avatar_url": "https://cdn.example.com/u/lin.png"},
                "reason": "charged twice",
                "summary": "Two charges for one monthly subscription on 3 March.",
                "transcript": [
                    {"role": "user", "text": "The app charged me twice for my subscription."},
                    {"role": "ai", "text": "I can see two payments on 3 March. Shall I explain refunds?"},
                    {"role": "user", "text": "No, please get me a person."}
                ],
                "metadata": {"plan": "monthly"},
                "priority": "normal"
            })))
            .await?;
        let id = r["handover_id"].as_str().context("handover_id")?.to_owned();
        println!("  → {id} is {} (route: {})", r["status"], r["route"]);
        let channel = until("the handover channel in Discord", || {
            discord
                .channels()
                .into_iter()
                .find(|c| c["parent_id"] == self.category.as_str())
        })
        .await?;
        let channel_id = channel["id"].as_str().context("channel id")?.to_owned();
        let name = channel["name"].as_str().unwrap_or("?").to_owned();
        let header = until("the header card", || {
            discord
                .messages(&channel_id)
                .into_iter()
                .find(|m| has_embed(&m.json))
        })
        .await?;
        println!(
            "  → #{name} created under “handovers”; {}",
            self.visibility(&channel)
        );

        step("Katherine clicks “Take it” on the header card.");
        let answer = discord
            .click(
                &self.katherine,
                &channel_id,
                &header.id,
                &format!("handover_take:{id}"),
            )
            .await?;
        private.push(("Katherine Johnson", answer));
        until("the take-over", || {
            ai.has(PLATFORM, "handover.taken").then_some(())
        })
        .await?;

        step("Katherine answers in the channel, then leaves an internal note.");
        let reply = discord
            .user_message(
                &self.katherine,
                &channel_id,
                "Hi Lin, I'm Katherine. I've refunded the second charge; you'll see it in 3 days.",
            )
            .await?;
        discord
            .user_message(
                &self.katherine,
                &channel_id,
                "// duplicate charge from the payment retry bug",
            )
            .await?;
        let (agent, text) = until("the agent's message at the AI platform", || {
            ai.agent_message(PLATFORM)
        })
        .await?;
        user_view.push(format!("{agent} (agent): {text}"));
        until("the delivery mark", || {
            discord
                .message(&channel_id, &reply)
                .filter(|m| !m.reactions.is_empty())
        })
        .await?;

        step("Lin answers; it appears in the channel under her name and avatar.");
        user_view.push("Lin: Thank you, that was fast!".into());
        let r = api
            .call(
                "POST",
                &format!("/v1/conversations/{CONVERSATION}/messages"),
                Some(json!({"message_id": "a-201", "text": "Thank you, that was fast!"})),
            )
            .await?;
        println!("  → route = {} (the AI stays quiet)", r["route"]);
        until("Lin's message in the channel", || {
            discord
                .messages(&channel_id)
                .into_iter()
                .find(|m| m.json["content"].as_str() == Some("Thank you, that was fast!"))
        })
        .await?;

        step("Katherine clicks “Back to the AI”; Lin rates the help.");
        let answer = discord
            .click(
                &self.katherine,
                &channel_id,
                &header.id,
                &format!("handover_end_ai:{id}"),
            )
            .await?;
        private.push(("Katherine Johnson", answer));
        let rating = json!({"score": 4, "comment": "Fast refund"});
        hand_back_and_rate(ai, &api, PLATFORM, CONVERSATION, &id, rating).await?;
        until("the archive move and the rating on the card", || {
            let moved = discord
                .channel(&channel_id)
                .is_some_and(|c| c["parent_id"] == self.archive.as_str());
            let rated = discord.messages(&channel_id).iter().any(|m| {
                m.json["content"]
                    .as_str()
                    .is_some_and(|t| t.contains("4/5"))
            });
            let on_card = discord.message(&channel_id, &header.id).is_some_and(|m| {
                m.json["embeds"][0]["fields"]
                    .as_array()
                    .is_some_and(|f| f.iter().any(|f| f["name"] == "Rating"))
            });
            (moved && rated && on_card).then_some(())
        })
        .await
        .ok();

        print_user_view(&user_view);
        self.print_channel(&channel_id, &private);
        ai.print(PLATFORM);
        print_outcome(&api, &id).await
    }

    /// Who may see the channel, from its permission overwrites.
    fn visibility(&self, channel: &Value) -> String {
        let mut hidden = Vec::new();
        let mut seen = Vec::new();
        for o in channel["permission_overwrites"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let bits = |k: &str| o[k].as_str().and_then(|s| s.parse::<u64>().ok());
            let who = self.name(o["id"].as_str().unwrap_or("?"));
            let who = if o["type"] == 0 {
                format!("@{who} (role)")
            } else {
                who
            };
            if bits("deny").is_some_and(|d| d & VIEW_CHANNEL != 0) {
                hidden.push(who);
            } else if bits("allow").is_some_and(|a| a & VIEW_CHANNEL != 0) {
                seen.push(who);
            }
        }
        format!(
            "hidden from {}, visible to {}",
            hidden.join(", "),
            seen.join(", ")
        )
    }

    /// What the handover channel shows, top to bottom, and the private answers.
    fn print_channel(&self, channel_id: &str, private: &[(&str, Value)]) {
        let discord = &self.discord;
        let (name, parent) = discord
            .channel(channel_id)
            .map(|c| {
                let parent = c["parent_id"].as_str().map_or("?".to_owned(), |p| {
                    discord.channel(p).map_or(p.to_owned(), |p| {
                        p["name"].as_str().unwrap_or("?").to_owned()
                    })
                });
                (c["name"].as_str().unwrap_or("?").to_owned(), parent)
            })
            .unwrap_or_default();
        println!("\n══ What the Discord channel #{name} saw (now in “{parent}”) ══");
        for m in discord.messages(channel_id) {
            self.print_message(&m);
        }
        for (who, answer) in private {
            let text = answer["data"]["content"].as_str().unwrap_or("");
            println!("  (only {who} saw) {}", self.readable(first_line(text)));
        }
    }

    fn print_message(&self, m: &StoredMessage) {
        let j = &m.json;
        let author = j["author"]["username"].as_str().unwrap_or("?");
        let who = if j.get("webhook_id").is_some_and(|w| !w.is_null()) {
            format!("{author} (webhook)")
        } else {
            self.name(j["author"]["id"].as_str().unwrap_or(author))
        };
        let marks = if m.reactions.is_empty() {
            String::new()
        } else {
            format!("  [{}]", m.reactions.join(", "))
        };
        let text = self.readable(first_line(j["content"].as_str().unwrap_or("")));
        if !has_embed(j) {
            println!("  {who}: {text}{marks}");
            return;
        }
        let embed = &j["embeds"][0];
        let fields: Vec<String> = embed["fields"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| matches!(f["name"].as_str(), Some("Status" | "Rating")))
            .map(|f| {
                format!(
                    "{}: {}",
                    f["name"].as_str().unwrap_or(""),
                    f["value"].as_str().unwrap_or("")
                )
            })
            .collect();
        let buttons: Vec<&str> = j["components"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|row| row["components"].as_array().into_iter().flatten())
            .filter_map(|b| b["label"].as_str())
            .collect();
        let edited = if j["edited_timestamp"].is_null() {
            ""
        } else {
            ", edited"
        };
        println!("  [header card{edited}] {who}: {text}");
        println!(
            "      {} · {} · buttons: {}",
            embed["title"].as_str().unwrap_or(""),
            fields.join(" · "),
            if buttons.is_empty() {
                "none".to_owned()
            } else {
                buttons.join(", ")
            }
        );
    }

    fn name(&self, id: &str) -> String {
        self.names
            .iter()
            .find(|(i, _)| i == id)
            .map_or_else(|| id.to_owned(), |(_, n)| n.clone())
    }

    /// Discord text as a person reads it: `<@id>` and `<@&id>` shown as names.
    fn readable(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (id, name) in &self.names {
            out = out
                .replace(&format!("<@&{id}>"), &format!("@{name}"))
                .replace(&format!("<@{id}>"), &format!("@{name}"));
        }
        out
    }
}

fn has_embed(message: &Value) -> bool {
    message["embeds"].as_array().is_some_and(|e| !e.is_empty())
}
