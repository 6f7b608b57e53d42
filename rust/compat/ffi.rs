// SPDX-License-Identifier: GPL-2.0

//! C constants that are macros, which bindgen cannot see. Inline C helpers (`nlmsg_*`,
//! `NETLINK_CB`, `kfree_skb`) are not here: the netlink layer implements them in Rust.

/// `NUMA_NO_NODE`.
pub(crate) const NUMA_NO_NODE: core::ffi::c_int = -1;
/// `MSG_DONTWAIT`: the kernel socket never blocks on a full receiver.
pub(crate) const MSG_DONTWAIT: core::ffi::c_int = 0x40;
/// `NL_CFG_F_NONROOT_RECV`: unprivileged sockets may subscribe to the family's groups.
pub(crate) const NL_CFG_F_NONROOT_RECV: core::ffi::c_uint = 1 << 0;
