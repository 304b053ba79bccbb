//! What every handle of a session shares ([`Shared`]): the settings, the connection pool, the TLS
//! connectors, the id counter and table of open handles, and the executor of callback-mode
//! operations. Below the handle tree (every record points to it), so it must not use any handle
//! type: the table holds ids.

use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::Result;
use crate::ids::{HandleId, IdMap};
use crate::net::resume::ResumingConfigs;
use crate::net::tls::Connectors;
use crate::net::Pool;
use crate::options::Options;
use crate::spawn::{Builtin, Spawn, Task};

/// What every handle of a session shares.
pub(crate) struct Shared {
    pub(crate) options: Options,
    pub(crate) pool: Pool,
    pub(crate) next_id: AtomicU64,
    /// The open handles' ids (for leak checks): ids only, so this module needs no handle type.
    pub(crate) table: Mutex<IdMap<()>>,
    pub(crate) spawner: Option<Arc<dyn Spawn>>,
    pub(crate) builtin: Builtin,
    pub(crate) tls: Connectors,
    /// rustls configurations for connections that resume sessions (FTPS), built on first use.
    pub(crate) resuming: ResumingConfigs,
}

impl Shared {
    pub(crate) fn next_id(&self) -> HandleId {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        HandleId::new(NonZeroU64::new(n).unwrap_or(NonZeroU64::MIN))
    }

    pub(crate) fn register(&self, id: HandleId) {
        self.table.lock().insert(id, ());
    }

    pub(crate) fn unregister(&self, id: HandleId) {
        self.table.lock().remove(&id);
    }

    /// Whether [`spawn`](Self::spawn) would take a task now.
    pub(crate) fn check_spawn(&self) -> Result<()> {
        match &self.spawner {
            Some(_) => Ok(()),
            None => self.builtin.check(),
        }
    }

    /// Run a callback-mode task on the embedder's executor or the built-in one. Fails (dropping
    /// `task`, which frees its handle) when the built-in one has no worker to run it.
    pub(crate) fn spawn(&self, task: Task) -> Result<()> {
        match &self.spawner {
            Some(s) => {
                s.spawn(task);
                Ok(())
            }
            None => self.builtin.spawn(task),
        }
    }
}
