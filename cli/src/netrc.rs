//! `~/.netrc`: the login and password for a host when neither `--user` nor the URL gives them
//! (HTTP basic auth, FTP login), as curl's `--netrc-optional` reads it.
//!
//! The file is `$NETRC` when set, else `$HOME/.netrc`. It is a list of whitespace-separated
//! tokens: `machine NAME` starts an entry, `default` starts the entry for every other host, and
//! `login`, `password` and `account` give the entry's values; `macdef NAME` is skipped with the
//! lines after it up to an empty line. A token may be written in double quotes (`"a b"`, with
//! `\"` and `\\` inside). A missing or unreadable file is no entry, never an error.

use std::cell::OnceCell;
use std::path::PathBuf;

/// One entry's login and password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `login`.
    pub login: String,
    /// `password` (empty when the entry has none).
    pub password: String,
}

impl Entry {
    /// `login:password`, the shape of `--user`.
    pub fn user(&self) -> String {
        format!("{}:{}", self.login, self.password)
    }
}

/// The file to read: `$NETRC`, else `$HOME/.netrc`.
fn path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("NETRC").filter(|p| !p.is_empty()) {
        return Some(p.into());
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".netrc"))
}

/// The entry for `host` in the user's netrc file (see the module docs); with `login`, only an
/// entry for that login.
pub fn lookup(host: &str, login: Option<&str>) -> Option<Entry> {
    Netrc::default().lookup(host, login)
}

/// [`Netrc::user_for`] with the file read for this one URL.
pub fn user_for(url: &str, flag: Option<&str>) -> Option<String> {
    Netrc::default().user_for(url, flag)
}

/// The user's netrc file, read at the first lookup and kept: a run of many URLs reads it once,
/// not once per URL.
#[derive(Debug, Default)]
pub struct Netrc {
    /// The file's text; `None` when it is missing or unreadable.
    text: OnceCell<Option<String>>,
}

impl Netrc {
    /// The entry for `host` (see the module docs); with `login`, only an entry for that login.
    pub fn lookup(&self, host: &str, login: Option<&str>) -> Option<Entry> {
        let text = self
            .text
            .get_or_init(|| std::fs::read_to_string(path()?).ok())
            .as_deref()?;
        find(text, host, login)
    }

    /// The `user:password` a request to `url` should carry: `--user` when given; else nothing
    /// when the URL has its own user and password; else the netrc entry for the URL's host (for
    /// the URL's user, when it names one without a password). A URL that does not parse gets
    /// nothing: opening it reports the error.
    pub fn user_for(&self, url: &str, flag: Option<&str>) -> Option<String> {
        if let Some(user) = flag {
            return Some(user.to_string());
        }
        let parsed = url::Url::parse(url.trim()).ok()?;
        let login = (!parsed.username().is_empty()).then(|| parsed.username());
        if login.is_some() && parsed.password().is_some() {
            return None;
        }
        self.lookup(parsed.host_str()?, login).map(|e| e.user())
    }
}

/// The entry for `host` in `text`: the first `machine` entry naming it (and `login`, when given),
/// else the `default` entry; an entry without a login is none.
pub fn find(text: &str, host: &str, login: Option<&str>) -> Option<Entry> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let mut default = None;
    for (machine, entry) in entries(text) {
        let Some(e) = entry else { continue };
        if login.is_some_and(|l| l != e.login) {
            continue;
        }
        match machine {
            Some(m) if m.eq_ignore_ascii_case(host) => return Some(e),
            Some(_) => {}
            None => {
                default.get_or_insert(e);
            }
        }
    }
    default
}

/// Every entry: its machine (`None` for `default`) and its login and password, if it has a login.
fn entries(text: &str) -> Vec<(Option<String>, Option<Entry>)> {
    let mut out = Vec::new();
    let mut tokens = Tokens::new(text);
    // The entry being read: machine, login, password.
    let mut current: Option<(Option<String>, Option<String>, Option<String>)> = None;
    let close = |current: Option<(Option<String>, Option<String>, Option<String>)>,
                 out: &mut Vec<_>| {
        if let Some((machine, login, password)) = current {
            let entry = login.map(|login| Entry {
                login,
                password: password.unwrap_or_default(),
            });
            out.push((machine, entry));
        }
    };
    while let Some(token) = tokens.next() {
        match token.as_str() {
            "machine" => {
                close(current.take(), &mut out);
                let Some(name) = tokens.next() else { break };
                current = Some((Some(name), None, None));
            }
            "default" => {
                close(current.take(), &mut out);
                current = Some((None, None, None));
            }
            "login" => {
                let value = tokens.next();
                if let Some(c) = current.as_mut() {
                    c.1 = value;
                }
            }
            "password" => {
                let value = tokens.next();
                if let Some(c) = current.as_mut() {
                    c.2 = value;
                }
            }
            "account" => {
                tokens.next();
            }
            "macdef" => {
                close(current.take(), &mut out);
                tokens.next();
                tokens.skip_macro();
            }
            // Anything else is not netrc: skip it, as curl does.
            _ => {}
        }
    }
    close(current, &mut out);
    out
}

/// The tokens of a netrc text.
struct Tokens<'a> {
    rest: &'a str,
}

impl<'a> Tokens<'a> {
    fn new(text: &'a str) -> Self {
        Tokens { rest: text }
    }

    /// The body of a `macdef`: everything up to an empty line (or the end).
    fn skip_macro(&mut self) {
        // The rest of the macdef line, then lines until an empty one.
        let mut lines = self.rest.split_inclusive('\n');
        let mut used = lines.next().map_or(0, str::len);
        for line in lines {
            used += line.len();
            if line.trim().is_empty() {
                break;
            }
        }
        self.rest = &self.rest[used.min(self.rest.len())..];
    }
}

impl Iterator for Tokens<'_> {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        let text = self.rest.trim_start();
        if text.is_empty() {
            self.rest = text;
            return None;
        }
        if let Some(quoted) = text.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            value.push(escaped);
                        }
                    }
                    c => value.push(c),
                }
            }
            self.rest = &quoted[end.min(quoted.len())..];
            return Some(value);
        }
        let end = text.find(char::is_whitespace).unwrap_or(text.len());
        self.rest = &text[end..];
        Some(text[..end].to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(login: &str, password: &str) -> Option<Entry> {
        Some(Entry {
            login: login.into(),
            password: password.into(),
        })
    }

    #[test]
    fn machines_are_matched_by_host_and_default_catches_the_rest() {
        let text = "machine example.com login ann password secret\n\
                    machine other.org\n  login bob\n  password \"two words\"\n\
                    default login anonymous password me@home\n";
        assert_eq!(find(text, "example.com", None), entry("ann", "secret"));
        assert_eq!(find(text, "EXAMPLE.com", None), entry("ann", "secret"));
        assert_eq!(find(text, "other.org", None), entry("bob", "two words"));
        assert_eq!(find(text, "third.net", None), entry("anonymous", "me@home"));
        assert_eq!(find("machine a login x", "b", None), None);
    }

    #[test]
    fn a_login_picks_its_own_entry() {
        let text = "machine h login ann password a\nmachine h login bob password b\n";
        assert_eq!(find(text, "h", Some("bob")), entry("bob", "b"));
        assert_eq!(find(text, "h", Some("carl")), None);
        assert_eq!(find(text, "h", None), entry("ann", "a"));
    }

    #[test]
    fn macros_accounts_and_odd_tokens_are_skipped() {
        let text = "macdef init\ncd /pub\nbinary\n\nmachine h account acct login ann \
                    password \"q\\\"uote\" junk\n";
        assert_eq!(find(text, "h", None), entry("ann", "q\"uote"));
        assert_eq!(find("machine h password p", "h", None), None);
        assert_eq!(find("machine h login ann", "h", None), entry("ann", ""));
        assert_eq!(find("machine", "h", None), None);
        assert_eq!(
            find("machine h login \"unterminated", "h", None),
            entry("unterminated", "")
        );
        assert_eq!(find("", "h", None), None);
    }

    #[test]
    fn bracketed_ipv6_hosts_match_their_address() {
        assert_eq!(find("machine ::1 login v6", "[::1]", None), entry("v6", ""));
    }
}
