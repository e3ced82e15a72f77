//! `application/x-www-form-urlencoded` encoding and decoding, and Web API parameters.

use axum::http::HeaderMap;
use serde_json::{Map, Value};

/// Decodes one form component (`+` is a space, `%XX` a byte).
pub(crate) fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex_val(bytes[i + 1]), hex_val(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Parses `a=1&b=2` into pairs.
pub(crate) fn parse(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

/// Encodes one form component.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Encodes pairs as a form body.
pub(crate) fn encode_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Web API parameters: query string, form body and JSON body merged.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params(pub(crate) Map<String, Value>);

impl Params {
    /// Merges the query string and the body (by content type, else by sniffing).
    pub(crate) fn from_request(
        headers: &HeaderMap,
        query: Option<&str>,
        body: &[u8],
    ) -> Result<Self, &'static str> {
        let mut map = Map::new();
        for (k, v) in parse(query.unwrap_or("")) {
            map.insert(k, Value::String(v));
        }
        let ctype = headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let body_str = String::from_utf8_lossy(body);
        let trimmed = body_str.trim();
        if trimmed.is_empty() {
            return Ok(Self(map));
        }
        let as_json = ctype.starts_with("application/json")
            || (!ctype.starts_with("application/x-www-form-urlencoded")
                && trimmed.starts_with('{'));
        if as_json {
            match serde_json::from_str::<Value>(trimmed) {
                Ok(Value::Object(obj)) => map.extend(obj),
                _ => return Err("invalid_json"),
            }
        } else {
            for (k, v) in parse(trimmed) {
                map.insert(k, Value::String(v));
            }
        }
        Ok(Self(map))
    }

    pub(crate) fn value(&self) -> Value {
        Value::Object(self.0.clone())
    }

    /// A parameter as a non-empty string (numbers and booleans stringified).
    pub(crate) fn str(&self, key: &str) -> Option<String> {
        match self.0.get(key)? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A JSON parameter: given as JSON, or as a JSON string (form encoding).
    pub(crate) fn json(&self, key: &str) -> Option<Value> {
        match self.0.get(key)? {
            Value::Null => None,
            Value::String(s) if s.is_empty() => None,
            Value::String(s) => serde_json::from_str(s)
                .ok()
                .or(Some(Value::String(s.clone()))),
            v => Some(v.clone()),
        }
    }

    pub(crate) fn bool(&self, key: &str) -> Option<bool> {
        match self.0.get(key)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) => Some(s == "true" || s == "1"),
            Value::Number(n) => Some(n.as_i64() != Some(0)),
            _ => None,
        }
    }

    /// A list: a JSON array, or a comma-separated string.
    pub(crate) fn list(&self, key: &str) -> Vec<String> {
        match self.0.get(key) {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            Some(Value::String(s)) => s
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// The token of a request: `Authorization: Bearer …`, else the `token` parameter.
pub(crate) fn token(headers: &HeaderMap, params: &Params) -> Option<String> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .or_else(|| params.str("token"))
}
