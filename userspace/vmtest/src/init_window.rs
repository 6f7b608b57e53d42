//! `nlfam-vmtest init-window KO [--params P] [--family F] [--tries N]`: a module load whose
//! setup fails in one network namespace after the family became visible in others, with
//! user sockets created meanwhile (module unloaded, the namespaces of `/run/netns`
//! present, modprobe disabled).
//!
//! A kernel socket makes its family visible at once: `socket()` on it succeeds (taking a
//! reference on the module, which `try_module_get` allows while the module is loading) and
//! the new socket can send to it. If a later namespace's setup then failed the load, the
//! core would unwind the namespaces already set up, releasing kernel sockets that user
//! sockets already use — a `sendmsg` in flight would run the module's input callback over
//! a freed state, and the core frees a module whose init failed whatever its references.
//! So once a socket is visible a failure must not fail the load: the namespace whose setup
//! failed is left without the family, and everything set up before keeps working. Here
//! one of the last allocations of a load — in the last namespace's setup — is made to fail
//! with `/proc/thread-self/fail-nth` while a thread opens sockets of the family in the
//! initial namespace. The check: the load succeeds; every socket the thread opened is
//! served (an echo through each); exactly one namespace of `/run/netns` (the one whose
//! setup failed) lacks the family, the others and the initial one have it; then the module unloads and a normal load works. A
//! load that fails must have had no socket opened during it, and leave nothing behind.
//!
//! Every other namespace's setup happens inside the window, so the spinning thread lands
//! in it on nearly every try; a run where it never does fails (the race did not happen).

use crate::failnth::{
    check_absent, check_missing, check_works, count_allocations, delete_module, errno_str,
    finit_module, kernel_sockets, FailNth, Res,
};
use crate::raw;
use nlfam::proto::attr::Writer;
use nlfam::proto::family::msg;
use nlfam::proto::wire::{MsgIter, NLM_F_REQUEST};
use std::ffi::CString;
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
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
                // Refused while the family is not registered: try again.
                if let Ok(fd) = raw::socket(family) {
                    kept.push(fd);
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

fn ensure(cond: bool, why: String) -> Res<()> {
    if cond {
        Ok(())
    } else {
        Err(why)
    }
}

/// Whether `family` is served in the network namespace bound at `path` (a thread enters
/// it: `setns` changes the calling thread only).
fn served_in(path: &std::path::Path, family: u32) -> Res<bool> {
    let f = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let shown = path.display().to_string();
    std::thread::spawn(move || {
        // SAFETY: `f` is an open namespace file; setns changes only this thread.
        if unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
            return Err(format!(
                "setns {shown}: {}",
                std::io::Error::last_os_error()
            ));
        }
        if kernel_sockets(family)?.is_empty() {
            check_missing(family).map(|()| false)
        } else {
            check_works(family).map(|()| true)
        }
        .map_err(|e| format!("in {shown}: {e}"))
    })
    .join()
    .map_err(|_| "the setns thread panicked".to_string())?
}

/// The namespaces of `/run/netns` (made by `ip netns add`) that lack `family`, and how
/// many there are.
fn lacking(family: u32) -> Res<(Vec<String>, usize)> {
    let dir = std::path::Path::new("/run/netns");
    let mut paths: Vec<_> = match std::fs::read_dir(dir) {
        Ok(d) => d.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    };
    paths.sort();
    let mut missing = Vec::new();
    for p in &paths {
        if !served_in(p, family)? {
            missing.push(p.display().to_string());
        }
    }
    Ok((missing, paths.len()))
}

/// Every socket opened during the load is served: an echo through each (sent raw: the
/// sockets are not bound yet, and `sendto` binds them), answered by the time `sendto`
/// returns.
fn check_held_served(held: &[OwnedFd], what: &str) -> Res<()> {
    let mut req = vec![0u8; 64];
    let mut w = Writer::new(&mut req);
    w.begin_msg(msg::ECHO, NLM_F_REQUEST, 1, 0)
        .and_then(|m| {
            w.put_bytes(b"window")?;
            w.end_msg(m)
        })
        .map_err(|_| "echo request does not fit".to_string())?;
    let n = w.len();
    req.truncate(n);
    let mut buf = vec![0u8; 4096];
    for (i, fd) in held.iter().enumerate() {
        let fd = fd.as_raw_fd();
        let not_served = |why: String| format!("{what}: socket {i} opened during the load: {why}");
        raw::send_to_kernel(fd, &req).map_err(|e| not_served(format!("send: {e}")))?;
        // The answer is queued before `sendto` returns (the input callback runs in it).
        let got = raw::recv(fd, &mut buf, libc::MSG_DONTWAIT)
            .map_err(|e| not_served(format!("no answer queued when sendto returned: {e}")))?;
        let answer = MsgIter::new(buf.get(..got).unwrap_or(&[])).next();
        match answer {
            Some(a) if a.hdr.ty == msg::ECHO && a.payload == b"window" => {}
            Some(a) => {
                return Err(not_served(format!(
                    "answer of type {} ({} bytes) to an echo",
                    a.hdr.ty,
                    a.payload.len()
                )))
            }
            None => return Err(not_served("an empty answer to an echo".into())),
        }
    }
    Ok(())
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
    // From the last allocation down: the first ones whose failure fails a setup are the
    // last namespace's, with every other namespace's setup inside the window.
    let (mut survived, mut failed, mut hit) = (0u32, 0u32, 0u32);
    for n in (1..=total).rev() {
        let what = format!("load with fail-nth={n}");
        let spinner = Spinner::start(family);
        let (r, injected) = fnth.around(n, || finit_module(&ko, &cparams))?;
        let held = spinner.stop()?;
        match r {
            Ok(()) => {
                ensure(
                    !kernel_sockets(family)?.is_empty(),
                    format!(
                        "{what}: loaded, but the initial namespace has no family {family} \
                         ({} sockets were opened during the load)",
                        held.len()
                    ),
                )?;
                check_held_served(&held, &what)?;
                let held_len = held.len();
                drop(held);
                check_works(family).map_err(|e| format!("{what}: {e}"))?;
                let (missing, of) = lacking(family).map_err(|e| format!("{what}: {e}"))?;
                if missing.is_empty() {
                    // A late allocation whose failure the load survives, or a load that
                    // made fewer allocations than the one counted (the count varies a
                    // little from load to load) and completed untouched: not the window.
                    survived += 1;
                } else {
                    // One allocation failed: one namespace's setup.
                    ensure(
                        injected && missing.len() == 1,
                        format!(
                            "{what}: {missing:?} lack the family, want {}",
                            if injected {
                                "one namespace"
                            } else {
                                "none: nothing was injected"
                            }
                        ),
                    )?;
                    // A namespace's setup failed after the family was visible: it is
                    // left without it, and loading went on.
                    failed += 1;
                    eprintln!(
                        "# {what}: setup failed in {missing:?} (of {of} namespaces), which lack \
                         the family; the load went on, and the {} sockets of family {family} \
                         opened during it were served",
                        held_len
                    );
                    if held_len > 0 {
                        hit += 1;
                    }
                }
                delete_module("nlfam")?;
                check_absent(family)?;
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
                        "{what} failed after family {family} became visible: the module \
                         was freed, though {n} sockets opened during the load hold \
                         references on it"
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
    eprintln!(
        "# {survived} loads completed untouched (a late failure survived, or none injected), \
         {failed} setups failed"
    );
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
    let Some(a) = crate::args::Args::parse(args, &["family", "tries", "params"]) else {
        return usage();
    };
    let (Some(family), Some(tries), Some(params), [ko]) = (
        a.get("family", nlfam::proto::family::FAMILY_DEFAULT),
        a.get("tries", TRIES_DEFAULT).filter(|t| *t > 0),
        a.get("params", String::new()),
        a.words.as_slice(),
    ) else {
        return usage();
    };
    match run(ko, &params, family, tries) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("FAIL: {e}");
            ExitCode::FAILURE
        }
    }
}
