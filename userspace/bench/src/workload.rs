//! The measurements. Every hot loop works in buffers allocated before the clock starts
//! and frames requests in place (only sequence numbers and counters change between
//! messages), so the client costs little next to the kernel. Every answer is checked
//! while measuring (payload, sequence number, key and value, entry count); a wrong
//! answer fails the run.
//!
//! Echo and floor share one loop ([`Bench::round_trips`]): the same `sendto` and `recv`
//! calls with the same sizes, to port id 0 (the module) or to the socket's own port id.

use crate::hist::Hist;
use crate::rows::{Kind, Row, BATCH, SMALL_PAYLOAD};
use crate::stats;
use nlfam::proto::attr::{AttrIter, Writer};
use nlfam::proto::errno;
use nlfam::proto::family::{attr, msg};
use nlfam::proto::wire::{
    DoneMsg, ErrorMsg, MsgIter, NlMsgHdr, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLM_F_ACK,
    NLM_F_CREATE, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_EXCL, NLM_F_MULTI, NLM_F_REPLACE,
    NLM_F_REQUEST,
};
use nlfam::{sys, Error, Socket};
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::time::{Duration, Instant};

/// Receive buffer: a 64 KiB echo, a 64-message batch or a dump skb fit many times over.
const RX_BUF: usize = 256 * 1024;
/// Transmit buffer: the largest echo or a batch of fill requests.
const TX_BUF: usize = 128 * 1024;
/// SET requests per datagram while filling the store (not measured).
const FILL_BATCH: usize = 256;
/// Publishes per fan-out iteration before the subscribers are drained.
const FANOUT_BURST: usize = 16;
/// The group fan-out publishes to.
const FANOUT_GROUP: u32 = 7;
/// How long a subscriber waits for an event before counting it as dropped.
const SUBSCRIBER_WAIT: Duration = Duration::from_secs(2);
/// Longest wait for any answer of the module: beyond it the run fails.
const ANSWER_WAIT: Duration = Duration::from_secs(30);
/// Bytes of every stored value.
pub const VALUE_LEN: usize = 32;
/// Bytes of every stored key (without its NUL).
pub const KEY_LEN: usize = 8;

/// One sample: `ops` operations (messages, deliveries, entries) in `ns` nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sample {
    /// Operations completed.
    pub ops: u64,
    /// Wall time they took.
    pub ns: u64,
    /// Median time per round trip (echo and floor).
    pub p50_ns: Option<u32>,
    /// 99th percentile time per round trip (echo and floor).
    pub p99_ns: Option<u32>,
    /// Events not delivered (fan-out).
    pub drops: Option<u64>,
}

impl Sample {
    /// Operations per second.
    pub fn rate(&self) -> f64 {
        self.ops as f64 * 1e9 / self.ns.max(1) as f64
    }

    /// Nanoseconds per operation.
    pub fn cost_ns(&self) -> f64 {
        self.ns as f64 / self.ops.max(1) as f64
    }
}

/// Repeats `op`, which returns how many operations it did, until `dur` has passed: one
/// sample, timed from the first call to the end of the last.
fn timed(dur: Duration, mut op: impl FnMut() -> Result<u64, Error>) -> Result<Sample, Error> {
    let start = Instant::now();
    let mut ops = 0u64;
    loop {
        ops += op()?;
        let elapsed = start.elapsed();
        if elapsed >= dur {
            return Ok(Sample {
                ops,
                ns: elapsed.as_nanos() as u64,
                ..Sample::default()
            });
        }
    }
}

fn wrong(what: String) -> Error {
    Error::Protocol(format!("wrong answer: {what}"))
}

/// Key `i` of the benchmark's store: "k" and seven digits (bytewise order = index order).
pub fn key(i: u64, out: &mut [u8; KEY_LEN]) {
    out[0] = b'k';
    let mut n = i;
    for d in out[1..].iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// Value of key `i`: "v", seven digits and a fixed filler, 32 bytes.
pub fn value(i: u64, out: &mut [u8; VALUE_LEN]) {
    const FILL: &[u8; VALUE_LEN] = b"v0000000:nlfam-bench-value-32-b.";
    out.copy_from_slice(FILL);
    let mut n = i;
    for d in out[1..8].iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

fn kernel_error(e: &ErrorMsg<'_>) -> Error {
    Error::Kernel {
        errno: e.error.saturating_neg(),
        msg: e.ext.msg.map(|m| String::from_utf8_lossy(m).into_owned()),
        offset: e.ext.offset,
        missing: e.ext.missing_type,
    }
}

fn put_seq(buf: &mut [u8], at: usize, seq: u32) {
    buf[at + 8..at + 12].copy_from_slice(&seq.to_ne_bytes());
}

/// The state of a benchmark client: one socket on the family, buffers, and how many
/// entries it put into the store.
pub struct Bench {
    sock: Socket,
    fd: RawFd,
    portid: u32,
    seq: u32,
    rx: Vec<u8>,
    tx: Vec<u8>,
    lat: Vec<u32>,
    hist: Hist,
    filled: u64,
    rng: u64,
}

impl Bench {
    /// Opens a socket on `family` (the module must be loaded).
    pub fn open(family: u32) -> Result<Bench, Error> {
        let sock = Socket::open(family)?;
        sock.set_timeout(Some(ANSWER_WAIT))?;
        let fd = sock.as_fd().as_raw_fd();
        let portid = sock.portid();
        Ok(Bench {
            sock,
            fd,
            portid,
            seq: 1,
            rx: vec![0; RX_BUF],
            tx: vec![0; TX_BUF],
            lat: Vec::with_capacity(1 << 20),
            hist: Hist::default(),
            filled: 0,
            rng: 0x9e37_79b9_7f4a_7c15,
        })
    }

    /// Entries the store holds (STATS).
    pub fn entries(&mut self) -> Result<u64, Error> {
        Ok(u64::from(self.sock.stats()?.entries))
    }

    /// The latencies of every recorded round trip of the last echo or floor row.
    pub fn take_hist(&mut self) -> Hist {
        std::mem::take(&mut self.hist)
    }

    /// Entries this client added.
    pub fn filled(&self) -> u64 {
        self.filled
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    fn random_below(&mut self, n: u64) -> u64 {
        // xorshift64*: cheap, deterministic.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1)
    }

    /// Receives one datagram into the receive buffer; its length.
    fn recv(&mut self) -> Result<usize, Error> {
        let n = sys::recv(self.fd, &mut self.rx, libc::MSG_TRUNC)?;
        if n > self.rx.len() {
            return Err(Error::Protocol(format!(
                "a {n}-byte datagram did not fit the {}-byte receive buffer",
                self.rx.len()
            )));
        }
        Ok(n)
    }

    /// Runs `samples` samples of `row` (after one unrecorded warm-up sample), each at
    /// least `dur` long and at least one operation.
    pub fn run_row(
        &mut self,
        row: Row,
        samples: usize,
        dur: Duration,
    ) -> Result<Vec<Sample>, Error> {
        // Under TCG the first run of a kernel path pays for its translation: warm up for
        // a whole sample (at least 100 ms), unrecorded.
        let warm = dur.max(Duration::from_millis(100));
        match row.kind {
            Kind::Echo | Kind::Floor => {
                let dest = if row.kind == Kind::Echo {
                    0
                } else {
                    self.portid
                };
                let size = row.size as usize;
                self.round_trips(dest, size, warm)?;
                self.hist = Hist::default();
                (0..samples)
                    .map(|_| self.round_trips(dest, size, dur))
                    .collect()
            }
            Kind::Batch => {
                self.batch(row.size as usize, warm)?;
                (0..samples)
                    .map(|_| self.batch(row.size as usize, dur))
                    .collect()
            }
            Kind::Fanout => self.fanout(row.size as usize, samples, dur),
            Kind::Dump | Kind::Set | Kind::Get => {
                if self.filled != row.size {
                    return Err(Error::Protocol(format!(
                        "{row} needs a store of {} entries, it holds {}",
                        row.size, self.filled
                    )));
                }
                let one = |b: &mut Bench, d| match row.kind {
                    Kind::Dump => b.dump(d),
                    Kind::Set => b.set(d),
                    _ => b.get(d),
                };
                one(self, warm)?;
                (0..samples).map(|_| one(self, dur)).collect()
            }
        }
    }

    /// Echo (dest 0) or floor (dest = own port id): one message of `size` payload bytes
    /// per `sendto`, its answer per `recv`, checked; one clock read per round trip, whose
    /// differences give the latency percentiles.
    fn round_trips(&mut self, dest: u32, size: usize, dur: Duration) -> Result<Sample, Error> {
        let len = NLMSG_HDRLEN + size;
        if len > self.tx.len() {
            return Err(Error::Protocol(format!("echo of {size} bytes too large")));
        }
        let hdr = NlMsgHdr {
            len: len as u32,
            ty: msg::ECHO,
            flags: NLM_F_REQUEST,
            seq: 0,
            pid: self.portid,
        };
        self.tx[..NLMSG_HDRLEN].copy_from_slice(&hdr.to_bytes());
        for (i, b) in self.tx[NLMSG_HDRLEN..len].iter_mut().enumerate() {
            // A pattern, not zeros: a payload mix-up shows.
            *b = (i % 251) as u8;
        }
        self.lat.clear();
        let start = Instant::now();
        let mut prev = start;
        let mut ops = 0u64;
        loop {
            let seq = self.next_seq();
            put_seq(&mut self.tx, 0, seq);
            sys::send_to(self.fd, &self.tx[..len], dest)?;
            let n = self.recv()?;
            let got = &self.rx[..n];
            let hdr = NlMsgHdr::parse(got).unwrap_or_default();
            if hdr.ty != msg::ECHO || hdr.seq != seq || hdr.len as usize != len || n < len {
                return Err(self.unexpected(n, "an echo", seq));
            }
            if got[NLMSG_HDRLEN..len] != self.tx[NLMSG_HDRLEN..len] {
                return Err(wrong(format!("echo of {size} bytes came back different")));
            }
            ops += 1;
            let now = Instant::now();
            self.lat
                .push((now - prev).as_nanos().min(u32::MAX as u128) as u32);
            prev = now;
            if now - start >= dur {
                break;
            }
        }
        for &l in &self.lat {
            self.hist.record(l);
        }
        Ok(Sample {
            ops,
            ns: (prev - start).as_nanos() as u64,
            p50_ns: Some(stats::percentile(&mut self.lat, 50.0)),
            p99_ns: Some(stats::percentile(&mut self.lat, 99.0)),
            drops: None,
        })
    }

    /// Describes an unexpected datagram: a kernel error if it is one.
    fn unexpected(&self, n: usize, wanted: &str, seq: u32) -> Error {
        if let Some(m) = MsgIter::new(&self.rx[..n]).next() {
            if m.hdr.ty == NLMSG_ERROR {
                if let Some(e) = ErrorMsg::parse(m.payload, m.hdr.flags) {
                    if e.error != 0 {
                        return kernel_error(&e);
                    }
                }
            }
            return wrong(format!(
                "expected {wanted} with seq {seq}, got type {:#x} seq {} len {} in a {n}-byte datagram",
                m.hdr.ty, m.hdr.seq, m.hdr.len
            ));
        }
        wrong(format!(
            "expected {wanted}, got a {n}-byte datagram without a message"
        ))
    }

    /// Batched echo: [`BATCH`] messages of `size` bytes in one `sendmsg`, answers
    /// received (coalesced into as few datagrams as the module manages) and checked.
    fn batch(&mut self, size: usize, dur: Duration) -> Result<Sample, Error> {
        let payload: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let mut offsets = [0usize; BATCH];
        let total = {
            let mut w = Writer::new(&mut self.tx);
            for off in offsets.iter_mut() {
                *off = w.len();
                let m = w
                    .begin_msg(msg::ECHO, NLM_F_REQUEST, 0, self.portid)
                    .map_err(|_| Error::Protocol("batch too large".into()))?;
                w.put_bytes(&payload)
                    .map_err(|_| Error::Protocol("batch too large".into()))?;
                w.end_msg(m).ok();
            }
            w.len()
        };
        timed(dur, || {
            let first = self.seq.wrapping_add(1);
            for &off in &offsets {
                let seq = self.next_seq();
                put_seq(&mut self.tx, off, seq);
            }
            sys::send_to(self.fd, &self.tx[..total], 0)?;
            let mut got = 0usize;
            while got < BATCH {
                let n = self.recv()?;
                let mut it = MsgIter::new(&self.rx[..n]);
                for m in it.by_ref() {
                    let want = first.wrapping_add(got as u32);
                    if m.hdr.ty != msg::ECHO || m.hdr.seq != want || got >= BATCH {
                        return Err(self.unexpected_in_batch(m.hdr, want));
                    }
                    if m.payload != payload.as_slice() {
                        return Err(wrong(format!("batched echo {got} came back different")));
                    }
                    got += 1;
                }
                if it.malformed() {
                    return Err(wrong("a malformed datagram in a batch's answers".into()));
                }
            }
            Ok(BATCH as u64)
        })
    }

    fn unexpected_in_batch(&self, hdr: NlMsgHdr, want: u32) -> Error {
        wrong(format!(
            "expected the echo with seq {want} of a batch, got type {:#x} seq {}",
            hdr.ty, hdr.seq
        ))
    }

    /// Fan-out: `subs` sockets joined to a group; per iteration [`FANOUT_BURST`] PUBLISH
    /// requests (one per `sendto`, no ACK), then every subscriber drained in turn.
    /// Each event is checked (group, publisher, payload counter); a gap in a
    /// subscriber's counters, or an event that does not come within 2 s, is a drop.
    fn fanout(&mut self, subs: usize, samples: usize, dur: Duration) -> Result<Vec<Sample>, Error> {
        let mut sockets = Vec::with_capacity(subs);
        for _ in 0..subs {
            let s = Socket::open(self.sock.family())?;
            s.add_membership(FANOUT_GROUP)?;
            s.set_timeout(Some(SUBSCRIBER_WAIT))?;
            sockets.push(s);
        }
        let fds: Vec<RawFd> = sockets.iter().map(|s| s.as_fd().as_raw_fd()).collect();
        let mut expected = vec![1u64; subs];
        let payload = [0u8; SMALL_PAYLOAD];
        let (len, counter_at) = {
            let mut w = Writer::new(&mut self.tx);
            let m = w
                .begin_msg(msg::PUBLISH, NLM_F_REQUEST, 0, self.portid)
                .map_err(|_| Error::Protocol("publish too large".into()))?;
            w.put_u32(attr::GROUP, FANOUT_GROUP).ok();
            let at = w.len() + 4;
            w.put_attr(attr::PAYLOAD, &payload).ok();
            w.end_msg(m).ok();
            (w.len(), at)
        };
        let mut counter = 0u64;
        // Warm-up: one publish with an ACK proves the module accepts them.
        {
            counter += 1;
            self.tx[counter_at..counter_at + 8].copy_from_slice(&counter.to_ne_bytes());
            let seq = self.next_seq();
            put_seq(&mut self.tx, 0, seq);
            let flags = NLM_F_REQUEST | NLM_F_ACK;
            self.tx[6..8].copy_from_slice(&flags.to_ne_bytes());
            sys::send_to(self.fd, &self.tx[..len], 0)?;
            self.expect_ack(seq)?;
            self.tx[6..8].copy_from_slice(&NLM_F_REQUEST.to_ne_bytes());
            let mut drops = 0;
            for (i, &fd) in fds.iter().enumerate() {
                drops += self.drain(fd, &mut expected[i], counter)?;
            }
            if drops != 0 {
                return Err(wrong(format!(
                    "{drops} of {subs} subscribers missed the first event"
                )));
            }
        }
        let mut out = Vec::with_capacity(samples);
        // Sample 0 is the unrecorded warm-up.
        for k in 0..=samples {
            let dur = if k == 0 {
                dur.max(Duration::from_millis(100))
            } else {
                dur
            };
            let start = Instant::now();
            let mut ops = 0u64;
            let mut drops = 0u64;
            let mut now;
            loop {
                for _ in 0..FANOUT_BURST {
                    counter += 1;
                    self.tx[counter_at..counter_at + 8].copy_from_slice(&counter.to_ne_bytes());
                    let seq = self.next_seq();
                    put_seq(&mut self.tx, 0, seq);
                    sys::send_to(self.fd, &self.tx[..len], 0)?;
                }
                for (i, &fd) in fds.iter().enumerate() {
                    drops += self.drain(fd, &mut expected[i], counter)?;
                }
                ops += (FANOUT_BURST * subs) as u64;
                now = Instant::now();
                if now - start >= dur {
                    break;
                }
            }
            if k == 0 {
                continue;
            }
            out.push(Sample {
                ops: ops - drops,
                ns: (now - start).as_nanos() as u64,
                drops: Some(drops),
                ..Sample::default()
            });
        }
        // Nothing may wait on the publisher's socket: errors are always answered.
        match sys::recv(self.fd, &mut self.rx, libc::MSG_DONTWAIT | libc::MSG_TRUNC) {
            Ok(n) => return Err(self.unexpected(n, "nothing (publishes without ACK)", 0)),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e.into()),
        }
        Ok(out)
    }

    /// Receives a subscriber's events up to counter `last`; returns how many were lost.
    fn drain(&mut self, fd: RawFd, expected: &mut u64, last: u64) -> Result<u64, Error> {
        let mut drops = 0;
        while *expected <= last {
            let n = match sys::recv(fd, &mut self.rx, libc::MSG_TRUNC) {
                Ok(n) if n <= self.rx.len() => n,
                Ok(n) => return Err(Error::Protocol(format!("a {n}-byte event"))),
                Err(e) if e.raw_os_error() == Some(errno::ENOBUFS) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    drops += last + 1 - *expected;
                    *expected = last + 1;
                    break;
                }
                Err(e) => return Err(e.into()),
            };
            for m in MsgIter::new(&self.rx[..n]) {
                if m.hdr.ty != msg::PUBLISH {
                    return Err(wrong(format!("subscriber got type {:#x}", m.hdr.ty)));
                }
                let (mut group, mut port, mut c) = (0, 0, None);
                for a in AttrIter::new(m.payload) {
                    match a.ty {
                        attr::GROUP => group = a.u32().unwrap_or(0),
                        attr::PORTID => port = a.u32().unwrap_or(0),
                        attr::PAYLOAD if a.payload.len() == SMALL_PAYLOAD => {
                            c = Some(u64::from_ne_bytes(
                                a.payload[..8].try_into().unwrap_or_default(),
                            ))
                        }
                        _ => {}
                    }
                }
                let c = c.ok_or_else(|| wrong("event without a 64-byte PAYLOAD".into()))?;
                if group != FANOUT_GROUP || port != self.portid || c < *expected || c > last {
                    return Err(wrong(format!(
                        "event group {group} port {port} counter {c}, expected group {FANOUT_GROUP} port {} counter {}..={last}",
                        self.portid, *expected
                    )));
                }
                drops += c - *expected;
                *expected = c + 1;
            }
        }
        Ok(drops)
    }

    /// Waits for the ACK of `seq`; an error answer fails.
    fn expect_ack(&mut self, seq: u32) -> Result<(), Error> {
        loop {
            let n = self.recv()?;
            for m in MsgIter::new(&self.rx[..n]) {
                if m.hdr.ty != NLMSG_ERROR {
                    continue;
                }
                let e = ErrorMsg::parse(m.payload, m.hdr.flags)
                    .ok_or_else(|| wrong("short NLMSG_ERROR".into()))?;
                if e.error != 0 {
                    return Err(kernel_error(&e));
                }
                if m.hdr.seq == seq {
                    return Ok(());
                }
            }
        }
    }

    /// Adds entries (CREATE|EXCL: an existing key is an error) until the store holds
    /// `n` of this client's entries; [`FILL_BATCH`] requests per datagram, the last with
    /// `NLM_F_ACK` (errors of the others come before it). Checks the count with STATS.
    pub fn fill_to(&mut self, n: u64) -> Result<(), Error> {
        self.batch_write(n, true)
    }

    /// Deletes the entries this client added.
    pub fn clear(&mut self) -> Result<(), Error> {
        self.batch_write(0, false)
    }

    fn batch_write(&mut self, target: u64, create: bool) -> Result<(), Error> {
        let mut k = [0u8; KEY_LEN];
        let mut v = [0u8; VALUE_LEN];
        while self.filled != target {
            let lo = self.filled.min(target);
            let hi = self.filled.max(target);
            let count = ((hi - lo) as usize).min(FILL_BATCH);
            let first = if create {
                self.filled
            } else {
                self.filled - count as u64
            };
            let mut last_seq = 0;
            let len = {
                let mut w = Writer::new(&mut self.tx);
                for j in 0..count {
                    let i = first + j as u64;
                    self.seq = self.seq.wrapping_add(1);
                    last_seq = self.seq;
                    let ack = if j + 1 == count { NLM_F_ACK } else { 0 };
                    let (ty, flags) = if create {
                        (msg::KV_SET, NLM_F_CREATE | NLM_F_EXCL)
                    } else {
                        (msg::KV_DEL, 0)
                    };
                    let fail = |_| Error::Protocol("fill batch too large".into());
                    let m = w
                        .begin_msg(ty, NLM_F_REQUEST | flags | ack, last_seq, self.portid)
                        .map_err(fail)?;
                    key(i, &mut k);
                    w.put_str(attr::KEY, &k).map_err(fail)?;
                    if create {
                        value(i, &mut v);
                        w.put_attr(attr::VALUE, &v).map_err(fail)?;
                    }
                    w.end_msg(m).map_err(fail)?;
                }
                w.len()
            };
            sys::send_to(self.fd, &self.tx[..len], 0)?;
            self.expect_ack(last_seq)?;
            self.filled = if create {
                self.filled + count as u64
            } else {
                first
            };
        }
        Ok(())
    }

    /// One dump per iteration, every entry checked (key, value, order, count, no
    /// `NLM_F_DUMP_INTR`, `NLMSG_DONE` with status 0).
    fn dump(&mut self, dur: Duration) -> Result<Sample, Error> {
        let n = self.filled;
        let mut k = [0u8; KEY_LEN];
        let mut v = [0u8; VALUE_LEN];
        timed(dur, || {
            let seq = self.next_seq();
            let len = {
                let mut w = Writer::new(&mut self.tx);
                let m = w
                    .begin_msg(msg::KV_GET, NLM_F_REQUEST | NLM_F_DUMP, seq, self.portid)
                    .map_err(|_| Error::Protocol("dump request".into()))?;
                w.end_msg(m).ok();
                w.len()
            };
            sys::send_to(self.fd, &self.tx[..len], 0)?;
            let mut i = 0u64;
            'dump: loop {
                let got = self.recv()?;
                for m in MsgIter::new(&self.rx[..got]) {
                    if m.hdr.seq != seq {
                        return Err(wrong(format!(
                            "dump answer with seq {} for {seq}",
                            m.hdr.seq
                        )));
                    }
                    match m.hdr.ty {
                        NLMSG_DONE => {
                            let d = DoneMsg::parse(m.payload, m.hdr.flags);
                            if d.error != 0 {
                                return Err(Error::Kernel {
                                    errno: -d.error,
                                    msg: d.ext.msg.map(|s| String::from_utf8_lossy(s).into_owned()),
                                    offset: None,
                                    missing: None,
                                });
                            }
                            if m.hdr.flags & NLM_F_DUMP_INTR != 0 {
                                return Err(wrong("dump interrupted (NLM_F_DUMP_INTR)".into()));
                            }
                            break 'dump;
                        }
                        NLMSG_ERROR => {
                            let e = ErrorMsg::parse(m.payload, m.hdr.flags)
                                .ok_or_else(|| wrong("short NLMSG_ERROR".into()))?;
                            return Err(kernel_error(&e));
                        }
                        msg::KV_SET => {
                            if m.hdr.flags & NLM_F_MULTI == 0 || m.hdr.flags & NLM_F_DUMP_INTR != 0
                            {
                                return Err(wrong(format!("dump entry flags {:#x}", m.hdr.flags)));
                            }
                            let (mut gk, mut gv) = (None, None);
                            for a in AttrIter::new(m.payload) {
                                match a.ty {
                                    attr::KEY => gk = a.cstr(),
                                    attr::VALUE => gv = Some(a.payload),
                                    _ => {}
                                }
                            }
                            key(i, &mut k);
                            value(i, &mut v);
                            if gk != Some(&k[..]) || gv != Some(&v[..]) {
                                return Err(wrong(format!(
                                    "dump entry {i} of {n}: got key {:?}, expected {:?}",
                                    gk.map(String::from_utf8_lossy),
                                    String::from_utf8_lossy(&k)
                                )));
                            }
                            i += 1;
                        }
                        t => return Err(wrong(format!("dump answer of type {t:#x}"))),
                    }
                }
            }
            if i != n {
                return Err(wrong(format!(
                    "dump returned {i} entries, the store holds {n}"
                )));
            }
            Ok(n)
        })
    }

    /// SET (`NLM_F_REPLACE`, same value) of random existing keys, one per `sendto`, each
    /// waiting for its ACK.
    fn set(&mut self, dur: Duration) -> Result<Sample, Error> {
        let mut k = [0u8; KEY_LEN];
        let mut v = [0u8; VALUE_LEN];
        timed(dur, || {
            let i = self.random_below(self.filled);
            key(i, &mut k);
            value(i, &mut v);
            let seq = self.next_seq();
            let len = {
                let mut w = Writer::new(&mut self.tx);
                let m = w
                    .begin_msg(
                        msg::KV_SET,
                        NLM_F_REQUEST | NLM_F_ACK | NLM_F_REPLACE,
                        seq,
                        self.portid,
                    )
                    .map_err(|_| Error::Protocol("set request".into()))?;
                w.put_str(attr::KEY, &k).ok();
                w.put_attr(attr::VALUE, &v).ok();
                w.end_msg(m).ok();
                w.len()
            };
            sys::send_to(self.fd, &self.tx[..len], 0)?;
            let n = self.recv()?;
            let ok = MsgIter::new(&self.rx[..n]).next().is_some_and(|m| {
                m.hdr.ty == NLMSG_ERROR
                    && m.hdr.seq == seq
                    && ErrorMsg::parse(m.payload, m.hdr.flags).is_some_and(|e| e.error == 0)
            });
            if !ok {
                return Err(self.unexpected(n, "the ACK of a SET", seq));
            }
            Ok(1)
        })
    }

    /// GET of random existing keys, one per `sendto` (no ACK: the answer is the entry),
    /// the value checked.
    fn get(&mut self, dur: Duration) -> Result<Sample, Error> {
        let mut k = [0u8; KEY_LEN];
        let mut v = [0u8; VALUE_LEN];
        timed(dur, || {
            let i = self.random_below(self.filled);
            key(i, &mut k);
            value(i, &mut v);
            let seq = self.next_seq();
            let len = {
                let mut w = Writer::new(&mut self.tx);
                let m = w
                    .begin_msg(msg::KV_GET, NLM_F_REQUEST, seq, self.portid)
                    .map_err(|_| Error::Protocol("get request".into()))?;
                w.put_str(attr::KEY, &k).ok();
                w.end_msg(m).ok();
                w.len()
            };
            sys::send_to(self.fd, &self.tx[..len], 0)?;
            let n = self.recv()?;
            let Some(m) = MsgIter::new(&self.rx[..n])
                .next()
                .filter(|m| m.hdr.ty == msg::KV_SET && m.hdr.seq == seq)
            else {
                return Err(self.unexpected(n, "a GET answer", seq));
            };
            let (mut gk, mut gv) = (None, None);
            for a in AttrIter::new(m.payload) {
                match a.ty {
                    attr::KEY => gk = a.cstr(),
                    attr::VALUE => gv = Some(a.payload),
                    _ => {}
                }
            }
            if gk != Some(&k[..]) || gv != Some(&v[..]) {
                return Err(wrong(format!(
                    "GET {} answered key {:?} value {:?}",
                    String::from_utf8_lossy(&k),
                    gk.map(String::from_utf8_lossy),
                    gv.map(String::from_utf8_lossy)
                )));
            }
            Ok(1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_like_their_indices() {
        let (mut a, mut b) = ([0u8; KEY_LEN], [0u8; KEY_LEN]);
        key(0, &mut a);
        assert_eq!(&a, b"k0000000");
        key(1_099_999, &mut a);
        assert_eq!(&a, b"k1099999");
        for i in [0u64, 9, 99, 999_999] {
            key(i, &mut a);
            key(i + 1, &mut b);
            assert!(a < b);
        }
        let mut v = [0u8; VALUE_LEN];
        value(42, &mut v);
        assert_eq!(&v, b"v0000042:nlfam-bench-value-32-b.");
    }

    #[test]
    fn rates_and_costs() {
        let s = Sample {
            ops: 1000,
            ns: 250_000_000,
            ..Sample::default()
        };
        assert_eq!(s.rate(), 4000.0);
        assert_eq!(s.cost_ns(), 250_000.0);
    }
}
