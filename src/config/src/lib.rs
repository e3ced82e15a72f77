//! Handover Bridge configuration: a TOML file plus `HANDOVER__SECTION__KEY` environment
//! overrides, checked key by key and validated into the typed [`Config`].
//!
//! Every problem is reported at once, each naming its key ([`ConfigErrors`]); secrets
//! live in [`Secret`] and never appear in `Debug`, `Display` or error messages.

mod check;
mod env;
mod error;
mod load;
mod raw;
mod render;
mod root;
mod schema;
mod secret;
mod sections;
mod validate;

#[cfg(test)]
mod tests;

pub use error::{ConfigError, ConfigErrors};
pub use load::{load, load_from_process_env, load_str};
pub use root::Config;
pub use secret::Secret;
pub use sections::digest::{DigestConfig, Schedule, Weekday};
pub use sections::discord::{DiscordConfig, DiscordMode};
pub use sections::handover::{HandoverConfig, MuteAi};
pub use sections::log::{LogConfig, LogFormat};
pub use sections::platform::{BridgeKind, PlatformConfig};
pub use sections::server::ServerConfig;
pub use sections::slack::SlackConfig;
