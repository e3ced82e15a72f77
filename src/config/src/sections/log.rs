//! Owns `[log]`: log format and level.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::raw::RawLog;
use crate::validate::{Errors, quote};

/// `[log]`.
#[derive(Debug, Clone)]
pub struct LogConfig {
    /// Default `pretty`.
    pub format: LogFormat,
    /// One of trace, debug, info (default), warn, error; stored lowercase.
    pub level: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

impl LogFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Pretty => "pretty",
            LogFormat::Json => "json",
        }
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const LEVELS: [&str; 5] = ["trace", "debug", "info", "warn", "error"];

pub(crate) fn validate(raw: &RawLog, e: &mut Errors) -> LogConfig {
    let format = match raw.format.as_str() {
        "pretty" => LogFormat::Pretty,
        "json" => LogFormat::Json,
        other => {
            e.push(
                "log.format",
                format!("expected \"pretty\" or \"json\", got {}", quote(other)),
            );
            LogFormat::Pretty
        }
    };
    let level = raw.level.trim().to_ascii_lowercase();
    let level = if LEVELS.contains(&level.as_str()) {
        level
    } else {
        e.push(
            "log.level",
            format!(
                "expected one of {}, got {}",
                LEVELS.join(", "),
                quote(&raw.level)
            ),
        );
        "info".to_owned()
    };
    LogConfig { format, level }
}
