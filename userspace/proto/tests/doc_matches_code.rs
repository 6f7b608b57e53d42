//! `docs/protocol.md` must state every constant of the protocol with the value the code
//! uses: each message type, attribute, group and limit appears in a table row
//! `| name | value |`. A constant changed in the code and not in the document fails here.

use nlfam_proto::errno;
use nlfam_proto::family::{
    attr, group, limits, msg, Access, FAMILY_DEFAULT, FAMILY_MAX, FAMILY_MIN, GROUPS, OPS,
};

fn doc() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/protocol.md"
    ))
    .expect("docs/protocol.md")
}

/// The cells of every table row whose first cell is `name` (in backticks).
fn row<'a>(doc: &'a str, name: &str) -> Vec<&'a str> {
    let key = format!("`{name}`");
    doc.lines()
        .filter(|l| l.starts_with('|'))
        .map(|l| {
            l.split('|')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect::<Vec<_>>()
        })
        .find(|cells| cells.first() == Some(&key.as_str()))
        .unwrap_or_else(|| panic!("docs/protocol.md has no table row for `{name}`"))
}

fn value(doc: &str, name: &str) -> u64 {
    let cells = row(doc, name);
    let v = cells
        .get(1)
        .unwrap_or_else(|| panic!("row `{name}` has no value"));
    let v = v.trim_matches('`').replace('_', "");
    if let Some(h) = v.strip_prefix("0x") {
        u64::from_str_radix(h, 16).unwrap()
    } else {
        v.parse()
            .unwrap_or_else(|_| panic!("row `{name}`: value {v:?} is not a number"))
    }
}

#[test]
fn message_types() {
    let d = doc();
    for (name, ty) in msg::ALL {
        assert_eq!(value(&d, name), u64::from(ty), "message {name}");
    }
}

#[test]
fn attributes() {
    let d = doc();
    for (name, ty) in attr::ALL {
        assert_eq!(value(&d, name), u64::from(ty), "attribute {name}");
    }
}

#[test]
fn groups_families_and_limits() {
    let d = doc();
    let expect: [(&str, u64); 22] = [
        ("kv", group::KV.into()),
        ("heartbeat-group", group::HEARTBEAT.into()),
        ("publish-min", group::PUBLISH_MIN.into()),
        ("groups", GROUPS.into()),
        ("family-min", FAMILY_MIN.into()),
        ("family-max", FAMILY_MAX.into()),
        ("family-default", FAMILY_DEFAULT.into()),
        ("max_key_len", limits::KEY_LEN_DEFAULT.into()),
        ("max_value_len", limits::VALUE_LEN_DEFAULT.into()),
        ("max_entries", limits::ENTRIES_DEFAULT.into()),
        ("key-len-ceiling", limits::KEY_LEN_MAX.into()),
        ("value-len-ceiling", limits::VALUE_LEN_MAX.into()),
        ("entries-ceiling", limits::ENTRIES_MAX.into()),
        ("payload-len-max", limits::PAYLOAD_LEN_MAX.into()),
        ("max_bytes", limits::BYTES_DEFAULT.into()),
        ("userns_max_entries", limits::USERNS_ENTRIES_DEFAULT.into()),
        ("userns_max_bytes", limits::USERNS_BYTES_DEFAULT.into()),
        (
            "userns_min_period_ms",
            limits::USERNS_PERIOD_MS_MIN_DEFAULT.into(),
        ),
        (
            "userns_max_heartbeats",
            limits::USERNS_HEARTBEATS_DEFAULT.into(),
        ),
        ("bytes-ceiling", limits::BYTES_MAX.into()),
        ("period-ceiling", limits::PERIOD_MS_MAX.into()),
        ("heartbeats-ceiling", limits::USERNS_HEARTBEATS_MAX.into()),
    ];
    for (name, v) in expect {
        assert_eq!(value(&d, name), v, "{name}");
    }
}

#[test]
fn errnos_named_in_the_document_exist() {
    let d = doc();
    for e in [
        "EPERM",
        "ENOENT",
        "EEXIST",
        "EINVAL",
        "ENOSPC",
        "ERANGE",
        "EMSGSIZE",
        "EOPNOTSUPP",
        "EPROTONOSUPPORT",
    ] {
        assert!(d.contains(e), "docs/protocol.md never mentions {e}");
        assert!(
            (1..200).any(|n| errno::name(n) == Some(e)),
            "{e} unknown to the protocol crate"
        );
    }
}

/// The table of requests (who may send each, its required attributes, dump, data answer)
/// is the declaration `family::OPS`, row for row.
#[test]
fn requests_match_the_declaration() {
    let d = doc();
    let rows: Vec<Vec<String>> = d
        .lines()
        .skip_while(|l| !l.starts_with("| request | who may send it |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.split('|')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(String::from)
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), OPS.len(), "one row per request type");
    for (op, cells) in OPS.iter().zip(&rows) {
        let name = msg::name(op.ty).unwrap();
        let required: Vec<String> = op
            .required
            .iter()
            .map(|(ty, _)| {
                let (n, _) = attr::ALL.iter().find(|(_, t)| t == ty).unwrap();
                n.to_uppercase()
            })
            .collect();
        let mut required = if required.is_empty() {
            "—".to_string()
        } else {
            required.join(", ")
        };
        if op.dump && required != "—" {
            required.push_str(" (none in a dump)");
        }
        let want = [
            format!("`{name}`"),
            match op.access {
                Access::Anyone => "anyone",
                Access::Reader => "reader",
                Access::Admin(_) => "admin",
            }
            .to_string(),
            required,
            if op.dump { "dumps the store" } else { "—" }.to_string(),
            if op.answers { "yes" } else { "no" }.to_string(),
        ];
        assert_eq!(cells[..], want[..], "docs/protocol.md's row for {name}");
    }
}
