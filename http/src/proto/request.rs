//! [`RequestHead`]: the request line and headers, and their encoding to bytes.
//!
//! Encoding validates once more what a header list cannot: the method, the target and the
//! version. A target with a space or a line break would let a caller (or a redirect `Location`
//! that slipped through) split one request into two, so it is refused rather than escaped here;
//! escaping is the URL layer's job.

use http::{Method, Version};

use super::{HeaderList, ProtoError};

/// What goes before the body of an HTTP/1.x request.
///
/// WinINet: what `HttpOpenRequest` + `HttpAddRequestHeaders` build and `HttpSendRequest` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// The request method. `http::Method` already guarantees it is a token.
    pub method: Method,
    /// The request target, written verbatim: origin-form (`/path?query`) to an origin server,
    /// absolute-form (`http://host/path`) to a proxy, authority-form (`host:port`) for `CONNECT`,
    /// or `*` for a server-wide `OPTIONS`.
    pub target: String,
    /// `HTTP/1.0` or `HTTP/1.1`; anything else is refused by [`encode`](Self::encode).
    pub version: Version,
    /// The request headers, in the order they will be written.
    pub headers: HeaderList,
}

impl RequestHead {
    /// An HTTP/1.1 request with no headers.
    pub fn new(method: Method, target: impl Into<String>) -> Self {
        RequestHead {
            method,
            target: target.into(),
            version: Version::HTTP_11,
            headers: HeaderList::new(),
        }
    }

    /// Checks that the head can be written as HTTP/1.x.
    ///
    /// The target must be non-empty visible ASCII (no space, CR, LF or other control, no raw
    /// non-ASCII: the URL layer percent-encodes those) and match the form the method needs.
    pub fn validate(&self) -> Result<(), ProtoError> {
        version_text(self.version)?;
        let target = self.target.as_str();
        if target.is_empty() {
            return Err(ProtoError::InvalidRequest("empty request target".into()));
        }
        if let Some(bad) = target.bytes().find(|b| !(0x21..=0x7e).contains(b)) {
            return Err(ProtoError::InvalidRequest(format!(
                "request target {target:?} contains byte 0x{bad:02x}"
            )));
        }
        let form_ok = if self.method == Method::CONNECT {
            // authority-form: host:port, nothing else.
            !target.contains(['/', '?', '#', '@']) && target.contains(':')
        } else {
            target.starts_with('/')
                || target.contains("://")
                || (target == "*" && self.method == Method::OPTIONS)
        };
        if !form_ok {
            return Err(ProtoError::InvalidRequest(format!(
                "request target {target:?} is not valid for {}",
                self.method
            )));
        }
        Ok(())
    }

    /// Appends the request line, the headers and the blank line that ends the head to `out`.
    ///
    /// Nothing is written when the head is invalid, so `out` never holds half a request.
    ///
    /// ```
    /// use inet_http::proto::RequestHead;
    /// let mut head = RequestHead::new(http::Method::GET, "/index.html");
    /// head.headers.push("Host", "example.com")?;
    /// let mut out = Vec::new();
    /// head.encode(&mut out)?;
    /// assert_eq!(out, b"GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), ProtoError> {
        self.validate()?;
        let version = version_text(self.version)?;
        out.extend_from_slice(self.method.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.target.as_bytes());
        out.push(b' ');
        out.extend_from_slice(version.as_bytes());
        out.extend_from_slice(b"\r\n");
        // HeaderList validated every name and value on the way in.
        self.headers.write_raw(out);
        out.extend_from_slice(b"\r\n");
        Ok(())
    }
}

/// The wire spelling of an HTTP/1.x version.
fn version_text(version: Version) -> Result<&'static str, ProtoError> {
    match version {
        Version::HTTP_10 => Ok("HTTP/1.0"),
        Version::HTTP_11 => Ok("HTTP/1.1"),
        other => Err(ProtoError::InvalidRequest(format!(
            "{other:?} cannot be written as HTTP/1.x"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::Modifier;

    fn encoded(head: &RequestHead) -> Result<String, ProtoError> {
        let mut out = Vec::new();
        head.encode(&mut out)?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    #[test]
    fn get_request_encodes_line_headers_and_blank_line() {
        let mut head = RequestHead::new(Method::GET, "/a?b=c");
        assert_eq!(
            head.headers
                .add_lines("Host: example.com\r\nAccept: */*", Modifier::Add),
            Ok(())
        );
        assert_eq!(
            encoded(&head),
            Ok("GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n".into())
        );
    }

    #[test]
    fn http_1_0_request_says_so() {
        let mut head = RequestHead::new(Method::HEAD, "/");
        head.version = Version::HTTP_10;
        assert_eq!(encoded(&head), Ok("HEAD / HTTP/1.0\r\n\r\n".into()));
    }

    #[test]
    fn absolute_form_target_is_written_for_a_proxy() {
        let head = RequestHead::new(Method::GET, "http://example.com/x");
        assert_eq!(
            encoded(&head),
            Ok("GET http://example.com/x HTTP/1.1\r\n\r\n".into())
        );
    }

    #[test]
    fn connect_uses_authority_form() {
        let head = RequestHead::new(Method::CONNECT, "example.com:443");
        assert_eq!(
            encoded(&head),
            Ok("CONNECT example.com:443 HTTP/1.1\r\n\r\n".into())
        );
        let bad = RequestHead::new(Method::CONNECT, "/path");
        assert!(matches!(encoded(&bad), Err(ProtoError::InvalidRequest(_))));
    }

    #[test]
    fn options_asterisk_is_allowed_only_for_options() {
        assert!(RequestHead::new(Method::OPTIONS, "*").validate().is_ok());
        assert!(RequestHead::new(Method::GET, "*").validate().is_err());
    }

    #[test]
    fn extension_method_is_written_verbatim() {
        let method = Method::from_bytes(b"PROPFIND").expect("a token");
        let head = RequestHead::new(method, "/dav/");
        assert_eq!(encoded(&head), Ok("PROPFIND /dav/ HTTP/1.1\r\n\r\n".into()));
    }

    #[test]
    fn target_with_space_cr_or_lf_is_refused_and_nothing_is_written() {
        for bad in ["/a b", "/a\r\nEvil: x", "/a\n", "/\0", "/é", ""] {
            let head = RequestHead::new(Method::GET, bad);
            let mut out = b"before".to_vec();
            let err = head.encode(&mut out);
            assert!(matches!(err, Err(ProtoError::InvalidRequest(_))), "{bad:?}");
            assert_eq!(out, b"before", "{bad:?}");
        }
    }

    #[test]
    fn target_that_is_neither_origin_nor_absolute_form_is_refused() {
        let head = RequestHead::new(Method::GET, "index.html");
        assert!(matches!(
            head.validate(),
            Err(ProtoError::InvalidRequest(_))
        ));
    }

    #[test]
    fn http_2_version_is_refused() {
        let mut head = RequestHead::new(Method::GET, "/");
        head.version = Version::HTTP_2;
        assert!(matches!(encoded(&head), Err(ProtoError::InvalidRequest(_))));
    }
}
