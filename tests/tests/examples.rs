//! The facade's examples (`facade/examples/`), run as a user would run them, against the
//! harness's servers: each must exit 0 and print what it promises.
//!
//! The example binaries are built by `cargo test --workspace --all-targets` (what `cargo xtask
//! test` runs); run alone, this test builds them first.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Duration;

use inet_tests::fault::{Behaviour, FaultServer};
use inet_tests::servers;

fn examples_dir() -> PathBuf {
    // target/<profile>/deps/examples-<hash> → target/<profile>/examples
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("examples"))
        .expect("target/<profile>/examples")
}

fn example(name: &str, args: &[&str]) -> Output {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        if !examples_dir().join("blocking").exists() {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = Command::new(cargo)
                .args(["build", "-q", "-p", "inet", "--examples"])
                .status()
                .expect("cargo build --examples");
            assert!(status.success(), "building the examples failed");
        }
    });
    let out = Command::new(examples_dir().join(name))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running example {name}: {e}"));
    assert!(
        out.status.success(),
        "example {name} {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn blocking_smol_and_tokio_fetch_every_scheme() {
    let nginx = servers::nginx();
    let ftp = servers::ftp();
    let gopher = servers::gopher();
    let out = example("blocking", &[&nginx.http_url("/hello.txt")]);
    assert_eq!(stdout(&out), "status: 200\n14 bytes\n");
    let urls = [
        nginx.http_url("/data/rand_1M.bin"),
        ftp.url("/data/rand_1M.bin"),
        gopher.url("9/data/rand_1M.bin"),
    ];
    let args: Vec<&str> = urls.iter().map(String::as_str).collect();
    for name in ["smol", "tokio"] {
        let text = stdout(&example(name, &args));
        for url in &urls {
            assert!(
                text.contains(&format!("{url}: 1048576 bytes")),
                "{name}: {text}"
            );
        }
    }
}

#[test]
fn callback_mode_reports_each_url_with_its_context() {
    let nginx = servers::nginx();
    let ftp = servers::ftp();
    let out = stdout(&example(
        "callback",
        &[
            &nginx.http_url("/data/rand_1M.bin"),
            &ftp.url("/welcome.txt"),
        ],
    ));
    assert!(
        out.contains("[1] ") && out.contains("HANDLE_CREATED"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "[1] {}: 1048576 bytes",
            nginx.http_url("/data/rand_1M.bin")
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("[2] {}: 15 bytes", ftp.url("/welcome.txt"))),
        "{out}"
    );
}

#[test]
fn cancel_closes_a_request_that_never_answers() {
    let stall = FaultServer::start(Behaviour::Stall).expect("server");
    let started = std::time::Instant::now();
    let out = stdout(&example("cancel", &[&stall.url("/slow"), "300"]));
    assert!(
        out.contains("no answer in 300ms: closing the handle"),
        "{out}"
    );
    assert!(out.contains("error 12017"), "{out}");
    assert!(out.contains("HANDLE_CLOSING"), "{out}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn progress_reports_a_large_download() {
    let nginx = servers::nginx();
    let out = example("progress", &[&nginx.http_url("/data/rand_64M.bin")]);
    assert_eq!(stdout(&out), "67108864 bytes\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("100.0% of 67108864 bytes"));
}

#[test]
fn ftp_mirror_copies_a_tree_and_gopher_walk_lists_menus() {
    let ftp = servers::ftp();
    let dest = std::env::temp_dir().join(format!("inet-mirror-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dest);
    let out = stdout(&example(
        "ftp_mirror",
        &[&ftp.url("/data/tree/"), dest.to_str().expect("utf-8 path")],
    ));
    assert!(out.contains(" files, "), "{out}");
    let on_server = ftp.root.join("data/tree");
    let mut count = 0;
    for entry in walk(&on_server) {
        let rel = entry.strip_prefix(&on_server).expect("inside");
        assert_eq!(
            std::fs::read(&entry).expect("server file"),
            std::fs::read(dest.join(rel)).expect("mirrored file"),
            "{}",
            rel.display()
        );
        count += 1;
    }
    assert!(
        count > 0 && out.starts_with(&format!("{count} files")),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dest);

    let gopher = servers::gopher();
    let out = stdout(&example("gopher_walk", &[&gopher.url("/"), "2"]));
    assert!(out.contains("/hello.txt") && out.contains("/dir"), "{out}");
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn page_fetches_a_page_and_its_same_origin_resources() {
    let nginx = servers::nginx();
    let dest = std::env::temp_dir().join(format!("inet-page-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dest);
    let url = nginx.http_url("/data/page/index.html");
    let out = stdout(&example(
        "page",
        &[&url, dest.to_str().expect("utf-8 path")],
    ));
    // The page and its four same-origin resources; the link elsewhere is left alone.
    assert_eq!(out.lines().count(), 5, "{out}");
    assert!(!out.contains("elsewhere"), "{out}");
    for file in [
        "index.html",
        "style.css",
        "app.js",
        "img/a.bin",
        "img/b.bin",
    ] {
        let want = std::fs::read(nginx.data_dir().join("page").join(file)).expect("served file");
        let got = std::fs::read(dest.join("data/page").join(file)).expect("saved file");
        assert!(got == want, "{file} differs");
    }
    let _ = std::fs::remove_dir_all(&dest);
}
