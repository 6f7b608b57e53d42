//! `nlfam-vmtest CHECK [--family N]`: one behavioural check of the loaded module per
//! invocation, run by the kselftest-style scripts in `tests/`. Exit 0 = pass, 1 = fail
//! (with the reason on stderr), 2 = usage error.

mod args;
mod edges;
mod failnth;
mod init_window;
mod raw;
mod security;
mod unload_race;

use nlfam::proto::errno;
use nlfam::proto::family::{msg, FAMILY_DEFAULT};
use nlfam::proto::wire::{
    ErrorMsg, NlMsgHdr, NETLINK_CAP_ACK, NETLINK_EXT_ACK, NLMSG_ERROR, NLMSG_HDRLEN, NLM_F_ACK,
    NLM_F_ACK_TLVS, NLM_F_REQUEST,
};
use nlfam::{Error, Message, Socket};
use std::io::Read;
use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::time::Duration;

type Check = Result<(), String>;

const QUIET: Duration = Duration::from_millis(300);

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!($($fmt)+));
        }
    };
}

fn open(family: u32) -> Result<Socket, String> {
    let s = Socket::open(family).map_err(|e| format!("socket on family {family}: {e}"))?;
    s.set_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    Ok(s)
}

fn frame(ty: u16, flags: u16, seq: u32, pid: u32, payload: &[u8]) -> Vec<u8> {
    let hdr = NlMsgHdr {
        len: (NLMSG_HDRLEN + payload.len()) as u32,
        ty,
        flags,
        seq,
        pid,
    };
    let mut v = hdr.to_bytes().to_vec();
    v.extend_from_slice(payload);
    while !v.len().is_multiple_of(4) {
        v.push(0);
    }
    v
}

/// Asserts nothing arrives on `s` for a while.
fn expect_silence(s: &mut Socket, what: &str) -> Check {
    if s.wait_readable(QUIET).map_err(|e| e.to_string())? {
        let got = s.recv().map_err(|e| e.to_string())?;
        return Err(format!("{what}: expected no answer, got {got:?}"));
    }
    Ok(())
}

fn recv(s: &mut Socket) -> Result<Vec<Message>, String> {
    let d = s.recv_datagram().map_err(|e| format!("receive: {e}"))?;
    Ok(d.into_iter().map(Message::from).collect())
}

fn echo_sizes(family: u32) -> Check {
    let mut s = open(family)?;
    for size in [0usize, 1, 64 * 1024] {
        let payload: Vec<u8> = (0..size).map(|i| (i * 7 % 256) as u8).collect();
        let seq = s
            .send(msg::ECHO, 0, |w| w.put_bytes(&payload))
            .map_err(|e| e.to_string())?;
        let msgs = recv(&mut s)?;
        ensure!(
            msgs.len() == 1,
            "{size} B: expected one reply message, got {}",
            msgs.len()
        );
        let m = &msgs[0];
        ensure!(
            m.hdr.ty == msg::ECHO,
            "{size} B: reply type {:#x}, want ECHO",
            m.hdr.ty
        );
        ensure!(
            m.hdr.seq == seq,
            "{size} B: reply seq {} != request seq {seq}",
            m.hdr.seq
        );
        ensure!(
            m.hdr.pid == 0,
            "{size} B: reply from port {}, want the kernel (0)",
            m.hdr.pid
        );
        ensure!(
            m.payload == payload,
            "{size} B: payload differs ({} bytes back)",
            m.payload.len()
        );
        eprintln!("# echo {size} B: identical, seq {seq}");
    }
    expect_silence(&mut s, "after echoes without NLM_F_ACK")
}

fn echo_portid(family: u32) -> Check {
    let mut a = open(family)?;
    let mut b = open(family)?;
    // A claims to be B in the header: the answer must still go to A, the real sender.
    a.send_raw(&frame(msg::ECHO, NLM_F_REQUEST, 77, b.portid(), b"who"))
        .map_err(|e| e.to_string())?;
    let msgs = recv(&mut a)?;
    ensure!(
        msgs.len() == 1 && msgs[0].payload == b"who",
        "sender got {msgs:?}"
    );
    expect_silence(&mut b, "socket named in nlmsg_pid")?;
    eprintln!(
        "# reply went to the sending port {}, not to nlmsg_pid {}",
        a.portid(),
        b.portid()
    );
    Ok(())
}

fn ack(family: u32) -> Check {
    let mut s = open(family)?;
    let seq = s
        .send(msg::ECHO, NLM_F_ACK, |w| w.put_bytes(b"ack me"))
        .map_err(|e| e.to_string())?;
    let mut got = Vec::new();
    while got.len() < 2 {
        got.extend(recv(&mut s)?);
    }
    ensure!(got.len() == 2, "expected echo + ACK, got {got:?}");
    ensure!(
        got[0].hdr.ty == msg::ECHO && got[0].payload == b"ack me",
        "first answer is not the echo: {:?}",
        got[0]
    );
    let a = &got[1];
    ensure!(
        a.hdr.ty == NLMSG_ERROR,
        "second answer type {:#x}, want NLMSG_ERROR",
        a.hdr.ty
    );
    ensure!(a.hdr.seq == seq, "ACK seq {} != {seq}", a.hdr.seq);
    let e = ErrorMsg::parse(&a.payload, a.hdr.flags).ok_or("short ACK")?;
    ensure!(e.error == 0, "ACK carries error {}", e.error);
    ensure!(
        e.request.seq == seq && e.request.ty == msg::ECHO,
        "ACK echoes the wrong request header {:?}",
        e.request
    );
    ensure!(
        e.request.flags & NLM_F_ACK != 0,
        "ACK's copy of the request lacks NLM_F_ACK"
    );
    // A non-request message (no NLM_F_REQUEST) with NLM_F_ACK is skipped, but ACKed.
    s.send_raw(&frame(msg::ECHO, NLM_F_ACK, 99, 0, b"x"))
        .map_err(|e| e.to_string())?;
    let m = recv(&mut s)?;
    ensure!(
        m.len() == 1 && m[0].hdr.ty == NLMSG_ERROR && m[0].hdr.seq == 99,
        "non-request: {m:?}"
    );
    let e = ErrorMsg::parse(&m[0].payload, m[0].hdr.flags).ok_or("short ACK")?;
    ensure!(
        e.error == 0,
        "non-request with NLM_F_ACK answered with error {}",
        e.error
    );
    eprintln!("# echo then ACK (error 0, seq {seq}); non-request ACKed without being handled");
    expect_silence(&mut s, "after the ACK")
}

/// ACKs and errors are the kernel's own format: the same request sent to rtnetlink
/// (answered by the core's `netlink_ack`) and to the family gives the same bytes, but
/// for each socket's port id, with and without `NETLINK_CAP_ACK`.
fn ack_format(family: u32) -> Check {
    let mut ours = open(family)?;
    let mut route = Socket::open(0).map_err(|e| format!("NETLINK_ROUTE socket: {e}"))?;
    // An unaligned payload: the echoed copy must be padded as `nlmsg_append` pads it.
    let cases = [
        (
            "error (EOPNOTSUPP)",
            frame(0x3ff, NLM_F_REQUEST, 500, 0, b"abcde"),
        ),
        (
            "ACK of a non-request",
            frame(0x3ff, NLM_F_ACK, 501, 0, b"abcde"),
        ),
    ];
    for cap in [0, 1] {
        for s in [&ours, &route] {
            s.set_netlink_opt(NETLINK_EXT_ACK, 0)
                .map_err(|e| e.to_string())?;
            s.set_netlink_opt(NETLINK_CAP_ACK, cap)
                .map_err(|e| e.to_string())?;
        }
        for (what, req) in &cases {
            let mut answers = Vec::new();
            for s in [&mut ours, &mut route] {
                s.send_raw(req).map_err(|e| e.to_string())?;
                let portid = s.portid();
                let mut d = s
                    .recv_datagram()
                    .map_err(|e| e.to_string())?
                    .bytes()
                    .to_vec();
                let h = NlMsgHdr::parse(&d).ok_or("short answer")?;
                ensure!(
                    h.pid == portid,
                    "{what}: nlmsg_pid {} is not the requester's port {portid}",
                    h.pid
                );
                d[12..16].fill(0);
                answers.push(d);
            }
            ensure!(
                answers[0] == answers[1],
                "{what}, NETLINK_CAP_ACK={cap}: ours {:?} vs the core's {:?}",
                answers[0],
                answers[1]
            );
            eprintln!(
                "# {what}, NETLINK_CAP_ACK={cap}: {} bytes, identical to rtnetlink's",
                answers[0].len()
            );
        }
    }
    Ok(())
}

fn unknown_type(family: u32) -> Check {
    let mut s = open(family)?;
    let r = s.request(0x7f, 0, |w| w.put_bytes(b"?"));
    match r {
        Err(Error::Kernel { errno: e, msg, .. }) if e == errno::EOPNOTSUPP => {
            ensure!(msg.is_some(), "no extended ACK message with EOPNOTSUPP");
            eprintln!("# type 0x7f -> EOPNOTSUPP: {}", msg.unwrap_or_default());
        }
        other => return Err(format!("type 0x7f: want EOPNOTSUPP, got {other:?}")),
    }
    // Without NLM_F_ACK the error still comes back (errors are always reported).
    s.send_raw(&frame(0x7e, NLM_F_REQUEST, 5, 0, b""))
        .map_err(|e| e.to_string())?;
    let m = recv(&mut s)?;
    let e = m
        .first()
        .and_then(|m| ErrorMsg::parse(&m.payload, m.hdr.flags))
        .ok_or("no error message")?;
    ensure!(
        e.error == -errno::EOPNOTSUPP,
        "without NLM_F_ACK: error {}",
        e.error
    );
    ensure!(
        m[0].hdr.flags & NLM_F_ACK_TLVS != 0,
        "extended ACK TLVs missing though NETLINK_EXT_ACK is set"
    );
    Ok(())
}

fn malformed(family: u32) -> Check {
    let mut s = open(family)?;
    let cases: [(&str, Vec<u8>); 4] = [
        (
            "short header (10 bytes)",
            vec![10, 0, 0, 0, 0x10, 0, 1, 0, 0, 0],
        ),
        ("nlmsg_len beyond the datagram", {
            let mut f = frame(msg::ECHO, NLM_F_REQUEST | NLM_F_ACK, 1, 0, b"abcd");
            f[0..4].copy_from_slice(&1000u32.to_ne_bytes());
            f
        }),
        ("zero nlmsg_len", {
            let mut f = frame(msg::ECHO, NLM_F_REQUEST | NLM_F_ACK, 2, 0, b"abcd");
            f[0..4].copy_from_slice(&0u32.to_ne_bytes());
            f
        }),
        ("nlmsg_len below the header size", {
            let mut f = frame(msg::ECHO, NLM_F_REQUEST | NLM_F_ACK, 3, 0, b"abcd");
            f[0..4].copy_from_slice(&8u32.to_ne_bytes());
            f
        }),
    ];
    for (what, bytes) in cases {
        s.send_raw(&bytes)
            .map_err(|e| format!("{what}: send: {e}"))?;
        // netlink_rcv_skb's convention: a malformed frame ends the datagram silently.
        expect_silence(&mut s, what)?;
        ensure!(
            s.echo(b"still alive").map_err(|e| e.to_string())? == b"still alive",
            "{what}: echo after it failed"
        );
        eprintln!("# {what}: no answer, socket still works");
    }
    // A good message followed by garbage: the good one is answered, the rest dropped.
    let mut d = frame(msg::ECHO, NLM_F_REQUEST, 10, 0, b"good");
    d.extend_from_slice(&[0xff; 7]);
    s.send_raw(&d).map_err(|e| e.to_string())?;
    let m = recv(&mut s)?;
    ensure!(
        m.len() == 1 && m[0].payload == b"good",
        "good-then-garbage: {m:?}"
    );
    expect_silence(&mut s, "garbage after a good message")
}

fn batch(family: u32) -> Check {
    let mut s = open(family)?;
    let mut d = Vec::new();
    for i in 0..64u32 {
        d.extend(frame(
            msg::ECHO,
            NLM_F_REQUEST | NLM_F_ACK,
            1000 + i,
            0,
            &i.to_ne_bytes(),
        ));
    }
    s.send_raw(&d).map_err(|e| e.to_string())?;
    let (mut got, mut datagrams) = (Vec::new(), 0);
    while got.len() < 128 {
        got.extend(recv(&mut s)?);
        datagrams += 1;
    }
    for (i, pair) in got.chunks(2).enumerate() {
        let seq = 1000 + i as u32;
        ensure!(
            pair[0].hdr.ty == msg::ECHO
                && pair[0].hdr.seq == seq
                && pair[0].payload == (i as u32).to_ne_bytes()
                && pair[1].hdr.ty == NLMSG_ERROR
                && pair[1].hdr.seq == seq,
            "answers to request {i} out of order: {pair:?}"
        );
    }
    // The answers to one datagram, ACKs included, are coalesced into skbs sized for the
    // whole batch.
    ensure!(
        datagrams == 1,
        "64 echoes and their ACKs came in {datagrams} datagrams, expected 1"
    );
    eprintln!(
        "# 64 requests with NLM_F_ACK in one datagram: 128 answers in order, in one datagram"
    );
    expect_silence(&mut s, "after the batch")?;

    // An ACK or an error in the middle of a batch comes after the answers before it
    // and before the answers after it.
    let mut d = frame(msg::ECHO, NLM_F_REQUEST, 1, 0, b"a");
    d.extend(frame(msg::ECHO, NLM_F_REQUEST | NLM_F_ACK, 2, 0, b"b"));
    d.extend(frame(0x7f, NLM_F_REQUEST, 3, 0, &[]));
    d.extend(frame(msg::ECHO, NLM_F_REQUEST, 4, 0, b"d"));
    s.send_raw(&d).map_err(|e| e.to_string())?;
    let mut got = Vec::new();
    while got.len() < 5 {
        got.extend(recv(&mut s)?);
    }
    let order: Vec<(u16, u32)> = got.iter().map(|m| (m.hdr.ty, m.hdr.seq)).collect();
    let want = [
        (msg::ECHO, 1),
        (msg::ECHO, 2),
        (NLMSG_ERROR, 2),
        (NLMSG_ERROR, 3),
        (msg::ECHO, 4),
    ];
    ensure!(
        order == want,
        "mixed batch answered as {order:?}, expected {want:?}"
    );
    eprintln!("# answers, ACK and error of a mixed batch keep the request order");
    expect_silence(&mut s, "after the mixed batch")
}

/// errno, extack message, offset, missing attribute type.
type KernelErr = (i32, Option<String>, Option<u32>, Option<u32>);

fn kernel_err(r: Result<Vec<Message>, Error>) -> Result<KernelErr, String> {
    match r {
        Err(Error::Kernel {
            errno,
            msg,
            offset,
            missing,
        }) => Ok((errno, msg, offset, missing)),
        other => Err(format!("want a kernel error, got {other:?}")),
    }
}

fn expect_errno<T: std::fmt::Debug>(what: &str, r: Result<T, Error>, want: i32) -> Check {
    match r {
        Err(e) if e.errno() == Some(want) => {
            eprintln!("# {what}: {e}");
            Ok(())
        }
        other => Err(format!(
            "{what}: want {}, got {other:?}",
            errno::name(want).unwrap_or("?")
        )),
    }
}

fn kv(family: u32) -> Check {
    use nlfam::proto::family::attr;
    use nlfam::proto::wire::{NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE};
    use nlfam::SetMode;
    let mut s = open(family)?;
    let e = |r: Result<(), Error>| r.map_err(|e| e.to_string());
    e(s.set(b"alpha", b"1", SetMode::Create))?;
    ensure!(
        s.get(b"alpha").map_err(|e| e.to_string())? == b"1",
        "get after create"
    );
    expect_errno(
        "create existing (CREATE|EXCL)",
        s.set(b"alpha", b"2", SetMode::Create),
        errno::EEXIST,
    )?;
    expect_errno(
        "replace missing (REPLACE)",
        s.set(b"beta", b"2", SetMode::Replace),
        errno::ENOENT,
    )?;
    let r = s.request(msg::KV_SET, 0, |w| {
        w.put_str(attr::KEY, b"alpha")?;
        w.put_attr(attr::VALUE, b"x")
    });
    expect_errno("existing key without NLM_F_REPLACE", r, errno::EEXIST)?;
    let r = s.request(msg::KV_SET, 0, |w| {
        w.put_str(attr::KEY, b"gamma")?;
        w.put_attr(attr::VALUE, b"x")
    });
    expect_errno("missing key without NLM_F_CREATE", r, errno::ENOENT)?;
    let r = s.request(
        msg::KV_SET,
        NLM_F_CREATE | NLM_F_EXCL | NLM_F_REPLACE,
        |w| {
            w.put_str(attr::KEY, b"alpha")?;
            w.put_attr(attr::VALUE, b"x")
        },
    );
    expect_errno("EXCL wins over REPLACE", r, errno::EEXIST)?;
    e(s.set(b"alpha", b"3", SetMode::Replace))?;
    ensure!(
        s.get(b"alpha").map_err(|e| e.to_string())? == b"3",
        "get after replace"
    );
    e(s.set(b"alpha", b"4", SetMode::Upsert))?;
    e(s.set(b"beta", b"", SetMode::Upsert))?;
    ensure!(
        s.get(b"beta").map_err(|e| e.to_string())?.is_empty(),
        "empty value"
    );
    e(s.del(b"alpha"))?;
    expect_errno("get deleted", s.get(b"alpha"), errno::ENOENT)?;
    expect_errno("del missing", s.del(b"alpha"), errno::ENOENT)?;
    e(s.del(b"beta"))?;

    // Extended ACK: the offset points at the offending attribute.
    let (en, msg_, off, _) = kernel_err(s.request(msg::KV_SET, NLM_F_CREATE, |w| {
        w.put_str(attr::KEY, b"k")?; // at 16, 8 bytes
        w.put_u32(attr::GROUP, 1)?; // at 24: not allowed in SET
        w.put_attr(attr::VALUE, b"v")
    }))?;
    ensure!(
        en == errno::EINVAL && off == Some(24),
        "unknown attribute: errno {en} offset {off:?} ({msg_:?})"
    );
    eprintln!(
        "# unknown attribute in SET: EINVAL at offset 24: {}",
        msg_.unwrap_or_default()
    );
    let (en, _, off, _) = kernel_err(s.request(msg::KV_SET, NLM_F_CREATE, |w| {
        w.put_str(attr::KEY, b"k")?;
        w.put_attr(attr::VALUE, b"v")?; // at 24
        w.put_u16(attr::KEY, 1) // at 32: duplicate key attribute
    }))?;
    ensure!(
        en == errno::EINVAL && off == Some(32),
        "bad KEY: errno {en} offset {off:?}"
    );
    let long_key = vec![b'k'; 257];
    let (en, m, off, _) = kernel_err(s.request(msg::KV_SET, NLM_F_CREATE, |w| {
        w.put_attr(attr::VALUE, b"v")?; // at 16
        w.put_str(attr::KEY, &long_key) // at 24
    }))?;
    ensure!(
        en == errno::EMSGSIZE && off == Some(24),
        "long key: errno {en} offset {off:?} {m:?}"
    );
    ensure!(
        m.as_deref().is_some_and(|m| m.contains("max_key_len")),
        "long key message names the limit: {m:?}"
    );
    eprintln!(
        "# 257-byte key: EMSGSIZE at offset 24: {}",
        m.unwrap_or_default()
    );
    let big = vec![0u8; 4097];
    let (en, m, _, _) = kernel_err(s.request(msg::KV_SET, NLM_F_CREATE, |w| {
        w.put_str(attr::KEY, b"k")?;
        w.put_attr(attr::VALUE, &big)
    }))?;
    ensure!(
        en == errno::EMSGSIZE && m.as_deref().is_some_and(|m| m.contains("max_value_len")),
        "big value: {en} {m:?}"
    );
    let (en, _, _, missing) =
        kernel_err(s.request(msg::KV_SET, NLM_F_CREATE, |w| w.put_attr(attr::VALUE, b"v")))?;
    ensure!(
        en == errno::EINVAL && missing == Some(attr::KEY as u32),
        "missing KEY: errno {en} missing {missing:?}"
    );
    eprintln!(
        "# SET without KEY: EINVAL, missing attribute type {}",
        attr::KEY
    );
    declared_checks(&mut s)?;
    let d = s.dump().map_err(|e| e.to_string())?;
    ensure!(
        d.entries.is_empty(),
        "store not empty after the test: {:?}",
        d.entries
    );
    Ok(())
}

/// The checks the protocol's declaration (`family::OPS`) promises, in its order
/// (permission, policy, required attributes, then the handler's own): every request type
/// sent without attributes names its first required one, with the declaration's message;
/// a missing attribute is reported before the handler's range and length checks; a
/// request of the kernel-only HEARTBEAT type is EOPNOTSUPP.
fn declared_checks(s: &mut nlfam::Socket) -> Check {
    use nlfam::proto::family::{attr, OPS};
    use nlfam::proto::wire::NLM_F_CREATE;
    for op in OPS.iter().filter(|o| !o.required.is_empty()) {
        let (ty, why) = op.required[0];
        let (en, m, _, missing) = kernel_err(s.request(op.ty, 0, |_| Ok(())))?;
        ensure!(
            en == errno::EINVAL && missing == Some(u32::from(ty)) && m.as_deref() == Some(why),
            "{:#x} without attributes: errno {en}, missing {missing:?}, {m:?}; want EINVAL, {ty}, {why:?}",
            op.ty
        );
    }
    eprintln!(
        "# every request type without attributes: EINVAL naming its first required attribute"
    );
    let long_key = vec![b'k'; 300];
    let (en, _, _, missing) = kernel_err(s.request(msg::KV_SET, NLM_F_CREATE, |w| {
        w.put_str(attr::KEY, &long_key)
    }))?;
    ensure!(
        en == errno::EINVAL && missing == Some(u32::from(attr::VALUE)),
        "over-long KEY without VALUE: errno {en} missing {missing:?}; want EINVAL, VALUE missing first"
    );
    let (en, _, _, missing) =
        kernel_err(s.request(msg::PUBLISH, 0, |w| w.put_u32(attr::GROUP, 1)))?;
    ensure!(
        en == errno::EINVAL && missing == Some(u32::from(attr::PAYLOAD)),
        "PUBLISH to group 1 without PAYLOAD: errno {en} missing {missing:?}; want EINVAL, PAYLOAD missing first"
    );
    eprintln!("# a missing attribute is reported before the handler's range and length checks");
    let (en, _, _, _) = kernel_err(s.request(msg::HEARTBEAT, 0, |_| Ok(())))?;
    ensure!(
        en == errno::EOPNOTSUPP,
        "a HEARTBEAT request: errno {en}, want EOPNOTSUPP"
    );
    eprintln!("# a HEARTBEAT request: EOPNOTSUPP");
    Ok(())
}

fn dump(family: u32, n: usize) -> Check {
    use nlfam::SetMode;
    let mut s = open(family)?;
    // Insert in a scrambled order; the dump must come back sorted.
    let keys: Vec<String> = (0..n)
        .map(|i| format!("key-{:08}", (i * 7919) % n))
        .collect();
    for k in &keys {
        s.set(
            k.as_bytes(),
            format!("value of {k}").as_bytes(),
            SetMode::Create,
        )
        .map_err(|e| format!("set {k}: {e}"))?;
    }
    let d = s.dump().map_err(|e| e.to_string())?;
    ensure!(
        d.entries.len() == n,
        "dump returned {} of {n} entries",
        d.entries.len()
    );
    ensure!(
        !d.interrupted,
        "dump flagged NLM_F_DUMP_INTR without concurrent writes"
    );
    for (i, (k, v)) in d.entries.iter().enumerate() {
        let want = format!("key-{i:08}");
        ensure!(
            k == want.as_bytes(),
            "entry {i}: key {:?}, want {want}",
            String::from_utf8_lossy(k)
        );
        ensure!(
            v == format!("value of {want}").as_bytes(),
            "entry {i}: wrong value"
        );
    }
    eprintln!("# dump of {n} entries: complete and in key order");
    Ok(())
}

/// Keys built to stress the store's ordering: lengths 1 to 30 (inline and heap keys, on
/// both sides of the first eight bytes, which the store compares as one number) over
/// bytes 0x01, 0x7f, 0x80 and 0xff, so that many share prefixes and a signed, a
/// little-endian or a wrongly padded comparison would misplace some. The dump must list
/// them in bytewise order, and GET must find each one.
fn dump_order(family: u32) -> Check {
    use nlfam::SetMode;
    let mut s = open(family)?;
    let (alphabet, mut rng) = ([0x01u8, 0x7f, 0x80, 0xff], 0x2545_f491_4f6c_dd1du64);
    let mut keys = std::collections::BTreeSet::new();
    while keys.len() < 600 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let len = 1 + (rng % 30) as usize;
        let key: Vec<u8> = (0..len)
            .map(|i| alphabet[(rng >> (8 + 2 * (i % 24))) as usize & 3])
            .collect();
        // Its prefixes too: a shorter key whose bytes begin a longer one sorts first.
        keys.extend((1..=len).step_by(7).map(|n| key[..n].to_vec()));
        keys.insert(key);
    }
    for k in keys.iter().rev() {
        s.set(k, k, SetMode::Create)
            .map_err(|e| format!("set {k:02x?}: {e}"))?;
    }
    let d = s.dump().map_err(|e| e.to_string())?;
    let got: Vec<&[u8]> = d.entries.iter().map(|(k, _)| k.as_slice()).collect();
    let want: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
    if let Some(i) = (0..want.len()).find(|&i| got.get(i) != want.get(i)) {
        return Err(format!(
            "dump entry {i}: key {:02x?}, want {:02x?}",
            got.get(i),
            want[i]
        ));
    }
    ensure!(
        got.len() == want.len(),
        "dump of {} entries, {} stored",
        got.len(),
        want.len()
    );
    for k in &keys {
        let v = s.get(k).map_err(|e| format!("get {k:02x?}: {e}"))?;
        ensure!(&v == k, "get {k:02x?}: value {v:02x?}");
    }
    eprintln!(
        "# {} keys of 1-30 bytes sharing prefixes: dumped in bytewise order, each found by GET",
        keys.len()
    );
    Ok(())
}

fn dump_intr(family: u32) -> Check {
    use nlfam::proto::wire::{NLMSG_DONE, NLM_F_DUMP, NLM_F_DUMP_INTR};
    use nlfam::SetMode;
    let mut s = open(family)?;
    let mut w = open(family)?;
    for i in 0..3000 {
        w.set(format!("k{i:05}").as_bytes(), &[0u8; 64], SetMode::Upsert)
            .map_err(|e| e.to_string())?;
    }
    let seq = s
        .send(msg::KV_GET, NLM_F_DUMP, |_| Ok(()))
        .map_err(|e| e.to_string())?;
    let first = recv(&mut s)?;
    ensure!(
        first.iter().all(|m| m.hdr.seq == seq),
        "first dump datagram has foreign messages"
    );
    // Change the store while the dump is between two recvmsg calls.
    w.set(b"k00000-new", b"x", SetMode::Upsert)
        .map_err(|e| e.to_string())?;
    let (mut intr, mut entries, mut done) = (false, first.len(), false);
    while !done {
        for m in recv(&mut s)? {
            intr |= m.hdr.flags & NLM_F_DUMP_INTR != 0;
            if m.hdr.ty == NLMSG_DONE {
                done = true;
            } else {
                entries += 1;
            }
        }
    }
    ensure!(
        intr,
        "a dump interrupted by a write did not carry NLM_F_DUMP_INTR ({entries} entries)"
    );
    eprintln!("# write during a dump: NLM_F_DUMP_INTR set ({entries} entries)");
    // A fresh dump is consistent again.
    let d = s.dump().map_err(|e| e.to_string())?;
    ensure!(
        !d.interrupted && d.entries.len() == 3001,
        "re-dump: {} entries, interrupted {}",
        d.entries.len(),
        d.interrupted
    );
    Ok(())
}

fn notify(family: u32) -> Check {
    use nlfam::proto::family::group;
    use nlfam::{Event, SetMode};
    let mut sub = open(family)?;
    sub.add_membership(group::KV).map_err(|e| e.to_string())?;
    let mut w = open(family)?;
    let seq_before = w.next_seq();
    w.set(b"n1", b"v1", SetMode::Upsert)
        .map_err(|e| e.to_string())?;
    w.del(b"n1").map_err(|e| e.to_string())?;
    let mut ev = Vec::new();
    while ev.len() < 2 {
        ev.push(sub.next_event().map_err(|e| e.to_string())?);
    }
    match &ev[0] {
        Event::KvSet {
            key,
            value,
            portid,
            seq,
        } => {
            ensure!(
                key == b"n1" && value == b"v1",
                "set event content: {:?}",
                ev[0]
            );
            ensure!(
                *portid == w.portid(),
                "set event port {portid}, want the writer's {}",
                w.portid()
            );
            ensure!(
                *seq == seq_before + 1,
                "set event seq {seq}, want {}",
                seq_before + 1
            );
        }
        other => return Err(format!("first event: {other:?}")),
    }
    match &ev[1] {
        Event::KvDel { key, portid, seq } => {
            ensure!(
                key == b"n1" && *portid == w.portid() && *seq == seq_before + 2,
                "del event: {:?}",
                ev[1]
            )
        }
        other => return Err(format!("second event: {other:?}")),
    }
    // A failed write notifies nobody.
    let _ = w.del(b"n1");
    expect_silence(&mut sub, "after a failed DEL")?;
    eprintln!(
        "# set and del notified with the writer's port {} and sequence numbers",
        w.portid()
    );
    Ok(())
}

fn publish(family: u32) -> Check {
    use nlfam::Event;
    let mut sub = open(family)?;
    sub.add_membership(5).map_err(|e| e.to_string())?;
    let mut other = open(family)?;
    other.add_membership(6).map_err(|e| e.to_string())?;
    let mut p = open(family)?;
    let t0 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    p.publish(5, b"to five").map_err(|e| e.to_string())?;
    let ev = [sub.next_event().map_err(|e| e.to_string())?];
    match ev.first() {
        Some(Event::Publish {
            group,
            payload,
            portid,
            uid,
            timestamp_ns,
        }) => {
            ensure!(*group == 5 && payload == b"to five", "event: {:?}", ev[0]);
            ensure!(
                *portid == p.portid(),
                "publisher port {portid}, want {}",
                p.portid()
            );
            ensure!(*uid == 0, "publisher uid {uid}, want 0");
            ensure!(
                *timestamp_ns >= t0.saturating_sub(1_000_000_000),
                "timestamp {timestamp_ns} before {t0}"
            );
        }
        other => return Err(format!("subscriber of group 5 got {other:?}")),
    }
    expect_silence(&mut other, "subscriber of group 6")?;
    for g in [1u32, 2, 0, 33] {
        expect_errno(
            &format!("publish to group {g}"),
            p.publish(g, b"x"),
            errno::ERANGE,
        )?;
    }
    p.publish(7, b"nobody listens")
        .map_err(|e| format!("publish without listeners: {e}"))?;
    Ok(())
}

fn stats(family: u32) -> Check {
    let mut s = open(family)?;
    let a = s.stats().map_err(|e| e.to_string())?;
    s.echo(b"x").map_err(|e| e.to_string())?;
    let _ = s.get(b"does-not-exist");
    let b = s.stats().map_err(|e| e.to_string())?;
    ensure!(b.family == family, "stats family {}", b.family);
    ensure!(
        b.rx == a.rx + 3,
        "rx {} -> {}: want +3 (stats, echo, get)",
        a.rx,
        b.rx
    );
    ensure!(
        b.errors == a.errors + 1,
        "errors {} -> {}: want +1",
        a.errors,
        b.errors
    );
    ensure!(
        b.tx >= a.tx + 2,
        "tx {} -> {}: want at least +2",
        a.tx,
        b.tx
    );
    eprintln!("# stats: {b:?}");

    // Subscribers are counted per socket: two on group 5 (one joined twice), one on 6;
    // a socket that closes no longer counts.
    let join = |groups: &[u32]| -> Result<Socket, String> {
        let s = open(family)?;
        for g in groups {
            s.add_membership(*g).map_err(|e| format!("join {g}: {e}"))?;
        }
        Ok(s)
    };
    let one = join(&[5, 5, 6])?;
    let two = join(&[5])?;
    let c = s.stats().map_err(|e| e.to_string())?;
    ensure!(
        c.subscribers.contains(&(5, 2)) && c.subscribers.contains(&(6, 1)),
        "subscribers {:?}: want group 5: 2, group 6: 1",
        c.subscribers
    );
    drop(two);
    let d = s.stats().map_err(|e| e.to_string())?;
    ensure!(
        d.subscribers.contains(&(5, 1)) && d.subscribers.contains(&(6, 1)),
        "subscribers after a close {:?}: want group 5: 1, group 6: 1",
        d.subscribers
    );
    drop(one);
    eprintln!(
        "# subscriber counts: {:?}, after a close {:?}",
        c.subscribers, d.subscribers
    );
    unbound_subscriber(&mut s, family)
}

/// The count says who receives: a socket that joins a group without being bound (port id
/// 0) gets no event, since the core skips port id 0 in the module's multicasts (sent from
/// port 0); it must not be counted. Once bound it must be, and receive.
fn unbound_subscriber(s: &mut Socket, family: u32) -> Check {
    const GROUP: u32 = 7;
    let count = |s: &mut Socket| -> Result<u32, String> {
        let st = s.stats().map_err(|e| e.to_string())?;
        Ok(st
            .subscribers
            .iter()
            .find(|(g, _)| *g == GROUP)
            .map_or(0, |(_, n)| *n))
    };
    let fd = raw::socket(family).map_err(|e| format!("socket: {e}"))?;
    let fd = fd.as_raw_fd();
    raw::set_opt(fd, libc::SOL_NETLINK, libc::NETLINK_ADD_MEMBERSHIP, GROUP)
        .map_err(|e| format!("join {GROUP} unbound: {e}"))?;
    let mut buf = [0u8; 4096];
    let unbound = count(s)?;
    s.publish(GROUP, b"to nobody").map_err(|e| e.to_string())?;
    let got = raw::recv(fd, &mut buf, libc::MSG_DONTWAIT);
    ensure!(
        matches!(&got, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "an unbound member of group {GROUP} received an event: {got:?}"
    );
    ensure!(
        unbound == 0,
        "an unbound member of group {GROUP}, which receives nothing, is counted: {unbound}"
    );
    // `bind()` sets the membership to its mask: keep the group.
    raw::bind(fd, 0, 1 << (GROUP - 1)).map_err(|e| format!("bind: {e}"))?;
    let bound = count(s)?;
    s.publish(GROUP, b"to the member")
        .map_err(|e| e.to_string())?;
    let got = raw::recv(fd, &mut buf, libc::MSG_DONTWAIT);
    ensure!(
        got.is_ok(),
        "the bound member of group {GROUP} received nothing: {got:?}"
    );
    ensure!(
        bound == 1,
        "the bound member of group {GROUP} is counted {bound} times, want 1"
    );
    eprintln!("# group {GROUP}: unbound member counted {unbound}, once bound {bound}");
    Ok(())
}

/// What an unprivileged user may do: echo always; reading and subscribing only when the
/// module opened them (`open`); writing never.
fn unprivileged(family: u32, open_read: bool) -> Check {
    use nlfam::SetMode;
    let mut s = open(family)?;
    ensure!(
        s.echo(b"x").map_err(|e| e.to_string())? == b"x",
        "echo as an unprivileged user"
    );
    // Writes are refused by the module itself, which says why in the extended ACK.
    let admin = "CAP_NET_ADMIN is required";
    expect_err_msg(
        "set",
        s.set(b"k", b"v", SetMode::Upsert),
        errno::EPERM,
        admin,
    )?;
    expect_err_msg("del", s.del(b"k"), errno::EPERM, admin)?;
    expect_err_msg("publish", s.publish(5, b"x"), errno::EPERM, admin)?;
    expect_err_msg("config", s.config(0).map(drop), errno::EPERM, admin)?;
    if open_read {
        expect_errno("get (nonroot=1)", s.get(b"k"), errno::ENOENT)?;
        s.dump().map_err(|e| format!("dump with nonroot=1: {e}"))?;
        s.stats()
            .map_err(|e| format!("stats with nonroot=1: {e}"))?;
        s.add_membership(1)
            .map_err(|e| format!("subscribe with nonroot=1: {e}"))?;
    } else {
        expect_err_msg("get", s.get(b"k").map(drop), errno::EPERM, admin)?;
        expect_err_msg("dump", s.dump().map(drop), errno::EPERM, admin)?;
        expect_err_msg("stats", s.stats().map(drop), errno::EPERM, admin)?;
        // The netlink core refuses the subscription in setsockopt(): an errno, no ACK.
        expect_errno("subscribe", s.add_membership(1), errno::EPERM)?;
    }
    Ok(())
}

/// `what` fails with `want` and an extended-ACK message containing `text`.
fn expect_err_msg(what: &str, r: Result<(), Error>, want: i32, text: &str) -> Check {
    match r {
        Err(Error::Kernel {
            errno: e,
            msg: Some(m),
            ..
        }) if e == want && m.contains(text) => {
            eprintln!("# {what}: {}: {m}", errno::name(e).unwrap_or("?"));
            Ok(())
        }
        other => Err(format!(
            "{what}: want {} with an extack message containing \"{text}\", got {other:?}",
            errno::name(want).unwrap_or("?")
        )),
    }
}

/// With `max_entries=3 max_key_len=8 max_value_len=16`: keys and values exactly at their
/// limit are accepted, one byte over is refused with EMSGSIZE naming the limit, the
/// fourth key fails with ENOSPC naming max_entries.
fn limits(family: u32) -> Check {
    use nlfam::SetMode;
    let mut s = open(family)?;
    let (key8, value16) = (b"12345678", [7u8; 16]);
    s.set(key8, &value16, SetMode::Create)
        .map_err(|e| format!("8-byte key with a 16-byte value (at the limits): {e}"))?;
    ensure!(
        s.get(key8).map_err(|e| e.to_string())? == value16,
        "8-byte key read back with a different value"
    );
    eprintln!("# 8-byte key, 16-byte value (exactly at the limits): accepted");
    for k in ["a", "b"] {
        s.set(k.as_bytes(), b"v", SetMode::Create)
            .map_err(|e| e.to_string())?;
    }
    expect_err_msg(
        "fourth entry",
        s.set(b"d", b"v", SetMode::Create),
        errno::ENOSPC,
        "max_entries",
    )?;
    s.set(b"a", &value16, SetMode::Replace)
        .map_err(|e| format!("replace with a 16-byte value in a full store: {e}"))?;
    expect_err_msg(
        "9-byte key",
        s.set(b"123456789", b"v", SetMode::Upsert),
        errno::EMSGSIZE,
        "max_key_len",
    )?;
    expect_err_msg(
        "17-byte value",
        s.set(b"a", &[1u8; 17], SetMode::Upsert),
        errno::EMSGSIZE,
        "max_value_len",
    )?;
    expect_errno(
        "replace of a missing key",
        s.set(b"zz", b"v", SetMode::Replace),
        errno::ENOENT,
    )?;
    ensure!(
        s.get(b"a").map_err(|e| e.to_string())? == value16,
        "a refused request changed an entry"
    );
    Ok(())
}

/// Tries one operation and prints "ok" when the permission check passed (including
/// ENOENT: the request got past it) or the errno name it failed with.
fn try_op(family: u32, op: &str) -> Check {
    use nlfam::SetMode;
    let mut s = match Socket::open(family) {
        Ok(s) => s,
        Err(e) => {
            println!("{}", e.errno_name().unwrap_or("error"));
            return Ok(());
        }
    };
    s.set_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    let r: Result<(), Error> = match op {
        "echo" => s.echo(b"x").map(drop),
        "set" => s.set(b"matrix", b"v", SetMode::Upsert),
        "get" => s.get(b"matrix").map(drop),
        "del" => s.del(b"matrix"),
        "dump" => s.dump().map(drop),
        "publish" => s.publish(5, b"x"),
        "stats" => s.stats().map(drop),
        "config" => s.config(0).map(drop),
        "subscribe" => s.add_membership(1),
        _ => return Err(format!("unknown operation {op}")),
    };
    match r {
        Ok(()) => println!("ok"),
        Err(e) if e.errno() == Some(errno::ENOENT) => println!("ok"),
        Err(e) => println!("{}", e.errno_name().unwrap_or("error")),
    }
    Ok(())
}

/// N writer threads (disjoint keys, random SET/DEL, each with its own model) and readers
/// (GET and dumps) at once; afterwards the store is exactly the union of the models.
fn stress_kv(family: u32) -> Check {
    use nlfam::SetMode;
    use std::collections::BTreeMap;
    const WRITERS: u32 = 4;
    const OPS: u32 = 3000;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|r| {
            let stop = stop.clone();
            std::thread::spawn(move || -> Result<u64, String> {
                let mut s = open(family)?;
                let mut n = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    if r == 0 {
                        s.dump().map_err(|e| format!("reader dump: {e}"))?;
                    } else {
                        match s.get(format!("w0-k{}", n % 50).as_bytes()) {
                            Ok(_) => {}
                            Err(e) if e.errno() == Some(errno::ENOENT) => {}
                            Err(e) => return Err(format!("reader get: {e}")),
                        }
                    }
                    n += 1;
                }
                Ok(n)
            })
        })
        .collect();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            std::thread::spawn(move || -> Result<BTreeMap<Vec<u8>, Vec<u8>>, String> {
                let mut s = open(family)?;
                let mut model = BTreeMap::new();
                let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ u64::from(w);
                for i in 0..OPS {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let key = format!("w{w}-k{}", x % 50).into_bytes();
                    if x.is_multiple_of(3) {
                        match s.del(&key) {
                            Ok(()) => {
                                model.remove(&key).ok_or(format!(
                                    "writer {w}: DEL of {key:?} succeeded but the model lacks it"
                                ))?;
                            }
                            Err(e) if e.errno() == Some(errno::ENOENT) => {
                                if model.contains_key(&key) {
                                    return Err(format!(
                                        "writer {w}: DEL said ENOENT for a key it set"
                                    ));
                                }
                            }
                            Err(e) => return Err(format!("writer {w} del: {e}")),
                        }
                    } else {
                        let value = format!("{w}-{i}").into_bytes();
                        s.set(&key, &value, SetMode::Upsert)
                            .map_err(|e| format!("writer {w} set: {e}"))?;
                        model.insert(key, value);
                    }
                }
                Ok(model)
            })
        })
        .collect();
    let mut union = std::collections::BTreeMap::new();
    for w in writers {
        union.extend(w.join().map_err(|_| "writer panicked")??);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut reads = 0;
    for r in readers {
        reads += r.join().map_err(|_| "reader panicked")??;
    }
    let mut s = open(family)?;
    let d = s.dump().map_err(|e| e.to_string())?;
    let store: std::collections::BTreeMap<_, _> = d.entries.into_iter().collect();
    ensure!(
        store == union,
        "store ({} keys) differs from the writers' models ({} keys)",
        store.len(),
        union.len()
    );
    eprintln!(
        "# {WRITERS} writers x {OPS} ops, {reads} concurrent reads: store = models ({} keys)",
        store.len()
    );
    Ok(())
}

/// A slow subscriber (tiny receive buffer, not reading) overflows with ENOBUFS while a
/// fast one gets every notification and the writer never fails; the slow one resyncs
/// with a dump.
fn flood(family: u32) -> Check {
    use nlfam::{Event, SetMode};
    const N: usize = 2000;
    let mut slow = open(family)?;
    slow.set_rcvbuf(4096).map_err(|e| e.to_string())?;
    // Ask the kernel to report failed deliveries to this socket back to the sender, so
    // the family can count them (without it the netlink core drops silently).
    slow.set_netlink_opt(nlfam::proto::wire::NETLINK_BROADCAST_ERROR, 1)
        .map_err(|e| e.to_string())?;
    slow.add_membership(1).map_err(|e| e.to_string())?;
    let mut fast = open(family)?;
    fast.set_rcvbuf(16 << 20).map_err(|e| e.to_string())?;
    fast.add_membership(1).map_err(|e| e.to_string())?;
    let mut w = open(family)?;
    for i in 0..N {
        w.set(format!("flood-{i:05}").as_bytes(), b"v", SetMode::Upsert)
            .map_err(|e| format!("writer failed at {i}: {e}"))?;
    }
    let mut got = 0;
    while got < N {
        let e = fast
            .next_event()
            .map_err(|e| format!("fast subscriber: {e}"))?;
        ensure!(
            matches!(e, Event::KvSet { .. }),
            "fast subscriber got {e:?}"
        );
        got += 1;
    }
    ensure!(got == N, "fast subscriber got {got} of {N}");
    // The slow one: some events, then the overrun.
    let mut before = 0;
    let overrun = loop {
        match slow.next_event() {
            Ok(_) => before += 1,
            Err(Error::Overrun) => break true,
            Err(Error::Timeout) => break false,
            Err(e) => return Err(format!("slow subscriber: {e}")),
        }
    };
    ensure!(
        overrun,
        "slow subscriber never saw ENOBUFS ({before} events read)"
    );
    // Resync as a client should: drop what is queued, enlarge the buffer, re-dump.
    while let Ok(Some(_)) = slow.try_recv() {}
    slow.set_rcvbuf(1 << 20).map_err(|e| e.to_string())?;
    let d = slow.dump().map_err(|e| format!("resync dump: {e}"))?;
    let n = d
        .entries
        .iter()
        .filter(|(k, _)| k.starts_with(b"flood-"))
        .count();
    ensure!(n == N, "resync dump has {n} of {N} keys");
    let stats = w.stats().map_err(|e| e.to_string())?;
    ensure!(
        stats.dropped > 0,
        "STATS counts no dropped notifications: {stats:?}"
    );
    eprintln!("# fast subscriber {got}/{N}; slow one overran after {before} events and resynced; dropped {}", stats.dropped);
    Ok(())
}

/// Threads that open sockets, echo, subscribe and close, over and over, until
/// `/tmp/nlfam-race-stop` exists, tolerating the family coming and going.
fn hold(family: u32) -> Check {
    let _s = open(family)?;
    println!("holding a socket on family {family}");
    // Wait until the test script closes our stdin (or kills us).
    let _ = std::io::stdin().read(&mut [0u8; 1]);
    Ok(())
}

fn socket_errno(family: u32) -> Check {
    match Socket::open(family) {
        Ok(_) => println!("ok"),
        Err(e) => println!("{}", e.errno_name().unwrap_or("error")),
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("fail-nth") {
        return failnth::main(&args[1..]);
    }
    if args.first().map(String::as_str) == Some("init-window") {
        return init_window::main(&args[1..]);
    }
    if args.first().map(String::as_str) == Some("unload-race") {
        // unload-race CYCLES KO [PARAMS]
        let cycles = args.get(1).and_then(|c| c.parse().ok());
        return match (cycles, args.get(2)) {
            (Some(c), Some(ko)) => {
                let params = args.get(3).map_or("", String::as_str);
                match unload_race::run(FAMILY_DEFAULT, c, ko, params) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("FAIL: {e}");
                        ExitCode::FAILURE
                    }
                }
            }
            _ => usage(),
        };
    }
    if args.first().map(String::as_str) == Some("sec") {
        return match security::dispatch(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("FAIL: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if args.first().map(String::as_str) == Some("edge") {
        return match edges::dispatch(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("FAIL: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if args.first().map(String::as_str) == Some("try") {
        let fam = args
            .get(3)
            .and_then(|f| f.parse().ok())
            .unwrap_or(FAMILY_DEFAULT);
        return match args.get(1).map(|op| try_op(fam, op)) {
            Some(Ok(())) => ExitCode::SUCCESS,
            Some(Err(e)) => {
                eprintln!("FAIL: {e}");
                ExitCode::FAILURE
            }
            None => usage(),
        };
    }
    let Some(a) = args::Args::parse(&args, &["family"]) else {
        return usage();
    };
    let (Some(family), [check]) = (a.get("family", FAMILY_DEFAULT), a.words.as_slice()) else {
        return usage();
    };
    let result = match Some(check.as_str()) {
        Some("echo-sizes") => echo_sizes(family),
        Some("echo-portid") => echo_portid(family),
        Some("ack") => ack(family),
        Some("ack-format") => ack_format(family),
        Some("unknown-type") => unknown_type(family),
        Some("malformed") => malformed(family),
        Some("batch") => batch(family),
        Some("kv") => kv(family),
        Some("dump") => dump(family, 1000),
        Some("dump-10000") => dump(family, 10_000),
        Some("dump-intr") => dump_intr(family),
        Some("dump-order") => dump_order(family),
        Some("notify") => notify(family),
        Some("publish") => publish(family),
        Some("stats") => stats(family),
        Some("unprivileged") => unprivileged(family, false),
        Some("unprivileged-open") => unprivileged(family, true),
        Some("limits") => limits(family),
        Some("stress-kv") => stress_kv(family),
        Some("flood") => flood(family),
        Some("hold") => hold(family),
        Some("socket-errno") => socket_errno(family),
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("FAIL: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: nlfam-vmtest CHECK [--family N] | nlfam-vmtest try OP [--family N]\n\
         \x20      nlfam-vmtest unload-race CYCLES KO [PARAMS]\n\
         \x20      nlfam-vmtest fail-nth ... | nlfam-vmtest init-window ... (their own usage)\n\
         \x20      nlfam-vmtest sec CHECK ARGS... | nlfam-vmtest edge CHECK ARGS... (their own usage)\n\
         checks: echo-sizes echo-portid ack ack-format unknown-type malformed batch kv dump dump-10000\n\
         dump-intr notify publish stats limits stress-kv flood unprivileged unprivileged-open hold\n\
         socket-errno"
    );
    ExitCode::from(2)
}
