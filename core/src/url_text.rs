//! What a protocol's URL parser asks of the text before (and besides) the `url` crate: the
//! scheme of something that looks like a URL, and whether an authority was written. The `url`
//! crate answers neither as written: it lower-cases and normalises, and it gives special
//! schemes an authority even when the text has none (`ftp:/x`).

/// The scheme of something that looks like `scheme:…` (RFC 3986: a letter, then letters,
/// digits, `+`, `-`, `.`), lower-cased; `None` for anything else.
///
/// ```
/// use inet_core::url_text::scheme_of;
/// assert_eq!(scheme_of(" FTP://h/").as_deref(), Some("ftp"));
/// assert_eq!(scheme_of("1ftp://h/"), None);
/// assert_eq!(scheme_of("no scheme"), None);
/// ```
pub fn scheme_of(input: &str) -> Option<String> {
    let (scheme, _) = input.trim().split_once(':')?;
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (first_ok && rest_ok).then(|| scheme.to_ascii_lowercase())
}

/// `scheme://` followed by a non-empty authority, as written.
///
/// ```
/// use inet_core::url_text::has_authority;
/// assert!(has_authority("gopher://h/1"));
/// assert!(!has_authority("gopher:///1"));
/// assert!(!has_authority("ftp:/x"));
/// ```
pub fn has_authority(input: &str) -> bool {
    let Some((_, rest)) = input.split_once(':') else {
        return false;
    };
    let Some(rest) = rest.strip_prefix("//") else {
        return false;
    };
    !rest.starts_with(['/', '?', '#']) && !rest.is_empty()
}
