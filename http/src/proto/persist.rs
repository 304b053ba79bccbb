//! Whether a connection outlives a response ([`keeps_alive`]): the keep-alive rules of RFC 9112
//! §9.3 applied to what was sent and what came back. A pure decision over heads; the driver owns
//! the connection and acts on the answer (back to the pool, or closed).

use http::Version;

use super::headers::trim_ows;
use super::{BodyKind, HeaderList, ResponseHead};

/// Whether the connection may serve another request once this response's body has been read:
/// neither side asked to close it, an HTTP/1.0 server said `keep-alive`, the body's end is known
/// without the connection closing, and its framing was unambiguous.
pub fn keeps_alive(sent: &HeaderList, head: &ResponseHead, kind: BodyKind) -> bool {
    let asked_close = sent.get_all("connection").any(|v| has_token(v, "close"));
    let server_allows = match head.version {
        Version::HTTP_11 => !head
            .headers
            .get_all("connection")
            .any(|v| has_token(v, "close")),
        _ => head
            .headers
            .get_all("connection")
            .any(|v| has_token(v, "keep-alive")),
    };
    !asked_close && server_allows && kind != BodyKind::UntilClose && !ambiguous_framing(head)
}

/// `Transfer-Encoding` together with `Content-Length`, or on an HTTP/1.0 response (which cannot
/// have it): the framing wins over the length, but a proxy on the way may have read it the other
/// way — the classic request-smuggling setup — so the connection must close after this response
/// (RFC 9112 §6.3).
fn ambiguous_framing(head: &ResponseHead) -> bool {
    head.headers.contains("transfer-encoding")
        && (head.headers.contains("content-length") || head.version == Version::HTTP_10)
}

/// Whether a comma-separated header value lists `token` (case-insensitively).
fn has_token(value: &str, token: &str) -> bool {
    value
        .split(',')
        .any(|t| trim_ows(t).eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::parse_response_head;

    fn head(bytes: &[u8]) -> ResponseHead {
        match parse_response_head(bytes, 64 * 1024) {
            Ok(Some((head, _))) => head,
            other => panic!("expected a head, got {other:?}"),
        }
    }

    fn nothing_sent() -> HeaderList {
        HeaderList::new()
    }

    #[test]
    fn an_http_1_1_response_keeps_the_connection_by_default() {
        let h = head(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n");
        assert!(keeps_alive(&nothing_sent(), &h, BodyKind::Length(2)));
    }

    #[test]
    fn connection_close_from_the_server_ends_it_in_any_token_position() {
        let h = head(b"HTTP/1.1 200 OK\r\nConnection: upgrade, Close\r\n\r\n");
        assert!(!keeps_alive(&nothing_sent(), &h, BodyKind::Length(0)));
    }

    #[test]
    fn connection_close_sent_by_the_client_ends_it() {
        let mut sent = HeaderList::new();
        sent.push("Connection", "close").expect("valid header");
        let h = head(b"HTTP/1.1 200 OK\r\n\r\n");
        assert!(!keeps_alive(&sent, &h, BodyKind::Length(0)));
    }

    #[test]
    fn an_http_1_0_response_keeps_it_only_when_it_says_keep_alive() {
        let plain = head(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
        assert!(!keeps_alive(&nothing_sent(), &plain, BodyKind::Length(0)));
        let kept = head(b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n");
        assert!(keeps_alive(&nothing_sent(), &kept, BodyKind::Length(0)));
    }

    #[test]
    fn transfer_encoding_with_content_length_ends_it() {
        let h = head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n");
        assert!(!keeps_alive(&nothing_sent(), &h, BodyKind::Chunked));
    }

    #[test]
    fn transfer_encoding_on_an_http_1_0_response_ends_it_even_with_keep_alive() {
        let h = head(
            b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n",
        );
        assert!(!keeps_alive(&nothing_sent(), &h, BodyKind::Chunked));
    }

    #[test]
    fn chunked_alone_on_http_1_1_keeps_it() {
        let h = head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert!(keeps_alive(&nothing_sent(), &h, BodyKind::Chunked));
    }

    #[test]
    fn a_body_that_ends_with_the_connection_ends_it() {
        let h = head(b"HTTP/1.1 200 OK\r\n\r\n");
        assert!(!keeps_alive(&nothing_sent(), &h, BodyKind::UntilClose));
    }
}
