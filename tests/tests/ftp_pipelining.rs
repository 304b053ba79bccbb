//! FTP pipelining (`FtpOptions::pipelining`, on by default): once `EPSV` has worked on a
//! connection, a download sends `EPSV` and `RETR` in one write. Against scripted servers
//! (`inet_tests::ftp_fault`), which can tell whether the two came together, refuse `EPSV` after
//! all, or see a download given up on before its data connection was made.

use std::io::{self, Write};
use std::net::TcpListener;
use std::time::Duration;

use inet_core::{Context, Session};
use inet_ftp::{Access, FtpConnection, FtpOptions, TransferOptions};
use inet_tests::ftp_fault::{FakeFtp, FtpPeer};

fn session() -> Session {
    Session::builder()
        .receive_timeout(Some(Duration::from_secs(2)))
        .connect_timeout(Some(Duration::from_secs(2)))
        .build()
        .expect("session")
}

fn connect(s: &Session, server: &FakeFtp, options: FtpOptions) -> FtpConnection {
    let c = FtpConnection::open(s, "127.0.0.1", server.port(), options, Context(0)).expect("open");
    c.login_blocking().expect("login");
    c
}

/// Download `path` whole (FtpOpenFile, reads, the 226 checked).
fn download(c: &FtpConnection, path: &str) -> inet_core::Result<Vec<u8>> {
    let file = c.open_file_blocking(path, Access::Read, TransferOptions::new(), Context(0))?;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = file.read_blocking(&mut buf)?;
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    file.finish_blocking()?;
    file.close();
    Ok(got)
}

/// Serve one download on `l` (the data connection, 150, the bytes, 226).
fn serve(ftp: &mut FtpPeer<'_>, l: &TcpListener, body: &[u8]) -> io::Result<()> {
    let mut data = FtpPeer::accept(l)?;
    ftp.reply("150 opening")?;
    data.write_all(body)?;
    drop(data);
    ftp.reply("226 done")
}

/// A 229 for a fresh listener on 127.0.0.1.
fn epsv_reply(ftp: &mut FtpPeer<'_>) -> io::Result<TcpListener> {
    let l = TcpListener::bind("127.0.0.1:0")?;
    let port = l.local_addr()?.port();
    ftp.reply(&format!("229 Entering Extended Passive Mode (|||{port}|)"))?;
    Ok(l)
}

/// The first download as any client does it: TYPE, EPSV, then RETR after the 229.
fn first_download(ftp: &mut FtpPeer<'_>) -> io::Result<()> {
    ftp.type_ok()?;
    let l = ftp.epsv()?;
    ftp.expect("RETR")?;
    serve(ftp, &l, b"one")
}

/// Log in with `options`, download `a` ("one") then `b` ("two") from `server`.
fn one_then_two(server: &FakeFtp, options: FtpOptions) {
    let s = session();
    let c = connect(&s, server, options);
    assert_eq!(download(&c, "a").expect("first"), b"one");
    assert_eq!(download(&c, "b").expect("second"), b"two");
}

#[test]
fn after_epsv_worked_a_download_sends_epsv_and_retr_together() {
    let server = FakeFtp::start(|ftp| {
        ftp.login()?;
        first_download(ftp)?;
        // The second: RETR must come before the 229 is sent. A client waiting for the 229
        // first would wait here until its receive timeout.
        ftp.expect("EPSV")?;
        ftp.expect("RETR")?;
        let l = epsv_reply(ftp)?;
        serve(ftp, &l, b"two")?;
        ftp.until_quit()
    })
    .expect("server");
    one_then_two(&server, FtpOptions::new());
}

#[test]
fn with_pipelining_off_each_command_waits_for_the_last_answer() {
    let server = FakeFtp::start(|ftp| {
        ftp.login()?;
        first_download(ftp)?;
        let l = ftp.epsv()?;
        ftp.expect("RETR")?;
        serve(ftp, &l, b"two")?;
        ftp.until_quit()
    })
    .expect("server");
    one_then_two(&server, FtpOptions::new().pipelining(false));
}

#[test]
fn a_pipelined_epsv_refused_after_all_falls_back_to_pasv() {
    let server = FakeFtp::start(|ftp| {
        ftp.login()?;
        first_download(ftp)?;
        ftp.expect("EPSV")?;
        ftp.expect("RETR")?;
        ftp.reply("500 EPSV no longer")?;
        // RETR had no data connection to use.
        ftp.reply("425 no data connection")?;
        ftp.expect("PASV")?;
        let l = TcpListener::bind("127.0.0.1:0")?;
        let port = l.local_addr()?.port();
        ftp.reply(&format!(
            "227 Entering Passive Mode (127,0,0,1,{},{})",
            port >> 8,
            port & 0xff
        ))?;
        ftp.expect("RETR")?;
        serve(ftp, &l, b"two")?;
        ftp.until_quit()
    })
    .expect("server");
    one_then_two(&server, FtpOptions::new());
}

#[test]
fn a_pipelined_download_given_up_before_its_data_connection_does_not_hold_up_the_next_call() {
    let server = FakeFtp::start(|ftp| {
        ftp.login()?;
        first_download(ftp)?;
        ftp.expect("EPSV")?;
        ftp.expect("RETR")?;
        // Late: the client gives up on the download before this comes.
        std::thread::sleep(Duration::from_millis(300));
        let l = epsv_reply(ftp)?;
        // RETR waits for its data connection, as real servers do; without one, this script
        // (and the connection) would end after 5 s.
        serve(ftp, &l, b"never read")?;
        ftp.expect("PWD")?;
        ftp.reply("257 \"/here\" is current")?;
        ftp.until_quit()
    })
    .expect("server");
    let s = session();
    let c = connect(&s, &server, FtpOptions::new());
    assert_eq!(download(&c, "a").expect("first"), b"one");
    let gave_up = inet_core::block_on(futures_lite::future::or(
        async {
            c.open_file("b", Access::Read, TransferOptions::new(), Context(0))
                .await
                .map(|_| "opened")
        },
        async {
            inet_core::Timer::after(Duration::from_millis(100)).await;
            Ok("gave up")
        },
    ));
    assert_eq!(gave_up.expect("no error"), "gave up");
    // Before PWD, the download's data connection is made and closed, so that the server
    // answers RETR; left waiting, it would answer only when its wait ran out, long after this
    // client's receive timeout (2 s) had failed the call.
    assert_eq!(c.current_directory_blocking().expect("PWD"), "/here");
}
