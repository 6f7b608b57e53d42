// SPDX-License-Identifier: GPL-2.0

//! Allocation flags the `kernel` crate has no name for. Its `alloc::Flags` (6.12 and 7.3)
//! offers a fixed set of constants and no constructor from a raw `gfp_t`.

use kernel::alloc::Flags;
use kernel::bindings;

/// For what a request asks the module to keep (store nodes, keys, values): charged to
/// the requesting task's memory cgroup (`GFP_KERNEL_ACCOUNT`, as rtnetlink and nf_tables
/// charge what users create), and refused rather than fought for
/// (`__GFP_RETRY_MAYFAIL`): when the cgroup or the machine has no room left after
/// reclaim, the allocation fails and the request gets `ENOMEM`, where plain
/// `GFP_KERNEL_ACCOUNT` would invoke the (memory-cgroup) OOM killer to make room for a
/// value the requester could simply be refused. `__GFP_NOWARN`: the failure is the
/// requester's answer, not a kernel problem.
pub(crate) const GFP_KERNEL_ACCOUNT_MAYFAIL: Flags = from_raw(
    bindings::GFP_KERNEL_ACCOUNT | bindings::__GFP_NOWARN | 1 << bindings::___GFP_RETRY_MAYFAIL_BIT,
);

/// `Flags` from a `gfp_t`.
const fn from_raw(gfp: bindings::gfp_t) -> Flags {
    // SAFETY: `Flags` is a struct with a single field, the `gfp_t` mask it stands for
    // (`pub struct Flags(u32)` in 6.12's and 7.3's `rust/kernel/alloc.rs`, with no
    // invariant beyond it; `gfp_t` is `u32`, and `transmute` checks the sizes), so every
    // bit pattern is a valid `Flags`. That the value is the mask is checked below, on
    // the kernel crate's own constants. `gfp` is made of the kernel's gfp bits.
    unsafe { core::mem::transmute::<bindings::gfp_t, Flags>(gfp) }
}

/// The representation [`from_raw`] relies on: a `Flags` is its `gfp_t`, checked at build
/// time on two of the kernel crate's own constants.
const _: () = {
    use kernel::alloc::flags;
    assert!(to_raw(flags::GFP_KERNEL_ACCOUNT) == bindings::GFP_KERNEL_ACCOUNT);
    assert!(to_raw(flags::__GFP_NOWARN) == bindings::__GFP_NOWARN);
};

/// The `gfp_t` of `Flags`, for the check above.
const fn to_raw(f: Flags) -> bindings::gfp_t {
    // SAFETY: As in `from_raw`: the same size (checked by `transmute`), and every `u32`
    // is a valid `gfp_t`.
    unsafe { core::mem::transmute::<Flags, bindings::gfp_t>(f) }
}
