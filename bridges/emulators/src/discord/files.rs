//! Files users attach to messages: the bytes are served from CDN-like URLs that stop
//! working after [`DiscordEmulatorConfig::attachment_url_ttl`] (Discord's signed
//! `ex`/`is`/`hm` parameters; here `ex` is the expiry in hex Unix milliseconds), and
//! `POST /attachments/refresh-urls` hands out fresh ones, as on Discord.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::rest::Outcome;
use super::state::State as Guild;
use super::{DiscordEmulator, EmulatorError, Inner};

/// A file part of a multipart request: file name, content type, bytes.
pub(crate) type Upload = (String, String, Vec<u8>);

/// The boundary of a `multipart/form-data` content type.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case("boundary")
            .then(|| v.trim_matches('"').to_owned())
    })
}

/// `payload_json` and the `files[n]` parts of a multipart body (what Discord reads).
pub(crate) fn multipart(boundary: &str, body: &[u8]) -> (Value, Vec<Upload>) {
    let delimiter = format!("--{boundary}");
    let text = body;
    let mut payload = Value::Null;
    let mut files = Vec::new();
    let mut rest = text;
    while let Some(start) = find(rest, delimiter.as_bytes()) {
        rest = &rest[start + delimiter.len()..];
        let Some(end) = find(rest, delimiter.as_bytes()) else {
            break;
        };
        let part = rest[..end].strip_prefix(b"\r\n").unwrap_or(&rest[..end]);
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        let Some(split) = find(part, b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..split]).to_string();
        let data = &part[split + 4..];
        let param = |name: &str| {
            let key = format!("{name}=\"");
            let at = head.find(&key)? + key.len();
            head[at..].split('"').next().map(str::to_owned)
        };
        let kind = head
            .lines()
            .find_map(|l| {
                l.strip_prefix("Content-Type:")
                    .or_else(|| l.strip_prefix("content-type:"))
            })
            .map_or("application/octet-stream", str::trim)
            .to_owned();
        match (param("name").as_deref(), param("filename")) {
            (Some("payload_json"), _) => {
                payload = serde_json::from_slice(data).unwrap_or(Value::Null);
            }
            (Some(n), Some(file)) if n.starts_with("files[") => {
                files.push((file, kind, data.to_vec()));
            }
            _ => {}
        }
    }
    (payload, files)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Stores uploaded files and returns their attachment objects.
pub(crate) fn store_uploads(inner: &Inner, uploads: Vec<Upload>) -> Value {
    let mut st = inner.state();
    let out: Vec<Value> = uploads
        .into_iter()
        .map(|(name, content_type, bytes)| {
            let id = st.next_id();
            let url = signed_url(inner, "uploads", &id, &name);
            let a = json!({
                "id": id,
                "filename": name,
                "size": bytes.len(),
                "url": url,
                "proxy_url": url,
                "content_type": content_type,
            });
            st.files.insert(
                id,
                StoredFile {
                    bytes,
                    content_type,
                },
            );
            a
        })
        .collect();
    Value::Array(out)
}

/// A stored attachment's bytes.
#[derive(Debug, Clone)]
pub(crate) struct StoredFile {
    pub(crate) bytes: Vec<u8>,
    pub(crate) content_type: String,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A keyed checksum standing in for Discord's `hm` signature.
fn sign(id: &str, ex: u64) -> String {
    let h = format!("{id}:{ex}:emulator-cdn")
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
    format!("{h:016x}")
}

/// A signed URL of attachment `id`, valid for the configured time from now.
fn signed_url(inner: &Inner, channel: &str, id: &str, name: &str) -> String {
    let ex = now_ms() + inner.config.attachment_url_ttl.as_millis() as u64;
    format!(
        "http://{}/attachments/{channel}/{id}/{name}?ex={ex:x}&is={:x}&hm={}",
        inner.addr,
        now_ms(),
        sign(id, ex)
    )
}

impl DiscordEmulator {
    /// `user` posts `content` with one file in `channel` (MESSAGE_CREATE with the
    /// attachment). Returns the message id.
    pub async fn user_upload(
        &self,
        user: &str,
        channel: &str,
        content: &str,
        file: (&str, &str, Vec<u8>),
    ) -> Result<String, EmulatorError> {
        let (name, content_type, bytes) = file;
        let attachment = {
            let mut st = self.inner.state();
            let id = st.next_id();
            let url = signed_url(&self.inner, channel, &id, name);
            let a = json!({
                "id": id,
                "filename": name,
                "size": bytes.len(),
                "url": url,
                "proxy_url": url,
                "content_type": content_type,
            });
            st.files.insert(
                id,
                StoredFile {
                    bytes,
                    content_type: content_type.to_owned(),
                },
            );
            a
        };
        self.wait_session().await?;
        self.user_message_with(user, channel, content, vec![attachment])
            .await
    }

    /// The bytes of a stored attachment.
    pub fn file(&self, attachment_id: &str) -> Option<Vec<u8>> {
        self.inner
            .state()
            .files
            .get(attachment_id)
            .map(|f| f.bytes.clone())
    }

    /// How many times an attachment was downloaded (successfully).
    pub fn downloads(&self) -> u64 {
        self.inner.state().downloads
    }
}

#[derive(Deserialize)]
pub(crate) struct Signed {
    ex: Option<String>,
    hm: Option<String>,
}

/// `GET /attachments/{channel}/{id}/{name}`: the bytes while the URL is valid.
pub(crate) async fn download(
    State(inner): State<Arc<Inner>>,
    Path((_channel, id, _name)): Path<(String, String, String)>,
    Query(q): Query<Signed>,
) -> Response {
    let ex =
        q.ex.as_deref()
            .and_then(|e| u64::from_str_radix(e, 16).ok());
    let valid = ex.is_some_and(|ex| ex > now_ms() && q.hm.as_deref() == Some(&sign(&id, ex)));
    let mut st = inner.state();
    match st.files.get(&id).cloned() {
        Some(f) if valid => {
            st.downloads += 1;
            ([(header::CONTENT_TYPE, f.content_type)], f.bytes).into_response()
        }
        _ => (
            StatusCode::NOT_FOUND,
            "This content is no longer available.",
        )
            .into_response(),
    }
}

/// `POST /attachments/refresh-urls` with `{"attachment_urls": [...]}`.
pub(crate) fn refresh(inner: &Inner, st: &Guild, body: &Value) -> Outcome {
    let Some(urls) = body["attachment_urls"].as_array() else {
        return Outcome::invalid(
            "attachment_urls",
            "BASE_TYPE_REQUIRED",
            "This field is required",
        );
    };
    let refreshed: Vec<Value> = urls
        .iter()
        .filter_map(Value::as_str)
        .filter_map(|u| {
            let path = u.split('?').next()?;
            let parts: Vec<&str> = path.rsplitn(4, '/').collect();
            let [name, id, channel, ..] = parts.as_slice() else {
                return None;
            };
            st.files
                .contains_key(*id)
                .then(|| json!({"original": u, "refreshed": signed_url(inner, channel, id, name)}))
        })
        .collect();
    Outcome::ok(json!({ "refreshed_urls": refreshed }))
}
