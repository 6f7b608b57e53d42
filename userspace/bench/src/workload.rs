//! The measurements. Every hot loop works in buffers allocated before the clock starts
//! and frames requests in place (only sequence numbers and counters change between
//! messages), so the client costs little next to the kernel. Every answer is checked
//! while measuring (payload, sequence number, key and value, entry count); a wrong
//! answer fails the run.
//!
//! The socket work is the client's: caller-framed datagrams go out with
//! [`Socket::send_raw`], answers come back borrowed from the client's receive buffer,
//! routed by sequence number ([`Socket::collect_each`]) or a datagram at a time
//! ([`Socket::recv_datagram`]) where the workload has no ACK to wait for.
//!
//! Echo and floor share one loop ([`Bench::round_trips`]): the same `send` and `recv`
//! calls with the same sizes, to port id 0 (the module) or to the socket's own port id.

use crate::hist::Hist;
use crate::rows::{Kind, Row, BATCH, SMALL_PAYLOAD};
use crate::stats;
use nlfam::proto::attr::{AttrIter, NoSpace, Writer};
use nlfam::proto::family::{attr, msg};
use nlfam::proto::wire::{
    Msg, NLMSG_HDRLEN, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_EXCL,
    NLM_F_MULTI, NLM_F_REQUEST,
};
use nlfam::{Datagram, Error, SetMode, Socket};
use std::time::{Duration, Instant};

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

/// `size` bytes of a pattern (0, 1, ... 250, 0, ...).
fn pattern(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i % 251) as u8).collect()
}

fn put_seq(buf: &mut [u8], at: usize, seq: u32) {
    buf[at + 8..at + 12].copy_from_slice(&seq.to_ne_bytes());
}

fn too_big(what: &'static str) -> impl Fn(NoSpace) -> Error {
    move |_| Error::Protocol(format!("{what} does not fit the transmit buffer"))
}

/// Describes the first message of an unexpected datagram: the kernel's error if it is one.
fn unexpected(d: Datagram<'_>, wanted: &str, seq: u32) -> Error {
    let n = d.bytes().len();
    match d.messages().next() {
        Some(m) => Error::of_answer(&m).unwrap_or_else(|| {
            wrong(format!(
                "expected {wanted} with seq {seq}, got type {:#x} seq {} len {} in a {n}-byte datagram",
                m.hdr.ty, m.hdr.seq, m.hdr.len
            ))
        }),
        None => wrong(format!(
            "expected {wanted}, got a {n}-byte datagram without a message"
        )),
    }
}

/// Checks that `m` is the `kv-set` entry of key `i` with `flags` (`NLM_F_MULTI` for a
/// dump entry, none for a GET answer; never `NLM_F_DUMP_INTR`). `what` names it in errors.
fn check_entry(m: &Msg<'_>, i: u64, flags: u16, what: impl Fn() -> String) -> Result<(), Error> {
    if m.hdr.ty != msg::KV_SET || m.hdr.flags & (NLM_F_MULTI | NLM_F_DUMP_INTR) != flags {
        return Err(wrong(format!(
            "{}: type {:#x} flags {:#x}",
            what(),
            m.hdr.ty,
            m.hdr.flags
        )));
    }
    let (mut k, mut v) = ([0u8; KEY_LEN], [0u8; VALUE_LEN]);
    key(i, &mut k);
    value(i, &mut v);
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
            "{}: got key {:?} value {:?}, expected {:?}",
            what(),
            gk.map(String::from_utf8_lossy),
            gv.map(String::from_utf8_lossy),
            String::from_utf8_lossy(&k)
        )));
    }
    Ok(())
}

/// The state of a benchmark client: one socket on the family, a transmit buffer, and
/// how many entries it put into the store.
pub struct Bench {
    sock: Socket,
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
        Ok(Bench {
            sock,
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

    fn random_below(&mut self, n: u64) -> u64 {
        // xorshift64*: cheap, deterministic.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1)
    }

    /// Frames one message of type `ty` at the start of the transmit buffer; its length.
    fn frame(
        &mut self,
        ty: u16,
        flags: u16,
        build: impl FnOnce(&mut Writer<'_>) -> Result<(), NoSpace>,
    ) -> Result<usize, Error> {
        let portid = self.sock.portid();
        let mut w = Writer::new(&mut self.tx);
        let m = w
            .begin_msg(ty, NLM_F_REQUEST | flags, 0, portid)
            .map_err(too_big("a request"))?;
        build(&mut w).map_err(too_big("a request"))?;
        w.end_msg(m).map_err(too_big("a request"))?;
        Ok(w.len())
    }

    /// Runs `samples` samples of `row` (after one unrecorded warm-up sample), each at
    /// least `dur` long and at least one operation. Anything left unread on the socket
    /// afterwards (an answer nobody asked for) fails the row.
    pub fn run_row(
        &mut self,
        row: Row,
        samples: usize,
        dur: Duration,
    ) -> Result<Vec<Sample>, Error> {
        let out = self.run_samples(row, samples, dur)?;
        if let Some(m) = self.sock.try_recv()? {
            return Err(wrong(format!("an answer nobody asked for: {m:?}")));
        }
        Ok(out)
    }

    fn run_samples(
        &mut self,
        row: Row,
        samples: usize,
        dur: Duration,
    ) -> Result<Vec<Sample>, Error> {
        // Under TCG the first run of a kernel path pays for its translation: warm up for
        // a whole sample (at least 100 ms), unrecorded.
        let warm = dur.max(Duration::from_millis(100));
        let size = row.size as usize;
        match row.kind {
            Kind::Echo | Kind::Floor => {
                let dest = if row.kind == Kind::Echo {
                    0
                } else {
                    self.sock.portid()
                };
                self.round_trips(dest, size, warm)?;
                self.hist = Hist::default();
                (0..samples)
                    .map(|_| self.round_trips(dest, size, dur))
                    .collect()
            }
            Kind::Batch => {
                self.batch(size, warm)?;
                (0..samples).map(|_| self.batch(size, dur)).collect()
            }
            Kind::Fanout => self.fanout(size, samples, dur),
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
    /// per send, its answer per receive, checked; one clock read per round trip, whose
    /// differences give the latency percentiles.
    fn round_trips(&mut self, dest: u32, size: usize, dur: Duration) -> Result<Sample, Error> {
        // A pattern, not zeros: a payload mix-up shows.
        let len = self.frame(msg::ECHO, 0, |w| w.put_bytes(&pattern(size)))?;
        let sent = NLMSG_HDRLEN..NLMSG_HDRLEN + size;
        self.lat.clear();
        let start = Instant::now();
        let mut prev = start;
        let mut ops = 0u64;
        loop {
            let seq = self.sock.next_seq();
            put_seq(&mut self.tx, 0, seq);
            self.sock.send_raw_to(&self.tx[..len], dest)?;
            let d = self.sock.recv_datagram()?;
            match d.messages().next() {
                Some(m) if m.hdr.ty == msg::ECHO && m.hdr.seq == seq => {
                    if m.payload != &self.tx[sent.clone()] {
                        return Err(wrong(format!("echo of {size} bytes came back different")));
                    }
                }
                _ => return Err(unexpected(d, "an echo", seq)),
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

    /// Batched echo: [`BATCH`] messages of `size` bytes in one send, answers received
    /// (coalesced into as few datagrams as the module manages) and checked.
    fn batch(&mut self, size: usize, dur: Duration) -> Result<Sample, Error> {
        let payload = pattern(size);
        // One framed echo (padded), copied BATCH times.
        let one = self.frame(msg::ECHO, 0, |w| w.put_bytes(&payload))?;
        if one * BATCH > self.tx.len() {
            return Err(Error::Protocol("batch too large".into()));
        }
        for i in 1..BATCH {
            self.tx.copy_within(..one, i * one);
        }
        let total = one * BATCH;
        let mut seqs = [0u32; BATCH];
        timed(dur, || {
            for (i, seq) in seqs.iter_mut().enumerate() {
                *seq = self.sock.next_seq();
                put_seq(&mut self.tx, i * one, *seq);
            }
            self.sock.send_raw(&self.tx[..total])?;
            let mut got = 0usize;
            while got < BATCH {
                for m in self.sock.recv_datagram()? {
                    let want = seqs.get(got).copied().unwrap_or(0);
                    if m.hdr.ty != msg::ECHO || m.hdr.seq != want {
                        return Err(wrong(format!(
                            "expected the echo with seq {want} of a batch, got type {:#x} seq {}",
                            m.hdr.ty, m.hdr.seq
                        )));
                    }
                    if m.payload != payload.as_slice() {
                        return Err(wrong(format!("batched echo {got} came back different")));
                    }
                    got += 1;
                }
            }
            Ok(BATCH as u64)
        })
    }

    /// Fan-out: `subs` sockets joined to a group; per iteration [`FANOUT_BURST`] PUBLISH
    /// requests (one per send, no ACK), then every subscriber drained in turn.
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
        let mut expected = vec![1u64; subs];
        let payload = [0u8; SMALL_PAYLOAD];
        let mut counter_at = 0;
        let len = self.frame(msg::PUBLISH, 0, |w| {
            w.put_u32(attr::GROUP, FANOUT_GROUP)?;
            counter_at = w.len() + 4;
            w.put_attr(attr::PAYLOAD, &payload)
        })?;
        let mut counter = 0u64;
        let mut publish = |b: &mut Bench, flags: u16| {
            counter += 1;
            b.tx[counter_at..counter_at + 8].copy_from_slice(&counter.to_ne_bytes());
            b.tx[6..8].copy_from_slice(&(NLM_F_REQUEST | flags).to_ne_bytes());
            let seq = b.sock.next_seq();
            put_seq(&mut b.tx, 0, seq);
            b.sock.send_raw(&b.tx[..len]).map(|()| (seq, counter))
        };
        // Warm-up: one publish with an ACK proves the module accepts them.
        let (seq, last) = publish(self, NLM_F_ACK)?;
        self.ack(seq)?;
        let mut drops = 0;
        for (s, e) in sockets.iter_mut().zip(&mut expected) {
            drops += self.drain(s, e, last)?;
        }
        if drops != 0 {
            return Err(wrong(format!(
                "{drops} of {subs} subscribers missed the first event"
            )));
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
                let mut last = 0;
                for _ in 0..FANOUT_BURST {
                    last = publish(self, 0)?.1;
                }
                for (s, e) in sockets.iter_mut().zip(&mut expected) {
                    drops += self.drain(s, e, last)?;
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
        // Nothing may wait on the publisher's socket (errors are always answered): checked
        // by `run_row`.
        Ok(out)
    }

    /// Receives a subscriber's events up to counter `last`; returns how many were lost.
    fn drain(&self, s: &mut Socket, expected: &mut u64, last: u64) -> Result<u64, Error> {
        let portid = self.sock.portid();
        let mut drops = 0;
        while *expected <= last {
            let d = match s.recv_datagram() {
                Ok(d) => d,
                Err(Error::Overrun) => continue,
                Err(Error::Timeout) => {
                    drops += last + 1 - *expected;
                    *expected = last + 1;
                    break;
                }
                Err(e) => return Err(e),
            };
            for m in d {
                if m.hdr.ty != msg::PUBLISH {
                    return Err(wrong(format!("subscriber got type {:#x}", m.hdr.ty)));
                }
                let (mut group, mut port, mut c) = (None, None, None);
                for a in AttrIter::new(m.payload) {
                    match a.ty {
                        attr::GROUP => group = a.u32(),
                        attr::PORTID => port = a.u32(),
                        attr::PAYLOAD if a.payload.len() == SMALL_PAYLOAD => {
                            c = a.payload[..8].try_into().ok().map(u64::from_ne_bytes)
                        }
                        _ => {}
                    }
                }
                let c = c.ok_or_else(|| wrong("event without a 64-byte PAYLOAD".into()))?;
                if group != Some(FANOUT_GROUP) || port != Some(portid) || c < *expected || c > last
                {
                    return Err(wrong(format!(
                        "event group {group:?} port {port:?} counter {c}, expected group {FANOUT_GROUP} port {portid} counter {}..={last}",
                        *expected
                    )));
                }
                drops += c - *expected;
                *expected = c + 1;
            }
        }
        Ok(drops)
    }

    /// Waits for the ACK of `seq`; an error answer, or data before the ACK, fails.
    fn ack(&mut self, seq: u32) -> Result<(), Error> {
        self.sock.collect_each(seq, |m| {
            Err(wrong(format!(
                "data of type {:#x} before the ACK",
                m.hdr.ty
            )))
        })
    }

    /// Adds entries (CREATE|EXCL: an existing key is an error) until the store holds
    /// `n` of this client's entries; [`FILL_BATCH`] requests per datagram, all with one
    /// sequence number and the last with `NLM_F_ACK`: an error of any of them (which
    /// comes before the ACK) ends the wait. Checks the count with STATS.
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
        let (ty, flags) = if create {
            (msg::KV_SET, NLM_F_CREATE | NLM_F_EXCL)
        } else {
            (msg::KV_DEL, 0)
        };
        while self.filled != target {
            let count = (self.filled.abs_diff(target) as usize).min(FILL_BATCH);
            let first = if create {
                self.filled
            } else {
                self.filled - count as u64
            };
            let seq = self.sock.next_seq();
            let portid = self.sock.portid();
            let mut w = Writer::new(&mut self.tx);
            for j in 0..count {
                let i = first + j as u64;
                let ack = if j + 1 == count { NLM_F_ACK } else { 0 };
                let fail = too_big("a fill batch");
                let m = w
                    .begin_msg(ty, NLM_F_REQUEST | flags | ack, seq, portid)
                    .map_err(&fail)?;
                key(i, &mut k);
                w.put_str(attr::KEY, &k).map_err(&fail)?;
                if create {
                    value(i, &mut v);
                    w.put_attr(attr::VALUE, &v).map_err(&fail)?;
                }
                w.end_msg(m).map_err(&fail)?;
            }
            let len = w.len();
            self.sock.send_raw(&self.tx[..len])?;
            self.ack(seq)?;
            self.filled = if create { first + count as u64 } else { first };
        }
        Ok(())
    }

    /// One dump per iteration, every entry checked (key, value, order, count, no
    /// `NLM_F_DUMP_INTR`, `NLMSG_DONE` with status 0).
    fn dump(&mut self, dur: Duration) -> Result<Sample, Error> {
        let n = self.filled;
        timed(dur, || {
            let seq = self.sock.send(msg::KV_GET, NLM_F_DUMP, |_| Ok(()))?;
            let mut i = 0u64;
            self.sock.collect_each(seq, |m| {
                check_entry(m, i, NLM_F_MULTI, || format!("dump entry {i} of {n}"))?;
                i += 1;
                Ok(())
            })?;
            if self.sock.last_done_flags() & NLM_F_DUMP_INTR != 0 {
                return Err(wrong("dump interrupted (NLM_F_DUMP_INTR)".into()));
            }
            if i != n {
                return Err(wrong(format!(
                    "dump returned {i} entries, the store holds {n}"
                )));
            }
            Ok(n)
        })
    }

    /// SET (`NLM_F_REPLACE`, same value) of random existing keys, one per request, each
    /// waiting for its ACK.
    fn set(&mut self, dur: Duration) -> Result<Sample, Error> {
        let mut k = [0u8; KEY_LEN];
        let mut v = [0u8; VALUE_LEN];
        timed(dur, || {
            let i = self.random_below(self.filled);
            key(i, &mut k);
            value(i, &mut v);
            self.sock.set(&k, &v, SetMode::Replace)?;
            Ok(1)
        })
    }

    /// GET of random existing keys, one per request (no ACK: the answer is the entry),
    /// the value checked.
    fn get(&mut self, dur: Duration) -> Result<Sample, Error> {
        let mut k = [0u8; KEY_LEN];
        timed(dur, || {
            let i = self.random_below(self.filled);
            key(i, &mut k);
            let seq = self
                .sock
                .send(msg::KV_GET, 0, |w| w.put_str(attr::KEY, &k))?;
            let d = self.sock.recv_datagram()?;
            match d.messages().next() {
                Some(m) if m.hdr.seq == seq && m.hdr.ty == msg::KV_SET => {
                    check_entry(&m, i, 0, || "GET answer".into())?
                }
                _ => return Err(unexpected(d, "a GET answer", seq)),
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

    /// The floor needs no module: a round trip to the socket's own port id works on any
    /// netlink protocol, and NETLINK_USERSOCK lets any user send to a port.
    #[test]
    fn floor_round_trips_on_the_hosts_kernel() {
        let mut b = Bench::open(libc::NETLINK_USERSOCK as u32).expect("NETLINK_USERSOCK");
        for size in [0, 61, 4096] {
            let row = Row::new(Kind::Floor, size);
            let samples = b
                .run_row(row, 2, Duration::from_millis(5))
                .expect("floor row");
            assert_eq!(samples.len(), 2);
            assert!(samples.iter().all(|s| s.ops > 0 && s.p50_ns.is_some()));
        }
        assert!(b.take_hist().count() > 0);
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
