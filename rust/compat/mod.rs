// SPDX-License-Identifier: GPL-2.0

//! Everything specific to the kernel version nlfam is built against: 6.12 LTS (the
//! project's own kernels) or 7.x (distribution kernels, e.g. Debian 13's 7.3). Kbuild sets
//! `--cfg nlfam_ge_7_0` from the tree's version; the code above this
//! directory is the same for every target.
//!
//! - `ffi`: C constants that are macros;
//! - `local`: module-local bindings of what `kernel::bindings` lacks;
//! - `param`: module parameters. 6.12's `module!` has no `params:`: the shim declares the
//!   scalar ones there; 7.x's `module!` declares them itself. 7.x has no array parameters,
//!   so the `family` array keeps the shim on every target.

pub(crate) mod ffi;
pub(crate) mod local;
#[macro_use]
pub(crate) mod param;

/// The `module!` invocation, in the spelling of the target's macro, with the module's
/// scalar parameters. 7.x: its own `authors: [..]` and `params:` (read as
/// `crate::module_parameters::NAME.value()`). 6.12: one `author:`, and `params:` becomes
/// the `module_param!` shim, which gives the same `module_parameters::NAME.value()`.
#[cfg(not(nlfam_ge_7_0))]
macro_rules! nlfam_module {
    (type: $t:ident, name: $n:tt, author: $a:tt, description: $d:tt, license: $l:tt,
     alias: [$($al:tt),* $(,)?],
     params: { $($p:ident: $pt:ident { default: $pd:expr, description: $pdesc:tt $(,)? }),* $(,)? }
     $(,)?) => {
        kernel::prelude::module! {
            type: $t,
            name: $n,
            author: $a,
            description: $d,
            license: $l,
            alias: [$($al),*],
        }
        mod module_parameters {
            $( module_param!(@scalar $p: $pt = $pd, $pdesc); )*
        }
    };
}

/// The `module!` invocation, in the spelling of the target's macro, with the module's
/// scalar parameters (see the 6.12 variant above).
#[cfg(nlfam_ge_7_0)]
macro_rules! nlfam_module {
    (type: $t:ident, name: $n:tt, author: $a:tt, description: $d:tt, license: $l:tt,
     alias: [$($al:tt),* $(,)?],
     params: { $($p:ident: $pt:ident { default: $pd:expr, description: $pdesc:tt $(,)? }),* $(,)? }
     $(,)?) => {
        kernel::prelude::module! {
            type: $t,
            name: $n,
            authors: [$a],
            description: $d,
            license: $l,
            alias: [$($al),*],
            params: {
                $( $p: $pt { default: $pd, description: $pdesc, }, )*
            },
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
