// SPDX-License-Identifier: GPL-2.0

//! The kernel internals the netlink layer reads, which `kernel::bindings` lacks: bindings
//! generated at build time by bindgen (see `Kbuild` and `core_internals/bindings.h`) for
//! `struct sock` (6.12's `bindings` has it opaque), pernet operations,
//! `init_net`, and the netlink core's private `struct netlink_sock` (a sender's flags) and
//! `nl_table` (whether a protocol is registered, read as netlink_diag reads it). The types
//! are distinct from `kernel::bindings`' namesakes; the netlink layer casts pointers
//! between the two, which is sound because both describe the same C object with layouts
//! generated from the same headers and flags.

#[allow(
    dead_code,
    missing_docs,
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    improper_ctypes,
    unreachable_pub,
    unsafe_op_in_unsafe_fn,
    clippy::all,
    clippy::undocumented_unsafe_blocks
)]
#[rustfmt::skip]
#[path = "../bindings_local.rs"]
mod generated;

pub(crate) use generated::{
    from_kuid_munged, init_net, init_user_ns, kuid_t, net, netlink_sock, netlink_table, nl_table,
    nl_table_lock, pernet_operations, register_pernet_subsys, sk_error_report, sock,
    unregister_pernet_subsys, NETLINK_F_CAP_ACK, NETLINK_F_EXT_ACK,
};

/// The network namespace of `sk`: the C `sock_net()`.
///
/// # Safety
///
/// `sk` must point to a live `struct sock`.
pub(crate) unsafe fn sock_net(sk: *mut kernel::bindings::sock) -> *mut net {
    // SAFETY: `sk` is live (function contract), and `kernel::bindings::sock` and
    // `sock` describe the same C object (see the module's documentation).
    unsafe { (*sk.cast::<sock>()).__sk_common.skc_net.net }
}

/// The C compiler's offsets and sizes (generated from `core_internals/layout.c`, see
/// `Kbuild`).
#[allow(dead_code, unreachable_pub)]
#[rustfmt::skip]
#[path = "../layout_generated.rs"]
mod c_layout;

/// bindgen's layouts of everything the netlink layer reads or builds must equal the C
/// compiler's: checked when the module is built, so a mismatch never reaches a kernel.
const _: () = {
    use core::mem::{offset_of, size_of};
    macro_rules! same {
        ($rust:expr, $c:ident) => {
            assert!(
                $rust == c_layout::$c,
                concat!(
                    "nlfam layout mismatch: bindgen and the C compiler disagree on ",
                    stringify!($c)
                )
            );
        };
    }
    same!(size_of::<sock>(), SOCK_SIZE);
    same!(offset_of!(sock, sk_user_data), SOCK_SK_USER_DATA);
    same!(offset_of!(sock, sk_protocol), SOCK_SK_PROTOCOL);
    same!(offset_of!(sock, sk_err), SOCK_SK_ERR);
    same!(offset_of!(sock, __sk_common.skc_net), SOCK_SKC_NET);
    same!(size_of::<netlink_sock>(), NETLINK_SOCK_SIZE);
    same!(offset_of!(netlink_sock, sk), NETLINK_SOCK_SK);
    same!(offset_of!(netlink_sock, flags), NETLINK_SOCK_FLAGS);
    same!(size_of::<netlink_table>(), NETLINK_TABLE_SIZE);
    same!(
        offset_of!(netlink_table, registered),
        NETLINK_TABLE_REGISTERED
    );
    same!(offset_of!(net, user_ns), NET_USER_NS);
    same!(size_of::<pernet_operations>(), PERNET_OPERATIONS_SIZE);
    same!(offset_of!(pernet_operations, init), PERNET_OPERATIONS_INIT);
    same!(offset_of!(pernet_operations, exit), PERNET_OPERATIONS_EXIT);
    same!(size_of::<kuid_t>(), KUID_T_SIZE);
};
