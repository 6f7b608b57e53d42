// SPDX-License-Identifier: GPL-2.0

//! Kernel netlink sockets: [`Registration`] creates one for a family number in a network
//! namespace and releases it on drop; [`SocketRef`] sends through it.

use super::input::{input_trampoline, Handler};
use super::skb::SkBuff;
use crate::compat::{ffi, local};
use core::marker::PhantomData;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::bindings;
use kernel::error::{
    code::{EBUSY, ENOMEM},
    to_result, Result,
};
use kernel::sync::{Arc, ArcBorrow};

/// A network namespace, borrowed for `'a`.
///
/// # Invariants
///
/// `self.0` points to a `struct net` that stays alive for `'a`.
#[derive(Clone, Copy)]
pub(crate) struct Net<'a>(NonNull<bindings::net>, PhantomData<&'a bindings::net>);

impl<'a> Net<'a> {
    /// # Safety
    ///
    /// `net` must be null or a namespace that stays alive for `'a`.
    pub(crate) unsafe fn from_raw(net: *mut bindings::net) -> Option<Self> {
        // INVARIANT: guaranteed by the caller.
        NonNull::new(net).map(|n| Self(n, PhantomData))
    }

    /// Whether the initial user namespace owns this namespace. Any user can create a
    /// network namespace owned by a user namespace of their own (`unshare -Urn`) and
    /// holds `CAP_NET_ADMIN` over it.
    pub(crate) fn owned_by_initial_user_ns(&self) -> bool {
        // SAFETY: `self.0` is alive (type invariant); `user_ns` is set when the namespace
        // is created and never changes.
        let owner = unsafe { (*self.0.as_ptr().cast::<local::net>()).user_ns };
        core::ptr::eq(owner.cast_const(), &raw const local::init_user_ns)
    }

    /// Whether this is the initial namespace.
    pub(crate) fn is_init(&self) -> bool {
        core::ptr::eq(
            self.0.as_ptr().cast_const(),
            (&raw const local::init_net).cast::<bindings::net>(),
        )
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
    /// Fails with `EBUSY` when the unit is taken, `ENOMEM` otherwise (the C API returns
    /// NULL for both; a unit registered before the call tells them apart).
    pub(crate) fn new(
        net: Net<'_>,
        unit: u32,
        groups: u32,
        flags: u32,
        state: Arc<T>,
    ) -> Result<Self> {
        let mut cfg = bindings::netlink_kernel_cfg {
            groups,
            flags,
            input: Some(input_trampoline::<T>),
            ..Default::default()
        };
        let taken_before = net.is_init() && super::table::unit_registered(unit as usize);
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
        let sk = NonNull::new(sk).ok_or(if taken_before { EBUSY } else { ENOMEM })?;
        let data: *const T = &*state;
        // What C's `rcu_assign_sk_user_data()` does (a macro, not callable from Rust): a
        // release store, so a reader that sees the pointer also sees `*state`.
        // SAFETY: `sk` is a live socket we just created, and `sk_user_data` is a
        // pointer-sized, aligned field. The input callback may already run on another CPU:
        // it reads the field with an acquire load and handles null.
        unsafe { AtomicPtr::from_ptr(&raw mut (*sk.as_ptr().cast::<local::sock>()).sk_user_data) }
            .store(data.cast_mut().cast(), Ordering::Release);
        // INVARIANT: `sk` is live and `sk_user_data` points to `*state`, kept by `self`.
        let reg = Self { sk, state };
        if let Some(p) = reg.state.periodic() {
            // SAFETY: `drop` stops the sender before it releases the socket, and `state`
            // (which owns the sender) outlives `reg`.
            unsafe { p.attach(reg.socket()) };
        }
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
        if let Some(p) = self.state.periodic() {
            p.stop();
        }
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
    pub(crate) unsafe fn state<T: Handler>(&self) -> Option<ArcBorrow<'a, T>> {
        // SAFETY: `sk` is live (type invariant); the field is only written with release
        // ordering by `Registration::new`.
        let p = unsafe {
            AtomicPtr::from_ptr(&raw mut (*self.sk.as_ptr().cast::<local::sock>()).sk_user_data)
        }
        .load(Ordering::Acquire);
        let p = NonNull::new(p.cast::<T>())?;
        // SAFETY: By the caller's guarantee `p` points to the `T` inside the `Arc` the
        // registration holds for as long as the socket lives (and so for `'a`).
        Some(unsafe { ArcBorrow::from_raw(p.as_ptr()) })
    }

    /// Sends `skb` to the socket with port id `portid`. Never blocks: a full receiver
    /// gives `EAGAIN`, a closed one `ECONNREFUSED`.
    pub(crate) fn unicast(&self, skb: SkBuff, portid: u32) -> Result {
        // SAFETY: `sk` is live (type invariant); `netlink_unicast` consumes the skb in
        // every case, and we hand over ownership.
        to_result(unsafe {
            bindings::netlink_unicast(self.sk.as_ptr(), skb.into_raw(), portid, ffi::MSG_DONTWAIT)
        })
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
        to_result(unsafe {
            bindings::netlink_broadcast(self.sk.as_ptr(), skb.into_raw(), 0, group, gfp)
        })
    }
}
