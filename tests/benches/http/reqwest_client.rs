//! The reqwest peer: native-tls, HTTP/1.1, on a current-thread tokio runtime (its fastest setting
//! on two cores shared with the server).

use std::fs;
use std::path::Path;
use std::time::Instant;

use futures::{StreamExt, TryStreamExt};

use crate::job::{same_length, Job, Timing};
use crate::Result;

/// Runs `job` in this process on a new runtime and client; the transfer is timed from the first
/// request on.
pub fn run(job: &Job, ca: &Path) -> Result<Timing> {
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let client = client(ca)?;
    let setup = started.elapsed();
    runtime.block_on(async {
        match job {
            Job::Stream { url, bytes } => stream(&client, url, *bytes).await,
            Job::Many {
                url,
                count,
                in_flight: 1,
                bytes,
            } => sequential(&client, url, *count, *bytes).await,
            Job::Many {
                url,
                count,
                in_flight,
                bytes,
            } => parallel(&client, url, *count, *in_flight, *bytes).await,
        }
    })?;
    Ok(Timing {
        setup,
        transfer: started.elapsed() - setup,
        reads: None,
    })
}

fn client(ca: &Path) -> Result<reqwest::Client> {
    let ca = reqwest::Certificate::from_pem(&fs::read(ca)?)?;
    Ok(reqwest::Client::builder()
        .tls_backend_native()
        .add_root_certificate(ca)
        .no_proxy()
        .http1_only()
        .build()?)
}

/// One GET, the body read chunk by chunk and counted.
async fn stream(client: &reqwest::Client, url: &str, bytes: u64) -> Result<()> {
    let mut response = ok(client.get(url).send().await?)?;
    let mut got = 0u64;
    while let Some(chunk) = response.chunk().await? {
        got += chunk.len() as u64;
    }
    same_length(got, bytes)
}

async fn sequential(client: &reqwest::Client, url: &str, count: usize, bytes: u64) -> Result<()> {
    for _ in 0..count {
        get_small(client, url, bytes).await?;
    }
    Ok(())
}

async fn parallel(
    client: &reqwest::Client,
    url: &str,
    count: usize,
    in_flight: usize,
    bytes: u64,
) -> Result<()> {
    futures::stream::iter(0..count)
        .map(|_| get_small(client, url, bytes))
        .buffer_unordered(in_flight)
        .try_for_each(|()| async { Ok(()) })
        .await
}

async fn get_small(client: &reqwest::Client, url: &str, bytes: u64) -> Result<()> {
    let body = ok(client.get(url).send().await?)?.bytes().await?;
    same_length(body.len() as u64, bytes)
}

fn ok(response: reqwest::Response) -> Result<reqwest::Response> {
    match response.status().as_u16() {
        200 => Ok(response),
        code => Err(format!("reqwest: status {code} from {}", response.url()).into()),
    }
}
