//! Checks of the edges of the protocol and of the module's life cycle: dumps abandoned
//! half-way, namespaces torn down under a dump and a running heartbeat, answers lost to a
//! full receive queue, entries and payloads exactly at their limits, several families
//! side by side, and subscriptions through `bind()`'s group mask. Each one is built to
//! fail when the behaviour breaks (see the comment on each).
//!
//! `nlfam-vmtest edge CHECK ARGS... [--family N]`.

use nlfam::proto::errno;
use nlfam::proto::family::msg;
use nlfam::proto::wire::{NLMSG_DONE, NLM_F_DUMP};
use nlfam::{Error, Event, Message, SetMode, Socket};
use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

type Check = Result<(), String>;

fn open(family: u32) -> Result<Socket, String> {
    let s = Socket::open(family).map_err(|e| format!("socket on family {family}: {e}"))?;
    s.set_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    Ok(s)
}

fn ensure(cond: bool, msg: impl FnOnce() -> String) -> Check {
    if cond {
        Ok(())
    } else {
        Err(msg())
    }
}

fn s<T>(r: Result<T, Error>, what: &str) -> Result<T, String> {
    r.map_err(|e| format!("{what}: {e}"))
}

/// Where two byte strings first differ, for a readable failure.
fn first_difference(a: &[u8], b: &[u8]) -> String {
    match a.iter().zip(b).position(|(x, y)| x != y) {
        Some(i) => format!("byte {i} differs ({:#04x} vs {:#04x})", a[i], b[i]),
        None => format!("lengths differ ({} vs {})", a.len(), b.len()),
    }
}

/// The module's reference count (`/sys/module/nlfam/refcnt`): every user socket of its
/// families holds one, and so does every dump in flight.
fn module_refcnt() -> Result<u64, String> {
    let p = "/sys/module/nlfam/refcnt";
    std::fs::read_to_string(p)
        .map_err(|e| format!("{p}: {e}"))?
        .trim()
        .parse()
        .map_err(|e| format!("{p}: {e}"))
}

/// The socket's drop counter (`SO_MEMINFO`, `SK_MEMINFO_DROPS`): the core counts every
/// skb it refused for a full queue.
fn socket_drops(sock: &Socket) -> Result<u32, String> {
    // SK_MEMINFO_VARS: the kernel fills this many u32 counters.
    let mut info = [0u32; libc::SK_MEMINFO_DROPS as usize + 1];
    let mut len = std::mem::size_of_val(&info) as libc::socklen_t;
    // SAFETY: `info` and `len` describe a writable buffer of that many bytes.
    let r = unsafe {
        libc::getsockopt(
            sock.as_fd().as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_MEMINFO,
            info.as_mut_ptr().cast(),
            &mut len,
        )
    };
    ensure(r == 0, || {
        format!("SO_MEMINFO: {}", std::io::Error::last_os_error())
    })?;
    Ok(info[libc::SK_MEMINFO_DROPS as usize])
}

/// Stays until a signal ends the process (the test script kills it).
fn hold_until_killed() -> Check {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Sends a dump request and receives its first part, which must not be the last.
fn first_dump_part(d: &mut Socket) -> Result<Vec<Message>, String> {
    let seq = s(d.send(msg::KV_GET, NLM_F_DUMP, |_| Ok(())), "dump request")?;
    let part: Vec<Message> = s(d.recv_datagram(), "first part of the dump")?
        .messages()
        .map(Message::from)
        .collect();
    ensure(part.iter().all(|m| m.hdr.seq == seq), || {
        "foreign message in the first part".into()
    })?;
    ensure(!part.iter().any(|m| m.hdr.ty == NLMSG_DONE), || {
        format!(
            "the dump fit one datagram ({} messages): no second part to abandon",
            part.len()
        )
    })?;
    Ok(part)
}

/// A dump abandoned half-way: a socket closed after the first part of a dump (its next
/// part already queued), and one closed before reading anything, release the dump: the
/// module's reference count goes back to what it was (it is one higher while the dump
/// runs: a dump that did not pin the module, or a closed one that still does, fails
/// here), and a new dump on a new socket lists all `n` entries intact.
pub fn dump_close(family: u32, n: usize) -> Check {
    let mut w = open(family)?;
    let value = |i: usize| -> Vec<u8> { (0..1024).map(|j| ((i * 7 + j) % 251) as u8).collect() };
    for i in 0..n {
        s(
            w.set(format!("dc-{i:05}").as_bytes(), &value(i), SetMode::Upsert),
            "fill",
        )?;
    }
    let base = module_refcnt()?;
    let mut d = open(family)?;
    ensure(module_refcnt()? == base + 1, || {
        "an open socket does not pin the module".into()
    })?;
    let part = first_dump_part(&mut d)?;
    let during = module_refcnt()?;
    ensure(during == base + 2, || {
        format!(
            "module refcnt {during} while a dump runs on one more socket, want {} (socket + dump)",
            base + 2
        )
    })?;
    drop(d);
    let after = module_refcnt()?;
    ensure(after == base, || {
        format!("module refcnt {after} after closing a socket mid-dump, want {base}: the dump was not released")
    })?;
    eprintln!(
        "# closed after the first part ({} entries): refcnt {base} -> {during} during the dump -> {after}",
        part.len()
    );
    // The dump's first part is queued by the request itself: close without reading it.
    let mut d = open(family)?;
    s(
        d.send(msg::KV_GET, NLM_F_DUMP, |_| Ok(())).map(drop),
        "dump request",
    )?;
    drop(d);
    let after = module_refcnt()?;
    ensure(after == base, || {
        format!(
            "module refcnt {after} after closing a socket whose dump was never read, want {base}"
        )
    })?;
    let mut r = open(family)?;
    let dump = s(r.dump(), "a new dump after the abandoned ones")?;
    ensure(!dump.interrupted, || {
        "new dump flagged NLM_F_DUMP_INTR".into()
    })?;
    ensure(dump.entries.len() == n, || {
        format!("new dump: {} of {n} entries", dump.entries.len())
    })?;
    for (i, (k, v)) in dump.entries.iter().enumerate() {
        ensure(
            *k == format!("dc-{i:05}").into_bytes() && *v == value(i),
            || format!("new dump: entry {i} is wrong"),
        )?;
    }
    eprintln!("# closed before reading: released; a new dump lists all {n} entries");
    Ok(())
}

/// Run inside a network namespace: fills the store with `n` entries, arms the heartbeat
/// at `period` ms and waits for two beats, keeps a reading subscriber, a subscriber with
/// a tiny queue that never reads (it overflows), a KV subscriber and a dump stopped after
/// its first part, prints "ready" and holds all of it until killed. The test script then
/// tears the namespace down by killing this process.
pub fn netns_hold(family: u32, n: usize, period: u32) -> Check {
    let mut w = open(family)?;
    for i in 0..n {
        s(
            w.set(
                format!("ns-{i:05}").as_bytes(),
                &[0x33; 200],
                SetMode::Upsert,
            ),
            "fill",
        )?;
    }
    let mut hb = open(family)?;
    s(hb.add_membership(2), "join the heartbeat group")?;
    let slow = open(family)?;
    s(slow.set_rcvbuf(1), "tiny receive buffer")?;
    s(slow.add_membership(2), "join the heartbeat group")?;
    let kv = open(family)?;
    s(kv.add_membership(1), "join the KV group")?;
    s(w.config(period), &format!("CONFIG {period}"))?;
    let mut beats = 0;
    while beats < 2 {
        let e = s(hb.next_event(), "waiting for heartbeats")?;
        if matches!(e, Event::Heartbeat { .. }) {
            beats += 1;
        }
    }
    let mut d = open(family)?;
    let part = first_dump_part(&mut d)?;
    eprintln!(
        "# in the namespace: {n} entries, heartbeat every {period} ms ({beats} seen), 4 sockets open, a dump stopped after {} entries",
        part.len()
    );
    println!("ready");
    let _keep = (w, hb, slow, kv, d);
    hold_until_killed()
}

/// Answers lost to a full receive queue: `n` echo requests of 2000 bytes, each its own
/// datagram, from a socket with a tiny receive buffer that does not read. The requester's
/// next receive fails with `ENOBUFS`; what it then reads is the first answers, in order;
/// the module's `stat-dropped` grows by exactly the number of answers missing, which is
/// also what the core counted as drops on the socket; once drained the socket works.
pub fn reply_enobufs(family: u32, n: usize) -> Check {
    let mut st = open(family)?;
    let mut r = open(family)?;
    s(r.set_rcvbuf(4096), "SO_RCVBUF")?;
    let before = s(st.stats(), "STATS")?;
    let drops_before = socket_drops(&r)?;
    let payload: Vec<u8> = (0..2000).map(|i| (i % 253) as u8).collect();
    let mut seqs = Vec::new();
    for _ in 0..n {
        seqs.push(s(r.send(msg::ECHO, 0, |w| w.put_bytes(&payload)), "send")?);
    }
    match r
        .try_recv_datagram()
        .map(|d| d.map(|d| d.messages().count()))
    {
        Err(e) if e.errno() == Some(errno::ENOBUFS) => {}
        other => {
            return Err(format!(
                "first receive after {n} unread answers: want ENOBUFS, got {other:?}"
            ))
        }
    }
    let mut got = 0;
    let mut more_enobufs = 0;
    loop {
        let next = r
            .try_recv_datagram()
            .map(|d| d.map(|d| d.messages().map(Message::from).collect::<Vec<_>>()));
        match next {
            Ok(Some(msgs)) => {
                for m in msgs {
                    ensure(got < n && m.hdr.seq == seqs[got], || {
                        format!(
                            "answer {got}: seq {}, want the answers received to be the first ones in order",
                            m.hdr.seq
                        )
                    })?;
                    ensure(m.hdr.ty == msg::ECHO && m.payload == payload, || {
                        format!("answer {got} is not the echo")
                    })?;
                    got += 1;
                }
            }
            Ok(None) => break,
            Err(e) if e.errno() == Some(errno::ENOBUFS) => more_enobufs += 1,
            Err(e) => return Err(format!("draining: {e}")),
        }
    }
    let missing = n - got;
    let drops = socket_drops(&r)? - drops_before;
    let after = s(st.stats(), "STATS")?;
    let dropped = after.dropped - before.dropped;
    eprintln!(
        "# {n} requests: ENOBUFS on receive, {got} answers read, {missing} missing; socket drops {drops}, stat-dropped +{dropped}"
    );
    ensure(missing > 0, || {
        "no answer was lost: the test did not overflow the queue".into()
    })?;
    ensure(u64::from(drops) == missing as u64, || {
        format!("the core counted {drops} drops on the socket, {missing} answers are missing")
    })?;
    ensure(dropped == missing as u64, || {
        format!("stat-dropped grew by {dropped}, {missing} answers were lost")
    })?;
    ensure(more_enobufs == 0, || {
        format!(
            "ENOBUFS reported {} more times while draining",
            more_enobufs
        )
    })?;
    ensure(
        s(r.echo(b"after"), "echo after draining")? == b"after",
        || "echo after draining".into(),
    )?;
    Ok(())
}

/// `n` entries whose keys are exactly `key_len` bytes and values exactly `value_len`
/// bytes come back from a dump complete, in order and byte for byte; one byte more of
/// either is refused with `EMSGSIZE` (so these are the limits in force). An entry of the
/// largest size that did not fit a dump skb ends the dump with an error instead.
pub fn dump_max(family: u32, key_len: usize, value_len: usize, n: usize) -> Check {
    let mut w = open(family)?;
    let key = |i: usize| -> Vec<u8> {
        let mut k = format!("{i:04}").into_bytes();
        k.extend((k.len()..key_len).map(|j| b'!' + ((i + j) % 94) as u8));
        k
    };
    let value = |i: usize| -> Vec<u8> {
        (0..value_len)
            .map(|j| ((j * 131 + i * 7) % 256) as u8)
            .collect()
    };
    for i in 0..n {
        s(
            w.set(&key(i), &value(i), SetMode::Create),
            &format!("entry {i} ({key_len}-byte key, {value_len}-byte value)"),
        )?;
    }
    let mut long_key = key(0);
    long_key.push(b'x');
    match w.set(&long_key, b"v", SetMode::Upsert) {
        Err(Error::Kernel { errno: e, .. }) if e == errno::EMSGSIZE => {}
        other => {
            return Err(format!(
                "a {}-byte key: want EMSGSIZE, got {other:?}",
                key_len + 1
            ))
        }
    }
    match w.set(&key(0), &vec![0; value_len + 1], SetMode::Upsert) {
        Err(Error::Kernel { errno: e, .. }) if e == errno::EMSGSIZE => {}
        other => {
            return Err(format!(
                "a {}-byte value: want EMSGSIZE, got {other:?}",
                value_len + 1
            ))
        }
    }
    let mut r = open(family)?;
    let d = s(r.dump(), "dump of the largest entries")?;
    ensure(!d.interrupted, || "dump flagged NLM_F_DUMP_INTR".into())?;
    ensure(d.entries.len() == n, || {
        format!("dump: {} of {n} entries", d.entries.len())
    })?;
    for (i, (k, v)) in d.entries.iter().enumerate() {
        ensure(*k == key(i), || {
            format!("entry {i}: key {}", first_difference(k, &key(i)))
        })?;
        ensure(*v == value(i), || {
            format!("entry {i}: value {}", first_difference(v, &value(i)))
        })?;
    }
    eprintln!(
        "# {n} entries of {key_len}-byte keys and {value_len}-byte values: dumped byte for byte; one byte more refused"
    );
    Ok(())
}

/// PUBLISH of a payload of exactly `max` bytes is accepted and delivered intact, stamped
/// with the publisher's port id; `max + 1` bytes is refused with `EMSGSIZE`, an extack
/// message and the offset of the PAYLOAD attribute, and nothing reaches the subscriber.
pub fn publish_limit(family: u32, max: usize) -> Check {
    let mut sub = open(family)?;
    s(sub.set_rcvbuf(1 << 20), "SO_RCVBUF")?;
    s(sub.add_membership(9), "join group 9")?;
    let mut p = open(family)?;
    let payload: Vec<u8> = (0..max).map(|i| (i * 37 % 251) as u8).collect();
    s(p.publish(9, &payload), &format!("PUBLISH of {max} bytes"))?;
    let ev = [s(sub.next_event(), "subscriber")?];
    match ev.as_slice() {
        [Event::Publish {
            group: 9,
            payload: got,
            portid,
            ..
        }] => {
            ensure(*got == payload, || {
                format!(
                    "{max}-byte payload delivered: {}",
                    first_difference(got, &payload)
                )
            })?;
            ensure(*portid == p.portid(), || format!("event port {portid}"))?;
        }
        other => return Err(format!("subscriber got {other:?}")),
    }
    let mut over = payload.clone();
    over.push(0xee);
    match p.publish(9, &over) {
        Err(Error::Kernel {
            errno: e,
            msg: Some(m),
            offset,
            ..
        }) if e == errno::EMSGSIZE => {
            // GROUP (8 bytes) sits at 16, right after the header; PAYLOAD at 24.
            ensure(offset == Some(24), || {
                format!("refusal points at offset {offset:?}, want the PAYLOAD attribute at 24")
            })?;
            eprintln!(
                "# {max}-byte payload delivered intact; {} bytes: EMSGSIZE: {m} (offset 24)",
                max + 1
            );
        }
        other => {
            return Err(format!(
                "PUBLISH of {} bytes: want EMSGSIZE with an extack message, got {other:?}",
                max + 1
            ))
        }
    }
    s(p.publish(9, b"after"), "PUBLISH after the refusal")?;
    let ev = [s(sub.next_event(), "subscriber")?];
    ensure(
        matches!(ev.first(), Some(Event::Publish { payload, .. }) if payload == b"after"),
        || format!("after the refused PUBLISH the subscriber got {ev:?}, want the next one"),
    )
}

/// The first event that arrives on `sub`, which must be a PUBLISH of `want` (an event
/// sent before it that should not have arrived would come first).
fn expect_publish(sub: &mut Socket, group: u32, want: &[u8], what: &str) -> Check {
    let ev = [s(sub.next_event(), what)?];
    match ev.first() {
        Some(Event::Publish {
            group: g, payload, ..
        }) if *g == group && payload == want => Ok(()),
        other => Err(format!(
            "{what}: want the PUBLISH of {:?} on group {group} first, got {other:?}",
            String::from_utf8_lossy(want)
        )),
    }
}

fn expect_set(sub: &mut Socket, want_key: &[u8], want_value: &[u8], what: &str) -> Check {
    let ev = [s(sub.next_event(), what)?];
    match ev.first() {
        Some(Event::KvSet { key, value, .. }) if key == want_key && value == want_value => Ok(()),
        other => Err(format!(
            "{what}: want the SET of {:?}={:?} first, got {other:?}",
            String::from_utf8_lossy(want_key),
            String::from_utf8_lossy(want_value)
        )),
    }
}

/// Two families loaded together share nothing: a key set on `a` is not visible on `b`
/// (GET, dump), each keeps its own value for the same key, subscribers of one get no
/// events from the other (KV group and PUBLISH), and STATS are per family (number,
/// entries, subscribers, heartbeat period, and counters that the other's traffic does
/// not move).
pub fn families(a: u32, b: u32) -> Check {
    let mut sa = open(a)?;
    let mut sb = open(b)?;
    let mut suba = open(a)?;
    s(suba.add_membership(1), "join 1")?;
    s(suba.add_membership(5), "join 5")?;
    let mut subb = open(b)?;
    s(subb.add_membership(1), "join 1")?;
    s(subb.add_membership(7), "join 7")?;

    s(sa.set(b"iso", b"from-a", SetMode::Create), "SET on a")?;
    s(sa.set(b"only-a", b"1", SetMode::Create), "SET on a")?;
    match sb.get(b"iso") {
        Err(e) if e.errno() == Some(errno::ENOENT) => {}
        other => {
            return Err(format!(
                "GET on {b} of a key set on {a}: want ENOENT, got {other:?}"
            ))
        }
    }
    s(sb.set(b"iso", b"from-b", SetMode::Create), "SET on b")?;
    ensure(s(sa.get(b"iso"), "GET on a")? == b"from-a", || {
        format!("family {a} sees {b}'s value")
    })?;
    let db = s(sb.dump(), "dump on b")?;
    ensure(
        db.entries == vec![(b"iso".to_vec(), b"from-b".to_vec())],
        || format!("dump on {b}: {:?}, want only its own key", db.entries),
    )?;
    // Events: each subscriber's first event must be its own family's.
    expect_set(
        &mut subb,
        b"iso",
        b"from-b",
        &format!("KV subscriber of {b}"),
    )?;
    expect_set(
        &mut suba,
        b"iso",
        b"from-a",
        &format!("KV subscriber of {a}"),
    )?;
    expect_set(&mut suba, b"only-a", b"1", &format!("KV subscriber of {a}"))?;
    s(sa.publish(7, b"a7"), "PUBLISH on a")?;
    s(sb.publish(7, b"b7"), "PUBLISH on b")?;
    expect_publish(&mut subb, 7, b"b7", &format!("group 7 of {b}"))?;
    s(sb.publish(5, b"b5"), "PUBLISH on b")?;
    s(sa.publish(5, b"a5"), "PUBLISH on a")?;
    expect_publish(&mut suba, 5, b"a5", &format!("group 5 of {a}"))?;
    eprintln!("# keys, values and events stayed in their family");

    // STATS: family b's counters do not move with a's traffic.
    let b1 = s(sb.stats(), "STATS b")?;
    let a1 = s(sa.stats(), "STATS a")?;
    for i in 0..5 {
        s(sa.echo(&[i]), "echo on a")?;
    }
    let _ = sa.get(b"missing");
    s(sa.set(b"only-a", b"2", SetMode::Replace), "SET on a")?;
    s(sa.config(1000), "CONFIG 1000 on a")?;
    let a2 = s(sa.stats(), "STATS a")?;
    let b2 = s(sb.stats(), "STATS b")?;
    ensure(a2.family == a && b2.family == b, || {
        format!("STATS family numbers {} and {}", a2.family, b2.family)
    })?;
    ensure(a2.entries == 2 && b2.entries == 1, || {
        format!(
            "entries: {a} has {}, {b} has {}; want 2 and 1",
            a2.entries, b2.entries
        )
    })?;
    ensure(
        a2.subscribers == vec![(1, 1), (5, 1)] && b2.subscribers == vec![(1, 1), (7, 1)],
        || {
            format!(
                "subscribers: {a} {:?} (want [(1, 1), (5, 1)]), {b} {:?} (want [(1, 1), (7, 1)])",
                a2.subscribers, b2.subscribers
            )
        },
    )?;
    ensure(a2.heartbeat_ms == 1000 && b2.heartbeat_ms == 0, || {
        format!(
            "heartbeat periods {} and {} after CONFIG 1000 on {a} only",
            a2.heartbeat_ms, b2.heartbeat_ms
        )
    })?;
    // a: 5 echoes, GET, SET, CONFIG and this STATS; b: this STATS only.
    ensure(a2.rx == a1.rx + 9 && a2.errors == a1.errors + 1, || {
        format!(
            "{a}: rx {} -> {}, errors {} -> {}; want +9, +1",
            a1.rx, a2.rx, a1.errors, a2.errors
        )
    })?;
    ensure(
        b2.rx == b1.rx + 1
            && b2.tx == b1.tx + 1
            && b2.errors == b1.errors
            && b2.notifications == b1.notifications
            && b2.dropped == b1.dropped,
        || format!("{b}'s counters moved with {a}'s traffic: {b1:?} -> {b2:?}"),
    )?;
    s(sa.config(0), "CONFIG 0 on a")?;
    eprintln!("# STATS per family: {a} {a2:?}; {b} {b2:?}");
    // Leave both stores empty for the next check.
    for k in [&b"iso"[..], b"only-a"] {
        s(sa.del(k), "DEL on a")?;
    }
    s(sb.del(b"iso"), "DEL on b")
}

/// Subscribing through `bind()`'s 32-bit `nl_groups` mask (bit N-1 = group N), as
/// netlink(7) describes, instead of `NETLINK_ADD_MEMBERSHIP`: for every group 3..=32 on
/// its own, PUBLISH to it arrives and PUBLISH to its neighbours does not; a mask of
/// groups 1, 5 and 32 gets exactly their events (KV changes on 1) and shows in STATS;
/// binding again with mask 0 unsubscribes; group 2 brings heartbeats.
pub fn bind_groups(family: u32) -> Check {
    let mut p = open(family)?;
    let mut sub = open(family)?;
    s(sub.set_rcvbuf(1 << 20), "SO_RCVBUF")?;
    for g in 3..=32u32 {
        s(sub.bind_groups(1 << (g - 1)), &format!("bind to group {g}"))?;
        for other in [g - 1, g + 1] {
            if (3..=32).contains(&other) {
                s(p.publish(other, format!("not {g}").as_bytes()), "PUBLISH")?;
            }
        }
        s(p.publish(g, format!("to {g}").as_bytes()), "PUBLISH")?;
        expect_publish(
            &mut sub,
            g,
            format!("to {g}").as_bytes(),
            &format!("bound to group {g} alone"),
        )?;
    }
    eprintln!("# groups 3..32 bound one at a time: each got its own events, not its neighbours'");

    let mask = 1 | 1 << 4 | 1 << 31;
    s(sub.bind_groups(mask), "bind to groups 1, 5, 32")?;
    let st = s(p.stats(), "STATS")?;
    ensure(st.subscribers == vec![(1, 1), (5, 1), (32, 1)], || {
        format!(
            "subscribers after binding mask {mask:#x}: {:?}, want groups 1, 5, 32",
            st.subscribers
        )
    })?;
    for g in [3, 4, 6, 31] {
        s(p.publish(g, b"no"), "PUBLISH")?;
    }
    s(p.publish(5, b"five"), "PUBLISH")?;
    s(p.publish(32, b"thirty-two"), "PUBLISH")?;
    s(p.set(b"bound", b"v", SetMode::Upsert), "SET")?;
    let mut ev = Vec::new();
    while ev.len() < 3 {
        ev.push(s(sub.next_event(), "bound to 1, 5, 32")?);
    }
    let ok = matches!(&ev[..], [
        Event::Publish { group: 5, payload: a, .. },
        Event::Publish { group: 32, payload: b, .. },
        Event::KvSet { key, .. },
    ] if a == b"five" && b == b"thirty-two" && key == b"bound");
    ensure(ok, || {
        format!("bound to groups 1, 5, 32: want five, thirty-two, SET bound; got {ev:?}")
    })?;

    s(sub.bind_groups(0), "bind with mask 0")?;
    let st = s(p.stats(), "STATS")?;
    ensure(st.subscribers.is_empty(), || {
        format!("subscribers after binding mask 0: {:?}", st.subscribers)
    })?;
    s(sub.bind_groups(1 << 1), "bind to group 2")?;
    s(p.publish(5, b"no"), "PUBLISH")?;
    s(p.config(10), "CONFIG 10")?;
    let mut beats = 0;
    while beats < 2 {
        let e = s(sub.next_event(), "bound to group 2")?;
        ensure(matches!(e, Event::Heartbeat { .. }), || {
            format!("bound to group 2 (after mask 0): got {e:?}")
        })?;
        beats += 1;
    }
    s(p.config(0), "CONFIG 0")?;
    eprintln!("# mask 1|5|32: exactly those events, in STATS; mask 0: none; group 2: heartbeats");
    Ok(())
}

/// Loading `ko` with each of `params` (one `name=value` at a time) fails with `EINVAL`
/// or `ERANGE` (a value that does not fit the parameter's type): `finit_module` directly,
/// as starting `insmod` costs seconds under TCG. Prints one line per refusal; the script
/// checks the kernel log names each parameter.
pub fn load_refused(ko: &str, params: &[&str]) -> Check {
    let file = std::fs::File::open(ko).map_err(|e| format!("{ko}: {e}"))?;
    for p in params {
        match crate::unload_race::load(&file, p) {
            Ok(()) => {
                let _ = crate::unload_race::unload("nlfam");
                return Err(format!("{p}: the module loaded"));
            }
            Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ERANGE)) => {
                eprintln!("# {p}: refused: {e}");
            }
            Err(e) => return Err(format!("{p}: want EINVAL or ERANGE, got {e}")),
        }
    }
    Ok(())
}

/// `nlfam-vmtest edge CHECK ARGS... [--family N]`.
pub fn dispatch(args: &[String]) -> Check {
    let (family, rest) = crate::security::family_and_rest(args)?;
    let num = |i: usize| -> Result<usize, String> {
        rest.get(i)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("argument {i} of {rest:?}: want a number"))
    };
    match rest.first().copied() {
        Some("dump-close") => dump_close(family, num(1)?),
        Some("netns-hold") => netns_hold(family, num(1)?, num(2)? as u32),
        Some("reply-enobufs") => reply_enobufs(family, num(1)?),
        Some("dump-max") => dump_max(family, num(1)?, num(2)?, num(3)?),
        Some("publish-limit") => publish_limit(family, num(1)?),
        Some("families") => families(num(1)? as u32, num(2)? as u32),
        Some("bind-groups") => bind_groups(family),
        Some("load-refused") if rest.len() > 2 => load_refused(rest[1], &rest[2..]),
        _ => Err(
            "usage: nlfam-vmtest edge dump-close ENTRIES | netns-hold ENTRIES PERIOD_MS |\n\
             reply-enobufs REQUESTS | dump-max KEY_LEN VALUE_LEN ENTRIES | publish-limit MAX |\n\
             families A B | bind-groups | load-refused KO PARAM=VALUE...  [--family N]"
                .into(),
        ),
    }
}
