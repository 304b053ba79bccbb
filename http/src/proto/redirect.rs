//! The redirect policy, as pure functions: which method the next request uses, where it goes,
//! and whether the hop needs care (another origin, or HTTPS to HTTP).
//!
//! The driver decides what to do with the answers (strip `Authorization` across origins, refuse
//! or report a downgrade as WinINet's `ERROR_INTERNET_HTTPS_TO_HTTP_ON_REDIR` does, count hops);
//! keeping the rules here makes them testable without a server.

use http::Method;
use url::Url;

use super::headers::trim_ows;
use super::{without_userinfo, HeaderList, ProtoError};

/// How to re-issue a request after a redirect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectRule {
    /// The method of the follow-up request.
    pub method: Method,
    /// Whether the request body (and its `Content-*` headers) goes along.
    pub keep_body: bool,
}

/// The follow-up request for a redirect `status`, or `None` if `status` is not a redirect to
/// follow (300 Multiple Choices and 305 Use Proxy are not followed automatically).
///
/// RFC 9110 §15.4: 301 and 302 historically turn POST into GET, which every browser does, so we
/// do too; 303 always means "GET the result" (HEAD stays HEAD); 307 and 308 were invented to
/// forbid any change.
pub fn redirect_method(method: &Method, status: u16) -> Option<RedirectRule> {
    let keep = || RedirectRule {
        method: method.clone(),
        keep_body: true,
    };
    let get = || RedirectRule {
        method: Method::GET,
        keep_body: false,
    };
    match status {
        301 | 302 if *method == Method::POST => Some(get()),
        301 | 302 | 307 | 308 => Some(keep()),
        303 if *method == Method::HEAD => Some(RedirectRule {
            method: Method::HEAD,
            keep_body: false,
        }),
        303 => Some(get()),
        _ => None,
    }
}

/// The absolute URL a `Location` header points to, resolved against the request URL `base`.
///
/// A relative reference is resolved per RFC 3986; a `Location` without a fragment inherits the
/// base's fragment (RFC 9110 §10.2.2). Only `http` and `https` targets are accepted: following a
/// server to `file:` or `ftp:` on its say-so is how clients get tricked into reading local files.
///
/// The result carries no `user:password@`: credentials in a `Location` are neither sent nor shown
/// (notifications and messages name the URL), and error messages quote the `Location` without
/// them.
pub fn resolve_location(base: &Url, location: &str) -> Result<Url, ProtoError> {
    let location = without_userinfo(trim_ows(location));
    let location = location.as_ref();
    if location.is_empty() {
        return Err(ProtoError::InvalidResponse(
            "redirect with an empty Location".into(),
        ));
    }
    let mut target = base.join(location).map_err(|err| {
        ProtoError::InvalidResponse(format!("bad redirect Location {location:?}: {err}"))
    })?;
    if !matches!(target.scheme(), "http" | "https") {
        return Err(ProtoError::UnsupportedRedirect(format!(
            "redirect to unsupported scheme {:?}",
            target.scheme()
        )));
    }
    if target.host_str().is_none_or(str::is_empty) {
        return Err(ProtoError::InvalidResponse(format!(
            "redirect Location {location:?} has no host"
        )));
    }
    if target.fragment().is_none() {
        target.set_fragment(base.fragment());
    }
    // http(s) URLs with a host always accept these; were one refused, the URL would keep
    // credentials, so refuse the redirect instead.
    if target.set_username("").is_err() || target.set_password(None).is_err() {
        return Err(ProtoError::InvalidResponse(
            "redirect Location with credentials that cannot be removed".into(),
        ));
    }
    Ok(target)
}

/// Whether `a` and `b` have the same origin: scheme, host and port (default ports filled in).
///
/// Credentials and cookies-by-header must not follow a redirect to another origin.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host() == b.host()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The request headers that belong to one origin and must not follow a redirect to another:
/// credentials for the server and the proxy, cookies set by header, and a `Host` the caller
/// chose for the first server.
pub const ORIGIN_BOUND_HEADERS: [&str; 4] =
    ["authorization", "proxy-authorization", "cookie", "host"];

/// Remove [`ORIGIN_BOUND_HEADERS`] from the caller's headers, before a cross-origin hop.
pub fn drop_origin_bound_headers(headers: &mut HeaderList) {
    for name in ORIGIN_BOUND_HEADERS {
        headers.remove(name);
    }
}

/// Whether a redirect from `from` to `to` leaves TLS (`https` → `http`).
///
/// WinINet: `ERROR_INTERNET_HTTPS_TO_HTTP_ON_REDIR`, unless `INTERNET_FLAG_IGNORE_REDIRECT_TO_HTTP`.
pub fn is_downgrade(from: &Url, to: &Url) -> bool {
    from.scheme() == "https" && to.scheme() == "http"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("a valid test URL")
    }

    fn rule(method: Method, keep_body: bool) -> Option<RedirectRule> {
        Some(RedirectRule { method, keep_body })
    }

    #[test]
    fn a_location_with_credentials_resolves_without_them() {
        let base = url("http://example.com/a");
        let next = resolve_location(&base, "http://user:secret@other.example/b").expect("valid");
        assert_eq!(next.as_str(), "http://other.example/b");
    }

    #[test]
    fn a_bad_location_with_credentials_is_quoted_without_them() {
        let base = url("http://example.com/a");
        let err = resolve_location(&base, "http://user:secret@[::1/b").expect_err("invalid");
        assert!(!err.to_string().contains("secret"), "{err}");
    }

    #[test]
    fn cross_origin_hops_drop_credentials_cookies_and_host() {
        let mut headers = HeaderList::new();
        headers
            .add_lines(
                "Authorization: a\r\nProxy-Authorization: p\r\nCookie: c\r\nHost: h\r\nX-Keep: k",
                crate::proto::Modifier::Add,
            )
            .expect("valid");
        drop_origin_bound_headers(&mut headers);
        assert_eq!(headers.to_raw(), "X-Keep: k\r\n");
    }

    #[test]
    fn moved_and_found_turn_post_into_get_without_body() {
        for status in [301, 302] {
            assert_eq!(
                redirect_method(&Method::POST, status),
                rule(Method::GET, false)
            );
        }
    }

    #[test]
    fn moved_and_found_keep_other_methods_and_their_body() {
        for status in [301, 302] {
            assert_eq!(
                redirect_method(&Method::GET, status),
                rule(Method::GET, true)
            );
            assert_eq!(
                redirect_method(&Method::PUT, status),
                rule(Method::PUT, true)
            );
            assert_eq!(
                redirect_method(&Method::HEAD, status),
                rule(Method::HEAD, true)
            );
        }
    }

    #[test]
    fn see_other_gets_without_body_but_head_stays_head() {
        assert_eq!(
            redirect_method(&Method::POST, 303),
            rule(Method::GET, false)
        );
        assert_eq!(redirect_method(&Method::PUT, 303), rule(Method::GET, false));
        assert_eq!(
            redirect_method(&Method::HEAD, 303),
            rule(Method::HEAD, false)
        );
    }

    #[test]
    fn temporary_and_permanent_redirects_keep_method_and_body() {
        for status in [307, 308] {
            assert_eq!(
                redirect_method(&Method::POST, status),
                rule(Method::POST, true)
            );
            assert_eq!(
                redirect_method(&Method::DELETE, status),
                rule(Method::DELETE, true)
            );
        }
    }

    #[test]
    fn other_statuses_are_not_redirects() {
        for status in [200, 300, 304, 305, 306, 309, 404] {
            assert_eq!(redirect_method(&Method::GET, status), None, "{status}");
        }
    }

    #[test]
    fn relative_location_resolves_against_the_request_url() {
        let base = url("http://example.com/a/b?q=1");
        assert_eq!(
            resolve_location(&base, "c"),
            Ok(url("http://example.com/a/c"))
        );
        assert_eq!(
            resolve_location(&base, "/x?y"),
            Ok(url("http://example.com/x?y"))
        );
        assert_eq!(
            resolve_location(&base, "//other.org/p"),
            Ok(url("http://other.org/p"))
        );
        assert_eq!(
            resolve_location(&base, " https://secure.example/ "),
            Ok(url("https://secure.example/"))
        );
    }

    #[test]
    fn location_without_fragment_inherits_the_base_fragment() {
        let base = url("http://example.com/page#section");
        assert_eq!(
            resolve_location(&base, "/moved"),
            Ok(url("http://example.com/moved#section"))
        );
        assert_eq!(
            resolve_location(&base, "/moved#other"),
            Ok(url("http://example.com/moved#other"))
        );
    }

    #[test]
    fn location_with_spaces_and_non_ascii_is_percent_encoded() {
        let base = url("http://example.com/");
        assert_eq!(
            resolve_location(&base, "/a b/é"),
            Ok(url("http://example.com/a%20b/%C3%A9"))
        );
    }

    #[test]
    fn empty_or_unparsable_location_is_an_invalid_response() {
        let base = url("http://example.com/");
        for bad in ["", "   ", "http://[::1", "http://"] {
            assert!(
                matches!(
                    resolve_location(&base, bad),
                    Err(ProtoError::InvalidResponse(_))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn redirect_to_a_non_http_scheme_is_refused() {
        let base = url("http://example.com/");
        for bad in [
            "file:///etc/passwd",
            "ftp://example.com/",
            "javascript:alert(1)",
        ] {
            assert!(
                matches!(
                    resolve_location(&base, bad),
                    Err(ProtoError::UnsupportedRedirect(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn same_origin_compares_scheme_host_and_effective_port() {
        assert!(same_origin(
            &url("http://a.com/x"),
            &url("http://A.com:80/y")
        ));
        assert!(!same_origin(&url("http://a.com/"), &url("https://a.com/")));
        assert!(!same_origin(&url("http://a.com/"), &url("http://b.com/")));
        assert!(!same_origin(
            &url("http://a.com/"),
            &url("http://a.com:8080/")
        ));
    }

    #[test]
    fn https_to_http_is_a_downgrade_and_nothing_else_is() {
        assert!(is_downgrade(&url("https://a.com/"), &url("http://a.com/")));
        assert!(!is_downgrade(&url("http://a.com/"), &url("https://a.com/")));
        assert!(!is_downgrade(
            &url("https://a.com/"),
            &url("https://b.com/")
        ));
        assert!(!is_downgrade(&url("http://a.com/"), &url("http://b.com/")));
    }
}
