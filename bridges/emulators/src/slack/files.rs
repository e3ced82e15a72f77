//! Files: `files.info`, the external upload flow (`files.getUploadURLExternal`, the
//! upload URL, `files.completeUploadExternal`) and authenticated downloads.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::delivery::Push;
use super::form::{self, Params};
use super::state::{BOT, State as Workspace, StoredFile};
use super::web_api::{Cx, Outcome};
use super::{FileInfo, Inner, Message, SlackEmulator, events, payloads};

/// Creates a file record (bytes not yet uploaded when `bytes` is `None`).
pub(crate) fn new_file(
    st: &mut Workspace,
    base_url: &str,
    user: &str,
    name: &str,
    bytes: Option<Vec<u8>>,
    via_api: bool,
) -> FileInfo {
    let id = st.next_id("F");
    let info = FileInfo {
        id: id.clone(),
        name: name.to_string(),
        title: name.to_string(),
        mimetype: payloads::mimetype(name),
        size: bytes.as_ref().map_or(0, Vec::len),
        user: Some(user.to_string()),
        url_private: format!("{base_url}/files/{id}/{}", form::encode(name)),
        channels: Vec::new(),
        bytes: bytes.clone().unwrap_or_default(),
    };
    st.files.push(StoredFile {
        info: info.clone(),
        uploaded: bytes.is_some(),
        via_api,
    });
    info
}

pub(crate) fn files_info(cx: &mut Cx<'_>) -> Outcome {
    match cx.p.str("file").and_then(|id| cx.st.file(&id)) {
        Some(f) => Outcome::ok(json!({"file": payloads::file_json(&f.info), "comments": []})),
        None => Outcome::err("file_not_found"),
    }
}

pub(crate) fn get_upload_url(cx: &mut Cx<'_>) -> Outcome {
    let Some(name) = cx.p.str("filename") else {
        return Outcome::err("invalid_arguments");
    };
    if cx
        .p
        .str("length")
        .and_then(|l| l.parse::<u64>().ok())
        .is_none()
    {
        return Outcome::err("invalid_arguments");
    }
    let base = cx.inner.base_url();
    let info = new_file(cx.st, &base, BOT, &name, None, true);
    Outcome::ok(json!({
        "upload_url": format!("{base}/upload/{}", info.id),
        "file_id": info.id,
    }))
}

pub(crate) fn complete_upload(cx: &mut Cx<'_>) -> Outcome {
    let Some(Value::Array(list)) = cx.p.json("files") else {
        return Outcome::err("invalid_arguments");
    };
    let mut ids = Vec::new();
    for f in &list {
        let Some(id) = f.get("id").and_then(Value::as_str) else {
            return Outcome::err("invalid_arguments");
        };
        match cx.st.file(id) {
            Some(sf) if sf.uploaded => {}
            _ => return Outcome::err("file_not_found"),
        }
        let title = f.get("title").and_then(Value::as_str).map(str::to_string);
        ids.push((id.to_string(), title));
    }
    let channel =
        cx.p.str("channel_id")
            .or_else(|| cx.p.list("channels").into_iter().next());
    if let Some(c) = &channel {
        match cx.st.channels.get(c) {
            None => return Outcome::err("channel_not_found"),
            Some(ch) if !ch.has(BOT) => return Outcome::err("not_in_channel"),
            Some(_) => {}
        }
    }
    let mut infos = Vec::new();
    for (id, title) in ids {
        if let Some(sf) = cx.st.file_mut(&id) {
            if let Some(t) = title {
                sf.info.title = t;
            }
            if let Some(c) = &channel
                && !sf.info.channels.contains(c)
            {
                sf.info.channels.push(c.clone());
            }
            infos.push(sf.info.clone());
        }
    }
    if let Some(c) = channel {
        let thread_ts =
            cx.p.str("thread_ts")
                .map(|t| cx.st.thread_root(&c, &t).unwrap_or(t));
        let ts = cx.st.next_ts();
        let msg = Message {
            ts,
            thread_ts,
            user: Some(BOT.to_string()),
            bot_id: Some(SlackEmulator::BOT_ID.to_string()),
            username: cx.p.str("username"),
            icon_url: cx.p.str("icon_url"),
            text: cx.p.str("initial_comment").unwrap_or_default(),
            blocks: cx.p.json("blocks").unwrap_or(Value::Null),
            metadata: None,
            reactions: Vec::new(),
            edited: 0,
            files: infos.clone(),
        };
        if let Some(ch) = cx.st.channels.get(&c) {
            cx.pushes
                .push(Push::event(events::bot_message_event(&msg, ch, None)));
        }
        cx.st.store(&c, msg);
    }
    let files: Vec<Value> = infos.iter().map(payloads::file_json).collect();
    Outcome::ok(json!({"files": files}))
}

/// `POST /upload/{file_id}`: the bytes of an external upload (raw or multipart).
pub(crate) async fn upload(
    State(inner): State<Arc<Inner>>,
    Path(file_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bytes = multipart_file(&ctype, &body).unwrap_or_else(|| body.to_vec());
    let mut st = inner.state();
    let params = json!({"file_id": file_id, "length": bytes.len(), "content_type": ctype});
    let Some(sf) = st.file_mut(&file_id).filter(|f| f.via_api && !f.uploaded) else {
        st.record(
            "upload_url",
            params,
            404,
            Some("file_not_found".to_string()),
        );
        return (StatusCode::NOT_FOUND, "file_not_found").into_response();
    };
    sf.info.size = bytes.len();
    sf.info.bytes = bytes;
    sf.uploaded = true;
    let answer = format!("OK - {}", sf.info.size);
    st.record("upload_url", params, 200, None);
    let mut resp = answer.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

/// The first part's body of a `multipart/form-data` request.
fn multipart_file(ctype: &str, body: &[u8]) -> Option<Vec<u8>> {
    let boundary = ctype
        .strip_prefix("multipart/form-data")?
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))?
        .trim_matches('"');
    let delim = format!("--{boundary}");
    let start = find(body, delim.as_bytes())? + delim.len();
    let headers_end = find(&body[start..], b"\r\n\r\n")? + start + 4;
    let end_delim = format!("\r\n--{boundary}");
    let end = find(&body[headers_end..], end_delim.as_bytes())? + headers_end;
    Some(body[headers_end..end].to_vec())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `GET /files/{id}/{name}`: the bytes, with the bot token only.
pub(crate) async fn download(
    State(inner): State<Arc<Inner>>,
    Path((file_id, _name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let token = form::token(&headers, &Params::default());
    let mut st = inner.state();
    let params = json!({"file": file_id});
    if token.as_deref() != Some(inner.config.bot_token.as_str()) {
        st.record(
            "file_download",
            params,
            403,
            Some("invalid_auth".to_string()),
        );
        return (StatusCode::FORBIDDEN, "invalid_auth").into_response();
    }
    let Some(sf) = st.file(&file_id).filter(|f| f.uploaded) else {
        st.record(
            "file_download",
            params,
            404,
            Some("file_not_found".to_string()),
        );
        return (StatusCode::NOT_FOUND, "file_not_found").into_response();
    };
    let (bytes, mime) = (sf.info.bytes.clone(), sf.info.mimetype.clone());
    st.record("file_download", params, 200, None);
    let mut resp = bytes.into_response();
    if let Ok(v) = HeaderValue::from_str(&mime) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp
}
