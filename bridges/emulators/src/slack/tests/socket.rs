//! Socket Mode with several connections: slack-morphism's default opens two; every
//! envelope goes to one live connection.

use std::sync::Arc;
use std::time::Duration;

use slack_morphism::prelude as sm;
use tokio::sync::mpsc;

use super::e2e::{Seen, client, next, on_error, on_push};
use super::workspace;
use crate::slack::SlackEmulatorConfig;

#[tokio::test]
async fn two_connections_share_the_envelopes() {
    let emu = workspace(SlackEmulatorConfig::default()).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let env = sm::SlackClientEventsListenerEnvironment::new(client(&emu))
        .with_user_state(Seen(tx))
        .with_error_handler(on_error);
    let callbacks = sm::SlackSocketModeListenerCallbacks::new().with_push_events(on_push);
    let config = sm::SlackClientSocketModeConfig::new()
        .with_max_connections_count(2)
        .with_initial_backoff_in_seconds(0);
    let listener = sm::SlackClientSocketModeListener::new(&config, Arc::new(env), callbacks);
    listener
        .listen_for(&sm::SlackApiToken::new("xapp-emulator".into()))
        .await
        .unwrap();
    listener.start().await;
    assert!(emu.wait_connected(2, Duration::from_secs(5)).await);
    assert_eq!(emu.socket_connections(), 2);
    for i in 0..4 {
        emu.user_message("U1", "G1", None, &format!("m{i}"))
            .await
            .unwrap();
        assert_eq!(next(&mut rx).await, format!("message:m{i}"));
    }
    assert_eq!(emu.messages("G1").len(), 4);
    emu.disconnect_all("refresh_requested").await;
    assert!(emu.wait_connected(2, Duration::from_secs(5)).await);
    emu.user_message("U1", "G1", None, "again").await.unwrap();
    assert_eq!(next(&mut rx).await, "message:again");
    listener.shutdown().await;
    while let Ok(line) = rx.try_recv() {
        assert!(!line.starts_with("error:"), "{line}");
    }
}

#[tokio::test]
async fn an_unacknowledged_event_is_delivered_again_until_an_app_acks_it() {
    let emu = workspace(SlackEmulatorConfig {
        ack_timeout: Duration::from_millis(200),
        ..SlackEmulatorConfig::default()
    })
    .await;
    // Nobody connected: every delivery fails, and the last failure is returned.
    let err = emu
        .user_message_until_acked("U1", "G1", None, "lost", (3, Duration::from_millis(20)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, crate::slack::EmulatorError::NotConnected),
        "{err:?}"
    );

    // An app that connects later gets the same event, and its ack ends the retries.
    let (tx, mut rx) = mpsc::unbounded_channel();
    let env = sm::SlackClientEventsListenerEnvironment::new(client(&emu))
        .with_user_state(Seen(tx))
        .with_error_handler(on_error);
    let callbacks = sm::SlackSocketModeListenerCallbacks::new().with_push_events(on_push);
    let config = sm::SlackClientSocketModeConfig::new().with_initial_backoff_in_seconds(0);
    let listener = sm::SlackClientSocketModeListener::new(&config, Arc::new(env), callbacks);
    let sender = {
        let emu = emu.clone();
        tokio::spawn(async move {
            emu.user_message_until_acked("U1", "G1", None, "later", (50, Duration::from_millis(20)))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    listener
        .listen_for(&sm::SlackApiToken::new("xapp-emulator".into()))
        .await
        .unwrap();
    listener.start().await;
    let (_, deliveries) = sender.await.unwrap().unwrap();
    assert!(deliveries >= 2, "delivered {deliveries} times");
    assert_eq!(next(&mut rx).await, "message:later");
    listener.shutdown().await;
}
