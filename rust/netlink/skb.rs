// SPDX-License-Identifier: GPL-2.0

//! Socket buffers: [`SkBuff`], an skb we allocated and own until it is sent, and
//! [`InSkb`], a borrowed view of the skb the netlink core hands to our input callback.

use super::core_internals as local;
use crate::compat::ffi;
use crate::proto::attr::{NoSpace, Sink, Writer};
use core::ptr::NonNull;
use core::sync::atomic::{AtomicUsize, Ordering};
use kernel::bindings;
use kernel::error::{code::ENOMEM, Result};

/// How a call that allocates may wait for memory: the `gfp_t` it passes to the kernel.
/// (The `kernel` crate's `alloc::Flags` would do, but both 6.12 and 7.3 keep its raw
/// value private to the `kernel` crate.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Gfp {
    /// Process context, which may sleep (`GFP_KERNEL`): input callbacks and dumps run in
    /// the sender's context.
    Kernel,
    /// Atomic context, which must not (`GFP_ATOMIC`): timers, softirqs.
    Atomic,
}

impl Gfp {
    /// The kernel's `gfp_t` for it.
    pub(crate) fn raw(self) -> bindings::gfp_t {
        match self {
            Gfp::Kernel => bindings::GFP_KERNEL,
            Gfp::Atomic => bindings::GFP_ATOMIC,
        }
    }
}

/// An skb we allocated. Freed on drop unless consumed by a send.
///
/// # Invariants
///
/// `self.0` points to a valid, linear `sk_buff` that nothing else references.
pub(crate) struct SkBuff(NonNull<bindings::sk_buff>);

// SAFETY: An unshared skb may be used and freed from any thread.
unsafe impl Send for SkBuff {}

impl SkBuff {
    /// Allocates an skb with room for at least `size` bytes of messages, waiting as `gfp`
    /// allows.
    pub(crate) fn alloc(size: usize, gfp: Gfp) -> Result<Self> {
        let size = u32::try_from(size).map_err(|_| ENOMEM)?;
        // SAFETY: A plain allocation; `gfp` is one of the kernel's own flag sets.
        let skb = unsafe { bindings::__alloc_skb(size, gfp.raw(), 0, ffi::NUMA_NO_NODE) };
        // INVARIANT: a fresh skb from `__alloc_skb` is linear and unshared.
        NonNull::new(skb).map(Self).ok_or(ENOMEM)
    }

    /// Appends up to `max` bytes written by `f` (see [`SkBuffMut::append`]).
    pub(crate) fn append<R>(
        &mut self,
        max: usize,
        f: impl FnOnce(&mut SkbWriter<'_>) -> Result<R, NoSpace>,
    ) -> Result<R, NoSpace> {
        // SAFETY: We own the skb (type invariant); the view lives only for this call.
        unsafe { SkBuffMut::from_raw(self.0) }.append(max, f)
    }

    /// Bytes that can still be appended.
    pub(crate) fn tailroom(&self) -> usize {
        let skb = self.0.as_ptr();
        // SAFETY: We own the skb (type invariant); `tail <= end` are offsets on 64-bit.
        unsafe { ((*skb).end - (*skb).tail) as usize }
    }

    /// Gives up ownership, for a C function that consumes the skb.
    pub(crate) fn into_raw(self) -> *mut bindings::sk_buff {
        let p = self.0.as_ptr();
        core::mem::forget(self);
        p
    }
}

impl Drop for SkBuff {
    fn drop(&mut self) {
        // SAFETY: We own the skb (type invariant) and nothing uses it after this.
        unsafe {
            bindings::sk_skb_reason_drop(
                core::ptr::null_mut(),
                self.0.as_ptr(),
                bindings::skb_drop_reason_SKB_DROP_REASON_NOT_SPECIFIED,
            )
        };
    }
}

/// Write access to an skb someone else owns, e.g. the skb the core hands to a dump
/// callback to fill.
///
/// # Invariants
///
/// `skb` is a valid, linear skb that only this view writes to while it exists.
pub(crate) struct SkBuffMut<'a> {
    skb: NonNull<bindings::sk_buff>,
    _p: core::marker::PhantomData<&'a mut bindings::sk_buff>,
}

impl SkBuffMut<'_> {
    /// A write view of `skb`.
    ///
    /// # Safety
    ///
    /// `skb` must be a valid, linear skb that nothing else reads or writes while the view
    /// exists.
    pub(crate) unsafe fn from_raw(skb: NonNull<bindings::sk_buff>) -> Self {
        // INVARIANT: guaranteed by the caller.
        Self {
            skb,
            _p: core::marker::PhantomData,
        }
    }

    /// Appends up to `max` bytes written by `f` through a [`Writer`] over the skb's
    /// tailroom. Nothing is appended when `f` fails.
    pub(crate) fn append<R>(
        &mut self,
        max: usize,
        f: impl FnOnce(&mut SkbWriter<'_>) -> Result<R, NoSpace>,
    ) -> Result<R, NoSpace> {
        let skb = self.skb.as_ptr();
        // SAFETY: `skb` is valid (type invariant); `tail` and `end` are offsets from `head`
        // on 64-bit (`NET_SKBUFF_DATA_USES_OFFSET`) with `tail <= end`.
        let (tail, room) = unsafe {
            (
                (*skb).head.add((*skb).tail as usize),
                ((*skb).end - (*skb).tail) as usize,
            )
        };
        let n = room.min(max);
        let Some(start) = NonNull::new(tail) else {
            return Err(NoSpace);
        };
        // SAFETY: `start..start + n` is the skb's tailroom, which only this view writes,
        // and the sink lives only for this call.
        let mut sink = unsafe { Tailroom::new(start, n) };
        let mut w = Writer::over(&mut sink);
        let r = f(&mut w)?;
        // Every byte below the writer's length has been written (`Sink`'s contract):
        // nothing uninitialised is sent.
        let used = w.len() as core::ffi::c_uint;
        // SAFETY: `used <= n <= tailroom`, so `skb_put` cannot overrun (it would BUG).
        unsafe { bindings::skb_put(skb, used) };
        Ok(r)
    }
}

/// A writer of messages into an skb (see [`SkBuff::append`]).
pub(crate) type SkbWriter<'a> = Writer<'a, Tailroom>;

/// An skb's tailroom as the [`Writer`]'s storage. The allocator leaves it uninitialised,
/// so it is written through raw pointers and never lent out as a slice (zeroing it first
/// would be one more pass over every payload).
///
/// # Invariants
///
/// `start..start + len` is tailroom of a valid skb that nothing else reads or writes
/// while this value exists.
pub(crate) struct Tailroom {
    start: NonNull<u8>,
    len: usize,
}

impl Tailroom {
    /// # Safety
    ///
    /// `start..start + len` must be an skb's tailroom that nothing else reads or writes
    /// while the value exists.
    unsafe fn new(start: NonNull<u8>, len: usize) -> Self {
        // INVARIANT: guaranteed by the caller.
        Self { start, len }
    }

    fn fits(&self, at: usize, n: usize) -> bool {
        at.checked_add(n).is_some_and(|end| end <= self.len)
    }
}

impl Sink for Tailroom {
    fn capacity(&self) -> usize {
        self.len
    }

    #[inline]
    fn copy_at(&mut self, at: usize, bytes: &[u8]) {
        if self.fits(at, bytes.len()) {
            // SAFETY: The range is within the tailroom (checked), which only we write
            // (type invariant); `bytes` cannot overlap it, as no reference to the
            // tailroom is ever made.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    bytes.as_ptr(),
                    self.start.as_ptr().add(at),
                    bytes.len(),
                )
            };
        }
    }

    #[inline]
    fn zero_at(&mut self, at: usize, n: usize) {
        if self.fits(at, n) {
            // SAFETY: As in `copy_at`.
            unsafe { core::ptr::write_bytes(self.start.as_ptr().add(at), 0, n) };
        }
    }
}

/// How a socket wants its ACKs (`setsockopt(SOL_NETLINK, ...)`).
#[derive(Clone, Copy, Default)]
pub(crate) struct AckOptions {
    /// `NETLINK_CAP_ACK`: errors do not echo the request's payload.
    pub(crate) cap: bool,
    /// `NETLINK_EXT_ACK`: extended ACK attributes (message, offset, missing type).
    pub(crate) ext: bool,
}

/// `NETLINK_CB(skb)` must fit the skb's control buffer.
const _: () = assert!(
    core::mem::size_of::<bindings::netlink_skb_parms>()
        <= core::mem::size_of::<[core::ffi::c_char; 48]>()
);

/// The skb given to an input callback, borrowed for the duration of the callback.
///
/// # Invariants
///
/// `skb` is a valid netlink skb from a user socket, owned by the netlink core, alive and
/// unmodified by others while this value exists; its `sk` is our kernel socket.
pub(crate) struct InSkb {
    skb: NonNull<bindings::sk_buff>,
}

impl InSkb {
    /// The skb an input callback was given.
    ///
    /// # Safety
    ///
    /// `skb` must be the argument of a netlink input callback, and the returned value must
    /// not outlive that callback.
    pub(crate) unsafe fn from_raw(skb: *mut bindings::sk_buff) -> Option<Self> {
        // INVARIANT: guaranteed by the caller.
        NonNull::new(skb).map(|skb| Self { skb })
    }

    pub(crate) fn as_ptr(&self) -> *mut bindings::sk_buff {
        self.skb.as_ptr()
    }

    /// The kernel socket the message was sent to.
    pub(crate) fn sk(&self) -> *mut bindings::sock {
        // SAFETY: `skb` is valid (type invariant).
        unsafe { (*self.skb.as_ptr()).sk }
    }

    /// The linear data: one datagram as the user sent it.
    pub(crate) fn data(&self) -> &[u8] {
        let skb = self.skb.as_ptr();
        // SAFETY: netlink skbs from `netlink_sendmsg` are linear, so the head holds
        // `len - data_len` (= `len`) bytes at `data`, alive while we borrow the skb.
        unsafe {
            let headlen = (*skb).len.saturating_sub((*skb).data_len) as usize;
            core::slice::from_raw_parts((*skb).data, headlen)
        }
    }

    /// `NETLINK_CB(skb)`: the sender's credentials and port id.
    fn cb(&self) -> &bindings::netlink_skb_parms {
        // SAFETY: The netlink core stores `struct netlink_skb_parms` in `skb->cb` for every
        // netlink skb (checked to fit above); `cb` is suitably aligned (it follows a
        // pointer-aligned field and the C code accesses it the same way).
        unsafe {
            &*(*self.skb.as_ptr())
                .cb
                .as_ptr()
                .cast::<bindings::netlink_skb_parms>()
        }
    }

    /// The sender's port id: where answers go. Never the header's `nlmsg_pid`, which the
    /// sender may set to anything.
    pub(crate) fn portid(&self) -> u32 {
        self.cb().portid
    }

    /// The sending socket's `NETLINK_CAP_ACK` and `NETLINK_EXT_ACK` options, which shape
    /// its ACKs (what the core's `netlink_ack` reads).
    pub(crate) fn sender_ack_options(&self) -> AckOptions {
        let sk = self.cb().sk.cast::<super::core_internals::netlink_sock>();
        if sk.is_null() {
            return AckOptions::default();
        }
        // SAFETY: `NETLINK_CB(skb).sk` is the sending user socket, a `struct netlink_sock`
        // (whose first member is its `struct sock`), held by `netlink_sendmsg` while our
        // input callback runs. `flags` is an atomic bit field (`test_bit`/`set_bit`), so
        // it is read atomically.
        let flags =
            unsafe { AtomicUsize::from_ptr((&raw mut (*sk).flags).cast()) }.load(Ordering::Relaxed);
        let bit = |n: u32| flags & (1usize << n) != 0;
        AckOptions {
            cap: bit(super::core_internals::NETLINK_F_CAP_ACK),
            ext: bit(super::core_internals::NETLINK_F_EXT_ACK),
        }
    }

    /// The sender's uid as seen from the user namespace that owns the receiving socket's
    /// network namespace: what `id -u` says in that namespace (the overflow uid, 65534,
    /// when the sender's uid has no mapping there).
    pub(crate) fn uid(&self) -> u32 {
        let kuid = local::kuid_t {
            val: self.cb().creds.uid.val,
        };
        // SAFETY: `skb->sk` is the kernel socket receiving this skb, alive while the skb
        // is ours (type invariant); a socket's namespace outlives the socket, and the user
        // namespace owning a network namespace outlives the network namespace.
        let owner = unsafe { (*local::sock_net(self.sk())).user_ns };
        // SAFETY: `owner` is a live user namespace (above); the call only reads it.
        unsafe { local::from_kuid_munged(owner, kuid) }
    }

    /// Tells the sender that an answer to it was lost for want of memory, as the core's
    /// `netlink_ack` does: `ENOBUFS` becomes the sending socket's pending error (its next
    /// `recvmsg` fails with it) and waiters are woken, so a client waiting for the answer
    /// does not wait forever.
    pub(crate) fn report_lost_answer(&self) {
        let sk = self.cb().sk.cast::<local::sock>();
        if sk.is_null() {
            return;
        }
        // SAFETY: `NETLINK_CB(skb).sk` is the sending socket, alive while its `sendmsg`
        // runs, which is where the input callback (and so this) runs. `sk_err` is an
        // `int` written with `WRITE_ONCE` semantics (a volatile store), as the core does.
        unsafe { core::ptr::write_volatile(&raw mut (*sk).sk_err, bindings::ENOBUFS as i32) };
        // SAFETY: As above: the socket is alive.
        unsafe { local::sk_error_report(sk) };
    }

    /// Whether the sender has `cap` in the user namespace that owns the family's netns.
    pub(crate) fn net_capable(&self, cap: u32) -> bool {
        // SAFETY: `skb` is a valid netlink skb (type invariant).
        unsafe { bindings::netlink_net_capable(self.skb.as_ptr(), cap as core::ffi::c_int) }
    }
}
