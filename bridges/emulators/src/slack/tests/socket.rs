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
