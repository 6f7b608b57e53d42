//! The three system calls the fault injection wraps one at a time (`failnth`): each is
//! exactly one `sendto`, `recv` or `setsockopt` into the caller's buffers, so an injected
//! allocation failure lands in the call under test and nowhere else (the client's socket
//! would receive into its own, possibly not yet faulted-in, buffer).

use std::io;
use std::mem::{size_of, zeroed};
use std::os::fd::RawFd;

fn check(r: isize) -> io::Result<usize> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r as usize)
    }
}

/// `sendto()` port id 0 (the kernel).
pub fn send_to_kernel(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `sockaddr_nl` is plain data; all-zero is valid.
    let mut a: libc::sockaddr_nl = unsafe { zeroed() };
    a.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    // SAFETY: `buf` is readable for its length; `a` is a valid address of the given size.
    check(unsafe {
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

/// `recv()` into `buf` with `flags`; the datagram's real length under `MSG_TRUNC`.
pub fn recv(fd: RawFd, buf: &mut [u8], flags: i32) -> io::Result<usize> {
    // SAFETY: `buf` is writable for its length.
    check(unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), flags) })
}

/// `setsockopt(level, opt, u32)`.
pub fn set_opt(fd: RawFd, level: i32, opt: i32, val: u32) -> io::Result<()> {
    // SAFETY: the option value is a live `u32` of the given size.
    let r = unsafe {
        libc::setsockopt(
            fd,
            level,
            opt,
            (&val as *const u32).cast(),
            size_of::<u32>() as u32,
        )
    };
    check(r as isize).map(drop)
}

/// A netlink socket of protocol `family`, not bound.
pub fn socket(family: u32) -> io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: plain arguments.
    let fd = check(unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            family as i32,
        )
    } as isize)?;
    // SAFETY: `fd` was just opened and is owned by nothing else.
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd as RawFd) })
}

/// `bind()` to port id `pid` (0: the kernel picks one) and the group mask `groups`.
pub fn bind(fd: RawFd, pid: u32, groups: u32) -> io::Result<()> {
    // SAFETY: `sockaddr_nl` is plain data; all-zero is valid.
    let mut a: libc::sockaddr_nl = unsafe { zeroed() };
    a.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    a.nl_pid = pid;
    a.nl_groups = groups;
    // SAFETY: `a` is a valid address of the given size.
    let r = unsafe {
        libc::bind(
            fd,
            (&a as *const libc::sockaddr_nl).cast(),
            size_of::<libc::sockaddr_nl>() as u32,
        )
    };
    check(r as isize).map(drop)
}
