//! Checks of what a user can make the module do to the kernel, and of the guarantees
//! other users rely on: dump consistency flags, the PUBLISH uid, store quotas, memory
//! accounting, heartbeat limits and namespace isolation. Each one is built to fail when
//! the guarantee breaks (see the comment on each).

use nlfam::proto::wire::{NLMSG_DONE, NLM_F_DUMP, NLM_F_DUMP_INTR};
use nlfam::proto::{errno, family::msg};
use nlfam::{Error, Event, Message, SetMode, Socket};
use std::time::{Duration, Instant};

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

/// The kernel's refusal: errno and extack text.
fn refusal<T: std::fmt::Debug>(r: Result<T, Error>) -> Result<(i32, String), String> {
    match r {
        Err(Error::Kernel { errno, msg, .. }) => Ok((errno, msg.unwrap_or_default())),
        other => Err(format!("want a refusal from the kernel, got {other:?}")),
    }
}

/// `NLM_F_DUMP_INTR` must be set whenever the store changed between two parts of a dump,
/// whatever the number of writes: one write between the first and second `recvmsg`,
/// repeated `reps` times on the same store (so the write count takes both parities; a
/// generation compared modulo 2 passes only every other time), alternating a new key and
/// a replaced value. A dump with no write in between must not carry the flag.
pub fn dump_intr_every_write(family: u32, reps: u32) -> Check {
    let mut s = open(family)?;
    let mut w = open(family)?;
    for i in 0..3000 {
        w.set(format!("k{i:05}").as_bytes(), &[7u8; 64], SetMode::Upsert)
            .map_err(|e| e.to_string())?;
    }
    let mut seen = Vec::new();
    for rep in 0..=reps {
        // The last repetition writes nothing: the flag must stay clear.
        let write = rep < reps;
        let seq = s
            .send(msg::KV_GET, NLM_F_DUMP, |_| Ok(()))
            .map_err(|e| e.to_string())?;
        let mut intr = false;
        let mut first = true;
        let mut done = false;
        while !done {
            let part: Vec<Message> = s
                .recv_datagram()
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(Message::from)
                .collect();
            for m in &part {
                ensure(m.hdr.seq == seq, || format!("foreign message {:?}", m.hdr))?;
                intr |= m.hdr.flags & NLM_F_DUMP_INTR != 0;
                done |= m.hdr.ty == NLMSG_DONE;
            }
            if first && write {
                ensure(!done, || "the dump fit one datagram: no second part".into())?;
                if rep % 2 == 0 {
                    w.set(format!("new{rep}").as_bytes(), b"x", SetMode::Upsert)
                } else {
                    w.set(b"k00001", &[rep as u8; 64], SetMode::Upsert)
                }
                .map_err(|e| e.to_string())?;
            }
            first = false;
        }
        seen.push(intr);
        ensure(intr == write, || {
            format!(
                "repetition {rep} ({} write between parts): NLM_F_DUMP_INTR {}; so far {seen:?}",
                if write { "one" } else { "no" },
                if intr { "set" } else { "missing" }
            )
        })?;
    }
    eprintln!("# NLM_F_DUMP_INTR per repetition (one write each, then none): {seen:?}");
    Ok(())
}

/// PUBLISH stamps the publisher's uid as seen in the user namespace owning the family's
/// network namespace. Run inside `unshare -Urn` by an unprivileged host user: uid 0 there.
pub fn publish_uid(family: u32, want: u32) -> Check {
    let mut sub = open(family)?;
    sub.add_membership(9)
        .map_err(|e| format!("subscribe: {e}"))?;
    let mut p = open(family)?;
    p.publish(9, b"who am i")
        .map_err(|e| format!("publish: {e}"))?;
    match sub.next_event().map_err(|e| e.to_string())? {
        Event::Publish { uid, portid, .. } => {
            ensure(portid == p.portid(), || format!("portid {portid}"))?;
            ensure(uid == want, || {
                format!("PUBLISH event says uid {uid}, want {want} (the uid in this namespace)")
            })?;
            eprintln!("# PUBLISH uid as seen in the publisher's namespace: {uid}");
            Ok(())
        }
        other => Err(format!("subscriber got {other:?}")),
    }
}

/// Fills the store until the quota refuses: `entries` entries of `key_len` + `value_len`
/// bytes fit exactly, the next one is `ENOSPC` with the extack naming `param`.
/// Then a replace that would grow the store past a byte limit is refused too, and the
/// refused writes changed nothing.
pub fn quota(family: u32, entries: usize, key_len: usize, value_len: usize, param: &str) -> Check {
    let mut s = open(family)?;
    let key = |i: usize| format!("{i:0width$}", width = key_len).into_bytes();
    let value = vec![0x5au8; value_len];
    for i in 0..entries {
        s.set(&key(i), &value, SetMode::Create)
            .map_err(|e| format!("entry {i} of {entries} (within the quota): {e}"))?;
    }
    let (e, text) = refusal(s.set(&key(entries), &value, SetMode::Create))?;
    ensure(e == errno::ENOSPC && text.contains(param), || {
        format!("entry {entries}: want ENOSPC naming {param}, got errno {e} '{text}'")
    })?;
    let st = s.stats().map_err(|e| e.to_string())?;
    ensure(st.entries as usize == entries, || {
        format!("{} entries stored, want {entries}", st.entries)
    })?;
    if param.ends_with("bytes") {
        // Full to the byte: growing any value by one byte must fail, shrinking must not.
        let mut bigger = value.clone();
        bigger.push(0);
        let (e, text) = refusal(s.set(&key(0), &bigger, SetMode::Replace))?;
        ensure(e == errno::ENOSPC && text.contains(param), || {
            format!("growing a value past {param}: errno {e} '{text}'")
        })?;
        ensure(s.get(&key(0)).map_err(|e| e.to_string())? == value, || {
            "a refused replace changed the value".into()
        })?;
        s.set(&key(0), &value[..value_len / 2], SetMode::Replace)
            .map_err(|e| format!("shrinking a value: {e}"))?;
        s.set(&key(entries), &[], SetMode::Create)
            .map_err(|e| format!("space freed by shrinking not reusable: {e}"))?;
    }
    eprintln!("# quota: {entries} entries of {key_len}+{value_len} B stored, the next refused: ENOSPC '{text}'");
    Ok(())
}

fn read_number(path: &str) -> Result<u64, String> {
    std::fs::read_to_string(path)
        .map_err(|e| format!("{path}: {e}"))?
        .trim()
        .parse()
        .map_err(|e| format!("{path}: {e}"))
}

/// What a user stores is charged to its memory cgroup: storing `n` values of `size`
/// bytes must raise the cgroup's `memory.current` by at least 80% of `n * size` (the
/// values alone; without `__GFP_ACCOUNT` it stays flat). `memory_current` is that file.
pub fn charged(family: u32, memory_current: &str, n: usize, size: usize) -> Check {
    let mut s = open(family)?;
    let value = vec![0xa5u8; size];
    // Warm up the socket and the process's own memory first.
    s.set(b"warm-up", b"x", SetMode::Upsert)
        .map_err(|e| e.to_string())?;
    let before = read_number(memory_current)?;
    for i in 0..n {
        s.set(format!("c{i:05}").as_bytes(), &value, SetMode::Create)
            .map_err(|e| format!("entry {i}: {e}"))?;
    }
    let after = read_number(memory_current)?;
    let stored = (n * size) as u64;
    let grown = after.saturating_sub(before);
    eprintln!(
        "# memory.current {before} -> {after} (+{grown}) for {stored} bytes of values stored"
    );
    ensure(grown >= stored * 8 / 10, || {
        format!("the store is not charged to the requester's memory cgroup: memory.current grew {grown} B for {stored} B stored")
    })
}

/// A full memory cgroup refuses the request, it does not kill: a user stores values of
/// `size` bytes until a SET fails, in a cgroup (`cgroup_dir`) whose `memory.max` it sets
/// (the file is delegated to it) to what it uses now plus `headroom` bytes. The failure
/// must be `ENOMEM` with the cgroup at its limit (`memory.peak` within 1 MiB of
/// `memory.max`, `memory.events` counting `max` events and no `oom` or `oom_kill`: with
/// plain `GFP_KERNEL_ACCOUNT` the charge invokes the memory-cgroup OOM killer instead,
/// which kills this process). What an entry is charged depends on the allocator's
/// configuration (a debug kernel's slab metadata doubles a 4000-byte value's). Freeing a
/// few entries must then make room again, with what was stored intact.
///
/// At the limit, reclaim evicts the cgroup's file pages, and this process faulting one
/// of them back in would itself be OOM-killed: so its mappings are locked in memory first
/// (`mlockall`, which needs `RLIMIT_MEMLOCK` raised by the caller), and it frees room
/// right after the refusal, before anything else.
pub fn memcg_full(family: u32, cgroup_dir: &str, headroom: u64, size: usize) -> Check {
    let mut s = open(family)?;
    let value = vec![0x5au8; size];
    let key = |i: usize| format!("m{i:06}").into_bytes();
    // The paths this check takes after the refusal, once before it: their code is then
    // resident (and locked below), and their buffers allocated.
    let cur_path = format!("{cgroup_dir}/memory.current");
    let events_path = format!("{cgroup_dir}/memory.events");
    s.set(b"warm-up", &value, SetMode::Create)
        .map_err(|e| e.to_string())?;
    let warm = refusal(s.set(b"warm-up", &value, SetMode::Create))?;
    s.del(b"warm-up").map_err(|e| e.to_string())?;
    let _ = (
        s.get(b"warm-up"),
        std::fs::read_to_string(&events_path),
        warm,
    );
    // SAFETY: plain flags.
    if unsafe { libc::mlockall(libc::MCL_CURRENT) } != 0 {
        return Err(format!(
            "mlockall: {} (raise RLIMIT_MEMLOCK)",
            std::io::Error::last_os_error()
        ));
    }
    let max = read_number(&cur_path)? + headroom;
    std::fs::write(format!("{cgroup_dir}/memory.max"), max.to_string())
        .map_err(|e| format!("{cgroup_dir}/memory.max: {e}"))?;
    let limit = (2 * headroom) as usize / size + 1000;
    let mut stored = 0;
    let refused = loop {
        if stored == limit {
            return Err(format!(
                "{stored} values of {size} B stored without a refusal in a cgroup of {max} B"
            ));
        }
        match s.set(&key(stored), &value, SetMode::Create) {
            Ok(()) => stored += 1,
            Err(e) => break e,
        }
    };
    // Make room first: at the limit even reading a cgroup file (the kernel's buffer for
    // it is charged) could OOM. `memory.peak` then says how high usage went.
    let freed = 16.min(stored);
    for i in stored - freed..stored {
        s.del(&key(i))
            .map_err(|e| format!("DEL after the refusal: {e}"))?;
    }
    let peak = read_number(&format!("{cgroup_dir}/memory.peak"))?;
    let events =
        std::fs::read_to_string(&events_path).map_err(|e| format!("memory.events: {e}"))?;
    let event = |name: &str| -> u64 {
        events
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or(0)
    };
    eprintln!(
        "# {stored} values of {size} B stored with memory.max at {max} B (+{headroom} B), \
         then (memory.peak {peak} B): {refused}; \
         memory.events max {} oom {} oom_kill {}",
        event("max"),
        event("oom"),
        event("oom_kill")
    );
    match &refused {
        Error::Kernel { errno, .. } if *errno == errno::ENOMEM => {}
        other => return Err(format!("want ENOMEM when the cgroup is full, got {other}")),
    }
    ensure(
        event("max") > 0 && event("oom") == 0 && event("oom_kill") == 0,
        || format!("want the cgroup's limit reached without an OOM: memory.events says {events:?}"),
    )?;
    ensure(peak + (1 << 20) >= max, || {
        format!("refused with memory.peak {peak} B, well below memory.max {max} B")
    })?;
    let first = s
        .get(&key(0))
        .map_err(|e| format!("GET after the refusal: {e}"))?;
    ensure(first == value, || "a stored value changed".into())?;
    s.set(&key(stored), &value, SetMode::Create)
        .map_err(|e| format!("SET after freeing {freed} entries: {e}"))
}

/// Sets the heartbeat period and expects `want` (0 = accepted, else that errno, with the
/// extack naming `text`).
pub fn config_expect(family: u32, period: u32, want: i32, text: &str) -> Check {
    let mut s = open(family)?;
    match s.config(period) {
        Ok((p, _)) if want == 0 => {
            ensure(p == period, || {
                format!("CONFIG {period} answered period {p}")
            })?;
            eprintln!("# CONFIG {period}: accepted");
            Ok(())
        }
        r => {
            let (e, msg) = refusal(r)?;
            ensure(e == want && msg.contains(text), || {
                format!("CONFIG {period}: want errno {want} naming '{text}', got {e} '{msg}'")
            })?;
            eprintln!("# CONFIG {period}: refused, errno {e} '{msg}'");
            Ok(())
        }
    }
}

/// Arms the heartbeat at `period`, prints "armed", and keeps the namespace (and the
/// armed heartbeat) alive until killed.
pub fn config_hold(family: u32, period: u32) -> Check {
    let mut s = open(family)?;
    s.config(period)
        .map_err(|e| format!("CONFIG {period}: {e}"))?;
    println!("armed");
    hold_until_killed()
}

/// Sleeps until a signal ends the process (the test script kills it).
fn hold_until_killed() -> Check {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Run in a network namespace while a socket in another namespace subscribes to the
/// heartbeat group: a fast heartbeat here, with no subscriber here, must count nothing as
/// sent or dropped, and the subscriber elsewhere must not show up in this namespace's
/// STATS. (The core's listener bitmap is shared by all namespaces; a broadcast that finds
/// nobody here used to be counted as sent.)
pub fn heartbeat_isolated(family: u32) -> Check {
    let mut s = open(family)?;
    let before = s.stats().map_err(|e| e.to_string())?;
    s.config(10).map_err(|e| format!("CONFIG 10: {e}"))?;
    std::thread::sleep(Duration::from_millis(1500));
    let (_, ticks) = s.config(0).map_err(|e| format!("CONFIG 0: {e}"))?;
    let after = s.stats().map_err(|e| e.to_string())?;
    ensure(ticks >= 5, || {
        format!("the heartbeat did not run ({ticks} ticks in 1.5 s)")
    })?;
    ensure(
        after.notifications == before.notifications && after.dropped == before.dropped,
        || {
            format!(
            "{ticks} heartbeats with no subscriber in this namespace changed its counters: notifications {} -> {}, dropped {} -> {}",
            before.notifications, after.notifications, before.dropped, after.dropped
        )
        },
    )?;
    ensure(after.subscribers.is_empty(), || {
        format!(
            "another namespace's subscribers are visible here: {:?}",
            after.subscribers
        )
    })?;
    eprintln!("# {ticks} heartbeats, none delivered or counted here; subscribers here: none");
    Ok(())
}

/// Joins `group`, prints "subscribed" and stays until killed (a subscriber for other
/// checks to see).
pub fn subscribe_hold(family: u32, group: u32) -> Check {
    let s = open(family)?;
    s.add_membership(group)
        .map_err(|e| format!("join {group}: {e}"))?;
    println!("subscribed");
    let _keep = s;
    hold_until_killed()
}

/// Concurrent CONFIGs of different periods, then the period reported and the timer must
/// agree: heartbeats arrive if and only if the final period is not 0.
pub fn config_storm(family: u32, rounds: u32) -> Check {
    for round in 0..rounds {
        let threads: Vec<_> = (0..4u32)
            .map(|t| {
                std::thread::spawn(move || -> Check {
                    let mut s = open(family)?;
                    for i in 0..50u32 {
                        let p = if (i + t) % 2 == 0 { 0 } else { 100 };
                        s.config(p).map_err(|e| e.to_string())?;
                    }
                    Ok(())
                })
            })
            .collect();
        for t in threads {
            t.join()
                .map_err(|_| "storm thread panicked".to_string())??;
        }
        let mut sub = open(family)?;
        sub.add_membership(2).map_err(|e| e.to_string())?;
        let period = sub.stats().map_err(|e| e.to_string())?.heartbeat_ms;
        sub.set_timeout(Some(Duration::from_millis(100)))
            .map_err(|e| e.to_string())?;
        let deadline = Instant::now() + Duration::from_millis(1000);
        let mut beats = 0;
        while Instant::now() < deadline {
            match sub.next_event() {
                Ok(Event::Heartbeat { .. }) => beats += 1,
                Ok(_) => {}
                Err(Error::Timeout) => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        ensure((period != 0) == (beats > 0), || {
            format!("round {round}: period {period} ms but {beats} heartbeats in 1 s")
        })?;
        open(family)?.config(0).map_err(|e| e.to_string())?;
    }
    eprintln!("# {rounds} CONFIG storms: period and timer agreed after each");
    Ok(())
}

/// Splits a subcommand's arguments into `--family N` (default 25) and the rest, in order
/// (the `sec` and `edge` subcommands share this form).
pub fn family_and_rest(args: &[String]) -> Result<(u32, Vec<&str>), String> {
    let mut family = nlfam::proto::family::FAMILY_DEFAULT;
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--family" {
            family = it
                .next()
                .and_then(|v| v.parse().ok())
                .ok_or("--family needs a number")?;
        } else {
            rest.push(a.as_str());
        }
    }
    Ok((family, rest))
}

/// `nlfam-vmtest sec CHECK ARGS... [--family N]`.
pub fn dispatch(args: &[String]) -> Check {
    let (family, rest) = crate::security::family_and_rest(args)?;
    let num = |i: usize| -> Result<u64, String> {
        rest.get(i)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("argument {i} of {rest:?}: want a number"))
    };
    let text = |i: usize| -> Result<&str, String> {
        rest.get(i)
            .copied()
            .ok_or_else(|| format!("argument {i} of {rest:?} missing"))
    };
    match rest.first().copied() {
        Some("dump-intr-every-write") => dump_intr_every_write(family, num(1)? as u32),
        Some("publish-uid") => publish_uid(family, num(1)? as u32),
        Some("quota") => quota(
            family,
            num(1)? as usize,
            num(2)? as usize,
            num(3)? as usize,
            text(4)?,
        ),
        Some("charged") => charged(family, text(1)?, num(2)? as usize, num(3)? as usize),
        Some("memcg-full") => memcg_full(family, text(1)?, num(2)?, num(3)? as usize),
        Some("config-expect") => {
            let want = match text(2)? {
                "ok" => 0,
                "ERANGE" => errno::ERANGE,
                "ENOSPC" => errno::ENOSPC,
                other => return Err(format!("unknown errno {other}")),
            };
            config_expect(
                family,
                num(1)? as u32,
                want,
                rest.get(3).copied().unwrap_or(""),
            )
        }
        Some("config-hold") => config_hold(family, num(1)? as u32),
        Some("heartbeat-isolated") => heartbeat_isolated(family),
        Some("subscribe-hold") => subscribe_hold(family, num(1)? as u32),
        Some("config-storm") => config_storm(family, num(1)? as u32),
        _ => Err(
            "usage: nlfam-vmtest sec dump-intr-every-write REPS | publish-uid UID |\n\
             quota ENTRIES KEY_LEN VALUE_LEN PARAM | charged MEMORY_CURRENT N SIZE |\n\
             memcg-full CGROUP_DIR HEADROOM SIZE |\n\
             config-expect PERIOD ok|ERANGE|ENOSPC [TEXT] | config-hold PERIOD |\n\
             heartbeat-isolated | subscribe-hold GROUP | config-storm ROUNDS  [--family N]"
                .into(),
        ),
    }
}
