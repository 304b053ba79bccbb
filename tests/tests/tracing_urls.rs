//! The `tracing` feature's spans for FTP and Gopher handles (issue 11 §3): each connection, find
//! and file handle's span carries the URL it works on, without credentials — as HTTP request
//! spans do (`core/tests/tracing.rs` checks the span and events themselves). Built only with
//! the feature: `cargo test -p inet-tests --features tracing --test tracing_urls`.
#![cfg(feature = "tracing")]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use inet_core::{Context, HandleId, Session};
use inet_ftp::{Access, FtpConnection, FtpOptions, TransferOptions};
use inet_gopher::{GopherConnection, GopherOptions, GopherUrl};
use inet_tests::servers;
use parking_lot::Mutex;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Fields of a span, as text.
#[derive(Default, Debug, Clone)]
struct Fields(HashMap<String, String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(
            field.name().to_string(),
            format!("{value:?}").trim_matches('"').to_string(),
        );
    }
}

/// Every span's fields, kept by the process-wide subscriber (handles may be created on any
/// thread).
struct Keep {
    spans: Arc<Mutex<HashMap<u64, Fields>>>,
    next: AtomicU64,
}

impl Subscriber for Keep {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mut f = Fields::default();
        span.record(&mut f);
        self.spans.lock().insert(id, f);
        Id::from_u64(id)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        if let Some(f) = self.spans.lock().get_mut(&span.into_u64()) {
            values.record(f);
        }
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

fn spans() -> &'static Arc<Mutex<HashMap<u64, Fields>>> {
    static SPANS: OnceLock<Arc<Mutex<HashMap<u64, Fields>>>> = OnceLock::new();
    SPANS.get_or_init(|| {
        let spans = Arc::new(Mutex::new(HashMap::new()));
        let keep = Keep {
            spans: spans.clone(),
            next: AtomicU64::new(0),
        };
        tracing::subscriber::set_global_default(keep).expect("the only subscriber");
        spans
    })
}

/// Handle ids are per session: the tests run one at a time, each with the spans of its own.
fn alone() -> parking_lot::MutexGuard<'static, ()> {
    static ONE: Mutex<()> = Mutex::new(());
    let guard = ONE.lock();
    spans().lock().clear();
    guard
}

/// The `url` field of the span of handle `id`.
fn url_of(id: HandleId) -> Option<String> {
    spans()
        .lock()
        .values()
        .find(|f| f.0.get("id").map(String::as_str) == Some(&id.to_string()))
        .and_then(|f| f.0.get("url").cloned())
}

/// No span field anywhere shows `secret`.
fn nowhere(secret: &str) {
    for f in spans().lock().values() {
        for (k, v) in &f.0 {
            assert!(!v.contains(secret), "span field {k}={v} shows {secret:?}");
        }
    }
}

#[test]
fn ftp_connection_find_and_file_spans_carry_their_url_without_credentials() {
    let _alone = alone();
    let ftp = servers::ftp();
    let s = Session::new().expect("session");
    let options = FtpOptions::new().credentials(&ftp.user, &ftp.password);
    let conn = FtpConnection::connect_blocking(&s, "127.0.0.1", ftp.port, options).expect("log in");
    let base = format!("ftp://127.0.0.1:{}/", ftp.port);
    assert_eq!(url_of(conn.handle().id()).as_deref(), Some(base.as_str()));

    let file = conn
        .open_file_blocking(
            "welcome.txt",
            Access::Read,
            TransferOptions::new(),
            Context(0),
        )
        .expect("open");
    assert_eq!(
        url_of(file.handle().id()),
        Some(format!("{base}welcome.txt"))
    );
    std::io::copy(&mut file.blocking_reader(), &mut std::io::sink()).expect("read");
    file.finish_blocking().expect("226");
    drop(file);
    let find = conn
        .find_first_blocking(Some("/data/*.bin"), Context(0))
        .expect("find");
    assert_eq!(
        url_of(find.handle().id()),
        Some(format!("{base}%2Fdata/%2A.bin"))
    );
    drop(find);

    // open_url with the credentials in the URL: its connection's span has neither.
    let stream = inet::open_url_blocking(&s, &ftp.user_url("/welcome.txt"), Default::default())
        .expect("open_url");
    let inet::UrlStream::Ftp(file) = &stream else {
        panic!("an FTP stream")
    };
    assert_eq!(
        url_of(file.handle().id()),
        Some(format!("{base}welcome.txt"))
    );
    drop(stream);
    nowhere(&ftp.password);
    nowhere(&format!("{}@", ftp.user));
}

#[test]
fn gopher_connection_find_and_file_spans_carry_their_url() {
    let _alone = alone();
    let g = servers::gopher();
    let s = Session::new().expect("session");
    let conn = GopherConnection::open(&s, "127.0.0.1", g.port, GopherOptions::new(), Context(0))
        .expect("open");
    let base = format!("gopher://127.0.0.1:{}/", g.port);
    assert_eq!(url_of(conn.handle().id()), Some(format!("{base}1")));

    let menu = GopherUrl::parse(&g.url("/1/")).expect("url");
    let find = conn
        .find_first_blocking(Some(&menu.locator().expect("locator")), None, Context(0))
        .expect("menu");
    assert_eq!(url_of(find.handle().id()), Some(format!("{base}1/")));

    let search = GopherUrl::parse(&g.url("/7/search")).expect("url");
    let found = conn
        .find_first_blocking(
            Some(&search.locator().expect("locator")),
            Some("gopher rfc"),
            Context(0),
        )
        .expect("search");
    assert_eq!(
        url_of(found.handle().id()),
        Some(format!("{base}7/search%09gopher%20rfc"))
    );

    let item = GopherUrl::parse(&g.url("/0/hello.txt")).expect("url");
    let file = conn
        .open_file_blocking(&item.locator().expect("locator"), None, Context(0))
        .expect("item");
    assert_eq!(
        url_of(file.handle().id()),
        Some(format!("{base}0/hello.txt"))
    );
}
