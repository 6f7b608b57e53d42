// SPDX-License-Identifier: GPL-2.0

//! Kernel netlink sockets: [`Registration`] creates one for a family number in a network
//! namespace and releases it on drop; [`SocketRef`] sends through it.

use super::input::{input_trampoline, Handler};
use super::skb::SkBuff;
use crate::compat::{ffi, local};
use core::ptr::NonNull;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::bindings;
use kernel::error::{code::EBUSY, Error, Result};
use kernel::sync::Arc;

/// A network namespace.
///
/// # Invariants
///
/// `self.0` points to a `struct net` that stays alive while the value exists.
#[derive(Clone, Copy)]
pub(crate) struct Net(NonNull<bindings::net>);

// SAFETY: A `struct net` may be referenced from any thread; the core synchronises it.
unsafe impl Send for Net {}
// SAFETY: As above.
unsafe impl Sync for Net {}

impl Net {
    /// The initial network namespace, which lives forever.
    /// # Safety
    ///
    /// `net` must be null or a namespace that outlives the returned value.
    pub(crate) unsafe fn from_raw(net: *mut bindings::net) -> Option<Self> {
        // INVARIANT: guaranteed by the caller.
        NonNull::new(net).map(Self)
    }

    /// Whether this is the initial namespace.
    pub(crate) fn is_init(&self) -> bool {
        core::ptr::eq(self.0.as_ptr(), Self::init().0.as_ptr())
    }

    pub(crate) fn init() -> Self {
        // Only the address of the kernel's static `init_net` is taken.
        let p = (&raw mut local::init_net).cast::<bindings::net>();
        // INVARIANT: `init_net` is never freed. `p` is the address of a static, non-null.
        Self(NonNull::new(p).unwrap_or(NonNull::dangling()))
    }
}

/// A kernel socket for one family in one namespace, with its handler state `T`.
///
/// # Invariants
///
/// `sk` is a kernel netlink socket created by `__netlink_kernel_create` and not yet
/// released; its `sk_user_data` is null or points to `*state`, which outlives the socket.
pub(crate) struct Registration<T: Handler> {
    sk: NonNull<bindings::sock>,
    state: Arc<T>,
}

// SAFETY: The socket pointer is only used for thread-safe netlink calls; `T` is
// `Send + Sync` (required by `Handler`).
unsafe impl<T: Handler> Send for Registration<T> {}
// SAFETY: As above: sending through the socket is thread-safe.
unsafe impl<T: Handler> Sync for Registration<T> {}

impl<T: Handler> Registration<T> {
    /// Creates the kernel socket for `unit` in `net` with `groups` multicast groups.
    /// Fails with `EBUSY` when the unit is taken (or memory is short: the C API does not
    /// say which).
    pub(crate) fn new(net: Net, unit: u32, groups: u32, flags: u32, state: Arc<T>) -> Result<Self> {
        let mut cfg = bindings::netlink_kernel_cfg {
            groups,
            flags,
            input: Some(input_trampoline::<T>),
            ..Default::default()
        };
        let unit = core::ffi::c_int::try_from(unit).map_err(|_| kernel::error::code::EINVAL)?;
        // SAFETY: `net` is alive (invariant of `Net`); `cfg` is valid for the call (the C
        // code copies what it keeps); the module pointer is our own `struct module`, which
        // the core uses to pin us while user sockets of the family exist.
        let sk = unsafe {
            bindings::__netlink_kernel_create(
                net.0.as_ptr(),
                unit,
                crate::compat::param::__this_module.get(),
                &mut cfg,
            )
        };
        let sk = NonNull::new(sk).ok_or(EBUSY)?;
        let data: *const T = &*state;
        // SAFETY: `sk` is a live socket we just created. The input callback may already
        // run on another CPU (it reads `sk_user_data` with acquire ordering and handles
        // null); publishing the pointer with release ordering makes `*state` visible first.
        unsafe { AtomicPtr::from_ptr(&raw mut (*sk.as_ptr().cast::<local::sock>()).sk_user_data) }
            .store(data.cast_mut().cast(), Ordering::Release);
        // INVARIANT: `sk` is live and `sk_user_data` points to `*state`, kept by `self`.
        let reg = Self { sk, state };
        reg.state.attached(reg.socket());
        Ok(reg)
    }

    /// The handler state.
    pub(crate) fn state(&self) -> &Arc<T> {
        &self.state
    }

    /// A handle for sending through this socket.
    pub(crate) fn socket(&self) -> SocketRef<'_> {
        SocketRef {
            sk: self.sk,
            _p: core::marker::PhantomData,
        }
    }
}

impl<T: Handler> Drop for Registration<T> {
    fn drop(&mut self) {
        // Event sources that send through the socket stop first.
        self.state.shutdown();
        // SAFETY: `sk` is live (type invariant) and released exactly once, here. After
        // release no input callback can start: for module unload, user sockets pin the
        // module so none exist; for a namespace, its user sockets are gone before its exit
        // runs. `state` is dropped only after this returns.
        unsafe { bindings::netlink_kernel_release(self.sk.as_ptr()) };
    }
}

/// A kernel socket to send through, borrowed from a [`Registration`] or an input callback.
///
/// # Invariants
///
/// `sk` is a live kernel netlink socket for the lifetime `'a`.
#[derive(Clone, Copy)]
pub(crate) struct SocketRef<'a> {
    sk: NonNull<bindings::sock>,
    _p: core::marker::PhantomData<&'a ()>,
}

impl<'a> SocketRef<'a> {
    /// # Safety
    ///
    /// `sk` must be a live kernel netlink socket for `'a`.
    pub(crate) unsafe fn from_raw(sk: *mut bindings::sock) -> Option<Self> {
        NonNull::new(sk).map(|sk| Self {
            sk,
            _p: core::marker::PhantomData,
        })
    }

    /// The raw socket, for C calls.
    pub(super) fn as_ptr(&self) -> *mut bindings::sock {
        self.sk.as_ptr()
    }

    /// The handler state stored by [`Registration::new`], if published yet.
    ///
    /// # Safety
    ///
    /// The socket must have been created by `Registration::<T>::new` with this `T`.
    pub(crate) unsafe fn state<T>(&self) -> Option<&'a T> {
        // SAFETY: `sk` is live (type invariant); the field is only written with release
        // ordering by `Registration::new`.
        let p = unsafe {
            AtomicPtr::from_ptr(&raw mut (*self.sk.as_ptr().cast::<local::sock>()).sk_user_data)
        }
        .load(Ordering::Acquire);
        // SAFETY: By the caller's guarantee `p` is null or points to the `T` the
        // registration keeps alive for as long as the socket (and so for `'a`).
        unsafe { p.cast::<T>().cast_const().as_ref() }
    }

    /// Sends `skb` to the socket with port id `portid`. Never blocks: a full receiver
    /// gives `EAGAIN`, a closed one `ECONNREFUSED`.
    pub(crate) fn unicast(&self, skb: SkBuff, portid: u32) -> Result {
        // SAFETY: `sk` is live (type invariant); `netlink_unicast` consumes the skb in
        // every case, and we hand over ownership.
        let r = unsafe {
            bindings::netlink_unicast(self.sk.as_ptr(), skb.into_raw(), portid, ffi::MSG_DONTWAIT)
        };
        if r < 0 {
            Err(Error::from_errno(r))
        } else {
            Ok(())
        }
    }

    /// Like [`SocketRef::broadcast`], from atomic context.
    pub(crate) fn broadcast_atomic(&self, skb: SkBuff, group: u32) -> Result {
        self.broadcast_gfp(skb, group, bindings::GFP_ATOMIC)
    }

    /// Whether any socket subscribes to `group` (1-based).
    pub(crate) fn has_listeners(&self, group: u32) -> bool {
        // SAFETY: `sk` is live (type invariant).
        unsafe { bindings::netlink_has_listeners(self.sk.as_ptr(), group) != 0 }
    }

    /// Multicasts `skb` to `group` (1-based). `ESRCH` means nobody listened; `ENOBUFS`
    /// that delivery failed for a subscriber that set `NETLINK_BROADCAST_ERROR` (others
    /// still got it).
    pub(crate) fn broadcast(&self, skb: SkBuff, group: u32) -> Result {
        self.broadcast_gfp(skb, group, bindings::GFP_KERNEL)
    }

    fn broadcast_gfp(&self, skb: SkBuff, group: u32, gfp: bindings::gfp_t) -> Result {
        // SAFETY: `sk` is live (type invariant); `netlink_broadcast` consumes the skb in
        // every case, and we hand over ownership.
        let r =
            unsafe { bindings::netlink_broadcast(self.sk.as_ptr(), skb.into_raw(), 0, group, gfp) };
        if r < 0 {
            Err(Error::from_errno(r))
        } else {
            Ok(())
        }
    }
}
