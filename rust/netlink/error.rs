// SPDX-License-Identifier: GPL-2.0

//! Why a request failed: the errno for `NLMSG_ERROR` plus what the extended ACK reports.

use crate::proto::policy::AttrError;
use kernel::error::Error;

/// Errno values from the kernel's C headers, for the codes the `kernel` crate of 6.12 does
/// not name: each architecture's own numbers (not `crate::proto::errno`'s x86 ones).
pub(crate) mod errno {
    pub(crate) use kernel::bindings::{
        EMSGSIZE, ENOBUFS, ENOENT, ENOSPC, EOPNOTSUPP, EPERM, ERANGE, ESRCH,
    };
}

/// The kernel error for an [`errno`] value.
pub(crate) fn err(errno: u32) -> Error {
    // Errno values are small positive numbers (< 4096): the cast cannot wrap.
    Error::from_errno(-(errno as i32))
}

/// A refused request. Becomes an `NLMSG_ERROR` with `-errno`; `msg`, `offset` and
/// `missing` become the `NLMSGERR_ATTR_MSG`, `_OFFS` and `_MISS_TYPE` TLVs for sockets
/// that enabled `NETLINK_EXT_ACK`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Failure {
    /// The error.
    pub(crate) error: Error,
    /// Text for the user.
    pub(crate) msg: Option<&'static str>,
    /// Offset of the offending attribute from the start of the request's `nlmsghdr`.
    pub(crate) offset: Option<usize>,
    /// Type of a required attribute that is missing.
    pub(crate) missing: Option<u16>,
}

impl Failure {
    /// A failure with an explanation.
    pub(crate) fn new(error: Error, msg: &'static str) -> Self {
        Self {
            error,
            msg: Some(msg),
            offset: None,
            missing: None,
        }
    }

    /// A required attribute of type `ty` is missing (`-EINVAL`, as the kernel's
    /// `NL_REQ_ATTR_CHECK` answers).
    pub(crate) fn missing(ty: u16, msg: &'static str) -> Self {
        Self {
            error: kernel::error::code::EINVAL,
            msg: Some(msg),
            offset: None,
            missing: Some(ty),
        }
    }

    /// Blames the attribute at `offset` (from the start of the `nlmsghdr`), if known.
    pub(crate) fn at(mut self, offset: Option<usize>) -> Self {
        self.offset = offset;
        self
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self {
            error,
            msg: None,
            offset: None,
            missing: None,
        }
    }
}

impl From<AttrError> for Failure {
    fn from(e: AttrError) -> Self {
        Self {
            error: Error::from_errno(-e.errno),
            msg: Some(e.msg),
            offset: e.offset,
            missing: None,
        }
    }
}
