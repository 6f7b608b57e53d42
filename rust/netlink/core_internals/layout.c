// SPDX-License-Identifier: GPL-2.0
/*
 * The C compiler's view of every private-structure offset and size nlfam relies on,
 * compiled with the module's own flags from the same headers bindgen reads
 * (bindings.h). Kbuild turns the DEFINE()s into Rust constants
 * (rust/layout_generated.rs) and rust/netlink/core_internals.rs asserts, at build time, that
 * bindgen's layouts agree: a mismatch (other flags, another kernel's headers, bindgen
 * numbering an anonymous union differently) fails the build instead of reading garbage
 * in a running kernel.
 */
#include <linux/kbuild.h>
#include "bindings.h"

/*
 * Test hook: `make module NLFAM_LAYOUT_SKEW=1` (scripts/test's layout-check) skews one
 * value to show that a mismatch fails the build.
 */
#ifdef NLFAM_LAYOUT_SKEW
#define SKEW 8
#else
#define SKEW 0
#endif

void nlfam_layout(void);
void nlfam_layout(void)
{
	DEFINE(SOCK_SIZE, sizeof(struct sock));
	DEFINE(SOCK_SK_USER_DATA, offsetof(struct sock, sk_user_data) + SKEW);
	DEFINE(SOCK_SK_PROTOCOL, offsetof(struct sock, sk_protocol));
	DEFINE(SOCK_SK_ERR, offsetof(struct sock, sk_err));
	DEFINE(SOCK_SKC_NET, offsetof(struct sock, __sk_common.skc_net));
	DEFINE(NETLINK_SOCK_SIZE, sizeof(struct netlink_sock));
	DEFINE(NETLINK_SOCK_SK, offsetof(struct netlink_sock, sk));
	DEFINE(NETLINK_SOCK_FLAGS, offsetof(struct netlink_sock, flags));
	DEFINE(NETLINK_TABLE_SIZE, sizeof(struct netlink_table));
	DEFINE(NETLINK_TABLE_REGISTERED, offsetof(struct netlink_table, registered));
	DEFINE(NET_USER_NS, offsetof(struct net, user_ns));
	DEFINE(PERNET_OPERATIONS_SIZE, sizeof(struct pernet_operations));
	DEFINE(PERNET_OPERATIONS_INIT, offsetof(struct pernet_operations, init));
	DEFINE(PERNET_OPERATIONS_EXIT, offsetof(struct pernet_operations, exit));
	DEFINE(KUID_T_SIZE, sizeof(kuid_t));
}
