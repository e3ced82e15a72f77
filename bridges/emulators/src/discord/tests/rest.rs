//! REST answers, each deserialised into serenity's model types.

use serde_json::json;
use serenity::model::application::Command;
use serenity::model::channel::{ChannelType, GuildChannel, Message, PermissionOverwriteType};
use serenity::model::guild::{Member, Role};
use serenity::model::user::CurrentUser;
use serenity::model::webhook::Webhook;

use super::{call, call_as, de, fixture, ok};
use crate::discord::rest::route_template;
use crate::discord::{DiscordEmulator, DiscordEmulatorConfig};

#[tokio::test]
async fn token_is_checked_and_calls_are_recorded() {
    let f = fixture(DiscordEmulatorConfig::default()).await;
    let a = call_as(&f.emu, Some("wrong"), "GET", "/users/@me", None).await;
    assert_eq!(a.status, 401);
    assert_eq!(a.body, json!({"message": "401: Unauthorized", "code": 0}));
    let a = call_as(&f.emu, None, "GET", "/users/@me", None).await;
    assert_eq!(a.status, 401);
    let me: CurrentUser = de(ok(&call(&f.emu, "GET", "/users/@me", None).await));
    assert_eq!(me.id.to_string(), DiscordEmulator::BOT_USER_ID);
    let calls = f.emu.calls_to("GET", "/users/@me");
    assert_eq!(calls.len(), 3);
    assert_eq!(calls[0].status, 401);
    assert_eq!(calls[2].status, 200);
    // The gateway URL needs no token; /gateway/bot does.
    let a = call_as(&f.emu, None, "GET", "/gateway", None).await;
    assert_eq!(ok(&a)["url"], f.emu.gateway_url());
    let a = call(&f.emu, "GET", "/gateway/bot", None).await;
    let b = ok(&a);
    assert_eq!(b["url"], f.emu.gateway_url());
    assert_eq!(b["shards"], 1);
    assert_eq!(b["session_start_limit"]["max_concurrency"], 1);
    let a = call(&f.emu, "GET", "/nowhere", None).await;
    assert_eq!(a.status, 404);
}

#[test]
fn route_templates() {
    assert_eq!(
        route_template("/channels/1/messages"),
        "/channels/{channel_id}/messages"
    );
    assert_eq!(
        route_template("/channels/1/messages/2/reactions/%E2%9C%85/@me"),
        "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"
    );
    assert_eq!(
        route_template("/webhooks/1/abc"),
        "/webhooks/{webhook_id}/{token}"
    );
    assert_eq!(
        route_template("/interactions/1/abc/callback"),
        "/interactions/{interaction_id}/{token}/callback"
    );
    assert_eq!(
        route_template("/applications/1/guilds/2/commands"),
        "/applications/{application_id}/guilds/{guild_id}/commands"
    );
    assert_eq!(route_template("/users/@me"), "/users/@me");
}

#[tokio::test]
async fn channels_overwrites_and_the_category_limit() {
    let f = fixture(DiscordEmulatorConfig {
        // Fifty-odd calls in a row: the global limit is not what this test is about.
        global: None,
        ..DiscordEmulatorConfig::default()
    })
    .await;
    let path = format!("/guilds/{}/channels", DiscordEmulator::GUILD_ID);
    let body = json!({
        "name": "ho-alice",
        "type": 0,
        "parent_id": f.category,
        "topic": "handover 1",
        "permission_overwrites": [
            {"id": DiscordEmulator::EVERYONE_ROLE_ID, "type": 0, "allow": "0", "deny": "1024"},
            {"id": f.agents, "type": 0, "allow": "3072", "deny": "0"},
            {"id": DiscordEmulator::BOT_USER_ID, "type": 1, "allow": 3072, "deny": 0},
        ],
    });
    let a = call(&f.emu, "POST", &path, Some(body)).await;
    assert_eq!(a.status, 201);
    let c: GuildChannel = de(&a.body);
    assert_eq!(c.kind, ChannelType::Text);
    assert_eq!(c.parent_id.unwrap().to_string(), f.category);
    assert_eq!(c.permission_overwrites.len(), 3);
    assert!(matches!(
        c.permission_overwrites[2].kind,
        PermissionOverwriteType::Member(_)
    ));
    let id = c.id.to_string();

    let ow = format!("/channels/{id}/permissions/{}", f.alice);
    let a = call(
        &f.emu,
        "PUT",
        &ow,
        Some(json!({"type": 1, "allow": "3072", "deny": "0"})),
    )
    .await;
    assert_eq!(a.status, 204);
    let c: GuildChannel = de(ok(
        &call(&f.emu, "GET", &format!("/channels/{id}"), None).await
    ));
    assert_eq!(c.permission_overwrites.len(), 4);

    let archive = f.emu.add_category("archive");
    let a = call(
        &f.emu,
        "PATCH",
        &format!("/channels/{id}"),
        Some(json!({"parent_id": archive})),
    )
    .await;
    let c: GuildChannel = de(ok(&a));
    assert_eq!(c.parent_id.unwrap().to_string(), archive);
    let cat: GuildChannel = de(ok(&call(
        &f.emu,
        "GET",
        &format!("/channels/{}", f.category),
        None,
    )
    .await));
    assert_eq!(cat.kind, ChannelType::Category);

    // general is already in the category: 49 more fit, the 51st fails with 50035.
    for i in 0..49 {
        let a = call(
            &f.emu,
            "POST",
            &path,
            Some(json!({"name": format!("c{i}"), "parent_id": f.category})),
        )
        .await;
        assert_eq!(a.status, 201, "{}", a.body);
    }
    let a = call(
        &f.emu,
        "POST",
        &path,
        Some(json!({"name": "c50", "parent_id": f.category})),
    )
    .await;
    assert_eq!(a.status, 400);
    assert_eq!(a.body["code"], 50035);
    assert_eq!(
        a.body["errors"]["parent_id"]["_errors"][0]["code"],
        "CHANNEL_PARENT_MAX_CHANNELS"
    );
    // Moving a channel in is refused too.
    let a = call(
        &f.emu,
        "PATCH",
        &format!("/channels/{id}"),
        Some(json!({"parent_id": f.category})),
    )
    .await;
    assert_eq!(a.body["code"], 50035);
    let a = call(&f.emu, "GET", "/channels/1", None).await;
    assert_eq!((a.status, a.body["code"].as_u64()), (404, Some(10003)));
    let chans: Vec<GuildChannel> = de(ok(&call(&f.emu, "GET", &path, None).await));
    assert_eq!(chans.len(), 53);
    let roles: Vec<Role> = de(ok(&call(
        &f.emu,
        "GET",
        &format!("/guilds/{}/roles", DiscordEmulator::GUILD_ID),
        None,
    )
    .await));
    assert_eq!(roles.len(), 2);
    let m: Member = de(ok(&call(
        &f.emu,
        "GET",
        &format!("/guilds/{}/members/{}", DiscordEmulator::GUILD_ID, f.bob),
        None,
    )
    .await));
    assert_eq!(m.roles[0].to_string(), f.agents);
}

#[tokio::test]
async fn messages_nonces_edits_and_reactions() {
    let f = fixture(DiscordEmulatorConfig::default()).await;
    let path = format!("/channels/{}/messages", f.general);
    let body = json!({
        "content": "Handover #1",
        "embeds": [{"title": "Alice", "description": "needs help", "color": 3447003}],
        "components": [{"type": 1, "components": [{"type": 2, "style": 1, "label": "Take", "custom_id": "take:1"}]}],
        "allowed_mentions": {"parse": []},
        "nonce": "ho-1-header",
        "enforce_nonce": true,
    });
    let m: Message = de(ok(&call(&f.emu, "POST", &path, Some(body.clone())).await));
    assert_eq!(m.content, "Handover #1");
    assert_eq!(m.author.id.to_string(), DiscordEmulator::BOT_USER_ID);
    assert_eq!(m.embeds[0].title.as_deref(), Some("Alice"));
    assert_eq!(m.components.len(), 1);
    // The same nonce again returns the same message.
    let again: Message = de(ok(&call(&f.emu, "POST", &path, Some(body)).await));
    assert_eq!(again.id, m.id);
    assert_eq!(f.emu.messages(&f.general).len(), 1);
    let stored = f.emu.calls_to("POST", "/channels/{channel_id}/messages");
    assert_eq!(stored[0].body["allowed_mentions"], json!({"parse": []}));

    let one = format!("{path}/{}", m.id);
    let e: Message = de(ok(&call(
        &f.emu,
        "PATCH",
        &one,
        Some(json!({"content": "Handover #1 (taken)"})),
    )
    .await));
    assert_eq!(e.content, "Handover #1 (taken)");
    assert!(e.edited_timestamp.is_some());
    assert_eq!(e.embeds.len(), 1);
    let g: Message = de(ok(&call(&f.emu, "GET", &one, None).await));
    assert_eq!(g.content, "Handover #1 (taken)");
    let list: Vec<Message> = de(ok(
        &call(&f.emu, "GET", &format!("{path}?limit=10"), None).await
    ));
    assert_eq!(list.len(), 1);

    let a = call(
        &f.emu,
        "PUT",
        &format!("{one}/reactions/%E2%9C%85/@me"),
        None,
    )
    .await;
    assert_eq!(a.status, 204);
    assert_eq!(
        f.emu
            .message(&f.general, &m.id.to_string())
            .unwrap()
            .reactions,
        ["✅"]
    );

    let long = "x".repeat(2001);
    let a = call(&f.emu, "POST", &path, Some(json!({"content": long}))).await;
    assert_eq!((a.status, a.body["code"].as_u64()), (400, Some(50035)));
    let a = call(&f.emu, "POST", &path, Some(json!({"content": ""}))).await;
    assert_eq!(a.body["code"], 50006);
    let a = call(
        &f.emu,
        "POST",
        &format!("/channels/{}/messages", f.category),
        Some(json!({"content": "x"})),
    )
    .await;
    assert_eq!(a.status, 400);
}

#[tokio::test]
async fn private_threads_and_members() {
    let f = fixture(DiscordEmulatorConfig::default()).await;
    let a = call(
        &f.emu,
        "POST",
        &format!("/channels/{}/threads", f.general),
        Some(
            json!({"name": "ho-1", "type": 12, "invitable": false, "auto_archive_duration": 10080}),
        ),
    )
    .await;
    assert_eq!(a.status, 201);
    let t: GuildChannel = de(&a.body);
    assert_eq!(t.kind, ChannelType::PrivateThread);
    assert_eq!(t.parent_id.unwrap().to_string(), f.general);
    let tid = t.id.to_string();
    let a = call(
        &f.emu,
        "PUT",
        &format!("/channels/{tid}/thread-members/{}", f.bob),
        None,
    )
    .await;
    assert_eq!(a.status, 204);
    assert_eq!(
        f.emu.thread_members(&tid),
        [DiscordEmulator::BOT_USER_ID, f.bob.as_str()]
    );
    let m: Message = de(ok(&call(
        &f.emu,
        "POST",
        &format!("/channels/{tid}/messages"),
        Some(json!({"content": "in thread"})),
    )
    .await));
    assert_eq!(m.channel_id.to_string(), tid);
    let t: GuildChannel = de(ok(&call(
        &f.emu,
        "PATCH",
        &format!("/channels/{tid}"),
        Some(json!({"archived": true, "locked": true})),
    )
    .await));
    let meta = t.thread_metadata.unwrap();
    assert!(meta.archived && meta.locked);
    let a = call(
        &f.emu,
        "POST",
        &format!("/channels/{tid}/messages"),
        Some(json!({"content": "late"})),
    )
    .await;
    assert_eq!(a.body["code"], 50083);
    // Threads do not count against the category limit.
    assert_eq!(f.emu.inner.state().children(&f.category), 1);
}

#[tokio::test]
async fn webhooks_and_commands() {
    let f = fixture(DiscordEmulatorConfig::default()).await;
    let a = call(
        &f.emu,
        "POST",
        &format!("/channels/{}/webhooks", f.general),
        Some(json!({"name": "Handover relay"})),
    )
    .await;
    let w: Webhook = de(ok(&a));
    assert!(w.token.is_some());
    let token = a.body["token"].as_str().unwrap().to_string();
    let exec = format!("/webhooks/{}/{token}?wait=true", w.id);
    let body = json!({"content": "hi @everyone", "username": "Alice (customer)", "avatar_url": "https://example.com/a.png", "allowed_mentions": {"parse": []}});
    let m: Message = de(ok(&call_as(
        &f.emu,
        None,
        "POST",
        &exec,
        Some(body.clone()),
    )
    .await));
    assert_eq!(m.author.name, "Alice (customer)");
    assert!(m.author.avatar.is_some());
    assert_eq!(m.webhook_id, Some(w.id));
    let a = call(
        &f.emu,
        "POST",
        &format!("/webhooks/{}/{token}", w.id),
        Some(body.clone()),
    )
    .await;
    assert_eq!(a.status, 204);
    assert_eq!(f.emu.messages(&f.general).len(), 2);
    let a = call(
        &f.emu,
        "POST",
        &format!("/webhooks/{}/bad", w.id),
        Some(body),
    )
    .await;
    assert_eq!(a.body["code"], 10015);
    let calls = f.emu.calls_to("POST", "/webhooks/{webhook_id}/{token}");
    assert_eq!(calls[0].body["avatar_url"], "https://example.com/a.png");
    assert_eq!(calls[0].query.as_deref(), Some("wait=true"));

    let path = format!(
        "/applications/{}/guilds/{}/commands",
        DiscordEmulator::APPLICATION_ID,
        DiscordEmulator::GUILD_ID
    );
    let cmds = json!([{"name": "handover", "description": "Handover commands", "type": 1, "options": [{"type": 1, "name": "list", "description": "List"}]}]);
    let list: Vec<Command> = de(ok(&call(&f.emu, "PUT", &path, Some(cmds.clone())).await));
    assert_eq!(list[0].name, "handover");
    // A second overwrite keeps the id of a command with the same name.
    let again: Vec<Command> = de(ok(&call(&f.emu, "PUT", &path, Some(cmds)).await));
    assert_eq!(again[0].id, list[0].id);
    assert_eq!(f.emu.commands().len(), 1);
    let got: Vec<Command> = de(ok(&call(&f.emu, "GET", &path, None).await));
    assert_eq!(got.len(), 1);
}
