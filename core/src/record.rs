//! The record behind a handle ([`Node`]) and the state its one lock guards ([`NodeState`]): what a
//! handle is made of, not what it does (the tree's rules are `handle`'s, delivery is `notify`'s).
//!
//! Generic over `N`, what the mailbox carries, and `O`, what owns the parent, because those types
//! contain a record themselves: a `Notification` can carry a new `Handle`, and a `Handle` owns a
//! record. `status` closes that loop once, naming `Record = Node<Notification, Handle>`; being
//! generic lets this module sit below it. It must not use `status`, `handle` or anything above.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::Mutex;

use crate::cancel::OpSignal;
use crate::ids::{Context, HandleId, HandleKind, IdMap};
use crate::mailbox::{Mailbox, Queue};
use crate::shared::Shared;
use crate::spawn::Task;

/// Where a handle is in its life.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Life {
    Open,
    /// Close was asked; waiting for the pending operation and the children to finish.
    Closing,
    /// The protocol's asynchronous cleanup is running (e.g. FTP's ABOR); HANDLE_CLOSING follows.
    CleaningUp,
    /// HANDLE_CLOSING has been pushed.
    Closed,
}

/// A status callback for notes of type `N` (`StatusCallback` for `Notification`).
pub(crate) type Callback<N> = Arc<dyn Fn(&N) + Send + Sync>;

pub(crate) type CloseHook = Box<dyn FnOnce() + Send>;
/// Makes the future of an asynchronous cleanup step, bounded by its time limit.
pub(crate) type CleanupHook = (Duration, Box<dyn FnOnce() -> Option<Task> + Send>);

/// Everything about a handle that changes; guarded by one lock that is never held while user code
/// (a status callback) runs.
pub(crate) struct NodeState<N, O> {
    pub(crate) mailbox: Mailbox<N>,
    pub(crate) callback: Option<Callback<N>>,
    pub(crate) life: Life,
    pub(crate) children: Children<Weak<Node<N, O>>>,
    pub(crate) op: Option<Arc<OpSignal>>,
    /// The last operation's signal, kept for the next one: reused when nothing holds it any
    /// more (a request runs three operations; each made its own before).
    pub(crate) spare_op: Option<Arc<OpSignal>>,
    /// The context the pending operation reports with, when its call gave one.
    pub(crate) op_context: Option<Context>,
    /// Keeps the parent open while this handle is; released once this handle has closed.
    pub(crate) parent_owner: Option<O>,
    pub(crate) close_hooks: CloseHooks,
    pub(crate) cleanups: Vec<CleanupHook>,
    /// Runs once `HANDLE_CLOSING` has been delivered (or dropped, with nobody listening): what
    /// must wait for it — telling the parent — when another thread is still delivering this
    /// handle's earlier notifications.
    pub(crate) after_last: Option<AfterLast<N, O>>,
}

impl<N, O> NodeState<N, O> {
    pub(crate) fn new(callback: Option<Callback<N>>, parent_owner: Option<O>) -> Self {
        NodeState {
            mailbox: Mailbox::default(),
            callback,
            life: Life::Open,
            children: Children::default(),
            op: None,
            spare_op: None,
            op_context: None,
            parent_owner,
            close_hooks: CloseHooks::default(),
            cleanups: Vec::new(),
            after_last: None,
        }
    }
}

/// What runs once a handle's `HANDLE_CLOSING` has been delivered: `run`, given the handle and
/// `parent_owner`. A function and its one datum rather than a boxed closure: every handle has
/// one, and a box was an allocation per handle.
pub(crate) struct AfterLast<N, O> {
    pub(crate) run: fn(&Node<N, O>, Option<O>),
    pub(crate) parent_owner: Option<O>,
}

/// A handle's close hooks, run in the order they were added; the first kept inline.
pub(crate) type CloseHooks = Queue<CloseHook>;

/// A handle's children by id. Most handles have none or one (the connection `open_url` makes
/// holds its one request): the first is kept inline and a map is made only for a second, where
/// a map alone was allocated for every such connection, once per request.
pub(crate) struct Children<V> {
    one: Option<(HandleId, V)>,
    more: IdMap<V>,
}

impl<V> Default for Children<V> {
    fn default() -> Self {
        Children {
            one: None,
            more: IdMap::default(),
        }
    }
}

impl<V> Children<V> {
    pub(crate) fn insert(&mut self, id: HandleId, child: V) {
        match self.one {
            None => self.one = Some((id, child)),
            Some(_) => {
                self.more.insert(id, child);
            }
        }
    }

    pub(crate) fn remove(&mut self, id: HandleId) {
        match &self.one {
            Some((one, _)) if *one == id => self.one = None,
            _ => {
                self.more.remove(&id);
            }
        }
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.one.iter().map(|(_, v)| v).chain(self.more.values())
    }

    /// Keeps the children `keep` says yes to.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&V) -> bool) {
        if self.one.as_ref().is_some_and(|(_, v)| !keep(v)) {
            self.one = None;
        }
        self.more.retain(|_, v| keep(v));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.one.is_none() && self.more.is_empty()
    }
}

/// One handle: its identity, its links (parent, session), and its state.
pub(crate) struct Node<N, O> {
    pub(crate) id: HandleId,
    pub(crate) kind: HandleKind,
    pub(crate) parent: Option<Arc<Node<N, O>>>,
    pub(crate) shared: Arc<Shared>,
    pub(crate) context: AtomicU64,
    /// How many `Handle`s own this record; the last one's drop closes the handle.
    pub(crate) owners: AtomicUsize,
    /// True while no note pushed now can reach anyone: no callback, and nobody delivering.
    /// Written only under `state`'s lock (see `NodeState::update_quiet`); read without it by
    /// `notify`, which then drops a note without taking the lock — most handles of a
    /// future-form user have no callback and get ~10 notes per request.
    pub(crate) quiet: AtomicBool,
    pub(crate) state: Mutex<NodeState<N, O>>,
    /// The handle's span (feature `tracing`).
    #[cfg(feature = "tracing")]
    pub(crate) span: tracing::Span,
}

impl<N, O> Node<N, O> {
    /// Set [`quiet`](Self::quiet) from `st` (the locked state of this node).
    pub(crate) fn update_quiet(&self, st: &NodeState<N, O>) {
        let quiet = st.callback.is_none() && !st.mailbox.is_delivering();
        self.quiet.store(quiet, Ordering::Release);
    }

    pub(crate) fn parent_id(&self) -> Option<HandleId> {
        self.parent.as_ref().map(|p| p.id)
    }

    pub(crate) fn context(&self) -> Context {
        Context(self.context.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU64;

    use super::*;

    fn id(n: u64) -> HandleId {
        HandleId::new(NonZeroU64::new(n).expect("ids start at 1"))
    }

    fn sorted(c: &Children<u64>) -> Vec<u64> {
        let mut v: Vec<u64> = c.values().copied().collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn close_hooks_come_out_in_the_order_they_went_in() {
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut hooks = CloseHooks::default();
        for n in 1..=3 {
            let order = order.clone();
            hooks.push_back(Box::new(move || order.lock().push(n)));
        }
        for hook in hooks {
            hook();
        }
        assert_eq!(*order.lock(), [1, 2, 3]);
    }

    #[test]
    fn children_inline_and_in_the_map_are_one_set() {
        let mut c = Children::default();
        assert!(c.is_empty());
        for n in 1..=3 {
            c.insert(id(n), n);
        }
        assert_eq!(sorted(&c), [1, 2, 3]);
        // The inline one goes, and the next insert takes its place beside the map's.
        c.remove(id(1));
        assert_eq!(sorted(&c), [2, 3]);
        c.insert(id(4), 4);
        assert_eq!(sorted(&c), [2, 3, 4]);
        // Removing an id that is not there changes nothing.
        c.remove(id(9));
        assert_eq!(sorted(&c), [2, 3, 4]);
        c.retain(|&v| v % 2 == 0);
        assert_eq!(sorted(&c), [2, 4]);
        c.remove(id(2));
        c.remove(id(4));
        assert!(c.is_empty());
    }
}
