// SPDX-License-Identifier: GPL-2.0
/*
 * nlfam_c: a C reference implementation of the nlfam wire protocol
 * (docs/protocol.md) for benchmarks against the Rust module (rust/nlfam.rs).
 *
 * It serves ECHO, the key-value store (SET, GET, DEL, dump, notifications on
 * group 1), PUBLISH and STATS on one family number in the initial network
 * namespace, with the Rust module's algorithms: a bytewise-ordered rbtree under
 * a mutex, a generation counter for NLM_F_DUMP_INTR, dumps resumed after the
 * last key sent, events built only for groups with listeners, and the answers
 * to one datagram (ACKs and errors too, unless batch_acks=0) coalesced into as
 * few skbs as fit. CONFIG and the heartbeat are not implemented (EOPNOTSUPP).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/capability.h>
#include <linux/err.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/overflow.h>
#include <linux/rbtree.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uidgid.h>
#include <net/net_namespace.h>
#include <net/netlink.h>
#include <net/sock.h>

/* struct netlink_sock and nlk_test_bit(): a sender's flags, as net/netlink/diag.c reads them. */
#include "af_netlink.h"

/* Protocol constants: userspace/proto/src/family.rs. */
#define NLFAM_FAMILY_MIN	23
#define NLFAM_FAMILY_MAX	31
#define NLFAM_FAMILY_DEFAULT	25
#define NLFAM_GROUPS		32

/*
 * What a request asks the module to keep: charged to the requester's memory cgroup,
 * and refused with -ENOMEM rather than OOM-killing when it is full (rust/compat/gfp.rs).
 */
#define NLFAM_GFP_STORE		(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

#define NLFAM_GRP_KV		1
#define NLFAM_GRP_PUBLISH_MIN	3

#define NLFAM_KEY_LEN_DEFAULT	256
#define NLFAM_KEY_LEN_MAX	1024
#define NLFAM_VALUE_LEN_DEFAULT	4096
#define NLFAM_VALUE_LEN_MAX	65000
#define NLFAM_ENTRIES_DEFAULT	65536
#define NLFAM_ENTRIES_MAX	4194304
#define NLFAM_PAYLOAD_LEN_MAX	65000

/* Room reserved in a reply skb beyond the current answer (rust/netlink/reply.rs). */
#define NLFAM_BATCH_BYTES	(32 * 1024)
/* Payload bound of a STATS answer, as the Rust module reserves. */
#define NLFAM_STATS_SIZE	512

enum nlfam_msg {
	NLFAM_MSG_ECHO = 0x10,
	NLFAM_MSG_KV_SET,
	NLFAM_MSG_KV_GET,
	NLFAM_MSG_KV_DEL,
	NLFAM_MSG_PUBLISH,
	NLFAM_MSG_HEARTBEAT,
	NLFAM_MSG_STATS,
	NLFAM_MSG_CONFIG,
};

enum nlfam_attr {
	NLFAM_A_UNSPEC,
	NLFAM_A_KEY,
	NLFAM_A_VALUE,
	NLFAM_A_PORTID,
	NLFAM_A_SEQ,
	NLFAM_A_GROUP,
	NLFAM_A_PAYLOAD,
	NLFAM_A_UID,
	NLFAM_A_TIMESTAMP_NS,
	NLFAM_A_COUNTER,
	NLFAM_A_PERIOD_MS,
	NLFAM_A_STAT_RX,
	NLFAM_A_STAT_TX,
	NLFAM_A_STAT_ERRORS,
	NLFAM_A_STAT_DROPPED,
	NLFAM_A_STAT_NOTIFICATIONS,
	NLFAM_A_STAT_ENTRIES,
	NLFAM_A_STAT_SUBSCRIBERS,
	NLFAM_A_FAMILY,
	__NLFAM_A_MAX,
};

#define NLFAM_A_MAX (__NLFAM_A_MAX - 1)

static int family = NLFAM_FAMILY_DEFAULT;
module_param(family, int, 0444);
MODULE_PARM_DESC(family, "Netlink family number to register, 23-31 (default 25)");

static unsigned int max_key_len = NLFAM_KEY_LEN_DEFAULT;
module_param(max_key_len, uint, 0444);
MODULE_PARM_DESC(max_key_len, "Longest key in bytes (1-1024, default 256)");

static unsigned int max_value_len = NLFAM_VALUE_LEN_DEFAULT;
module_param(max_value_len, uint, 0444);
MODULE_PARM_DESC(max_value_len, "Longest value in bytes (0-65000, default 4096)");

static unsigned int max_entries = NLFAM_ENTRIES_DEFAULT;
module_param(max_entries, uint, 0444);
MODULE_PARM_DESC(max_entries, "Most entries in the store (1-4194304, default 65536)");

static bool nonroot;
module_param(nonroot, bool, 0444);
MODULE_PARM_DESC(nonroot,
		 "Let users without CAP_NET_ADMIN subscribe and read (default: root only)");

/* Not in the Rust module: selects which of its two ACK paths to mirror. */
static bool batch_acks = true;
module_param(batch_acks, bool, 0444);
MODULE_PARM_DESC(batch_acks,
		 "Build ACKs and errors into the batch of answers (default) instead of netlink_ack()");

/* One key-value pair. The key (without NUL) follows the node. */
struct nlfam_entry {
	struct rb_node node;
	u8 *value;
	u32 value_len;
	u32 key_len;
	u8 key[];
};

/* The family's state: one family in the initial namespace. */
static struct nlfam {
	struct sock *sk;
	struct mutex lock;	/* guards root, entries, generation */
	struct rb_root root;
	u32 entries;
	u32 generation;		/* changes with every successful SET or DEL; never 0 */
	atomic64_t rx;		/* requests received */
	atomic64_t tx;		/* answers sent */
	atomic64_t errors;	/* requests refused */
	atomic64_t dropped;	/* events and answer skbs not delivered */
	atomic64_t notifications;	/* events multicast */
} nlfam = {
	.lock = __MUTEX_INITIALIZER(nlfam.lock),
	.root = RB_ROOT,
	.generation = 1,
};

/*
 * The answers to one input datagram, all for the sender's port: they
 * accumulate in one pending skb, sent when the next answer does not fit,
 * before anything else goes to the requester, and at the end of the datagram.
 */
struct nlfam_replies {
	struct sock *sk;
	struct sk_buff *pending;
	u32 portid;
	u64 lost;	/* skbs the requester's full queue refused */
};

/* One request message of a datagram. */
struct nlfam_req {
	struct sock *sk;
	struct sk_buff *skb;	/* the datagram */
	struct nlmsghdr *nlh;	/* this message */
	struct nlfam_replies *replies;
	size_t rest;		/* expected size of the answers after this one's */
};

/* ---- Attribute validation (userspace/proto/src/policy.rs) ---- */

enum nlfam_kind {
	NLFAM_REJECT,	/* type 0, gaps and types the message does not list */
	NLFAM_U32,
	NLFAM_STRING,	/* NUL-terminated, no inner NUL, 1..max bytes before it */
	NLFAM_BINARY,	/* 0..max bytes */
};

struct nlfam_policy {
	u8 kind;
	u32 max;
};

static const struct nlfam_policy nlfam_policy_kv_set[NLFAM_A_MAX + 1] = {
	[NLFAM_A_KEY] = { NLFAM_STRING, NLFAM_KEY_LEN_MAX },
	[NLFAM_A_VALUE] = { NLFAM_BINARY, NLFAM_VALUE_LEN_MAX },
};

static const struct nlfam_policy nlfam_policy_key_only[NLFAM_A_MAX + 1] = {
	[NLFAM_A_KEY] = { NLFAM_STRING, NLFAM_KEY_LEN_MAX },
};

static const struct nlfam_policy nlfam_policy_publish[NLFAM_A_MAX + 1] = {
	[NLFAM_A_GROUP] = { NLFAM_U32, 0 },
	[NLFAM_A_PAYLOAD] = { NLFAM_BINARY, NLFAM_PAYLOAD_LEN_MAX },
};

static const struct nlfam_policy nlfam_policy_none[NLFAM_A_MAX + 1] = {};

static int nlfam_check(const struct nlfam_policy *pol, const struct nlattr *nla,
		       struct netlink_ext_ack *extack)
{
	u16 type = nla_type(nla);
	u32 len = nla_len(nla);	/* >= 0: nla_ok() checked the header */
	const char *s = nla_data(nla);
	const struct nlfam_policy *p;

	if (type > NLFAM_A_MAX || pol[type].kind == NLFAM_REJECT) {
		NL_SET_ERR_MSG_ATTR(extack, nla, "unknown attribute type");
		return -EINVAL;
	}
	p = &pol[type];
	switch (p->kind) {
	case NLFAM_U32:
		if (len != sizeof(u32)) {
			NL_SET_ERR_MSG_ATTR(extack, nla,
					    "attribute has the wrong size for its type");
			return -EINVAL;
		}
		return 0;
	case NLFAM_STRING:
		if (len < 1 || s[len - 1] != '\0' || memchr(s, '\0', len - 1)) {
			NL_SET_ERR_MSG_ATTR(extack, nla,
					    "string attribute is not NUL-terminated or has an inner NUL");
			return -EINVAL;
		}
		if (len == 1) {
			NL_SET_ERR_MSG_ATTR(extack, nla, "string attribute is empty");
			return -EINVAL;
		}
		if (len - 1 > p->max) {
			NL_SET_ERR_MSG_ATTR(extack, nla,
					    "string attribute is longer than allowed");
			return -EMSGSIZE;
		}
		return 0;
	default: /* NLFAM_BINARY */
		if (len > p->max) {
			NL_SET_ERR_MSG_ATTR(extack, nla,
					    "binary attribute is longer than allowed");
			return -EMSGSIZE;
		}
		return 0;
	}
}

/*
 * Strict parse of a message's attributes into @tb: every attribute must be
 * listed by @pol, well-formed and present at most once; trailing bytes that
 * do not form an attribute are an error.
 */
static int nlfam_parse(const struct nlmsghdr *nlh, const struct nlfam_policy *pol,
		       const struct nlattr **tb, struct netlink_ext_ack *extack)
{
	const struct nlattr *nla;
	int rem, err;

	memset(tb, 0, sizeof(*tb) * (NLFAM_A_MAX + 1));
	nla_for_each_attr(nla, nlmsg_data(nlh), nlmsg_len(nlh), rem) {
		u16 type = nla_type(nla);

		err = nlfam_check(pol, nla, extack);
		if (err)
			return err;
		if (tb[type]) {
			NL_SET_ERR_MSG_ATTR(extack, nla, "duplicate attribute");
			return -EINVAL;
		}
		tb[type] = nla;
	}
	if (rem > 0) {
		NL_SET_ERR_MSG_ATTR(extack, nla, "malformed attribute (bad length)");
		return -EINVAL;
	}
	return 0;
}

/* ---- Answers ---- */

static void nlfam_replies_send(struct nlfam_replies *r, struct sk_buff *skb)
{
	if (netlink_unicast(r->sk, skb, r->portid, MSG_DONTWAIT) < 0)
		r->lost++;
}

/* Sends what is pending: call before anything else goes to the requester. */
static void nlfam_replies_flush(struct nlfam_replies *r)
{
	struct sk_buff *skb = r->pending;

	if (!skb)
		return;
	r->pending = NULL;
	if (skb->len)
		nlfam_replies_send(r, skb);
	else
		kfree_skb(skb);
}

/*
 * The pending skb, with room for a message of @payload bytes. When the answer
 * does not fit, the pending skb is sent and a new one allocated for this
 * answer plus @rest, what the rest of the datagram is expected to need
 * (capped), so a one-message datagram gets an exactly sized skb.
 */
static struct sk_buff *nlfam_batch_skb(struct nlfam_replies *r, size_t rest, size_t payload)
{
	size_t size = nlmsg_total_size(payload);
	struct sk_buff *skb = r->pending;

	if (skb && skb_tailroom(skb) >= size)
		return skb;
	nlfam_replies_flush(r);
	skb = alloc_skb(size + min_t(size_t, rest, NLFAM_BATCH_BYTES), GFP_KERNEL);
	if (!skb)
		return ERR_PTR(-ENOMEM);
	r->pending = skb;
	return skb;
}

static struct sk_buff *nlfam_reply_skb(struct nlfam_req *req, size_t payload)
{
	return nlfam_batch_skb(req->replies, req->rest, payload);
}

static int nlfam_reply_full(struct sk_buff *skb, struct nlmsghdr *nlh,
			    struct netlink_ext_ack *extack)
{
	if (nlh)
		nlmsg_cancel(skb, nlh);
	NL_SET_ERR_MSG(extack, "reply does not fit its buffer");
	return -EMSGSIZE;
}

/*
 * Answers @nlh with NLMSG_ERROR (@err 0: an ACK) in the batch of answers,
 * built exactly as netlink_ack() builds it: the request's header, its payload
 * too for an error unless the sender set NETLINK_CAP_ACK, and with
 * NETLINK_EXT_ACK the extack message, the offending attribute's offset and a
 * missing attribute's type. Without memory the answer is lost and counted.
 */
static void nlfam_ack(struct nlfam_replies *r, struct sk_buff *in_skb,
		      struct nlmsghdr *nlh, size_t rest, int err,
		      const struct netlink_ext_ack *extack)
{
	struct sock *ssk = NETLINK_CB(in_skb).sk;
	bool copy = err && !nlk_test_bit(CAP_ACK, ssk);
	bool ext = nlk_test_bit(EXT_ACK, ssk);
	const char *text = ext ? extack->_msg : NULL;
	bool offs = ext && err && extack->bad_attr;
	bool miss = ext && err && extack->miss_type;
	u16 flags = copy ? 0 : NLM_F_CAPPED;
	size_t tlvlen = 0, payload;
	struct nlmsgerr *errmsg;
	struct nlmsghdr *rep;
	struct sk_buff *skb;

	if (text)
		tlvlen += nla_total_size(strlen(text) + 1);
	if (offs)
		tlvlen += nla_total_size(sizeof(u32));
	if (miss)
		tlvlen += nla_total_size(sizeof(u32));
	if (tlvlen)
		flags |= NLM_F_ACK_TLVS;
	payload = sizeof(*errmsg) + (copy ? NLMSG_ALIGN(nlmsg_len(nlh)) : 0) + tlvlen;

	skb = nlfam_batch_skb(r, rest, payload);
	if (IS_ERR(skb)) {
		r->lost++;
		return;
	}
	/* The room was checked above: none of these can fail. */
	rep = nlmsg_put(skb, r->portid, nlh->nlmsg_seq, NLMSG_ERROR, sizeof(*errmsg), flags);
	errmsg = nlmsg_data(rep);
	errmsg->error = err;
	errmsg->msg = *nlh;
	if (copy)
		memcpy(nlmsg_append(skb, nlmsg_len(nlh)), nlmsg_data(nlh), nlmsg_len(nlh));
	if (text)
		nla_put_string(skb, NLMSGERR_ATTR_MSG, text);
	if (offs)
		nla_put_u32(skb, NLMSGERR_ATTR_OFFS,
			    (const u8 *)extack->bad_attr - (const u8 *)nlh);
	if (miss)
		nla_put_u32(skb, NLMSGERR_ATTR_MISS_TYPE, extack->miss_type);
	nlmsg_end(skb, rep);
}

/* Multicasts @skb to @group after the answers so far, and accounts for it. */
static void nlfam_broadcast(struct nlfam_req *req, struct sk_buff *skb, u32 group)
{
	int err;

	nlfam_replies_flush(req->replies);
	err = netlink_broadcast(req->sk, skb, 0, group, GFP_KERNEL);
	if (!err) {
		atomic64_inc(&nlfam.notifications);
	} else if (err != -ESRCH) {
		/* ENOBUFS: some subscriber lost it, the others got it. */
		if (err == -ENOBUFS)
			atomic64_inc(&nlfam.notifications);
		atomic64_inc(&nlfam.dropped);
	}
}

static int nlfam_put_u64(struct sk_buff *skb, int type, u64 v)
{
	return nla_put(skb, type, sizeof(v), &v);
}

/* ---- Key-value store ---- */

/* Space for one entry message with a key of @k and a value of @v bytes. */
static size_t nlfam_entry_space(size_t k, size_t v)
{
	return nlmsg_total_size(nla_total_size(k + 1) + nla_total_size(v) +
				2 * nla_total_size(sizeof(u32)));
}

static int nlfam_put_entry(struct sk_buff *skb, const u8 *key, u32 klen,
			   const u8 *value, u32 vlen, bool with_value)
{
	struct nlattr *nla = nla_reserve(skb, NLFAM_A_KEY, klen + 1);
	u8 *p;

	if (!nla)
		return -EMSGSIZE;
	p = nla_data(nla);
	memcpy(p, key, klen);
	p[klen] = '\0';
	if (with_value && nla_put(skb, NLFAM_A_VALUE, vlen, value))
		return -EMSGSIZE;
	return 0;
}

static int nlfam_key_cmp(const u8 *a, u32 alen, const struct nlfam_entry *e)
{
	int r = memcmp(a, e->key, min(alen, e->key_len));

	if (r)
		return r;
	return alen < e->key_len ? -1 : alen > e->key_len;
}

/*
 * Called with nlfam.lock held after every write. The dump's consistency check compares
 * generations as u32 and reads 0 as "not tracked": skip 0, so consecutive generations
 * always differ (a "| 1" here once made generations 2k and 2k+1 compare equal).
 */
static void nlfam_changed(void)
{
	if (!++nlfam.generation)
		nlfam.generation = 1;
}

static struct nlfam_entry *nlfam_lookup(const u8 *key, u32 klen)
{
	struct rb_node *n = nlfam.root.rb_node;

	lockdep_assert_held(&nlfam.lock);
	while (n) {
		struct nlfam_entry *e = rb_entry(n, struct nlfam_entry, node);
		int c = nlfam_key_cmp(key, klen, e);

		if (c < 0)
			n = n->rb_left;
		else if (c > 0)
			n = n->rb_right;
		else
			return e;
	}
	return NULL;
}

/* The first entry with a key greater than @key: where a dump resumes. */
static struct rb_node *nlfam_after(const u8 *key, u32 klen)
{
	struct rb_node *n = nlfam.root.rb_node, *found = NULL;

	lockdep_assert_held(&nlfam.lock);
	while (n) {
		struct nlfam_entry *e = rb_entry(n, struct nlfam_entry, node);

		if (nlfam_key_cmp(key, klen, e) < 0) {
			found = n;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return found;
}

static void nlfam_store_free(void)
{
	struct nlfam_entry *e, *tmp;

	rbtree_postorder_for_each_entry_safe(e, tmp, &nlfam.root, node) {
		kfree(e->value);
		kfree(e);
	}
	nlfam.root = RB_ROOT;
	nlfam.entries = 0;
}

static bool nlfam_admin(const struct nlfam_req *req)
{
	return netlink_net_capable(req->skb, CAP_NET_ADMIN);
}

static int nlfam_require_reader(const struct nlfam_req *req, struct netlink_ext_ack *extack)
{
	if (nonroot || nlfam_admin(req))
		return 0;
	NL_SET_ERR_MSG(extack,
		       "CAP_NET_ADMIN is required to read (module parameter nonroot=1 opens it)");
	return -EPERM;
}

/* The required KEY, checked against max_key_len. */
static int nlfam_key(const struct nlattr **tb, const u8 **key, u32 *klen,
		     struct netlink_ext_ack *extack)
{
	const struct nlattr *nla = tb[NLFAM_A_KEY];

	if (!nla) {
		NL_SET_ERR_MSG(extack, "KEY attribute is required");
		NL_SET_ERR_ATTR_MISS(extack, NULL, NLFAM_A_KEY);
		return -EINVAL;
	}
	*key = nla_data(nla);
	*klen = nla_len(nla) - 1;	/* validated: NUL-terminated */
	if (*klen > max_key_len) {
		NL_SET_ERR_MSG_ATTR(extack, nla, "key longer than max_key_len");
		return -EMSGSIZE;
	}
	return 0;
}

/*
 * Multicasts a change to the KV group, if anyone listens. Called with the
 * store locked, so subscribers see changes in the order they were made.
 */
static void nlfam_notify(struct nlfam_req *req, int type, const u8 *key, u32 klen,
			 const u8 *value, u32 vlen, bool with_value)
{
	size_t size = nlfam_entry_space(klen, with_value ? vlen : 0);
	struct nlmsghdr *nlh;
	struct sk_buff *skb;

	if (!netlink_has_listeners(req->sk, NLFAM_GRP_KV))
		return;
	skb = alloc_skb(size, GFP_KERNEL);
	if (!skb)
		goto drop;
	nlh = nlmsg_put(skb, 0, 0, type, 0, 0);
	if (!nlh || nlfam_put_entry(skb, key, klen, value, vlen, with_value) ||
	    nla_put_u32(skb, NLFAM_A_PORTID, NETLINK_CB(req->skb).portid) ||
	    nla_put_u32(skb, NLFAM_A_SEQ, req->nlh->nlmsg_seq)) {
		kfree_skb(skb);
		goto drop;
	}
	nlmsg_end(skb, nlh);
	nlfam_broadcast(req, skb, NLFAM_GRP_KV);
	return;
drop:
	atomic64_inc(&nlfam.dropped);
}

static int nlfam_set(struct nlfam_req *req, struct netlink_ext_ack *extack)
{
	const struct nlattr *tb[NLFAM_A_MAX + 1];
	u16 flags = req->nlh->nlmsg_flags;
	struct nlfam_entry *e, *old;
	struct rb_node **link, *parent = NULL;
	const u8 *key, *vdata;
	u32 klen, vlen;
	u8 *value;
	int err;

	if (!nlfam_admin(req)) {
		NL_SET_ERR_MSG(extack, "CAP_NET_ADMIN is required to change the store");
		return -EPERM;
	}
	err = nlfam_parse(req->nlh, nlfam_policy_kv_set, tb, extack);
	if (err)
		return err;
	/*
	 * Every required attribute is checked before any limit (as the Rust module's
	 * request table declares, and genetlink's GENL_REQ_ATTR_CHECK does).
	 */
	if (tb[NLFAM_A_KEY] && !tb[NLFAM_A_VALUE]) {
		NL_SET_ERR_MSG(extack, "VALUE attribute is required");
		NL_SET_ERR_ATTR_MISS(extack, NULL, NLFAM_A_VALUE);
		return -EINVAL;
	}
	err = nlfam_key(tb, &key, &klen, extack);
	if (err)
		return err;
	vdata = nla_data(tb[NLFAM_A_VALUE]);
	vlen = nla_len(tb[NLFAM_A_VALUE]);
	if (vlen > max_value_len) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NLFAM_A_VALUE], "value longer than max_value_len");
		return -EMSGSIZE;
	}

	/* Allocate before taking the lock. */
	e = kmalloc(struct_size(e, key, klen), NLFAM_GFP_STORE);
	value = kmemdup(vdata, vlen, NLFAM_GFP_STORE);
	if (!e || !value) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(e->key, key, klen);
	e->key_len = klen;
	e->value = value;
	e->value_len = vlen;

	mutex_lock(&nlfam.lock);
	link = &nlfam.root.rb_node;
	old = NULL;
	while (*link) {
		struct nlfam_entry *cur = rb_entry(*link, struct nlfam_entry, node);
		int c = nlfam_key_cmp(key, klen, cur);

		parent = *link;
		if (c < 0) {
			link = &parent->rb_left;
		} else if (c > 0) {
			link = &parent->rb_right;
		} else {
			old = cur;
			break;
		}
	}
	if (old) {
		if (flags & NLM_F_EXCL) {
			NL_SET_ERR_MSG(extack, "key exists and NLM_F_EXCL was given");
			err = -EEXIST;
			goto unlock;
		}
		if (!(flags & NLM_F_REPLACE)) {
			NL_SET_ERR_MSG(extack, "key exists; NLM_F_REPLACE overwrites it");
			err = -EEXIST;
			goto unlock;
		}
		/* Keep the node, take the new value; the old one is freed below. */
		value = old->value;
		old->value = e->value;
		old->value_len = vlen;
	} else {
		if (!(flags & NLM_F_CREATE)) {
			NL_SET_ERR_MSG(extack, "key does not exist; NLM_F_CREATE creates it");
			err = -ENOENT;
			goto unlock;
		}
		if (nlfam.entries >= max_entries) {
			NL_SET_ERR_MSG(extack, "store is full (module parameter max_entries)");
			err = -ENOSPC;
			goto unlock;
		}
		rb_link_node(&e->node, parent, link);
		rb_insert_color(&e->node, &nlfam.root);
		nlfam.entries++;
		e = NULL;
		value = NULL;
	}
	nlfam_changed();
	nlfam_notify(req, NLFAM_MSG_KV_SET, key, klen, vdata, vlen, true);
unlock:
	mutex_unlock(&nlfam.lock);
out:
	kfree(value);
	kfree(e);
	return err;
}

static int nlfam_del(struct nlfam_req *req, struct netlink_ext_ack *extack)
{
	const struct nlattr *tb[NLFAM_A_MAX + 1];
	struct nlfam_entry *e;
	const u8 *key;
	u32 klen;
	int err;

	if (!nlfam_admin(req)) {
		NL_SET_ERR_MSG(extack, "CAP_NET_ADMIN is required to change the store");
		return -EPERM;
	}
	err = nlfam_parse(req->nlh, nlfam_policy_key_only, tb, extack);
	if (err)
		return err;
	err = nlfam_key(tb, &key, &klen, extack);
	if (err)
		return err;

	mutex_lock(&nlfam.lock);
	e = nlfam_lookup(key, klen);
	if (!e) {
		mutex_unlock(&nlfam.lock);
		NL_SET_ERR_MSG(extack, "no such key");
		return -ENOENT;
	}
	rb_erase(&e->node, &nlfam.root);
	nlfam.entries--;
	nlfam_changed();
	nlfam_notify(req, NLFAM_MSG_KV_DEL, key, klen, NULL, 0, false);
	mutex_unlock(&nlfam.lock);
	kfree(e->value);
	kfree(e);
	return 0;
}

/* Where a dump stands between two recvmsg calls: the last key sent. */
struct nlfam_cursor {
	bool valid;
	u32 len;
	u8 key[];	/* max_key_len bytes */
};

struct nlfam_dump_ctx {
	struct nlfam_cursor *cur;
};

static int nlfam_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct nlfam_dump_ctx *ctx = (struct nlfam_dump_ctx *)cb->ctx;
	struct nlfam_cursor *cur = ctx->cur;
	u32 portid = NETLINK_CB(cb->skb).portid;
	u32 seq = cb->nlh->nlmsg_seq;
	struct nlfam_entry *last = NULL;
	unsigned int written = 0;
	struct rb_node *n;

#ifdef NL_ASSERT_CTX_FITS	/* 7.x's name */
	NL_ASSERT_CTX_FITS(struct nlfam_dump_ctx);
#else
	NL_ASSERT_DUMP_CTX_FITS(struct nlfam_dump_ctx);
#endif
	if (!cur) {
		cur = kmalloc(struct_size(cur, key, max_key_len), NLFAM_GFP_STORE);
		if (!cur)
			return -ENOMEM;
		cur->valid = false;
		ctx->cur = cur;
	}

	mutex_lock(&nlfam.lock);
	/* Consecutive generations differ and are never 0 (see nlfam_changed). */
	cb->seq = nlfam.generation;
	n = cur->valid ? nlfam_after(cur->key, cur->len) : rb_first(&nlfam.root);
	for (; n; n = rb_next(n)) {
		struct nlfam_entry *e = rb_entry(n, struct nlfam_entry, node);
		struct nlmsghdr *nlh;

		nlh = nlmsg_put(skb, portid, seq, NLFAM_MSG_KV_SET, 0, NLM_F_MULTI);
		if (!nlh)
			break;
		if (nlfam_put_entry(skb, e->key, e->key_len, e->value, e->value_len, true)) {
			nlmsg_cancel(skb, nlh);
			break;
		}
		nl_dump_check_consistent(cb, nlh);
		nlmsg_end(skb, nlh);
		last = e;
		written++;
	}
	if (last) {
		memcpy(cur->key, last->key, last->key_len);
		cur->len = last->key_len;
		cur->valid = true;
	}
	mutex_unlock(&nlfam.lock);

	if (!n)
		return 0;
	/* An entry larger than a whole skb would loop forever: fail instead. */
	if (!written)
		return -EMSGSIZE;
	return skb->len;
}

static int nlfam_dump_done(struct netlink_callback *cb)
{
	struct nlfam_dump_ctx *ctx = (struct nlfam_dump_ctx *)cb->ctx;

	kfree(ctx->cur);
	ctx->cur = NULL;
	return 0;
}

/* Returns -EINTR once the dump has started (no ACK: NLMSG_DONE ends it). */
static int nlfam_start_dump(struct nlfam_req *req)
{
	struct netlink_dump_control c = {
		.dump = nlfam_dump,
		.done = nlfam_dump_done,
		.min_dump_alloc = nlfam_entry_space(max_key_len, max_value_len),
	};
	int err;

	nlfam_replies_flush(req->replies);
	err = netlink_dump_start(req->sk, req->skb, req->nlh, &c);
	return err ? err : -EINTR;
}

static int nlfam_get(struct nlfam_req *req, struct netlink_ext_ack *extack)
{
	const struct nlattr *tb[NLFAM_A_MAX + 1];
	struct nlmsghdr *nlh = NULL;
	struct nlfam_entry *e;
	struct sk_buff *skb;
	const u8 *key;
	u32 klen;
	int err;

	err = nlfam_require_reader(req, extack);
	if (err)
		return err;
	err = nlfam_parse(req->nlh, nlfam_policy_key_only, tb, extack);
	if (err)
		return err;
	if ((req->nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP) {
		if (tb[NLFAM_A_KEY]) {
			NL_SET_ERR_MSG_ATTR(extack, tb[NLFAM_A_KEY],
					    "KEY is not allowed in a dump request");
			return -EINVAL;
		}
		return nlfam_start_dump(req);
	}
	err = nlfam_key(tb, &key, &klen, extack);
	if (err)
		return err;

	mutex_lock(&nlfam.lock);
	e = nlfam_lookup(key, klen);
	if (!e) {
		NL_SET_ERR_MSG(extack, "no such key");
		err = -ENOENT;
		goto unlock;
	}
	skb = nlfam_reply_skb(req, nlfam_entry_space(klen, e->value_len));
	if (IS_ERR(skb)) {
		err = PTR_ERR(skb);
		goto unlock;
	}
	nlh = nlmsg_put(skb, 0, req->nlh->nlmsg_seq, NLFAM_MSG_KV_SET, 0, 0);
	if (!nlh || nlfam_put_entry(skb, key, klen, e->value, e->value_len, true)) {
		err = nlfam_reply_full(skb, nlh, extack);
		goto unlock;
	}
	nlmsg_end(skb, nlh);
unlock:
	mutex_unlock(&nlfam.lock);
	return err;
}

/* ---- ECHO, PUBLISH, STATS ---- */

static int nlfam_echo(struct nlfam_req *req, struct netlink_ext_ack *extack)
{
	int len = nlmsg_len(req->nlh);
	struct sk_buff *skb = nlfam_reply_skb(req, len);
	struct nlmsghdr *nlh;

	if (IS_ERR(skb))
		return PTR_ERR(skb);
	nlh = nlmsg_put(skb, 0, req->nlh->nlmsg_seq, NLFAM_MSG_ECHO, len, 0);
	if (!nlh)
		return nlfam_reply_full(skb, NULL, extack);
	memcpy(nlmsg_data(nlh), nlmsg_data(req->nlh), len);
	return 0;
}

static int nlfam_publish(struct nlfam_req *req, struct netlink_ext_ack *extack)
{
	const struct nlattr *tb[NLFAM_A_MAX + 1];
	const struct nlattr *payload;
	struct nlmsghdr *nlh;
	struct sk_buff *skb;
	size_t size;
	u32 group;
	int err;

	if (!nlfam_admin(req)) {
		NL_SET_ERR_MSG(extack, "CAP_NET_ADMIN is required to publish");
		return -EPERM;
	}
	err = nlfam_parse(req->nlh, nlfam_policy_publish, tb, extack);
	if (err)
		return err;
	if (!tb[NLFAM_A_GROUP]) {
		NL_SET_ERR_MSG(extack, "GROUP attribute is required");
		NL_SET_ERR_ATTR_MISS(extack, NULL, NLFAM_A_GROUP);
		return -EINVAL;
	}
	/* Required attributes before the range check, as for SET. */
	payload = tb[NLFAM_A_PAYLOAD];
	if (!payload) {
		NL_SET_ERR_MSG(extack, "PAYLOAD attribute is required");
		NL_SET_ERR_ATTR_MISS(extack, NULL, NLFAM_A_PAYLOAD);
		return -EINVAL;
	}
	group = nla_get_u32(tb[NLFAM_A_GROUP]);
	if (group < NLFAM_GRP_PUBLISH_MIN || group > NLFAM_GROUPS) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NLFAM_A_GROUP],
				    "GROUP must be 3-32 (1 and 2 belong to the kernel)");
		return -ERANGE;
	}
	if (!netlink_has_listeners(req->sk, group))
		return 0;

	size = nlmsg_total_size(nla_total_size(nla_len(payload)) +
				3 * nla_total_size(sizeof(u32)) +
				nla_total_size(sizeof(u64)));
	skb = alloc_skb(size, GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	nlh = nlmsg_put(skb, 0, 0, NLFAM_MSG_PUBLISH, 0, 0);
	if (!nlh ||
	    nla_put_u32(skb, NLFAM_A_GROUP, group) ||
	    nla_put(skb, NLFAM_A_PAYLOAD, nla_len(payload), nla_data(payload)) ||
	    nla_put_u32(skb, NLFAM_A_PORTID, NETLINK_CB(req->skb).portid) ||
	    nla_put_u32(skb, NLFAM_A_UID,
			from_kuid_munged(sock_net(req->sk)->user_ns,
					 NETLINK_CB(req->skb).creds.uid)) ||
	    nlfam_put_u64(skb, NLFAM_A_TIMESTAMP_NS, ktime_get_real_ns())) {
		kfree_skb(skb);
		NL_SET_ERR_MSG(extack, "event does not fit its buffer");
		return -EMSGSIZE;
	}
	nlmsg_end(skb, nlh);
	nlfam_broadcast(req, skb, group);
	return 0;
}

/* What nlfam_count_receiver counts: receivers in net. */
struct nlfam_count {
	struct net *net;
	u32 n;
};

/* Counts a socket of the namespace being counted; drops the copy (nobody receives it). */
static int nlfam_count_receiver(struct sock *dsk, struct sk_buff *skb, void *data)
{
	struct nlfam_count *c = data;

	if (net_eq(sock_net(dsk), c->net))
		c->n++;
	return 1;
}

/*
 * Sockets of this namespace that a multicast to each group is offered to, counted with
 * the core's own multicast walk (with interrupts on, as every event's), as the Rust
 * module does (rust/netlink/membership.rs): an unshared skb per listened group, offered
 * to each subscriber and dropped by the filter.
 */
static int nlfam_subscribers(struct sock *sk, u32 *counts)
{
	unsigned int g;

	for (g = 1; g <= NLFAM_GROUPS; g++) {
		struct nlfam_count c = { .net = sock_net(sk) };
		struct sk_buff *skb;

		if (!netlink_has_listeners(sk, g))
			continue;
		/* Not empty: 7.x's netlink_trim() asserts a length (skb_assert_len). */
		skb = alloc_skb(NLMSG_HDRLEN, GFP_KERNEL);
		if (!skb)
			return -ENOMEM;
		skb_put_zero(skb, NLMSG_HDRLEN);
		netlink_broadcast_filtered(sk, skb, 0, g, GFP_KERNEL,
					   nlfam_count_receiver, &c);
		counts[g - 1] = c.n;
	}
	return 0;
}

static int nlfam_stats(struct nlfam_req *req, struct netlink_ext_ack *extack)
{
	u32 subscribers[NLFAM_GROUPS] = {};
	const struct nlattr *tb[NLFAM_A_MAX + 1];
	struct nlmsghdr *nlh = NULL;
	struct sk_buff *skb;
	struct nlattr *nest;
	u32 entries;
	int err;
	u32 g;

	err = nlfam_require_reader(req, extack);
	if (err)
		return err;
	err = nlfam_parse(req->nlh, nlfam_policy_none, tb, extack);
	if (err)
		return err;
	mutex_lock(&nlfam.lock);
	entries = nlfam.entries;
	mutex_unlock(&nlfam.lock);
	err = nlfam_subscribers(req->sk, subscribers);
	if (err)
		return err;

	skb = nlfam_reply_skb(req, NLFAM_STATS_SIZE);
	if (IS_ERR(skb))
		return PTR_ERR(skb);
	nlh = nlmsg_put(skb, 0, req->nlh->nlmsg_seq, NLFAM_MSG_STATS, 0, 0);
	if (!nlh ||
	    nla_put_u32(skb, NLFAM_A_FAMILY, family) ||
	    nlfam_put_u64(skb, NLFAM_A_STAT_RX, atomic64_read(&nlfam.rx)) ||
	    nlfam_put_u64(skb, NLFAM_A_STAT_TX, atomic64_read(&nlfam.tx)) ||
	    nlfam_put_u64(skb, NLFAM_A_STAT_ERRORS, atomic64_read(&nlfam.errors)) ||
	    nlfam_put_u64(skb, NLFAM_A_STAT_DROPPED, atomic64_read(&nlfam.dropped)) ||
	    nlfam_put_u64(skb, NLFAM_A_STAT_NOTIFICATIONS,
			  atomic64_read(&nlfam.notifications)) ||
	    nla_put_u32(skb, NLFAM_A_PERIOD_MS, 0) ||	/* no heartbeat */
	    nla_put_u32(skb, NLFAM_A_STAT_ENTRIES, entries))
		return nlfam_reply_full(skb, nlh, extack);
	/* Subscribing sockets per group, for the groups that have any. */
	nest = nla_nest_start(skb, NLFAM_A_STAT_SUBSCRIBERS);
	if (!nest)
		return nlfam_reply_full(skb, nlh, extack);
	for (g = 1; g <= NLFAM_GROUPS; g++) {
		if (subscribers[g - 1] && nla_put_u32(skb, g, subscribers[g - 1]))
			return nlfam_reply_full(skb, nlh, extack);
	}
	nla_nest_end(skb, nest);
	nlmsg_end(skb, nlh);
	return 0;
}

/* ---- Input ---- */

static int nlfam_handle(struct nlfam_req *req, struct netlink_ext_ack *extack)
{
	u16 type = req->nlh->nlmsg_type;
	int err;

	atomic64_inc(&nlfam.rx);
	switch (type) {
	case NLFAM_MSG_ECHO:
		err = nlfam_echo(req, extack);
		break;
	case NLFAM_MSG_KV_SET:
		err = nlfam_set(req, extack);
		break;
	case NLFAM_MSG_KV_GET:
		err = nlfam_get(req, extack);
		break;
	case NLFAM_MSG_KV_DEL:
		err = nlfam_del(req, extack);
		break;
	case NLFAM_MSG_PUBLISH:
		err = nlfam_publish(req, extack);
		break;
	case NLFAM_MSG_STATS:
		err = nlfam_stats(req, extack);
		break;
	default:	/* CONFIG and HEARTBEAT included: not implemented here */
		NL_SET_ERR_MSG(extack, "unknown message type for this family");
		err = -EOPNOTSUPP;
		break;
	}
	if (!err) {
		if (type == NLFAM_MSG_ECHO || type == NLFAM_MSG_KV_GET ||
		    type == NLFAM_MSG_STATS)
			atomic64_inc(&nlfam.tx);
	} else if (err != -EINTR) {
		atomic64_inc(&nlfam.errors);
	}
	return err;
}

/* An ACK without extended ACK attributes: header, errno, the request's header. */
#define NLFAM_ACK_SPACE		(NLMSG_HDRLEN + sizeof(int) + NLMSG_HDRLEN)

/*
 * The next message of a datagram at @off, or NULL at its end or at a header
 * netlink_rcv_skb() would stop at (short, nlmsg_len too small or too large).
 */
static struct nlmsghdr *nlfam_next(const struct sk_buff *skb, u32 off)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(skb->data + off);

	if (skb->len - off < NLMSG_HDRLEN || nlh->nlmsg_len < NLMSG_HDRLEN ||
	    nlh->nlmsg_len > skb->len - off)
		return NULL;
	return nlh;
}

static u32 nlfam_step(const struct sk_buff *skb, u32 off, const struct nlmsghdr *nlh)
{
	return off + min(NLMSG_ALIGN(nlh->nlmsg_len), skb->len - off);
}

/* What the answers to a request may take: as much as the request, and an ACK. */
static size_t nlfam_answer_space(const struct nlmsghdr *nlh, size_t *ack)
{
	*ack = (nlh->nlmsg_flags & NLM_F_ACK) ? NLFAM_ACK_SPACE : 0;
	return NLMSG_ALIGN((size_t)nlh->nlmsg_len);
}

/*
 * The input callback: netlink_rcv_skb's walk, with an end-of-datagram hook.
 * A malformed header ends the walk silently; control messages and
 * non-requests are skipped (ACKed on NLM_F_ACK); errors are always answered.
 *
 * With batch_acks, ACKs and errors join the batch, and a new batch skb is
 * sized for the answers expected to the rest of the datagram (a first walk
 * over the headers); without, they go through netlink_ack() after a flush, and
 * a new skb is sized for the bytes of the datagram after the request.
 */
static void nlfam_input(struct sk_buff *skb)
{
	struct nlfam_replies replies = {
		.sk = skb->sk,
		.portid = NETLINK_CB(skb).portid,
	};
	struct netlink_ext_ack extack = {};
	struct nlmsghdr *nlh;
	size_t later = 0, ack_space;
	u32 off;

	if (batch_acks) {
		for (off = 0; (nlh = nlfam_next(skb, off)); off = nlfam_step(skb, off, nlh))
			later += nlfam_answer_space(nlh, &ack_space) + ack_space;
	}
	for (off = 0; (nlh = nlfam_next(skb, off)); off = nlfam_step(skb, off, nlh)) {
		size_t rest, answer = nlfam_answer_space(nlh, &ack_space);
		int err = 0;

		if (batch_acks) {
			later -= answer + ack_space;
			rest = later + ack_space;
		} else {
			rest = skb->len - off - nlh->nlmsg_len;
		}
		if ((nlh->nlmsg_flags & NLM_F_REQUEST) &&
		    nlh->nlmsg_type >= NLMSG_MIN_TYPE) {
			struct nlfam_req req = {
				.sk = skb->sk,
				.skb = skb,
				.nlh = nlh,
				.replies = &replies,
				.rest = rest,
			};

			err = nlfam_handle(&req, &extack);
		}
		if (err == -EINTR || (!err && !(nlh->nlmsg_flags & NLM_F_ACK)))
			continue;
		if (batch_acks) {
			nlfam_ack(&replies, skb, nlh, later, err, &extack);
		} else {
			nlfam_replies_flush(&replies);
			netlink_ack(skb, nlh, err, &extack);
		}
		if (err)
			memset(&extack, 0, sizeof(extack));
	}
	nlfam_replies_flush(&replies);
	if (replies.lost)
		atomic64_add(replies.lost, &nlfam.dropped);
}

/* ---- Module ---- */

static int __init nlfam_param_range(const char *name, unsigned int v,
				    unsigned int lo, unsigned int hi)
{
	if (v >= lo && v <= hi)
		return 0;
	pr_err("%s=%u is out of range %u-%u\n", name, v, lo, hi);
	return -EINVAL;
}

static int __init nlfam_init(void)
{
	struct netlink_kernel_cfg cfg = {
		.groups = NLFAM_GROUPS,
		.flags = nonroot ? NL_CFG_F_NONROOT_RECV : 0,
		.input = nlfam_input,
	};

	if (family < NLFAM_FAMILY_MIN || family > NLFAM_FAMILY_MAX) {
		pr_err("family=%d is out of range: netlink families %d-%d are free for private use\n",
		       family, NLFAM_FAMILY_MIN, NLFAM_FAMILY_MAX);
		return -EINVAL;
	}
	if (nlfam_param_range("max_key_len", max_key_len, 1, NLFAM_KEY_LEN_MAX) ||
	    nlfam_param_range("max_value_len", max_value_len, 0, NLFAM_VALUE_LEN_MAX) ||
	    nlfam_param_range("max_entries", max_entries, 1, NLFAM_ENTRIES_MAX))
		return -EINVAL;

	nlfam.sk = netlink_kernel_create(&init_net, family, &cfg);
	if (!nlfam.sk) {
		pr_err("netlink family %d is already registered by someone else\n", family);
		return -EBUSY;
	}
	pr_info("registered netlink family %d with %d multicast groups\n",
		family, NLFAM_GROUPS);
	return 0;
}

static void __exit nlfam_exit(void)
{
	pr_info("releasing netlink family %d\n", family);
	/* User sockets pin the module: no input callback or dump can run now. */
	netlink_kernel_release(nlfam.sk);
	nlfam_store_free();
}

module_init(nlfam_init);
module_exit(nlfam_exit);

MODULE_AUTHOR("nlfam developers");
MODULE_DESCRIPTION("nlfam wire protocol in C: reference for benchmarks against the Rust module");
MODULE_LICENSE("GPL");
