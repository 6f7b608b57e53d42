// SPDX-License-Identifier: GPL-2.0

//! Kernel-originated multicast without a user trigger: a [`Periodic`] event fires every
//! `period` milliseconds from a kernel timer and, when someone listens on its group,
//! broadcasts what its builder makes. The timer runs in softirq context, so the builder
//! must allocate atomically ([`Gfp::Atomic`]), as sending does.

use super::skb::{Gfp, SkBuff};
use super::socket::SocketRef;
use core::ptr::null_mut;
use core::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering};
use kernel::bindings;
use kernel::c_str;
use kernel::error::{code::ESRCH, Result};
use kernel::prelude::*;
use kernel::types::Opaque;

/// The lockdep class of every periodic timer (lockdep wants static storage it initialises
/// itself, as `timer_setup` provides in C).
struct TimerKey(Opaque<bindings::lock_class_key>);
// SAFETY: Only lockdep touches the key, under its own locking.
unsafe impl Sync for TimerKey {}
static TIMER_KEY: TimerKey = TimerKey(Opaque::uninit());

/// Builds the event for tick `n` (1-based).
pub(crate) type BuildFn = fn(n: u64) -> Result<SkBuff>;

/// A periodic multicast event.
///
/// # Invariants
///
/// `timer` is initialised with [`Periodic::fire`] as its function. `sock` is null or a
/// live kernel socket: it is cleared, and the timer shut down, by [`Periodic::stop`]
/// before the socket is released.
#[pin_data(PinnedDrop)]
pub(crate) struct Periodic {
    #[pin]
    timer: Opaque<bindings::timer_list>,
    sock: AtomicPtr<bindings::sock>,
    period_ms: AtomicU32,
    group: u32,
    build: BuildFn,
    ticks: AtomicU64,
    /// Events delivered to at least one subscriber in this socket's namespace.
    pub(crate) sent: AtomicU64,
    /// Events that failed (no memory, or a subscriber's queue was full).
    pub(crate) dropped: AtomicU64,
}

// SAFETY: The timer is only manipulated through the kernel's timer API, which is
// thread-safe; every other field is atomic or immutable.
unsafe impl Send for Periodic {}
// SAFETY: As above.
unsafe impl Sync for Periodic {}

impl Periodic {
    pub(crate) fn new(group: u32, build: BuildFn) -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `slot` is the timer's memory, pinned inside `Self`; the lock class
            // key is static, as lockdep requires.
            timer <- Opaque::ffi_init(|slot| unsafe {
                crate::compat::timer_init_key(
                    slot,
                    Some(Self::fire),
                    0,
                    c_str!("nlfam_periodic").as_char_ptr(),
                    TIMER_KEY.0.get(),
                )
            }),
            sock: AtomicPtr::new(null_mut()),
            period_ms: AtomicU32::new(0),
            group,
            build,
            ticks: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        })
    }

    /// Sets the socket events go out through.
    ///
    /// # Safety
    ///
    /// `sock` must stay live until [`Periodic::stop`] has returned (or the `Periodic` is
    /// dropped, which stops it). The registration that owns the socket guarantees this
    /// (it is the only caller).
    pub(super) unsafe fn attach(&self, sock: SocketRef<'_>) {
        self.sock.store(sock.as_ptr(), Ordering::Release);
    }

    /// The current period in milliseconds (0 = off).
    pub(crate) fn period_ms(&self) -> u32 {
        self.period_ms.load(Ordering::Relaxed)
    }

    /// Events fired so far.
    pub(crate) fn ticks(&self) -> u64 {
        self.ticks.load(Ordering::Relaxed)
    }

    /// Starts, re-times or (with 0) stops the event. Process context only.
    pub(crate) fn set_period(&self, ms: u32) {
        self.period_ms.store(ms, Ordering::Release);
        let t = self.timer.get();
        if ms == 0 {
            // SAFETY: The timer is initialised (type invariant); after this no callback
            // runs and none is pending, and `period_ms` = 0 keeps it from re-arming.
            unsafe { bindings::timer_delete_sync(t) };
        } else if !self.sock.load(Ordering::Acquire).is_null() {
            // SAFETY: As above; `mod_timer` (re)arms an initialised timer.
            unsafe { bindings::mod_timer(t, Self::deadline(ms)) };
        }
    }

    /// Stops the event for good and forgets the socket. Process context only.
    pub(crate) fn stop(&self) {
        self.period_ms.store(0, Ordering::Release);
        // SAFETY: The timer is initialised; `timer_shutdown_sync` waits for a running
        // callback and makes any later `mod_timer` a no-op.
        unsafe { bindings::timer_shutdown_sync(self.timer.get()) };
        self.sock.store(null_mut(), Ordering::Release);
    }

    fn deadline(ms: u32) -> usize {
        // SAFETY: `jiffies` is the kernel's tick counter, written by the timer interrupt;
        // a volatile read is how C reads it too.
        let now = unsafe { core::ptr::read_volatile(&raw const bindings::jiffies) };
        // SAFETY: Pure conversion.
        now.wrapping_add(unsafe { bindings::__msecs_to_jiffies(ms) })
    }

    /// The timer callback.
    ///
    /// # Safety
    ///
    /// Called by the timer core only, with the `timer_list` embedded in a `Periodic`.
    unsafe extern "C" fn fire(t: *mut bindings::timer_list) {
        // SAFETY: `t` is the `timer` field of a pinned `Periodic` (the only timers with
        // this callback), so stepping back by the field's offset stays in bounds. The field
        // is an `Opaque<timer_list>` (same layout, `repr(transparent)`), the type 7.x's
        // `container_of!` checks.
        let this = unsafe {
            kernel::container_of!(t.cast::<Opaque<bindings::timer_list>>(), Periodic, timer)
        };
        // SAFETY: That `Periodic` is alive until its drop shuts the timer down, which
        // waits for this callback to return.
        let this = unsafe { &*this };
        let sk = this.sock.load(Ordering::Acquire);
        let period = this.period_ms.load(Ordering::Acquire);
        // SAFETY: `sk` is null or live: `stop` clears it only after shutting the timer
        // down, which waits for this callback.
        let Some(sock) = (unsafe { SocketRef::from_raw(sk) }) else {
            return;
        };
        if period == 0 {
            return;
        }
        let n = this.ticks.fetch_add(1, Ordering::Relaxed) + 1;
        // `netlink_has_listeners` reads a bitmap shared by every namespace: a subscriber
        // elsewhere makes it true, and the broadcast then finds nobody here (`ESRCH`).
        // Only a delivery counts as sent, so nothing this namespace can read depends on
        // another namespace's subscribers.
        if sock.has_listeners(this.group) {
            let r = (this.build)(n).and_then(|skb| sock.broadcast(skb, this.group, Gfp::Atomic));
            let counter = match r {
                Ok(()) => Some(&this.sent),
                Err(e) if e == ESRCH => None,
                Err(_) => Some(&this.dropped),
            };
            if let Some(c) = counter {
                c.fetch_add(1, Ordering::Relaxed);
            }
        }
        // SAFETY: Re-arming our own initialised timer; a concurrent `stop` makes it a no-op.
        unsafe { bindings::mod_timer(t, Self::deadline(period)) };
    }
}

#[pinned_drop]
impl PinnedDrop for Periodic {
    fn drop(self: Pin<&mut Self>) {
        self.stop();
    }
}
