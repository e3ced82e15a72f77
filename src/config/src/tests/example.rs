//! Tests that config/handover-bridge.example.toml is valid and documents every key, and
//! that `redacted_toml` renders every key and reads back.

use std::collections::BTreeSet;

use config::{Value, ValueKind};

use super::{ok, vars};
use crate::{load, load_str, schema};

const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../config/handover-bridge.example.toml"
);

pub(super) fn example_text() -> String {
    std::fs::read_to_string(EXAMPLE).unwrap()
}

/// Dotted keys of a TOML text; `[[platforms]]` keys as `platforms[].key`.
fn keys_of(toml: &str) -> BTreeSet<String> {
    let tree = config::Config::builder()
        .add_source(config::File::from_str(toml, config::FileFormat::Toml))
        .build()
        .unwrap()
        .cache;
    let mut out = BTreeSet::new();
    walk("", &tree, &mut out);
    out
}

fn walk(prefix: &str, value: &Value, out: &mut BTreeSet<String>) {
    match &value.kind {
        ValueKind::Table(map) => {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                walk(&path, v, out);
            }
        }
        ValueKind::Array(items)
            if items.iter().all(|i| matches!(i.kind, ValueKind::Table(_))) && !items.is_empty() =>
        {
            for item in items {
                walk(&format!("{prefix}[]"), item, out);
            }
        }
        _ => {
            out.insert(prefix.to_owned());
        }
    }
}

fn schema_keys() -> BTreeSet<String> {
    schema::all_keys().into_iter().collect()
}

#[test]
fn the_example_is_valid() {
    let c = load(Some(EXAMPLE.as_ref()), vars(&[])).unwrap();
    assert_eq!(c.platforms[0].id, "web");
    assert!(!c.slack.enabled && !c.discord.enabled);
    // Its only remark: the platform's bridge is disabled until it is configured.
    assert_eq!(c.warnings().len(), 1, "{:?}", c.warnings());
}

#[test]
fn the_example_has_every_key_and_no_other() {
    assert_eq!(keys_of(&example_text()), schema_keys());
}

#[test]
fn the_example_names_every_env_override() {
    let text = example_text();
    for key in schema::all_keys() {
        let (section, index, name) = match key.split_once('.') {
            None => (None, None, key.as_str()),
            Some((s, n)) => match s.strip_suffix("[]") {
                Some(s) => (Some(s), Some(0), n),
                None => (Some(s), None, n),
            },
        };
        let env = schema::env_name(section, index, name);
        assert!(
            text.contains(&format!("Env: {env}")),
            "the example does not mention {env}"
        );
    }
}

#[test]
fn every_schema_key_is_a_field_of_the_raw_config() {
    // deny_unknown_fields on the raw structs refuses any key they lack: the example
    // (which has every schema key) must deserialize without the structural check.
    let tree = config::Config::builder()
        .add_source(config::File::from_str(
            &example_text(),
            config::FileFormat::Toml,
        ))
        .build()
        .unwrap()
        .cache;
    crate::load::raw_from_tree(tree).unwrap();
}

#[test]
fn redacted_toml_renders_every_key_and_reads_back() {
    let c = ok(&example_text(), &[]);
    let text = c.redacted_toml();
    assert_eq!(keys_of(&text), schema_keys(), "{text}");
    // With the platform secrets supplied again, the rendering loads to the same config.
    let again = load_str(
        &text,
        vars(&[
            (
                "HANDOVER__PLATFORMS__0__TOKEN",
                "change-me-to-a-long-random-token",
            ),
            (
                "HANDOVER__PLATFORMS__0__WEBHOOK_SECRET",
                "change-me-to-another-long-secret",
            ),
        ]),
    )
    .unwrap();
    assert_eq!(again.redacted_toml(), text);
    assert_eq!(format!("{again:?}"), format!("{c:?}"));
}
