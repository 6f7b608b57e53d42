//! Errors of the client.

use nlfam_proto::errno;
use nlfam_proto::wire::{DoneMsg, ErrorMsg, ExtAck, Msg, NLMSG_DONE, NLMSG_ERROR, NLMSG_OVERRUN};
use std::fmt;
use std::io;

/// What went wrong talking to a family.
#[derive(Debug)]
pub enum Error {
    /// A system call failed.
    Io(io::Error),
    /// The kernel refused the request: `NLMSG_ERROR` (or `NLMSG_DONE`) with a negative
    /// errno and, when the kernel gave one, an extended ACK.
    Kernel {
        /// Positive errno.
        errno: i32,
        /// `NLMSGERR_ATTR_MSG`.
        msg: Option<String>,
        /// `NLMSGERR_ATTR_OFFS`: offset of the offending attribute in the request.
        offset: Option<u32>,
        /// `NLMSGERR_ATTR_MISS_TYPE`: a required attribute that was missing.
        missing: Option<u32>,
    },
    /// The socket's receive queue overflowed and messages were lost (`ENOBUFS`). For an
    /// event socket: re-read the state (e.g. dump) to resync.
    Overrun,
    /// The kernel answered something this client cannot make sense of.
    Protocol(String),
    /// No answer arrived in time.
    Timeout,
}

impl Error {
    /// The error a control message carries: `NLMSG_ERROR` or `NLMSG_DONE` with a negative
    /// errno ([`Error::Kernel`]), a short `NLMSG_ERROR`, `NLMSG_OVERRUN`. `None` for an
    /// ACK, a successful `NLMSG_DONE` and every other message. For callers that read
    /// datagrams themselves ([`crate::Socket::recv_datagram`]).
    pub fn of_answer(m: &Msg<'_>) -> Option<Error> {
        match m.hdr.ty {
            NLMSG_ERROR => match ErrorMsg::parse(m.payload, m.hdr.flags) {
                None => Some(Error::Protocol("short NLMSG_ERROR".into())),
                Some(e) => (e.error != 0).then(|| Error::kernel(e.error, &e.ext)),
            },
            NLMSG_DONE => {
                let d = DoneMsg::parse(m.payload, m.hdr.flags);
                (d.error != 0).then(|| Error::kernel(d.error, &d.ext))
            }
            NLMSG_OVERRUN => Some(Error::Overrun),
            _ => None,
        }
    }

    fn kernel(error: i32, ext: &ExtAck<'_>) -> Error {
        Error::Kernel {
            errno: error.saturating_neg(),
            msg: ext.msg.map(|m| String::from_utf8_lossy(m).into_owned()),
            offset: ext.offset,
            missing: ext.missing_type,
        }
    }

    /// The errno this error carries, if any.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Io(e) => e.raw_os_error(),
            Error::Kernel { errno, .. } => Some(*errno),
            Error::Overrun => Some(errno::ENOBUFS),
            _ => None,
        }
    }

    /// The symbolic errno name ("EINVAL"), if known.
    pub fn errno_name(&self) -> Option<&'static str> {
        self.errno().and_then(errno::name)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => {
                let name = e.raw_os_error().and_then(errno::name);
                match name {
                    Some(n) => write!(f, "{n}: {e}"),
                    None => write!(f, "{e}"),
                }
            }
            Error::Kernel {
                errno: e,
                msg,
                offset,
                missing,
            } => {
                let name = errno::name(*e)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("errno {e}"));
                write!(
                    f,
                    "{name}: {}",
                    io::Error::from_raw_os_error(*e)
                        .to_string()
                        .split(" (os error")
                        .next()
                        .unwrap_or("")
                )?;
                if let Some(m) = msg {
                    write!(f, ": {m}")?;
                }
                if let Some(o) = offset {
                    write!(f, " (attribute at offset {o})")?;
                }
                if let Some(t) = missing {
                    write!(f, " (missing attribute type {t})")?;
                }
                Ok(())
            }
            Error::Overrun => write!(f, "ENOBUFS: receive queue overflowed, messages were lost"),
            Error::Protocol(s) => write!(f, "protocol error: {s}"),
            Error::Timeout => write!(f, "timed out waiting for the kernel's answer"),
        }
    }
}

impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        if e.raw_os_error() == Some(errno::ENOBUFS) {
            Error::Overrun
        } else if matches!(
            e.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ) {
            Error::Timeout
        } else {
            Error::Io(e)
        }
    }
}
