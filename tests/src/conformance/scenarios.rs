//! The scenarios: each does one WinINet-shaped thing in callback mode (or the form the scenario
//! names) against the harness's servers; `conformance/expected/NAME.txt` says what its handles
//! must be told.

use std::net::TcpListener;
use std::time::Duration;

use bytes::Bytes;
use inet_core::{Context, HandleRef, Resolve, Session, SessionBuilder, Started};
use inet_ftp::{Access, FtpConnection, FtpOptions, TransferOptions};
use inet_gopher::{GopherConnection, GopherOptions, ItemType, Locator};
use inet_http::{BodyLength, HttpRequest, RequestOptions};

use super::run::{fail, Run, Scenario, Step};
use crate::fault::{Behaviour, FaultServer};
use crate::servers;

/// Every scenario, in the table's order.
pub fn all() -> Vec<Scenario> {
    let s = |name, protocol, run| Scenario {
        name,
        protocol,
        session: default_session,
        run,
    };
    vec![
        s("http_get_fresh", "http", http_get_fresh),
        s("http_get_pooled", "http", http_get_pooled),
        s("http_redirect_same_host", "http", http_redirect_same_host),
        s("http_redirect_cross_host", "http", http_redirect_cross_host),
        s("http_head", "http", http_head),
        s("http_put_send_ex_write_end", "http", http_put_send_ex),
        s("http_chunked_upload", "http", http_chunked_upload),
        s("http_read_no_wait", "http", http_read_no_wait),
        s("http_close_while_sending", "http", http_close_while_sending),
        s("http_close_while_reading", "http", http_close_while_reading),
        Scenario {
            name: "http_close_while_resolving",
            protocol: "http",
            session: slow_resolver_session,
            run: http_close_while_resolving,
        },
        s("http_unknown_host", "http", http_unknown_host),
        s("http_refused_port", "http", http_refused_port),
        Scenario {
            name: "http_tls_bad_certificate",
            protocol: "http",
            session: untrusting_session,
            run: http_tls_bad_certificate,
        },
        s("ftp_connect_login", "ftp", ftp_connect_login),
        s("ftp_bad_login", "ftp", ftp_bad_login),
        s("ftp_directory_functions", "ftp", ftp_directory_functions),
        s("ftp_find_first_next", "ftp", ftp_find_first_next),
        s("ftp_get_put", "ftp", ftp_get_put),
        s("ftp_open_file_read", "ftp", ftp_open_file_read),
        s("ftp_open_file_write", "ftp", ftp_open_file_write),
        s("ftp_transfer_in_progress", "ftp", ftp_transfer_in_progress),
        s("ftp_close_mid_transfer", "ftp", ftp_close_mid_transfer),
        s("gopher_menu", "gopher", gopher_menu),
        s("gopher_text_item", "gopher", gopher_text),
        s("gopher_binary_item", "gopher", gopher_binary),
        s("gopher_search", "gopher", gopher_search),
        s("gopher_bad_menu", "gopher", gopher_bad_menu),
        s("open_url_http", "open_url", open_url_http),
        s("open_url_https", "open_url", open_url_https),
        s("open_url_ftp", "open_url", open_url_ftp),
        s("open_url_gopher", "open_url", open_url_gopher),
    ]
}

// ----- sessions ---------------------------------------------------------------------------------

fn default_session() -> SessionBuilder {
    Session::builder()
        .receive_timeout(Some(Duration::from_secs(10)))
        .connect_timeout(Some(Duration::from_secs(10)))
        .add_root_certificates_file(&servers::nginx().ca_cert)
        .add_root_certificates_file(&servers::ftp().ca_cert)
}

fn untrusting_session() -> SessionBuilder {
    Session::builder().receive_timeout(Some(Duration::from_secs(10)))
}

/// Names take 2 s to resolve: time enough to close the request meanwhile.
#[derive(Debug)]
struct SlowResolver;

impl Resolve for SlowResolver {
    fn resolve(&self, _host: &str, port: u16) -> std::io::Result<Vec<std::net::SocketAddr>> {
        std::thread::sleep(Duration::from_secs(2));
        Ok(vec![([127, 0, 0, 1], port).into()])
    }
}

fn slow_resolver_session() -> SessionBuilder {
    default_session().resolver(SlowResolver)
}

// ----- helpers ----------------------------------------------------------------------------------

fn http(run: &Run, url: &str, ctx: u64) -> Step<HttpRequest> {
    inet_http::open(&run.session, url, RequestOptions::default().context(ctx))
        .map_err(fail("opening the request"))
}

fn h(handle: &inet_core::Handle) -> HandleRef {
    (**handle).clone()
}

/// Send in callback mode and wait for its REQUEST_COMPLETE.
fn send(run: &Run, req: &HttpRequest) -> Step {
    let h = h(req.handle());
    run.started(&h, req.start_send(None, None))?;
    run.wait(&h)
}

/// Read the body to its end in callback mode: reads done at once, pending ones waited for.
fn read_to_end(
    run: &Run,
    h: &HandleRef,
    read: impl Fn() -> inet_core::Result<Started<Bytes>>,
) -> Step {
    for _ in 0..100_000 {
        match run.started_now(h, read())? {
            Some(b) if b.is_empty() => return Ok(()),
            Some(_) => {}
            None => run.wait(h)?,
        }
    }
    Err("the body never ended".into())
}

fn read_body(run: &Run, req: &HttpRequest) -> Step {
    read_to_end(run, &h(req.handle()), || req.start_read(64 * 1024))
}

fn close(run: &Run, handle: &inet_core::Handle) -> Step {
    handle.close();
    run.wait_closed(handle)
}

// ----- HTTP -------------------------------------------------------------------------------------

fn http_get_fresh(run: &Run) -> Step {
    let req = http(run, &servers::nginx().http_url("/hello.txt"), 1)?;
    send(run, &req)?;
    read_body(run, &req)?;
    close(run, req.handle())
}

fn http_get_pooled(run: &Run) -> Step {
    for ctx in [1, 2] {
        let req = http(run, &servers::nginx().http_url("/hello.txt"), ctx)?;
        send(run, &req)?;
        read_body(run, &req)?;
        close(run, req.handle())?;
    }
    Ok(())
}

fn http_redirect_same_host(run: &Run) -> Step {
    let req = http(run, &servers::nginx().http_url("/redirect"), 1)?;
    send(run, &req)?;
    read_body(run, &req)?;
    close(run, req.handle())
}

fn http_redirect_cross_host(run: &Run) -> Step {
    let target = servers::nginx().http_url("/hello.txt");
    let redirect = FaultServer::start(Behaviour::Respond(
        format!("HTTP/1.1 302 Found\r\nLocation: {target}\r\nContent-Length: 0\r\n\r\n")
            .into_bytes(),
    ))
    .map_err(fail("redirect server"))?;
    let req = http(run, &redirect.url("/away"), 1)?;
    send(run, &req)?;
    read_body(run, &req)?;
    close(run, req.handle())
}

fn http_head(run: &Run) -> Step {
    let req = inet_http::open_method(
        &run.session,
        "HEAD",
        &servers::nginx().http_url("/hello.txt"),
        RequestOptions::default().context(1),
    )
    .map_err(fail("opening"))?;
    send(run, &req)?;
    read_body(run, &req)?;
    close(run, req.handle())
}

fn upload_url(name: &str) -> String {
    servers::nginx().http_url(&format!(
        "/upload/conformance-{}-{name}",
        std::process::id()
    ))
}

fn http_put_send_ex(run: &Run) -> Step {
    let req = inet_http::open_method(
        &run.session,
        "PUT",
        &upload_url("send-ex"),
        RequestOptions::default().context(1),
    )
    .map_err(fail("opening"))?;
    let hr = h(req.handle());
    run.started(&hr, req.start_send_ex(None, BodyLength::Known(10)))?;
    run.wait(&hr)?;
    for part in [&b"hello"[..], b"world"] {
        if run
            .started_now(&hr, req.start_write(Bytes::copy_from_slice(part)))?
            .is_none()
        {
            run.wait(&hr)?;
        }
    }
    run.started(&hr, req.start_end_request())?;
    run.wait(&hr)?;
    read_body(run, &req)?;
    close(run, req.handle())
}

fn http_chunked_upload(run: &Run) -> Step {
    let req = inet_http::open_method(
        &run.session,
        "PUT",
        &upload_url("chunked"),
        RequestOptions::default().context(1),
    )
    .map_err(fail("opening"))?;
    let hr = h(req.handle());
    run.started(&hr, req.start_send_ex(None, BodyLength::Chunked))?;
    run.wait(&hr)?;
    if run
        .started_now(&hr, req.start_write(Bytes::from_static(b"chunk of data")))?
        .is_none()
    {
        run.wait(&hr)?;
    }
    run.started(&hr, req.start_end_request())?;
    run.wait(&hr)?;
    read_body(run, &req)?;
    close(run, req.handle())
}

fn http_read_no_wait(run: &Run) -> Step {
    let req = http(run, &servers::nginx().http_url("/data/rand_1M.bin"), 1)?;
    send(run, &req)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        match req.try_read(&mut buf).map_err(fail("no-wait read"))? {
            Some(0) => break,
            Some(n) => total += n,
            // Nothing buffered: a no-wait read says so and sends nothing; wait a little.
            None => std::thread::sleep(Duration::from_millis(1)),
        }
    }
    if total != 1 << 20 {
        return Err(format!("read {total} bytes of 1 MiB"));
    }
    close(run, req.handle())
}

fn http_close_while_sending(run: &Run) -> Step {
    // A server that reads nothing: a large body fills the socket buffers and the send waits.
    let server = FaultServer::start(Behaviour::custom(|c| {
        let _ = c.sleep(Duration::from_secs(30));
    }))
    .map_err(fail("stalling server"))?;
    // No `Expect: 100-continue`: the body goes out at once, and fills the buffers.
    let mut options = RequestOptions::default().context(1);
    options.expect_continue_from = None;
    let req = inet_http::open_method(&run.session, "PUT", &server.url("/x"), options)
        .map_err(fail("opening"))?;
    let hr = h(req.handle());
    run.started(
        &hr,
        req.start_send(None, Some(Bytes::from(vec![b'x'; 32 << 20]))),
    )?;
    if !run.tracer.wait(Duration::from_secs(5), |s| {
        s.iter()
            .any(|e| e.handle == hr.id() && e.name == "SENDING_REQUEST")
    }) {
        return Err("the send never started".into());
    }
    std::thread::sleep(Duration::from_millis(100));
    close(run, req.handle())
}

fn http_close_while_reading(run: &Run) -> Step {
    // The head and the first body bytes, then nothing: the read that goes pending stays so
    // until the close (a server trickling bytes could complete it first, a race the scenario
    // once lost under load).
    let mut answer = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n".to_vec();
    answer.extend_from_slice(&[b'y'; 100]);
    let server =
        FaultServer::start(Behaviour::RespondKeepOpen(answer)).map_err(fail("stalling server"))?;
    let req = http(run, &server.url("/slow"), 1)?;
    send(run, &req)?;
    let hr = h(req.handle());
    // Read what is there until a read goes pending, then close.
    for _ in 0..100 {
        if run.started_now(&hr, req.start_read(64 * 1024))?.is_none() {
            break;
        }
    }
    close(run, req.handle())
}

fn http_close_while_resolving(run: &Run) -> Step {
    let port = servers::nginx().http_port;
    let req = http(run, &format!("http://slow-name.test:{port}/hello.txt"), 1)?;
    let hr = h(req.handle());
    run.started(&hr, req.start_send(None, None))?;
    std::thread::sleep(Duration::from_millis(100));
    close(run, req.handle())
}

fn http_unknown_host(run: &Run) -> Step {
    let req = http(run, "http://no-such-host.invalid/", 1)?;
    send(run, &req)?;
    close(run, req.handle())
}

fn closed_port() -> Step<u16> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(fail("binding"))?;
    Ok(l.local_addr().map_err(fail("address"))?.port())
}

fn http_refused_port(run: &Run) -> Step {
    let req = http(run, &format!("http://127.0.0.1:{}/", closed_port()?), 1)?;
    send(run, &req)?;
    close(run, req.handle())
}

fn http_tls_bad_certificate(run: &Run) -> Step {
    let req = http(run, &servers::nginx().https_url("/hello.txt"), 1)?;
    send(run, &req)?;
    close(run, req.handle())
}

// ----- FTP --------------------------------------------------------------------------------------

fn ftp_open(run: &Run, options: FtpOptions) -> Step<FtpConnection> {
    let ftp = servers::ftp();
    FtpConnection::open(&run.session, "127.0.0.1", ftp.port, options, Context(1))
        .map_err(fail("opening"))
}

fn ftp_user() -> FtpOptions {
    let ftp = servers::ftp();
    FtpOptions::new().credentials(&ftp.user, &ftp.password)
}

fn login(run: &Run, conn: &FtpConnection) -> Step {
    let hc = h(conn.handle());
    run.started(&hc, conn.start_login())?;
    run.wait(&hc)
}

fn ftp_connect_login(run: &Run) -> Step {
    let conn = ftp_open(run, FtpOptions::new())?;
    login(run, &conn)?;
    close(run, conn.handle())
}

fn ftp_bad_login(run: &Run) -> Step {
    let conn = ftp_open(
        run,
        FtpOptions::new().credentials(&servers::ftp().user, "wrong"),
    )?;
    login(run, &conn)?;
    close(run, conn.handle())
}

fn ftp_directory_functions(run: &Run) -> Step {
    let conn = ftp_open(run, ftp_user())?;
    login(run, &conn)?;
    let hc = h(conn.handle());
    let dir = format!("/conformance-{}", std::process::id());
    let renamed = format!("{dir}-renamed");
    let steps: Vec<Box<dyn Fn() -> inet_core::Result<inet_core::Pending>>> = vec![
        Box::new(|| conn.start_create_directory(&dir)),
        Box::new(|| conn.start_set_current_directory(&dir)),
        Box::new(|| conn.start_current_directory()),
        Box::new(|| conn.start_set_current_directory("/")),
        Box::new(|| conn.start_rename_file(&dir, &renamed)),
        Box::new(|| conn.start_file_size("/welcome.txt")),
        Box::new(|| conn.start_remove_directory(&renamed)),
        Box::new(|| conn.start_delete_file("/no-such-file")),
        Box::new(|| conn.start_command("NOOP")),
    ];
    for step in steps {
        run.started(&hc, step())?;
        run.wait(&hc)?;
    }
    close(run, conn.handle())
}

fn ftp_find_first_next(run: &Run) -> Step {
    let conn = ftp_open(run, FtpOptions::new())?;
    login(run, &conn)?;
    let find = conn
        .find_first_blocking(Some("/data/tree/a"), Context(2))
        .map_err(fail("find"))?;
    for _ in 0..100 {
        match find.start_next() {
            Ok(Started::Done(_)) => {}
            Ok(Started::Pending(_)) => return Err("find next went pending".into()),
            Err(e) if e.code() == 18 => break,
            Err(e) => return Err(format!("find next: {e}")),
        }
    }
    close(run, find.handle())?;
    close(run, conn.handle())
}

fn ftp_get_put(run: &Run) -> Step {
    let conn = ftp_open(run, ftp_user())?;
    login(run, &conn)?;
    let hc = h(conn.handle());
    let local = std::env::temp_dir().join(format!("inet-conformance-{}.bin", std::process::id()));
    run.started(
        &hc,
        conn.start_get_file(
            "/data/rand_1M.bin",
            &local,
            TransferOptions::new(),
            Context(3),
        ),
    )?;
    run.wait(&hc)?;
    let remote = format!("/conformance-put-{}.bin", std::process::id());
    run.started(
        &hc,
        conn.start_put_file(&local, &remote, TransferOptions::new(), Context(4)),
    )?;
    run.wait(&hc)?;
    run.started(&hc, conn.start_delete_file(&remote))?;
    run.wait(&hc)?;
    let _ = std::fs::remove_file(&local);
    close(run, conn.handle())
}

fn ftp_open_file_read(run: &Run) -> Step {
    let conn = ftp_open(run, FtpOptions::new())?;
    login(run, &conn)?;
    let file = conn
        .open_file_blocking(
            "/welcome.txt",
            Access::Read,
            TransferOptions::new(),
            Context(2),
        )
        .map_err(fail("open"))?;
    let hf = h(file.handle());
    read_to_end(run, &hf, || file.start_read(64 * 1024))?;
    run.started(&hf, file.start_finish())?;
    run.wait(&hf)?;
    close(run, file.handle())?;
    close(run, conn.handle())
}

fn ftp_open_file_write(run: &Run) -> Step {
    let conn = ftp_open(run, ftp_user())?;
    login(run, &conn)?;
    let remote = format!("/conformance-write-{}.txt", std::process::id());
    let file = conn
        .open_file_blocking(&remote, Access::Write, TransferOptions::new(), Context(2))
        .map_err(fail("open"))?;
    let hf = h(file.handle());
    if run
        .started_now(
            &hf,
            file.start_write(Bytes::from_static(b"written by the conformance suite\n")),
        )?
        .is_none()
    {
        run.wait(&hf)?;
    }
    run.started(&hf, file.start_finish())?;
    run.wait(&hf)?;
    close(run, file.handle())?;
    conn.delete_file_blocking(&remote)
        .map_err(fail("cleaning up"))?;
    close(run, conn.handle())
}

fn ftp_transfer_in_progress(run: &Run) -> Step {
    let conn = ftp_open(run, FtpOptions::new())?;
    login(run, &conn)?;
    let file = conn
        .open_file_blocking(
            "/data/rand_1M.bin",
            Access::Read,
            TransferOptions::new(),
            Context(2),
        )
        .map_err(fail("open"))?;
    match conn.start_current_directory() {
        Err(e) if e.code() == 12110 => {}
        other => return Err(format!("a second operation during a transfer: {other:?}")),
    }
    close(run, file.handle())?;
    close(run, conn.handle())
}

fn ftp_close_mid_transfer(run: &Run) -> Step {
    let conn = ftp_open(run, FtpOptions::new())?;
    login(run, &conn)?;
    let file = conn
        .open_file_blocking(
            "/data/rand_64M.bin",
            Access::Read,
            TransferOptions::new(),
            Context(2),
        )
        .map_err(fail("open"))?;
    let hf = h(file.handle());
    let _ = run.started_now(&hf, file.start_read(64 * 1024))?;
    run.wait(&hf)?;
    close(run, file.handle())?;
    close(run, conn.handle())
}

// ----- Gopher -----------------------------------------------------------------------------------

fn gopher_conn(run: &Run, port: u16) -> Step<GopherConnection> {
    GopherConnection::open(
        &run.session,
        "127.0.0.1",
        port,
        GopherOptions::new(),
        Context(1),
    )
    .map_err(fail("opening"))
}

fn locator(t: ItemType, selector: &str, port: u16) -> Step<Locator> {
    Locator::new(t, "", selector, "127.0.0.1", port).map_err(fail("locator"))
}

/// Find in callback mode and wait for its REQUEST_COMPLETE (which carries the find handle; it
/// closes when the notification is dropped, as nobody keeps a clone).
fn gopher_find(
    run: &Run,
    conn: &GopherConnection,
    loc: Option<&Locator>,
    query: Option<&str>,
) -> Step {
    let hc = h(conn.handle());
    run.started(&hc, conn.start_find_first(loc, query, Context(2)))?;
    run.wait(&hc)
}

fn gopher_menu(run: &Run) -> Step {
    let g = servers::gopher();
    let conn = gopher_conn(run, g.port)?;
    gopher_find(run, &conn, None, None)?;
    close(run, conn.handle())
}

fn gopher_item(run: &Run, t: ItemType, selector: &str) -> Step {
    let g = servers::gopher();
    let conn = gopher_conn(run, g.port)?;
    let file = conn
        .open_file_blocking(&locator(t, selector, g.port)?, None, Context(2))
        .map_err(fail("open"))?;
    read_to_end(run, &h(file.handle()), || file.start_read(64 * 1024))?;
    close(run, file.handle())?;
    close(run, conn.handle())
}

fn gopher_text(run: &Run) -> Step {
    gopher_item(run, ItemType::TextFile, "/hello.txt")
}

fn gopher_binary(run: &Run) -> Step {
    gopher_item(run, ItemType::Binary, "/bin.dat")
}

fn gopher_search(run: &Run) -> Step {
    let g = servers::gopher();
    let conn = gopher_conn(run, g.port)?;
    gopher_find(
        run,
        &conn,
        Some(&locator(ItemType::IndexServer, "/search", g.port)?),
        Some("inet"),
    )?;
    close(run, conn.handle())
}

fn gopher_bad_menu(run: &Run) -> Step {
    let g = servers::gopher();
    let conn = gopher_conn(run, g.port)?;
    // A binary item asked for as a menu: NUL bytes, not a menu (12152).
    gopher_find(
        run,
        &conn,
        Some(&locator(ItemType::Directory, "/bin.dat", g.port)?),
        None,
    )?;
    close(run, conn.handle())
}

// ----- open_url ---------------------------------------------------------------------------------

fn open_url(run: &Run, url: &str) -> Step {
    let (handle, pending) = inet::start_open_url(
        &run.session,
        url,
        inet::OpenUrlOptions::new().context(Context(1)),
    )
    .map_err(fail("open_url"))?;
    let hc = h(&handle);
    run.started(&hc, Ok(pending))?;
    run.wait(&hc)?;
    // The stream came in the completion; closing the connection closes it too.
    close(run, &handle)
}

fn open_url_http(run: &Run) -> Step {
    open_url(run, &servers::nginx().http_url("/hello.txt"))
}

fn open_url_https(run: &Run) -> Step {
    open_url(run, &servers::nginx().https_url("/hello.txt"))
}

fn open_url_ftp(run: &Run) -> Step {
    open_url(run, &servers::ftp().url("/welcome.txt"))
}

fn open_url_gopher(run: &Run) -> Step {
    open_url(run, &servers::gopher().url("0/hello.txt"))
}
