//! What a server says it can do: the `FEAT` reply (RFC 2389), and the size a `150` reply
//! announces for the transfer it opens.

use super::reply::Reply;

/// The extensions a server lists in its `FEAT` reply that the client uses.
///
/// A server that does not know `FEAT` (500/502) offers none: the client then uses only
/// RFC 959 commands (and still tries `EPSV`, which predates `FEAT` on many servers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Features {
    /// `MLST` (RFC 3659; a server that offers it also answers `MLSD`): machine-readable
    /// listings, preferred over `LIST`.
    pub mlst: bool,
    /// `SIZE`.
    pub size: bool,
    /// `REST STREAM`: resumed transfers.
    pub rest_stream: bool,
    /// `UTF8`: file names in UTF-8 after `OPTS UTF8 ON`.
    pub utf8: bool,
    /// `EPSV`.
    pub epsv: bool,
    /// `AUTH TLS` (listed as `AUTH TLS` or `AUTH SSL TLS …`).
    pub auth_tls: bool,
}

impl Features {
    /// Reads a `211` `FEAT` reply; any other reply means no extensions.
    ///
    /// ```
    /// use inet_ftp::proto::{Features, Reply};
    ///
    /// let reply = Reply { code: 211, text: "211-Features:\n MLST size*;modify*;\n SIZE\n UTF8\n211 End".into() };
    /// let f = Features::from_feat_reply(&reply);
    /// assert!(f.mlst && f.size && f.utf8 && !f.rest_stream);
    /// ```
    pub fn from_feat_reply(reply: &Reply) -> Features {
        let mut f = Features::default();
        if reply.code != 211 {
            return f;
        }
        // The first and last lines carry the code; each feature is on an inner line that
        // starts with a space (RFC 2389 §3.2), but be lenient about the space.
        let lines: Vec<&str> = reply.lines().collect();
        let inner = lines.get(1..lines.len().saturating_sub(1)).unwrap_or(&[]);
        for line in inner {
            let line = line.trim();
            let mut words = line.split_ascii_whitespace();
            let name = words.next().unwrap_or("").to_ascii_uppercase();
            let rest = words.map(str::to_ascii_uppercase).collect::<Vec<_>>();
            match name.as_str() {
                "MLST" | "MLSD" => f.mlst = true,
                "SIZE" => f.size = true,
                "REST" if rest.iter().any(|w| w == "STREAM") => f.rest_stream = true,
                "UTF8" => f.utf8 = true,
                "EPSV" => f.epsv = true,
                "AUTH" if rest.iter().any(|w| w.split(';').any(|m| m == "TLS")) => {
                    f.auth_tls = true
                }
                _ => {}
            }
        }
        f
    }
}

/// The transfer size a `150` reply announces, as most servers write it: `… (1048576 bytes)`.
/// Used for progress totals only; `None` when the reply gives none.
///
/// ```
/// use inet_ftp::proto::announced_size;
///
/// assert_eq!(announced_size("150 Opening BINARY mode data connection for a.bin (1048576 bytes)"), Some(1048576));
/// assert_eq!(announced_size("150 Here comes the directory listing."), None);
/// ```
pub fn announced_size(text: &str) -> Option<u64> {
    let open = text.rfind('(')?;
    let inside = &text[open + 1..];
    let close = inside.find(')')?;
    let mut words = inside[..close].split_ascii_whitespace();
    let number = words.next()?.parse::<u64>().ok()?;
    match words.next()? {
        "bytes" | "byte" | "Bytes" => Some(number),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(code: u16, text: &str) -> Reply {
        Reply {
            code,
            text: text.into(),
        }
    }

    #[test]
    fn proftpd_feat_reply_is_read() {
        let text = "211-Features:\n AUTH TLS\n CCC\n CLNT\n EPRT\n EPSV\n HOST\n LANG en-US*\n MDTM\n MFF modify;UNIX.group;UNIX.mode;\n MFMT\n MLST modify*;perm*;size*;type*;unique*;UNIX.group*;UNIX.groupname*;UNIX.mode*;UNIX.owner*;UNIX.ownername*;\n PBSZ\n PROT\n RANG STREAM\n REST STREAM\n SITE COPY\n SIZE\n SSCN\n TVFS\n UTF8\n211 End";
        let f = Features::from_feat_reply(&reply(211, text));
        assert_eq!(
            f,
            Features {
                mlst: true,
                size: true,
                rest_stream: true,
                utf8: true,
                epsv: true,
                auth_tls: true,
            }
        );
    }

    #[test]
    fn a_refused_feat_offers_nothing() {
        assert_eq!(
            Features::from_feat_reply(&reply(500, "500 FEAT not understood")),
            Features::default()
        );
        // A one-line 211 has no inner lines.
        assert_eq!(
            Features::from_feat_reply(&reply(211, "211 no features")),
            Features::default()
        );
    }

    #[test]
    fn auth_listed_with_several_mechanisms_counts() {
        let f = Features::from_feat_reply(&reply(211, "211-x\n AUTH SSL;TLS\n211 End"));
        assert!(f.auth_tls);
    }

    #[test]
    fn sizes_in_other_words_are_not_guessed() {
        assert_eq!(announced_size("150 ok (12 kB)"), None);
        assert_eq!(announced_size("150 ok (x bytes)"), None);
        assert_eq!(
            announced_size("150 ok (99999999999999999999999 bytes)"),
            None
        );
        assert_eq!(announced_size("150 (3 bytes"), None);
        assert_eq!(announced_size("150 file.txt (0 bytes)"), Some(0));
    }
}
