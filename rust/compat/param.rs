// SPDX-License-Identifier: GPL-2.0

//! Module parameters, as C's `module_param()` makes them (6.12's `module!` has none, 7.x's hides
//! its scalars from sysfs and has no arrays).
//!
//! The C `module_param()` macro emits three things, and so does [`module_param!`]: a
//! `struct kernel_param` in the `__param` section (the loader finds parameters there and
//! runs their `ops->set` on the `insmod` arguments before `init`), and two `.modinfo`
//! strings, `parmtype=` and `parm=`, which `modinfo` shows. The storage is a `static mut`
//! that the kernel writes only while loading, before `init` runs; permission `0444`
//! keeps sysfs read-only, so after load the values never change and reads need no lock.

use kernel::bindings;

/// A `struct kernel_param` that may live in a `static`.
#[repr(transparent)]
pub(crate) struct KernelParam(pub(crate) bindings::kernel_param);

// SAFETY: The kernel only reads the descriptor; the pointers in it refer to statics
// (the name, the ops, the storage) that live as long as the module.
unsafe impl Sync for KernelParam {}

/// A `struct kparam_array` that may live in a `static`.
#[repr(transparent)]
pub(crate) struct KernelParamArray(pub(crate) bindings::kparam_array);

// SAFETY: As for `KernelParam`: read by the kernel, pointing only at module statics.
unsafe impl Sync for KernelParamArray {}

// Only the address is used: the type's contents do not cross the boundary.
#[allow(improper_ctypes)]
extern "C" {
    /// The `struct module` modpost generates for this module (`THIS_MODULE` in C).
    pub(crate) static __this_module: kernel::types::Opaque<bindings::module>;
}

/// Declares a module parameter backed by `static mut $name`, readable through
/// `$name::get()`.
///
/// ```ignore
/// module_param!(max_key_len: u32 = 256, param_ops_uint, "uint", "Longest key in bytes");
/// module_param!(nonroot: bool = false, param_ops_bool, "bool", "Let unprivileged users subscribe");
/// module_param!(family: [i32; 9] = [25, 0, ...], count 1, "Families to register");
/// ```
macro_rules! module_param {
    (@modinfo $name:ident, $ty:literal, $desc:tt) => {
        #[link_section = ".modinfo"]
        #[used(compiler)]
        static PARMTYPE: [u8; concat!("parmtype=", stringify!($name), ":", $ty, "\0").len()] =
            $crate::compat::param::to_array(concat!("parmtype=", stringify!($name), ":", $ty, "\0"));
        #[link_section = ".modinfo"]
        #[used(compiler)]
        static PARM: [u8; concat!("parm=", stringify!($name), ":", $desc, "\0").len()] =
            $crate::compat::param::to_array(concat!("parm=", stringify!($name), ":", $desc, "\0"));
    };
    (@param $name:ident, $ops:expr, $arg:expr) => {
        #[link_section = "__param"]
        #[used(compiler)]
        static PARAM: $crate::compat::param::KernelParam =
            $crate::compat::param::KernelParam(kernel::bindings::kernel_param {
                name: concat!(stringify!($name), "\0").as_ptr().cast(),
                // Only the address of our own `struct module` is taken.
                mod_: (&raw const $crate::compat::param::__this_module) as *mut kernel::bindings::module,
                // Only the address of the C ops table is taken.
                ops: &raw const $ops,
                perm: 0o444,
                level: -1,
                flags: 0,
                __bindgen_anon_1: kernel::bindings::kernel_param__bindgen_ty_1 {
                    arg: $arg,
                },
            });
    };
    // The scalar parameters of `nlfam_module!`'s `params:` on 6.12: a static named like
    // the parameter with `value()`, as 7.x's `module!` generates; the C ops and the
    // `modinfo` type follow from the Rust type.
    (@scalar $name:ident : u32 = $default:expr, $desc:tt) => {
        module_param!(@static $name: u32 = $default, param_ops_uint, "uint", $desc);
    };
    (@scalar $name:ident : i32 = $default:expr, $desc:tt) => {
        module_param!(@static $name: i32 = $default, param_ops_int, "int", $desc);
    };
    (@scalar $name:ident : bool = $default:expr, $desc:tt) => {
        module_param!(@static $name: bool = $default, param_ops_bool, "bool", $desc);
    };
    (@static $name:ident : $t:ty = $default:expr, $ops:ident, $ty:literal, $desc:tt) => {
        #[allow(non_upper_case_globals)]
        pub(crate) static $name: $crate::compat::param::Value<$t> =
            $crate::compat::param::Value::new($default);
        const _: () = {
            module_param!(@param $name, kernel::bindings::$ops, $name.as_void_ptr());
            module_param!(@modinfo $name, $ty, $desc);
        };
    };
    ($name:ident : $t:ty = $default:expr, $ops:ident, $ty:literal, $desc:literal) => {
        #[allow(non_snake_case)]
        pub(crate) mod $name {
            static mut VALUE: $t = $default;
            /// The value given at load time (or the default).
            pub(crate) fn get() -> $t {
                // SAFETY: Written by the kernel only while the module loads, before any
                // of our code runs; read-only (0444) afterwards.
                unsafe { *(&raw const VALUE) }
            }
            module_param!(@param $name, kernel::bindings::$ops, (&raw mut VALUE).cast());
            module_param!(@modinfo $name, $ty, $desc);
        }
    };
    ($name:ident : [i32; $n:literal] = $default:expr, count $count:literal, $desc:literal) => {
        #[allow(non_snake_case)]
        pub(crate) mod $name {
            static mut VALUES: [core::ffi::c_int; $n] = $default;
            static mut COUNT: core::ffi::c_uint = $count;
            /// The values given at load time (or the defaults), as many as were given.
            pub(crate) fn get() -> ([core::ffi::c_int; $n], usize) {
                // SAFETY: As for scalar parameters: written only during load.
                let (values, count) = unsafe { (*(&raw const VALUES), *(&raw const COUNT)) };
                (values, count as usize)
            }
            static ARRAY: $crate::compat::param::KernelParamArray =
                $crate::compat::param::KernelParamArray(kernel::bindings::kparam_array {
                    max: $n,
                    elemsize: core::mem::size_of::<core::ffi::c_int>() as core::ffi::c_uint,
                    num: &raw mut COUNT,
                    // Only the address of the C ops table is taken.
                    ops: &raw const kernel::bindings::param_ops_int,
                    elem: (&raw mut VALUES).cast(),
                });
            module_param!(@param $name, kernel::bindings::param_array_ops,
                          (&raw const ARRAY).cast_mut().cast());
            module_param!(@modinfo $name, "array of int", $desc);
        }
    };
}

/// A scalar parameter's storage: the kernel writes it (through `ops->set`) only while the
/// module loads, before `init`; afterwards it is read-only (permission 0444).
#[repr(transparent)]
pub(crate) struct Value<T>(core::cell::UnsafeCell<T>);

// SAFETY: Written only by the module loader before any of our code runs, never after.
unsafe impl<T: Sync> Sync for Value<T> {}

impl<T: Copy> Value<T> {
    pub(crate) const fn new(default: T) -> Self {
        Self(core::cell::UnsafeCell::new(default))
    }

    /// The value given at load time (or the default), as 7.x's `ModuleParamAccess::value`.
    pub(crate) fn value(&self) -> T {
        // SAFETY: See the `Sync` impl: no writer once the module runs.
        unsafe { *self.0.get() }
    }

    /// The storage's address, for `kernel_param::arg`.
    pub(crate) const fn as_void_ptr(&self) -> *mut core::ffi::c_void {
        self.0.get().cast()
    }
}

/// Copies a string literal into a byte array of its length (for `.modinfo` entries).
pub(crate) const fn to_array<const N: usize>(s: &str) -> [u8; N] {
    let b = s.as_bytes();
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N && i < b.len() {
        out[i] = b[i];
        i += 1;
    }
    out
}
