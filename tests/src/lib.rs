//! Test harness for inet: real servers on loopback and in-process misbehaving ones.
//!
//! - [`servers`]: nginx (later FTP and Gopher) started from the scripts in `tests/servers/`, shared
//!   by a whole `cargo xtask test` run or started once per test process.
//! - [`fault`]: [`fault::FaultServer`], a scripted TCP server for timeouts, resets, garbage and
//!   slow peers.
//!
//! The integration tests of the workspace live in `tests/tests/`, the benchmarks in
//! `tests/benches/`.

#![forbid(unsafe_code)]

pub mod conformance;
pub mod fault;
pub mod ftp_fault;
pub mod noise;
pub mod record;
pub mod servers;
