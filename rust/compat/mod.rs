// SPDX-License-Identifier: GPL-2.0

//! Everything specific to the kernel version nlfam is built against: 6.12 LTS (the
//! project's own kernels) or 7.x (distribution kernels, e.g. Debian 13's 7.3). Kbuild sets
//! `--cfg nlfam_ge_7_0` from the tree's version; the code above this
//! directory is the same for every target.
//!
//! - `bytes`: an owned byte buffer smaller than `KVec<u8>` (neither kernel has boxed
//!   slices);
//! - `ffi`: C constants that are macros;
//! - `gfp`: allocation flags the `kernel` crate has no name for;
//! - `param`: module parameters, the same shim on every target: 6.12's `module!` has
//!   none, 7.x's has no arrays and hides its scalars from sysfs (permission 0).

pub(crate) mod bytes;
pub(crate) mod ffi;
pub(crate) mod gfp;
#[macro_use]
pub(crate) mod param;

/// The `module!` invocation, in the spelling of the target's macro, with the module's
/// scalar parameters, read as `crate::param_values::NAME.value()`. 6.12 spells the author
/// `author:`, 7.x `authors: [..]`. The parameters are the `module_param!` shim on both:
/// 6.12's `module!` has no `params:`, and 7.x's registers them with permission 0 (absent
/// from `/sys/module/nlfam/parameters`), where the shim's are 0444 like C's. The shim's
/// module is not called `module_parameters`: 7.x's `module!` always defines that one.
macro_rules! nlfam_module {
    (type: $t:ident, name: $n:tt, author: $a:tt, description: $d:tt, license: $l:tt,
     alias: [$($al:tt),* $(,)?],
     params: { $($p:ident: $pt:ident { default: $pd:expr, description: $pdesc:tt $(,)? }),* $(,)? }
     $(,)?) => {
        nlfam_module!(@module $t, $n, $a, $d, $l, [$($al),*]);
        mod param_values {
            $( module_param!(@scalar $p: $pt = $pd, $pdesc); )*
        }
    };
    (@module $t:ident, $n:tt, $a:tt, $d:tt, $l:tt, [$($al:tt),*]) => {
        #[cfg(not(nlfam_ge_7_0))]
        kernel::prelude::module! {
            type: $t,
            name: $n,
            author: $a,
            description: $d,
            license: $l,
            alias: [$($al),*],
        }
        #[cfg(nlfam_ge_7_0)]
        kernel::prelude::module! {
            type: $t,
            name: $n,
            authors: [$a],
            description: $d,
            license: $l,
            alias: [$($al),*],
        }
    };
}

/// `timer_init_key()`: 6.12 still calls it `init_timer_key()`.
#[cfg(not(nlfam_ge_7_0))]
pub(crate) use kernel::bindings::init_timer_key as timer_init_key;
#[cfg(nlfam_ge_7_0)]
pub(crate) use kernel::bindings::timer_init_key;

/// A red-black tree cursor that can move. 6.12 has one cursor type (`Cursor`, from
/// `&mut RBTree`); 7.x splits it into a read-only `Cursor`, which cannot move, and
/// `CursorMut`, which can. Both have `current`, `peek_prev` and `move_next`.
pub(crate) mod rbtree {
    use kernel::rbtree::RBTree;

    #[cfg(not(nlfam_ge_7_0))]
    pub(crate) use kernel::rbtree::Cursor as MovingCursor;
    #[cfg(nlfam_ge_7_0)]
    pub(crate) use kernel::rbtree::CursorMut as MovingCursor;

    /// A cursor on the first (smallest) key.
    pub(crate) fn cursor_front<K, V>(t: &mut RBTree<K, V>) -> Option<MovingCursor<'_, K, V>> {
        #[cfg(not(nlfam_ge_7_0))]
        return t.cursor_front();
        #[cfg(nlfam_ge_7_0)]
        return t.cursor_front_mut();
    }

    /// A cursor on `key`, or on the first larger key.
    pub(crate) fn cursor_lower_bound<'a, K: Ord, V>(
        t: &'a mut RBTree<K, V>,
        key: &K,
    ) -> Option<MovingCursor<'a, K, V>> {
        #[cfg(not(nlfam_ge_7_0))]
        return t.cursor_lower_bound(key);
        #[cfg(nlfam_ge_7_0)]
        return t.cursor_lower_bound_mut(key);
    }
}

/// `ForeignOwnable::into_foreign` as the `*mut` C fields want (`netlink_callback::data`):
/// 6.12 returns `*const c_void`, 7.x `*mut c_void`.
pub(crate) fn into_foreign_mut<T: kernel::types::ForeignOwnable>(
    owned: T,
) -> *mut core::ffi::c_void {
    #[cfg(not(nlfam_ge_7_0))]
    return owned.into_foreign().cast_mut();
    #[cfg(nlfam_ge_7_0)]
    return owned.into_foreign().cast();
}
