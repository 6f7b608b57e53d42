#!/usr/bin/env python3
"""The kernel's own YNL library (tools/net/ynl/lib from the kernel source), driven only by
spec/nlfam.yaml, talks to the loaded module: ECHO, SET, GET, a dump, an exclusive SET
that must fail with EEXIST, STATS (its subscriber nest decoded through the spec) and a
subscription that receives a change notification.

One process for every step: under TCG on the debug kernel each Python start costs tens
of seconds, and the YNL CLI (one process per operation) made this the suite's slowest
test.

    ynl_nlfam.py YNL_DIR SPEC SCHEMA NLFAM_CLI
"""
import errno
import subprocess
import sys
import time


def main():
    ynl_dir, spec, schema, nlfam = sys.argv[1:5]
    sys.path.insert(0, ynl_dir)
    from lib import NlError, Netlink, YnlFamily  # noqa: E402  (the kernel's YNL library)

    def check(cond, what):
        if not cond:
            print(f"FAIL: {what}")
            sys.exit(1)
        print(f"# {what}: ok")

    # The schema is checked once, here: the spec must be valid netlink-raw YNL.
    ynl = YnlFamily(spec, schema)
    sub = YnlFamily(spec, "")
    sub.ntf_subscribe("kv")

    reply = ynl.do("echo", {"key": "from-ynl"})
    check(reply.get("key") == "from-ynl", f"echo answered {reply}")

    ynl.do("kv-set", {"key": "ynl", "value": b"hi"}, [Netlink.NLM_F_CREATE])
    got = subprocess.run([nlfam, "get", "ynl"], capture_output=True, text=True)
    check(got.returncode == 0 and got.stdout.strip() == "hi",
          f"value set by YNL, read by the nlfam CLI: {got.stdout.strip()!r}")
    reply = ynl.do("kv-get", {"key": "ynl"})
    check(reply.get("value") == b"hi", f"kv-get answered {reply}")

    subprocess.run([nlfam, "set", "another", "x"], check=True)
    entries = ynl.dump("kv-get", {})
    keys = [e.get("key") for e in entries]
    check(keys == ["another", "ynl"], f"dump in key order: {keys}")

    try:
        ynl.do("kv-set", {"key": "ynl", "value": b"\x00"},
               [Netlink.NLM_F_CREATE, Netlink.NLM_F_EXCL])
        check(False, "an exclusive SET of an existing key succeeded")
    except NlError as e:
        check(e.error == errno.EEXIST,
              f"exclusive SET of an existing key refused with {errno.errorcode.get(e.error)}")

    # The spec types stat-subscribers as a nest of one u32 per group: YNL decodes it.
    # The only subscriber is `sub`, on group 1 (kv).
    stats = ynl.do("stats", {})
    check(stats.get("stat-entries") == 2, f"stats counts the 2 entries: {stats}")
    check(stats.get("stat-subscribers") == {"group-1": 1},
          f"stats decodes one subscriber on group 1: {stats.get('stat-subscribers')}")

    # The subscriber joined group "kv" before every write above: it must have their
    # notifications, the last one for "another".
    subprocess.run([nlfam, "set", "watched-by-ynl", "1"], check=True)
    deadline = time.time() + 10
    seen = []
    while time.time() < deadline:
        sub.check_ntf()
        seen = [m["msg"].get("key") for m in sub.async_msg_queue if m["name"] == "kv-set-ntf"]
        if "watched-by-ynl" in seen:
            break
        time.sleep(0.2)
    check(seen == ["ynl", "another", "watched-by-ynl"],
          f"kv-set-ntf notifications received in order: {seen}")


if __name__ == "__main__":
    main()
