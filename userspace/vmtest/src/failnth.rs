//! Systematic allocation-failure injection, the way syzkaller does it: write N to
//! `/proc/thread-self/fail-nth` right before one system call, make the call, read the file
//! back. The kernel fails the Nth allocation the calling thread makes from then on (through
//! failslab and fail_page_alloc, which `tests/fault_inject.sh` configures so that
//! `GFP_KERNEL` and order-0 allocations count); reading 0 back means the Nth allocation was
//! reached and failed, a non-zero value that the call finished with fewer than N
//! allocations. N runs 1, 2, ... for every request type until a call completes with
//! nothing injected, or up to a cap (`--max`, default 200).
//!
//! - `nlfam-vmtest fail-nth requests [--family F] [--max N]` (module loaded): ECHO of
//!   0/64/4096/16000 bytes, KV SET creating and replacing, GET, DEL, a dump's start
//!   (`sendmsg`) and its continuation (`recvmsg`), PUBLISH with a subscriber, STATS, CONFIG
//!   and subscribing (`setsockopt(NETLINK_ADD_MEMBERSHIP)`). Every injected failure must be
//!   a clean `ENOMEM`/`ENOBUFS` or a correct (partial) answer; the store is checked against
//!   a model after every injected request (an error means the old state, success the new
//!   one, a lost answer either), a dump must never hang, and the next request must work.
//! - `nlfam-vmtest fail-nth load KO [--params P] [--family F] [--max N]` (module unloaded):
//!   `finit_module(2)` with the Nth allocation failing, N from a little before the
//!   module's own init to the end of the load (the core's hundreds of allocations before
//!   it are not swept: see [`load`]). A failed load must fail with an errno and leave
//!   nothing behind (no module, no kernel socket, `socket()` says `EPROTONOSUPPORT`); a
//!   load that succeeds must serve its families, except those whose setup failed after
//!   another's kernel socket became visible (those are missing, never half there); a
//!   normal load must work afterwards.
//!
//! Both print `points TYPE=COUNT ...` on stdout: how many injection points each type
//! exercised.

use crate::raw;
use nlfam::proto::attr::{AttrIter, NoSpace, Writer};
use nlfam::proto::errno;
use nlfam::proto::family::{attr, msg};
use nlfam::proto::wire::{
    DoneMsg, ErrorMsg, MsgIter, NETLINK_ADD_MEMBERSHIP, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP,
    NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_EXCL, NLM_F_MULTI, NLM_F_REPLACE,
    NLM_F_REQUEST, SOL_NETLINK,
};
use nlfam::{Event, Incoming, Message, SetMode, Socket};
use std::collections::BTreeMap;
use std::ffi::{CStr, CString};
use std::fs::{File, OpenOptions};
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::os::unix::fs::FileExt;
use std::process::ExitCode;
use std::time::{Duration, Instant};

pub(crate) type Res<T> = Result<T, String>;

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!($($fmt)+));
        }
    };
}

/// How long to wait for an answer that may have been lost. Answers are queued before
/// `sendmsg` (or, for a dump's next part, `recvmsg`) returns, so this is only slack.
const WAIT: Duration = Duration::from_millis(1000);
const MAX_DEFAULT: u32 = 200;
/// Keys longer than the module's inline keys (40 bytes), so storing and looking one up
/// allocates too.
const KEY_LEN: usize = 48;
/// The dump spans several `recvmsg` calls: 48 entries of ~2 KiB in parts of at most 32 KiB.
const DUMP_ENTRIES: usize = 48;
const DUMP_VALUE: usize = 2000;
const PUBLISH_GROUP: u32 = 5;
const SUBSCRIBE_GROUP: u32 = 6;
/// A heartbeat period that never fires during the test.
const LONG_PERIOD_MS: u32 = 3_600_000;

/// `/proc/thread-self/fail-nth` of the calling thread (this program is single-threaded).
pub(crate) struct FailNth(File);

impl FailNth {
    pub(crate) fn open() -> Res<Self> {
        let path = "/proc/thread-self/fail-nth";
        OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map(FailNth)
            .map_err(|e| format!("{path}: {e} (kernel without CONFIG_FAULT_INJECTION?)"))
    }

    fn arm(&self, n: u32) -> Res<()> {
        let text = n.to_string();
        match self.0.write_at(text.as_bytes(), 0) {
            Ok(k) if k == text.len() => Ok(()),
            Ok(k) => Err(format!("fail-nth: short write ({k} bytes)")),
            Err(e) => Err(format!("fail-nth: write {n}: {e}")),
        }
    }

    /// Reads the counter back, then clears it: true when the Nth allocation was reached.
    fn disarm(&self) -> Res<bool> {
        let mut buf = [0u8; 16];
        let read = self.0.read_at(&mut buf, 0);
        let cleared = self.0.write_at(b"0", 0);
        let n = read.map_err(|e| format!("fail-nth: read: {e}"))?;
        cleared.map_err(|e| format!("fail-nth: clear: {e}"))?;
        let text = std::str::from_utf8(buf.get(..n).unwrap_or(&[])).unwrap_or("");
        let left: u32 = text
            .trim()
            .parse()
            .map_err(|_| format!("fail-nth reads {text:?}"))?;
        Ok(left == 0)
    }

    /// Runs `call` (one system call and nothing else: no allocation, no other system call)
    /// with the Nth allocation of this thread failing; says whether it was reached.
    pub(crate) fn around<T>(&self, n: u32, call: impl FnOnce() -> T) -> Res<(T, bool)> {
        self.arm(n)?;
        let r = call();
        let injected = self.disarm()?;
        Ok((r, injected))
    }
}

pub(crate) fn errno_str(e: i32) -> String {
    errno::name(e).map_or_else(|| format!("errno {e}"), str::to_string)
}

/// The errnos an allocation failure may surface as: the module's and the core's `ENOMEM`,
/// the socket layer's `ENOBUFS` (an skb it could not allocate).
fn clean(e: i32) -> bool {
    e == errno::ENOMEM || e == errno::ENOBUFS
}

/// What came back for one request.
#[derive(Debug)]
enum Answer {
    /// `sendmsg` itself failed with this errno.
    SendErr(i32),
    /// ACK (or `NLMSG_DONE` without error): the messages before it.
    Ok(Vec<Message>),
    /// `NLMSG_ERROR` (or `NLMSG_DONE`) with this errno; the messages before it.
    Err(i32, Vec<Message>),
    /// `recvmsg` failed with this errno (the core's `sk_err`).
    RecvErr(i32, Vec<Message>),
    /// No final answer within [`WAIT`].
    Lost(Vec<Message>),
}

/// Whether a request took effect, as far as its answer tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Applied {
    No,
    Yes,
    Unknown,
}

impl Answer {
    fn msgs(&self) -> &[Message] {
        match self {
            Answer::SendErr(_) => &[],
            Answer::Ok(m) | Answer::Err(_, m) | Answer::RecvErr(_, m) | Answer::Lost(m) => m,
        }
    }

    /// Fails on anything but a clean errno; otherwise what the answer says about the effect.
    fn applied(&self) -> Res<Applied> {
        match self {
            Answer::SendErr(e) | Answer::Err(e, _) if clean(*e) => Ok(Applied::No),
            Answer::RecvErr(e, _) if clean(*e) => Ok(Applied::Unknown),
            Answer::Lost(_) => Ok(Applied::Unknown),
            Answer::Ok(_) => Ok(Applied::Yes),
            Answer::SendErr(e) => Err(format!("sendmsg failed with {}", errno_str(*e))),
            Answer::Err(e, _) => Err(format!("answered {}", errno_str(*e))),
            Answer::RecvErr(e, _) => Err(format!("recvmsg failed with {}", errno_str(*e))),
        }
    }

    fn class(&self) -> String {
        match self {
            Answer::SendErr(e) => format!("sendmsg {}", errno_str(*e)),
            Answer::Ok(_) => "completed anyway".into(),
            Answer::Err(e, _) => format!("answered {}", errno_str(*e)),
            Answer::RecvErr(e, _) => format!("recvmsg {}", errno_str(*e)),
            Answer::Lost(m) if m.is_empty() => "no answer (lost)".into(),
            Answer::Lost(_) => "data answer without its ACK (ACK lost)".into(),
        }
    }
}

fn open(family: u32) -> Res<Socket> {
    let s = Socket::open(family).map_err(|e| format!("socket on family {family}: {e}"))?;
    s.set_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    Ok(s)
}

fn fd(s: &Socket) -> RawFd {
    s.as_fd().as_raw_fd()
}

/// One request datagram, built before the injection starts; returns its sequence number.
fn frame(
    s: &mut Socket,
    ty: u16,
    flags: u16,
    build: impl FnOnce(&mut Writer<'_>) -> Result<(), NoSpace>,
) -> Res<(u32, Vec<u8>)> {
    let seq = s.next_seq();
    let mut buf = vec![0u8; 20 * 1024];
    let mut w = Writer::new(&mut buf);
    let too_big = |_| "request does not fit its buffer".to_string();
    let m = w
        .begin_msg(ty, flags | NLM_F_REQUEST, seq, s.portid())
        .map_err(too_big)?;
    build(&mut w).map_err(too_big)?;
    w.end_msg(m).map_err(too_big)?;
    let n = w.len();
    buf.truncate(n);
    Ok((seq, buf))
}

/// Collects the answers to `seq` until its ACK, error or `NLMSG_DONE`, without waiting more
/// than [`WAIT`] for any datagram.
fn collect(s: &mut Socket, seq: u32) -> Res<Answer> {
    let mut got = Vec::new();
    loop {
        if !s.wait_readable(WAIT).map_err(|e| format!("poll: {e}"))? {
            return Ok(Answer::Lost(got));
        }
        let msgs = match s.recv_datagram() {
            Ok(d) => d.into_iter().map(Message::from).collect(),
            Err(e) => {
                return match e.errno() {
                    Some(no) => Ok(Answer::RecvErr(no, got)),
                    None if matches!(e, nlfam::Error::Timeout) => Ok(Answer::Lost(got)),
                    None => Err(format!("receive: {e}")),
                }
            }
        };
        if let Some(a) = absorb(&mut got, msgs, seq)? {
            return Ok(a);
        }
    }
}

/// Adds the messages of one datagram that answer `seq` to `got`; the final answer, if
/// this datagram holds it.
fn absorb(got: &mut Vec<Message>, msgs: Vec<Message>, seq: u32) -> Res<Option<Answer>> {
    for m in msgs {
        if m.hdr.seq != seq || m.hdr.ty == NLMSG_NOOP {
            continue;
        }
        let error = match m.hdr.ty {
            NLMSG_ERROR => {
                ErrorMsg::parse(&m.payload, m.hdr.flags)
                    .ok_or("short NLMSG_ERROR")?
                    .error
            }
            NLMSG_DONE => DoneMsg::parse(&m.payload, m.hdr.flags).error,
            _ => {
                got.push(m);
                continue;
            }
        };
        let got = std::mem::take(got);
        return Ok(Some(if error == 0 {
            Answer::Ok(got)
        } else {
            Answer::Err(error.saturating_neg(), got)
        }));
    }
    Ok(None)
}

fn pattern(len: usize, seed: u32) -> Vec<u8> {
    (0..len)
        .map(|i| {
            ((i as u32)
                .wrapping_mul(31)
                .wrapping_add(seed.wrapping_mul(7))
                % 251) as u8
        })
        .collect()
}

fn key(tag: &str) -> Vec<u8> {
    let mut k = format!("fault-inject/{tag}/").into_bytes();
    k.resize(KEY_LEN, b'k');
    k
}

fn show(v: &Option<Vec<u8>>) -> String {
    match v {
        None => "no entry".into(),
        Some(v) => format!("a {}-byte value {:02x?}...", v.len(), &v[..v.len().min(6)]),
    }
}

fn attr_u32(payload: &[u8], ty: u16) -> Option<u32> {
    AttrIter::new(payload)
        .find(|a| a.ty == ty)
        .and_then(|a| a.u32())
}

type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// KEY and VALUE of a `kv-set` message.
fn entry(m: &Message) -> Res<(Vec<u8>, Vec<u8>)> {
    ensure!(
        m.hdr.ty == msg::KV_SET,
        "answer of type {:#x}, want kv-set",
        m.hdr.ty
    );
    let mut k = None;
    let mut v = None;
    for a in AttrIter::new(&m.payload) {
        match a.ty {
            attr::KEY => k = a.cstr().map(<[u8]>::to_vec),
            attr::VALUE => v = Some(a.payload.to_vec()),
            _ => {}
        }
    }
    k.zip(v)
        .ok_or_else(|| "kv-set answer without KEY or VALUE".to_string())
}

/// The entries of dump parts; every message must be a multipart `kv-set` of a consistent
/// dump (nothing changes the store while it runs).
fn dump_entries(msgs: &[Message]) -> Res<Entries> {
    msgs.iter()
        .map(|m| {
            ensure!(
                m.hdr.flags & NLM_F_MULTI != 0,
                "dump message without NLM_F_MULTI (flags {:#x})",
                m.hdr.flags
            );
            ensure!(
                m.hdr.flags & NLM_F_DUMP_INTR == 0,
                "NLM_F_DUMP_INTR although nothing changed the store"
            );
            entry(m)
        })
        .collect()
}

struct Ctx {
    fnth: FailNth,
    family: u32,
    max: u32,
    /// Requests without injection: preparing and checking.
    admin: Socket,
    /// Subscribed to the KV group: SET and DEL build notifications.
    watch: Socket,
    /// What the store must hold.
    model: BTreeMap<Vec<u8>, Vec<u8>>,
    /// The heartbeat period in force.
    period: u32,
    points: Vec<(&'static str, u32)>,
    outcomes: BTreeMap<String, u32>,
    capped: Vec<String>,
    /// Checks that failed, one per request type at most.
    failures: Vec<String>,
    /// Receive buffer of injected `recvmsg` calls: written once, so the call itself
    /// never faults a page in.
    rxbuf: Vec<u8>,
}

impl Ctx {
    fn send_with(&self, s: &Socket, bytes: &[u8], n: u32) -> Res<(Result<(), i32>, bool)> {
        let fd = fd(s);
        let (r, injected) = self.fnth.around(n, || raw::send_to_kernel(fd, bytes))?;
        Ok((
            r.map(drop).map_err(|e| e.raw_os_error().unwrap_or(0)),
            injected,
        ))
    }

    /// Sends `bytes` with the Nth allocation failing and collects the answers to `seq`.
    fn request(&mut self, s: &mut Socket, seq: u32, bytes: &[u8], n: u32) -> Res<(Answer, bool)> {
        let (sent, injected) = self.send_with(s, bytes, n)?;
        let a = match sent {
            Err(e) => Answer::SendErr(e),
            Ok(()) => collect(s, seq)?,
        };
        self.note(&a, injected)?;
        Ok((a, injected))
    }

    /// Counts the outcome of an injected request; a request nothing was injected into
    /// must have succeeded.
    fn note(&mut self, a: &Answer, injected: bool) -> Res<()> {
        if injected {
            *self.outcomes.entry(a.class()).or_default() += 1;
            Ok(())
        } else if matches!(a, Answer::Ok(_)) {
            Ok(())
        } else {
            Err(format!("failed with nothing injected: {a:?}"))
        }
    }

    /// Runs `step` for N = 1, 2, ... until it reports that nothing was injected.
    fn sweep(
        &mut self,
        ty: &'static str,
        label: &str,
        mut step: impl FnMut(&mut Self, u32) -> Res<bool>,
    ) -> Res<()> {
        let started = Instant::now();
        let total = std::mem::take(&mut self.outcomes);
        let mut points = 0;
        let mut completed = false;
        let mut failed = false;
        for n in 1..=self.max {
            match step(self, n) {
                Ok(true) => points += 1,
                Ok(false) => {
                    completed = true;
                    break;
                }
                Err(e) => {
                    // Go on with the other types from the state the kernel is in.
                    eprintln!("# FAIL: {label}, fail-nth={n}: {e}");
                    self.failures.push(format!("{label}, fail-nth={n}: {e}"));
                    self.resync()?;
                    points += 1;
                    failed = true;
                    break;
                }
            }
        }
        let mine = std::mem::replace(&mut self.outcomes, total);
        let mut seen = Vec::new();
        for (k, v) in mine {
            seen.push(format!("{k} {v}"));
            *self.outcomes.entry(k).or_default() += v;
        }
        eprintln!(
            "# {label}: {points} injection points ({}; {}), {:.1} s",
            seen.join(", "),
            if failed {
                "stopped at the failure"
            } else if completed {
                "then the request completed with no failure"
            } else {
                "capped: more allocations remain"
            },
            started.elapsed().as_secs_f64()
        );
        if !completed && !failed {
            self.capped.push(label.into());
        }
        match self.points.iter_mut().find(|(t, _)| *t == ty) {
            Some((_, p)) => *p += points,
            None => self.points.push((ty, points)),
        }
        Ok(())
    }

    /// After a failed check: the model and the period become what the kernel holds.
    fn resync(&mut self) -> Res<()> {
        let d = self
            .admin
            .dump()
            .map_err(|e| format!("dump without injection: {e}"))?;
        self.model = d.entries.into_iter().collect();
        self.period = self
            .admin
            .stats()
            .map_err(|e| format!("STATS without injection: {e}"))?
            .heartbeat_ms;
        self.drain_watch()?;
        Ok(())
    }

    fn get_plain(&mut self, k: &[u8]) -> Res<Option<Vec<u8>>> {
        match self.admin.get(k) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.errno() == Some(errno::ENOENT) => Ok(None),
            Err(e) => Err(format!("GET without injection: {e}")),
        }
    }

    fn put_plain(&mut self, k: &[u8], v: &[u8]) -> Res<()> {
        self.admin
            .set(k, v, SetMode::Upsert)
            .map_err(|e| format!("SET without injection: {e}"))?;
        self.model.insert(k.to_vec(), v.to_vec());
        Ok(())
    }

    fn del_plain(&mut self, k: &[u8]) -> Res<()> {
        match self.admin.del(k) {
            Ok(()) => {}
            Err(e) if e.errno() == Some(errno::ENOENT) => {}
            Err(e) => return Err(format!("DEL without injection: {e}")),
        }
        self.model.remove(k);
        Ok(())
    }

    /// The notifications queued on the KV group (some may have been lost: an overrun).
    fn drain_watch(&mut self) -> Res<Vec<Event>> {
        let mut out = Vec::new();
        loop {
            match self.watch.try_recv() {
                Ok(Some(Incoming::Event(e))) => out.push(e),
                Ok(Some(Incoming::Reply(m))) => {
                    return Err(format!("KV group socket got an answer: {m:?}"))
                }
                Ok(None) => return Ok(out),
                Err(nlfam::Error::Overrun) => {}
                Err(e) => return Err(format!("KV group socket: {e}")),
            }
        }
    }

    /// After a request on `key` that moves it from `old` to `new`: the store holds one of
    /// the two, the one the answer says; a notification of the request means it applied.
    fn settle(
        &mut self,
        key: &[u8],
        old: Option<Vec<u8>>,
        new: Option<Vec<u8>>,
        applied: Applied,
        (portid, seq): (u32, u32),
    ) -> Res<()> {
        let now = self.get_plain(key)?;
        let ok = match applied {
            Applied::No => now == old,
            Applied::Yes => now == new,
            Applied::Unknown => now == old || now == new,
        };
        ensure!(
            ok,
            "the store holds {} after a request whose answer says applied={applied:?} \
             (before: {}, requested: {})",
            show(&now),
            show(&old),
            show(&new)
        );
        for ev in self.drain_watch()? {
            match ev {
                Event::KvSet {
                    key: k,
                    value,
                    portid: p,
                    seq: s,
                } if p == portid && s == seq => {
                    ensure!(
                        k == key && Some(&value) == new.as_ref() && now == new,
                        "SET notification {} for a request that left {} (answer: applied={applied:?})",
                        show(&Some(value)),
                        show(&now)
                    );
                    ensure!(
                        applied != Applied::No,
                        "notification of a request that failed"
                    );
                }
                Event::KvDel {
                    key: k,
                    portid: p,
                    seq: s,
                } if p == portid && s == seq => {
                    ensure!(
                        k == key && new.is_none() && now.is_none(),
                        "DEL notification for a request that left {}",
                        show(&now)
                    );
                    ensure!(
                        applied != Applied::No,
                        "notification of a request that failed"
                    );
                }
                _ => {}
            }
        }
        match now {
            Some(v) => self.model.insert(key.to_vec(), v),
            None => self.model.remove(key),
        };
        Ok(())
    }

    /// The next request on a socket that saw an injected failure must work.
    fn next_works(s: &mut Socket) -> Res<()> {
        match s.echo(b"after an injected failure") {
            Ok(v) if v == b"after an injected failure" => Ok(()),
            other => Err(format!("the next request (ECHO) on the socket: {other:?}")),
        }
    }

    fn echo_step(&mut self, s: &mut Socket, size: usize, n: u32) -> Res<bool> {
        let payload = pattern(size, n);
        let (seq, req) = frame(s, msg::ECHO, NLM_F_ACK, |w| w.put_bytes(&payload))?;
        let (a, injected) = self.request(s, seq, &req, n)?;
        a.applied()?;
        for m in a.msgs() {
            ensure!(
                m.hdr.ty == msg::ECHO && m.payload == payload,
                "echo answer of type {:#x}, {} bytes, differs",
                m.hdr.ty,
                m.payload.len()
            );
        }
        if matches!(a, Answer::Ok(_)) {
            ensure!(a.msgs().len() == 1, "{} echo answers", a.msgs().len());
        }
        if injected {
            Self::next_works(s)?;
        }
        Ok(injected)
    }

    /// SET `key` from `old` (prepared without injection) to `value` with `flags`.
    fn set_step(
        &mut self,
        s: &mut Socket,
        n: u32,
        key: &[u8],
        old: Option<Vec<u8>>,
        value: Vec<u8>,
        flags: u16,
    ) -> Res<bool> {
        match &old {
            Some(v) => self.put_plain(key, v)?,
            None => self.del_plain(key)?,
        }
        self.drain_watch()?;
        let (seq, req) = frame(s, msg::KV_SET, NLM_F_ACK | flags, |w| {
            w.put_str(attr::KEY, key)?;
            w.put_attr(attr::VALUE, &value)
        })?;
        let (a, injected) = self.request(s, seq, &req, n)?;
        let applied = a.applied()?;
        ensure!(a.msgs().is_empty(), "SET answered data: {:?}", a.msgs());
        self.settle(key, old, Some(value), applied, (s.portid(), seq))?;
        if injected {
            Self::next_works(s)?;
        }
        Ok(injected)
    }

    fn get_step(&mut self, s: &mut Socket, n: u32, key: &[u8]) -> Res<bool> {
        let want = self
            .model
            .get(key)
            .cloned()
            .ok_or("GET key missing from the model")?;
        let (seq, req) = frame(s, msg::KV_GET, NLM_F_ACK, |w| w.put_str(attr::KEY, key))?;
        let (a, injected) = self.request(s, seq, &req, n)?;
        let applied = a.applied()?;
        for m in a.msgs() {
            ensure!(
                entry(m)? == (key.to_vec(), want.clone()),
                "GET answered a wrong entry"
            );
        }
        if matches!(a, Answer::Ok(_)) {
            ensure!(a.msgs().len() == 1, "{} GET answers", a.msgs().len());
        }
        self.settle(
            key,
            Some(want.clone()),
            Some(want),
            applied,
            (s.portid(), seq),
        )?;
        if injected {
            Self::next_works(s)?;
        }
        Ok(injected)
    }

    fn del_step(&mut self, s: &mut Socket, n: u32, key: &[u8]) -> Res<bool> {
        let old = pattern(500, n);
        self.put_plain(key, &old)?;
        self.drain_watch()?;
        let (seq, req) = frame(s, msg::KV_DEL, NLM_F_ACK, |w| w.put_str(attr::KEY, key))?;
        let (a, injected) = self.request(s, seq, &req, n)?;
        let applied = a.applied()?;
        ensure!(a.msgs().is_empty(), "DEL answered data: {:?}", a.msgs());
        self.settle(key, Some(old), None, applied, (s.portid(), seq))?;
        if injected {
            Self::next_works(s)?;
        }
        Ok(injected)
    }

    fn model_entries(&self) -> Entries {
        self.model
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// `got` must be the whole store (`complete`) or the beginning of it.
    fn check_dump(&self, got: &Entries, complete: bool) -> Res<()> {
        let want = self.model_entries();
        let prefix = got.len() <= want.len() && want.get(..got.len()) == Some(&got[..]);
        ensure!(
            prefix && (!complete || got.len() == want.len()),
            "dump of {} entries is not {} the store of {} entries (first difference at entry {})",
            got.len(),
            if complete {
                "exactly"
            } else {
                "the beginning of"
            },
            want.len(),
            got.iter().zip(&want).take_while(|(a, b)| a == b).count()
        );
        Ok(())
    }

    /// After `recvmsg` reported the core's error (it could not allocate the next part), the
    /// dump goes on at the next `recvmsg` that returns something: have an echo answered
    /// and collect the rest.
    fn resume(s: &mut Socket, seq: u32) -> Res<Answer> {
        s.send(msg::ECHO, 0, |w| w.put_bytes(b"resume"))
            .map_err(|e| format!("ECHO to resume the dump: {e}"))?;
        collect(s, seq)
    }

    /// Checks a dump's outcome `a` (its messages are all parts received).
    fn finish_dump(&mut self, s: &mut Socket, seq: u32, a: Answer) -> Res<()> {
        let mut got = dump_entries(a.msgs())?;
        match a {
            Answer::Ok(_) => self.check_dump(&got, true)?,
            Answer::SendErr(e) | Answer::Err(e, _) if clean(e) => {
                self.check_dump(&got, false)?;
                // An error of the core's first part leaves the dump running: it continues
                // at the next recvmsg, i.e. now. It must then be whole.
                match collect(s, seq)? {
                    Answer::Lost(m) if m.is_empty() => {}
                    Answer::Ok(m) => {
                        self.check_dump(&dump_entries(&m)?, true)?;
                        *self
                            .outcomes
                            .entry("dump continued after its error".into())
                            .or_default() += 1;
                    }
                    other => return Err(format!("after the dump's error: {other:?}")),
                }
            }
            Answer::RecvErr(e, _) if clean(e) => {
                self.check_dump(&got, false)?;
                match Self::resume(s, seq)? {
                    Answer::Ok(m) => {
                        got.extend(dump_entries(&m)?);
                        self.check_dump(&got, true)?;
                    }
                    Answer::Err(e, m) if clean(e) => {
                        got.extend(dump_entries(&m)?);
                        self.check_dump(&got, false)?;
                    }
                    other => {
                        return Err(format!(
                            "dump hung after recvmsg's {}: {} entries, then {other:?}",
                            errno_str(e),
                            got.len()
                        ))
                    }
                }
            }
            Answer::Lost(_) => {
                return Err(format!(
                    "dump hung: no NLMSG_DONE within {WAIT:?} after {} entries",
                    got.len()
                ))
            }
            other => return Err(format!("dump failed: {other:?}")),
        }
        // The next dump on the same socket is whole.
        let d = s.dump().map_err(|e| format!("the next dump: {e}"))?;
        ensure!(!d.interrupted, "the next dump is interrupted");
        self.check_dump(&d.entries, true)
    }

    fn dump_start_step(&mut self, n: u32) -> Res<bool> {
        let mut s = open(self.family)?;
        let (seq, req) = frame(&mut s, msg::KV_GET, NLM_F_DUMP, |_| Ok(()))?;
        let (a, injected) = self.request(&mut s, seq, &req, n)?;
        self.finish_dump(&mut s, seq, a)?;
        Ok(injected)
    }

    /// Injects into the first `recvmsg`, which returns the first part and builds the next.
    fn dump_continue_step(&mut self, n: u32) -> Res<bool> {
        let mut s = open(self.family)?;
        let (seq, req) = frame(&mut s, msg::KV_GET, NLM_F_DUMP, |_| Ok(()))?;
        s.send_raw(&req).map_err(|e| format!("dump request: {e}"))?;
        ensure!(
            s.wait_readable(WAIT).map_err(|e| e.to_string())?,
            "no first dump part"
        );
        let sfd = fd(&s);
        let mut buf = std::mem::take(&mut self.rxbuf);
        let r = self
            .fnth
            .around(n, || raw::recv(sfd, &mut buf, libc::MSG_TRUNC));
        let first: Vec<Message> = match &r {
            Ok((Ok(len), _)) => {
                ensure!(
                    *len <= buf.len(),
                    "first dump part of {len} bytes truncated"
                );
                MsgIter::new(&buf[..*len])
                    .map(|m| Message {
                        hdr: m.hdr,
                        payload: m.payload.to_vec(),
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        self.rxbuf = buf;
        let (r, injected) = r?;
        let a = match r {
            Err(e) => {
                let e = e.raw_os_error().unwrap_or(0);
                ensure!(clean(e), "recvmsg failed with {}", errno_str(e));
                Answer::RecvErr(e, Vec::new())
            }
            Ok(_) => {
                let mut msgs = Vec::new();
                match absorb(&mut msgs, first, seq)? {
                    Some(done) => {
                        return Err(format!(
                            "the dump ended in its first part ({done:?}): too small to continue"
                        ))
                    }
                    None => match collect(&mut s, seq)? {
                        Answer::Ok(m) => Answer::Ok([msgs, m].concat()),
                        Answer::Err(e, m) => Answer::Err(e, [msgs, m].concat()),
                        Answer::RecvErr(e, m) => Answer::RecvErr(e, [msgs, m].concat()),
                        Answer::Lost(m) => Answer::Lost([msgs, m].concat()),
                        Answer::SendErr(e) => Answer::SendErr(e),
                    },
                }
            }
        };
        self.note(&a, injected)?;
        self.finish_dump(&mut s, seq, a)?;
        Ok(injected)
    }

    fn publish_step(&mut self, p: &mut Socket, sub: &mut Socket, n: u32) -> Res<bool> {
        while sub.try_recv().map_err(|e| e.to_string())?.is_some() {}
        let payload = pattern(100, n);
        let (seq, req) = frame(p, msg::PUBLISH, NLM_F_ACK, |w| {
            w.put_u32(attr::GROUP, PUBLISH_GROUP)?;
            w.put_attr(attr::PAYLOAD, &payload)
        })?;
        let (a, injected) = self.request(p, seq, &req, n)?;
        let applied = a.applied()?;
        ensure!(a.msgs().is_empty(), "PUBLISH answered data: {:?}", a.msgs());
        let mut delivered = 0;
        loop {
            match sub.try_recv() {
                Ok(Some(Incoming::Event(Event::Publish {
                    group,
                    payload: got,
                    portid,
                    ..
                }))) => {
                    ensure!(
                        group == PUBLISH_GROUP && got == payload && portid == p.portid(),
                        "subscriber got a wrong event (group {group}, {} bytes, port {portid})",
                        got.len()
                    );
                    delivered += 1;
                }
                Ok(Some(other)) => return Err(format!("subscriber got {other:?}")),
                Ok(None) => break,
                Err(nlfam::Error::Overrun) => {}
                Err(e) => return Err(format!("subscriber: {e}")),
            }
        }
        ensure!(delivered <= 1, "the event arrived {delivered} times");
        ensure!(
            delivered == 0 || applied != Applied::No,
            "the event was delivered although PUBLISH failed ({})",
            a.class()
        );
        if injected {
            p.publish(PUBLISH_GROUP, b"after an injected failure")
                .map_err(|e| format!("the next PUBLISH: {e}"))?;
            ensure!(
                sub.wait_readable(WAIT).map_err(|e| e.to_string())?,
                "the subscriber got nothing from the next PUBLISH"
            );
            while sub.try_recv().map_err(|e| e.to_string())?.is_some() {}
        }
        Ok(injected)
    }

    fn stats_step(&mut self, s: &mut Socket, n: u32) -> Res<bool> {
        let (seq, req) = frame(s, msg::STATS, NLM_F_ACK, |_| Ok(()))?;
        let (a, injected) = self.request(s, seq, &req, n)?;
        a.applied()?;
        for m in a.msgs() {
            ensure!(
                m.hdr.ty == msg::STATS && attr_u32(&m.payload, attr::FAMILY) == Some(self.family),
                "STATS answered type {:#x} without FAMILY {}",
                m.hdr.ty,
                self.family
            );
        }
        if matches!(a, Answer::Ok(_)) {
            ensure!(a.msgs().len() == 1, "{} STATS answers", a.msgs().len());
        }
        if injected {
            s.stats().map_err(|e| format!("the next STATS: {e}"))?;
        }
        Ok(injected)
    }

    fn config_step(&mut self, s: &mut Socket, n: u32) -> Res<bool> {
        let old = self.period;
        let new = if old == 0 { LONG_PERIOD_MS } else { 0 };
        let (seq, req) = frame(s, msg::CONFIG, NLM_F_ACK, |w| {
            w.put_u32(attr::PERIOD_MS, new)
        })?;
        let (a, injected) = self.request(s, seq, &req, n)?;
        let applied = a.applied()?;
        for m in a.msgs() {
            ensure!(
                m.hdr.ty == msg::CONFIG && attr_u32(&m.payload, attr::PERIOD_MS) == Some(new),
                "CONFIG answered type {:#x} without PERIOD_MS {new}",
                m.hdr.ty
            );
        }
        let now = self
            .admin
            .stats()
            .map_err(|e| format!("STATS without injection: {e}"))?
            .heartbeat_ms;
        let ok = match applied {
            Applied::No => now == old,
            Applied::Yes => now == new,
            Applied::Unknown => now == old || now == new,
        };
        ensure!(
            ok,
            "heartbeat period {now} after CONFIG {old} -> {new}, {}",
            a.class()
        );
        self.period = now;
        if injected {
            Self::next_works(s)?;
        }
        Ok(injected)
    }

    fn subscribers(&mut self, group: u32) -> Res<u32> {
        let st = self
            .admin
            .stats()
            .map_err(|e| format!("STATS without injection: {e}"))?;
        Ok(st
            .subscribers
            .iter()
            .find(|(g, _)| *g == group)
            .map_or(0, |(_, c)| *c))
    }

    fn subscribe_step(&mut self, n: u32) -> Res<bool> {
        let mut x = open(self.family)?;
        let before = self.subscribers(SUBSCRIBE_GROUP)?;
        let xfd = fd(&x);
        let (r, injected) = self.fnth.around(n, || {
            raw::set_opt(xfd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, SUBSCRIBE_GROUP)
        })?;
        let joined = match r {
            Ok(()) => true,
            Err(e) => {
                let e = e.raw_os_error().unwrap_or(0);
                ensure!(clean(e), "setsockopt failed with {}", errno_str(e));
                if injected {
                    *self
                        .outcomes
                        .entry(format!("setsockopt {}", errno_str(e)))
                        .or_default() += 1;
                }
                false
            }
        };
        ensure!(
            joined || injected,
            "setsockopt failed with nothing injected"
        );
        if joined && injected {
            *self.outcomes.entry("completed anyway".into()).or_default() += 1;
        }
        let after = self.subscribers(SUBSCRIBE_GROUP)?;
        ensure!(
            after == before + u32::from(joined),
            "{after} subscribers of group {SUBSCRIBE_GROUP} (before: {before}) after setsockopt {}",
            if joined { "succeeded" } else { "failed" }
        );
        if !joined {
            x.add_membership(SUBSCRIBE_GROUP)
                .map_err(|e| format!("the next setsockopt: {e}"))?;
        }
        self.admin
            .publish(SUBSCRIBE_GROUP, b"subscribed?")
            .map_err(|e| format!("PUBLISH without injection: {e}"))?;
        ensure!(
            x.wait_readable(WAIT).map_err(|e| e.to_string())?,
            "the subscribed socket got nothing"
        );
        match x.next_event().map_err(|e| e.to_string())? {
            Event::Publish { payload, .. } if payload == b"subscribed?" => {}
            other => return Err(format!("the subscribed socket got {other:?}")),
        }
        Ok(injected)
    }

    /// Fails the first allocation of an echo's `sendmsg`: the socket layer's skb.
    fn probe(&mut self) -> Res<()> {
        let mut s = open(self.family)?;
        let (seq, req) = frame(&mut s, msg::ECHO, NLM_F_ACK, |w| w.put_bytes(b"probe"))?;
        let (a, injected) = self.request(&mut s, seq, &req, 1)?;
        ensure!(
            injected && a.applied()? == Applied::No,
            "fail-nth=1 on an echo's sendmsg injected nothing ({}): is fault injection \
             configured (failslab/ignore-gfp-wait=N)?",
            a.class()
        );
        eprintln!(
            "# injection works: fail-nth=1 on an echo's sendmsg: {}",
            a.class()
        );
        Self::next_works(&mut s)
    }

    fn run(&mut self) -> Res<()> {
        self.probe()?;
        for size in [0usize, 64, 4096, 16000] {
            let mut s = open(self.family)?;
            self.sweep("echo", &format!("echo of {size} bytes"), |c, n| {
                c.echo_step(&mut s, size, n)
            })?;
        }
        let mut s = open(self.family)?;
        let kc = key("set-create");
        self.sweep("set-create", "set-create", |c, n| {
            c.set_step(
                &mut s,
                n,
                &kc,
                None,
                pattern(300, n),
                NLM_F_CREATE | NLM_F_EXCL,
            )
        })?;
        let kr = key("set-replace");
        self.sweep("set-replace", "set-replace", |c, n| {
            c.set_step(
                &mut s,
                n,
                &kr,
                Some(pattern(120, n)),
                pattern(1500, n + 1000),
                NLM_F_REPLACE,
            )
        })?;
        let kg = key("get");
        self.put_plain(&kg, &pattern(3000, 7))?;
        self.sweep("get", "get", |c, n| c.get_step(&mut s, n, &kg))?;
        let kd = key("del");
        self.sweep("del", "del", |c, n| c.del_step(&mut s, n, &kd))?;
        for i in 0..DUMP_ENTRIES {
            self.put_plain(
                &key(&format!("dump-{i:03}")),
                &pattern(DUMP_VALUE, i as u32),
            )?;
        }
        self.drain_watch()?;
        self.sweep("dump-start", "dump-start", |c, n| c.dump_start_step(n))?;
        self.sweep("dump-continue", "dump-continue", |c, n| {
            c.dump_continue_step(n)
        })?;
        let mut p = open(self.family)?;
        let mut sub = open(self.family)?;
        sub.add_membership(PUBLISH_GROUP)
            .map_err(|e| format!("subscribe: {e}"))?;
        self.sweep("publish", "publish", |c, n| {
            c.publish_step(&mut p, &mut sub, n)
        })?;
        self.sweep("stats", "stats", |c, n| c.stats_step(&mut s, n))?;
        // Both directions (0 -> period, period -> 0) at every N: their allocations differ.
        self.sweep("config", "config", |c, n| {
            let a = c.config_step(&mut s, n)?;
            Ok(c.config_step(&mut s, n)? || a)
        })?;
        self.admin
            .config(0)
            .map_err(|e| format!("CONFIG 0 without injection: {e}"))?;
        self.sweep("subscribe", "subscribe", |c, n| c.subscribe_step(n))?;
        // Nothing was lost or half-applied anywhere: the whole store is the model.
        self.drain_watch()?;
        let d = self.admin.dump().map_err(|e| format!("final dump: {e}"))?;
        self.check_dump(&d.entries, true)?;
        let st = self
            .admin
            .stats()
            .map_err(|e| format!("final STATS: {e}"))?;
        ensure!(
            st.entries as usize == self.model.len(),
            "STATS counts {} entries, the store has {}",
            st.entries,
            self.model.len()
        );
        eprintln!(
            "# store matches the model: {} entries; stat-dropped {}",
            self.model.len(),
            st.dropped
        );
        Ok(())
    }
}

fn requests(family: u32, max: u32) -> Res<Vec<(&'static str, u32)>> {
    let fnth = FailNth::open()?;
    let admin = open(family)?;
    let watch = open(family)?;
    watch
        .add_membership(nlfam::proto::family::group::KV)
        .map_err(|e| format!("subscribe to the KV group: {e}"))?;
    let mut c = Ctx {
        fnth,
        family,
        max,
        admin,
        watch,
        model: BTreeMap::new(),
        period: 0,
        points: Vec::new(),
        outcomes: BTreeMap::new(),
        capped: Vec::new(),
        failures: Vec::new(),
        rxbuf: vec![0x5a; 256 * 1024],
    };
    let d = c.admin.dump().map_err(|e| format!("initial dump: {e}"))?;
    c.model = d.entries.into_iter().collect();
    c.period = c
        .admin
        .stats()
        .map_err(|e| format!("initial STATS: {e}"))?
        .heartbeat_ms;
    c.run()?;
    let outcomes: Vec<String> = c
        .outcomes
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    eprintln!("# outcomes of injected requests: {}", outcomes.join(", "));
    if !c.capped.is_empty() {
        eprintln!(
            "# capped at {max} injection points: {}",
            c.capped.join(", ")
        );
    }
    let parts: Vec<String> = c.points.iter().map(|(t, p)| format!("{t}={p}")).collect();
    println!("points {}", parts.join(" "));
    ensure!(
        c.failures.is_empty(),
        "{} request types failed: {}",
        c.failures.len(),
        c.failures.join("; ")
    );
    Ok(c.points)
}

// ---- module load ----

pub(crate) fn finit_module(ko: &File, params: &CStr) -> Result<(), i32> {
    // SAFETY: plain syscall with a valid descriptor and a NUL-terminated string that
    // outlives the call.
    let r = unsafe { libc::syscall(libc::SYS_finit_module, ko.as_raw_fd(), params.as_ptr(), 0) };
    if r < 0 {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    } else {
        Ok(())
    }
}

pub(crate) fn delete_module(name: &str) -> Res<()> {
    let cname = CString::new(name).map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        // SAFETY: plain syscall with a NUL-terminated string that outlives the call.
        let r = unsafe { libc::syscall(libc::SYS_delete_module, cname.as_ptr(), libc::O_NONBLOCK) };
        if r == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EWOULDBLOCK) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        return Err(format!("delete_module({name}): {e}"));
    }
}

pub(crate) fn module_listed() -> Res<bool> {
    let m = std::fs::read_to_string("/proc/modules").map_err(|e| e.to_string())?;
    Ok(m.lines().any(|l| l.starts_with("nlfam ")))
}

/// Lines of the calling thread's namespace's `netlink` table (`/proc/thread-self/net`:
/// `/proc/net` shows the main thread's) for a kernel socket (port 0) of `family`.
pub(crate) fn kernel_sockets(family: u32) -> Res<Vec<String>> {
    let t = std::fs::read_to_string("/proc/thread-self/net/netlink").map_err(|e| e.to_string())?;
    Ok(t.lines()
        .skip(1)
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.get(1) == Some(&family.to_string().as_str()) && f.get(2) == Some(&"0")
        })
        .map(str::to_string)
        .collect())
}

/// Nothing of the module is left: no module, no kernel socket, and `socket()` on the
/// family fails with `EPROTONOSUPPORT` (autoload is off while these tests run).
pub(crate) fn check_absent(family: u32) -> Res<()> {
    ensure!(!module_listed()?, "nlfam is in /proc/modules");
    ensure!(
        !std::path::Path::new("/sys/module/nlfam").exists(),
        "/sys/module/nlfam exists"
    );
    let k = kernel_sockets(family)?;
    ensure!(k.is_empty(), "kernel socket of family {family} left: {k:?}");
    match Socket::open(family) {
        Ok(_) => Err(format!("socket() on family {family} succeeds")),
        Err(e) if e.errno() == Some(errno::EPROTONOSUPPORT) => Ok(()),
        Err(e) => Err(format!(
            "socket() on family {family}: {e}, want EPROTONOSUPPORT"
        )),
    }
}

/// The loaded module does not serve `family` in the calling thread's namespace: no kernel
/// socket there, and a request finds no one — `socket()` fails with `EPROTONOSUPPORT`
/// when no namespace has the family, or, the protocol being registered in another
/// namespace, `socket()` succeeds and an echo is refused with `ECONNREFUSED`.
pub(crate) fn check_missing(family: u32) -> Res<()> {
    let k = kernel_sockets(family)?;
    ensure!(k.is_empty(), "kernel socket of family {family}: {k:?}");
    match Socket::open(family).and_then(|mut s| s.echo(b"missing")) {
        Err(e) if e.errno() == Some(errno::EPROTONOSUPPORT) => Ok(()),
        Err(e) if e.errno() == Some(libc::ECONNREFUSED) => Ok(()),
        other => Err(format!(
            "no kernel socket of family {family}, yet an echo gives {other:?}, want \
             EPROTONOSUPPORT or ECONNREFUSED"
        )),
    }
}

/// The loaded module serves `family`: one kernel socket, an echo answered.
pub(crate) fn check_works(family: u32) -> Res<()> {
    let mut s = open(family)?;
    match s.echo(b"loaded") {
        Ok(v) if v == b"loaded" => {}
        other => return Err(format!("echo on family {family} after the load: {other:?}")),
    }
    ensure!(
        kernel_sockets(family)?.len() == 1,
        "not exactly one kernel socket of family {family}"
    );
    Ok(())
}

/// Loads the module with fail-nth set so high that nothing fails: how many allocations
/// that can fail the load makes, and its result.
pub(crate) fn count_allocations(
    fnth: &FailNth,
    ko: &File,
    params: &CStr,
) -> Res<(u32, Result<(), i32>)> {
    let big = 1_000_000u32;
    fnth.arm(big)?;
    let r = finit_module(ko, params);
    let mut buf = [0u8; 16];
    let read = fnth.0.read_at(&mut buf, 0);
    fnth.0.write_at(b"0", 0).map_err(|e| e.to_string())?;
    let n = read.map_err(|e| e.to_string())?;
    let left: u32 = std::str::from_utf8(buf.get(..n).unwrap_or(&[]))
        .unwrap_or("")
        .trim()
        .parse()
        .map_err(|_| "fail-nth unreadable".to_string())?;
    Ok((big - left, r))
}

/// Allocations before the parameter check to include in the sweep: the end of the core's
/// module setup (sysfs, notifiers) and `do_init_module`'s own.
const LOAD_MARGIN: u32 = 30;

fn load(ko_path: &str, params: &str, family: u32, max: u32) -> Res<Vec<(&'static str, u32)>> {
    // The families the load registers: `family=` in the parameters, else `--family`.
    let families: Vec<u32> = params
        .split_whitespace()
        .find_map(|p| p.strip_prefix("family="))
        .map(|l| l.split(',').filter_map(|f| f.parse().ok()).collect())
        .unwrap_or_else(|| vec![family]);
    let check_absent = || families.iter().try_for_each(|&f| check_absent(f));
    let check_works_and_unload = || {
        families.iter().try_for_each(|&f| check_works(f))?;
        delete_module("nlfam")?;
        check_absent()
    };
    let ko = File::open(ko_path).map_err(|e| format!("{ko_path}: {e}"))?;
    let cparams = CString::new(params).map_err(|e| e.to_string())?;
    let fnth = FailNth::open()?;
    check_absent().map_err(|e| format!("before the first load: {e}"))?;
    // The module's own init comes last in a load, after hundreds of allocations of the
    // core (the file's and the module's vmalloc'ed memory among them, whose failures
    // vmalloc reports with a stack dump). Find where it starts: a load whose init stops at
    // its first check (an invalid family number) makes nearly all the allocations before it.
    let (total, r) = count_allocations(&fnth, &ko, &cparams)?;
    r.map_err(|e| format!("load without injection: {}", errno_str(e)))?;
    check_works_and_unload()?;
    let (early, r) = count_allocations(&fnth, &ko, c"family=99")?;
    ensure!(
        r == Err(libc::EINVAL),
        "load with family=99: {r:?}, want EINVAL"
    );
    check_absent().map_err(|e| format!("after the load with family=99: {e}"))?;
    let start = early.saturating_sub(LOAD_MARGIN).max(1);
    eprintln!(
        "# a load{} makes {total} allocations that can fail, {early} when its init stops at \
         its first check (the unwinding included): failing the {start}th, {}th, ...",
        if params.is_empty() {
            String::new()
        } else {
            format!(" with {params}")
        },
        start + 1
    );
    let started = Instant::now();
    let (mut points, mut failed, mut loaded, mut partial) = (0u32, 0u32, 0u32, 0u32);
    let mut errnos: BTreeMap<String, u32> = BTreeMap::new();
    let mut failed_at = Vec::new();
    let mut completed = false;
    for n in start..start.saturating_add(max) {
        let (r, injected) = fnth.around(n, || finit_module(&ko, &cparams))?;
        let what = format!("load with fail-nth={n}");
        match r {
            Err(e) => {
                ensure!(
                    injected,
                    "{what}: failed with {} with nothing injected",
                    errno_str(e)
                );
                ensure!(e != 0, "{what}: failed without an errno");
                *errnos.entry(errno_str(e)).or_default() += 1;
                failed += 1;
                failed_at.push(n);
                check_absent().map_err(|m| format!("{what} failed ({}), but {m}", errno_str(e)))?;
                // A normal load works after the failed one.
                finit_module(&ko, &cparams).map_err(|e| {
                    format!(
                        "{what} failed; the next normal load fails with {}",
                        errno_str(e)
                    )
                })?;
                check_works_and_unload().map_err(|m| format!("after {what}: {m}"))?;
            }
            Ok(()) => {
                if injected {
                    loaded += 1;
                }
                // Once a kernel socket is visible, a failure no longer fails the load
                // (rust/netlink/pernet.rs): a family that could not be set up is missing,
                // the others work.
                let mut served = 0;
                for &f in &families {
                    if kernel_sockets(f)?.is_empty() {
                        ensure!(injected, "{what}: family {f} missing, nothing injected");
                        check_missing(f).map_err(|m| format!("{what}: {m}"))?;
                    } else {
                        check_works(f).map_err(|m| format!("{what}: {m}"))?;
                        served += 1;
                    }
                }
                ensure!(
                    served > 0,
                    "{what}: loaded, but serves none of its families"
                );
                if served < families.len() {
                    partial += 1;
                }
                delete_module("nlfam")?;
                check_absent().map_err(|m| format!("{what}: {m}"))?;
            }
        }
        if !injected {
            completed = true;
            break;
        }
        points += 1;
    }
    let errnos: Vec<String> = errnos.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    eprintln!(
        "# load{}: {points} injection points ({}): {failed} loads failed cleanly ({}), \
         {loaded} succeeded despite the failure ({partial} of them without some family); \
         {:.1} s",
        if params.is_empty() {
            String::new()
        } else {
            format!(" with {params}")
        },
        if completed {
            "then the load completed with no failure"
        } else {
            "capped: more allocations remain"
        },
        errnos.join(", "),
        started.elapsed().as_secs_f64()
    );
    eprintln!("# the loads that failed: fail-nth={failed_at:?}");
    if params.is_empty() {
        println!("points load={points}");
    } else {
        println!(
            "points load-{}={points}",
            params.replace(['=', ',', ' '], "-")
        );
    }
    Ok(vec![("load", points)])
}

/// `nlfam-vmtest fail-nth requests|load ...`
pub fn main(args: &[String]) -> ExitCode {
    let usage = || {
        eprintln!(
            "usage: nlfam-vmtest fail-nth requests [--family N] [--max N]\n\
             \x20      nlfam-vmtest fail-nth load KO [--params P] [--family N] [--max N]"
        );
        ExitCode::from(2)
    };
    let Some(a) = crate::args::Args::parse(args, &["family", "max", "params"]) else {
        return usage();
    };
    let (Some(family), Some(max), Some(params)) = (
        a.get("family", nlfam::proto::family::FAMILY_DEFAULT),
        a.get("max", MAX_DEFAULT).filter(|m| *m > 0),
        a.get("params", String::new()),
    ) else {
        return usage();
    };
    let pos: Vec<&str> = a.words.iter().map(String::as_str).collect();
    let r = match pos.as_slice() {
        ["requests"] => requests(family, max),
        ["load", ko] => load(ko, &params, family, max),
        _ => return usage(),
    };
    match r {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("FAIL: {e}");
            ExitCode::FAILURE
        }
    }
}
