//! Owns the loading pipeline: TOML text + `HANDOVER__` overrides → merged tree (config-rs)
//! → structural check → raw (serde) → validated `Config`, with every problem collected.

use std::path::Path;

use config::{File, FileFormat, Value};

use crate::check;
use crate::env;
use crate::error::ConfigErrors;
use crate::raw::RawConfig;
use crate::root::Config;
use crate::schema;
use crate::validate::Errors;

/// Loads the TOML file at `path` (none: defaults and environment only) with the
/// `HANDOVER__…` overrides from `env`; variables without that prefix are ignored.
pub fn load(
    path: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Config, ConfigErrors> {
    let text = match path {
        Some(path) => Some(std::fs::read_to_string(path).map_err(|e| {
            ConfigErrors::single(
                path.display().to_string(),
                format!("cannot read the config file: {e}"),
            )
        })?),
        None => None,
    };
    let label = path.map_or_else(|| "<config>".to_owned(), |p| p.display().to_string());
    build(text.as_deref(), &label, env)
}

/// Like [`load`], reading the overrides from the process environment.
pub fn load_from_process_env(path: Option<&Path>) -> Result<Config, ConfigErrors> {
    let mut vars = Vec::new();
    let mut bad = Vec::new();
    for (name, value) in std::env::vars_os() {
        let Some(name) = name.to_str().map(str::to_owned) else {
            continue;
        };
        if !name.starts_with(env::PREFIX) {
            continue;
        }
        match value.into_string() {
            Ok(value) => vars.push((name, value)),
            Err(_) => bad.push(name),
        }
    }
    if let Some(name) = bad.first() {
        return Err(ConfigErrors::single(
            name.clone(),
            "the value of this environment variable is not valid UTF-8",
        ));
    }
    load(path, vars)
}

/// Loads a configuration from TOML text plus `HANDOVER__…` overrides from `env`.
pub fn load_str(
    toml: &str,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Config, ConfigErrors> {
    build(Some(toml), "<config>", env)
}

fn build(
    text: Option<&str>,
    label: &str,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Config, ConfigErrors> {
    let mut errors = Errors::default();
    let overrides = env::overrides(env, &mut errors);

    let mut builder = config::Config::builder();
    if let Some(text) = text {
        builder = builder.add_source(File::from_str(text, FileFormat::Toml));
    }
    for o in overrides {
        builder = builder.set_override(&o.path, o.value).map_err(|e| {
            ConfigErrors::single(
                o.path.clone(),
                format!("internal error: bad override path: {e}"),
            )
        })?;
    }
    let mut tree = match builder.build() {
        Ok(merged) => merged.cache,
        Err(e) => {
            errors.broken(label, file_error(&e));
            return Err(errors
                .into_errors()
                .unwrap_or_else(|| ConfigErrors::single(label, "cannot be loaded")));
        }
    };

    check::check(&mut tree, &mut errors);
    let raw = match raw_from_tree(tree) {
        Ok(raw) => raw,
        Err((key, message)) => {
            errors.broken(key, message);
            return Err(errors
                .into_errors()
                .unwrap_or_else(|| ConfigErrors::single(label, "cannot be loaded")));
        }
    };
    let config = Config::from_raw(&raw, &mut errors);
    match errors.into_errors() {
        None => Ok(config),
        Some(errors) => Err(errors),
    }
}

/// Deserializes the (checked) tree; a serde error, which the structural check should
/// have prevented, is still turned into a keyed message.
pub(crate) fn raw_from_tree(tree: Value) -> Result<RawConfig, (String, String)> {
    tree.try_deserialize::<RawConfig>().map_err(|e| keyed(&e))
}

/// Turns a config-rs error into `(key, message)` without echoing any value.
fn keyed(error: &config::ConfigError) -> (String, String) {
    match error {
        config::ConfigError::Type { key, expected, .. } => (
            key.clone().unwrap_or_else(|| "<config>".to_owned()),
            format!("expected {expected}"),
        ),
        config::ConfigError::At { error, key, .. } => {
            let key = key.clone().unwrap_or_default();
            let inner = error.to_string();
            match unknown_field(&inner) {
                Some(field) => unknown_key(&key, field),
                None => (or_root(key), strip_values(&inner)),
            }
        }
        other => {
            let text = other.to_string();
            match unknown_field(&text) {
                Some(field) => unknown_key("", field),
                None => ("<config>".to_owned(), strip_values(&text)),
            }
        }
    }
}

fn or_root(key: String) -> String {
    if key.is_empty() {
        "<config>".to_owned()
    } else {
        key
    }
}

/// The field name in serde's "unknown field `x`, expected …".
fn unknown_field(message: &str) -> Option<&str> {
    message.strip_prefix("unknown field `")?.split('`').next()
}

fn unknown_key(parent: &str, field: &str) -> (String, String) {
    // `parent` is "server" or "platforms[1]": look the section up without the index.
    let section = parent.split('[').next().unwrap_or_default();
    let allowed = if parent.is_empty() {
        schema::root_names()
    } else {
        schema::section(section)
            .map(schema::Section::field_names)
            .unwrap_or_default()
    };
    let key = if parent.is_empty() {
        field.to_owned()
    } else {
        format!("{parent}.{field}")
    };
    (key, schema::unknown_key_message(field, &allowed))
}

/// Drops quoted values from a serde message ("invalid value: string \"…\"").
fn strip_values(message: &str) -> String {
    message.split('"').step_by(2).collect::<Vec<_>>().join("…")
}

/// The TOML error without the echoed source line (which could hold a secret).
fn file_error(error: &config::ConfigError) -> String {
    let text = match error {
        config::ConfigError::FileParse { cause, .. } => cause.to_string(),
        other => other.to_string(),
    };
    let kept: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !is_snippet(line))
        .collect();
    let joined = kept.join(": ");
    let joined = joined
        .strip_prefix("TOML parse error at ")
        .unwrap_or(&joined);
    format!("not valid TOML: {joined}")
}

/// A line of the source excerpt toml prints: "3 | token = …" or "| ^".
fn is_snippet(line: &str) -> bool {
    let rest = line
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .trim_start();
    rest.starts_with('|')
}
