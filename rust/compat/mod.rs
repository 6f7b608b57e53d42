// SPDX-License-Identifier: GPL-2.0

//! Everything specific to the kernel version nlfam is built against: 6.12 LTS (the
//! project's own kernels) or 7.x (distribution kernels, e.g. Debian 13's 7.3). Kbuild sets
//! `--cfg nlfam_ge_7_0` from the tree's version; the code above this
//! directory is the same for every target.
//!
//! - `ffi`: C constants that are macros;
//! - `local`: module-local bindings of what `kernel::bindings` lacks;
//! - `param`: module parameters (6.12's `module!` has no `params:`; 7.x's has scalars but
//!   no arrays, so the `family` array parameter keeps the shim everywhere).

pub(crate) mod ffi;
pub(crate) mod local;
#[macro_use]
pub(crate) mod param;

/// The `module!` invocation, in the spelling of the target's macro: 6.12 takes one
/// `author:`, 7.x a list `authors: [..]`.
#[cfg(not(nlfam_ge_7_0))]
macro_rules! nlfam_module {
    (type: $t:ident, name: $n:tt, author: $a:tt, description: $d:tt, license: $l:tt,
     alias: [$($al:tt),* $(,)?] $(,)?) => {
        kernel::prelude::module! {
            type: $t,
            name: $n,
            author: $a,
            description: $d,
            license: $l,
            alias: [$($al),*],
        }
    };
}

/// The `module!` invocation, in the spelling of the target's macro: 6.12 takes one
/// `author:`, 7.x a list `authors: [..]`.
#[cfg(nlfam_ge_7_0)]
macro_rules! nlfam_module {
    (type: $t:ident, name: $n:tt, author: $a:tt, description: $d:tt, license: $l:tt,
     alias: [$($al:tt),* $(,)?] $(,)?) => {
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
