//! `nlfam-vmtest CHECK [--family N]`: one behavioural check of the loaded module per
//! invocation, run by the kselftest-style scripts in `tests/`. Exit 0 = pass, 1 = fail
//! (with the reason on stderr), 2 = usage error.

use nlfam::proto::errno;
use nlfam::proto::family::{msg, FAMILY_DEFAULT};
use nlfam::proto::wire::{
    ErrorMsg, NlMsgHdr, NLMSG_ERROR, NLMSG_HDRLEN, NLM_F_ACK, NLM_F_ACK_TLVS, NLM_F_REQUEST,
};
use nlfam::{Error, Message, Socket};
use std::io::Read;
use std::process::ExitCode;
use std::time::Duration;

type Check = Result<(), String>;

const QUIET: Duration = Duration::from_millis(300);

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!($($fmt)+));
        }
    };
}

fn open(family: u32) -> Result<Socket, String> {
    let s = Socket::open(family).map_err(|e| format!("socket on family {family}: {e}"))?;
    s.set_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    Ok(s)
}

fn frame(ty: u16, flags: u16, seq: u32, pid: u32, payload: &[u8]) -> Vec<u8> {
    let hdr = NlMsgHdr {
        len: (NLMSG_HDRLEN + payload.len()) as u32,
        ty,
        flags,
        seq,
        pid,
    };
    let mut v = hdr.to_bytes().to_vec();
    v.extend_from_slice(payload);
    while !v.len().is_multiple_of(4) {
        v.push(0);
    }
    v
}

/// Asserts nothing arrives on `s` for a while.
fn expect_silence(s: &mut Socket, what: &str) -> Check {
    if s.wait_readable(QUIET).map_err(|e| e.to_string())? {
        let msgs = s.recv_messages().map_err(|e| e.to_string())?;
        return Err(format!("{what}: expected no answer, got {msgs:?}"));
    }
    Ok(())
}

fn recv(s: &mut Socket) -> Result<Vec<Message>, String> {
    s.recv_messages().map_err(|e| format!("receive: {e}"))
}

fn echo_sizes(family: u32) -> Check {
    let mut s = open(family)?;
    for size in [0usize, 1, 64 * 1024] {
        let payload: Vec<u8> = (0..size).map(|i| (i * 7 % 256) as u8).collect();
        let seq = s
            .send(msg::ECHO, 0, |w| w.put_bytes(&payload))
            .map_err(|e| e.to_string())?;
        let msgs = recv(&mut s)?;
        ensure!(
            msgs.len() == 1,
            "{size} B: expected one reply message, got {}",
            msgs.len()
        );
        let m = &msgs[0];
        ensure!(
            m.hdr.ty == msg::ECHO,
            "{size} B: reply type {:#x}, want ECHO",
            m.hdr.ty
        );
        ensure!(
            m.hdr.seq == seq,
            "{size} B: reply seq {} != request seq {seq}",
            m.hdr.seq
        );
        ensure!(
            m.hdr.pid == 0,
            "{size} B: reply from port {}, want the kernel (0)",
            m.hdr.pid
        );
        ensure!(
            m.payload == payload,
            "{size} B: payload differs ({} bytes back)",
            m.payload.len()
        );
        eprintln!("# echo {size} B: identical, seq {seq}");
    }
    expect_silence(&mut s, "after echoes without NLM_F_ACK")
}

fn echo_portid(family: u32) -> Check {
    let mut a = open(family)?;
    let mut b = open(family)?;
    // A claims to be B in the header: the answer must still go to A, the real sender.
    a.send_raw(&frame(msg::ECHO, NLM_F_REQUEST, 77, b.portid(), b"who"))
        .map_err(|e| e.to_string())?;
    let msgs = recv(&mut a)?;
    ensure!(
        msgs.len() == 1 && msgs[0].payload == b"who",
        "sender got {msgs:?}"
    );
    expect_silence(&mut b, "socket named in nlmsg_pid")?;
    eprintln!(
        "# reply went to the sending port {}, not to nlmsg_pid {}",
        a.portid(),
        b.portid()
    );
    Ok(())
}

fn ack(family: u32) -> Check {
    let mut s = open(family)?;
    let seq = s
        .send(msg::ECHO, NLM_F_ACK, |w| w.put_bytes(b"ack me"))
        .map_err(|e| e.to_string())?;
    let mut got = Vec::new();
    while got.len() < 2 {
        got.extend(recv(&mut s)?);
    }
    ensure!(got.len() == 2, "expected echo + ACK, got {got:?}");
    ensure!(
        got[0].hdr.ty == msg::ECHO && got[0].payload == b"ack me",
        "first answer is not the echo: {:?}",
        got[0]
    );
    let a = &got[1];
    ensure!(
        a.hdr.ty == NLMSG_ERROR,
        "second answer type {:#x}, want NLMSG_ERROR",
        a.hdr.ty
    );
    ensure!(a.hdr.seq == seq, "ACK seq {} != {seq}", a.hdr.seq);
    let e = ErrorMsg::parse(&a.payload, a.hdr.flags).ok_or("short ACK")?;
    ensure!(e.error == 0, "ACK carries error {}", e.error);
    ensure!(
        e.request.seq == seq && e.request.ty == msg::ECHO,
        "ACK echoes the wrong request header {:?}",
        e.request
    );
    ensure!(
        e.request.flags & NLM_F_ACK != 0,
        "ACK's copy of the request lacks NLM_F_ACK"
    );
    // A non-request message (no NLM_F_REQUEST) with NLM_F_ACK is skipped, but ACKed.
    s.send_raw(&frame(msg::ECHO, NLM_F_ACK, 99, 0, b"x"))
        .map_err(|e| e.to_string())?;
    let m = recv(&mut s)?;
    ensure!(
        m.len() == 1 && m[0].hdr.ty == NLMSG_ERROR && m[0].hdr.seq == 99,
        "non-request: {m:?}"
    );
    let e = ErrorMsg::parse(&m[0].payload, m[0].hdr.flags).ok_or("short ACK")?;
    ensure!(
        e.error == 0,
        "non-request with NLM_F_ACK answered with error {}",
        e.error
    );
    eprintln!("# echo then ACK (error 0, seq {seq}); non-request ACKed without being handled");
    expect_silence(&mut s, "after the ACK")
}

fn unknown_type(family: u32) -> Check {
    let mut s = open(family)?;
    let r = s.request(0x7f, 0, |w| w.put_bytes(b"?"));
    match r {
        Err(Error::Kernel { errno: e, msg, .. }) if e == errno::EOPNOTSUPP => {
            ensure!(msg.is_some(), "no extended ACK message with EOPNOTSUPP");
            eprintln!("# type 0x7f -> EOPNOTSUPP: {}", msg.unwrap_or_default());
        }
        other => return Err(format!("type 0x7f: want EOPNOTSUPP, got {other:?}")),
    }
    // Without NLM_F_ACK the error still comes back (errors are always reported).
    s.send_raw(&frame(0x7e, NLM_F_REQUEST, 5, 0, b""))
        .map_err(|e| e.to_string())?;
    let m = recv(&mut s)?;
    let e = m
        .first()
        .and_then(|m| ErrorMsg::parse(&m.payload, m.hdr.flags))
        .ok_or("no error message")?;
    ensure!(
        e.error == -errno::EOPNOTSUPP,
        "without NLM_F_ACK: error {}",
        e.error
    );
    ensure!(
        m[0].hdr.flags & NLM_F_ACK_TLVS != 0,
        "extended ACK TLVs missing though NETLINK_EXT_ACK is set"
    );
    Ok(())
}

fn malformed(family: u32) -> Check {
    let mut s = open(family)?;
    let cases: [(&str, Vec<u8>); 4] = [
        (
            "short header (10 bytes)",
            vec![10, 0, 0, 0, 0x10, 0, 1, 0, 0, 0],
        ),
        ("nlmsg_len beyond the datagram", {
            let mut f = frame(msg::ECHO, NLM_F_REQUEST | NLM_F_ACK, 1, 0, b"abcd");
            f[0..4].copy_from_slice(&1000u32.to_ne_bytes());
            f
        }),
        ("zero nlmsg_len", {
            let mut f = frame(msg::ECHO, NLM_F_REQUEST | NLM_F_ACK, 2, 0, b"abcd");
            f[0..4].copy_from_slice(&0u32.to_ne_bytes());
            f
        }),
        ("nlmsg_len below the header size", {
            let mut f = frame(msg::ECHO, NLM_F_REQUEST | NLM_F_ACK, 3, 0, b"abcd");
            f[0..4].copy_from_slice(&8u32.to_ne_bytes());
            f
        }),
    ];
    for (what, bytes) in cases {
        s.send_raw(&bytes)
            .map_err(|e| format!("{what}: send: {e}"))?;
        // netlink_rcv_skb's convention: a malformed frame ends the datagram silently.
        expect_silence(&mut s, what)?;
        ensure!(
            s.echo(b"still alive").map_err(|e| e.to_string())? == b"still alive",
            "{what}: echo after it failed"
        );
        eprintln!("# {what}: no answer, socket still works");
    }
    // A good message followed by garbage: the good one is answered, the rest dropped.
    let mut d = frame(msg::ECHO, NLM_F_REQUEST, 10, 0, b"good");
    d.extend_from_slice(&[0xff; 7]);
    s.send_raw(&d).map_err(|e| e.to_string())?;
    let m = recv(&mut s)?;
    ensure!(
        m.len() == 1 && m[0].payload == b"good",
        "good-then-garbage: {m:?}"
    );
    expect_silence(&mut s, "garbage after a good message")
}

fn batch(family: u32) -> Check {
    let mut s = open(family)?;
    let mut d = Vec::new();
    for i in 0..16u32 {
        d.extend(frame(
            msg::ECHO,
            NLM_F_REQUEST,
            1000 + i,
            0,
            &i.to_ne_bytes(),
        ));
    }
    s.send_raw(&d).map_err(|e| e.to_string())?;
    let mut got = Vec::new();
    while got.len() < 16 {
        got.extend(recv(&mut s)?);
    }
    for (i, m) in got.iter().enumerate() {
        ensure!(
            m.hdr.seq == 1000 + i as u32 && m.payload == (i as u32).to_ne_bytes(),
            "answer {i} out of order: {m:?}"
        );
    }
    eprintln!("# 16 requests in one datagram answered in order");
    expect_silence(&mut s, "after the batch")
}

fn hold(family: u32) -> Check {
    let _s = open(family)?;
    println!("holding a socket on family {family}");
    // Wait until the test script closes our stdin (or kills us).
    let _ = std::io::stdin().read(&mut [0u8; 1]);
    Ok(())
}

fn socket_errno(family: u32) -> Check {
    match Socket::open(family) {
        Ok(_) => println!("ok"),
        Err(e) => println!("{}", e.errno_name().unwrap_or("error")),
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut family = FAMILY_DEFAULT;
    let mut check = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--family" => match it.next().and_then(|v| v.parse().ok()) {
                Some(f) => family = f,
                None => return usage(),
            },
            c if check.is_none() => check = Some(c.to_string()),
            _ => return usage(),
        }
    }
    let result = match check.as_deref() {
        Some("echo-sizes") => echo_sizes(family),
        Some("echo-portid") => echo_portid(family),
        Some("ack") => ack(family),
        Some("unknown-type") => unknown_type(family),
        Some("malformed") => malformed(family),
        Some("batch") => batch(family),
        Some("hold") => hold(family),
        Some("socket-errno") => socket_errno(family),
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("FAIL: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: nlfam-vmtest CHECK [--family N]\n\
         checks: echo-sizes echo-portid ack unknown-type malformed batch hold socket-errno"
    );
    ExitCode::from(2)
}
