//! Runtime settings (enabled, selected members) and the rights they give a person.
//!
//! Config seeds the settings at first start; from then on they live in the store and
//! change through `/handover enable|disable|members`.

use std::collections::{HashMap, HashSet};

use handover_core::{Actor, Agent, Command, Person};

use super::{Action, EngineError};
use crate::store::{Store, StoreError, Ticket};

const ENABLED: &str = "enabled";

fn members_key(bridge: &str) -> String {
    format!("members:{bridge}")
}

/// Who may do what, per bridge.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub enabled_seed: bool,
    /// Selected members from config, per bridge (`U…`, Discord ids, `role:<id>`).
    pub members_seed: HashMap<String, Vec<String>>,
    /// Admins per bridge (config only).
    pub admins: HashMap<String, HashSet<String>>,
    /// `[digest] timezone` (UTC when `None`), for digests asked for with a command.
    pub digest_zone: Option<chrono_tz::Tz>,
}

/// A person's rights on one bridge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rights {
    pub member: bool,
    pub admin: bool,
}

impl Settings {
    /// Writes the config's values into the store where the store has none yet.
    pub fn seed(&self, store: &Store) -> Result<Option<Ticket>, StoreError> {
        let mut ticket = None;
        if store.setting::<bool>(ENABLED)?.is_none() {
            ticket = Some(store.put_setting(ENABLED, &self.enabled_seed)?);
        }
        for (bridge, members) in &self.members_seed {
            if store
                .setting::<Vec<String>>(&members_key(bridge))?
                .is_none()
            {
                ticket = Some(store.put_setting(&members_key(bridge), members)?);
            }
        }
        Ok(ticket)
    }

    pub fn enabled(&self, store: &Store) -> Result<bool, StoreError> {
        Ok(store.setting(ENABLED)?.unwrap_or(self.enabled_seed))
    }

    pub fn set_enabled(&self, store: &Store, on: bool) -> Result<Ticket, StoreError> {
        store.put_setting(ENABLED, &on)
    }

    pub fn members(&self, store: &Store, bridge: &str) -> Result<Vec<String>, StoreError> {
        match store.setting(&members_key(bridge))? {
            Some(m) => Ok(m),
            None => Ok(self.members_seed.get(bridge).cloned().unwrap_or_default()),
        }
    }

    pub fn set_members(
        &self,
        store: &Store,
        bridge: &str,
        members: &[String],
    ) -> Result<Ticket, StoreError> {
        store.put_setting(&members_key(bridge), &members)
    }

    /// The rights of user `id` (with Discord `roles`) on `bridge`.
    pub fn rights(
        &self,
        store: &Store,
        bridge: &str,
        id: &str,
        roles: &[String],
    ) -> Result<Rights, StoreError> {
        let members = self.members(store, bridge)?;
        let member = members.iter().any(|m| {
            m == id
                || m.strip_prefix("role:")
                    .is_some_and(|r| roles.iter().any(|x| x == r))
        });
        let admin = self.admins.get(bridge).is_some_and(|a| a.contains(id));
        Ok(Rights { member, admin })
    }

    pub(super) fn command(
        &self,
        store: &Store,
        bridge: &str,
        by: Agent,
        roles: &[String],
        action: Action,
    ) -> Result<Command, EngineError> {
        let r = self.rights(store, bridge, &by.id, roles)?;
        let person = Person {
            agent: by,
            member: r.member,
            admin: r.admin,
        };
        Ok(match action {
            Action::Take => Command::Take { by: person },
            Action::Assign { to, to_roles } => {
                let tr = self.rights(store, bridge, &to.id, &to_roles)?;
                let to = Person {
                    agent: to,
                    member: tr.member,
                    admin: tr.admin,
                };
                Command::Assign {
                    to,
                    by: Actor::Person(person),
                }
            }
            Action::Message {
                message_id,
                text,
                attachments,
            } => Command::AgentMessage {
                by: person,
                message_id,
                text,
                attachments,
            },
            Action::End { mode } => Command::End {
                by: Actor::Person(person),
                mode,
                reason: None,
            },
        })
    }
}
