//! `spec/nlfam.yaml`, the protocol as a YNL `netlink-raw` spec, is generated from this
//! crate's constants: this test renders it and fails when the committed file differs.
//! Regenerate with `NLFAM_BLESS=1 cargo test -p nlfam-proto --test ynl_spec`.

use nlfam_proto::family::{attr, group, msg, FAMILY_DEFAULT, GROUPS};
use std::fmt::Write;

fn attr_type(ty: u16) -> &'static str {
    match ty {
        attr::KEY => "string",
        attr::VALUE | attr::PAYLOAD | attr::STAT_SUBSCRIBERS => "binary",
        attr::TIMESTAMP_NS
        | attr::COUNTER
        | attr::STAT_RX
        | attr::STAT_TX
        | attr::STAT_ERRORS
        | attr::STAT_DROPPED
        | attr::STAT_NOTIFICATIONS => "u64",
        _ => "u32",
    }
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
        writeln!(
            o,
            "      -\n        name: {name}\n        type: {}\n        value: {ty}",
            attr_type(ty)
        )
        .unwrap();
    }
    o.push_str("\noperations:\n  enum-model: directional\n  list:\n");
    let kv = &["key", "value"][..];
    op(
        &mut o,
        "echo",
        "Echo: the payload comes back verbatim.",
        Some((msg::ECHO, kv)),
        Some((msg::ECHO, kv)),
        false,
    );
    op(
        &mut o,
        "kv-set",
        "Store a key/value pair (create/excl/replace flags).",
        Some((msg::KV_SET, kv)),
        None,
        false,
    );
    op(
        &mut o,
        "kv-get",
        "Look up a key, or dump the store.",
        Some((msg::KV_GET, &["key"])),
        Some((msg::KV_SET, kv)),
        true,
    );
    op(
        &mut o,
        "kv-del",
        "Delete a key.",
        Some((msg::KV_DEL, &["key"])),
        None,
        false,
    );
    op(
        &mut o,
        "publish",
        "Publish a payload to a group (3-32).",
        Some((msg::PUBLISH, &["group", "payload"])),
        None,
        false,
    );
    let stats = &[
        "family",
        "stat-rx",
        "stat-tx",
        "stat-errors",
        "stat-dropped",
        "stat-notifications",
        "period-ms",
        "stat-entries",
        "stat-subscribers",
    ][..];
    op(
        &mut o,
        "stats",
        "Read the family's counters.",
        Some((msg::STATS, &[])),
        Some((msg::STATS, stats)),
        false,
    );
    op(
        &mut o,
        "config",
        "Set the heartbeat period (0 = off).",
        Some((msg::CONFIG, &["period-ms"])),
        Some((msg::CONFIG, &["period-ms", "counter"])),
        false,
    );
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
