//! The nlfam family protocol: family numbers, message types, attributes, multicast
//! groups, limits and per-message policies. `docs/protocol.md` describes these; the YNL
//! spec `spec/nlfam.yaml` is checked against them by a host test.

use crate::proto::policy::Kind;

/// Lowest family number `netlink_kernel_create()` leaves to private users.
pub const FAMILY_MIN: u32 = 23;
/// Highest family number (`MAX_LINKS - 1`).
pub const FAMILY_MAX: u32 = 31;
/// The family the module registers when given none.
pub const FAMILY_DEFAULT: u32 = 25;
/// Most families one module instance serves (all of 23..=31).
pub const FAMILIES_MAX: usize = (FAMILY_MAX - FAMILY_MIN + 1) as usize;
/// Multicast groups per family (group N is bit N-1 of `nl_groups`).
pub const GROUPS: u32 = 32;

/// Whether `n` is a family number nlfam may register.
pub const fn family_in_range(n: i64) -> bool {
    n >= FAMILY_MIN as i64 && n <= FAMILY_MAX as i64
}

/// Message types (`nlmsg_type`), all at or above `NLMSG_MIN_TYPE`.
pub mod msg {
    /// Echo: the payload comes back verbatim, in a message of the same type.
    pub const ECHO: u16 = 0x10;
    /// Store a key/value pair; also the type of GET answers, dump entries and set
    /// notifications (as `RTM_NEWLINK` answers `RTM_GETLINK`).
    pub const KV_SET: u16 = 0x11;
    /// Look up one key, or dump the store with `NLM_F_DUMP`.
    pub const KV_GET: u16 = 0x12;
    /// Delete a key; also the type of delete notifications.
    pub const KV_DEL: u16 = 0x13;
    /// Publish a payload to a multicast group; also the type of the delivered event.
    pub const PUBLISH: u16 = 0x14;
    /// Kernel-originated periodic event on the heartbeat group.
    pub const HEARTBEAT: u16 = 0x15;
    /// Read the family's counters; the answer has the same type.
    pub const STATS: u16 = 0x16;
    /// Change run-time configuration (heartbeat period).
    pub const CONFIG: u16 = 0x17;

    /// Every message type with its name (the names `docs/protocol.md` and the YNL spec use).
    pub const ALL: [(&str, u16); 8] = [
        ("echo", ECHO),
        ("kv-set", KV_SET),
        ("kv-get", KV_GET),
        ("kv-del", KV_DEL),
        ("publish", PUBLISH),
        ("heartbeat", HEARTBEAT),
        ("stats", STATS),
        ("config", CONFIG),
    ];

    /// The symbolic name of a message type.
    pub fn name(ty: u16) -> Option<&'static str> {
        ALL.iter().find(|(_, t)| *t == ty).map(|(n, _)| *n)
    }
}

/// Attribute types (one attribute space for all messages).
pub mod attr {
    /// Key: NUL-terminated string.
    pub const KEY: u16 = 1;
    /// Value: opaque bytes.
    pub const VALUE: u16 = 2;
    /// Port id of the request's sender (in notifications and published events).
    pub const PORTID: u16 = 3;
    /// Sequence number of the request that caused a notification.
    pub const SEQ: u16 = 4;
    /// Multicast group number, 1..=32.
    pub const GROUP: u16 = 5;
    /// Published payload: opaque bytes.
    pub const PAYLOAD: u16 = 6;
    /// Uid of a publisher (in the sender's user namespace as seen by the family's netns).
    pub const UID: u16 = 7;
    /// `ktime_get_real_ns()` when the kernel stamped the event, u64.
    pub const TIMESTAMP_NS: u16 = 8;
    /// Heartbeat counter, u64.
    pub const COUNTER: u16 = 9;
    /// Heartbeat period in milliseconds (0 = off), u32.
    pub const PERIOD_MS: u16 = 10;
    /// Requests received, u64.
    pub const STAT_RX: u16 = 11;
    /// Answers and events sent, u64.
    pub const STAT_TX: u16 = 12;
    /// Requests answered with an error, u64.
    pub const STAT_ERRORS: u16 = 13;
    /// Messages that could not be delivered (ENOBUFS, no memory), u64.
    pub const STAT_DROPPED: u16 = 14;
    /// Notifications and events multicast, u64.
    pub const STAT_NOTIFICATIONS: u16 = 15;
    /// Entries in the store, u32.
    pub const STAT_ENTRIES: u16 = 16;
    /// Nest: one u32 attribute per multicast group that has subscribers; its type is the
    /// group number and its value the number of subscribed sockets.
    pub const STAT_SUBSCRIBERS: u16 = 17;
    /// Family number, u32.
    pub const FAMILY: u16 = 18;
    /// Highest attribute type.
    pub const MAX: u16 = 18;

    /// Every attribute with its name (the names `docs/protocol.md` and the YNL spec use).
    pub const ALL: [(&str, u16); MAX as usize] = [
        ("key", KEY),
        ("value", VALUE),
        ("portid", PORTID),
        ("seq", SEQ),
        ("group", GROUP),
        ("payload", PAYLOAD),
        ("uid", UID),
        ("timestamp-ns", TIMESTAMP_NS),
        ("counter", COUNTER),
        ("period-ms", PERIOD_MS),
        ("stat-rx", STAT_RX),
        ("stat-tx", STAT_TX),
        ("stat-errors", STAT_ERRORS),
        ("stat-dropped", STAT_DROPPED),
        ("stat-notifications", STAT_NOTIFICATIONS),
        ("stat-entries", STAT_ENTRIES),
        ("stat-subscribers", STAT_SUBSCRIBERS),
        ("family", FAMILY),
    ];
}

/// Multicast groups. Groups not listed are free for PUBLISH.
pub mod group {
    /// Key/value change notifications.
    pub const KV: u32 = 1;
    /// Kernel heartbeat events.
    pub const HEARTBEAT: u32 = 2;
    /// Lowest group a user may PUBLISH to.
    pub const PUBLISH_MIN: u32 = 3;
    /// The name of a group (YNL spec and CLI use these).
    pub fn name(g: u32) -> Option<&'static str> {
        match g {
            KV => Some("kv"),
            HEARTBEAT => Some("heartbeat"),
            PUBLISH_MIN..=super::GROUPS => Some("publish"),
            _ => None,
        }
    }
}

/// Limits: defaults of the module parameters and the hard ceilings they may not exceed.
pub mod limits {
    /// Default longest key (bytes, NUL excluded).
    pub const KEY_LEN_DEFAULT: u32 = 256;
    /// Ceiling for `max_key_len`.
    pub const KEY_LEN_MAX: u32 = 1024;
    /// Default longest value (bytes).
    pub const VALUE_LEN_DEFAULT: u32 = 4096;
    /// Ceiling for `max_value_len`: one attribute's payload must fit `nla_len` (u16).
    pub const VALUE_LEN_MAX: u32 = 65_000;
    /// Default most entries per family and namespace.
    pub const ENTRIES_DEFAULT: u32 = 65_536;
    /// Ceiling for `max_entries`.
    pub const ENTRIES_MAX: u32 = 4_194_304;
    /// Default most bytes of keys and values per family and namespace (256 MiB).
    pub const BYTES_DEFAULT: u32 = 268_435_456;
    /// Ceiling for `max_bytes` and `userns_max_bytes`.
    pub const BYTES_MAX: u32 = u32::MAX;
    /// Default `userns_max_entries`: namespaces owned by a user namespace other than the
    /// initial one (any user can create those) get a much smaller store.
    pub const USERNS_ENTRIES_DEFAULT: u32 = 1024;
    /// Default `userns_max_bytes` (1 MiB).
    pub const USERNS_BYTES_DEFAULT: u32 = 1_048_576;
    /// Default `userns_min_period_ms`: the shortest heartbeat in such namespaces.
    pub const USERNS_PERIOD_MS_MIN_DEFAULT: u32 = 1000;
    /// Default `userns_max_heartbeats`: heartbeats armed at once, over all such namespaces.
    pub const USERNS_HEARTBEATS_DEFAULT: u32 = 16;
    /// Ceiling for `userns_max_heartbeats`.
    pub const USERNS_HEARTBEATS_MAX: u32 = 4096;
    /// Longest PUBLISH payload.
    pub const PAYLOAD_LEN_MAX: u32 = 65_000;
    /// Longest heartbeat period (one day).
    pub const PERIOD_MS_MAX: u32 = 86_400_000;
    /// Shortest non-zero heartbeat period.
    pub const PERIOD_MS_MIN: u32 = 10;
}

/// One policy slot per attribute type, 0..=`attr::MAX`.
pub type Policy = [Kind; attr::MAX as usize + 1];

const fn only(entries: &[(u16, Kind)]) -> Policy {
    let mut p = [Kind::Reject; attr::MAX as usize + 1];
    let mut i = 0;
    while i < entries.len() {
        p[entries[i].0 as usize] = entries[i].1;
        i += 1;
    }
    p
}

const KEY: (u16, Kind) = (
    attr::KEY,
    Kind::String {
        max: limits::KEY_LEN_MAX as usize,
    },
);

/// KV_SET: KEY and VALUE (both required).
pub const POLICY_KV_SET: Policy = only(&[
    KEY,
    (
        attr::VALUE,
        Kind::Binary {
            min: 0,
            max: limits::VALUE_LEN_MAX as usize,
        },
    ),
]);
/// KV_GET and KV_DEL: KEY (required, except for a dump).
pub const POLICY_KEY_ONLY: Policy = only(&[KEY]);
/// PUBLISH: GROUP and PAYLOAD (both required).
pub const POLICY_PUBLISH: Policy = only(&[
    (attr::GROUP, Kind::U32),
    (
        attr::PAYLOAD,
        Kind::Binary {
            min: 0,
            max: limits::PAYLOAD_LEN_MAX as usize,
        },
    ),
]);
/// CONFIG: PERIOD_MS (required).
pub const POLICY_CONFIG: Policy = only(&[(attr::PERIOD_MS, Kind::U32)]);
/// STATS: no attributes.
pub const POLICY_NONE: Policy = only(&[]);

/// Who may send a request type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone who can open the socket.
    Anyone,
    /// `CAP_NET_ADMIN` over the family's network namespace, or anyone when the module was
    /// loaded with `nonroot=1`.
    Reader,
    /// `CAP_NET_ADMIN` over the family's network namespace; the text is the extended
    /// ACK's message when it is missing.
    Admin(&'static str),
}

/// What a request carries after its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload {
    /// Bytes, taken as they are (ECHO).
    Raw,
    /// Attributes, validated against the policy before the handler runs.
    Attrs(&'static Policy),
}

/// One request type of the protocol, as data: the kernel enforces all of it before the
/// type's handler runs (genetlink's `struct genl_ops` in spirit), and `docs/protocol.md`
/// and the YNL spec are checked against it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Op {
    /// Its `nlmsg_type` (one of [`msg`]).
    pub ty: u16,
    /// Who may send it.
    pub access: Access,
    /// What follows the header.
    pub payload: Payload,
    /// Attributes a request must carry, a dump request excepted, with the extended ACK's
    /// message when one is missing (`-EINVAL` with `NLMSGERR_ATTR_MISS_TYPE`).
    pub required: &'static [(u16, &'static str)],
    /// `NLM_F_DUMP` makes it a dump of the store.
    pub dump: bool,
    /// A successful request that is not a dump is answered with one data message before
    /// any ACK (what `stat-tx` counts).
    pub answers: bool,
}

const CHANGE_STORE: Access = Access::Admin("CAP_NET_ADMIN is required to change the store");

/// Every request type. HEARTBEAT is not one: only the kernel sends it, and a request of
/// that type (or of any type not listed) is refused with `EOPNOTSUPP`.
pub const OPS: [Op; 7] = [
    Op {
        ty: msg::ECHO,
        access: Access::Anyone,
        payload: Payload::Raw,
        required: &[],
        dump: false,
        answers: true,
    },
    Op {
        ty: msg::KV_SET,
        access: CHANGE_STORE,
        payload: Payload::Attrs(&POLICY_KV_SET),
        required: &[
            (attr::KEY, "KEY attribute is required"),
            (attr::VALUE, "VALUE attribute is required"),
        ],
        dump: false,
        answers: false,
    },
    Op {
        ty: msg::KV_GET,
        access: Access::Reader,
        payload: Payload::Attrs(&POLICY_KEY_ONLY),
        required: &[(attr::KEY, "KEY attribute is required")],
        dump: true,
        answers: true,
    },
    Op {
        ty: msg::KV_DEL,
        access: CHANGE_STORE,
        payload: Payload::Attrs(&POLICY_KEY_ONLY),
        required: &[(attr::KEY, "KEY attribute is required")],
        dump: false,
        answers: false,
    },
    Op {
        ty: msg::PUBLISH,
        access: Access::Admin("CAP_NET_ADMIN is required to publish"),
        payload: Payload::Attrs(&POLICY_PUBLISH),
        required: &[
            (attr::GROUP, "GROUP attribute is required"),
            (attr::PAYLOAD, "PAYLOAD attribute is required"),
        ],
        dump: false,
        answers: false,
    },
    Op {
        ty: msg::STATS,
        access: Access::Reader,
        payload: Payload::Attrs(&POLICY_NONE),
        required: &[],
        dump: false,
        answers: true,
    },
    Op {
        ty: msg::CONFIG,
        access: Access::Admin("CAP_NET_ADMIN is required to change the configuration"),
        payload: Payload::Attrs(&POLICY_CONFIG),
        required: &[(attr::PERIOD_MS, "PERIOD_MS attribute is required")],
        dump: false,
        answers: true,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_are_unique_and_consistent_with_their_policies() {
        for (i, o) in OPS.iter().enumerate() {
            assert!(msg::name(o.ty).is_some(), "{:#x} has no name", o.ty);
            assert!(OPS[..i].iter().all(|p| p.ty != o.ty), "{:#x} twice", o.ty);
            assert_ne!(o.ty, msg::HEARTBEAT, "HEARTBEAT is kernel-only");
            for (a, _) in o.required {
                match o.payload {
                    Payload::Attrs(p) => assert_ne!(p[*a as usize], Kind::Reject),
                    Payload::Raw => panic!("{:#x}: a raw payload has no attributes", o.ty),
                }
            }
        }
        // Every message type but the kernel's own heartbeat is a request.
        assert_eq!(OPS.len(), msg::ALL.len() - 1);
    }

    #[test]
    fn family_range_is_the_private_range() {
        assert!(!family_in_range(22));
        assert!(family_in_range(23));
        assert!(family_in_range(31));
        assert!(!family_in_range(32));
        assert!(!family_in_range(-25));
        assert_eq!(FAMILIES_MAX, 9);
    }

    #[test]
    fn policies_reject_what_they_do_not_name() {
        assert_eq!(POLICY_KV_SET[attr::KEY as usize], KEY.1);
        assert_eq!(POLICY_KV_SET[attr::GROUP as usize], Kind::Reject);
        assert_eq!(POLICY_KV_SET[0], Kind::Reject);
        assert_eq!(
            POLICY_NONE.iter().filter(|k| **k != Kind::Reject).count(),
            0
        );
    }

    #[test]
    fn names() {
        assert_eq!(msg::name(msg::ECHO), Some("echo"));
        assert_eq!(msg::name(0x2), None);
        assert_eq!(group::name(1), Some("kv"));
        assert_eq!(group::name(32), Some("publish"));
        assert_eq!(group::name(33), None);
        assert_eq!(group::name(0), None);
    }

    #[test]
    fn limits_fit_the_wire() {
        assert!(
            limits::VALUE_LEN_MAX as usize + crate::proto::attr::NLA_HDRLEN <= u16::MAX as usize
        );
        assert!(
            limits::PAYLOAD_LEN_MAX as usize + crate::proto::attr::NLA_HDRLEN <= u16::MAX as usize
        );
    }
}
