// SPDX-License-Identifier: GPL-2.0

//! Per-network-namespace state through pernet operations: every namespace, existing or
//! created later, gets its own [`PerNet::State`] (built by [`PerNet::init`]); it is dropped
//! when the namespace exits or the registration is dropped (module unload), whichever
//! comes first. Each namespace also gets a [`Sockets`] list for its kernel sockets, lent to
//! `init` and owned here: it is dropped after the state, so every socket is released when
//! the namespace exits, whatever the state did with its borrow.
//!
//! # Registration never unwinds a visible socket
//!
//! A kernel socket is visible to user space from its creation: `socket()` on its protocol
//! succeeds, and a user socket can send to it. The core cannot take that back safely — a
//! `sendmsg` that found the kernel socket before its release still runs its input
//! callback afterwards (`netlink_unicast_kernel` does not check), over a state that is
//! gone. In a namespace being created (or exiting) no user socket can exist, so those
//! paths may release sockets freely. Registering the operations is different: it sets up
//! every existing namespace, user sockets included, and when one namespace's setup fails
//! the core unwinds all the others. So, while registering, a namespace's setup fails the
//! registration only while no kernel socket exists yet; after that, a namespace whose
//! setup fails keeps the sockets it created and registration goes on (the failure is
//! logged). The namespace's slot lives in a map of our own rather than the core's
//! `net_generic` array, whose allocation in the core can fail in a later namespace after
//! ours succeeded, where it would unwind them.

use super::core_internals as local;
use super::handler::Handler;
use super::net::Net;
use super::registration::Sockets;
use core::ffi::c_int;
use core::marker::PhantomData;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use kernel::error::{code::EBUSY, to_result, Result};
use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNodeReservation};
use kernel::sync::Mutex;

/// A namespace's [`Slot`] with its type erased, so that one map type serves every
/// [`PerNet`] type.
struct ErasedSlot(NonNull<core::ffi::c_void>);

// SAFETY: The pointer is only used by the pernet callbacks, which may run on any CPU,
// and the slot it names may be dropped on any of them: its state is `Send + Sync`, and
// its sockets are kernel objects any CPU may release (the namespace in `Sockets` is only
// an address, used while the namespace's own pernet callbacks run).
unsafe impl Send for ErasedSlot {}

/// Every namespace's slot of one registration, by the address of the namespace.
type SlotMap = Mutex<RBTree<usize, ErasedSlot>>;

/// What the pernet callbacks of one [`PerNet`] type find through their `static`: the
/// callbacks receive only the namespace. A registration claims its id: a second
/// registration with the same id (two types sharing a `static`, or one type registered
/// twice) fails with `EBUSY` instead of reading the other's slots as the wrong type.
pub(crate) struct PernetId {
    /// The registration's map, published before the operations are registered and
    /// withdrawn after they are unregistered.
    slots: AtomicPtr<SlotMap>,
    /// The module whose code serves the kernel sockets, published with `slots`.
    module: AtomicPtr<ThisModule>,
    /// Set while the operations are being registered (see the module documentation).
    registering: AtomicBool,
    claimed: AtomicBool,
}

impl PernetId {
    pub(crate) const fn new() -> Self {
        Self {
            slots: AtomicPtr::new(core::ptr::null_mut()),
            module: AtomicPtr::new(core::ptr::null_mut()),
            registering: AtomicBool::new(false),
            claimed: AtomicBool::new(false),
        }
    }
}

/// State kept per network namespace, implemented by a marker type that names the state.
pub(crate) trait PerNet {
    /// The handler of the namespace's kernel sockets.
    type Handler: Handler;

    /// The state of one namespace, which may borrow the namespace for `'net`.
    type State<'net>: Send + Sync;

    /// The id of this type's registration: a `static` of its own.
    fn id() -> &'static PernetId;

    /// Builds the state of `net`, creating its kernel sockets in `sockets`; an error fails
    /// the namespace's creation, and the sockets created so far are released. (While the
    /// operations are being registered, an error after any kernel socket exists keeps
    /// them instead: see the module documentation.)
    fn init<'net>(
        net: Net<'net>,
        sockets: &mut Sockets<'net, Self::Handler>,
    ) -> Result<Self::State<'net>>;
}

/// What this layer keeps for one namespace. Fields drop in declaration order: the state
/// first, then the sockets. The state is `None` in a namespace whose setup failed during
/// registration after kernel sockets became visible.
struct Slot<'net, T: PerNet> {
    _state: Option<T::State<'net>>,
    _sockets: Sockets<'net, T::Handler>,
}

/// Registered pernet operations for `T`.
///
/// # Invariants
///
/// `ops` is registered with the core and stays at its heap address until `drop`
/// unregisters it; `T::id().slots` points to `*_slots` while it is registered.
pub(crate) struct PernetRegistration<T: PerNet> {
    ops: KBox<local::pernet_operations>,
    _slots: Pin<KBox<SlotMap>>,
    _p: PhantomData<T>,
}

// SAFETY: The operations table is only read by the core after registration; the states
// are `Send + Sync`, the map is behind a mutex, and `T` itself is only a name.
unsafe impl<T: PerNet> Send for PernetRegistration<T> {}
// SAFETY: As above; we never touch `ops` through a shared reference.
unsafe impl<T: PerNet> Sync for PernetRegistration<T> {}

impl<T: PerNet> PernetRegistration<T> {
    /// Registers the operations: `T::init` runs now for every existing namespace. Fails
    /// only before any kernel socket exists (see the module documentation). `module` (the
    /// argument of `Module::init`) serves the kernel sockets `T::init` creates.
    pub(crate) fn new(module: &'static ThisModule) -> Result<Self> {
        let id = T::id();
        if id
            .claimed
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(EBUSY);
        }
        let release_claim = || id.claimed.store(false, Ordering::Release);
        let slots = KBox::pin_init(kernel::new_mutex!(RBTree::new()), GFP_KERNEL)
            .inspect_err(|_| release_claim())?;
        // No `id`/`size`: the core allocates nothing per namespace for us (see the module
        // documentation), and our callbacks alone decide whether a namespace's setup fails.
        let ops = local::pernet_operations {
            init: Some(init_trampoline::<T>),
            exit: Some(exit_trampoline::<T>),
            ..Default::default()
        };
        let mut ops = KBox::new(ops, GFP_KERNEL).inspect_err(|_| release_claim())?;
        id.module
            .store(core::ptr::from_ref(module).cast_mut(), Ordering::Relaxed);
        id.slots
            .store(core::ptr::from_ref(&*slots).cast_mut(), Ordering::Release);
        id.registering.store(true, Ordering::Release);
        // SAFETY: `ops` is a valid table at a stable heap address, kept until `drop`
        // unregisters it; the callbacks find the map through `id`, published above.
        let r = to_result(unsafe { local::register_pernet_subsys(&mut *ops) });
        id.registering.store(false, Ordering::Release);
        if let Err(e) = r {
            // The core unwound every namespace set up, each slot removed by `exit`.
            id.slots.store(core::ptr::null_mut(), Ordering::Release);
            release_claim();
            return Err(e);
        }
        // INVARIANT: registered above with the map published; the boxes are moved, their
        // heap addresses are not.
        Ok(Self {
            ops,
            _slots: slots,
            _p: PhantomData,
        })
    }
}

impl<T: PerNet> Drop for PernetRegistration<T> {
    fn drop(&mut self) {
        // SAFETY: `ops` is registered (type invariant). The core runs `exit` for every
        // namespace, dropping every slot, before this returns.
        unsafe { local::unregister_pernet_subsys(&mut *self.ops) };
        let id = T::id();
        id.slots.store(core::ptr::null_mut(), Ordering::Release);
        id.claimed.store(false, Ordering::Release);
        // `self._slots`, empty now, is freed after this.
    }
}

/// The map of `T`'s registration, and the module serving its sockets.
///
/// # Safety
///
/// Only from `T`'s pernet callbacks, which run between registration and unregistration,
/// while the map is published and alive.
unsafe fn registered<'a, T: PerNet>() -> Option<(&'a SlotMap, &'static ThisModule)> {
    let id = T::id();
    let p = id.slots.load(Ordering::Acquire);
    // SAFETY: Published by `PernetRegistration::new` before the operations were
    // registered, withdrawn only after they are unregistered, and alive meanwhile (owned
    // by the registration): the callbacks run within that span (our precondition).
    let map = unsafe { p.as_ref() }?;
    // SAFETY: Stored before `slots` was published (the acquire load above sees it), from
    // a `&'static ThisModule`.
    let module = unsafe { id.module.load(Ordering::Relaxed).as_ref() }?;
    Some((map, module))
}

/// The pernet `init` callback.
///
/// # Safety
///
/// Called by the namespace core only, with a namespace being set up.
unsafe extern "C" fn init_trampoline<T: PerNet>(net: *mut local::net) -> c_int {
    // SAFETY: Called by the core for `T`'s registered operations.
    let Some((map, module)) = (unsafe { registered::<T>() }) else {
        return EINVAL.to_errno();
    };
    let id = T::id();
    let registering = id.registering.load(Ordering::Acquire);
    // While registering, once a kernel socket may be visible (`kept` here, or a namespace
    // set up before: the map, created with the registration, holds its slot), a failure
    // leaves this namespace without the family instead of failing the registration.
    let goes_on = |e: Error, kept: usize| {
        let on = registering && (kept > 0 || map.lock().iter().next().is_some());
        if on {
            pr_err!(
                "setting up a network namespace failed ({:?}) after the family became \
                 visible: registration goes on, and this namespace keeps the {} kernel \
                 sockets created\n",
                e,
                kept
            );
        }
        on
    };
    // Storage first, so that nothing but `T::init` can fail once a socket exists.
    let node = RBTreeNodeReservation::<usize, ErasedSlot>::new(GFP_KERNEL);
    let slot = KBox::<Slot<'_, T>>::new_uninit(GFP_KERNEL).map_err(Error::from);
    let (node, slot) = match (node, slot) {
        (Ok(node), Ok(slot)) => (node, slot),
        (Err(e), _) | (_, Err(e)) => return if goes_on(e, 0) { 0 } else { e.to_errno() },
    };
    // SAFETY: The core passes a live namespace being set up, alive until our `exit` for
    // it has run, which drops the slot (and everything in it that borrows the namespace).
    let Some(n) = (unsafe { Net::from_raw(net.cast()) }) else {
        return EINVAL.to_errno();
    };
    // SAFETY: The list goes into the namespace's slot, dropped by our `exit` while the
    // namespace is alive, or is dropped right here when `init` fails.
    let mut sockets = unsafe { Sockets::new(n, module) };
    let state = match T::init(n, &mut sockets) {
        Ok(state) => Some(state),
        Err(e) if goes_on(e, sockets.len()) => {
            if sockets.len() == 0 {
                return 0;
            }
            None
        }
        Err(e) => return e.to_errno(),
    };
    let slot = KBox::write(
        slot,
        Slot::<T> {
            _state: state,
            _sockets: sockets,
        },
    );
    let erased = ErasedSlot(NonNull::from(KBox::leak(slot)).cast());
    // A namespace is set up once, and its address is unique while it lives: nothing is
    // replaced.
    let _ = map.lock().insert(node.into_node(net as usize, erased));
    0
}

/// The pernet `exit` callback.
///
/// # Safety
///
/// Called by the namespace core only, once per namespace whose `init` succeeded.
unsafe extern "C" fn exit_trampoline<T: PerNet>(net: *mut local::net) {
    // SAFETY: Called by the core for `T`'s registered operations.
    let Some((map, _)) = (unsafe { registered::<T>() }) else {
        return;
    };
    // A namespace left without the family during registration has no slot.
    let Some(p) = map.lock().remove(&(net as usize)) else {
        return;
    };
    // SAFETY: `p` came from leaking a `KBox<Slot<T>>` in `init_trampoline` for this
    // namespace and leaves the map once, here, while `net` is still alive (its `exit` is
    // running). The namespace lifetime the slot was built with is gone from the pointer;
    // any lifetime names the same type and layout, and nothing but this drop uses it.
    drop(unsafe { KBox::<Slot<'_, T>>::from_raw(p.0.as_ptr().cast()) });
}
