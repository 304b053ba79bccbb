//! Blocking calls: open a URL (any scheme inet speaks), print what came back.
//!
//! ```sh
//! cargo run -p inet --example blocking -- http://127.0.0.1:8080/hello.txt
//! ```

use inet::{open_url_blocking, OpenUrlOptions, Session, UrlStream};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .ok_or("usage: blocking URL (http, https, ftp, ftps, gopher or gophers)")?;
    let session = Session::builder().user_agent("inet-example/1.0").build()?;
    let stream = open_url_blocking(&session, &url, OpenUrlOptions::new())?;
    if let UrlStream::Http(req) = &stream {
        println!("status: {}", req.status_code()?);
    }
    let body = stream.read_to_end_blocking(64 << 20)?;
    println!("{} bytes", body.len());
    Ok(())
}
