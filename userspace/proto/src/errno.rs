//! The errno values the protocol answers with (Linux x86_64/generic numbering).
//!
//! Kept here so the kernel and userspace agree on what each refusal means without either
//! side depending on libc or on the other's headers.

/// Operation not permitted: a capability check failed.
pub const EPERM: i32 = 1;
/// No such key.
pub const ENOENT: i32 = 2;
/// Interrupted: used internally for "a dump was started, no ACK now".
pub const EINTR: i32 = 4;
/// Out of memory.
pub const ENOMEM: i32 = 12;
/// Busy: a family number is already registered.
pub const EBUSY: i32 = 16;
/// The key exists and `NLM_F_EXCL` was given.
pub const EEXIST: i32 = 17;
/// Invalid argument: a malformed request or attribute.
pub const EINVAL: i32 = 22;
/// A store limit (entries) would be exceeded.
pub const ENOSPC: i32 = 28;
/// A value is out of range (e.g. a group number).
pub const ERANGE: i32 = 34;
/// A message or attribute is too long for a limit.
pub const EMSGSIZE: i32 = 90;
/// Protocol not supported: the family is not registered.
pub const EPROTONOSUPPORT: i32 = 93;
/// The message type is not supported by this family.
pub const EOPNOTSUPP: i32 = 95;
/// The receiver's buffer overflowed: messages were dropped.
pub const ENOBUFS: i32 = 105;
/// No such process/listener (netlink: no one to deliver to).
pub const ESRCH: i32 = 3;
/// Resource temporarily unavailable.
pub const EAGAIN: i32 = 11;
/// No data: the socket layer's answer to an empty datagram.
pub const ENODATA: i32 = 61;

/// The symbolic name of an errno value, for messages users read.
pub fn name(errno: i32) -> Option<&'static str> {
    Some(match errno {
        EPERM => "EPERM",
        ENOENT => "ENOENT",
        ESRCH => "ESRCH",
        EINTR => "EINTR",
        EAGAIN => "EAGAIN",
        ENOMEM => "ENOMEM",
        EBUSY => "EBUSY",
        EEXIST => "EEXIST",
        EINVAL => "EINVAL",
        ENOSPC => "ENOSPC",
        ERANGE => "ERANGE",
        EMSGSIZE => "EMSGSIZE",
        EPROTONOSUPPORT => "EPROTONOSUPPORT",
        EOPNOTSUPP => "EOPNOTSUPP",
        ENOBUFS => "ENOBUFS",
        ENODATA => "ENODATA",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_constants() {
        assert_eq!(name(EOPNOTSUPP), Some("EOPNOTSUPP"));
        assert_eq!(name(EEXIST), Some("EEXIST"));
        assert_eq!(name(0), None);
        assert_eq!(name(-22), None);
    }
}
