// SPDX-License-Identifier: GPL-2.0

//! Module-local bindings generated at build time by bindgen (see `Kbuild` and
//! `bindings_local.h`): `struct sock` (6.12's `bindings` has it opaque), pernet operations,
//! `init_net`, and the netlink core's private `struct netlink_sock` and `nl_table` (for
//! subscriber counts, read as netlink_diag reads them). The types are distinct from `kernel::bindings`' namesakes; the netlink
//! layer casts pointers between the two, which is sound because both describe the same C
//! object with layouts generated from the same headers and flags.

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
    init_net, net, netlink_sock, nl_table, nl_table_lock, pernet_operations,
    register_pernet_subsys, sock, unregister_pernet_subsys, NETLINK_F_CAP_ACK, NETLINK_F_EXT_ACK,
};
