//! Load/unload cycles raced against clients that open, use, subscribe and close sockets.
//!
//! The module is loaded and unloaded with `finit_module(2)` and `delete_module(2)` directly:
//! `rmmod` refuses by itself when `/sys/module/*/refcnt` is non-zero, and starting the
//! `insmod`/`rmmod` programs costs seconds per cycle on the debug kernel under TCG, which
//! left the race mostly unexercised. An open socket pins the module, so an unload may be
//! refused (`EWOULDBLOCK`); the race must never crash, leak or hang.
//!
//! The race must also have happened: a generation counter is odd while the module is
//! loaded (set after `finit_module` returns, cleared after `delete_module` succeeds), and
//! a client's successful use counts for a load only when the generation was the same odd
//! value before it opened its socket and after the use. Each load waits (briefly) for such
//! a use before it tries to unload, and the run fails unless most loads saw one.

use nlfam::Socket;
use std::collections::BTreeSet;
use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `finit_module(fd, params, 0)`.
pub(crate) fn load(ko: &File, params: &str) -> io::Result<()> {
    let params = CString::new(params).map_err(io::Error::other)?;
    // SAFETY: plain syscall with a valid descriptor and a NUL-terminated string that
    // outlives the call.
    let r = unsafe { libc::syscall(libc::SYS_finit_module, ko.as_raw_fd(), params.as_ptr(), 0) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// `delete_module(name, O_NONBLOCK)`: refused with `EWOULDBLOCK` while the module is in use.
pub(crate) fn unload(name: &str) -> io::Result<()> {
    let name = CString::new(name).map_err(io::Error::other)?;
    // SAFETY: plain syscall with a NUL-terminated string that outlives the call.
    let r = unsafe { libc::syscall(libc::SYS_delete_module, name.as_ptr(), libc::O_NONBLOCK) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Shared between the loader and the clients.
#[derive(Default)]
struct Race {
    stop: AtomicBool,
    /// Odd while the module is known to be loaded: 2k+1 during the k-th load.
    generation: AtomicU64,
    /// Generations in which a client used the module.
    used_in: Mutex<BTreeSet<u64>>,
}

impl Race {
    fn used_during(&self, generation: u64) -> bool {
        self.used_in.lock().unwrap().contains(&generation)
    }
}

/// One client thread: opens a socket, subscribes (`subscribe`) or echoes, closes, and
/// leaves a short gap in which no socket is open, so an unload can win. Returns its
/// successful uses and its opens while the family was absent.
fn client(family: u32, subscribe: bool, race: &Race) -> (u64, u64) {
    let (mut used, mut absent) = (0u64, 0u64);
    while !race.stop.load(Ordering::Relaxed) {
        let before = race.generation.load(Ordering::SeqCst);
        match Socket::open(family) {
            Ok(mut s) => {
                let _ = s.set_timeout(Some(Duration::from_millis(500)));
                let ok = if subscribe {
                    s.add_membership(1).is_ok()
                } else {
                    s.echo(b"churn").is_ok_and(|b| b == b"churn")
                };
                if ok {
                    used += 1;
                    // Still the same load: the use happened while it was loaded.
                    if before % 2 == 1 && race.generation.load(Ordering::SeqCst) == before {
                        race.used_in.lock().unwrap().insert(before);
                    }
                }
                drop(s);
                std::thread::sleep(Duration::from_millis(1 + used % 4));
            }
            Err(_) => {
                // The family is absent (socket() also asked modprobe, which cannot find
                // the module outside /lib/modules).
                absent += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
    (used, absent)
}

pub fn run(family: u32, cycles: u32, ko_path: &str, params: &str) -> Result<(), String> {
    let ko = File::open(ko_path).map_err(|e| format!("{ko_path}: {e}"))?;
    let race = Arc::new(Race::default());
    let threads: Vec<_> = [true, false]
        .into_iter()
        .map(|subscribe| {
            let race = race.clone();
            std::thread::spawn(move || client(family, subscribe, &race))
        })
        .collect();
    let started = Instant::now();
    let (mut loads, mut unloads, mut refused) = (0u32, 0u32, 0u64);
    let mut failure = None;
    for _ in 0..cycles {
        match load(&ko, params) {
            Ok(()) => {
                loads += 1;
                let generation = race.generation.fetch_add(1, Ordering::SeqCst) + 1;
                // Give the clients a moment with the family present: until one of them
                // used it (then unload while they are still at it), at most 200 ms.
                let deadline = Instant::now() + Duration::from_millis(200);
                while !race.used_during(generation) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            // Still loaded: the last cycle's unload lost every round of the race.
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {}
            Err(e) => {
                failure = Some(format!("finit_module: {e}"));
                break;
            }
        }
        for _ in 0..20 {
            match unload("nlfam") {
                Ok(()) => {
                    unloads += 1;
                    race.generation.fetch_add(1, Ordering::SeqCst);
                    break;
                }
                Err(e) if e.raw_os_error() == Some(libc::EWOULDBLOCK) => {
                    refused += 1;
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err(e) => {
                    failure = Some(format!("delete_module: {e}"));
                    break;
                }
            }
        }
        if failure.is_some() {
            break;
        }
    }
    race.stop.store(true, Ordering::Relaxed);
    let (mut used, mut absent) = (0, 0);
    for t in threads {
        let (u, a) = t.join().map_err(|_| "client thread panicked")?;
        used += u;
        absent += a;
    }
    if let Some(f) = failure {
        return Err(f);
    }
    // With the clients gone nothing pins the module: the last unload must succeed.
    let loaded = || std::path::Path::new("/sys/module/nlfam").exists();
    let deadline = Instant::now() + Duration::from_secs(30);
    while loaded() {
        match unload("nlfam") {
            Ok(()) => unloads += 1,
            Err(e) if e.raw_os_error() == Some(libc::EWOULDBLOCK) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Err(e) => return Err(format!("unload after the clients closed: {e}")),
        }
    }
    let raced = race.used_in.lock().unwrap().len() as u32;
    println!(
        "{cycles} cycles: {loads} loads, {unloads} unloads, {refused} unloads refused while \
         in use, {:.1} s; clients: {used} successful uses, in {raced} of the {loads} loads, \
         {absent} opens while the family was absent",
        started.elapsed().as_secs_f64()
    );
    if loads < 2 || unloads < 2 {
        return Err(format!(
            "the module never cycled: {loads} loads, {unloads} unloads"
        ));
    }
    // Every load waits for a use; a few may still see none (a client asleep in its
    // absent-family back-off through the whole wait), most must.
    if raced < 2 || raced * 4 < loads * 3 {
        return Err(format!(
            "the race did not happen: clients used the module in only {raced} of {loads} loads"
        ));
    }
    Ok(())
}
