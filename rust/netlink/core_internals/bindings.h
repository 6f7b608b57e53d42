/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Module-local bindings for the netlink layer: C items 6.12's `kernel::bindings` does not
 * expose (it declares `struct sock` opaque and has no pernet operations), and the netlink
 * core's private structures. Kbuild runs bindgen on this header
 * with the kernel's own C flags, so every layout matches the configuration being built.
 */
#include <net/sock.h>
#include <net/net_namespace.h>
#include <linux/netlink.h>
#include <linux/user_namespace.h>
/*
 * The netlink core's private header (net/netlink/, on the include path from Kbuild), as
 * netlink_diag uses it: a sending socket's flags (struct netlink_sock), and whether a
 * protocol is registered (nl_table, nl_table_lock, exported for netlink_diag).
 */
#include <af_netlink.h>
