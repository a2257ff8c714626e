//! How `dialogctl` prints the answers of the `dialogs` subcommands that change dialogs' data:
//! one sentence (or a table of vars) for people, one JSON object for scripts. Pure functions.

use std::collections::BTreeMap;

use dialogd_dialog::{DialogId, ProfileKey};
use serde_json::json;

use super::{json_line, table};

pub fn terminated(call_id: &str, ids: &[DialogId], as_json: bool) -> String {
    let ids: Vec<String> = ids.iter().map(DialogId::to_string).collect();
    if as_json {
        return json_line(&json!({ "call_id": call_id, "ended": ids }));
    }
    format!(
        "{} dialog(s) with call_id {call_id} ended: {}\n",
        ids.len(),
        ids.join(" ")
    )
}

pub fn timeouts_set(
    name: &str,
    value: Option<&str>,
    seconds: u32,
    changed: u64,
    as_json: bool,
) -> String {
    if as_json {
        return json_line(&json!({
            "profile": name, "value": value, "timeout_secs": seconds, "changed": changed,
        }));
    }
    let profile = value.map_or_else(|| name.to_owned(), |v| format!("{name}={v}"));
    format!("{changed} dialog(s) in profile {profile} time out in {seconds} s\n")
}

pub fn var_set(id: DialogId, name: &str, value: &str, as_json: bool) -> String {
    if as_json {
        return json_line(&json!({ "id": id.to_string(), "name": name, "value": value }));
    }
    format!("dialog {id}: {name}={value}\n")
}

pub fn var_unset(id: DialogId, name: &str, as_json: bool) -> String {
    if as_json {
        return json_line(&json!({ "id": id.to_string(), "name": name, "unset": true }));
    }
    format!("dialog {id}: {name} unset\n")
}

pub fn vars(id: DialogId, vars: &BTreeMap<String, String>, as_json: bool) -> String {
    if as_json {
        return json_line(&json!({ "id": id.to_string(), "vars": vars }));
    }
    let rows: Vec<Vec<String>> = vars
        .iter()
        .map(|(k, v)| vec![k.clone(), v.clone()])
        .collect();
    table(&["NAME", "VALUE"], &rows)
}

/// The flags after a change: the bitmask and the numbers of the flags set.
pub fn flags(id: DialogId, flags: u32, as_json: bool) -> String {
    let set: Vec<u32> = (0..32).filter(|n| flags & (1 << n) != 0).collect();
    if as_json {
        return json_line(&json!({ "id": id.to_string(), "flags": flags, "set": set }));
    }
    let list: Vec<String> = set.iter().map(u32::to_string).collect();
    let list = if list.is_empty() {
        "none".to_owned()
    } else {
        list.join(",")
    };
    format!("dialog {id}: flags {flags:#010x} (set: {list})\n")
}

pub fn profile_changed(id: DialogId, key: &ProfileKey, added: bool, as_json: bool) -> String {
    if as_json {
        return json_line(&json!({
            "id": id.to_string(), "profile": key.name, "value": key.value, "member": added,
        }));
    }
    let profile = key
        .value
        .as_ref()
        .map_or_else(|| key.name.clone(), |v| format!("{}={v}", key.name));
    let verb = if added { "added to" } else { "removed from" };
    format!("dialog {id} {verb} profile {profile}\n")
}

pub fn triggers_set(id: DialogId, names: &[String], as_json: bool) -> String {
    if as_json {
        return json_line(&json!({ "id": id.to_string(), "triggers": names }));
    }
    if names.is_empty() {
        return format!("dialog {id}: no triggers\n");
    }
    format!("dialog {id}: triggers {}\n", names.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_for_people() {
        let id = DialogId(0x1f);
        assert_eq!(
            flags(id, 0b101, false),
            "dialog 000000000000001f: flags 0x00000005 (set: 0,2)\n"
        );
        assert_eq!(
            flags(id, 0, false),
            "dialog 000000000000001f: flags 0x00000000 (set: none)\n"
        );
        assert_eq!(
            profile_changed(id, &ProfileKey::with_value("caller", "bob"), true, false),
            "dialog 000000000000001f added to profile caller=bob\n"
        );
        assert_eq!(
            timeouts_set("trunk", None, 30, 2, false),
            "2 dialog(s) in profile trunk time out in 30 s\n"
        );
        assert_eq!(
            triggers_set(id, &[], false),
            "dialog 000000000000001f: no triggers\n"
        );
    }

    #[test]
    fn json_for_scripts() {
        let id = DialogId(1);
        let v: serde_json::Value = serde_json::from_str(&flags(id, 0x8000_0001, true)).unwrap();
        assert_eq!(v["set"], json!([0, 31]));
        let vars = BTreeMap::from([("a".to_owned(), "1".to_owned())]);
        let v: serde_json::Value = serde_json::from_str(&super::vars(id, &vars, true)).unwrap();
        assert_eq!(v, json!({ "id": "0000000000000001", "vars": { "a": "1" } }));
    }
}
