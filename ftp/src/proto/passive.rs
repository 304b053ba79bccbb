//! Data-connection addresses: the server's 227 (`PASV`) and 229 (`EPSV`, RFC 2428) replies read
//! into addresses, and the client's `PORT`/`EPRT` arguments written from one.
//!
//! Text in, values out: whether to trust a 227's host (many drivers use the control
//! connection's peer instead) is the driver's choice, and nothing here connects.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use super::ProtoError;

/// The address in a 227 reply: six numbers `h1,h2,h3,h4,p1,p2` anywhere in the text, with or
/// without parentheses (RFC 959 leaves the wrapping free, and servers differ).
///
/// Each number must be 0 to 255.
///
/// ```
/// use inet_ftp::proto::parse_pasv;
///
/// let addr = parse_pasv("227 Entering Passive Mode (192,168,1,2,19,137).")?;
/// assert_eq!(addr.to_string(), "192.168.1.2:5001");
/// assert!(parse_pasv("227 =192,168,1,2,19,137").is_ok());
/// # Ok::<(), inet_ftp::proto::ProtoError>(())
/// ```
pub fn parse_pasv(text: &str) -> Result<SocketAddrV4, ProtoError> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts_number = bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_digit());
        if starts_number {
            if let Some(numbers) = six_numbers(&bytes[i..]) {
                let mut parts = [0u8; 6];
                for (part, number) in parts.iter_mut().zip(numbers) {
                    *part = u8::try_from(number).map_err(|_| {
                        ProtoError::InvalidReply(format!(
                            "227 reply number {number} is over 255: {text:?}"
                        ))
                    })?;
                }
                let ip = Ipv4Addr::new(parts[0], parts[1], parts[2], parts[3]);
                let port = u16::from(parts[4]) << 8 | u16::from(parts[5]);
                return Ok(SocketAddrV4::new(ip, port));
            }
        }
        i += 1;
    }
    Err(ProtoError::InvalidReply(format!(
        "227 reply without an address: {text:?}"
    )))
}

/// Six comma-separated decimal numbers at the start of `bytes` (spaces allowed around commas).
/// Numbers are capped so a long digit run reads as "too big", not as an overflow.
fn six_numbers(bytes: &[u8]) -> Option<[u32; 6]> {
    let mut numbers = [0u32; 6];
    let mut i = 0;
    for (index, number) in numbers.iter_mut().enumerate() {
        if index > 0 {
            while bytes.get(i) == Some(&b' ') {
                i += 1;
            }
            if bytes.get(i) != Some(&b',') {
                return None;
            }
            i += 1;
            while bytes.get(i) == Some(&b' ') {
                i += 1;
            }
        }
        let start = i;
        while let Some(digit) = bytes.get(i).filter(|b| b.is_ascii_digit()) {
            *number = (*number * 10 + u32::from(digit - b'0')).min(1_000_000);
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    Some(numbers)
}

/// The port in a 229 reply: `(|||port|)`, where `|` may be any printable ASCII character that
/// is not a digit, used the same four times (RFC 2428 §3).
///
/// ```
/// use inet_ftp::proto::parse_epsv;
///
/// assert_eq!(parse_epsv("229 Entering Extended Passive Mode (|||6446|)")?, 6446);
/// assert_eq!(parse_epsv("229 ok (!!!6446!)")?, 6446);
/// # Ok::<(), inet_ftp::proto::ProtoError>(())
/// ```
pub fn parse_epsv(text: &str) -> Result<u16, ProtoError> {
    let bytes = text.as_bytes();
    for start in 0..bytes.len() {
        let d = bytes[start];
        if !(0x21..=0x7e).contains(&d) || d.is_ascii_digit() {
            continue;
        }
        if bytes.get(start + 1) != Some(&d) || bytes.get(start + 2) != Some(&d) {
            continue;
        }
        let digits_start = start + 3;
        let mut i = digits_start;
        let mut port: u32 = 0;
        while let Some(digit) = bytes.get(i).filter(|b| b.is_ascii_digit()) {
            port = (port * 10 + u32::from(digit - b'0')).min(1_000_000);
            i += 1;
        }
        if i == digits_start || bytes.get(i) != Some(&d) {
            continue;
        }
        return match u16::try_from(port) {
            Ok(port) if port != 0 => Ok(port),
            _ => Err(ProtoError::InvalidReply(format!(
                "229 reply port out of range: {text:?}"
            ))),
        };
    }
    Err(ProtoError::InvalidReply(format!(
        "229 reply without a port: {text:?}"
    )))
}

/// The `PORT` argument for an IPv4 address: `h1,h2,h3,h4,p1,p2`.
///
/// ```
/// use inet_ftp::proto::format_port;
///
/// assert_eq!(format_port("10.0.0.1:1025".parse().unwrap()), "10,0,0,1,4,1");
/// ```
pub fn format_port(addr: SocketAddrV4) -> String {
    let [a, b, c, d] = addr.ip().octets();
    let [hi, lo] = addr.port().to_be_bytes();
    format!("{a},{b},{c},{d},{hi},{lo}")
}

/// The `EPRT` argument: `|1|addr|port|` for IPv4, `|2|addr|port|` for IPv6 (RFC 2428 §2).
///
/// ```
/// use inet_ftp::proto::format_eprt;
///
/// assert_eq!(format_eprt("132.235.1.2:6275".parse().unwrap()), "|1|132.235.1.2|6275|");
/// assert_eq!(format_eprt("[1080::8:800:200c:417a]:5282".parse().unwrap()), "|2|1080::8:800:200c:417a|5282|");
/// ```
pub fn format_eprt(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(v4) => format!("|1|{}|{}|", v4.ip(), v4.port()),
        SocketAddr::V6(v6) => format!("|2|{}|{}|", v6.ip(), v6.port()),
    }
}

/// The text of a 227 reply for `addr`, as a server writes it (for test servers).
pub fn pasv_reply_text(addr: SocketAddrV4) -> String {
    format!("227 Entering Passive Mode ({}).", format_port(addr))
}

/// The text of a 229 reply for `port`, as a server writes it (for test servers).
pub fn epsv_reply_text(port: u16) -> String {
    format!("229 Entering Extended Passive Mode (|||{port}|)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> SocketAddrV4 {
        s.parse().unwrap()
    }

    #[test]
    fn pasv_forms_seen_in_the_wild_parse() {
        // vsftpd, proftpd, pure-ftpd, IIS and a few older servers.
        let want = v4("192.168.1.2:5001");
        for text in [
            "227 Entering Passive Mode (192,168,1,2,19,137).",
            "227 Entering Passive Mode (192,168,1,2,19,137)",
            "227 Entering Passive Mode 192,168,1,2,19,137",
            "227 =192,168,1,2,19,137",
            "227 Passive mode OK (192, 168, 1, 2, 19, 137)",
        ] {
            assert_eq!(parse_pasv(text).unwrap(), want, "{text}");
        }
    }

    #[test]
    fn pasv_skips_earlier_numbers_that_are_not_the_address() {
        let text = "227 Entering Passive Mode, 2 tries (10,0,0,1,4,1)";
        assert_eq!(parse_pasv(text).unwrap(), v4("10.0.0.1:1025"));
    }

    #[test]
    fn pasv_numbers_over_255_are_an_error() {
        assert!(parse_pasv("227 (256,0,0,1,4,1)").is_err());
        assert!(parse_pasv("227 (1,0,0,1,4,99999999999999999999)").is_err());
    }

    #[test]
    fn pasv_without_six_numbers_is_an_error() {
        assert!(parse_pasv("227 Entering Passive Mode (1,2,3,4,5)").is_err());
        assert!(parse_pasv("227 nothing here").is_err());
        assert!(parse_pasv("").is_err());
    }

    #[test]
    fn epsv_accepts_any_delimiter() {
        assert_eq!(
            parse_epsv("229 Entering Extended Passive Mode (|||6446|)").unwrap(),
            6446
        );
        assert_eq!(parse_epsv("229 (###1|)").ok(), None);
        assert_eq!(parse_epsv("229 (###21#)").unwrap(), 21);
    }

    #[test]
    fn epsv_out_of_range_or_missing_port_is_an_error() {
        assert!(parse_epsv("229 (|||70000|)").is_err());
        assert!(parse_epsv("229 (|||0|)").is_err());
        assert!(parse_epsv("229 (||||)").is_err());
        assert!(parse_epsv("229 Entering Extended Passive Mode").is_err());
    }

    #[test]
    fn formatted_replies_parse_back() {
        let addr = v4("127.0.0.1:65535");
        assert_eq!(parse_pasv(&pasv_reply_text(addr)).unwrap(), addr);
        assert_eq!(parse_epsv(&epsv_reply_text(40000)).unwrap(), 40000);
    }
}
