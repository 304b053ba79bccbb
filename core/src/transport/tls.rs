//! TLS through native-tls: connectors from the session's trust settings, and errors mapped onto
//! WinINet's certificate codes.

use crate::error::{Error, ErrorKind, Result};
use crate::options::TlsOptions;

/// Per-request relaxations of certificate checks (WinINet: SECURITY_FLAG_IGNORE_UNKNOWN_CA,
/// SECURITY_FLAG_IGNORE_CERT_CN_INVALID). Part of the pool key, so a relaxed connection never
/// serves a strict request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TlsVerify {
    /// Accept any certificate chain.
    pub accept_invalid_certs: bool,
    /// Accept a certificate for another host name.
    pub accept_invalid_hostnames: bool,
}

pub(crate) fn connector(options: &TlsOptions, verify: TlsVerify) -> async_native_tls::TlsConnector {
    let mut builder = native_tls::TlsConnector::builder();
    for cert in &options.extra_roots {
        builder.add_root_certificate(cert.clone());
    }
    builder.danger_accept_invalid_certs(verify.accept_invalid_certs);
    builder.danger_accept_invalid_hostnames(verify.accept_invalid_hostnames);
    async_native_tls::TlsConnector::from(builder)
}

/// Map a handshake failure onto WinINet's codes by what the TLS library says.
pub(crate) fn classify(err: native_tls::Error, label: &str) -> Error {
    let text = err.to_string().to_ascii_lowercase();
    let (kind, what) = if text.contains("hostname mismatch") || text.contains("ip address mismatch")
    {
        (
            ErrorKind::SecCertCnInvalid,
            "the certificate does not name this host",
        )
    } else if text.contains("expired") || text.contains("not yet valid") {
        (
            ErrorKind::SecCertDateInvalid,
            "the certificate is outside its validity dates",
        )
    } else if text.contains("certificate verify failed")
        || text.contains("self-signed")
        || text.contains("self signed")
        || text.contains("unable to get local issuer")
    {
        (ErrorKind::InvalidCa, "the certificate chain is not trusted")
    } else {
        (ErrorKind::SecurityChannel, "the TLS handshake failed")
    };
    Error::new(kind, format!("TLS handshake with {label}: {what}")).with_source(err)
}

/// Parse every certificate in a PEM bundle.
pub(crate) fn parse_pem_certificates(pem: &[u8]) -> Result<Vec<native_tls::Certificate>> {
    let text = String::from_utf8_lossy(pem);
    let mut certs = Vec::new();
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut rest = text.as_ref();
    while let Some(start) = rest.find(BEGIN) {
        let Some(len) = rest[start..].find(END) else {
            break;
        };
        let block = &rest[start..start + len + END.len()];
        let cert = native_tls::Certificate::from_pem(block.as_bytes()).map_err(|e| {
            Error::new(ErrorKind::InvalidParameter, "parsing a PEM CA certificate").with_source(e)
        })?;
        certs.push(cert);
        rest = &rest[start + len + END.len()..];
    }
    if certs.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidParameter,
            "no PEM certificate found in the CA data",
        ));
    }
    Ok(certs)
}
