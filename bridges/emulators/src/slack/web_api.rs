//! The Web API endpoint `/api/{method}`: parameters, tokens, dispatch, call recording,
//! and the `response_url` endpoint.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::delivery::Push;
use super::form::{self, Params};
use super::state::{BOT, State as Workspace};
use super::{Ephemeral, Inner, Message, SlackEmulator, chat, events, files, workspace};

/// What a method answers.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) status: u16,
    pub(crate) body: Value,
    pub(crate) retry_after: Option<u64>,
}

impl Outcome {
    /// `{"ok":true, ...fields}`.
    pub(crate) fn ok(fields: Value) -> Self {
        let mut body = json!({"ok": true});
        if let (Some(b), Value::Object(f)) = (body.as_object_mut(), fields) {
            b.extend(f);
        }
        Self {
            status: 200,
            body,
            retry_after: None,
        }
    }

    /// `{"ok":false,"error":code}` with HTTP 200.
    pub(crate) fn err(code: &str) -> Self {
        Self {
            status: 200,
            body: json!({"ok": false, "error": code}),
            retry_after: None,
        }
    }

    pub(crate) fn rate_limited(retry_after: u64) -> Self {
        Self {
            status: 429,
            body: json!({"ok": false, "error": "ratelimited"}),
            retry_after: Some(retry_after),
        }
    }

    pub(crate) fn error(&self) -> Option<String> {
        self.body
            .get("error")
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    pub(crate) fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        let mut resp = (status, self.body.to_string()).into_response();
        let headers = resp.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            headers.insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

/// Everything a method implementation may use.
pub(crate) struct Cx<'a> {
    pub(crate) inner: &'a Inner,
    pub(crate) st: &'a mut Workspace,
    pub(crate) p: &'a Params,
    pub(crate) now: Instant,
    /// Events to push to the app after the answer (e.g. the echo of a post).
    pub(crate) pushes: Vec<Push>,
}

type Method = fn(&mut Cx<'_>) -> Outcome;

fn method(name: &str) -> Option<Method> {
    Some(match name {
        "api.test" => workspace::api_test,
        "auth.test" => workspace::auth_test,
        "apps.connections.open" => workspace::connections_open,
        "chat.postMessage" => chat::post_message,
        "chat.update" => chat::update,
        "chat.postEphemeral" => chat::post_ephemeral,
        "reactions.add" => chat::reactions_add,
        "users.info" => workspace::users_info,
        "conversations.info" => workspace::conversations_info,
        "conversations.members" => workspace::conversations_members,
        "conversations.invite" => workspace::conversations_invite,
        "conversations.kick" => workspace::conversations_kick,
        "files.info" => files::files_info,
        "files.getUploadURLExternal" => files::get_upload_url,
        "files.completeUploadExternal" => files::complete_upload,
        _ => return None,
    })
}

pub(crate) async fn api(
    State(inner): State<Arc<Inner>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let parsed = Params::from_request(&headers, uri.query(), &body);
    let params = parsed.clone().unwrap_or_default();
    let token = form::token(&headers, &params);
    let (outcome, pushes) = {
        let mut st = inner.state();
        let mut cx = Cx {
            inner: &inner,
            st: &mut st,
            p: &params,
            now: Instant::now(),
            pushes: Vec::new(),
        };
        let outcome = match (method(&name), parsed) {
            (None, _) => Outcome::err("unknown_method"),
            (Some(_), Err(code)) => Outcome::err(code),
            (Some(f), Ok(_)) => match check_token(&inner, &name, token.as_deref()) {
                Err(code) => Outcome::err(code),
                Ok(()) => f(&mut cx),
            },
        };
        let pushes = std::mem::take(&mut cx.pushes);
        if outcome.status == 429 {
            st.rate_limited += 1;
        }
        st.record(&name, params.value(), outcome.status, outcome.error());
        (outcome, pushes)
    };
    for p in pushes {
        // The echo task owns the order; a closed channel means the emulator is gone.
        let _ = inner.echo_tx.send(p);
    }
    outcome.into_response()
}

fn check_token(inner: &Inner, method: &str, token: Option<&str>) -> Result<(), &'static str> {
    let Some(token) = token else {
        return Err("not_authed");
    };
    let cfg = &inner.config;
    let (wanted, other) = if method == "apps.connections.open" {
        (&cfg.app_token, &cfg.bot_token)
    } else {
        (&cfg.bot_token, &cfg.app_token)
    };
    if token == wanted {
        Ok(())
    } else if token == other {
        Err("not_allowed_token_type")
    } else {
        Err("invalid_auth")
    }
}

/// `POST /response/{id}`: a `response_url` post (ephemeral, in-channel, replace or delete).
pub(crate) async fn response_url(
    State(inner): State<Arc<Inner>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = Params::from_request(&headers, None, &body).unwrap_or_default();
    let mut pushes = Vec::new();
    let outcome = {
        let mut st = inner.state();
        let outcome = match st.response_urls.get(&id).cloned() {
            None => Outcome::err("expired_url"),
            Some(target) => respond(&mut st, &params, &target, &mut pushes),
        };
        st.record(
            "response_url",
            params.value(),
            outcome.status,
            outcome.error(),
        );
        outcome
    };
    for p in pushes {
        let _ = inner.echo_tx.send(p);
    }
    outcome.into_response()
}

fn respond(
    st: &mut Workspace,
    p: &Params,
    target: &super::state::ResponseTarget,
    pushes: &mut Vec<Push>,
) -> Outcome {
    let text = p.str("text").unwrap_or_default();
    let blocks = p.json("blocks").unwrap_or(Value::Null);
    if p.bool("delete_original") == Some(true) {
        if let Some(ts) = &target.message_ts {
            st.remove(&target.channel, ts);
        }
        return Outcome::ok(json!({}));
    }
    if p.bool("replace_original") == Some(true) {
        if let Some(ts) = &target.message_ts
            && let Some(m) = st.message_mut(&target.channel, ts)
        {
            m.text = text;
            if !blocks.is_null() {
                m.blocks = blocks;
            }
            m.edited += 1;
            return Outcome::ok(json!({}));
        }
        return Outcome::err("message_not_found");
    }
    if p.str("response_type").as_deref() == Some("in_channel") {
        let ts = st.next_ts();
        let msg = Message {
            ts,
            thread_ts: target.thread_ts.clone(),
            user: Some(BOT.to_string()),
            bot_id: Some(SlackEmulator::BOT_ID.to_string()),
            username: None,
            icon_url: None,
            text,
            blocks,
            metadata: None,
            reactions: Vec::new(),
            edited: 0,
            files: Vec::new(),
        };
        if let Some(ch) = st.channels.get(&target.channel) {
            pushes.push(Push::event(events::bot_message_event(&msg, ch, None)));
        }
        st.store(&target.channel, msg);
        return Outcome::ok(json!({}));
    }
    st.ephemerals.push(Ephemeral {
        channel: target.channel.clone(),
        user: target.user.clone(),
        text,
        blocks,
        thread_ts: target.thread_ts.clone(),
    });
    Outcome::ok(json!({}))
}
