//! The real slack-morphism client against the emulator: Web API calls, and Socket Mode
//! with `SlackClientSocketModeListener` (events, a slash command, a click, redelivery,
//! reconnection).

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use slack_morphism::prelude as sm;
use tokio::sync::mpsc;

use super::{BOT_TOKEN, workspace};
use crate::slack::{EmulatorError, SlackEmulator, SlackEmulatorConfig};

/// A slack-morphism client pointed at the emulator.
pub(super) fn client(emu: &SlackEmulator) -> Arc<sm::SlackHyperClient> {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .build();
    let connector =
        sm::SlackClientHyperConnector::with_connector(https).with_slack_api_url(&emu.api_url());
    Arc::new(sm::SlackClient::new(connector))
}

fn bot_token() -> sm::SlackApiToken {
    sm::SlackApiToken::new(BOT_TOKEN.into())
}

#[tokio::test]
async fn web_api_through_slack_morphism() {
    let emu = workspace(SlackEmulatorConfig::default()).await;
    let client = client(&emu);
    let token = bot_token();
    let s = client.open_session(&token);

    let me = s.auth_test().await.unwrap();
    assert_eq!(me.user_id.0, "UBOT");
    let root = s
        .chat_post_message(&sm::SlackApiChatPostMessageRequest::new(
            "G1".into(),
            sm::SlackMessageContent::new().with_text("card".into()),
        ))
        .await
        .unwrap();
    let content = sm::SlackMessageContent::new().with_text("hi from Eve".into());
    let reply = sm::SlackApiChatPostMessageRequest::new("G1".into(), content)
        .with_thread_ts(root.ts.clone())
        .with_username("Eve".into())
        .with_icon_url("https://example.com/eve.png".into());
    let reply = s.chat_post_message(&reply).await.unwrap();
    assert_eq!(emu.thread("G1", &root.ts.0)[0].ts, reply.ts.0);
    let blocks: Vec<sm::SlackBlock> = serde_json::from_value(
        json!([{"type": "section", "text": {"type": "mrkdwn", "text": "*taken*"}}]),
    )
    .unwrap();
    let update = sm::SlackApiChatUpdateRequest::new(
        "G1".into(),
        sm::SlackMessageContent::new()
            .with_text("taken".into())
            .with_blocks(blocks),
        root.ts.clone(),
    );
    s.chat_update(&update).await.unwrap();
    assert_eq!(emu.message("G1", &root.ts.0).unwrap().edited, 1);
    s.reactions_add(&sm::SlackApiReactionsAddRequest::new(
        "G1".into(),
        "white_check_mark".into(),
        reply.ts.clone(),
    ))
    .await
    .unwrap();
    let again = s
        .reactions_add(&sm::SlackApiReactionsAddRequest::new(
            "G1".into(),
            "white_check_mark".into(),
            reply.ts.clone(),
        ))
        .await;
    match again {
        Err(slack_morphism::errors::SlackClientError::ApiError(e)) => {
            assert_eq!(e.code, "already_reacted")
        }
        other => panic!("expected already_reacted, got {other:?}"),
    }
    let u = s
        .users_info(&sm::SlackApiUsersInfoRequest::new("U1".into()))
        .await
        .unwrap();
    assert_eq!(u.user.real_name.as_deref(), Some("Alice Example"));

    let info = s
        .conversations_info(&sm::SlackApiConversationsInfoRequest::new("G1".into()))
        .await
        .unwrap();
    assert_eq!(info.channel.flags.is_private, Some(true));
    s.conversations_invite(&sm::SlackApiConversationsInviteRequest::new(
        "G1".into(),
        vec!["U3".into()],
    ))
    .await
    .unwrap();
    s.conversations_kick(&sm::SlackApiConversationsKickRequest::new(
        "G1".into(),
        "U2".into(),
    ))
    .await
    .unwrap();
    let members = s
        .conversations_members(
            &sm::SlackApiConversationsMembersRequest::new().with_channel("G1".into()),
        )
        .await
        .unwrap();
    assert_eq!(
        members
            .members
            .iter()
            .map(|m| m.0.as_str())
            .collect::<Vec<_>>(),
        vec!["UBOT", "U1", "U3"]
    );
    let eph = sm::SlackApiChatPostEphemeralRequest::new(
        "G1".into(),
        "U1".into(),
        sm::SlackMessageContent::new().with_text("psst".into()),
    );
    s.chat_post_ephemeral(&eph).await.unwrap();

    // The external upload flow.
    let up = s
        .get_upload_url_external(&sm::SlackApiFilesGetUploadUrlExternalRequest::new(
            "notes.txt".into(),
            4,
        ))
        .await
        .unwrap();
    s.files_upload_via_url(&sm::SlackApiFilesUploadViaUrlRequest::new(
        up.upload_url,
        b"abcd".to_vec(),
        "text/plain".into(),
    ))
    .await
    .unwrap();
    let done =
        sm::SlackApiFilesCompleteUploadExternalRequest::new(vec![sm::SlackApiFilesComplete::new(
            up.file_id.clone(),
        )])
        .with_channel_id("G1".into())
        .with_thread_ts(root.ts.clone());
    let done = s.files_complete_upload_external(&done).await.unwrap();
    assert_eq!(done.files[0].id, up.file_id);
    let info = s
        .files_info(&sm::SlackApiFilesInfoRequest::new(up.file_id))
        .await
        .unwrap();
    assert_eq!(info.file.name.as_deref(), Some("notes.txt"));
    assert_eq!(emu.uploaded_files()[0].bytes, b"abcd");
    assert!(
        emu.calls()
            .iter()
            .all(|c| c.ok || c.error.as_deref() == Some("already_reacted"))
    );
}

#[derive(Clone)]
pub(super) struct Seen(pub(super) mpsc::UnboundedSender<String>);

async fn seen(state: &sm::SlackClientEventsUserState) -> mpsc::UnboundedSender<String> {
    state
        .read()
        .await
        .get_user_state::<Seen>()
        .unwrap()
        .0
        .clone()
}

pub(super) async fn on_push(
    ev: sm::SlackPushEventCallback,
    client: Arc<sm::SlackHyperClient>,
    state: sm::SlackClientEventsUserState,
) -> sm::UserCallbackResult<()> {
    let tx = seen(&state).await;
    match ev.event {
        sm::SlackEventCallbackBody::Message(m) => {
            let text = m.content.and_then(|c| c.text).unwrap_or_default();
            if m.sender.bot_id.is_some() {
                let _ = tx.send(format!("echo:{text}"));
            } else {
                let _ = tx.send(format!("message:{text}"));
                if text == "slow" {
                    tokio::time::sleep(Duration::from_millis(800)).await;
                }
                if text == "hello" {
                    let token = bot_token();
                    let reply = sm::SlackApiChatPostMessageRequest::new(
                        m.origin.channel.unwrap(),
                        sm::SlackMessageContent::new().with_text("hi there".into()),
                    )
                    .with_thread_ts(m.origin.ts);
                    client
                        .open_session(&token)
                        .chat_post_message(&reply)
                        .await?;
                }
            }
        }
        sm::SlackEventCallbackBody::AppMention(m) => {
            let _ = tx.send(format!("mention:{}", m.content.text.unwrap_or_default()));
        }
        other => {
            let _ = tx.send(format!("other:{other:?}"));
        }
    }
    Ok(())
}

async fn on_command(
    ev: sm::SlackCommandEvent,
    _client: Arc<sm::SlackHyperClient>,
    _state: sm::SlackClientEventsUserState,
) -> sm::UserCallbackResult<sm::SlackCommandEventResponse> {
    let content =
        sm::SlackMessageContent::new().with_text(format!("got {}", ev.text.unwrap_or_default()));
    Ok(sm::SlackCommandEventResponse::new(content)
        .with_response_type(sm::SlackMessageResponseType::Ephemeral))
}

async fn on_interaction(
    ev: sm::SlackInteractionEvent,
    _client: Arc<sm::SlackHyperClient>,
    state: sm::SlackClientEventsUserState,
) -> sm::UserCallbackResult<()> {
    let tx = seen(&state).await;
    if let sm::SlackInteractionEvent::BlockActions(a) = ev {
        let action = a
            .actions
            .unwrap_or_default()
            .first()
            .map(|x| x.action_id.0.clone())
            .unwrap_or_default();
        let thread = a
            .message
            .and_then(|m| m.origin.thread_ts)
            .map(|t| t.0)
            .unwrap_or_default();
        let _ = tx.send(format!("click:{action}:{thread}"));
    }
    Ok(())
}

pub(super) fn on_error(
    err: Box<dyn std::error::Error + Send + Sync>,
    _client: Arc<sm::SlackHyperClient>,
    state: sm::SlackClientEventsUserState,
) -> sm::HttpStatusCode {
    if let Ok(s) = state.try_read()
        && let Some(Seen(tx)) = s.get_user_state::<Seen>()
    {
        let _ = tx.send(format!("error:{err:?}"));
    }
    sm::HttpStatusCode::OK
}

pub(super) async fn next(rx: &mut mpsc::UnboundedReceiver<String>) -> String {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn socket_mode_through_slack_morphism() {
    let cfg = SlackEmulatorConfig {
        ack_timeout: Duration::from_millis(500),
        ..SlackEmulatorConfig::default()
    };
    let emu = workspace(cfg).await;
    assert_eq!(
        emu.user_message("U1", "G1", None, "nobody there").await,
        Err(EmulatorError::NotConnected)
    );

    let (tx, mut rx) = mpsc::unbounded_channel();
    let env = sm::SlackClientEventsListenerEnvironment::new(client(&emu))
        .with_user_state(Seen(tx))
        .with_error_handler(on_error);
    let callbacks = sm::SlackSocketModeListenerCallbacks::new()
        .with_hello_events(|hello, _client, state| async move {
            let _ = seen(&state)
                .await
                .send(format!("hello:{}", hello.num_connections));
        })
        .with_push_events(on_push)
        .with_command_events(on_command)
        .with_interaction_events(on_interaction);
    let config = sm::SlackClientSocketModeConfig::new().with_max_connections_count(1);
    let listener = sm::SlackClientSocketModeListener::new(&config, Arc::new(env), callbacks);
    listener
        .listen_for(&sm::SlackApiToken::new("xapp-emulator".into()))
        .await
        .unwrap();
    listener.start().await;
    assert!(emu.wait_connected(1, Duration::from_secs(5)).await);
    assert_eq!(next(&mut rx).await, "hello:1");

    // A message event; the app replies in the thread and gets its own post back.
    let ts = emu.user_message("U1", "G1", None, "hello").await.unwrap();
    assert_eq!(next(&mut rx).await, "message:hello");
    assert_eq!(next(&mut rx).await, "echo:hi there");
    assert_eq!(emu.thread("G1", &ts)[0].text, "hi there");

    // A mention in the thread: the message event, then app_mention.
    emu.mention("U2", "G1", Some(&ts), "<@UBOT> take")
        .await
        .unwrap();
    assert_eq!(next(&mut rx).await, "message:<@UBOT> take");
    assert_eq!(next(&mut rx).await, "mention:<@UBOT> take");

    // A slash command answers with its ack payload.
    let answer = emu
        .slash_command("U1", "G1", "/handover", "list")
        .await
        .unwrap();
    assert_eq!(
        answer,
        json!({"text": "got list", "response_type": "ephemeral"})
    );

    // A click on a card in the thread, then the same envelope again.
    let card = json!([{"type": "actions", "block_id": "b", "elements": [{"type": "button", "action_id": "take", "text": {"type": "plain_text", "text": "Take over"}, "value": "h1"}]}]);
    let a = super::post(
        &emu,
        "chat.postMessage",
        json!({"channel": "G1", "text": "card", "blocks": card, "thread_ts": ts}),
    )
    .await;
    let card_ts = a.body["ts"].as_str().unwrap().to_string();
    assert_eq!(next(&mut rx).await, "echo:card");
    assert_eq!(
        emu.click("U2", "G1", &card_ts, "take", "h1").await.unwrap(),
        json!({})
    );
    assert_eq!(next(&mut rx).await, format!("click:take:{ts}"));
    emu.redeliver_last().await.unwrap();
    assert_eq!(next(&mut rx).await, format!("click:take:{ts}"));

    // No ack within the timeout.
    assert_eq!(
        emu.user_message("U1", "G1", None, "slow").await,
        Err(EmulatorError::Timeout)
    );
    assert_eq!(next(&mut rx).await, "message:slow");

    // Disconnect: slack-morphism reconnects through apps.connections.open.
    let opens = emu.calls_to("apps.connections.open").len();
    emu.disconnect_all("refresh_requested").await;
    assert!(emu.wait_connected(1, Duration::from_secs(5)).await);
    assert!(emu.calls_to("apps.connections.open").len() > opens);
    assert_eq!(next(&mut rx).await, "hello:1");
    emu.user_message("U1", "G1", None, "after").await.unwrap();
    assert_eq!(next(&mut rx).await, "message:after");

    listener.shutdown().await;
    for _ in 0..100 {
        if emu.socket_connections() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(emu.socket_connections(), 0);
    // slack-morphism parsed every frame (a frame it cannot parse reaches the error handler).
    while let Ok(line) = rx.try_recv() {
        assert!(!line.starts_with("error:"), "{line}");
    }
}
