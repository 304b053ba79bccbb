//! What a request method allows: whether it may be sent twice ([`is_idempotent`]) and whether it
//! always carries a body length ([`needs_length`]). Pure rules over [`Method`]; nothing here
//! knows about connections or retries, which the driver builds on these answers.

use http::Method;

/// Whether sending the request twice has the same effect as sending it once (RFC 9110 §9.2.2),
/// so that a request lost with a dead pooled connection may be sent again.
pub fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// Whether a request with this method goes out with `Content-Length: 0` when it has no body:
/// servers (and proxies) answer `411 Length Required` to a bodiless POST, PUT or PATCH.
pub fn needs_length(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_methods_put_and_delete_are_idempotent() {
        for m in [
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
            Method::TRACE,
        ] {
            assert!(is_idempotent(&m), "{m}");
        }
    }

    #[test]
    fn post_patch_connect_and_extension_methods_are_not_idempotent() {
        let propfind = Method::from_bytes(b"PROPFIND").expect("a token");
        for m in [Method::POST, Method::PATCH, Method::CONNECT, propfind] {
            assert!(!is_idempotent(&m), "{m}");
        }
    }

    #[test]
    fn post_put_and_patch_need_a_length_and_get_does_not() {
        assert!(needs_length(&Method::POST));
        assert!(needs_length(&Method::PUT));
        assert!(needs_length(&Method::PATCH));
        assert!(!needs_length(&Method::GET));
        assert!(!needs_length(&Method::DELETE));
    }
}
