//! The conformance suite (`cargo xtask conformance`): scenarios run against the real servers of
//! the harness (and the fault servers), their notifications recorded and compared with the
//! checked-in expected sequences in `conformance/expected/NAME.txt`, which follow WinINet's
//! documented behaviour and the Wine project's wininet tests (see `conformance/README.md`).
//!
//! - [`trace`]: what a scenario's status callback saw, as lines (`req1 SENDING_REQUEST`), one
//!   label per handle in creation order;
//! - [`expect`]: the expected-sequence files and the matcher (per handle, with `?`, `*`, `+`);
//! - [`rules`]: what every scenario must keep whatever its expectation says (HANDLE_CREATED
//!   first, HANDLE_CLOSING last and once, one REQUEST_COMPLETE per pending operation);
//! - [`scenarios`]: the scenarios;
//! - [`run`]: running them, the expected-failures list, the table.

pub mod expect;
pub mod rules;
pub mod run;
pub mod scenarios;
pub mod trace;
