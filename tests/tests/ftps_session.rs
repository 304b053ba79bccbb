//! FTPS data connections resume the control connection's TLS session (`start_tls_resuming`),
//! against the loopback proftpd, whose default (kept: `tests/servers/ftp.sh` does not relax it)
//! refuses a data connection that does not. FTP is spoken by hand over core's transport with the
//! sans-IO pieces of `inet_ftp::proto`: no FTP driver is involved.

use std::net::SocketAddr;

use futures_lite::future::block_on;
use inet_core::transport::{
    connect_addr, connect_tcp, start_tls, start_tls_resuming, Conn, TlsSessions, TlsVerify,
};
use inet_core::{Context, Handle, HandleKind, Session};
use inet_ftp::proto::{parse_epsv, Command, Reply, ReplyReader};
use inet_tests::servers::ftp;

/// The host name every TLS handshake checks (the server's certificate names it).
const HOST: &str = "127.0.0.1";

#[test]
fn data_connections_resume_the_control_connections_tls_session() {
    let (_session, h) = trusting();
    block_on(async {
        let sessions = TlsSessions::new();
        let mut control = Control::login(&h, &sessions).await;
        assert_eq!(
            control.conn.tls_resumed(),
            Some(false),
            "a first handshake is full"
        );
        // Several in a row: each must find a session to resume.
        for round in 0..4 {
            let data = control.open_listing(&h).await;
            let data = start_tls_resuming(&h, data, HOST, TlsVerify::default(), &sessions)
                .await
                .expect("TLS on the data connection");
            assert_eq!(data.tls_resumed(), Some(true), "round {round}");
            let listing = read_to_end(data).await;
            let done = control.reply().await;
            assert_eq!(done.code, 226, "round {round}: {done:?}");
            assert!(
                listing.contains("welcome.txt"),
                "round {round}: the listing: {listing:?}"
            );
        }
    });
}

#[test]
fn uploads_in_a_row_resume_the_session_too() {
    // An upload never reads its data connection: whatever the server might send there (a TLS 1.3
    // ticket), the next connection cannot count on it. With TLS 1.3 tickets, which are used once,
    // the third upload here found none left and was refused; a TLS 1.2 session is resumed again.
    let (_session, h) = trusting();
    block_on(async {
        let sessions = TlsSessions::new();
        let mut control = Control::login(&h, &sessions).await;
        let payload = vec![b'x'; 100_000];
        for round in 0..4 {
            let name = format!("ftps-session-upload-{}-{round}.bin", std::process::id());
            let data = control.open_data(&h, Command::Stor(name.clone())).await;
            let mut data = start_tls_resuming(&h, data, HOST, TlsVerify::default(), &sessions)
                .await
                .expect("TLS on the data connection");
            assert_eq!(data.tls_resumed(), Some(true), "round {round}");
            data.write_all(&payload).await.expect("upload");
            data.finish_sending().await.expect("close the upload");
            let done = control.reply().await;
            assert_eq!(done.code, 226, "round {round}: {done:?}");
            let stored = std::fs::metadata(ftp().root.join(&name)).expect("the stored file");
            assert_eq!(stored.len(), payload.len() as u64, "round {round}");
            let _ = std::fs::remove_file(ftp().root.join(&name));
        }
    });
}

#[test]
fn proftpd_refuses_a_data_connection_that_does_not_resume_the_session() {
    let (_session, h) = trusting();
    block_on(async {
        let sessions = TlsSessions::new();
        let mut control = Control::login(&h, &sessions).await;

        // A new store: a full handshake (the client cannot tell it is refused until it reads).
        let data = control.open_listing(&h).await;
        let data = start_tls_resuming(&h, data, HOST, TlsVerify::default(), &TlsSessions::new())
            .await
            .expect("the handshake itself succeeds");
        assert_eq!(data.tls_resumed(), Some(false));
        let _ = read_to_end(data).await;
        let refused = control.reply().await;
        assert!(refused.code >= 400, "the server accepted it: {refused:?}");

        // native-tls never offers a session.
        let data = control.open_listing(&h).await;
        if let Ok(data) = start_tls(&h, data, HOST, TlsVerify::default()).await {
            assert_eq!(data.tls_resumed(), Some(false));
            let _ = read_to_end(data).await;
        }
        let refused = control.reply().await;
        assert!(refused.code >= 400, "the server accepted it: {refused:?}");

        // The same control connection still works with its own sessions.
        let data = control.open_listing(&h).await;
        let data = start_tls_resuming(&h, data, HOST, TlsVerify::default(), &sessions)
            .await
            .expect("TLS on the data connection");
        assert_eq!(data.tls_resumed(), Some(true));
        let _ = read_to_end(data).await;
        assert_eq!(control.reply().await.code, 226);
    });
}

#[test]
fn an_untrusted_ca_fails_the_resuming_handshake_with_12045() {
    let session = Session::new().expect("session");
    let h = child(&session);
    let e = block_on(async {
        let conn = auth_tls(&h).await;
        start_tls_resuming(&h, conn, HOST, TlsVerify::default(), &TlsSessions::new()).await
    })
    .expect_err("the test CA is not trusted");
    assert_eq!(e.code(), 12045, "{e}");
    assert!(e.to_string().contains("not trusted"), "{e}");
}

#[test]
fn a_certificate_for_another_name_fails_the_resuming_handshake_with_12038() {
    let (_session, h) = trusting();
    let e = block_on(async {
        let conn = auth_tls(&h).await;
        let sessions = TlsSessions::new();
        start_tls_resuming(&h, conn, "ftp.invalid", TlsVerify::default(), &sessions).await
    })
    .expect_err("the certificate names localhost and 127.0.0.1");
    assert_eq!(e.code(), 12038, "{e}");
}

#[test]
fn the_relaxations_apply_to_the_resuming_handshake() {
    let untrusting = Session::new().expect("session");
    let h = child(&untrusting);
    let any_cert = TlsVerify::strict().accept_invalid_certs(true);
    block_on(async {
        let conn = auth_tls(&h).await;
        start_tls_resuming(&h, conn, "ftp.invalid", any_cert, &TlsSessions::new()).await
    })
    .expect("accept_invalid_certs accepts an unknown CA and another name");

    let (_session, h) = trusting();
    let any_name = TlsVerify::strict().accept_invalid_hostnames(true);
    block_on(async {
        let conn = auth_tls(&h).await;
        start_tls_resuming(&h, conn, "ftp.invalid", any_name, &TlsSessions::new()).await
    })
    .expect("accept_invalid_hostnames accepts another name from a trusted CA");
}

// ---- helpers ----

/// A session trusting the test CA, and a connection handle under it.
fn trusting() -> (Session, Handle) {
    let session = Session::builder()
        .add_root_certificates_file(&ftp().ca_cert)
        .build()
        .expect("session");
    let h = child(&session);
    (session, h)
}

fn child(session: &Session) -> Handle {
    session
        .create_child(HandleKind::ConnectFtp, Context(0))
        .expect("handle")
}

/// A control connection after `220`, `AUTH TLS` and `234`: ready for the handshake.
async fn auth_tls(h: &Handle) -> Conn {
    let conn = connect_tcp(h, HOST, ftp().port).await.expect("connect");
    let mut control = Control {
        conn,
        replies: ReplyReader::new(),
    };
    assert_eq!(control.reply().await.code, 220);
    assert_eq!(control.command(Command::AuthTls).await.code, 234);
    assert_eq!(control.replies.buffered(), 0, "nothing may follow 234");
    control.conn
}

/// A control connection spoken by hand.
struct Control {
    conn: Conn,
    replies: ReplyReader,
}

impl Control {
    /// `AUTH TLS`, the handshake with `sessions`, login as the local user, `PBSZ 0`, `PROT P`.
    async fn login(h: &Handle, sessions: &TlsSessions) -> Control {
        let conn = auth_tls(h).await;
        let conn = start_tls_resuming(h, conn, HOST, TlsVerify::default(), sessions)
            .await
            .expect("TLS on the control connection");
        let mut control = Control {
            conn,
            replies: ReplyReader::new(),
        };
        let f = ftp();
        assert_eq!(
            control.command(Command::User(f.user.clone())).await.code,
            331
        );
        assert_eq!(
            control
                .command(Command::Pass(f.password.clone()))
                .await
                .code,
            230
        );
        assert_eq!(control.command(Command::Pbsz0).await.code, 200);
        assert_eq!(control.command(Command::ProtP).await.code, 200);
        control
    }

    /// A data connection for `LIST`, TLS not started yet.
    async fn open_listing(&mut self, h: &Handle) -> Conn {
        self.open_data(h, Command::List(None)).await
    }

    /// `EPSV`, a TCP connection to the port it names, then `command` and its `150`: the data
    /// connection, TLS not started yet.
    async fn open_data(&mut self, h: &Handle, command: Command) -> Conn {
        let epsv = self.command(Command::Epsv).await;
        assert_eq!(epsv.code, 229, "{epsv:?}");
        let port = parse_epsv(&epsv.text).expect("an EPSV reply");
        let addr = SocketAddr::new(self.conn.peer().ip(), port);
        let data = connect_addr(h, addr, &format!("{HOST}:{port}"))
            .await
            .expect("the data connection");
        let started = self.command(command).await;
        assert_eq!(started.code, 150, "{started:?}");
        data
    }

    async fn command(&mut self, command: Command) -> Reply {
        let line = command.to_bytes().expect("a command line");
        self.conn.write_all(&line).await.expect("send a command");
        self.reply().await
    }

    async fn reply(&mut self) -> Reply {
        let mut buf = [0u8; 4096];
        loop {
            if let Some(reply) = self.replies.next_reply().expect("a well-formed reply") {
                return reply;
            }
            let n = self.conn.read(&mut buf).await.expect("read a reply");
            assert!(n > 0, "the control connection closed");
            self.replies.push(&buf[..n]);
        }
    }
}

/// Everything the data connection sends until it ends (an error ends it too: a refused
/// connection may be cut short).
async fn read_to_end(mut data: Conn) -> String {
    let mut all = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    while let Ok(n) = data.read(&mut buf).await {
        if n == 0 {
            break;
        }
        all.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&all).into_owned()
}
