//! Every pushed payload deserialises into slack-morphism's type, into the right variant
//! (slack-morphism falls back to `Unknown` silently for events and blocks).

use serde_json::{Value, json};
use slack_morphism::prelude as sm;

use super::{de, workspace};
use crate::slack::delivery::Push;
use crate::slack::events::{self, Click};
use crate::slack::payloads;
use crate::slack::state::{Channel, State};
use crate::slack::{Message, SlackEmulatorConfig, SlackUser};

fn channel(private: bool) -> Channel {
    let mut st = State::new();
    st.add_channel("G1", "handover", private, &["UBOT", "U1"]);
    st.channels.remove("G1").unwrap()
}

fn msg(ts: &str, user: Option<&str>, text: &str) -> Message {
    Message {
        ts: ts.to_string(),
        thread_ts: None,
        user: user.map(str::to_string),
        bot_id: None,
        username: None,
        icon_url: None,
        text: text.to_string(),
        blocks: payloads::rich_text(text),
        metadata: None,
        reactions: Vec::new(),
        edited: 0,
        files: Vec::new(),
    }
}

/// The event callback of `event`, parsed as an Events API body; returns the event.
fn callback(event: Value) -> sm::SlackEventCallbackBody {
    let body = Push::event(event).payload;
    assert!(body["event_id"].as_str().unwrap().starts_with("Ev"));
    match de::<sm::SlackPushEvent>(&body) {
        sm::SlackPushEvent::EventCallback(cb) => {
            assert_eq!(cb.team_id.0, "T0EMULATOR");
            assert_eq!(cb.api_app_id.0, "A0EMULATOR");
            assert_eq!(cb.authorizations.as_ref().unwrap()[0].user_id.0, "UBOT");
            let direct: sm::SlackPushEventCallback = de(&body);
            assert_eq!(direct.event, cb.event);
            cb.event
        }
        other => panic!("not an event callback: {other:?}"),
    }
}

fn message_event(event: Value) -> sm::SlackMessageEvent {
    match callback(event.clone()) {
        sm::SlackEventCallbackBody::Message(m) => m,
        other => panic!("not a message event: {other:?}\n{event}"),
    }
}

#[test]
fn user_message_event_in_a_thread() {
    let ch = channel(true);
    let mut m = msg("1700000001.000100", Some("U1"), "hello <@UBOT>");
    m.thread_ts = Some("1700000000.000100".to_string());
    let ev = message_event(events::user_message_event(&m, &ch, Some("UBOT")));
    assert_eq!(ev.origin.channel_type.unwrap().0, "group");
    assert_eq!(ev.origin.thread_ts.unwrap().0, "1700000000.000100");
    assert!(ev.origin.client_msg_id.is_some());
    assert_eq!(ev.sender.user.unwrap().0, "U1");
    assert_eq!(ev.subtype, None);
    let content = ev.content.unwrap();
    assert_eq!(content.text.as_deref(), Some("hello <@UBOT>"));
    assert!(matches!(
        content.blocks.unwrap()[0],
        sm::SlackBlock::RichText(_)
    ));
    let public = events::user_message_event(&m, &channel(false), None);
    assert_eq!(public["channel_type"], "channel");
}

#[test]
fn app_mention_event() {
    let m = msg("1700000001.000100", Some("U1"), "<@UBOT> take");
    match callback(events::app_mention_event(&m, &channel(true))) {
        sm::SlackEventCallbackBody::AppMention(e) => {
            assert_eq!((e.user.0.as_str(), e.channel.0.as_str()), ("U1", "G1"));
            assert_eq!(e.content.text.as_deref(), Some("<@UBOT> take"));
        }
        other => panic!("not an app_mention: {other:?}"),
    }
}

#[test]
fn echo_of_the_apps_own_posts() {
    let ch = channel(true);
    let mut m = msg("1700000002.000100", Some("UBOT"), "relayed");
    m.bot_id = Some("B0EMULATOR".to_string());
    m.blocks = json!([{"type": "section", "text": {"type": "mrkdwn", "text": "relayed"}}]);
    let ev = message_event(events::bot_message_event(&m, &ch, None));
    assert_eq!(ev.subtype, None);
    assert_eq!(ev.sender.bot_id.unwrap().0, "B0EMULATOR");
    assert_eq!(ev.sender.user.unwrap().0, "UBOT");
    assert_eq!(ev.sender.bot_profile.unwrap().name, "handover-bot");
    m.username = Some("Eve".to_string());
    m.icon_url = Some("https://example.com/eve.png".to_string());
    m.thread_ts = Some("1700000000.000100".to_string());
    let ev = message_event(events::bot_message_event(&m, &ch, Some("UBOT")));
    assert_eq!(ev.subtype, Some(sm::SlackMessageEventType::BotMessage));
    assert_eq!(ev.sender.username.as_deref(), Some("Eve"));
    assert_eq!(ev.origin.thread_ts.unwrap().0, "1700000000.000100");
    assert!(matches!(
        ev.content.unwrap().blocks.unwrap()[0],
        sm::SlackBlock::Section(_)
    ));

    let mut new = m.clone();
    new.text = "edited".to_string();
    new.edited = 1;
    let ev = message_event(events::message_changed_event(
        &new,
        &m,
        &ch,
        "1700000003.000100",
    ));
    assert_eq!(ev.subtype, Some(sm::SlackMessageEventType::MessageChanged));
    assert_eq!(
        ev.message.unwrap().content.unwrap().text.as_deref(),
        Some("edited")
    );
    assert_eq!(ev.previous_message.unwrap().ts.0, "1700000002.000100");
}

#[tokio::test]
async fn file_share_event() {
    let emu = workspace(SlackEmulatorConfig::default()).await;
    let info = {
        let mut st = emu.inner.state();
        let base = emu.inner.base_url();
        crate::slack::files::new_file(
            &mut st,
            &base,
            "U1",
            "photo 1.png",
            Some(vec![1, 2, 3]),
            false,
        )
    };
    let mut m = msg("1700000004.000100", Some("U1"), "");
    m.blocks = Value::Null;
    m.files = vec![info];
    let ev = message_event(events::user_message_event(&m, &channel(true), None));
    assert_eq!(ev.subtype, Some(sm::SlackMessageEventType::FileShare));
    let file = &ev.content.unwrap().files.unwrap()[0];
    assert_eq!(file.name.as_deref(), Some("photo 1.png"));
    assert_eq!(file.mimetype.as_ref().unwrap().0, "image/png");
    let url = file.url_private.as_ref().unwrap().to_string();
    assert!(
        url.starts_with(&format!("http://{}/files/F", emu.addr())),
        "{url}"
    );
    // A message carrying files, as the Web API returns it.
    let h: sm::SlackHistoryMessage = de(&payloads::message_json(&m, None));
    assert_eq!(h.subtype, Some(sm::SlackMessageEventType::FileShare));
}

#[test]
fn slash_command_payload() {
    let user = SlackUser::new("U1", "alice", "Alice");
    let fields = events::command_fields(
        &user,
        &channel(true),
        "/handover",
        "assign <@U2|bob>",
        "http://127.0.0.1:1/response/x",
        &events::trigger_id(),
    );
    let obj: serde_json::Map<String, Value> = fields
        .into_iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let cmd: sm::SlackCommandEvent = de(&Value::Object(obj));
    assert_eq!(
        (cmd.command.0.as_str(), cmd.text.as_deref()),
        ("/handover", Some("assign <@U2|bob>"))
    );
    assert_eq!(
        (cmd.channel_id.0.as_str(), cmd.user_id.0.as_str()),
        ("G1", "U1")
    );
}

#[test]
fn block_actions_payload() {
    let user = SlackUser::new("U2", "bob", "Bob");
    let ch = channel(true);
    let blocks = json!([
        {"type": "section", "block_id": "summary", "text": {"type": "mrkdwn", "text": "*Handover*"}},
        {"type": "actions", "block_id": "buttons", "elements": [
            {"type": "button", "action_id": "take", "text": {"type": "plain_text", "text": "Take over"}, "value": "h1", "style": "primary"},
            {"type": "button", "action_id": "close", "text": {"type": "plain_text", "text": "Close"}, "value": "h1"}
        ]}
    ]);
    let mut m = msg("1700000005.000100", Some("UBOT"), "card");
    m.bot_id = Some("B0EMULATOR".to_string());
    m.blocks = blocks.clone();
    let (block_id, element) = events::find_action(&blocks, "close").unwrap();
    assert_eq!(block_id, "buttons");
    let thread = Some((1, "1700000006.000100".to_string(), vec!["U1".to_string()]));
    let payload = events::block_actions(&Click {
        user: &user,
        ch: &ch,
        message: payloads::message_json(&m, thread),
        message_ts: &m.ts,
        thread_ts: None,
        block_id,
        element,
        action_id: "close",
        value: "h1",
        action_ts: "1700000007.000100".to_string(),
        response_url: "http://127.0.0.1:1/response/abc".to_string(),
    });
    let sm::SlackInteractionEvent::BlockActions(ev) = de::<sm::SlackInteractionEvent>(&payload)
    else {
        panic!("not block_actions");
    };
    let sm::SlackInteractionActionContainer::Message(c) = ev.container else {
        panic!("not a message container");
    };
    assert_eq!(
        (c.message_ts.0.as_str(), c.channel_id.unwrap().0.as_str()),
        ("1700000005.000100", "G1")
    );
    let action = &ev.actions.unwrap()[0];
    assert_eq!(
        (action.action_id.0.as_str(), action.value.as_deref()),
        ("close", Some("h1"))
    );
    assert_eq!(action.block_id.as_ref().unwrap().0, "buttons");
    let message = ev.message.unwrap();
    assert_eq!(message.parent.reply_count, Some(1));
    let blocks = message.content.blocks.unwrap();
    assert!(
        matches!(blocks[1], sm::SlackBlock::Actions(_)),
        "{blocks:?}"
    );
    assert_eq!(ev.user.unwrap().id.0, "U2");
    assert!(ev.response_url.is_some() && ev.state.is_some());
}

/// Socket Mode frames. slack-morphism's `SlackSocketModeEvent` is not public: the
/// envelope fields are checked here, `hello`/`disconnect` by the end-to-end test (its
/// hello callback and error handler).
#[test]
fn socket_mode_frames() {
    let hello = events::hello(1, "1700000000");
    assert_eq!(
        (hello["type"].as_str(), hello["num_connections"].as_u64()),
        (Some("hello"), Some(1))
    );
    assert_eq!(hello["debug_info"]["host"], "emulator");
    assert_eq!(hello["connection_info"]["app_id"], "A0EMULATOR");
    let bye = events::disconnect("refresh_requested");
    assert_eq!(
        (bye["type"].as_str(), bye["reason"].as_str()),
        (Some("disconnect"), Some("refresh_requested"))
    );
    assert!(
        bye["debug_info"]["host"].is_string(),
        "slack-morphism requires debug_info.host"
    );

    let m = msg("1700000001.000100", Some("U1"), "hi");
    let push = Push::event(events::user_message_event(&m, &channel(true), None));
    let env = events::envelope("events_api", "e-1", &push.payload, false, 2);
    assert_eq!(
        (env["retry_attempt"].as_u64(), env["retry_reason"].as_str()),
        (Some(2), Some("timeout"))
    );
    assert_eq!(
        (env["type"].as_str(), env["envelope_id"].as_str()),
        (Some("events_api"), Some("e-1"))
    );
    assert_eq!(env["accepts_response_payload"], false);
    let cb: sm::SlackPushEventCallback = de(&env["payload"]);
    assert!(matches!(cb.event, sm::SlackEventCallbackBody::Message(_)));

    let user = SlackUser::new("U1", "alice", "Alice");
    let fields = events::command_fields(
        &user,
        &channel(true),
        "/handover",
        "",
        "http://127.0.0.1:1/r",
        "1.2.3",
    );
    let obj: serde_json::Map<String, Value> = fields
        .into_iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let env = events::envelope("slash_commands", "e-2", &Value::Object(obj), true, 0);
    assert_eq!(
        (
            env["accepts_response_payload"].as_bool(),
            env["retry_reason"].as_str()
        ),
        (Some(true), Some(""))
    );
    let _: sm::SlackCommandEvent = de(&env["payload"]);
}
