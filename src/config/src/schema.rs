//! Owns the catalogue of every config key (section, name, kind): the single list behind
//! unknown-key messages, environment-variable typing and the example-file test.

/// What a key holds, as far as the structural check and the environment parser care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A plain string (ids, URLs, enum names, paths).
    Text,
    /// A string that must never be echoed.
    Secret,
    Bool,
    Integer,
    /// A humantime string such as "5m".
    Duration,
    /// A list of strings; comma-separated in the environment.
    List,
}

impl Kind {
    /// What a value of this kind looks like, for "expected …" messages.
    pub(crate) fn expected(self) -> &'static str {
        match self {
            Kind::Text => "a string",
            Kind::Secret => "a string (secret)",
            Kind::Bool => "true or false",
            Kind::Integer => "a whole number",
            Kind::Duration => "a duration string such as \"5m\" or \"1h30m\"",
            Kind::List => "a list of strings such as [\"a\", \"b\"]",
        }
    }
}

#[derive(Debug)]
pub(crate) struct Field {
    pub name: &'static str,
    pub kind: Kind,
}

/// How a section appears in TOML.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `[server]`
    Table,
    /// `[[platforms]]`
    ArrayOfTables,
}

#[derive(Debug)]
pub(crate) struct Section {
    pub name: &'static str,
    pub shape: Shape,
    pub fields: &'static [Field],
}

impl Section {
    pub(crate) fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub(crate) fn field_names(&self) -> Vec<&'static str> {
        self.fields.iter().map(|f| f.name).collect()
    }
}

const fn f(name: &'static str, kind: Kind) -> Field {
    Field { name, kind }
}

use Kind::{Bool, Duration, Integer, List, Secret, Text};

/// Keys at the top level that are not sections.
pub(crate) const ROOT_FIELDS: &[Field] = &[f("data_dir", Text)];

pub(crate) const SECTIONS: &[Section] = &[
    Section {
        name: "server",
        shape: Shape::Table,
        fields: &[
            f("listen", Text),
            f("max_body_bytes", Integer),
            f("rate_limit_per_second", Integer),
            f("rate_limit_burst", Integer),
            f("shutdown_grace", Duration),
            f("dedupe_ttl", Duration),
            f("public_url", Text),
        ],
    },
    Section {
        name: "platforms",
        shape: Shape::ArrayOfTables,
        fields: &[
            f("id", Text),
            f("token", Secret),
            f("webhook_url", Text),
            f("webhook_secret", Secret),
            f("bridge", Text),
            f("give_up_after", Duration),
            f("retry_initial", Duration),
            f("retry_max", Duration),
            f("timeout", Duration),
        ],
    },
    Section {
        name: "handover",
        shape: Shape::Table,
        fields: &[
            f("enabled", Bool),
            f("mute_ai", Text),
            f("return_to_ai", Bool),
            f("take_over_on_reply", Bool),
            f("remind_after", Duration),
            f("remind_every", Duration),
            f("note_prefix", Text),
        ],
    },
    Section {
        name: "slack",
        shape: Shape::Table,
        fields: &[
            f("enabled", Bool),
            f("bot_token", Secret),
            f("app_token", Secret),
            f("signing_secret", Secret),
            f("channels", List),
            f("members", List),
            f("admins", List),
            f("manage_membership", Bool),
            f("digest_channel", Text),
            f("api_url", Text),
        ],
    },
    Section {
        name: "discord",
        shape: Shape::Table,
        fields: &[
            f("enabled", Bool),
            f("bot_token", Secret),
            f("application_id", Text),
            f("guild_id", Text),
            f("mode", Text),
            f("category_id", Text),
            f("archive_category_id", Text),
            f("parent_channel_id", Text),
            f("members", List),
            f("admins", List),
            f("digest_channel_id", Text),
            f("api_url", Text),
        ],
    },
    Section {
        name: "digest",
        shape: Shape::Table,
        fields: &[f("enabled", Bool), f("schedule", Text), f("timezone", Text)],
    },
    Section {
        name: "log",
        shape: Shape::Table,
        fields: &[f("format", Text), f("level", Text)],
    },
];

pub(crate) fn root_field(name: &str) -> Option<&'static Field> {
    ROOT_FIELDS.iter().find(|f| f.name == name)
}

pub(crate) fn section(name: &str) -> Option<&'static Section> {
    SECTIONS.iter().find(|s| s.name == name)
}

/// Every name allowed at the top level, in file order.
pub(crate) fn root_names() -> Vec<&'static str> {
    ROOT_FIELDS
        .iter()
        .map(|f| f.name)
        .chain(SECTIONS.iter().map(|s| s.name))
        .collect()
}

/// Every key as a dotted path; entries of `[[platforms]]` are written `platforms[].id`.
#[cfg(test)]
pub(crate) fn all_keys() -> Vec<String> {
    let mut keys: Vec<String> = ROOT_FIELDS.iter().map(|f| f.name.to_owned()).collect();
    for section in SECTIONS {
        let sep = match section.shape {
            Shape::Table => ".",
            Shape::ArrayOfTables => "[].",
        };
        for field in section.fields {
            keys.push(format!("{}{sep}{}", section.name, field.name));
        }
    }
    keys
}

/// The environment variable that overrides `section.key` (`index` for `[[platforms]]`).
pub(crate) fn env_name(section: Option<&str>, index: Option<usize>, key: &str) -> String {
    let mut name = String::from("HANDOVER");
    for part in section
        .into_iter()
        .map(str::to_owned)
        .chain(index.map(|i| i.to_string()))
        .chain(std::iter::once(key.to_owned()))
    {
        name.push_str("__");
        name.push_str(&part.to_ascii_uppercase());
    }
    name
}

/// "unknown key; …" message listing what is allowed, with a suggestion for a near miss.
pub(crate) fn unknown_key_message(unknown: &str, allowed: &[&str]) -> String {
    let mut message = String::from("unknown key");
    if let Some(near) = nearest(unknown, allowed) {
        message.push_str(&format!(" (did you mean \"{near}\"?)"));
    }
    message.push_str("; expected one of ");
    message.push_str(&allowed.join(", "));
    message
}

fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (levenshtein(&word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
