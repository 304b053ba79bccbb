//! `inet info URL`: what a URL names, without its body — status and headers (HTTP `HEAD`), size
//! and modification time (FTP `SIZE` and its listing entry), item type (Gopher, and the
//! server's `+INFO`/`+ADMIN` blocks when it speaks Gopher+). Blocking calls: one question each.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use inet::ftp::{FtpConnection, FtpUrl};
use inet::gopher::GopherConnection;
use inet::{Context, RequestFlags, RequestOptions, Session};
use serde_json::{json, Map, Value};

use crate::exit;

/// `inet info` arguments.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  inet info https://example.com/index.html          (status, headers, size, type, modified)
  inet info ftp://example.com/pub/file.iso --json   (size and modification time)
  inet info gopher://example.org/0/about.txt         (item type; Gopher+ attributes if any)
  inet info https://example.com/api -H 'Accept: application/json'

Exit status:
  0   the URL answered
  1   it did not; stderr says `inet: info <URL>: <what> (<WinINet error name> <code>)`
  2   bad command line
  130 interrupted (Ctrl-C)")]
pub struct InfoArgs {
    /// An http(s)://, ftp(s):// or gopher(s):// URL.
    #[arg(value_name = "URL")]
    url: String,

    /// One JSON object: url, protocol, status, size, type, modified, and the headers (HTTP) or
    /// attributes (Gopher+).
    #[arg(long)]
    json: bool,

    /// Credentials (FTP login, HTTP basic auth), overriding the URL's; without them, a
    /// `~/.netrc` entry for the host (`$NETRC` names another file).
    #[arg(short, long, value_name = "USER:PASSWORD")]
    user: Option<String>,

    /// HTTP: add (or replace) a header of the HEAD request; repeatable. Ignored for ftp:// and
    /// gopher:// URLs, as curl does.
    #[arg(short = 'H', long = "header", value_name = "K: V")]
    headers: Vec<String>,

    /// Also trust the CA certificates in this PEM file.
    #[arg(long, value_name = "PEM")]
    cacert: Option<PathBuf>,

    /// Accept any certificate (unknown CA, wrong host name, expired).
    #[arg(short = 'k', long)]
    insecure: bool,

    /// Connect, send and receive timeouts, in seconds.
    #[arg(long, value_name = "S", value_parser = crate::get::parse_seconds)]
    timeout: Option<Duration>,

    /// The connect timeout alone, in seconds (over --timeout's for connecting).
    #[arg(long, value_name = "S", value_parser = crate::get::parse_seconds)]
    connect_timeout: Option<Duration>,
}

/// Run `inet info`.
pub fn run(args: InfoArgs) -> u8 {
    let mut builder = Session::builder();
    if let Some(pem) = &args.cacert {
        builder = builder.add_root_certificates_file(pem);
    }
    builder = crate::calls::with_timeouts(builder, args.timeout, args.connect_timeout);
    let session = match builder.build() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("inet: info {}: {e}", args.url);
            return exit::INET;
        }
    };
    crate::interrupt::watch(&session);
    let scheme = args
        .url
        .split(':')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let facts = match scheme.as_str() {
        "http" | "https" => http(&session, &args),
        "ftp" | "ftps" => ftp(&session, &args),
        "gopher" | "gophers" => gopher(&session, &args),
        _ => Err(inet::Error::new(
            inet::ErrorKind::UnrecognizedScheme,
            format!("{scheme}: not a scheme inet speaks"),
        )),
    };
    session.close();
    match facts {
        Ok(facts) => {
            print(&args, &facts);
            exit::OK
        }
        Err(e) => {
            eprintln!("inet: info {}: {e}", args.url);
            exit::INET
        }
    }
}

/// What `info` found, in the order it prints.
type Facts = Map<String, Value>;

fn print(args: &InfoArgs, facts: &Facts) {
    if args.json {
        let mut all = Map::new();
        all.insert("url".into(), json!(args.url));
        all.extend(facts.clone());
        println!("{}", Value::Object(all));
        return;
    }
    println!("url: {}", args.url);
    for (k, v) in facts {
        match v {
            Value::Object(map) => {
                println!("{k}:");
                for (name, value) in map {
                    let text = value
                        .as_str()
                        .map_or_else(|| value.to_string(), str::to_string);
                    println!("  {name}: {}", text.replace('\n', "\n    "));
                }
            }
            Value::Null => println!("{k}: -"),
            Value::String(s) => println!("{k}: {s}"),
            other => println!("{k}: {other}"),
        }
    }
}

fn http(session: &Session, args: &InfoArgs) -> inet::Result<Facts> {
    let mut options = RequestOptions::default();
    if args.insecure {
        options.flags |= RequestFlags::IGNORE_CERT_ERRORS;
    }
    let user = crate::netrc::user_for(&args.url, args.user.as_deref());
    let url = crate::get::with_user(&args.url, user.as_deref());
    let req = inet::http::open_method(session, "HEAD", &url, options)?;
    let headers = (!args.headers.is_empty()).then(|| args.headers.join("\r\n"));
    req.send_blocking(headers.as_deref(), None)?;
    let header = |name: &str| req.header_value(name).ok().map_or(Value::Null, Value::from);
    let mut headers = Map::new();
    for line in req.raw_headers()?.lines().skip(1) {
        if let Some((name, value)) = line.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), json!(value.trim()));
        }
    }
    let mut f = Facts::new();
    f.insert("protocol".into(), json!("http"));
    f.insert(
        "status".into(),
        json!(format!("{} {}", req.status_code()?, req.status_text()?)),
    );
    f.insert(
        "size".into(),
        req.content_length().map_or(Value::Null, Value::from),
    );
    f.insert("type".into(), header("content-type"));
    f.insert("modified".into(), header("last-modified"));
    f.insert("headers".into(), Value::Object(headers));
    req.close();
    Ok(f)
}

fn ftp(session: &Session, args: &InfoArgs) -> inet::Result<Facts> {
    let url = FtpUrl::parse(&args.url)?;
    // Login, FTPS and certificate checks as the FTP commands set them up.
    let common = crate::ftp::Common {
        user: args.user.clone(),
        insecure: args.insecure,
        ..Default::default()
    };
    let conn = FtpConnection::connect_blocking(session, &url.host, url.port, common.options(&url))?;
    // The listing entry gives kind and time (and size); SIZE the exact size of a file.
    let entry = conn
        .find_first_blocking(Some(&url.path), Context(0))
        .ok()
        .and_then(|find| {
            let first = find
                .remaining()
                .into_iter()
                .find_map(|f| f.entry().cloned());
            find.close();
            first
        });
    let size = conn.file_size_blocking(&url.path).ok();
    let mut f = Facts::new();
    f.insert("protocol".into(), json!("ftp"));
    f.insert(
        "status".into(),
        json!(conn.last_response().lines().last().unwrap_or("")),
    );
    f.insert(
        "size".into(),
        size.or(entry.as_ref().and_then(|e| e.size))
            .map_or(Value::Null, Value::from),
    );
    f.insert(
        "type".into(),
        entry.as_ref().map_or(Value::Null, |e| {
            json!(format!("{:?}", e.kind).to_lowercase())
        }),
    );
    f.insert(
        "modified".into(),
        entry
            .as_ref()
            .and_then(|e| e.modified)
            .map_or(Value::Null, |t| json!(t.to_string())),
    );
    conn.close();
    Ok(f)
}

fn gopher(session: &Session, args: &InfoArgs) -> inet::Result<Facts> {
    let url = crate::gopher::GopherUrl::parse(&args.url)?;
    let locator = url.locator()?;
    let t = url.item_type;
    let common = crate::gopher::Common {
        insecure: args.insecure,
        ..Default::default()
    };
    let conn = GopherConnection::open(
        session,
        &url.host,
        url.port,
        common.options(&url),
        Context(0),
    )?;
    let mut f = Facts::new();
    f.insert("protocol".into(), json!("gopher"));
    f.insert(
        "type".into(),
        json!(format!("{} ({})", t.name(), char::from(t.as_byte()))),
    );
    match conn.get_attribute_blocking(&locator, None) {
        Ok(blocks) => {
            let mut attrs = Map::new();
            for b in &blocks {
                let text = if b.lines.is_empty() {
                    b.value.clone()
                } else {
                    b.lines.join("\n")
                };
                attrs.insert(b.name.clone(), json!(text));
            }
            let modified = blocks
                .iter()
                .find_map(|b| b.get("Mod-Date"))
                .map_or(Value::Null, Value::from);
            f.insert("modified".into(), modified);
            f.insert("attributes".into(), Value::Object(attrs));
        }
        // A plain Gopher server has nothing more to say about an item.
        Err(e) if e.kind() == inet::ErrorKind::GopherNotGopherPlus => {
            f.insert("modified".into(), Value::Null);
        }
        Err(e) => return Err(e),
    }
    conn.close();
    Ok(f)
}
