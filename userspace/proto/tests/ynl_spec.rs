//! `spec/nlfam.yaml`, the protocol as a YNL `netlink-raw` spec, is generated from this
//! crate's declaration of the protocol: the operations and their request attributes from
//! `family::OPS`, the attributes' types and `checks` from the request policies the kernel
//! enforces. This test renders it and fails when the committed file differs.
//! Regenerate with `NLFAM_BLESS=1 cargo test -p nlfam-proto --test ynl_spec`.

use nlfam_proto::family::{attr, group, msg, Payload, FAMILY_DEFAULT, GROUPS, OPS};
use nlfam_proto::policy::Kind;
use std::fmt::Write;

/// How the request policies that accept attribute `ty` validate it (they agree).
fn request_kind(ty: u16) -> Option<Kind> {
    let mut kinds = OPS.iter().filter_map(|o| match o.payload {
        Payload::Attrs(p) => Some(p[usize::from(ty)]).filter(|k| *k != Kind::Reject),
        Payload::Raw => None,
    });
    let first = kinds.next()?;
    assert!(
        kinds.all(|k| k == first),
        "policies disagree on attribute {ty}"
    );
    Some(first)
}

/// The YNL type and `checks` of attribute `ty`: from the request policies for the
/// attributes requests carry, by type for those only answers and events carry.
fn attr_type(ty: u16) -> (&'static str, Vec<(&'static str, usize)>) {
    match request_kind(ty) {
        Some(Kind::String { max }) => ("string", vec![("max-len", max)]),
        Some(Kind::Binary { min, max }) => {
            let mut checks = vec![("max-len", max)];
            if min > 0 {
                checks.insert(0, ("min-len", min));
            }
            ("binary", checks)
        }
        Some(Kind::U8) => ("u8", vec![]),
        Some(Kind::U16) => ("u16", vec![]),
        Some(Kind::U32) => ("u32", vec![]),
        Some(Kind::U64) => ("u64", vec![]),
        Some(k) => panic!("attribute {ty}: no YNL rendering for {k:?}"),
        None => match ty {
            attr::STAT_SUBSCRIBERS => ("nest", vec![]),
            attr::TIMESTAMP_NS
            | attr::COUNTER
            | attr::STAT_RX
            | attr::STAT_TX
            | attr::STAT_ERRORS
            | attr::STAT_DROPPED
            | attr::STAT_NOTIFICATIONS => ("u64", vec![]),
            _ => ("u32", vec![]),
        },
    }
}

fn attr_name(ty: u16) -> &'static str {
    attr::ALL.iter().find(|(_, t)| *t == ty).unwrap().0
}

fn list(out: &mut String, indent: &str, names: &[&str]) {
    for n in names {
        writeln!(out, "{indent}- {n}").unwrap();
    }
}

fn op(
    out: &mut String,
    name: &str,
    doc: &str,
    req: Option<(u16, &[&str])>,
    rsp: Option<(u16, &[&str])>,
    dump: bool,
) {
    writeln!(
        out,
        "    -\n      name: {name}\n      doc: {doc:?}\n      attribute-set: nlfam-attrs"
    )
    .unwrap();
    for mode in if dump {
        &["do", "dump"][..]
    } else {
        &["do"][..]
    } {
        writeln!(out, "      {mode}:").unwrap();
        if let Some((v, attrs)) = req {
            writeln!(out, "        request:\n          value: {v}").unwrap();
            if *mode == "do" && !attrs.is_empty() {
                writeln!(out, "          attributes:").unwrap();
                list(out, "            ", attrs);
            }
        }
        if let Some((v, attrs)) = rsp {
            writeln!(
                out,
                "        reply:\n          value: {v}\n          attributes:"
            )
            .unwrap();
            list(out, "            ", attrs);
        }
    }
}

fn event(out: &mut String, name: &str, doc: &str, value: u16, attrs: &[&str], mcgrp: &str) {
    writeln!(
        out,
        "    -\n      name: {name}\n      doc: {doc:?}\n      attribute-set: nlfam-attrs"
    )
    .unwrap();
    writeln!(
        out,
        "      value: {value}\n      event:\n        attributes:"
    )
    .unwrap();
    list(out, "          ", attrs);
    writeln!(out, "      mcgrp: {mcgrp}").unwrap();
}

/// Each operation's doc and its data answer (type and attributes), if it has one.
fn answer(ty: u16) -> (&'static str, Option<(u16, &'static [u16])>) {
    use attr::*;
    match ty {
        msg::ECHO => (
            "Echo: the payload (any bytes) comes back verbatim.",
            Some((msg::ECHO, &[KEY, VALUE])),
        ),
        msg::KV_SET => ("Store a key/value pair (create/excl/replace flags).", None),
        msg::KV_GET => (
            "Look up a key, or dump the store.",
            Some((msg::KV_SET, &[KEY, VALUE])),
        ),
        msg::KV_DEL => ("Delete a key.", None),
        msg::PUBLISH => ("Publish a payload to a group (3-32).", None),
        msg::STATS => (
            "Read the family's counters.",
            Some((
                msg::STATS,
                &[
                    FAMILY,
                    STAT_RX,
                    STAT_TX,
                    STAT_ERRORS,
                    STAT_DROPPED,
                    STAT_NOTIFICATIONS,
                    PERIOD_MS,
                    STAT_ENTRIES,
                    STAT_SUBSCRIBERS,
                ],
            )),
        ),
        msg::CONFIG => (
            "Set the heartbeat period (0 = off).",
            Some((msg::CONFIG, &[PERIOD_MS, COUNTER])),
        ),
        _ => panic!("{ty:#x} is not a request type"),
    }
}

fn render() -> String {
    let mut o = String::new();
    o.push_str("# SPDX-License-Identifier: GPL-2.0\n# Generated from userspace/proto by its ynl_spec test: do not edit by hand.\n\n");
    writeln!(
        o,
        "name: nlfam\nprotocol: netlink-raw\nprotonum: {FAMILY_DEFAULT}\n"
    )
    .unwrap();
    o.push_str("doc: >-\n  nlfam's custom netlink family: echo, a key-value store with dumps and change\n  notifications, publish/subscribe and a kernel heartbeat. The module can serve\n  any family number from 23 to 31; edit protonum for another one.\n\n");
    o.push_str("attribute-sets:\n  -\n    name: nlfam-attrs\n    attributes:\n");
    for (name, ty) in attr::ALL {
        let (t, checks) = attr_type(ty);
        writeln!(
            o,
            "      -\n        name: {name}\n        type: {t}\n        value: {ty}"
        )
        .unwrap();
        if t == "nest" {
            writeln!(o, "        nested-attributes: nlfam-subscribers").unwrap();
        }
        if !checks.is_empty() {
            writeln!(o, "        checks:").unwrap();
            for (check, v) in checks {
                writeln!(o, "          {check}: {v}").unwrap();
            }
        }
    }
    // STAT_SUBSCRIBERS: one u32 per group with subscribers, typed by the group number.
    o.push_str("  -\n    name: nlfam-subscribers\n    attributes:\n");
    for g in 1..=GROUPS {
        writeln!(
            o,
            "      -\n        name: group-{g}\n        type: u32\n        value: {g}"
        )
        .unwrap();
    }
    o.push_str("\noperations:\n  enum-model: directional\n  list:\n");
    for o_ in OPS {
        let name = msg::name(o_.ty).unwrap();
        let request: Vec<&str> = match o_.payload {
            Payload::Attrs(p) => attr::ALL
                .iter()
                .filter(|(_, t)| p[usize::from(*t)] != Kind::Reject)
                .map(|(n, _)| *n)
                .collect(),
            // Raw bytes, returned verbatim: what YNL sends is attributes, so those come
            // back.
            Payload::Raw => vec!["key", "value"],
        };
        let (doc, reply) = answer(o_.ty);
        let reply =
            reply.map(|(ty, attrs)| (ty, attrs.iter().map(|t| attr_name(*t)).collect::<Vec<_>>()));
        op(
            &mut o,
            name,
            doc,
            Some((o_.ty, &request)),
            reply.as_ref().map(|(ty, a)| (*ty, &a[..])),
            o_.dump,
        );
    }
    event(
        &mut o,
        "kv-set-ntf",
        "A key was set.",
        msg::KV_SET,
        &["key", "value", "portid", "seq"],
        "kv",
    );
    event(
        &mut o,
        "kv-del-ntf",
        "A key was deleted.",
        msg::KV_DEL,
        &["key", "portid", "seq"],
        "kv",
    );
    event(
        &mut o,
        "publish-ntf",
        "A published payload.",
        msg::PUBLISH,
        &["group", "payload", "portid", "uid", "timestamp-ns"],
        "publish-3",
    );
    event(
        &mut o,
        "heartbeat-ntf",
        "The kernel's heartbeat.",
        msg::HEARTBEAT,
        &["counter", "timestamp-ns"],
        "heartbeat",
    );
    o.push_str("\nmcast-groups:\n  list:\n");
    writeln!(o, "    -\n      name: kv\n      value: {}", group::KV).unwrap();
    writeln!(
        o,
        "    -\n      name: heartbeat\n      value: {}",
        group::HEARTBEAT
    )
    .unwrap();
    for g in group::PUBLISH_MIN..=GROUPS {
        writeln!(o, "    -\n      name: publish-{g}\n      value: {g}").unwrap();
    }
    o
}

#[test]
fn spec_matches_the_protocol_crate() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../spec/nlfam.yaml");
    let want = render();
    if std::env::var_os("NLFAM_BLESS").is_some() {
        std::fs::write(path, &want).unwrap();
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(have == want, "spec/nlfam.yaml is out of date: run NLFAM_BLESS=1 cargo test -p nlfam-proto --test ynl_spec");
}
