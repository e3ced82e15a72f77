//! The emulated guild: users, roles, channels and threads, messages, webhooks,
//! commands, interactions, recorded calls and rate-limit windows.

use std::collections::HashMap;

use serde_json::Value;
use tokio::sync::oneshot;

use super::rate::Window;
use super::{Call, Callback, DiscordEmulator, StoredMessage, payloads};

pub(crate) const BOT: &str = DiscordEmulator::BOT_USER_ID;

/// Channel types used here.
pub(crate) const TEXT: u64 = 0;
pub(crate) const CATEGORY: u64 = 4;
pub(crate) const PRIVATE_THREAD: u64 = 12;
pub(crate) const PUBLIC_THREAD: u64 = 11;

#[derive(Debug, Clone)]
pub(crate) struct User {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) avatar: Option<String>,
    pub(crate) bot: bool,
    pub(crate) roles: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Role {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) position: u64,
    pub(crate) permissions: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Channel {
    pub(crate) id: String,
    pub(crate) kind: u64,
    pub(crate) name: String,
    pub(crate) parent_id: Option<String>,
    pub(crate) position: u64,
    pub(crate) topic: Option<String>,
    pub(crate) overwrites: Vec<Value>,
    pub(crate) archived: bool,
    pub(crate) locked: bool,
    pub(crate) owner_id: Option<String>,
    pub(crate) thread_members: Vec<String>,
    pub(crate) last_message_id: Option<String>,
}

impl Channel {
    pub(crate) fn new(id: String, kind: u64, name: &str, parent_id: Option<String>) -> Self {
        Self {
            id,
            kind,
            name: name.to_string(),
            parent_id,
            position: 0,
            topic: None,
            overwrites: Vec::new(),
            archived: false,
            locked: false,
            owner_id: None,
            thread_members: Vec::new(),
            last_message_id: None,
        }
    }

    pub(crate) fn is_thread(&self) -> bool {
        matches!(self.kind, 10..=12)
    }
}

pub(crate) struct Webhook {
    pub(crate) id: String,
    pub(crate) token: String,
    pub(crate) channel_id: String,
    pub(crate) name: String,
}

/// An injected interaction waiting for its callback.
pub(crate) struct PendingInteraction {
    pub(crate) token: String,
    pub(crate) channel_id: String,
    pub(crate) tx: Option<oneshot::Sender<Value>>,
    /// The message a type-4 callback posted (`@original`).
    pub(crate) original: Option<String>,
}

pub(crate) struct State {
    pub(crate) users: HashMap<String, User>,
    pub(crate) roles: HashMap<String, Role>,
    pub(crate) channels: HashMap<String, Channel>,
    pub(crate) messages: HashMap<String, StoredMessage>,
    pub(crate) webhooks: HashMap<String, Webhook>,
    pub(crate) interactions: HashMap<String, PendingInteraction>,
    /// (channel, nonce) → message id, for `enforce_nonce`.
    pub(crate) nonces: HashMap<(String, String), String>,
    pub(crate) commands: Vec<Value>,
    pub(crate) callbacks: Vec<Callback>,
    pub(crate) calls: Vec<Call>,
    pub(crate) windows: HashMap<String, Window>,
    pub(crate) rate_limited: u64,
    pub(crate) files: HashMap<String, super::files::StoredFile>,
    pub(crate) downloads: u64,
    counter: u64,
}

impl State {
    pub(crate) fn new() -> Self {
        let mut users = HashMap::new();
        users.insert(
            BOT.to_string(),
            User {
                id: BOT.to_string(),
                name: DiscordEmulator::BOT_NAME.to_string(),
                avatar: None,
                bot: true,
                roles: Vec::new(),
            },
        );
        let mut roles = HashMap::new();
        roles.insert(
            DiscordEmulator::EVERYONE_ROLE_ID.to_string(),
            Role {
                id: DiscordEmulator::EVERYONE_ROLE_ID.to_string(),
                name: "@everyone".to_string(),
                position: 0,
                permissions: "1024".to_string(),
            },
        );
        Self {
            users,
            roles,
            channels: HashMap::new(),
            messages: HashMap::new(),
            webhooks: HashMap::new(),
            interactions: HashMap::new(),
            nonces: HashMap::new(),
            commands: Vec::new(),
            callbacks: Vec::new(),
            calls: Vec::new(),
            windows: HashMap::new(),
            rate_limited: 0,
            files: HashMap::new(),
            downloads: 0,
            counter: 1_000_000_000_000_001_000,
        }
    }

    /// A fresh snowflake (increasing; all have 19 digits, so string order is id order).
    pub(crate) fn next_id(&mut self) -> String {
        self.counter += 1;
        self.counter.to_string()
    }

    /// A random-looking token for webhooks and interactions.
    pub(crate) fn token(&mut self) -> String {
        let n: u64 = rand::random();
        format!("tok{:016x}{}", n, self.next_id())
    }

    pub(crate) fn channel_json(&self, c: &Channel) -> Value {
        payloads::channel(c)
    }

    pub(crate) fn user_json(&self, id: &str) -> Option<Value> {
        self.users.get(id).map(payloads::user)
    }

    pub(crate) fn member_json(&self, id: &str) -> Option<Value> {
        self.users.get(id).map(payloads::member)
    }

    pub(crate) fn channel_messages(&self, channel_id: &str) -> Vec<StoredMessage> {
        let mut v: Vec<StoredMessage> = self
            .messages
            .values()
            .filter(|m| m.channel_id == channel_id)
            .cloned()
            .collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }

    /// How many channels have this category as parent.
    pub(crate) fn children(&self, category: &str) -> usize {
        self.channels
            .values()
            .filter(|c| !c.is_thread() && c.parent_id.as_deref() == Some(category))
            .count()
    }

    /// Stores a message and returns its JSON.
    pub(crate) fn store_message(&mut self, channel_id: &str, json: Value) -> Value {
        let id = json["id"].as_str().unwrap_or_default().to_string();
        if let Some(c) = self.channels.get_mut(channel_id) {
            c.last_message_id = Some(id.clone());
        }
        self.messages.insert(
            id.clone(),
            StoredMessage {
                id,
                channel_id: channel_id.to_string(),
                json: json.clone(),
                reactions: Vec::new(),
            },
        );
        json
    }
}
