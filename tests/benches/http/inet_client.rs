//! The inet column: `inet_http` futures driven by `inet_core::block_on` (inet's reactor runs on
//! the calling thread while it waits), many requests sharing one session and its pool.

use std::path::Path;
use std::time::Instant;

use futures::{StreamExt, TryStreamExt};
use inet_core::Session;
use inet_http::{HttpRequest, RequestOptions};

use crate::job::{same_length, Job, Timing};
use crate::Result;

/// Bytes asked for by each read of a streamed body.
const READ_BUFFER: usize = 1 << 20;

/// Runs `job` in this process on a new session; the transfer is timed from the first request on.
pub fn run(job: &Job, ca: &Path) -> Result<Timing> {
    let started = Instant::now();
    let in_flight = match job {
        Job::Stream { .. } => 1,
        Job::Many { in_flight, .. } => *in_flight,
    };
    let url = match job {
        Job::Stream { url, .. } | Job::Many { url, .. } => url,
    };
    let mut builder = Session::builder()
        .add_root_certificates_file(ca)
        .max_connections_per_host(in_flight);
    if url.starts_with("https:") {
        // Load the trust store while setting up, as reqwest's client builder does (over plain
        // HTTP inet never loads it, and neither does this).
        builder = builder.preload_tls();
    }
    let session = builder.build()?;
    let setup = started.elapsed();
    inet_core::block_on(async {
        match job {
            Job::Stream { url, bytes } => stream(&session, url, *bytes).await,
            Job::Many {
                url,
                count,
                in_flight: 1,
                bytes,
            } => sequential(&session, url, *count, *bytes).await,
            Job::Many {
                url,
                count,
                in_flight,
                bytes,
            } => parallel(&session, url, *count, *in_flight, *bytes).await,
        }
    })?;
    Ok(Timing {
        setup,
        transfer: started.elapsed() - setup,
        reads: None,
    })
}

/// One GET, the body read into one buffer again and again and counted.
async fn stream(session: &Session, url: &str, bytes: u64) -> Result<()> {
    let request = send(session, url).await?;
    let mut buf = vec![0u8; READ_BUFFER];
    let mut got = 0u64;
    loop {
        match request.read(&mut buf).await? {
            0 => break,
            n => got += n as u64,
        }
    }
    same_length(got, bytes)
}

async fn sequential(session: &Session, url: &str, count: usize, bytes: u64) -> Result<()> {
    for _ in 0..count {
        get_small(session, url, bytes).await?;
    }
    Ok(())
}

async fn parallel(
    session: &Session,
    url: &str,
    count: usize,
    in_flight: usize,
    bytes: u64,
) -> Result<()> {
    futures::stream::iter(0..count)
        .map(|_| get_small(session, url, bytes))
        .buffer_unordered(in_flight)
        .try_for_each(|()| async { Ok(()) })
        .await
}

async fn get_small(session: &Session, url: &str, bytes: u64) -> Result<()> {
    let body = send(session, url).await?.read_to_end().await?;
    same_length(body.len() as u64, bytes)
}

/// Opens and sends a GET; an error unless the status is 200.
async fn send(session: &Session, url: &str) -> Result<HttpRequest> {
    let request = inet_http::open(session, url, RequestOptions::default())?;
    request.send(None, None).await?;
    match request.status_code()? {
        200 => Ok(request),
        code => Err(format!("inet: status {code} from {url}").into()),
    }
}
