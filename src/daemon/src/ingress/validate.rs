//! Field rules of the API bodies; each failure names its field (422 `invalid_field`).

use std::collections::BTreeMap;

use handover_core::{Attachment, EndUser, Timestamp};

use super::error::ApiError;
use crate::clock::parse_rfc3339;

pub const MAX_TEXT: usize = 40_000;

/// A required identifier: 1..=max characters, no control characters.
pub fn id(field: &str, v: &str, max: usize) -> Result<(), ApiError> {
    let n = v.chars().count();
    if n == 0 || n > max || v.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            field,
            &format!("1 to {max} characters without control characters"),
        ));
    }
    Ok(())
}

/// Optional free text of at most `max` characters.
pub fn text(field: &str, v: Option<&str>, max: usize) -> Result<(), ApiError> {
    match v {
        Some(s) if s.chars().count() > max => Err(ApiError::invalid(
            field,
            &format!("at most {max} characters"),
        )),
        _ => Ok(()),
    }
}

pub fn url(field: &str, v: &str) -> Result<(), ApiError> {
    let ok = (v.starts_with("https://") || v.starts_with("http://"))
        && v.len() <= 2048
        && !v.chars().any(|c| c.is_control() || c.is_whitespace());
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            field,
            "an http:// or https:// URL of at most 2048 characters",
        ))
    }
}

pub fn user(u: &EndUser) -> Result<(), ApiError> {
    id("user.id", &u.id, 256)?;
    id("user.name", &u.name, 256)?;
    text("user.email", u.email.as_deref(), 320)?;
    if let Some(a) = &u.avatar_url {
        url("user.avatar_url", a)?;
    }
    Ok(())
}

pub fn metadata(m: &BTreeMap<String, String>) -> Result<(), ApiError> {
    if m.len() > 50 {
        return Err(ApiError::invalid("metadata", "at most 50 entries"));
    }
    for (k, v) in m {
        id("metadata key", k, 64)?;
        text(&format!("metadata.{k}"), Some(v), 1000)?;
    }
    Ok(())
}

pub fn attachments(field: &str, list: &[Attachment]) -> Result<(), ApiError> {
    if list.len() > 10 {
        return Err(ApiError::invalid(field, "at most 10 attachments"));
    }
    for (i, a) in list.iter().enumerate() {
        url(&format!("{field}[{i}].url"), &a.url)?;
        id(&format!("{field}[{i}].name"), &a.name, 256)?;
    }
    Ok(())
}

/// An optional RFC 3339 instant; `now` when absent.
pub fn at(field: &str, v: Option<&str>, now: Timestamp) -> Result<Timestamp, ApiError> {
    match v {
        None => Ok(now),
        Some(s) => parse_rfc3339(s).ok_or_else(|| {
            ApiError::invalid(field, "an RFC 3339 timestamp such as 2026-01-31T12:00:00Z")
        }),
    }
}
