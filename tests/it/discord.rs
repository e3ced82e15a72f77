//! The Discord bridge's basic flow end to end: a private channel per handover (who may
//! see it), the header card, relays that can ping nobody and are split at 2,000
//! characters, a non-member refused, a member's reply taking over, `/handover` and the
//! Close button moving the channel to the archive.

use handover_discord::RestLimits;
use handover_emulators::discord::{DiscordEmulator, DiscordEmulatorConfig};
use serde_json::{Value, json};

use crate::discord_support::*;
use crate::support::*;

fn kinds(s: &Setup) -> Vec<String> {
    s.webhook
        .delivered()
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handover_is_a_private_channel_that_carries_the_conversation() {
    let s = Setup::start(
        DiscordEmulatorConfig {
            messages_per_channel: None,
            webhook_executes: None,
            ..DiscordEmulatorConfig::default()
        },
        RestLimits::default(),
        "channel",
    )
    .await;
    let mallory = s.emu.add_user("mallory");
    let (id, cid) = s.handover("c1").await;
    let channel = s.emu.channel(&cid).expect("channel");
    assert_eq!(channel["name"], "h-1-ada-lovelace");
    assert_eq!(channel["parent_id"], s.category.as_str());
    let overwrites = channel["permission_overwrites"]
        .as_array()
        .expect("overwrites")
        .clone();
    let find = |who: &str| overwrites.iter().find(|o| o["id"] == who).cloned();
    let bits = |o: Option<Value>, field: &str| {
        o.and_then(|o| o[field].as_str().and_then(|a| a.parse::<u64>().ok()))
            .unwrap_or(0)
    };
    const VIEW: u64 = 1 << 10;
    assert_eq!(bits(find(DiscordEmulator::EVERYONE_ROLE_ID), "deny"), VIEW);
    assert_ne!(bits(find(&s.grace), "allow") & VIEW, 0);
    assert_ne!(bits(find(DiscordEmulator::BOT_USER_ID), "allow") & VIEW, 0);
    assert!(find(&mallory).is_none());
    let header = s.emu.messages(&cid)[0].clone();
    let card = header.json.to_string();
    for shown in [
        format!("handover_take:{id}"),
        format!("handover_close:{id}"),
    ] {
        assert!(card.contains(&shown), "{card}");
    }
    assert!(card.contains(&format!("<@{}>", s.grace)), "{card}");

    // End-user text can ping nobody.
    let text = format!(
        "@everyone @here <@{}> <@&{}> help",
        s.grace,
        DiscordEmulator::GUILD_ID
    );
    s.user_says("c1", "u1", &text).await;
    wait_for(|| s.relayed(&cid).contains("help").then_some(())).await;
    let relay = s
        .emu
        .calls_to("POST", "/webhooks/{webhook_id}/{token}")
        .into_iter()
        .find(|c| {
            c.body["content"]
                .as_str()
                .is_some_and(|t| t.contains("help"))
        })
        .expect("relay through the webhook");
    assert_eq!(relay.body["username"], "Ada Lovelace");
    let none = &relay.body["allowed_mentions"];
    assert_eq!(
        (&none["parse"], &none["users"], &none["roles"]),
        (&json!([]), &json!([]), &json!([])),
        "{none}"
    );
    assert_eq!(
        s.emu
            .calls_to("POST", "/channels/{channel_id}/webhooks")
            .len(),
        1
    );

    // Long text is split at 2,000 characters.
    s.user_says("c1", "u2", &"x".repeat(4_500)).await;
    let parts = wait_for(|| {
        let parts: Vec<usize> = s
            .emu
            .calls_to("POST", "/webhooks/{webhook_id}/{token}")
            .iter()
            .filter_map(|c| c.body["content"].as_str())
            .filter(|t| t.starts_with('x'))
            .map(|t| t.chars().count())
            .collect();
        (parts.iter().sum::<usize>() == 4_500).then_some(parts)
    })
    .await;
    assert_eq!(parts, [2_000, 2_000, 500]);

    // A non-member is answered with a reply that pings only them; nothing is relayed.
    s.emu
        .user_message(&mallory, &cid, "let me in")
        .await
        .expect("inject");
    let refusal = wait_for(|| {
        s.emu
            .calls_to("POST", "/channels/{channel_id}/messages")
            .into_iter()
            .find(|c| {
                c.body["content"]
                    .as_str()
                    .is_some_and(|t| t.starts_with(&format!("<@{mallory}>")))
            })
    })
    .await;
    assert_eq!(refusal.body["allowed_mentions"]["users"], json!([mallory]));
    assert!(kinds(&s).is_empty(), "{:?}", kinds(&s));

    // The selected member answers: taken, relayed, marked delivered, card updated.
    let reply = s
        .emu
        .user_message(&s.grace, &cid, "Hi Ada, I am on it")
        .await
        .expect("inject");
    wait_for(|| (kinds(&s) == ["handover.taken", "agent.message"]).then_some(())).await;
    wait_for(|| {
        s.emu
            .message(&cid, &reply)
            .filter(|m| m.reactions.iter().any(|r| r == "✅"))
    })
    .await;
    wait_for(|| {
        let card = s.emu.message(&cid, &header.id)?.json.to_string();
        (!card.contains(&format!("handover_take:{id}")) && card.contains("In progress"))
            .then_some(())
    })
    .await;

    // `/handover` is registered and answers privately; Close archives the channel.
    assert!(s.emu.commands().iter().any(|c| c["name"] == "handover"));
    let answer = s
        .emu
        .click(&s.grace, &cid, &header.id, &format!("handover_close:{id}"))
        .await
        .expect("click");
    assert_eq!(answer["data"]["flags"], 64, "{answer}");
    wait_for(|| {
        kinds(&s)
            .contains(&"handover.ended".to_owned())
            .then_some(())
    })
    .await;
    wait_for(|| (s.emu.channel(&cid)?["parent_id"] == s.archive.as_str()).then_some(())).await;
}
