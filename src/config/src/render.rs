//! Owns the rendering of the effective config as TOML with every secret shown as
//! "<redacted>" (for `check-config --print`).

use std::fmt::Write as _;
use std::time::Duration;

use crate::root::Config;
use crate::secret::Secret;
use crate::validate::fmt_duration;

impl Config {
    /// The effective configuration (file, environment and defaults merged) as TOML.
    /// Secrets that are set print as "<redacted>", unset ones as "".
    pub fn redacted_toml(&self) -> String {
        let mut w = Writer::default();
        w.str("data_dir", &self.data_dir.to_string_lossy());

        let s = &self.server;
        w.header("[server]");
        w.str("listen", &s.listen.to_string());
        w.raw("max_body_bytes", s.max_body_bytes);
        w.raw("rate_limit_per_second", s.rate_limit_per_second);
        w.raw("rate_limit_burst", s.rate_limit_burst);
        w.duration("shutdown_grace", s.shutdown_grace);
        w.duration("dedupe_ttl", s.dedupe_ttl);
        w.str("public_url", s.public_url.as_deref().unwrap_or(""));

        for p in &self.platforms {
            w.header("[[platforms]]");
            w.str("id", &p.id);
            w.secret("token", &p.token);
            w.str("webhook_url", &p.webhook_url);
            w.secret("webhook_secret", &p.webhook_secret);
            w.str("bridge", p.bridge.as_str());
            w.duration("give_up_after", p.give_up_after);
            w.duration("retry_initial", p.retry_initial);
            w.duration("retry_max", p.retry_max);
            w.duration("timeout", p.timeout);
        }

        let h = &self.handover;
        w.header("[handover]");
        w.raw("enabled", h.enabled);
        w.str("mute_ai", h.mute_ai.as_str());
        w.raw("return_to_ai", h.return_to_ai);
        w.raw("take_over_on_reply", h.take_over_on_reply);
        w.duration("remind_after", h.remind_after);
        w.duration("remind_every", h.remind_every);
        w.str("note_prefix", &h.note_prefix);

        let sl = &self.slack;
        w.header("[slack]");
        w.raw("enabled", sl.enabled);
        w.secret("bot_token", &sl.bot_token);
        w.secret("app_token", &sl.app_token);
        w.secret("signing_secret", &sl.signing_secret);
        w.list("channels", &sl.channels);
        w.list("members", &sl.members);
        w.list("admins", &sl.admins);
        w.raw("manage_membership", sl.manage_membership);
        w.str("digest_channel", &sl.digest_channel);
        w.str("api_url", &sl.api_url);

        let d = &self.discord;
        w.header("[discord]");
        w.raw("enabled", d.enabled);
        w.secret("bot_token", &d.bot_token);
        w.str("application_id", &d.application_id);
        w.str("guild_id", &d.guild_id);
        w.str("mode", d.mode.as_str());
        w.str("category_id", &d.category_id);
        w.str("archive_category_id", &d.archive_category_id);
        w.str("parent_channel_id", &d.parent_channel_id);
        w.list("members", &d.members);
        w.list("admins", &d.admins);
        w.str("digest_channel_id", &d.digest_channel_id);
        w.str("api_url", &d.api_url);

        w.header("[digest]");
        w.raw("enabled", self.digest.enabled);
        w.str("schedule", &self.digest.schedule.to_string());
        w.str("timezone", &self.digest.timezone);

        w.header("[log]");
        w.str("format", self.log.format.as_str());
        w.str("level", &self.log.level);
        w.out
    }
}

#[derive(Default)]
struct Writer {
    out: String,
}

impl Writer {
    fn header(&mut self, header: &str) {
        let _ = write!(self.out, "\n{header}\n");
    }

    fn raw(&mut self, key: &str, value: impl std::fmt::Display) {
        let _ = writeln!(self.out, "{key} = {value}");
    }

    fn str(&mut self, key: &str, value: &str) {
        self.raw(key, toml_string(value));
    }

    fn duration(&mut self, key: &str, value: Duration) {
        self.str(key, &fmt_duration(value));
    }

    fn secret(&mut self, key: &str, value: &Secret) {
        let shown = if value.is_empty() {
            ""
        } else {
            Secret::REDACTED
        };
        self.str(key, shown);
    }

    fn list(&mut self, key: &str, items: &[String]) {
        let items: Vec<String> = items.iter().map(|i| toml_string(i)).collect();
        self.raw(key, format!("[{}]", items.join(", ")));
    }
}

/// A TOML basic string.
fn toml_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
