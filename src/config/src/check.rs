//! Owns the structural check of the merged config tree against the key catalogue:
//! every unknown key and every value of the wrong type is reported with its key, then
//! removed, so that the remaining keys can still be validated.

use config::{Map, Value, ValueKind};

use crate::schema::{self, Field, Kind, Section, Shape};
use crate::validate::{Errors, quote};

/// Checks `root` (the merged file + environment tree) and strips what is broken.
pub(crate) fn check(root: &mut Value, errors: &mut Errors) {
    let ValueKind::Table(map) = &mut root.kind else {
        errors.broken("<root>", "expected a table of keys");
        *root = Value::new(None, ValueKind::Table(Map::new()));
        return;
    };
    for key in sorted_keys(map) {
        let Some(value) = map.get_mut(&key) else {
            continue;
        };
        let keep = if let Some(field) = schema::root_field(&key) {
            leaf(&key, field, value, errors)
        } else if let Some(section) = schema::section(&key) {
            section_value(section, value, errors)
        } else {
            errors.broken(
                &key,
                schema::unknown_key_message(&key, &schema::root_names()),
            );
            false
        };
        if !keep {
            map.remove(&key);
        }
    }
}

/// Returns whether to keep the section's value.
fn section_value(section: &Section, value: &mut Value, errors: &mut Errors) -> bool {
    match (section.shape, &mut value.kind) {
        (Shape::Table, ValueKind::Table(map)) => {
            table(section, section.name, map, errors);
            true
        }
        (Shape::ArrayOfTables, ValueKind::Array(items)) => {
            for (i, item) in items.iter_mut().enumerate() {
                let key = format!("{}[{i}]", section.name);
                match &mut item.kind {
                    ValueKind::Table(map) => table(section, &key, map, errors),
                    ValueKind::Nil => {
                        errors.broken(
                            &key,
                            "missing entry: a later entry is set (from the environment?) but this one is not defined",
                        );
                        *item = Value::new(None, ValueKind::Table(Map::new()));
                    }
                    _ => {
                        errors.broken(
                            &key,
                            format!(
                                "expected a [[{}]] table, got {}",
                                section.name,
                                describe(item, false)
                            ),
                        );
                        *item = Value::new(None, ValueKind::Table(Map::new()));
                    }
                }
            }
            true
        }
        (Shape::Table, _) => {
            errors.broken(
                section.name,
                format!(
                    "expected a [{}] table, got {}",
                    section.name,
                    describe(value, false)
                ),
            );
            false
        }
        (Shape::ArrayOfTables, _) => {
            errors.broken(
                section.name,
                format!(
                    "expected a list of [[{}]] tables, got {}",
                    section.name,
                    describe(value, false)
                ),
            );
            false
        }
    }
}

fn table(section: &Section, prefix: &str, map: &mut Map<String, Value>, errors: &mut Errors) {
    for key in sorted_keys(map) {
        let path = format!("{prefix}.{key}");
        let keep = match (section.field(&key), map.get_mut(&key)) {
            (Some(field), Some(value)) => leaf(&path, field, value, errors),
            (None, _) => {
                errors.broken(
                    &path,
                    schema::unknown_key_message(&key, &section.field_names()),
                );
                false
            }
            (Some(_), None) => true,
        };
        if !keep {
            map.remove(&key);
        }
    }
}

/// Returns whether the value has the kind `field` needs; reports it otherwise.
fn leaf(path: &str, field: &Field, value: &Value, errors: &mut Errors) -> bool {
    let secret = field.kind == Kind::Secret;
    let ok = match (&value.kind, field.kind) {
        (ValueKind::String(_), Kind::Text | Kind::Secret | Kind::Duration) => true,
        (ValueKind::Boolean(_), Kind::Bool) => true,
        (
            ValueKind::I64(_) | ValueKind::U64(_) | ValueKind::I128(_) | ValueKind::U128(_),
            Kind::Integer,
        ) => integer_fits(&value.kind),
        (ValueKind::Array(items), Kind::List) => {
            if let Some((i, item)) = items
                .iter()
                .enumerate()
                .find(|(_, item)| !matches!(item.kind, ValueKind::String(_)))
            {
                errors.broken(
                    format!("{path}[{i}]"),
                    format!("expected a string, got {}", describe(item, false)),
                );
                return false;
            }
            true
        }
        _ => false,
    };
    if !ok {
        errors.broken(
            path,
            format!(
                "expected {}, got {}",
                field.kind.expected(),
                describe(value, secret)
            ),
        );
    }
    ok
}

fn integer_fits(kind: &ValueKind) -> bool {
    match kind {
        ValueKind::I64(_) => true,
        ValueKind::U64(n) => i64::try_from(*n).is_ok(),
        ValueKind::I128(n) => i64::try_from(*n).is_ok(),
        ValueKind::U128(n) => i64::try_from(*n).is_ok(),
        _ => false,
    }
}

/// Names what a value is; shows it only when it is a short scalar of a non-secret key.
fn describe(value: &Value, secret: bool) -> String {
    let shown = |kind: &str, text: String| {
        if secret || text.chars().count() > 60 {
            format!("a {kind}")
        } else {
            format!("the {kind} {text}")
        }
    };
    match &value.kind {
        ValueKind::Nil => "nothing".to_owned(),
        ValueKind::Boolean(b) => shown("boolean", b.to_string()),
        ValueKind::I64(n) => shown("number", n.to_string()),
        ValueKind::I128(n) => shown("number", n.to_string()),
        ValueKind::U64(n) => shown("number", n.to_string()),
        ValueKind::U128(n) => shown("number", n.to_string()),
        ValueKind::Float(n) => shown("number", n.to_string()),
        ValueKind::String(s) => shown("string", quote(s)),
        ValueKind::Table(_) => "a table".to_owned(),
        ValueKind::Array(_) => "a list".to_owned(),
    }
}

fn sorted_keys(map: &Map<String, Value>) -> Vec<String> {
    let mut keys: Vec<String> = map.keys().cloned().collect();
    keys.sort();
    keys
}
