//! inet-ftp over explicit FTPS (AUTH TLS, PBSZ 0, PROT P) against the harness's proftpd, whose
//! mod_tls keeps its default demand that every data connection resume the control connection's
//! TLS session.

use std::time::Duration;

use inet_core::{Context, ErrorKind, Session};
use inet_ftp::{Access, FtpConnection, FtpOptions, Security, TransferOptions};
use inet_tests::servers::{self, Ftp};

fn session(ftp: &Ftp, trust: bool) -> Session {
    let mut b = Session::builder().receive_timeout(Some(Duration::from_secs(10)));
    if trust {
        b = b.add_root_certificates_file(&ftp.ca_cert);
    }
    b.build().expect("session")
}

fn ftps(ftp: &Ftp) -> FtpOptions {
    FtpOptions::new()
        .credentials(&ftp.user, &ftp.password)
        .security(Security::Explicit)
}

#[test]
fn ftps_lists_downloads_and_uploads_again_and_again_with_resumed_data_sessions() {
    let ftp = servers::ftp();
    let s = session(ftp, true);
    let conn = FtpConnection::connect_blocking(&s, "localhost", ftp.port, ftps(ftp))
        .expect("AUTH TLS login");
    let find = conn
        .find_first_blocking(Some("/data"), Context(0))
        .expect("MLSD over TLS");
    assert!(find.remaining().iter().any(|f| f.name() == "rand_1M.bin"));
    find.close();

    let want = std::fs::read(ftp.root.join("data/rand_1M.bin")).expect("on disk");
    let local = std::env::temp_dir().join(format!("inet-ftps-{}.bin", std::process::id()));
    conn.get_file_blocking(
        "/data/rand_1M.bin",
        &local,
        TransferOptions::new(),
        Context(0),
    )
    .expect("RETR over TLS");
    assert!(std::fs::read(&local).expect("local") == want);

    // Uploads get no new TLS session from the server: each must resume the same one.
    let _ = conn.create_directory_blocking("/work");
    let dir = format!("/work/ftps-{}", std::process::id());
    let _ = conn.create_directory_blocking(&dir);
    for round in 0..4 {
        let remote = format!("{dir}/up-{round}.bin");
        let sent = conn
            .put_file_blocking(&local, &remote, TransferOptions::new(), Context(0))
            .unwrap_or_else(|e| panic!("STOR {round} over TLS: {e}"));
        assert_eq!(sent, want.len() as u64);
        let on_disk = std::fs::read(ftp.root.join(remote.trim_start_matches('/'))).expect("stored");
        assert!(on_disk == want, "round {round}: the stored file differs");
    }
    let file = conn
        .open_file_blocking(
            "/data/rand_1M.bin",
            Access::Read,
            TransferOptions::new(),
            Context(0),
        )
        .expect("open over TLS");
    let got = async_io::block_on(file.read_to_end(2 << 20)).expect("read");
    assert!(got == want);
    file.finish_blocking().expect("226");
    let _ = std::fs::remove_file(&local);
}

#[test]
fn an_untrusted_ftps_certificate_is_invalid_ca_12045() {
    let ftp = servers::ftp();
    let s = session(ftp, false);
    let err = FtpConnection::connect_blocking(&s, "localhost", ftp.port, ftps(ftp))
        .expect_err("the throwaway CA is not trusted");
    assert_eq!(err.kind(), ErrorKind::InvalidCa, "{err}");
    assert_eq!(err.code(), 12045);
}
