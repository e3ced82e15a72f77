//! Owns the reading of `HANDOVER__…` environment variables: names become config paths
//! (`platforms[0].token`), values are parsed into the kind each key needs.

use std::collections::BTreeMap;

use config::{Value, ValueKind};

use crate::schema::{self, Field, Kind, Shape};
use crate::validate::{Errors, quote};

pub(crate) const PREFIX: &str = "HANDOVER__";

/// Largest `[[platforms]]` index accepted from the environment.
const MAX_INDEX: usize = 99;

/// A value to set at a config-rs path expression.
#[derive(Debug)]
pub(crate) struct Override {
    pub path: String,
    pub value: Value,
}

/// Turns the `HANDOVER__` variables of `env` into overrides; other variables are
/// ignored. Problems are reported to `errors` keyed by the config path they aim at.
pub(crate) fn overrides(
    env: impl IntoIterator<Item = (String, String)>,
    errors: &mut Errors,
) -> Vec<Override> {
    // Sorted and de-duplicated (last one wins), so errors come out in a stable order.
    let vars: BTreeMap<String, String> = env
        .into_iter()
        .filter(|(name, _)| name.starts_with(PREFIX))
        .collect();
    let mut out = Vec::new();
    for (name, value) in &vars {
        if let Some(o) = one(name, value, errors) {
            out.push(o);
        }
    }
    out
}

fn one(name: &str, value: &str, errors: &mut Errors) -> Option<Override> {
    let rest = name.strip_prefix(PREFIX)?;
    let parts: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
    let from = format!("(from environment variable {name})");
    if parts.iter().any(String::is_empty) {
        errors.push(
            name,
            format!(
                "malformed variable name; expected HANDOVER__KEY or HANDOVER__SECTION__KEY {from}"
            ),
        );
        return None;
    }
    let (path, field) = match parts.as_slice() {
        [key] => root_key(key, &from, errors)?,
        [section, key] => section_key(section, key, &from, errors)?,
        [section, index, key] => indexed_key(section, index, key, &from, errors)?,
        _ => {
            errors.push(
                parts.join("."),
                format!("too many parts; expected HANDOVER__SECTION__KEY or HANDOVER__PLATFORMS__<index>__KEY {from}"),
            );
            return None;
        }
    };
    let kind = parse(field.kind, value, name).map_err(|message| errors.broken(&path, message));
    Some(Override {
        value: Value::new(Some(&format!("environment variable {name}")), kind.ok()?),
        path,
    })
}

fn root_key(key: &str, from: &str, errors: &mut Errors) -> Option<(String, &'static Field)> {
    if let Some(field) = schema::root_field(key) {
        return Some((key.to_owned(), field));
    }
    if let Some(section) = schema::section(key) {
        let example = schema::env_name(
            Some(section.name),
            (section.shape == Shape::ArrayOfTables).then_some(0),
            section.fields.first().map_or("key", |f| f.name),
        );
        errors.broken(
            key,
            format!("is a section and cannot be set as a whole; set its keys one at a time, e.g. {example} {from}"),
        );
        return None;
    }
    errors.broken(
        key,
        format!(
            "{} {from}",
            schema::unknown_key_message(key, &schema::root_names())
        ),
    );
    None
}

fn section_key(
    section: &str,
    key: &str,
    from: &str,
    errors: &mut Errors,
) -> Option<(String, &'static Field)> {
    let Some(sec) = schema::section(section) else {
        let message = if schema::root_field(section).is_some() {
            format!(
                "is not a section; set it as {} {from}",
                schema::env_name(None, None, section)
            )
        } else {
            format!(
                "{} {from}",
                schema::unknown_key_message(section, &schema::root_names())
            )
        };
        errors.broken(section, message);
        return None;
    };
    if sec.shape == Shape::ArrayOfTables {
        errors.broken(
            format!("{section}.{key}"),
            format!(
                "needs the index of the entry, e.g. {} {from}",
                schema::env_name(Some(section), Some(0), key)
            ),
        );
        return None;
    }
    field_of(sec, format!("{section}.{key}"), key, from, errors)
}

fn indexed_key(
    section: &str,
    index: &str,
    key: &str,
    from: &str,
    errors: &mut Errors,
) -> Option<(String, &'static Field)> {
    let sec = schema::section(section).filter(|s| s.shape == Shape::ArrayOfTables);
    let Some(sec) = sec else {
        errors.broken(
            format!("{section}.{index}.{key}"),
            format!("unknown key; only [[platforms]] entries take an index, e.g. HANDOVER__PLATFORMS__0__TOKEN {from}"),
        );
        return None;
    };
    let index = match index.parse::<usize>() {
        Ok(i) if i <= MAX_INDEX => i,
        _ => {
            errors.broken(
                format!("{section}[{index}]"),
                format!(
                    "expected an entry index from 0 to {MAX_INDEX}, got {} {from}",
                    quote(index)
                ),
            );
            return None;
        }
    };
    field_of(sec, format!("{section}[{index}].{key}"), key, from, errors)
}

fn field_of(
    sec: &'static schema::Section,
    path: String,
    key: &str,
    from: &str,
    errors: &mut Errors,
) -> Option<(String, &'static Field)> {
    match sec.field(key) {
        Some(field) => Some((path, field)),
        None => {
            errors.broken(
                path,
                format!(
                    "{} {from}",
                    schema::unknown_key_message(key, &sec.field_names())
                ),
            );
            None
        }
    }
}

/// Parses an environment value into the kind its key needs; the error never echoes a
/// secret.
fn parse(kind: Kind, value: &str, name: &str) -> Result<ValueKind, String> {
    let bad = |what: &str| {
        format!(
            "expected {what}, got {} (from environment variable {name})",
            quote(value)
        )
    };
    match kind {
        Kind::Text | Kind::Duration | Kind::Secret => Ok(ValueKind::String(value.to_owned())),
        Kind::Bool => match value.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(ValueKind::Boolean(true)),
            "false" | "0" | "no" | "off" => Ok(ValueKind::Boolean(false)),
            _ => Err(bad("true or false")),
        },
        Kind::Integer => value
            .trim()
            .replace('_', "")
            .parse::<i64>()
            .map(ValueKind::I64)
            .map_err(|_| bad("a whole number")),
        Kind::List => Ok(ValueKind::Array(
            value
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| Value::new(None, ValueKind::String(item.to_owned())))
                .collect(),
        )),
    }
}
