//! The raw netlink socket: the only `unsafe` of the client, each call a thin, checked
//! wrapper over one libc function.

use std::io;
use std::mem::{size_of, zeroed};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

fn check(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

fn check_len(r: libc::ssize_t) -> io::Result<usize> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r as usize)
    }
}

/// `socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, family)`.
pub fn socket(family: u32) -> io::Result<OwnedFd> {
    // SAFETY: plain syscall; on success we own the new descriptor.
    let fd = check(unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            family as i32,
        )
    })?;
    // SAFETY: `fd` is a fresh descriptor nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn addr(portid: u32, groups: u32) -> libc::sockaddr_nl {
    // SAFETY: `sockaddr_nl` is plain data; all-zero is valid.
    let mut a: libc::sockaddr_nl = unsafe { zeroed() };
    a.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    a.nl_pid = portid;
    a.nl_groups = groups;
    a
}

/// `bind()` with port id 0 (the kernel picks one) and a legacy group mask.
pub fn bind(fd: RawFd, groups: u32) -> io::Result<()> {
    bind_to(fd, 0, groups)
}

/// `bind()` to `portid` with a legacy group mask (bit N-1 = group N). A bound socket
/// binds again to its own port id to change the mask.
pub fn bind_to(fd: RawFd, portid: u32, groups: u32) -> io::Result<()> {
    let a = addr(portid, groups);
    // SAFETY: `a` is a valid `sockaddr_nl` and the length matches it.
    check(unsafe {
        libc::bind(
            fd,
            (&a as *const libc::sockaddr_nl).cast(),
            size_of::<libc::sockaddr_nl>() as u32,
        )
    })?;
    Ok(())
}

/// The port id the kernel assigned (`getsockname`).
pub fn portid(fd: RawFd) -> io::Result<u32> {
    let mut a = addr(0, 0);
    let mut len = size_of::<libc::sockaddr_nl>() as libc::socklen_t;
    // SAFETY: `a` and `len` describe a writable `sockaddr_nl`.
    check(unsafe { libc::getsockname(fd, (&mut a as *mut libc::sockaddr_nl).cast(), &mut len) })?;
    Ok(a.nl_pid)
}

/// `setsockopt(SOL_NETLINK, opt, u32)`.
pub fn set_opt(fd: RawFd, level: i32, opt: i32, val: u32) -> io::Result<()> {
    // SAFETY: the option value is a live `u32` of the given size.
    check(unsafe {
        libc::setsockopt(
            fd,
            level,
            opt,
            (&val as *const u32).cast(),
            size_of::<u32>() as u32,
        )
    })?;
    Ok(())
}

/// Sets `SO_RCVBUF` (or `SO_RCVBUFFORCE` when privileged, to exceed `rmem_max`).
pub fn set_rcvbuf(fd: RawFd, bytes: u32) -> io::Result<()> {
    set_opt(fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, bytes)
        .or_else(|_| set_opt(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, bytes))
}

/// Sets a receive timeout (`SO_RCVTIMEO`); `None` blocks forever.
pub fn set_rcvtimeo(fd: RawFd, timeout: Option<std::time::Duration>) -> io::Result<()> {
    let d = timeout.unwrap_or_default();
    let tv = libc::timeval {
        tv_sec: d.as_secs() as libc::time_t,
        tv_usec: d.subsec_micros() as libc::suseconds_t,
    };
    // SAFETY: `tv` is a live `timeval` of the given size.
    check(unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&tv as *const libc::timeval).cast(),
            size_of::<libc::timeval>() as u32,
        )
    })?;
    Ok(())
}

/// Sends one datagram to the kernel with a plain `send()`: an unconnected netlink
/// socket's default destination is port id 0, and the host tests' fake kernel (a Unix
/// socket pair) receives it too.
pub fn send(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is readable for its length.
    check_len(unsafe { libc::send(fd, buf.as_ptr().cast(), buf.len(), 0) })
}

/// Sends one datagram to port id `portid` (0 is the kernel), the address given.
pub fn send_to(fd: RawFd, buf: &[u8], portid: u32) -> io::Result<usize> {
    let a = addr(portid, 0);
    // SAFETY: `buf` is readable for its length; `a` is a valid address of the given size.
    check_len(unsafe {
        libc::sendto(
            fd,
            buf.as_ptr().cast(),
            buf.len(),
            0,
            (&a as *const libc::sockaddr_nl).cast(),
            size_of::<libc::sockaddr_nl>() as u32,
        )
    })
}

/// Who sent a received datagram (`recvmsg`'s source address).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Peer {
    /// Port id of the sender; 0 is the kernel.
    pub portid: u32,
    /// `nl_groups`: the bit of the multicast group it was sent to (groups 1-32), 0 for a
    /// unicast.
    pub groups: u32,
}

/// Receives one datagram into `buf` with `flags`; returns the datagram's real length
/// (which exceeds `buf.len()` when `MSG_TRUNC` is in `flags` and it did not fit) and its
/// sender. A source address that is not `AF_NETLINK` (the tests' Unix socket) reads as a
/// unicast from the kernel.
pub fn recv_from(fd: RawFd, buf: &mut [u8], flags: i32) -> io::Result<(usize, Peer)> {
    let mut a = addr(0, 0);
    a.nl_family = 0;
    let mut len = size_of::<libc::sockaddr_nl>() as libc::socklen_t;
    // SAFETY: `buf` is writable for its length, `a` for `len` bytes.
    let n = check_len(unsafe {
        libc::recvfrom(
            fd,
            buf.as_mut_ptr().cast(),
            buf.len(),
            flags,
            (&mut a as *mut libc::sockaddr_nl).cast(),
            &mut len,
        )
    })?;
    let peer = if a.nl_family == libc::AF_NETLINK as libc::sa_family_t {
        Peer {
            portid: a.nl_pid,
            groups: a.nl_groups,
        }
    } else {
        Peer::default()
    };
    Ok((n, peer))
}

/// Whether `fd` becomes readable within `timeout_ms` (`poll`).
pub fn poll_readable(fd: &impl AsRawFd, timeout_ms: i32) -> io::Result<bool> {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid `pollfd`.
    let r = check(unsafe { libc::poll(&mut p, 1, timeout_ms) })?;
    Ok(r > 0)
}
