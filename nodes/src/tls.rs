//! TLS for node types that open their own connections (Redis, MQTT): certificates are checked
//! against the platform's trust store and, for a service with a private CA, the PEM
//! certificate(s) in the credential's `ca_cert`. One place, so every such type trusts the
//! same way and reports a bad `ca_cert` the same way.

use rustls::ClientConfig;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::sync::Arc;

/// The certificates in `pem`: at least one `BEGIN CERTIFICATE` block, all of them valid PEM.
/// The error never quotes the text.
pub fn parse_ca(pem: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    const NOT_PEM: &str = "`ca_cert` is not a PEM certificate (-----BEGIN CERTIFICATE----- …)";
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| NOT_PEM.to_string())?;
    if certs.is_empty() {
        return Err(NOT_PEM.to_string());
    }
    Ok(certs)
}

/// Makes aws-lc-rs the process's default rustls provider, unless one is set already. Some
/// clients (fred's parsing of a `rediss://` URL, async-nats for `tls://`) build a rustls
/// configuration with the default provider, which rustls cannot pick by itself when, as here,
/// more than one is compiled in. [`Registry::builtin`](crate::Registry::builtin) calls it.
pub fn install_default_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err means another part of the process installed one first: that one serves.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    });
}

/// A client configuration trusting the platform's roots plus `ca` (from [`parse_ca`]).
pub fn client_config(ca: Vec<CertificateDer<'static>>) -> Result<Arc<ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier =
        rustls_platform_verifier::Verifier::new_with_extra_roots(ca, Arc::clone(&provider))
            .map_err(|e| format!("the trust store cannot be loaded: {e}"))?;
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// [`client_config`] trusting the platform's roots plus the credential's `ca_cert`, if any.
pub fn trusting(ca_cert: Option<&str>) -> Result<Arc<ClientConfig>, String> {
    let ca = match ca_cert {
        Some(pem) => parse_ca(pem)?,
        None => Vec::new(),
    };
    client_config(ca)
}

/// The error for a TLS handshake with `target` that failed (`detail` says why): permanent,
/// because retrying cannot make a certificate trusted.
pub fn handshake_error(target: &str, detail: impl std::fmt::Display) -> weft_core::NodeError {
    weft_core::NodeError::permanent(format!(
        "TLS with {target} failed (check its certificate and the credential's `ca_cert`): \
         {detail}"
    ))
}

/// Whether an error text says the peer's certificate was not trusted or the handshake failed:
/// a configuration problem that retrying cannot fix.
pub fn is_handshake_failure(text: &str) -> bool {
    [
        "invalid peer certificate",
        "peer is incompatible",
        "received fatal alert",
        "InvalidCertificate",
    ]
    .iter()
    .any(|m| text.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_must_be_pem_certificates() {
        assert!(parse_ca("not a certificate").is_err());
        assert!(parse_ca("").is_err());
        let e =
            parse_ca("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n").unwrap_err();
        assert!(!e.contains("!!!"), "{e}");
    }
}
