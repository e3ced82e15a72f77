//! File links the bridges hand the AI platform for files agents share: an unguessable
//! token (128 random bits) in `{public_url}/{bridge}/files/{token}/{name}`, stored with
//! where the file really is and when the link stops working. The bridges fetch the
//! file (each with its platform's credentials) and answer it through [`respond`].

use std::time::Duration;

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::engine::Engine;
use crate::store::{FileLink, StoreError, Ticket};

/// How long a file link works.
pub const LINK_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// The link's path segment for a file name (letters, digits, `.-_` kept).
pub fn url_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    if cleaned.is_empty() {
        "file".to_owned()
    } else {
        cleaned
    }
}

/// Stores a link to `source` for [`LINK_TTL`] and returns its public URL and the
/// store ticket to wait on before handing the URL out.
pub fn make(
    engine: &Engine,
    public_url: &str,
    bridge: &str,
    source: &str,
    name: &str,
    content_type: Option<String>,
) -> Result<(String, Ticket), StoreError> {
    let token = format!("{:032x}", rand::random::<u128>());
    let link = FileLink {
        source: source.to_owned(),
        name: name.to_owned(),
        content_type,
        expires_at: engine.now().plus(LINK_TTL),
    };
    let ticket = engine.store().put_link(&token, &link)?;
    let url = format!("{public_url}/{bridge}/files/{token}/{}", url_name(name));
    Ok((url, ticket))
}

fn status(code: StatusCode, text: &'static str) -> Response {
    (code, text).into_response()
}

/// The live link of `token`, or the answer to give when there is none.
pub fn find(engine: &Engine, token: &str) -> Result<FileLink, Box<Response>> {
    if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Box::new(status(StatusCode::NOT_FOUND, "no such file")));
    }
    match engine.store().link(token, engine.now()) {
        Ok(Some(l)) => Ok(l),
        Ok(None) => Err(Box::new(status(
            StatusCode::NOT_FOUND,
            "no such file, or the link has expired",
        ))),
        Err(e) => {
            tracing::error!(error = %e, "Cannot read a file link.");
            Err(Box::new(status(
                StatusCode::SERVICE_UNAVAILABLE,
                "try again later",
            )))
        }
    }
}

/// The answer when the platform would not give the file.
pub fn unavailable() -> Response {
    status(StatusCode::BAD_GATEWAY, "the file could not be fetched")
}

/// The file's bytes as a download with the link's name and type.
pub fn respond(link: FileLink, body: Body) -> Response {
    let content_type = link
        .content_type
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let disposition = format!("attachment; filename=\"{}\"", url_name(&link.name));
    let mut out = Response::new(body);
    if let Ok(v) = content_type.parse() {
        out.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = disposition.parse() {
        out.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_names_are_safe_path_segments() {
        assert_eq!(
            url_name("report 2026 (final).pdf"),
            "report_2026__final_.pdf"
        );
        assert_eq!(url_name("../../etc/passwd"), ".._.._etc_passwd");
        assert_eq!(url_name(""), "file");
    }
}
