//! The configuration reference in deploy.md is the example file's comments as a table:
//! every key, its default, its environment variable and what it does. This test builds
//! the table and checks that deploy.md holds it unchanged; run it with
//! `HANDOVER_BLESS=1` to write the table into deploy.md after changing the example.

use super::example::example_text;

const DEPLOY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy.md");
const START: &str = "<!-- config-reference:start (generated from config/handover-bridge.example.toml by the config tests) -->\n";
const END: &str = "<!-- config-reference:end -->";

/// One documented key of the example.
struct Row {
    key: String,
    default: String,
    env: String,
    what: String,
}

/// Reads the example: each `key = value` line with the comment lines above it.
fn rows(example: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut section = String::new();
    let mut comment: Vec<&str> = Vec::new();
    // The file's own header (up to the first blank line) describes no key.
    let body = example.split_once("\n\n").map_or(example, |(_, b)| b);
    for line in body.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix("[[").and_then(|l| l.strip_suffix("]]")) {
            section = format!("{name}[].");
            comment.clear();
        } else if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = format!("{name}.");
            comment.clear();
        } else if let Some(text) = line.strip_prefix('#') {
            comment.push(text.trim());
        } else if let Some((key, _)) = line.split_once(" = ") {
            rows.push(row(&format!("{section}{key}"), &comment.join(" ")));
            comment.clear();
        } else {
            comment.clear();
        }
    }
    rows
}

fn row(key: &str, comment: &str) -> Row {
    let (text, env) = comment
        .split_once("Env: ")
        .unwrap_or_else(|| panic!("{key}: no Env: in its comment"));
    let (env, env_note) = env.split_once(' ').unwrap_or((env, ""));
    let (what, default) = match text.split_once("Default") {
        Some((what, rest)) => {
            let rest = rest.trim_start_matches(':').trim();
            let value = rest.strip_suffix('.').unwrap_or(rest).trim();
            (what.trim(), format!("`{value}`"))
        }
        None => (text.trim(), String::new()),
    };
    let (what, default) = match what.split_once("Required") {
        Some((before, after)) => {
            let when = after.trim().trim_end_matches('.').trim();
            let required = format!("required{}{when}", if when.is_empty() { "" } else { " " });
            let default = if default.is_empty() {
                required
            } else {
                format!("{default} ({required})")
            };
            (before.trim(), default)
        }
        None => (what, default),
    };
    Row {
        key: key.to_owned(),
        default,
        env: format!(
            "`{env}`{}{env_note}",
            if env_note.is_empty() { "" } else { " " }
        ),
        what: what.replace('|', "\\|"),
    }
}

fn table(example: &str) -> String {
    let mut out = String::from(
        "| key | default | environment variable | what it does |\n|---|---|---|---|\n",
    );
    for r in rows(example) {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            r.key, r.default, r.env, r.what
        ));
    }
    out
}

#[test]
fn deploy_md_has_the_reference_of_every_key() {
    let example = example_text();
    let rows = rows(&example);
    let keys: std::collections::BTreeSet<String> = rows.iter().map(|r| r.key.clone()).collect();
    assert_eq!(
        keys,
        crate::schema::all_keys().into_iter().collect(),
        "every key, once"
    );
    let want = format!("{START}{}{END}", table(&example));
    let deploy = std::fs::read_to_string(DEPLOY).expect("deploy.md");
    if std::env::var_os("HANDOVER_BLESS").is_some() {
        let (before, rest) = deploy.split_once(START).expect("the start marker");
        let (_, after) = rest.split_once(END).expect("the end marker");
        std::fs::write(DEPLOY, format!("{before}{want}{after}")).expect("write deploy.md");
        return;
    }
    assert!(
        deploy.contains(&want),
        "deploy.md's configuration reference is out of date; run this test with HANDOVER_BLESS=1. Expected:\n{want}"
    );
}

#[test]
fn a_row_names_its_default_requirement_and_variable() {
    let r = row(
        "discord.bot_token",
        "Bot token, without the \"Bot \" prefix. Required when enabled. Default \"\". Env: HANDOVER__DISCORD__BOT_TOKEN",
    );
    assert_eq!(r.default, "`\"\"` (required when enabled)");
    assert_eq!(r.env, "`HANDOVER__DISCORD__BOT_TOKEN`");
    assert_eq!(r.what, "Bot token, without the \"Bot \" prefix.");
    let r = row(
        "slack.channels",
        "Private channel ids. Default []. Env: HANDOVER__SLACK__CHANNELS (comma-separated)",
    );
    assert_eq!(r.default, "`[]`");
    assert_eq!(r.env, "`HANDOVER__SLACK__CHANNELS` (comma-separated)");
}
