//! The fault matrix for HTTP, HTTPS and Gopher (FTP's is `ftp_faults.rs`): one in-process
//! misbehaving server per case, the operation that meets it, the WinINet error it must end with,
//! and the time it may take. Each case must end with its error in time, never panic, leave no file
//! descriptor behind, and send nothing after HANDLE_CLOSING. One test runs them in turn (the
//! process's descriptor count is only meaningful when nothing else opens sockets meanwhile);
//! it prints the table `cargo xtask conformance --faults` shows.

use std::io::{Read, Write};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use inet_core::{Context, Error, ErrorKind, Session, SessionBuilder};
use inet_gopher::{GopherConnection, GopherOptions, ItemType, Locator};
use inet_http::{HttpRequest, RequestOptions};
use inet_tests::fault::{Behaviour, Connection, FaultServer};
use inet_tests::record::Recorder;

const RECEIVE_TIMEOUT: Duration = Duration::from_millis(400);
const HANDLE_CLOSING: u32 = 70;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// What the client does against the case's server; its error is the outcome.
type Run = fn(&Session, &FaultServer) -> Result<(), Error>;

struct Case {
    name: &'static str,
    behaviour: fn() -> Behaviour,
    run: Run,
    want: ErrorKind,
    /// The most the failing call may take.
    within: Duration,
    /// What the case's session trusts beyond the system store.
    trust: fn(SessionBuilder) -> SessionBuilder,
}

fn system_roots(b: SessionBuilder) -> SessionBuilder {
    b
}

fn fault_ca(b: SessionBuilder) -> SessionBuilder {
    b.add_root_certificates_pem(certificates().ca.as_bytes())
}

/// The TLS rows' certificates, made once per run with rcgen: a CA the case's session trusts, and
/// three server identities (certificate and PKCS#8 key, PEM).
struct Certificates {
    ca: String,
    /// Names 127.0.0.1 but signs itself: no trusted issuer.
    self_signed: (String, String),
    /// Signed by the CA, but for `elsewhere.test` only.
    wrong_host: (String, String),
    /// Signed by the CA for 127.0.0.1, valid in 2000 only.
    expired: (String, String),
}

fn certificates() -> &'static Certificates {
    static CERTS: OnceLock<Certificates> = OnceLock::new();
    CERTS.get_or_init(|| {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "inet fault-matrix CA");
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("CA key"))
            .expect("CA");
        let leaf = |names: &[&str], expired: bool, signed: bool| {
            let key = KeyPair::generate().expect("key");
            let mut params =
                CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
                    .expect("params");
            params.distinguished_name.push(DnType::CommonName, names[0]);
            if expired {
                params.not_before = rcgen::date_time_ymd(2000, 1, 1);
                params.not_after = rcgen::date_time_ymd(2001, 1, 1);
            }
            let cert = if signed {
                params.signed_by(&key, &ca)
            } else {
                params.self_signed(&key)
            }
            .expect("certificate");
            (cert.pem(), key.serialize_pem())
        };
        Certificates {
            self_signed: leaf(&["127.0.0.1"], false, false),
            wrong_host: leaf(&["elsewhere.test"], false, true),
            expired: leaf(&["127.0.0.1"], true, true),
            ca: ca.pem(),
        }
    })
}

/// A TLS server presenting `identity`; the client is expected to give up in the handshake.
fn tls_server(identity: &(String, String)) -> Behaviour {
    let identity = native_tls::Identity::from_pkcs8(identity.0.as_bytes(), identity.1.as_bytes())
        .expect("identity");
    let acceptor = Arc::new(native_tls::TlsAcceptor::new(identity).expect("acceptor"));
    Behaviour::custom(move |c: &mut Connection| {
        if let Ok(mut tls) = acceptor.accept(&mut *c) {
            // Only reached if the client accepted the certificate: answer, so the case fails
            // with "no error" rather than a timeout.
            let mut buf = [0u8; 4096];
            let _ = tls.read(&mut buf);
            let _ = tls.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            let _ = tls.flush();
        }
    })
}

fn get_https(s: &Session, server: &FaultServer) -> Result<(), Error> {
    get_url(s, &format!("https://127.0.0.1:{}/x", server.port()))
}

fn get_all(s: &Session, server: &FaultServer) -> Result<(), Error> {
    get_url(s, &server.url("/x"))
}

fn get_url(s: &Session, url: &str) -> Result<(), Error> {
    let mut options = RequestOptions::default();
    options.max_body_size = 64 << 20;
    let req: HttpRequest = inet_http::open(s, url, options)?;
    req.send_blocking(None, None)?;
    let mut buf = vec![0u8; 64 * 1024];
    while req.read_blocking(&mut buf)? > 0 {}
    req.close();
    Ok(())
}

fn gopher_menu(s: &Session, server: &FaultServer) -> Result<(), Error> {
    let g = GopherConnection::open(
        s,
        "127.0.0.1",
        server.port(),
        GopherOptions::new(),
        Context(0),
    )?;
    let find = g.find_first_blocking(None, None, Context(0))?;
    find.close();
    g.close();
    Ok(())
}

fn gopher_text(s: &Session, server: &FaultServer) -> Result<(), Error> {
    let g = GopherConnection::open(
        s,
        "127.0.0.1",
        server.port(),
        GopherOptions::new(),
        Context(0),
    )?;
    let item = Locator::new(ItemType::TextFile, "", "/t", "127.0.0.1", server.port())
        .map_err(|e| Error::new(ErrorKind::InvalidParameter, e.to_string()))?;
    let f = g.open_file_blocking(&item, None, Context(0))?;
    let text = f.read_to_end_blocking(1 << 20)?;
    // A text item without its '.' line is tolerated: the case's outcome is its length.
    Err(Error::new(
        ErrorKind::NoMoreFiles,
        format!("{} bytes", text.len()),
    ))
}

/// Answer one Gopher request line with `bytes`.
fn gopher_answer(bytes: Vec<u8>) -> Behaviour {
    Behaviour::custom(move |c: &mut Connection| {
        let mut line = Vec::new();
        let mut b = [0u8; 1];
        while !line.ends_with(b"\n") {
            match c.read(&mut b) {
                Ok(1) => line.push(b[0]),
                _ => return,
            }
        }
        let _ = c.write_all(&bytes);
    })
}

fn cases() -> Vec<Case> {
    let quick = Duration::from_secs(2);
    let timeout = RECEIVE_TIMEOUT + Duration::from_millis(300);
    vec![
        Case {
            name: "http: reset during the headers",
            behaviour: || Behaviour::RespondThenReset {
                bytes: b"HTTP/1.1 200 OK\r\nContent-Le".to_vec(),
            },
            run: get_all,
            want: ErrorKind::ConnectionReset,
            within: quick,
            trust: system_roots,
        },
        Case {
            name: "http: reset during the body",
            behaviour: || Behaviour::RespondThenReset {
                bytes: b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nsome".to_vec(),
            },
            run: get_all,
            want: ErrorKind::ConnectionReset,
            within: quick,
            trust: system_roots,
        },
        Case {
            name: "http: 1 byte per second (receive timeout 400 ms)",
            behaviour: || Behaviour::SlowBody {
                head: Vec::new(),
                body: b"HTTP/1.1 200 OK\r\n\r\n".to_vec(),
                bytes_per_sec: 1,
            },
            run: get_all,
            want: ErrorKind::Timeout,
            within: timeout,
            trust: system_roots,
        },
        Case {
            name: "http: stall forever",
            behaviour: || Behaviour::Stall,
            run: get_all,
            want: ErrorKind::Timeout,
            within: timeout,
            trust: system_roots,
        },
        Case {
            name: "http: garbage status line",
            behaviour: || Behaviour::Respond(b"HTTP/1.1 OK fine\r\n\r\n".to_vec()),
            run: get_all,
            want: ErrorKind::InvalidServerResponse,
            within: quick,
            trust: system_roots,
        },
        Case {
            name: "http: 1 GiB of headers (refused past 64 KiB)",
            behaviour: || Behaviour::HugeHeaders(1 << 30),
            run: get_all,
            want: ErrorKind::InvalidServerResponse,
            within: quick,
            trust: system_roots,
        },
        Case {
            name: "http: endless chunked body (read limit 64 MiB)",
            behaviour: || {
                Behaviour::custom(|c: &mut Connection| {
                    let _ = c.read_request_head();
                    let _ = c.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
                    let chunk = [b"4000\r\n".as_slice(), &[b'z'; 0x4000], b"\r\n"].concat();
                    while !c.is_stopping() && c.write_all(&chunk).is_ok() {}
                })
            },
            run: |s, server| {
                let req = inet_http::open(s, &server.url("/x"), RequestOptions::default())?;
                req.send_blocking(None, None)?;
                let mut options_limit = 0u64;
                let mut buf = vec![0u8; 64 * 1024];
                // A streaming read has no limit; the caller's is 64 MiB here.
                loop {
                    let n = req.read_blocking(&mut buf)?;
                    options_limit += n as u64;
                    if options_limit > 64 << 20 {
                        req.close();
                        return Err(Error::new(ErrorKind::TooLarge, "more than 64 MiB"));
                    }
                }
            },
            want: ErrorKind::TooLarge,
            within: Duration::from_secs(10),
            trust: system_roots,
        },
        Case {
            name: "http: chunk size overflowing 64 bits",
            behaviour: || {
                Behaviour::Respond(
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\n".to_vec(),
                )
            },
            run: get_all,
            want: ErrorKind::InvalidServerResponse,
            within: quick,
            trust: system_roots,
        },
        Case {
            name: "http: redirect loop (limit 10)",
            behaviour: || {
                Behaviour::custom(|c: &mut Connection| loop {
                    let before = c.received().len();
                    if c.read_request_head().is_err() || c.received().len() == before {
                        return;
                    }
                    let _ = c.write_all(
                        b"HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n",
                    );
                })
            },
            run: get_all,
            want: ErrorKind::RedirectFailed,
            within: quick,
            trust: system_roots,
        },
        Case {
            name: "http: redirect to an unsupported scheme",
            behaviour: || {
                Behaviour::Respond(
                    b"HTTP/1.1 302 Found\r\nLocation: wais://elsewhere/x\r\nContent-Length: 0\r\n\r\n".to_vec(),
                )
            },
            run: get_all,
            want: ErrorKind::RedirectFailed,
            within: quick,
            trust: system_roots,
        },
        Case {
            name: "https: self-signed certificate",
            behaviour: || tls_server(&certificates().self_signed),
            run: get_https,
            want: ErrorKind::InvalidCa,
            within: quick,
            trust: system_roots,
        },
        Case {
            name: "https: certificate for another host name",
            behaviour: || tls_server(&certificates().wrong_host),
            run: get_https,
            want: ErrorKind::SecCertCnInvalid,
            within: quick,
            trust: fault_ca,
        },
        Case {
            name: "https: expired certificate",
            behaviour: || tls_server(&certificates().expired),
            run: get_https,
            want: ErrorKind::SecCertDateInvalid,
            within: quick,
            trust: fault_ca,
        },
        Case {
            name: "gopher: text without its '.' line (tolerated)",
            behaviour: || gopher_answer(b"no terminator\r\nat all".to_vec()),
            run: gopher_text,
            want: ErrorKind::NoMoreFiles,
            within: quick,
            trust: system_roots,
        },
        Case {
            name: "gopher: binary noise as a menu",
            behaviour: || gopher_answer(vec![0, 1, 2, 0xff, b'\n', 0, 0, 7]),
            run: gopher_menu,
            want: ErrorKind::InvalidServerResponse,
            within: quick,
            trust: system_roots,
        },
        Case {
            name: "gopher: a 10 MiB menu line",
            behaviour: || {
                let mut line = b"0".to_vec();
                line.resize(10 << 20, b'x');
                gopher_answer(line)
            },
            run: gopher_menu,
            want: ErrorKind::InvalidServerResponse,
            within: quick,
            trust: system_roots,
        },
    ]
}

#[test]
fn every_http_and_gopher_fault_ends_with_its_error_in_time_and_leaves_nothing_behind() {
    // Warm up the process-wide parts (async-io's reactor, the blocking pool) and make the TLS
    // rows' certificates.
    certificates();
    {
        let s = Session::new().expect("session");
        let server = FaultServer::start(Behaviour::Respond(b"x".to_vec())).expect("server");
        let _ = get_all(&s, &server);
    }
    std::thread::sleep(Duration::from_millis(100));

    let mut table = vec![format!(
        "{:<52} {:>8}  {:<28} result",
        "fault", "ms", "error"
    )];
    let mut failures = Vec::new();
    for case in cases() {
        let before = open_fds();
        let server = FaultServer::start((case.behaviour)()).expect("fault server");
        let rec = Recorder::new();
        let s = (case.trust)(Session::builder())
            .status_callback(rec.callback())
            .receive_timeout(Some(RECEIVE_TIMEOUT))
            .connect_timeout(Some(Duration::from_secs(2)))
            .build()
            .expect("session");
        let started = Instant::now();
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (case.run)(&s, &server)));
        let took = started.elapsed();
        let id = s.handle().id();
        s.close();
        let closed = rec.wait_code(id, HANDLE_CLOSING, Duration::from_secs(6));
        drop(s);
        drop(server);
        // Nothing after any handle's HANDLE_CLOSING.
        std::thread::sleep(Duration::from_millis(30));
        let seen = rec.all();
        let late = seen.iter().enumerate().any(|(i, n)| {
            seen[..i]
                .iter()
                .any(|m| m.handle == n.handle && m.code == HANDLE_CLOSING)
        });
        let deadline = Instant::now() + Duration::from_secs(6);
        while open_fds() > before && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let after = open_fds();
        let (error, verdict) = match &outcome {
            Err(_) => ("panic".to_string(), "PANIC".to_string()),
            Ok(Ok(())) => ("none".to_string(), "no error".to_string()),
            Ok(Err(e)) => {
                let error = format!("{} {}", e.code(), e.kind().name());
                let verdict = if e.kind() != case.want {
                    format!("wanted {}", case.want.name())
                } else if took > case.within {
                    format!("took longer than {:?}", case.within)
                } else if !closed || late {
                    "notification order".to_string()
                } else if after > before {
                    format!("descriptors {before} -> {after}")
                } else {
                    "ok".to_string()
                };
                (error, verdict)
            }
        };
        table.push(format!(
            "{:<52} {:>8.0}  {:<28} {verdict}",
            case.name,
            took.as_secs_f64() * 1000.0,
            error
        ));
        if verdict != "ok" {
            failures.push(format!("{}: {error}: {verdict}", case.name));
        }
    }
    println!("{}", table.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
