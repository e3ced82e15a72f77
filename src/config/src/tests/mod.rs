//! Owns the unit tests of config loading, one sibling module per topic, and their helpers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod defaults;
mod env;
mod example;
mod reference;
mod rules_bridges;
mod rules_core;
mod secrets;
mod structure;

use crate::{Config, ConfigErrors, load_str};

/// The smallest valid config: one platform, everything else defaulted.
pub(crate) const MINIMAL: &str = r#"
[[platforms]]
id = "web"
token = "0123456789abcdef-token"
webhook_url = "https://ai.example.com/events"
webhook_secret = "0123456789abcdef-secret"
bridge = "slack"
"#;

pub(crate) fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

pub(crate) fn ok(toml: &str, env: &[(&str, &str)]) -> Config {
    match load_str(toml, vars(env)) {
        Ok(config) => config,
        Err(errors) => panic!("expected a valid config, got:\n{errors}"),
    }
}

pub(crate) fn errs(toml: &str, env: &[(&str, &str)]) -> ConfigErrors {
    match load_str(toml, vars(env)) {
        Ok(config) => panic!("expected errors, got a valid config: {config:?}"),
        Err(errors) => errors,
    }
}

/// The message of the error about `key`; fails the test when there is none.
pub(crate) fn message(errors: &ConfigErrors, key: &str) -> String {
    match errors.get(key) {
        Some(e) => e.message.clone(),
        None => panic!("no error for key {key:?} in:\n{errors}"),
    }
}

/// MINIMAL plus `extra` TOML (sections after the platform entry).
pub(crate) fn with(extra: &str) -> String {
    format!("{MINIMAL}\n{extra}")
}

/// Asserts that loading `MINIMAL + extra` fails with an error about `key` whose
/// message contains `needle`.
#[track_caller]
pub(crate) fn rejects(extra: &str, key: &str, needle: &str) {
    let errors = errs(&with(extra), &[]);
    let msg = message(&errors, key);
    assert!(
        msg.contains(needle),
        "{key}: {msg:?} does not contain {needle:?}"
    );
}
