//! Every gateway payload parses as serenity's shard parses it (no unknown events).

use serde_json::json;
use serenity::model::application::Interaction;
use serenity::model::event::Event;

use super::{dispatch, fixture};
use crate::discord::payloads::{self, MessageParts};
use crate::discord::rest_messages::gateway_message;
use crate::discord::state::{Channel, PRIVATE_THREAD, State};
use crate::discord::{DiscordEmulator, DiscordEmulatorConfig};

#[test]
fn ready_parses() {
    let st = State::new();
    let d = payloads::ready(&st, "s1", "ws://127.0.0.1:1/gateway");
    let Event::Ready(r) = dispatch("READY", &d) else {
        panic!("not READY")
    };
    assert_eq!(r.ready.session_id, "s1");
    assert_eq!(r.ready.resume_gateway_url, "ws://127.0.0.1:1/gateway");
    assert_eq!(r.ready.user.id.to_string(), DiscordEmulator::BOT_USER_ID);
    assert!(r.ready.user.bot);
    assert_eq!(r.ready.guilds.len(), 1);
    assert_eq!(
        r.ready.application.id.to_string(),
        DiscordEmulator::APPLICATION_ID
    );
}

#[tokio::test]
async fn guild_create_parses_with_channels_roles_members_and_threads() {
    let f = fixture(DiscordEmulatorConfig::default()).await;
    {
        let mut st = f.emu.inner.state();
        let id = st.next_id();
        let mut t = Channel::new(id.clone(), PRIVATE_THREAD, "ho-1", Some(f.general.clone()));
        t.owner_id = Some(DiscordEmulator::BOT_USER_ID.to_string());
        st.channels.insert(id, t);
    }
    let d = payloads::guild_create(&f.emu.inner.state());
    let Event::GuildCreate(g) = dispatch("GUILD_CREATE", &d) else {
        panic!("not GUILD_CREATE")
    };
    let g = g.guild;
    assert_eq!(g.id.to_string(), DiscordEmulator::GUILD_ID);
    let general = g.channels.values().find(|c| c.name == "general").unwrap();
    assert_eq!(general.parent_id.unwrap().to_string(), f.category);
    assert_eq!(g.channels.len(), 2);
    assert_eq!(g.threads.len(), 1);
    assert_eq!(g.threads[0].name, "ho-1");
    assert!(g.roles.values().any(|r| r.name == "agents"));
    assert!(g.roles.values().any(|r| r.name == "@everyone"));
    let bob = g.members.values().find(|m| m.user.name == "bob").unwrap();
    assert_eq!(bob.roles[0].to_string(), f.agents);
    assert_eq!(g.members.len(), 3);
}

#[tokio::test]
async fn message_create_parses_for_users_bots_and_webhooks() {
    let f = fixture(DiscordEmulatorConfig::default()).await;
    let st = f.emu.inner.state();
    let body = json!({
        "content": "hello",
        "nonce": "n-1",
        "embeds": [{"title": "Card", "description": "x", "color": 5, "fields": [{"name": "a", "value": "b", "inline": true}]}],
        "components": [{"type": 1, "components": [{"type": 2, "style": 1, "label": "Take", "custom_id": "take:1"}]}],
    });
    let authors = [
        (st.user_json(&f.alice).unwrap(), None),
        (st.user_json(DiscordEmulator::BOT_USER_ID).unwrap(), None),
        (
            payloads::webhook_author("1000000000000000999", "End User", Some("https://x/a.png")),
            Some("1000000000000000999"),
        ),
    ];
    for (author, webhook_id) in authors {
        let msg = payloads::message(&MessageParts {
            id: "1000000000000005000",
            channel_id: &f.general,
            author,
            body: &body,
            webhook_id,
        });
        let ev = gateway_message(&st, &msg);
        let Event::MessageCreate(m) = dispatch("MESSAGE_CREATE", &ev) else {
            panic!("not MESSAGE_CREATE")
        };
        let m = m.message;
        assert_eq!(m.content, "hello");
        assert_eq!(m.guild_id.unwrap().to_string(), DiscordEmulator::GUILD_ID);
        assert_eq!(m.channel_id.to_string(), f.general);
        assert_eq!(m.embeds[0].title.as_deref(), Some("Card"));
        assert_eq!(m.components.len(), 1);
        assert_eq!(m.webhook_id.is_some(), webhook_id.is_some());
        assert_eq!(m.member.is_some(), webhook_id.is_none());
        let Event::MessageUpdate(_) = dispatch("MESSAGE_UPDATE", &ev) else {
            panic!("not MESSAGE_UPDATE")
        };
    }
}

#[tokio::test]
async fn interactions_parse_as_command_and_component() {
    let f = fixture(DiscordEmulatorConfig::default()).await;
    let mut st = f.emu.inner.state();
    let channel = st.channels.get(&f.general).cloned().unwrap();
    let options = json!([{"name": "end", "type": 1, "options": [{"name": "reason", "type": 3, "value": "done"}]}]);
    let d = payloads::command_interaction(
        &st,
        ("1000000000000007001", "tok-1", "1000000000000007002"),
        &f.bob,
        &channel,
        "handover",
        options,
    );
    let Event::InteractionCreate(i) = dispatch("INTERACTION_CREATE", &d) else {
        panic!("not INTERACTION_CREATE")
    };
    let Interaction::Command(c) = i.interaction else {
        panic!("not a command")
    };
    assert_eq!(c.data.name, "handover");
    assert_eq!(c.token, "tok-1");
    assert_eq!(c.channel_id.to_string(), f.general);
    assert_eq!(c.member.unwrap().user.id.to_string(), f.bob);
    assert_eq!(c.data.options[0].name, "end");

    let author = st.user_json(DiscordEmulator::BOT_USER_ID).unwrap();
    let body = json!({"content": "card", "components": [{"type": 1, "components": [{"type": 2, "style": 3, "label": "Take", "custom_id": "take:1"}]}]});
    let id = st.next_id();
    let msg = payloads::message(&MessageParts {
        id: &id,
        channel_id: &f.general,
        author,
        body: &body,
        webhook_id: None,
    });
    let d = payloads::component_interaction(
        &st,
        ("1000000000000007003", "tok-2"),
        &f.bob,
        &channel,
        msg,
        "take:1",
    );
    let Event::InteractionCreate(i) = dispatch("INTERACTION_CREATE", &d) else {
        panic!("not INTERACTION_CREATE")
    };
    let Interaction::Component(c) = i.interaction else {
        panic!("not a component")
    };
    assert_eq!(c.data.custom_id, "take:1");
    assert_eq!(c.message.id.to_string(), id);
    assert_eq!(c.message.content, "card");
}

#[test]
fn channel_events_parse() {
    let mut st = State::new();
    let id = st.next_id();
    let mut t = Channel::new(
        id,
        PRIVATE_THREAD,
        "ho-2",
        Some("1000000000000000100".to_string()),
    );
    t.archived = true;
    t.locked = true;
    let v = payloads::channel(&t);
    let Event::ThreadUpdate(u) = dispatch("THREAD_UPDATE", &v) else {
        panic!("not THREAD_UPDATE")
    };
    let meta = u.thread.thread_metadata.unwrap();
    assert!(meta.archived && meta.locked);
    let mut create = v.clone();
    create["newly_created"] = json!(true);
    assert!(matches!(
        dispatch("THREAD_CREATE", &create),
        Event::ThreadCreate(_)
    ));
    let c = Channel::new("1000000000000000101".to_string(), 0, "ho-3", None);
    let v = payloads::channel(&c);
    assert!(matches!(
        dispatch("CHANNEL_CREATE", &v),
        Event::ChannelCreate(_)
    ));
    assert!(matches!(
        dispatch("CHANNEL_UPDATE", &v),
        Event::ChannelUpdate(_)
    ));
    assert!(matches!(
        dispatch("CHANNEL_DELETE", &v),
        Event::ChannelDelete(_)
    ));
    assert!(matches!(dispatch("RESUMED", &json!({})), Event::Resumed(_)));
    let del = json!({"id": "1000000000000000102", "channel_id": "1000000000000000101", "guild_id": DiscordEmulator::GUILD_ID});
    assert!(matches!(
        dispatch("MESSAGE_DELETE", &del),
        Event::MessageDelete(_)
    ));
}

#[test]
fn iso_timestamps() {
    assert_eq!(payloads::iso(0, 0), "1970-01-01T00:00:00.000000+00:00");
    assert_eq!(
        payloads::iso(1_709_210_096, 123_456),
        "2024-02-29T12:34:56.123456+00:00"
    );
}
