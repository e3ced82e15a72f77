//! REST v10 entry point `/api/v10/{*rest}`: bot-token check, route dispatch, per-route
//! rate limits, call recording, and the gateway dispatches a call causes.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::rate::{Verdict, Window};
use super::state::{BOT, State as Guild};
use super::{Call, DiscordEmulator, Inner, payloads, rest_channels, rest_messages};

/// What a route answers, and the gateway events it causes.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) status: u16,
    /// `None` answers 204 without a body.
    pub(crate) body: Option<Value>,
    pub(crate) verdict: Option<Verdict>,
    pub(crate) events: Vec<(&'static str, Value)>,
}

impl Outcome {
    pub(crate) fn ok(body: Value) -> Self {
        Self::status(200, body)
    }

    pub(crate) fn status(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
            verdict: None,
            events: Vec::new(),
        }
    }

    pub(crate) fn no_content() -> Self {
        Self {
            status: 204,
            body: None,
            verdict: None,
            events: Vec::new(),
        }
    }

    /// A Discord JSON error (`{"message", "code"}`).
    pub(crate) fn error(status: u16, code: u64, message: &str) -> Self {
        Self::status(status, json!({"message": message, "code": code}))
    }

    pub(crate) fn not_found(what: &str, code: u64) -> Self {
        Self::error(404, code, &format!("Unknown {what}"))
    }

    /// 50035 Invalid Form Body with one field error.
    pub(crate) fn invalid(field: &str, code: &str, message: &str) -> Self {
        Self::status(
            400,
            json!({
                "message": "Invalid Form Body",
                "code": 50035,
                "errors": {field: {"_errors": [{"code": code, "message": message}]}},
            }),
        )
    }

    pub(crate) fn with_event(mut self, name: &'static str, data: Value) -> Self {
        self.events.push((name, data));
        self
    }

    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        let mut resp = match self.body {
            Some(b) => (status, b.to_string()).into_response(),
            None => status.into_response(),
        };
        let headers = resp.headers_mut();
        if resp_has_body(status) {
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        if let Some(v) = &self.verdict {
            v.apply(headers);
        }
        resp
    }
}

fn resp_has_body(status: StatusCode) -> bool {
    status != StatusCode::NO_CONTENT
}

pub(crate) async fn api(
    State(inner): State<Arc<Inner>>,
    method: Method,
    Path(rest): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (mut body, uploads) = match super::files::boundary(content_type) {
        Some(b) => super::files::multipart(&b, &body),
        None => (
            serde_json::from_slice(&body).unwrap_or(Value::Null),
            Vec::new(),
        ),
    };
    if !uploads.is_empty() {
        body["attachments"] = super::files::store_uploads(&inner, uploads);
    }
    let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let query = uri.query().map(str::to_string);
    let (route, public) = route_of(&segs);
    let authorized = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bot {}", inner.config.bot_token));
    let outcome = if !authorized && !public {
        Outcome::error(401, 0, "401: Unauthorized")
    } else {
        let mut st = inner.state();
        let limited = rate_check(&inner, &mut st, method.as_str(), &segs);
        match limited {
            Some(v) if !v.allowed => {
                st.rate_limited += 1;
                let mut o = Outcome::status(429, v.body());
                o.verdict = Some(v);
                o
            }
            verdict => {
                let ctx = Ctx {
                    inner: &inner,
                    query: query.as_deref().unwrap_or_default(),
                    body: &body,
                };
                let mut o = handle(&mut st, &ctx, method.as_str(), &segs);
                o.verdict = verdict;
                o
            }
        }
    };
    {
        let mut st = inner.state();
        st.calls.push(Call {
            method: method.to_string(),
            path: format!("/{}", segs.join("/")),
            route,
            query,
            body,
            status: outcome.status,
            at: Instant::now(),
        });
    }
    for (name, data) in &outcome.events {
        inner.gateway.dispatch(name, data.clone());
    }
    outcome.into_response()
}

/// What a handler may need besides the guild.
pub(crate) struct Ctx<'a> {
    pub(crate) inner: &'a Inner,
    pub(crate) query: &'a str,
    pub(crate) body: &'a Value,
}

/// The route template of a path, and whether it needs no bot token.
fn route_of(segs: &[&str]) -> (String, bool) {
    const NAMES: [(&str, &str); 9] = [
        ("guilds", "{guild_id}"),
        ("channels", "{channel_id}"),
        ("messages", "{message_id}"),
        ("permissions", "{overwrite_id}"),
        ("thread-members", "{user_id}"),
        ("reactions", "{emoji}"),
        ("applications", "{application_id}"),
        ("interactions", "{interaction_id}"),
        ("webhooks", "{webhook_id}"),
    ];
    let mut out = String::new();
    for (i, s) in segs.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| segs[p]);
        let prev2 = i.checked_sub(2).map(|p| segs[p]);
        let name = match (prev2, prev) {
            (Some("webhooks"), _) | (Some("interactions"), _) if i == 2 => "{token}",
            (_, Some(p)) if !s.starts_with('@') => {
                NAMES.iter().find(|(k, _)| *k == p).map_or(*s, |(_, v)| *v)
            }
            _ => *s,
        };
        out.push('/');
        out.push_str(name);
    }
    let public =
        matches!(segs.first(), Some(&"interactions") | Some(&"webhooks")) || segs == ["gateway"];
    (out, public)
}

/// Counts the call against its bucket, if its route has one.
/// The route's verdict, or the global one when the bot-wide limit refuses.
fn rate_check(inner: &Inner, st: &mut Guild, method: &str, segs: &[&str]) -> Option<Verdict> {
    let now = Instant::now();
    if let Some(rl) = inner.config.global {
        let w = st
            .windows
            .entry("global".to_owned())
            .or_insert_with(|| Window::new(now));
        let mut v = w.take(now, rl, "global");
        if !v.allowed {
            v.global = true;
            return Some(v);
        }
    }
    let (rl, key) = match (method, segs) {
        ("POST", ["channels", channel, "messages"]) => (
            inner.config.messages_per_channel?,
            format!("messages-{channel}"),
        ),
        ("POST", ["webhooks", id, _token]) => {
            (inner.config.webhook_executes?, format!("webhook-{id}"))
        }
        _ => return None,
    };
    let w = st
        .windows
        .entry(key.clone())
        .or_insert_with(|| Window::new(now));
    Some(w.take(now, rl, &format!("emu-{key}")))
}

fn handle(st: &mut Guild, ctx: &Ctx<'_>, method: &str, segs: &[&str]) -> Outcome {
    let gw = ctx.inner.gateway_url();
    match (method, segs) {
        ("GET", ["gateway"]) => Outcome::ok(json!({"url": gw})),
        ("POST", ["attachments", "refresh-urls"]) => super::files::refresh(ctx.inner, st, ctx.body),
        ("GET", ["gateway", "bot"]) => Outcome::ok(json!({
            "url": gw,
            "shards": 1,
            "session_start_limit": {
                "total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1,
            },
        })),
        ("GET", ["users", "@me"]) => {
            let mut me = st.user_json(BOT).unwrap_or(json!({}));
            me["verified"] = json!(true);
            me["mfa_enabled"] = json!(false);
            me["flags"] = json!(0);
            Outcome::ok(me)
        }
        ("GET", ["users", user]) => match st.user_json(user) {
            Some(u) => Outcome::ok(u),
            None => Outcome::not_found("User", 10013),
        },
        (_, ["guilds", guild, ..]) if *guild != DiscordEmulator::GUILD_ID => {
            Outcome::not_found("Guild", 10004)
        }
        ("GET", ["guilds", _, "members", user]) => match st.member_json(user) {
            Some(m) => Outcome::ok(m),
            None => Outcome::not_found("Member", 10007),
        },
        ("GET", ["guilds", _, "roles"]) => {
            let mut roles: Vec<_> = st.roles.values().collect();
            roles.sort_by(|a, b| a.id.cmp(&b.id));
            Outcome::ok(json!(
                roles.iter().map(|r| payloads::role(r)).collect::<Vec<_>>()
            ))
        }
        ("GET", ["guilds", _, "channels"]) => {
            let mut chans: Vec<_> = st.channels.values().filter(|c| !c.is_thread()).collect();
            chans.sort_by(|a, b| a.id.cmp(&b.id));
            Outcome::ok(json!(
                chans
                    .iter()
                    .map(|c| payloads::channel(c))
                    .collect::<Vec<_>>()
            ))
        }
        ("POST", ["guilds", _, "channels"]) => rest_channels::create(st, ctx.body),
        ("GET", ["channels", id]) => match st.channels.get(*id) {
            Some(c) => Outcome::ok(payloads::channel(c)),
            None => Outcome::not_found("Channel", 10003),
        },
        ("PATCH", ["channels", id]) => rest_channels::modify(st, id, ctx.body),
        ("DELETE", ["channels", id]) => rest_channels::delete(st, id),
        ("PUT", ["channels", id, "permissions", target]) => {
            rest_channels::put_overwrite(st, id, target, ctx.body)
        }
        ("DELETE", ["channels", id, "permissions", target]) => {
            rest_channels::delete_overwrite(st, id, target)
        }
        ("POST", ["channels", id, "threads"]) => rest_channels::create_thread(st, id, ctx.body),
        ("PUT", ["channels", id, "thread-members", user]) => {
            rest_channels::add_thread_member(st, id, user)
        }
        ("DELETE", ["channels", id, "thread-members", user]) => {
            rest_channels::remove_thread_member(st, id, user)
        }
        ("POST", ["channels", id, "webhooks"]) => rest_channels::create_webhook(st, id, ctx.body),
        (_, ["channels", ..] | ["webhooks", ..] | ["applications", ..] | ["interactions", ..]) => {
            rest_messages::handle(st, ctx, method, segs)
        }
        _ => Outcome::error(404, 0, "404: Not Found"),
    }
}

#[cfg(test)]
pub(crate) fn route_template(path: &str) -> String {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    route_of(&segs).0
}
