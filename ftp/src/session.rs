//! What an FTP connection handle and the find/file handles under it share: the control
//! connection (lent to one operation at a time), the open transfer, the last reply's text, and
//! the login.
//!
//! The control connection sits in a slot. An operation takes it out as a [`Lease`] (logging in
//! first when there is none yet) and the lease puts it back when dropped — also when the
//! operation was cancelled half-way: the [`Control`] then owes replies, which the next
//! operation reads first. A connection found broken (a `421`, a reset, garbage) is closed when
//! its lease ends, and the next operation connects and logs in again. While a find or file handle is open, the slot is marked with its id
//! and any other operation fails with FTP_TRANSFER_IN_PROGRESS (12110), sending nothing.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use inet_core::transport::{connect_tcp, start_tls_resuming, Conn, TlsSessions};
use inet_core::{Error, ErrorKind, HandleId, HandleRef, Result};
use parking_lot::Mutex;

use crate::control::Control;
use crate::errors;
use crate::options::{FtpOptions, Security};
use crate::proto::dialog::{Login, LoginStep};
use crate::url::FtpUrl;

/// Where the control connection is.
#[derive(Debug)]
enum Slot {
    /// Not connected (yet, or any more).
    Empty,
    /// Connected and free.
    Idle(Box<Control>),
    /// An operation holds it.
    Lent,
}

#[derive(Debug)]
struct State {
    control: Slot,
    /// The find or file handle whose transfer is open.
    transfer: Option<HandleId>,
}

/// The server, the login, and the shared state of one FTP connection handle.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) options: FtpOptions,
    state: Mutex<State>,
    last: Arc<Mutex<String>>,
}

impl Shared {
    /// The URL of `path` on this server, without credentials, for a handle's `tracing` span
    /// (`path` as the server reads it: relative to the login directory unless it starts with
    /// `/`).
    pub(crate) fn trace_url(&self, path: &str) -> String {
        FtpUrl::traced(
            &self.host,
            self.port,
            path,
            self.options.security != Security::None,
        )
        .to_string()
    }

    pub(crate) fn new(host: &str, port: u16, options: FtpOptions) -> Arc<Shared> {
        Arc::new(Shared {
            host: host.to_string(),
            port,
            options,
            state: Mutex::new(State {
                control: Slot::Empty,
                transfer: None,
            }),
            last: Arc::new(Mutex::new(String::new())),
        })
    }

    /// The full text of the last reply (InternetGetLastResponseInfo).
    pub(crate) fn last_response(&self) -> String {
        self.last.lock().clone()
    }

    /// Whether a control connection is logged in.
    pub(crate) fn is_connected(&self) -> bool {
        matches!(self.state.lock().control, Slot::Idle(_) | Slot::Lent)
    }

    /// Fail with FTP_TRANSFER_IN_PROGRESS (12110) while a find or file handle is open: callback
    /// mode checks before it starts anything, so the call fails at once, as WinINet's does.
    pub(crate) fn refuse_during_transfer(&self) -> Result<()> {
        match self.state.lock().transfer {
            Some(id) => Err(Error::new(
                ErrorKind::FtpTransferInProgress,
                format!("a transfer is open on this connection (handle {id}); close it first"),
            )),
            None => Ok(()),
        }
    }

    /// The control connection for an operation on the connection handle `h`: fails with
    /// FTP_TRANSFER_IN_PROGRESS while a find or file handle is open; logs in when not
    /// connected; reads replies owed by cancelled operations.
    pub(crate) async fn lease(self: &Arc<Self>, h: &HandleRef, what: &str) -> Result<Lease> {
        let taken = {
            let mut st = self.state.lock();
            if let Some(id) = st.transfer {
                return Err(Error::new(
                    ErrorKind::FtpTransferInProgress,
                    format!("{what}: a transfer is open on this connection (handle {id}); close it first"),
                ));
            }
            match std::mem::replace(&mut st.control, Slot::Lent) {
                Slot::Idle(c) => Some(c),
                Slot::Empty => None,
                Slot::Lent => {
                    st.control = Slot::Lent;
                    return Err(Error::new(
                        ErrorKind::FtpTransferInProgress,
                        format!("{what}: the control connection is busy"),
                    ));
                }
            }
        };
        let mut lease = Lease {
            shared: self.clone(),
            control: taken,
        };
        if lease.control.is_none() {
            lease.control = Some(Box::new(self.login(h).await?));
        }
        lease.settle(h).await?;
        Ok(lease)
    }

    /// The control connection for the transfer of find/file handle `id` (its finish or
    /// abort): only that handle may take it.
    pub(crate) fn lease_for_transfer(self: &Arc<Self>, id: HandleId) -> Option<Lease> {
        let mut st = self.state.lock();
        if st.transfer != Some(id) {
            return None;
        }
        match std::mem::replace(&mut st.control, Slot::Lent) {
            Slot::Idle(c) => Some(Lease {
                shared: self.clone(),
                control: Some(c),
            }),
            other => {
                st.control = other;
                None
            }
        }
    }

    /// Mark the transfer of handle `id` open (no other operation until it ends).
    pub(crate) fn begin_transfer(&self, id: HandleId) {
        self.state.lock().transfer = Some(id);
    }

    /// The transfer of handle `id` is over.
    pub(crate) fn end_transfer(&self, id: HandleId) {
        let mut st = self.state.lock();
        if st.transfer == Some(id) {
            st.transfer = None;
        }
    }

    /// Take the control connection away for good (the connection handle is closing).
    pub(crate) fn take_for_close(&self) -> Option<Control> {
        let mut st = self.state.lock();
        match std::mem::replace(&mut st.control, Slot::Empty) {
            Slot::Idle(c) => Some(*c),
            Slot::Lent => {
                st.control = Slot::Lent;
                None
            }
            Slot::Empty => None,
        }
    }

    /// Connect and log in, reporting to `h`: RESOLVING_NAME … CONNECTED_TO_SERVER, then each
    /// command and reply. A refused login is LOGIN_FAILURE (12015).
    async fn login(&self, h: &HandleRef) -> Result<Control> {
        let opts = &self.options;
        let what = format!("logging in to {}:{}", self.host, self.port);
        let conn = connect_tcp(h, &self.host, self.port).await?;
        let sessions = (opts.security != Security::None).then(TlsSessions::new);
        let mut ctl = Control::new(conn, &self.host, self.last.clone());
        ctl.verify = opts.verify;
        let mut login = match (&sessions, opts.security) {
            (Some(s), Security::Implicit) => {
                ctl = self.start_tls(ctl, h, s).await?;
                Login::new(opts.user(), opts.password(), opts.account.as_deref(), false)
            }
            _ => Login::new(
                opts.user(),
                opts.password(),
                opts.account.as_deref(),
                opts.security == Security::Explicit,
            ),
        };
        // The greeting (a 120 "ready in n minutes" first is skipped).
        let greeting = ctl.final_reply(h).await?;
        let mut step = login
            .on_reply(&greeting)
            .map_err(|e| errors::dialog(&what, e))?;
        loop {
            step = match step {
                LoginStep::Send(cmd) => {
                    ctl.send(h, &cmd).await?;
                    let reply = ctl.final_reply(h).await?;
                    login
                        .on_reply(&reply)
                        .map_err(|e| errors::dialog(&what, e))?
                }
                LoginStep::StartTls => {
                    let Some(s) = &sessions else {
                        return Err(Error::new(
                            ErrorKind::Internal,
                            format!("{what}: TLS without sessions"),
                        ));
                    };
                    ctl = self.start_tls(ctl, h, s).await?;
                    login.tls_started()
                }
                LoginStep::Done(features) => {
                    ctl.features = features;
                    ctl.tls = sessions;
                    return Ok(ctl);
                }
            };
        }
    }

    async fn start_tls(
        &self,
        ctl: Control,
        h: &HandleRef,
        sessions: &TlsSessions,
    ) -> Result<Control> {
        let host = self.host.clone();
        let verify = self.options.verify;
        ctl.replace_conn(|conn: Conn| async move {
            start_tls_resuming(h, conn, &host, verify, sessions).await
        })
        .await
    }
}

/// The control connection, lent to one operation; back in its slot when dropped.
#[derive(Debug)]
pub(crate) struct Lease {
    shared: Arc<Shared>,
    control: Option<Box<Control>>,
}

impl Deref for Lease {
    type Target = Control;
    fn deref(&self) -> &Control {
        // A lease always holds a control connection; `discard` consumes the lease.
        self.control
            .as_deref()
            .unwrap_or_else(|| unreachable!("a lease without a connection"))
    }
}

impl DerefMut for Lease {
    fn deref_mut(&mut self) -> &mut Control {
        self.control
            .as_deref_mut()
            .unwrap_or_else(|| unreachable!("a lease without a connection"))
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let mut st = self.shared.state.lock();
        st.control = match self.control.take() {
            Some(mut c) => {
                c.released();
                if c.is_broken() {
                    // A 421, a lost connection, garbage: close it; the next operation logs in
                    // afresh.
                    c.abandon();
                    Slot::Empty
                } else {
                    Slot::Idle(c)
                }
            }
            None => Slot::Empty,
        };
    }
}
