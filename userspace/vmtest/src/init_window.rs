//! `nlfam-vmtest init-window KO [--params P] [--family F] [--tries N]`: a module load that
//! fails after its first kernel socket became visible, with user sockets created in
//! between (module unloaded, other network namespaces present, modprobe disabled).
//!
//! A kernel socket makes its family visible at once, and `socket()` on it takes a reference
//! on the module (`try_module_get` succeeds while the module is still loading). If init
//! then fails — here: one of the last allocations of the load, in the last namespace's
//! setup, is made to fail with `/proc/thread-self/fail-nth` — the core frees the module
//! whatever its reference count; those sockets' `close()` would then drop a reference in
//! freed memory. The module must instead stay loaded, with no family, while such
//! references exist (its init then succeeds, and says why in the log): the check is that
//! after a failed setup during which a thread opened sockets of the family, nlfam is still
//! loaded with exactly those references and serves no family, and once they are closed it
//! unloads and a normal load works. A setup that fails with no socket opened must fail the
//! load and leave nothing behind.
//!
//! Every other namespace's setup happens inside the window, so the spinning thread lands
//! in it on nearly every try; a run where it never does fails (the race did not happen).

use crate::failnth::{
    check_absent, check_works, count_allocations, delete_module, errno_str, finit_module,
    kernel_sockets, FailNth, Res,
};
use std::ffi::CString;
use std::fs::File;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Loads that fail (the latest failing allocations, from the last one down) to try before
/// concluding that the window was never hit.
const TRIES_DEFAULT: u32 = 12;

/// A thread opening sockets of `family` in a loop, keeping every one that opens.
struct Spinner {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Vec<OwnedFd>>,
}

impl Spinner {
    fn start(family: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut kept = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                // SAFETY: plain syscall with constant arguments.
                let fd = unsafe {
                    libc::socket(
                        libc::AF_NETLINK,
                        libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                        family as i32,
                    )
                };
                if fd >= 0 {
                    // SAFETY: `fd` was just returned by socket() and is owned by nothing else.
                    kept.push(unsafe { OwnedFd::from_raw_fd(fd) });
                }
            }
            kept
        });
        Self { stop, thread }
    }

    /// Stops the thread: the sockets it opened.
    fn stop(self) -> Res<Vec<OwnedFd>> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .join()
            .map_err(|_| "the socket() thread panicked".to_string())
    }
}

/// `/sys/module/nlfam/refcnt`.
fn refcnt() -> Res<u32> {
    let path = "/sys/module/nlfam/refcnt";
    let t = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    t.trim().parse().map_err(|_| format!("{path} reads {t:?}"))
}

/// The module loaded but serving nothing: that is right only when sockets opened during
/// the load (`held`) pin it; it must hold exactly their references, serve no family, and
/// unload once they are closed.
fn check_inert(family: u32, held: Vec<OwnedFd>, what: &str) -> Res<()> {
    let n = held.len();
    ensure(
        n > 0,
        format!("{what} succeeded but serves no family, and no socket pins the module"),
    )?;
    let r = refcnt()?;
    ensure(
        r == n as u32,
        format!("{what}: nlfam stays loaded with refcnt {r}, want {n} (the sockets opened during the load)"),
    )?;
    ensure_no_family(family).map_err(|e| format!("{what}, module inert: {e}"))?;
    drop(held);
    let r = refcnt()?;
    ensure(
        r == 0,
        format!("all {n} sockets closed, nlfam's refcnt is {r}, want 0"),
    )?;
    delete_module("nlfam").map_err(|e| format!("unloading the inert module: {e}"))?;
    check_absent(family).map_err(|e| format!("after unloading the inert module: {e}"))
}

fn ensure(cond: bool, why: String) -> Res<()> {
    if cond {
        Ok(())
    } else {
        Err(why)
    }
}

/// No family is served: no kernel socket, and `socket()` fails with `EPROTONOSUPPORT`.
fn ensure_no_family(family: u32) -> Res<()> {
    let k = kernel_sockets(family)?;
    ensure(
        k.is_empty(),
        format!("kernel socket of family {family}: {k:?}"),
    )?;
    match nlfam::Socket::open(family) {
        Ok(_) => Err(format!("socket() on family {family} succeeds")),
        Err(e) if e.errno() == Some(libc::EPROTONOSUPPORT) => Ok(()),
        Err(e) => Err(format!(
            "socket() on family {family}: {e}, want EPROTONOSUPPORT"
        )),
    }
}

fn run(ko_path: &str, params: &str, family: u32, tries: u32) -> Res<()> {
    let ko = File::open(ko_path).map_err(|e| format!("{ko_path}: {e}"))?;
    let cparams = CString::new(params).map_err(|e| e.to_string())?;
    let fnth = FailNth::open()?;
    check_absent(family).map_err(|e| format!("before the first load: {e}"))?;
    let (total, r) = count_allocations(&fnth, &ko, &cparams)?;
    r.map_err(|e| format!("load without injection: {}", errno_str(e)))?;
    delete_module("nlfam")?;
    check_absent(family)?;
    eprintln!("# a load with {params:?} makes {total} allocations that can fail");
    // From the last allocation down: the first ones whose failure fails the setup are
    // the last namespace's, with every other namespace's setup inside the window.
    let (mut survived, mut failed, mut hit) = (0u32, 0u32, 0u32);
    for n in (1..=total).rev() {
        let what = format!("load with fail-nth={n}");
        let spinner = Spinner::start(family);
        let (r, injected) = fnth.around(n, || finit_module(&ko, &cparams))?;
        let held = spinner.stop()?;
        match r {
            Ok(()) if injected && kernel_sockets(family)?.is_empty() => {
                // The setup failed, and the sockets opened meanwhile keep the module.
                failed += 1;
                hit += 1;
                eprintln!(
                    "# {what}: setup failed; loaded without families, pinned by the {} \
                     sockets of family {family} opened during it",
                    held.len()
                );
                check_inert(family, held, &what)?;
            }
            Ok(()) => {
                // A late allocation whose failure the load survives, or a load that made
                // fewer allocations than the one counted (the count varies a little from
                // load to load) and completed untouched: not the window.
                survived += 1;
                drop(held);
                check_works(family).map_err(|e| format!("{what}: {e}"))?;
                delete_module("nlfam")?;
                check_absent(family)?;
                continue;
            }
            Err(e) if !injected => {
                return Err(format!("{what}: {} with nothing injected", errno_str(e)));
            }
            Err(e) => {
                failed += 1;
                eprintln!(
                    "# {what}: {}; {} sockets of family {family} opened during it",
                    errno_str(e),
                    held.len()
                );
                if !held.is_empty() {
                    // Closing them would drop references in the freed module: keep them
                    // open (the process exits right after).
                    let n = held.len();
                    std::mem::forget(held);
                    return Err(format!(
                        "{what} failed and the module was freed, though {n} sockets of \
                         family {family} opened during the load hold references on it"
                    ));
                }
                check_absent(family).map_err(|m| format!("{what}: {m}"))?;
            }
        }
        // A normal load works afterwards.
        finit_module(&ko, &cparams)
            .map_err(|e| format!("after {what}: a normal load: {}", errno_str(e)))?;
        check_works(family).map_err(|e| format!("after {what}: {e}"))?;
        delete_module("nlfam")?;
        check_absent(family)?;
        if hit > 0 || failed >= tries {
            break;
        }
    }
    eprintln!("# {survived} loads completed (a late failure survived, or none injected), {failed} setups failed");
    ensure(
        hit > 0,
        format!(
            "no socket was opened during any of {failed} failed setups: the window was never \
             hit (more namespaces make it wider)"
        ),
    )?;
    println!("hit after {failed} failed setups");
    Ok(())
}

/// `nlfam-vmtest init-window KO [--params P] [--family F] [--tries N]`
pub fn main(args: &[String]) -> ExitCode {
    let usage = || {
        eprintln!("usage: nlfam-vmtest init-window KO [--params P] [--family N] [--tries N]");
        ExitCode::from(2)
    };
    let mut family = nlfam::proto::family::FAMILY_DEFAULT;
    let mut tries = TRIES_DEFAULT;
    let mut params = String::new();
    let mut ko = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--family" => match it.next().and_then(|v| v.parse().ok()) {
                Some(f) => family = f,
                None => return usage(),
            },
            "--tries" => match it.next().and_then(|v| v.parse().ok()) {
                Some(t) if t > 0 => tries = t,
                _ => return usage(),
            },
            "--params" => match it.next() {
                Some(p) => params = p.clone(),
                None => return usage(),
            },
            p if ko.is_none() => ko = Some(p.to_string()),
            _ => return usage(),
        }
    }
    let Some(ko) = ko else { return usage() };
    match run(&ko, &params, family, tries) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("FAIL: {e}");
            ExitCode::FAILURE
        }
    }
}
