//! The directory name in a 257 reply (`PWD`, `MKD`), quoted as RFC 959 Appendix II says:
//! `257 "/a ""quoted"" name" is current directory`.
//!
//! Text in, a name out; it must not guess a name from an unquoted reply.

use super::ProtoError;

/// The name between the first `"` and the `"` that closes it, with each doubled `""` inside
/// read as one `"`.
///
/// ```
/// use inet_ftp::proto::parse_quoted_path;
///
/// assert_eq!(parse_quoted_path(r#"257 "/home/ann" is current directory."#)?, "/home/ann");
/// assert_eq!(parse_quoted_path(r#"257 "name with ""quote""" created"#)?, r#"name with "quote""#);
/// # Ok::<(), inet_ftp::proto::ProtoError>(())
/// ```
pub fn parse_quoted_path(text: &str) -> Result<String, ProtoError> {
    let Some(open) = text.find('"') else {
        return Err(ProtoError::InvalidReply(format!(
            "257 reply without a quoted name: {text:?}"
        )));
    };
    let mut name = String::new();
    let mut chars = text[open + 1..].chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if chars.peek() == Some(&'"') {
                chars.next();
                name.push('"');
            } else {
                return Ok(name);
            }
        } else {
            name.push(c);
        }
    }
    Err(ProtoError::InvalidReply(format!(
        "257 reply whose quoted name does not end: {text:?}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_replies_give_the_name() {
        // vsftpd, proftpd, IIS.
        assert_eq!(
            parse_quoted_path(r#"257 "/" is the current directory"#).unwrap(),
            "/"
        );
        assert_eq!(
            parse_quoted_path(r#"257 "/pub/new dir" - Directory successfully created"#).unwrap(),
            "/pub/new dir"
        );
        assert_eq!(
            parse_quoted_path(r#"257 "/" is current directory."#).unwrap(),
            "/"
        );
    }

    #[test]
    fn doubled_quotes_are_one_quote() {
        assert_eq!(parse_quoted_path(r#"257 "a""b""""#).unwrap(), r#"a"b""#);
        assert_eq!(parse_quoted_path(r#"257 """" x"#).unwrap(), r#"""#);
    }

    #[test]
    fn an_empty_quoted_name_is_empty() {
        assert_eq!(parse_quoted_path(r#"257 "" odd"#).unwrap(), "");
    }

    #[test]
    fn no_quoted_part_is_an_error() {
        assert!(parse_quoted_path("257 /home/ann is current directory").is_err());
        assert!(parse_quoted_path(r#"257 "/never closed"#).is_err());
        assert!(parse_quoted_path(r#"257 "ends with escaped"""#).is_err());
    }
}
