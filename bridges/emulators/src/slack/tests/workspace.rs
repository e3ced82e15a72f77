//! Web API answers of `users.*`, `conversations.*` and `files.*` deserialise into
//! slack-morphism's response types; membership and the external upload flow.

use serde_json::json;
use slack_morphism::prelude as sm;

use super::{BOT_TOKEN, de, err, get, ok, post, request, workspace};
use crate::slack::SlackEmulatorConfig;

#[tokio::test]
async fn users_and_conversations() {
    let emu = workspace(SlackEmulatorConfig::default()).await;
    let a = get(&emu, "users.info", "user=U1").await;
    let r: sm::SlackApiUsersInfoResponse = de(ok(&a));
    let profile = r.user.profile.unwrap();
    assert_eq!(profile.real_name.as_deref(), Some("Alice Example"));
    assert_eq!(profile.display_name.as_deref(), Some("alice"));
    let images = profile.icon.unwrap().images.unwrap().resolutions;
    assert!(images.contains(&(72, "https://example.com/alice.png".to_string())));
    assert!(images.contains(&(192, "https://example.com/alice.png".to_string())));
    let a = get(&emu, "users.info", "user=UBOT").await;
    let r: sm::SlackApiUsersInfoResponse = de(ok(&a));
    assert_eq!(r.user.flags.is_bot, Some(true));
    err(
        &get(&emu, "users.info", "user=U404").await,
        "user_not_found",
    );

    let a = get(&emu, "conversations.info", "channel=G1").await;
    let r: sm::SlackApiConversationsInfoResponse = de(ok(&a));
    assert_eq!(
        (
            r.channel.name.as_deref(),
            r.channel.flags.is_private,
            r.channel.flags.is_member
        ),
        (Some("handover"), Some(true), Some(true))
    );
    err(
        &get(&emu, "conversations.info", "channel=G3").await,
        "channel_not_found",
    );
    let a = get(&emu, "conversations.info", "channel=C2").await;
    let _: sm::SlackApiConversationsInfoResponse = de(ok(&a));

    let a = get(&emu, "conversations.members", "channel=G1&limit=2").await;
    let r: sm::SlackApiConversationsMembersResponse = de(ok(&a));
    assert_eq!(r.members.len(), 2);
    let cursor = r.response_metadata.unwrap().next_cursor.unwrap().0;
    let a = get(
        &emu,
        "conversations.members",
        &format!("channel=G1&limit=2&cursor={cursor}"),
    )
    .await;
    let r: sm::SlackApiConversationsMembersResponse = de(ok(&a));
    assert_eq!(
        r.members.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(),
        vec!["U2"]
    );

    // slack-morphism sends `users` as a JSON array; Slack documents a comma-separated string.
    let a = post(
        &emu,
        "conversations.invite",
        json!({"channel": "G1", "users": ["U3"]}),
    )
    .await;
    let _: sm::SlackApiConversationsInviteResponse = de(ok(&a));
    assert_eq!(emu.members("G1"), vec!["UBOT", "U1", "U2", "U3"]);
    err(
        &post(
            &emu,
            "conversations.invite",
            json!({"channel": "G1", "users": "U3,U2"}),
        )
        .await,
        "already_in_channel",
    );
    err(
        &post(
            &emu,
            "conversations.invite",
            json!({"channel": "G1", "users": "U404"}),
        )
        .await,
        "user_not_found",
    );
    err(
        &post(
            &emu,
            "conversations.invite",
            json!({"channel": "G1", "users": "UBOT"}),
        )
        .await,
        "cant_invite_self",
    );
    err(
        &post(
            &emu,
            "conversations.invite",
            json!({"channel": "G3", "users": "U2"}),
        )
        .await,
        "channel_not_found",
    );

    let a = post(
        &emu,
        "conversations.kick",
        json!({"channel": "G1", "user": "U2"}),
    )
    .await;
    let _: sm::SlackApiConversationsKickResponse = de(ok(&a));
    assert_eq!(emu.members("G1"), vec!["UBOT", "U1", "U3"]);
    err(
        &post(
            &emu,
            "conversations.kick",
            json!({"channel": "G1", "user": "U2"}),
        )
        .await,
        "not_in_channel",
    );
    err(
        &post(
            &emu,
            "conversations.kick",
            json!({"channel": "G1", "user": "UBOT"}),
        )
        .await,
        "cant_kick_self",
    );
}

#[tokio::test]
async fn external_file_upload_and_download() {
    let emu = workspace(SlackEmulatorConfig::default()).await;
    let root = post(
        &emu,
        "chat.postMessage",
        json!({"channel": "G1", "text": "root"}),
    )
    .await;
    let root_ts = root.body["ts"].as_str().unwrap().to_string();
    let a = get(
        &emu,
        "files.getUploadURLExternal",
        "filename=report.pdf&length=5",
    )
    .await;
    let r: sm::SlackApiFilesGetUploadUrlExternalResponse = de(ok(&a));
    let file_id = r.file_id.0.clone();
    // Completing before the bytes arrived fails.
    let files = json!([{"id": file_id, "title": "The report"}]);
    err(
        &post(
            &emu,
            "files.completeUploadExternal",
            json!({"files": files, "channel_id": "G1"}),
        )
        .await,
        "file_not_found",
    );
    // The upload itself: raw bytes, answered with text like Slack.
    let auth = format!("Bearer {BOT_TOKEN}");
    let up = request(
        "POST",
        r.upload_url.0.as_str(),
        &[
            ("authorization", auth.as_str()),
            ("content-type", "application/pdf"),
        ],
        b"%PDF!".to_vec(),
    )
    .await;
    assert_eq!(up.status, 200);
    assert_eq!(&up.raw[..], b"OK - 5");
    let body = json!({"files": files, "channel_id": "G1", "thread_ts": root_ts, "initial_comment": "see attached"});
    let a = post(&emu, "files.completeUploadExternal", body).await;
    let r: sm::SlackApiFilesCompleteUploadExternalResponse = de(ok(&a));
    assert_eq!(r.files[0].title.as_deref(), Some("The report"));
    let thread = emu.thread("G1", &root_ts);
    assert_eq!(
        (thread[0].text.as_str(), thread[0].files[0].id.as_str()),
        ("see attached", file_id.as_str())
    );
    let uploaded = emu.uploaded_files();
    assert_eq!(
        (uploaded[0].bytes.as_slice(), uploaded[0].channels.clone()),
        (&b"%PDF!"[..], vec!["G1".to_string()])
    );

    let a = get(&emu, "files.info", &format!("file={file_id}")).await;
    let r: sm::SlackApiFilesInfoResponse = de(ok(&a));
    let url = r.file.url_private.unwrap().to_string();
    err(
        &get(&emu, "files.info", "file=F404").await,
        "file_not_found",
    );
    let d = request("GET", &url, &[("authorization", auth.as_str())], vec![]).await;
    assert_eq!((d.status, &d.raw[..]), (200, &b"%PDF!"[..]));
    assert_eq!(request("GET", &url, &[], vec![]).await.status, 403);
    let d = request(
        "GET",
        &url,
        &[("authorization", "Bearer xoxb-other")],
        vec![],
    )
    .await;
    assert_eq!(d.status, 403);

    // A multipart upload works too.
    let a = get(
        &emu,
        "files.getUploadURLExternal",
        "filename=a.txt&length=2",
    )
    .await;
    let r: sm::SlackApiFilesGetUploadUrlExternalResponse = de(ok(&a));
    let mp = b"--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhi\r\n--XYZ--\r\n".to_vec();
    let up = request(
        "POST",
        r.upload_url.0.as_str(),
        &[("content-type", "multipart/form-data; boundary=XYZ")],
        mp,
    )
    .await;
    assert_eq!(up.status, 200);
    assert_eq!(emu.uploaded_files()[1].bytes, b"hi");
    assert!(
        emu.calls_to("file_download")
            .iter()
            .any(|c| c.status == 403)
    );
}
