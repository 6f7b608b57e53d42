//! The client's typed requests and decoders checked against the protocol's declaration,
//! `nlfam_proto::family::OPS`: for every declared request type, the client's method is
//! called against a fake kernel (a Unix datagram socket pair, as in `socket_tests.rs`)
//! that checks the request as the module would (type, flags, policy, required
//! attributes), answers it as the declaration and the module's services say, and the
//! method must return the decoded values. A request type added to `OPS` without a client
//! call in [`cases`] fails here, as does a client that drifts from the declaration.

use crate::error::Error;
use crate::family::{Dump, SetMode, Stats};
use crate::socket::Socket;
use nlfam_proto::attr::{AttrIter, NoSpace, Writer};
use nlfam_proto::errno::EINVAL;
use nlfam_proto::family::{attr, msg, Op, Payload, OPS};
use nlfam_proto::policy::parse;
use nlfam_proto::wire::{
    Msg, MsgIter, NLMSGERR_ATTR_MSG, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLM_F_ACK,
    NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_DUMP, NLM_F_MULTI, NLM_F_REQUEST,
};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixDatagram;
use std::time::Duration;

/// How long either side waits for the other.
const WAIT: Duration = Duration::from_secs(5);

/// A [`Socket`] whose descriptor is one end of a Unix datagram pair; the other end, the
/// fake kernel, is returned with it. Datagram boundaries and `MSG_TRUNC` behave as on
/// netlink sockets; the client reads the source address as a unicast from the kernel.
fn fake() -> (Socket, UnixDatagram) {
    let (ours, kernel) = UnixDatagram::pair().expect("socketpair");
    let s = Socket::from_bound(OwnedFd::from(ours), 25, 1234);
    s.set_timeout(Some(WAIT)).expect("client timeout");
    kernel.set_read_timeout(Some(WAIT)).expect("kernel timeout");
    (s, kernel)
}

/// Runs `call` on a client socket in one thread while `kernel` serves the fake kernel's
/// side in this one, handed the first datagram the client sent (or why none came), the
/// client's port id and the kernel's socket.
fn exchange<T: Send>(
    call: impl FnOnce(&mut Socket) -> T + Send,
    kernel: impl FnOnce(Result<&[u8], String>, u32, &UnixDatagram),
) -> T {
    let (mut s, k) = fake();
    let portid = s.portid();
    std::thread::scope(|sc| {
        let client = sc.spawn(|| call(&mut s));
        let mut buf = vec![0u8; 128 * 1024];
        let got = k
            .recv(&mut buf)
            .map(|n| &buf[..n])
            .map_err(|e| format!("the client sent no request: {e}"));
        kernel(got, portid, &k);
        client.join().expect("client thread panicked")
    })
}

/// Frames messages with the writer the module answers with.
fn build(f: impl FnOnce(&mut Writer<'_>) -> Result<(), NoSpace>) -> Vec<u8> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut w = Writer::new(&mut buf);
    f(&mut w).expect("answer fits");
    let n = w.len();
    buf.truncate(n);
    buf
}

/// One message whose payload `body` writes.
fn message(
    ty: u16,
    flags: u16,
    seq: u32,
    pid: u32,
    body: impl FnOnce(&mut Writer<'_>) -> Result<(), NoSpace>,
) -> Vec<u8> {
    build(|w| {
        let m = w.begin_msg(ty, flags, seq, pid)?;
        body(w)?;
        w.end_msg(m)
    })
}

/// `NLMSG_ERROR` for `req` as the module's `ack()` (rust/netlink/input.rs) builds it: `-errno`
/// and the request's header, not its payload (`NLM_F_CAPPED`: always so for an ACK, and
/// for an error to a `NETLINK_CAP_ACK` socket), then the extended ACK's message if any;
/// `errno` 0 is the ACK. `nlmsg_pid` is the requester's port id.
fn nlmsgerr(req: &Msg<'_>, portid: u32, errno: i32, text: Option<&str>) -> Vec<u8> {
    let flags = NLM_F_CAPPED | if text.is_some() { NLM_F_ACK_TLVS } else { 0 };
    message(NLMSG_ERROR, flags, req.hdr.seq, portid, |w| {
        w.put_bytes(&(-errno).to_ne_bytes())?;
        w.put_bytes(&req.hdr.to_bytes())?;
        match text {
            Some(t) => w.put_str(NLMSGERR_ATTR_MSG, t.as_bytes()),
            None => Ok(()),
        }
    })
}

fn ack(req: &Msg<'_>, portid: u32) -> Vec<u8> {
    nlmsgerr(req, portid, 0, None)
}

/// `NLMSG_DONE` ending a successful dump.
fn done(req: &Msg<'_>, portid: u32) -> Vec<u8> {
    message(NLMSG_DONE, NLM_F_MULTI, req.hdr.seq, portid, |w| {
        w.put_bytes(&0i32.to_ne_bytes())
    })
}

/// The one message of a request datagram.
fn only_message(dgram: &[u8]) -> Result<Msg<'_>, String> {
    let mut it = MsgIter::new(dgram);
    let msgs: Vec<Msg<'_>> = it.by_ref().collect();
    if it.malformed() {
        return Err(format!(
            "the request datagram does not frame cleanly: {dgram:02x?}"
        ));
    }
    match msgs.as_slice() {
        [m] => Ok(*m),
        _ => Err(format!(
            "want one message per request datagram, got {}",
            msgs.len()
        )),
    }
}

fn name(ty: u16) -> String {
    format!("{} ({ty:#x})", msg::name(ty).unwrap_or("unknown type"))
}

fn attr_name(ty: u16) -> &'static str {
    attr::ALL
        .iter()
        .find(|(_, t)| *t == ty)
        .map_or("unknown", |(n, _)| *n)
}

fn kv_payload(w: &mut Writer<'_>, key: &[u8], value: &[u8]) -> Result<(), NoSpace> {
    w.put_str(attr::KEY, key)?;
    w.put_attr(attr::VALUE, value)
}

// What the fake kernel answers with, as rust/service/*.rs and docs/protocol.md say.

/// The VALUE of the GET answer.
const GET_VALUE: &[u8] = b"blue\0with a NUL";
/// The store a dump returns, in key order.
const DUMP_ENTRIES: [(&[u8], &[u8]); 3] = [(b"alpha", b"1"), (b"beta", b""), (b"gamma", b"\0\xff")];
/// The COUNTER of the CONFIG answer (heartbeats so far).
const CONFIG_COUNTER: u64 = 42;

/// The counters the STATS answer carries (rust/service/mod.rs `Family::stats`).
fn stats() -> Stats {
    Stats {
        family: 25,
        rx: 11,
        tx: 12,
        errors: 13,
        dropped: 14,
        notifications: 15,
        entries: 16,
        subscribers: vec![(1, 2), (7, 1)],
        heartbeat_ms: 1000,
    }
}

/// The data answer (type and payload) the module sends for a successful request that is
/// not a dump, built from the request as the module's handler builds it; `None` for a
/// type the fake kernel does not know.
fn data_answer(req: &Msg<'_>) -> Option<(u16, Vec<u8>)> {
    let attrs = |ty: u16| {
        AttrIter::new(req.payload)
            .find(|a| a.ty == ty)
            .map(|a| a.payload)
    };
    let body = |f: &dyn Fn(&mut Writer<'_>) -> Result<(), NoSpace>| build(|w| f(w));
    Some(match req.hdr.ty {
        // echo.rs: the payload comes back verbatim, same type.
        msg::ECHO => (msg::ECHO, req.payload.to_vec()),
        // kv.rs `get`: one kv-set with KEY and VALUE.
        msg::KV_GET => {
            let key = attrs(attr::KEY)?.split_last()?.1;
            (msg::KV_SET, body(&|w| kv_payload(w, key, GET_VALUE)))
        }
        // mod.rs `Family::stats`: every counter, then the subscribers nest.
        msg::STATS => {
            let s = stats();
            (
                msg::STATS,
                body(&|w| {
                    w.put_u32(attr::FAMILY, s.family)?;
                    w.put_u64(attr::STAT_RX, s.rx)?;
                    w.put_u64(attr::STAT_TX, s.tx)?;
                    w.put_u64(attr::STAT_ERRORS, s.errors)?;
                    w.put_u64(attr::STAT_DROPPED, s.dropped)?;
                    w.put_u64(attr::STAT_NOTIFICATIONS, s.notifications)?;
                    w.put_u32(attr::PERIOD_MS, s.heartbeat_ms)?;
                    w.put_u32(attr::STAT_ENTRIES, s.entries)?;
                    let nest = w.begin_nest(attr::STAT_SUBSCRIBERS)?;
                    for (g, n) in &s.subscribers {
                        w.put_u32(*g as u16, *n)?;
                    }
                    w.end_nest(nest)
                }),
            )
        }
        // heartbeat.rs `config`: the period now in force and the ticks so far.
        msg::CONFIG => {
            let ms: [u8; 4] = attrs(attr::PERIOD_MS)?.try_into().ok()?;
            (
                msg::CONFIG,
                body(&|w| {
                    w.put_u32(attr::PERIOD_MS, u32::from_ne_bytes(ms))?;
                    w.put_u64(attr::COUNTER, CONFIG_COUNTER)
                }),
            )
        }
        _ => return None,
    })
}

/// What a typed method returned, decoded.
#[derive(Debug, PartialEq, Eq)]
enum Got {
    Ack,
    Bytes(Vec<u8>),
    Dump(Dump),
    Stats(Stats),
    Config(u32, u64),
}

type Call = Box<dyn Fn(&mut Socket) -> Result<Got, Error> + Send + Sync>;

/// One call of a typed method: the request it must send and what it must return.
struct Case {
    /// The request type (`nlmsg_type`) the method sends.
    ty: u16,
    /// The call, for messages.
    what: &'static str,
    call: Call,
    /// Whether the call is a dump (`NLM_F_DUMP`).
    dump: bool,
    /// Flags the request must carry besides `NLM_F_REQUEST` (SET's modifiers).
    flags: u16,
    /// For an attribute payload: exactly the attributes the request must carry (type,
    /// payload). For a raw payload: the bytes given.
    sent: Sent,
    /// What the method must return.
    want: Got,
}

enum Sent {
    Attrs(Vec<(u16, Vec<u8>)>),
    Raw(Vec<u8>),
}

const ECHO_BYTES: &[u8] = b"\x08\x00\x01\x00raw bytes, odd length\0\xff";

/// Every typed method of the client, by the request type it sends.
fn cases() -> Vec<Case> {
    let key = |k: &[u8]| [k, b"\0"].concat();
    let mut v = vec![Case {
        ty: msg::ECHO,
        what: "echo(ECHO_BYTES)",
        call: Box::new(|s| s.echo(ECHO_BYTES).map(Got::Bytes)),
        dump: false,
        flags: 0,
        sent: Sent::Raw(ECHO_BYTES.to_vec()),
        want: Got::Bytes(ECHO_BYTES.to_vec()),
    }];
    for mode in [SetMode::Upsert, SetMode::Create, SetMode::Replace] {
        v.push(Case {
            ty: msg::KV_SET,
            what: match mode {
                SetMode::Upsert => "set(b\"color\", b\"blue\", Upsert)",
                SetMode::Create => "set(b\"color\", b\"blue\", Create)",
                SetMode::Replace => "set(b\"color\", b\"blue\", Replace)",
            },
            call: Box::new(move |s| s.set(b"color", b"blue", mode).map(|()| Got::Ack)),
            dump: false,
            flags: mode.flags(),
            sent: Sent::Attrs(vec![
                (attr::KEY, key(b"color")),
                (attr::VALUE, b"blue".to_vec()),
            ]),
            want: Got::Ack,
        });
    }
    v.extend([
        Case {
            ty: msg::KV_GET,
            what: "get(b\"color\")",
            call: Box::new(|s| s.get(b"color").map(Got::Bytes)),
            dump: false,
            flags: 0,
            sent: Sent::Attrs(vec![(attr::KEY, key(b"color"))]),
            want: Got::Bytes(GET_VALUE.to_vec()),
        },
        Case {
            ty: msg::KV_GET,
            what: "dump()",
            call: Box::new(|s| s.dump().map(Got::Dump)),
            dump: true,
            flags: NLM_F_DUMP,
            sent: Sent::Attrs(vec![]),
            want: Got::Dump(Dump {
                entries: DUMP_ENTRIES
                    .iter()
                    .map(|(k, v)| (k.to_vec(), v.to_vec()))
                    .collect(),
                interrupted: false,
            }),
        },
        Case {
            ty: msg::KV_DEL,
            what: "del(b\"color\")",
            call: Box::new(|s| s.del(b"color").map(|()| Got::Ack)),
            dump: false,
            flags: 0,
            sent: Sent::Attrs(vec![(attr::KEY, key(b"color"))]),
            want: Got::Ack,
        },
        Case {
            ty: msg::PUBLISH,
            what: "publish(7, b\"hello\")",
            call: Box::new(|s| s.publish(7, b"hello").map(|()| Got::Ack)),
            dump: false,
            flags: 0,
            sent: Sent::Attrs(vec![
                (attr::GROUP, 7u32.to_ne_bytes().to_vec()),
                (attr::PAYLOAD, b"hello".to_vec()),
            ]),
            want: Got::Ack,
        },
        Case {
            ty: msg::STATS,
            what: "stats()",
            call: Box::new(|s| s.stats().map(Got::Stats)),
            dump: false,
            flags: 0,
            sent: Sent::Attrs(vec![]),
            want: Got::Stats(stats()),
        },
        Case {
            ty: msg::CONFIG,
            what: "config(250)",
            call: Box::new(|s| s.config(250).map(|(ms, n)| Got::Config(ms, n))),
            dump: false,
            flags: 0,
            sent: Sent::Attrs(vec![(attr::PERIOD_MS, 250u32.to_ne_bytes().to_vec())]),
            want: Got::Config(250, CONFIG_COUNTER),
        },
    ]);
    v
}

/// Checks a request against the declaration `op` (and the arguments `case` gave).
fn check_request(op: &Op, case: &Case, req: &Msg<'_>) -> Result<(), String> {
    let flags = req.hdr.flags;
    if req.hdr.ty != op.ty {
        return Err(format!(
            "sent nlmsg_type {}, want {}",
            name(req.hdr.ty),
            name(op.ty)
        ));
    }
    if flags & NLM_F_REQUEST == 0 {
        return Err(format!("flags {flags:#x} lack NLM_F_REQUEST"));
    }
    // As the module decides (rust/service/mod.rs `serve`): both bits of NLM_F_DUMP.
    let dump = flags & NLM_F_DUMP == NLM_F_DUMP;
    if dump && !op.dump {
        return Err(format!(
            "flags {flags:#x} ask for a dump, which OPS does not declare for this type"
        ));
    }
    if dump != case.dump {
        return Err(format!(
            "flags {flags:#x}: NLM_F_DUMP is {}, want {}",
            if dump { "set" } else { "not set" },
            if case.dump { "set" } else { "not set" }
        ));
    }
    if flags & case.flags != case.flags {
        return Err(format!("flags {flags:#x} lack {:#x}", case.flags));
    }
    match (op.payload, &case.sent) {
        (Payload::Attrs(policy), Sent::Attrs(want)) => {
            let p = parse(policy, req.payload, NLMSG_HDRLEN).map_err(|e| {
                let blamed = e.offset.and_then(|o| {
                    AttrIter::new(req.payload).find(|a| a.offset + NLMSG_HDRLEN == o)
                });
                let at = blamed.map_or(String::new(), |a| {
                    format!("{} attribute ({} bytes) ", attr_name(a.ty), a.payload.len())
                });
                format!(
                    "{at}refused by the declared policy: {} (errno {}, offset {:?})",
                    e.msg, e.errno, e.offset
                )
            })?;
            if dump {
                // A dump carries no attributes (docs/protocol.md; kv.rs refuses a KEY).
                if !req.payload.is_empty() {
                    return Err("a dump request carries attributes".into());
                }
            } else if let Some((a, why)) = op.required.iter().find(|(a, _)| p.get(*a).is_none()) {
                return Err(format!(
                    "required attribute {} ({a}) missing: the module answers \"{why}\"",
                    attr_name(*a)
                ));
            }
            for (ty, bytes) in want {
                let got = p.bytes(*ty);
                if got != Some(bytes.as_slice()) {
                    return Err(format!(
                        "attribute {} is {got:02x?}, want {bytes:02x?}",
                        attr_name(*ty)
                    ));
                }
            }
            if let Some(extra) =
                AttrIter::new(req.payload).find(|a| want.iter().all(|w| w.0 != a.ty))
            {
                return Err(format!("unexpected attribute {}", attr_name(extra.ty)));
            }
        }
        (Payload::Raw, Sent::Raw(want)) => {
            if req.payload != want.as_slice() {
                return Err(format!(
                    "raw payload is {:02x?}, want the bytes given, {want:02x?}",
                    req.payload
                ));
            }
        }
        (Payload::Raw, Sent::Attrs(_)) => {
            return Err("the test expects attributes where OPS declares a raw payload".into())
        }
        (Payload::Attrs(_), Sent::Raw(_)) => {
            return Err("the test expects raw bytes where OPS declares attributes".into())
        }
    }
    Ok(())
}

/// The fake kernel's answers to a valid request, datagram by datagram, as the
/// declaration says: a dump's entries (over two datagrams) then `NLMSG_DONE`; else the
/// data answer if `op.answers`, then the ACK if the request asked for one.
fn answers(op: &Op, req: &Msg<'_>, portid: u32) -> Result<Vec<Vec<u8>>, String> {
    let seq = req.hdr.seq;
    if req.hdr.flags & NLM_F_DUMP == NLM_F_DUMP {
        // Dump entries are kv-set messages with NLM_F_MULTI and the requester's port id.
        let entry = |(k, v): &(&[u8], &[u8])| {
            message(msg::KV_SET, NLM_F_MULTI, seq, portid, |w| {
                kv_payload(w, k, v)
            })
        };
        let (first, rest) = DUMP_ENTRIES.split_at(2);
        let mut last: Vec<u8> = rest.iter().flat_map(entry).collect();
        last.extend(done(req, portid));
        return Ok(vec![first.iter().flat_map(entry).collect(), last]);
    }
    let mut dgram = Vec::new();
    if op.answers {
        let (ty, payload) = data_answer(req).ok_or_else(|| {
            format!(
                "OPS says {} is answered with data, but the fake kernel has none for it: add \
                 it to data_answer() in ops_tests.rs, from what rust/service/ sends",
                name(op.ty)
            )
        })?;
        dgram.extend(message(ty, 0, seq, 0, |w| w.put_bytes(&payload)));
    }
    if req.hdr.flags & NLM_F_ACK != 0 {
        dgram.extend(ack(req, portid));
    }
    Ok(vec![dgram])
}

/// Serves one request of `case` as the module would; on a violation of the declaration,
/// refuses it with `EINVAL` (so the client does not wait) and says why.
fn serve(
    op: &Op,
    case: &Case,
    dgram: Result<&[u8], String>,
    portid: u32,
    k: &UnixDatagram,
) -> Result<(), String> {
    let req = only_message(dgram?)?;
    let checked = check_request(op, case, &req).and_then(|()| answers(op, &req, portid));
    let out = match &checked {
        Ok(d) => d.clone(),
        Err(why) => vec![nlmsgerr(&req, portid, EINVAL, Some(why))],
    };
    for d in out {
        k.send(&d)
            .map_err(|e| format!("fake kernel: send failed: {e}"))?;
    }
    checked.map(drop)
}

#[test]
fn every_declared_request_is_sent_and_decoded_as_declared() {
    let cases = cases();
    let mut failures = Vec::new();
    for op in &OPS {
        let mine: Vec<&Case> = cases.iter().filter(|c| c.ty == op.ty).collect();
        if mine.is_empty() {
            failures.push(format!(
                "{}: declared in OPS, but no typed client method is mapped to it in \
                 ops_tests.rs cases()",
                name(op.ty)
            ));
            continue;
        }
        if op.dump != mine.iter().any(|c| c.dump) {
            failures.push(format!(
                "{}: OPS says dump = {}, but the client methods mapped to it {}",
                name(op.ty),
                op.dump,
                if op.dump {
                    "include no dump"
                } else {
                    "include a dump"
                }
            ));
        }
        for case in mine {
            let mut served = Ok(());
            let got = exchange(
                |s| (case.call)(s),
                |dgram, portid, k| served = serve(op, case, dgram, portid, k),
            );
            let label = format!("{} via {}", name(op.ty), case.what);
            match (served, got) {
                (Err(why), _) => {
                    failures.push(format!("{label}: the request does not match OPS: {why}"))
                }
                (Ok(()), Ok(got)) if got == case.want => {}
                (Ok(()), got) => failures.push(format!(
                    "{label}: the method returned {got:?} for the declared answer, want {:?}",
                    case.want
                )),
            }
        }
    }
    for case in &cases {
        if OPS.iter().all(|o| o.ty != case.ty) {
            failures.push(format!(
                "{}: {} sends a type OPS does not declare",
                name(case.ty),
                case.what
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "the client drifted from family::OPS:\n  {}",
        failures.join("\n  ")
    );
}

// An answer that lacks what the client decodes fails with a protocol error naming it.
// (socket_tests.rs covers STATS, CONFIG and a dump entry without VALUE.)

/// The client's error when the fake kernel answers its request with `answer` (data
/// messages before the ACK, built for the request).
fn refused_answer<T: std::fmt::Debug + Send>(
    call: impl FnOnce(&mut Socket) -> Result<T, Error> + Send,
    answer: impl FnOnce(&Msg<'_>, u32) -> Vec<u8>,
) -> String {
    let got = exchange(call, |dgram, portid, k| {
        let req = only_message(dgram.expect("a request")).expect("one message");
        k.send(&answer(&req, portid)).expect("send");
    });
    match got {
        Err(Error::Protocol(t)) => t,
        other => panic!("want a protocol error, got {other:?}"),
    }
}

/// What the client says when GET of "color" is answered by one message of type `ty`
/// carrying `body`, then the ACK.
fn refused_get(ty: u16, body: impl FnOnce(&mut Writer<'_>) -> Result<(), NoSpace>) -> String {
    refused_answer(
        |s| s.get(b"color"),
        |req, portid| {
            let data = message(ty, 0, req.hdr.seq, 0, body);
            [data, ack(req, portid)].concat()
        },
    )
}

#[test]
fn get_answer_without_value_names_it() {
    let t = refused_get(msg::KV_SET, |w| w.put_str(attr::KEY, b"color"));
    assert_eq!(t, "GET answer: no value attribute");
}

#[test]
fn get_answer_for_another_key_is_refused() {
    let t = refused_get(msg::KV_SET, |w| kv_payload(w, b"colour", b"blue"));
    assert_eq!(t, "GET: answer for key \"colour\", asked for \"color\"");
}

#[test]
fn get_answer_of_another_type_names_it() {
    let t = refused_get(msg::KV_DEL, |w| kv_payload(w, b"color", b"blue"));
    assert_eq!(t, "GET: answer of type 0x13 (kv-del)");
}

#[test]
fn dump_entry_without_key_names_it() {
    let t = refused_answer(
        |s| s.dump(),
        |req, portid| {
            let e = message(msg::KV_SET, NLM_F_MULTI, req.hdr.seq, portid, |w| {
                w.put_attr(attr::VALUE, b"v")
            });
            [e, done(req, portid)].concat()
        },
    );
    assert_eq!(t, "dump entry: no key attribute");
}

#[test]
fn echo_without_its_answer_fails() {
    // Only the ACK: the echoed bytes are missing.
    let t = refused_answer(|s| s.echo(b"ping"), ack);
    assert!(t.contains("expected one echo reply, got 0"), "{t}");
    // An answer of another type is not the echo.
    let t = refused_answer(
        |s| s.echo(b"ping"),
        |req, portid| {
            let data = message(msg::STATS, 0, req.hdr.seq, 0, |w| w.put_bytes(b"ping"));
            [data, ack(req, portid)].concat()
        },
    );
    assert!(t.contains("expected one echo reply"), "{t}");
}
