//! Menus (WinINet: GopherFindFirstFile, InternetFindNextFile): a find handle holding the items of
//! one menu (or search result), read whole when it opens.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use inet_core::{
    Completion, Context, Error, ErrorKind, Handle, HandleKind, Pending, Reader, Result, Started,
    UntilClose, Value,
};
use parking_lot::Mutex;

use crate::connection::{send_request, GopherConnection};
use crate::errors;
use crate::proto::{Locator, MenuItem, MenuParser};

/// A menu larger than this fails with NOT_ENOUGH_MEMORY (8) instead of filling memory.
const MAX_MENU: u64 = 64 * 1024 * 1024;

impl From<MenuItem> for Completion {
    fn from(item: MenuItem) -> Self {
        Completion::Value(Value::new(item))
    }
}

/// A Gopher find handle (WinINet: the handle GopherFindFirstFile returns): a menu's items, in
/// order — `i` info lines and `3` error lines included, lines in no menu format kept raw.
#[derive(Clone)]
pub struct GopherFind {
    handle: Handle,
    items: Arc<Mutex<VecDeque<MenuItem>>>,
}

impl fmt::Debug for GopherFind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GopherFind")
            .field("handle", &self.handle)
            .field("left", &self.items.lock().len())
            .finish()
    }
}

impl From<GopherFind> for Completion {
    fn from(f: GopherFind) -> Self {
        Completion::Value(Value::new(f))
    }
}

impl GopherFind {
    /// The find handle.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Close it (WinINet: InternetCloseHandle).
    pub fn close(&self) {
        self.handle.close();
    }

    /// WinINet: InternetFindNextFile. The next item; NO_MORE_FILES (18) after the last.
    pub async fn next(&self) -> Result<MenuItem> {
        self.handle.run(self.next_op()).await
    }

    /// [`next`](Self::next) in callback mode: the items are all here, so it is done at once.
    pub fn start_next(&self) -> Result<Started<MenuItem>> {
        self.handle.start_now(self.next_op())
    }

    /// [`next`](Self::next), blocking.
    pub fn next_blocking(&self) -> Result<MenuItem> {
        self.handle.block(self.next_op())
    }

    /// Every item left, without going through the handle's operations.
    pub fn remaining(&self) -> Vec<MenuItem> {
        self.items.lock().drain(..).collect()
    }

    fn next_op(&self) -> impl Future<Output = Result<MenuItem>> + Send + 'static {
        let items = self.items.clone();
        async move {
            items.lock().pop_front().ok_or_else(|| {
                Error::new(
                    ErrorKind::NoMoreFiles,
                    "finding the next item: no more items",
                )
            })
        }
    }
}

impl GopherConnection {
    /// WinINet: GopherFindFirstFile. Read the menu `locator` names (this connection's root menu
    /// when None) — a search server's results when `query` is given (type 7) — into a find
    /// handle whose notifications carry `context`. A locator that is not a menu or a search →
    /// GOPHER_INCORRECT_LOCATOR_TYPE (12135); a menu that cannot be read →
    /// INVALID_SERVER_RESPONSE (12152); an empty menu → NO_MORE_FILES (18), as WinINet.
    pub async fn find_first(
        &self,
        locator: Option<&Locator>,
        query: Option<&str>,
        context: Context,
    ) -> Result<GopherFind> {
        let op = self.find_op(locator, query, context)?;
        self.handle.run(op).await
    }

    /// [`find_first`](Self::find_first) in callback mode: REQUEST_COMPLETE carries the
    /// [`GopherFind`] as `Completion::Value` (keep a clone).
    pub fn start_find_first(
        &self,
        locator: Option<&Locator>,
        query: Option<&str>,
        context: Context,
    ) -> Result<Pending> {
        let op = self.find_op(locator, query, context)?;
        self.handle.start(op)
    }

    /// [`find_first`](Self::find_first), blocking.
    pub fn find_first_blocking(
        &self,
        locator: Option<&Locator>,
        query: Option<&str>,
        context: Context,
    ) -> Result<GopherFind> {
        let op = self.find_op(locator, query, context)?;
        self.handle.block(op)
    }

    fn find_op(
        &self,
        locator: Option<&Locator>,
        query: Option<&str>,
        context: Context,
    ) -> Result<impl Future<Output = Result<GopherFind>> + Send + 'static> {
        let locator = match locator {
            Some(l) => l.clone(),
            None => self.root()?,
        };
        let what = format!("reading the menu {}", shown(&locator));
        let t = locator.item_type();
        if !(t.is_directory() || t.is_index_server()) {
            return Err(Error::new(
                ErrorKind::GopherIncorrectLocatorType,
                format!("{what}: a {} item is not a menu", t.name()),
            ));
        }
        let request = locator
            .request(query, None)
            .map_err(|e| errors::protocol(&what, e))?;
        let (server, h) = self.parts();
        #[cfg(feature = "tracing")]
        let traced_query = query.map(str::to_string);
        Ok(async move {
            let conn = send_request(&h, &server, &locator, &request).await?;
            let mut reader = Reader::dedicated(conn, Box::<UntilClose>::default(), None, None);
            let mut menu = MenuParser::for_server(locator.host(), locator.port());
            let mut items = VecDeque::new();
            let mut buf = vec![0u8; 64 * 1024];
            let mut total = 0u64;
            while !menu.is_done() {
                let n = reader.read(&h, &mut buf).await?;
                if n == 0 {
                    menu.finish();
                } else {
                    total += n as u64;
                    if total > MAX_MENU {
                        return Err(Error::new(
                            ErrorKind::TooLarge,
                            format!("{what}: more than {MAX_MENU} bytes"),
                        ));
                    }
                    menu.push(&buf[..n]);
                }
                while let Some(item) = menu.next_item().map_err(|e| errors::protocol(&what, e))? {
                    items.push_back(item);
                }
            }
            if items.is_empty() {
                return Err(Error::new(
                    ErrorKind::NoMoreFiles,
                    format!("{what}: the menu is empty"),
                ));
            }
            let handle = h.create_child(HandleKind::GopherFind, context)?;
            #[cfg(feature = "tracing")]
            handle.trace_url(|| {
                GopherConnection::trace_url(&server, &locator, traced_query.as_deref())
            });
            Ok(GopherFind {
                handle,
                items: Arc::new(Mutex::new(items)),
            })
        })
    }
}

/// A locator for messages: `host:port` and the selector.
pub(crate) fn shown(l: &Locator) -> String {
    format!("{}:{}{}", l.host(), l.port(), l.selector_text())
}
