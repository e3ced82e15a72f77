//! serenity's real client against the emulator: gateway discovery through REST,
//! IDENTIFY → READY, injected messages and interactions reaching the EventHandler, the
//! bot's REST answers, and RESUME after a dropped connection and after op 7.

use std::time::Duration;

use serde_json::json;
use serenity::all::{
    ClientBuilder, Context, CreateInteractionResponse, CreateInteractionResponseMessage, Event,
    EventHandler, GatewayIntents, HttpBuilder, Interaction, Message, RawEventHandler, Ready,
};
use serenity::async_trait;
use tokio::sync::mpsc;

use super::{TOKEN, fixture};
use crate::discord::DiscordEmulatorConfig;

#[derive(Debug, PartialEq)]
enum Seen {
    Ready(String),
    Message(String, String),
    Unknown(String),
}

struct Handler(mpsc::UnboundedSender<Seen>);

#[async_trait]
impl EventHandler for Handler {
    async fn ready(&self, _ctx: Context, r: Ready) {
        let _ = self.0.send(Seen::Ready(r.session_id));
    }

    async fn message(&self, ctx: Context, m: Message) {
        let _ = self
            .0
            .send(Seen::Message(m.id.to_string(), m.content.clone()));
        if m.content == "ping" {
            m.channel_id.say(&ctx.http, "pong").await.unwrap();
        }
    }

    async fn interaction_create(&self, ctx: Context, i: Interaction) {
        let text = match &i {
            Interaction::Command(c) => format!("command {}", c.data.name),
            Interaction::Component(c) => format!("clicked {}", c.data.custom_id),
            _ => "other".to_string(),
        };
        let resp = CreateInteractionResponse::Message(
            CreateInteractionResponseMessage::new()
                .content(text)
                .ephemeral(true),
        );
        let r = match &i {
            Interaction::Command(c) => c.create_response(&ctx.http, resp).await,
            Interaction::Component(c) => c.create_response(&ctx.http, resp).await,
            _ => Ok(()),
        };
        r.unwrap();
    }
}

struct Raw(mpsc::UnboundedSender<Seen>);

#[async_trait]
impl RawEventHandler for Raw {
    async fn raw_event(&self, _ctx: Context, ev: Event) {
        if let Event::Unknown(u) = ev {
            let _ = self.0.send(Seen::Unknown(u.kind));
        }
    }
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
    let seen = tokio::time::timeout(Duration::from_secs(15), rx.recv())
        .await
        .expect("nothing seen in time")
        .unwrap();
    assert!(
        !matches!(seen, Seen::Unknown(_)),
        "serenity dropped {seen:?}"
    );
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serenity_client_end_to_end() {
    let f = fixture(DiscordEmulatorConfig {
        heartbeat_interval: Duration::from_millis(500),
        ..DiscordEmulatorConfig::default()
    })
    .await;
    let emu = f.emu.clone();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let http = HttpBuilder::new(TOKEN)
        .proxy(emu.api_url())
        .ratelimiter_disabled(true)
        .build();
    let intents =
        GatewayIntents::GUILDS | GatewayIntents::GUILD_MESSAGES | GatewayIntents::MESSAGE_CONTENT;
    let mut client = ClientBuilder::new_with_http(http, intents)
        .event_handler(Handler(tx.clone()))
        .raw_event_handler(Raw(tx))
        .await
        .unwrap();
    let shards = client.shard_manager.clone();
    let run = tokio::spawn(async move { client.start().await });

    let Seen::Ready(session) = next(&mut rx).await else {
        panic!("no READY first")
    };
    assert_eq!(session.len(), 32);
    assert!(emu.wait_connected(Duration::from_secs(5)).await);
    assert_eq!(
        emu.calls_to("GET", "/gateway").len(),
        1,
        "{:?}",
        emu.calls()
    );
    assert_eq!(emu.identifies(), 1);
    let identify = &emu.identify_payloads()[0];
    assert_eq!(identify["intents"].as_u64().unwrap(), intents.bits());

    // A user message reaches the handler; the bot's reply comes back as its own event.
    let mid = emu
        .user_message(&f.alice, &f.general, "ping")
        .await
        .unwrap();
    assert_eq!(next(&mut rx).await, Seen::Message(mid, "ping".to_string()));
    let Seen::Message(_, pong) = next(&mut rx).await else {
        panic!("no echo")
    };
    assert_eq!(pong, "pong");
    let msgs = emu.messages(&f.general);
    assert_eq!(msgs.len(), 2);

    // A slash command and a click are answered through the callback endpoint.
    let answer = emu
        .slash_command(&f.bob, &f.general, "handover", json!([]))
        .await
        .unwrap();
    assert_eq!(answer["type"], 4);
    assert_eq!(answer["data"]["content"], "command handover");
    assert_eq!(answer["data"]["flags"], 64);
    let answer = emu
        .click(&f.bob, &f.general, &msgs[1].id, "take:1")
        .await
        .unwrap();
    assert_eq!(answer["data"]["content"], "clicked take:1");
    assert_eq!(emu.callbacks().len(), 2);

    // An abrupt drop: serenity RESUMEs and gets what was sent meanwhile.
    emu.drop_connection();
    let mid = emu
        .user_message(&f.alice, &f.general, "while away")
        .await
        .unwrap();
    assert_eq!(
        next(&mut rx).await,
        Seen::Message(mid, "while away".to_string())
    );
    assert_eq!(emu.resumes(), 1);
    assert_eq!(emu.identifies(), 1);

    // op 7 RECONNECT: another RESUME.
    emu.reconnect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while emu.resumes() < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(emu.resumes(), 2);
    assert!(emu.wait_connected(Duration::from_secs(5)).await);
    let mid = emu
        .user_message(&f.alice, &f.general, "after")
        .await
        .unwrap();
    assert_eq!(next(&mut rx).await, Seen::Message(mid, "after".to_string()));

    // A zombie connection (no heartbeat ACKs): serenity reconnects by itself.
    emu.set_heartbeat_acks(false);
    let before = emu.resumes() + emu.identifies();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while emu.resumes() + emu.identifies() == before && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    emu.set_heartbeat_acks(true);
    assert!(emu.resumes() + emu.identifies() > before);
    assert!(emu.wait_connected(Duration::from_secs(5)).await);

    shards.shutdown_all().await;
    let _ = tokio::time::timeout(Duration::from_secs(5), run).await;
}
