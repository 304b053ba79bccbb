//! URL text with its credentials removed ([`without_userinfo`]), for everything inet writes where
//! people and logs read it: error messages, notifications, the request line to a proxy. Pure text
//! handling: it never decides whether credentials are *used*, only that they are never shown.

use std::borrow::Cow;

/// `text` (a URL, or what a server or caller claimed was one) without the `user:password@` of
/// its authority. Works on text that does not parse as a URL too, since that is exactly what
/// error messages quote.
///
/// ```
/// use inet_http::proto::without_userinfo;
/// assert_eq!(without_userinfo("http://u:secret@example.com/a@b"), "http://example.com/a@b");
/// assert_eq!(without_userinfo("/relative"), "/relative");
/// ```
pub fn without_userinfo(text: &str) -> Cow<'_, str> {
    let Some(scheme_end) = text.find("://") else {
        return Cow::Borrowed(text);
    };
    let authority_start = scheme_end + 3;
    let rest = &text[authority_start..];
    let authority_len = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    // The last '@' of the authority ends the userinfo (a password may contain '@' unescaped in
    // text that is not a valid URL).
    match rest[..authority_len].rfind('@') {
        Some(at) => Cow::Owned(format!("{}{}", &text[..authority_start], &rest[at + 1..])),
        None => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_and_password_are_removed() {
        assert_eq!(
            without_userinfo("https://user:pw@host:8443/p?q#f"),
            "https://host:8443/p?q#f"
        );
        assert_eq!(without_userinfo("http://user@host/"), "http://host/");
    }

    #[test]
    fn an_at_sign_in_the_path_query_or_fragment_is_kept() {
        for text in ["http://host/a@b", "http://host?x=a@b", "http://host#a@b"] {
            assert_eq!(without_userinfo(text), text);
        }
    }

    #[test]
    fn text_that_is_not_a_valid_url_is_redacted_too() {
        assert_eq!(without_userinfo("http://u:p@ss@[::1/x"), "http://[::1/x");
        assert_eq!(without_userinfo("not a url"), "not a url");
    }
}
