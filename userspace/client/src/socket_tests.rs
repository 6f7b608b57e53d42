//! The receive side of [`Socket`] against a fake kernel: a Unix datagram socket pair,
//! whose far end sends the datagrams a kernel would (several messages per datagram, dumps
//! over several datagrams, errors with extended ACKs, truncation). Datagram boundaries and
//! `MSG_TRUNC` behave as on netlink sockets.

use super::*;
use crate::event::Event;
use nlfam_proto::wire::{
    NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, NLMSG_OVERRUN, NLM_F_ACK_TLVS, NLM_F_CAPPED,
    NLM_F_DUMP_INTR, NLM_F_MULTI,
};
use std::os::unix::net::UnixDatagram;

const ENTRY: u16 = 0x11;

fn fake() -> (Socket, UnixDatagram) {
    let (ours, kernel) = UnixDatagram::pair().expect("socketpair");
    ours.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let s = Socket {
        fd: OwnedFd::from(ours),
        family: 25,
        portid: 1234,
        seq: 0,
        rx: vec![0; RX_BUF],
        tx: vec![0; TX_BUF],
        done_flags: 0,
        queue: VecDeque::new(),
        queued_bytes: 0,
        queue_max: QUEUE_MAX_BYTES,
        lost: false,
    };
    (s, kernel)
}

fn msg(ty: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let len = NLMSG_HDRLEN + payload.len();
    let hdr = NlMsgHdr {
        len: len as u32,
        ty,
        flags,
        seq,
        pid: 0,
    };
    let mut v = hdr.to_bytes().to_vec();
    v.extend_from_slice(payload);
    v.resize(len.next_multiple_of(4), 0);
    v
}

fn attr(ty: u16, payload: &[u8]) -> Vec<u8> {
    let len = 4 + payload.len();
    let mut v = (len as u16).to_ne_bytes().to_vec();
    v.extend_from_slice(&ty.to_ne_bytes());
    v.extend_from_slice(payload);
    v.resize(len.next_multiple_of(4), 0);
    v
}

/// `NLMSG_ERROR` for request `seq` with `NETLINK_CAP_ACK` + extended ACK TLVs.
fn error(seq: u32, errno: i32, text: Option<&str>, offset: Option<u32>) -> Vec<u8> {
    let mut p = (-errno).to_ne_bytes().to_vec();
    p.extend(
        NlMsgHdr {
            len: 40,
            ty: ENTRY,
            flags: NLM_F_REQUEST,
            seq,
            pid: 1234,
        }
        .to_bytes(),
    );
    if let Some(t) = text {
        let mut z = t.as_bytes().to_vec();
        z.push(0);
        p.extend(attr(NLMSGERR_ATTR_MSG, &z));
    }
    if let Some(o) = offset {
        p.extend(attr(NLMSGERR_ATTR_OFFS, &o.to_ne_bytes()));
    }
    msg(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, seq, &p)
}

fn done(seq: u32, flags: u16, errno: i32) -> Vec<u8> {
    msg(
        NLMSG_DONE,
        NLM_F_MULTI | flags,
        seq,
        &(-errno).to_ne_bytes(),
    )
}

fn entry(seq: u32, i: u8) -> Vec<u8> {
    msg(ENTRY, NLM_F_MULTI, seq, &attr(1, &[b'k', i, 0]))
}

#[test]
fn dump_spanning_datagrams_is_assembled_in_order() {
    let (mut s, k) = fake();
    // A stale answer to an earlier request, then 5 entries over 3 datagrams.
    let mut d1 = msg(ENTRY, 0, 6, b"late");
    d1.extend(entry(7, 0));
    d1.extend(entry(7, 1));
    k.send(&d1).unwrap();
    k.send(&[entry(7, 2), entry(7, 3)].concat()).unwrap();
    k.send(&[entry(7, 4), done(7, 0, 0)].concat()).unwrap();
    let got = s.collect(7).expect("dump");
    let keys: Vec<u8> = got.iter().map(|m| m.payload[5]).collect();
    assert_eq!(keys, [0, 1, 2, 3, 4]);
    assert!(got.iter().all(|m| m.hdr.seq == 7));
    assert_eq!(s.last_done_flags() & NLM_F_DUMP_INTR, 0);
}

#[test]
fn interrupted_dump_is_flagged_on_done() {
    let (mut s, k) = fake();
    k.send(&[entry(3, 0), done(3, NLM_F_DUMP_INTR, 0)].concat())
        .unwrap();
    assert_eq!(s.collect(3).expect("dump").len(), 1);
    assert_ne!(s.last_done_flags() & NLM_F_DUMP_INTR, 0);
}

#[test]
fn error_carries_errno_and_extended_ack() {
    let (mut s, k) = fake();
    k.send(&error(9, 2, Some("no such key"), Some(20))).unwrap();
    match s.collect(9) {
        Err(Error::Kernel {
            errno, msg, offset, ..
        }) => {
            assert_eq!(errno, 2);
            assert_eq!(msg.as_deref(), Some("no such key"));
            assert_eq!(offset, Some(20));
        }
        other => panic!("want ENOENT with extack, got {other:?}"),
    }
}

#[test]
fn answers_before_the_ack_are_returned() {
    let (mut s, k) = fake();
    k.send(&[msg(ENTRY, 0, 4, b"value"), error(4, 0, None, None)].concat())
        .unwrap();
    let got = s.collect(4).expect("answers");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].payload, b"value");
}

#[test]
fn dump_ending_in_an_error_fails() {
    // As the kernel's netlink-dumps selftest pins: a dump can end with DONE carrying
    // an errno (e.g. ENOBUFS) instead of 0.
    let (mut s, k) = fake();
    k.send(&[entry(5, 0), done(5, 0, 105)].concat()).unwrap();
    assert_eq!(s.collect(5).err().and_then(|e| e.errno()), Some(105));
}

#[test]
fn overrun_is_reported() {
    let (mut s, k) = fake();
    k.send(&msg(NLMSG_OVERRUN, 0, 8, &[])).unwrap();
    assert!(matches!(s.collect(8), Err(Error::Overrun)));
    let enobufs = std::io::Error::from_raw_os_error(libc::ENOBUFS);
    assert!(matches!(Error::from(enobufs), Error::Overrun));
}

#[test]
fn oversized_datagram_is_reported_not_cut() {
    let (mut s, k) = fake();
    s.rx.truncate(1024);
    k.send(&msg(ENTRY, 0, 1, &[7u8; 2000])).unwrap();
    match s.recv_datagram() {
        Err(Error::Protocol(text)) => assert!(text.contains("2016-byte datagram"), "{text}"),
        other => panic!("want a truncation error, got {other:?}"),
    }
    // The buffer grew: the same size now arrives whole.
    k.send(&msg(ENTRY, 0, 2, &[7u8; 2000])).unwrap();
    let got = s.recv_datagram().expect("second datagram");
    assert_eq!(got.messages().next().unwrap().payload.len(), 2000);
}

#[test]
fn malformed_datagram_is_an_error() {
    let (mut s, k) = fake();
    let mut d = entry(1, 0);
    d.extend([0xff; 6]);
    k.send(&d).unwrap();
    assert!(matches!(s.recv_datagram(), Err(Error::Protocol(_))));
    k.send(&d).unwrap();
    assert!(matches!(s.recv(), Err(Error::Protocol(_))));
}

// Answers and events whose attributes are missing or malformed fail, naming the
// attribute, instead of decoding to 0. The fake kernel queues the answers before the
// request: the fake socket's first sequence number is 1.

fn u32_attr(ty: u16, v: u32) -> Vec<u8> {
    attr(ty, &v.to_ne_bytes())
}

fn u64_attr(ty: u16, v: u64) -> Vec<u8> {
    attr(ty, &v.to_ne_bytes())
}

fn stats_payload(rx: &[u8]) -> Vec<u8> {
    use nlfam_proto::family::attr as a;
    [
        u32_attr(a::FAMILY, 25),
        attr(a::STAT_RX, rx),
        u64_attr(a::STAT_TX, 2),
        u64_attr(a::STAT_ERRORS, 3),
        u64_attr(a::STAT_DROPPED, 4),
        u64_attr(a::STAT_NOTIFICATIONS, 5),
        u32_attr(a::PERIOD_MS, 0),
        u32_attr(a::STAT_ENTRIES, 6),
        attr(a::STAT_SUBSCRIBERS, &u32_attr(1, 2)),
    ]
    .concat()
}

fn answer_then_ack(ty: u16, payload: &[u8]) -> Vec<u8> {
    [msg(ty, 0, 1, payload), error(1, 0, None, None)].concat()
}

#[test]
fn stats_decode_every_counter() {
    let (mut s, k) = fake();
    let stats = nlfam_proto::family::msg::STATS;
    k.send(&answer_then_ack(stats, &stats_payload(&1u64.to_ne_bytes())))
        .unwrap();
    let got = s.stats().expect("stats");
    assert_eq!((got.family, got.rx, got.entries), (25, 1, 6));
    assert_eq!(got.subscribers, [(1, 2)]);
}

#[test]
fn stats_with_a_malformed_counter_names_it() {
    let (mut s, k) = fake();
    let stats = nlfam_proto::family::msg::STATS;
    // STAT_RX as 4 bytes instead of 8.
    k.send(&answer_then_ack(stats, &stats_payload(&1u32.to_ne_bytes())))
        .unwrap();
    match s.stats() {
        Err(Error::Protocol(t)) => assert!(t.contains("malformed stat-rx"), "{t}"),
        other => panic!("want an error naming stat-rx, got {other:?}"),
    }
}

#[test]
fn config_answer_without_counter_names_it() {
    use nlfam_proto::family::{attr as a, msg as m};
    let (mut s, k) = fake();
    k.send(&answer_then_ack(m::CONFIG, &u32_attr(a::PERIOD_MS, 500)))
        .unwrap();
    match s.config(500) {
        Err(Error::Protocol(t)) => assert!(t.contains("no counter attribute"), "{t}"),
        other => panic!("want an error naming counter, got {other:?}"),
    }
}

#[test]
fn dump_entry_without_value_is_an_error() {
    use nlfam_proto::family::{attr as a, msg as m};
    let (mut s, k) = fake();
    let e = msg(m::KV_SET, NLM_F_MULTI, 1, &attr(a::KEY, b"k\0"));
    k.send(&[e, done(1, 0, 0)].concat()).unwrap();
    match s.dump() {
        Err(Error::Protocol(t)) => assert!(t.contains("no value attribute"), "{t}"),
        other => panic!("want an error naming value, got {other:?}"),
    }
}

#[test]
fn events_with_a_malformed_attribute_name_it() {
    use nlfam_proto::family::{attr as a, msg as m};
    let ev = |payload: Vec<u8>| Message {
        hdr: NlMsgHdr {
            len: (NLMSG_HDRLEN + payload.len()) as u32,
            ty: m::PUBLISH,
            ..NlMsgHdr::default()
        },
        payload,
    };
    let good = [
        u32_attr(a::GROUP, 5),
        attr(a::PAYLOAD, b"hi"),
        u32_attr(a::PORTID, 7),
        u32_attr(a::UID, 0),
        u64_attr(a::TIMESTAMP_NS, 9),
    ];
    assert_eq!(
        Event::parse(&ev(good.concat())).expect("good event"),
        Event::Publish {
            group: 5,
            payload: b"hi".to_vec(),
            portid: 7,
            uid: 0,
            timestamp_ns: 9
        }
    );
    // A 2-byte PORTID; then no UID; then a truncated attribute.
    let mut short = good.clone();
    short[2] = attr(a::PORTID, &[7, 0]);
    let no_uid = [&good[..3], &good[4..]].concat().concat();
    let mut cut = good.concat();
    cut.extend([12, 0, 6, 0, 1]);
    for (payload, want) in [
        (short.concat(), "malformed portid"),
        (no_uid, "no uid attribute"),
        (cut, "malformed attribute at payload offset 44"),
    ] {
        match Event::parse(&ev(payload)) {
            Err(Error::Protocol(t)) => assert!(t.contains(want), "{t}"),
            other => panic!("want an error with {want:?}, got {other:?}"),
        }
    }
}

// Routing: answers go to the request they answer, everything else is queued for `recv`,
// nothing is dropped.

fn kv_event(ty: u16, key: &[u8]) -> Vec<u8> {
    use nlfam_proto::family::attr as a;
    let mut k = key.to_vec();
    k.push(0);
    let mut p = attr(a::KEY, &k);
    if ty == nlfam_proto::family::msg::KV_SET {
        p.extend(attr(a::VALUE, b"v"));
    }
    p.extend(u32_attr(a::PORTID, 99));
    p.extend(u32_attr(a::SEQ, 1));
    msg(ty, 0, 0, &p)
}

#[test]
fn answers_after_the_ack_in_the_same_datagram_are_kept() {
    // Two requests in one datagram: the kernel coalesces both answers into one datagram.
    let (mut s, k) = fake();
    k.send(
        &[
            error(1, 0, None, None),
            msg(ENTRY, 0, 2, b"second"),
            error(2, 0, None, None),
        ]
        .concat(),
    )
    .unwrap();
    assert!(s.collect(1).expect("first").is_empty());
    let got = s.collect(2).expect("second");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].payload, b"second");
}

#[test]
fn answers_to_a_later_request_are_kept_for_it() {
    // Answers to 2 arrive before those of 1 (pipelined requests collected out of order).
    let (mut s, k) = fake();
    k.send(&[msg(ENTRY, 0, 2, b"two"), error(2, 0, None, None)].concat())
        .unwrap();
    k.send(&[msg(ENTRY, 0, 1, b"one"), error(1, 0, None, None)].concat())
        .unwrap();
    assert_eq!(s.collect(1).expect("1")[0].payload, b"one");
    assert_eq!(s.pending(), 2);
    assert_eq!(s.collect(2).expect("2")[0].payload, b"two");
    assert_eq!(s.pending(), 0);
}

#[test]
fn an_event_arriving_during_a_request_is_queued() {
    use nlfam_proto::family::msg as m;
    let (mut s, k) = fake();
    k.send(&kv_event(m::KV_SET, b"a")).unwrap();
    k.send(&[msg(ENTRY, 0, 5, b"data"), kv_event(m::KV_DEL, b"b")].concat())
        .unwrap();
    k.send(&error(5, 0, None, None)).unwrap();
    assert_eq!(s.collect(5).expect("answers").len(), 1);
    assert_eq!(s.pending(), 2);
    assert!(s.wait_readable(Duration::ZERO).unwrap());
    assert!(matches!(s.next_event(), Ok(Event::KvSet { key, .. }) if key == b"a"));
    assert!(matches!(
        s.recv(),
        Ok(Incoming::Event(Event::KvDel { key, .. })) if key == b"b"
    ));
    assert!(s.try_recv().expect("nothing").is_none());
}

#[test]
fn replies_and_events_wait_together() {
    use nlfam_proto::family::msg as m;
    let (mut s, k) = fake();
    // A late answer to an abandoned request 3, then an event; next_event leaves the
    // answer queued, recv returns it.
    k.send(&msg(ENTRY, 0, 3, b"late")).unwrap();
    k.send(&kv_event(m::KV_DEL, b"x")).unwrap();
    assert!(matches!(s.next_event(), Ok(Event::KvDel { .. })));
    match s.recv() {
        Ok(Incoming::Reply(r)) => assert_eq!((r.hdr.seq, &r.payload[..]), (3, &b"late"[..])),
        other => panic!("want the late answer, got {other:?}"),
    }
    // Non-blocking: nothing queued, nothing on the socket.
    assert!(s.try_recv().expect("empty").is_none());
    assert!(!s.wait_readable(Duration::ZERO).unwrap());
}

#[test]
fn a_full_queue_reports_the_loss() {
    use nlfam_proto::family::msg as m;
    let (mut s, k) = fake();
    s.queue_max = 40;
    for key in [b"a", b"b", b"c"] {
        k.send(&kv_event(m::KV_DEL, key)).unwrap();
    }
    k.send(&error(1, 0, None, None)).unwrap();
    assert!(s.collect(1).expect("ack").is_empty());
    // Two 28-byte events do not fit 40 bytes: one is kept, the loss is reported first.
    assert_eq!(s.pending(), 1);
    assert!(matches!(s.recv(), Err(Error::Overrun)));
    assert!(matches!(s.recv(), Ok(Incoming::Event(Event::KvDel { key, .. })) if key == b"a"));
}

#[test]
fn a_datagram_is_lent_without_copying() {
    let (mut s, k) = fake();
    k.send(&[msg(ENTRY, 0, 1, b"one"), msg(ENTRY, 0, 1, b"two")].concat())
        .unwrap();
    let d = s.recv_datagram().expect("datagram");
    assert!(!d.is_multicast());
    assert_eq!(d.sender(), 0);
    let payloads: Vec<&[u8]> = d.into_iter().map(|m| m.payload).collect();
    assert_eq!(payloads, [&b"one"[..], &b"two"[..]]);
    assert!(s.try_recv_datagram().expect("empty").is_none());
}

#[test]
fn collect_each_lends_answers_and_stops_on_the_callers_error() {
    let (mut s, k) = fake();
    k.send(&[entry(4, 0), entry(4, 1), done(4, 0, 0)].concat())
        .unwrap();
    let mut keys = Vec::new();
    s.collect_each(4, |m| {
        keys.push(m.payload[5]);
        Ok(())
    })
    .expect("dump");
    assert_eq!(keys, [0, 1]);
    k.send(&[entry(5, 0), entry(5, 1), done(5, 0, 0)].concat())
        .unwrap();
    let r = s.collect_each(5, |_| Err(Error::Protocol("enough".into())));
    assert!(matches!(r, Err(Error::Protocol(t)) if t == "enough"));
    // What followed is not lost: the rest of the dump is queued.
    assert_eq!(s.pending(), 2);
}

// Against the host's kernel: NETLINK_ROUTE needs no privilege for a GETLINK.

fn getlink_lo(s: &mut Socket) -> u32 {
    // struct ifinfomsg { family, pad, type, index = 1 (lo), flags, change }
    let mut ifi = [0u8; 16];
    ifi[4..8].copy_from_slice(&1i32.to_ne_bytes());
    s.send(libc::RTM_GETLINK, NLM_F_ACK, |w| w.put_bytes(&ifi))
        .expect("send RTM_GETLINK")
}

#[test]
fn pipelined_requests_to_a_real_kernel_are_routed() {
    let mut s = Socket::open(libc::NETLINK_ROUTE as u32).expect("NETLINK_ROUTE socket");
    s.set_timeout(Some(Duration::from_secs(2))).unwrap();
    let a = getlink_lo(&mut s);
    let b = getlink_lo(&mut s);
    // Collected out of order: A's answers arrive first and must wait for collect(a).
    let got_b = s.collect(b).expect("answers to b");
    let got_a = s.collect(a).expect("answers to a");
    for got in [got_b, got_a] {
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].hdr.ty, libc::RTM_NEWLINK);
    }
    assert_eq!(s.pending(), 0);
}

/// Sends `bytes` from `from` to multicast group `group` of its protocol. The netlink core
/// multicasts, then also unicasts to `nl_pid` 0, which on NETLINK_USERSOCK has no kernel
/// socket: that `ECONNREFUSED` comes after the multicast went out.
fn send_to_group(from: &Socket, bytes: &[u8], group: u32) -> std::io::Result<()> {
    // SAFETY: `sockaddr_nl` is plain data; all-zero is valid.
    let mut a: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    a.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    a.nl_groups = 1 << (group - 1);
    // SAFETY: `bytes` is readable for its length; `a` is a valid address of its size.
    let r = unsafe {
        libc::sendto(
            from.as_fd().as_raw_fd(),
            bytes.as_ptr().cast(),
            bytes.len(),
            0,
            (&a as *const libc::sockaddr_nl).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as u32,
        )
    };
    let e = std::io::Error::last_os_error();
    if r < 0 && e.raw_os_error() != Some(libc::ECONNREFUSED) {
        return Err(e);
    }
    Ok(())
}

#[test]
fn a_real_multicast_that_looks_like_an_answer_is_an_event() {
    // NETLINK_USERSOCK lets user sockets multicast to each other; subscribing needs
    // CAP_NET_ADMIN, so without it the test has nothing to check.
    let usersock = libc::NETLINK_USERSOCK as u32;
    let mut s = Socket::open(usersock).expect("NETLINK_USERSOCK socket");
    s.set_timeout(Some(Duration::from_secs(2))).unwrap();
    if let Err(e) = s.add_membership(1) {
        eprintln!("skipped: joining a NETLINK_USERSOCK group: {e}");
        return;
    }
    let peer = Socket::open(usersock).expect("second socket");
    let seq = s.next_seq();
    // Same type, sequence number and port id 0 as a real answer: only the source
    // address tells the multicast apart.
    // A type no event has, so the event decodes as `Other`.
    let ty = 0x30;
    send_to_group(&peer, &msg(ty, 0, seq, b"multicast"), 1).expect("multicast");
    let answer = [msg(ty, 0, seq, b"answer"), error(seq, 0, None, None)].concat();
    peer.send_raw_to(&answer, s.portid()).expect("unicast");
    let got = s.collect(seq).expect("answers");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].payload, b"answer");
    match s.recv() {
        Ok(Incoming::Event(Event::Other(m))) => assert_eq!(m.payload, b"multicast"),
        other => panic!("want the multicast as an event, got {other:?}"),
    }
}
