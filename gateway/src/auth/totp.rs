//! TOTP (RFC 6238: SHA-1, 6 digits, 30 s steps, one step of skew) for multi-factor login.
//! Secrets are sealed by the vault before they reach the store.

use totp_rs::{Secret, Totp};

pub const ISSUER: &str = "Weft";

fn build(secret: Vec<u8>, account: &str) -> Result<Totp, String> {
    totp_rs::Builder::new()
        .with_secret(secret)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_issuer(Some(ISSUER))
        .with_account_name(account)
        .build()
        .map_err(|e| format!("totp: {e}"))
}

/// A fresh 160-bit secret.
pub fn new_secret() -> Vec<u8> {
    let mut bytes = vec![0u8; 20];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    bytes
}

/// The secret in base32 and the `otpauth://` URL authenticator apps scan.
pub fn enrolment(secret: &[u8], account: &str) -> Result<(String, String), String> {
    let totp = build(secret.to_vec(), account)?;
    let b32 = Secret::from(secret.to_vec()).to_base32();
    let url = totp.to_url().map_err(|e| format!("totp url: {e}"))?;
    Ok((b32, url))
}

pub fn check(secret: &[u8], account: &str, code: &str) -> bool {
    build(secret.to_vec(), account)
        .map(|t| t.check_current(code.trim()).is_some())
        .unwrap_or(false)
}

/// The current code (tests and tooling).
pub fn current(secret: &[u8], account: &str) -> Option<String> {
    build(secret.to_vec(), account)
        .ok()
        .map(|t| t.generate_current().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        let s = new_secret();
        let code = current(&s, "ann").unwrap();
        assert!(check(&s, "ann", &code));
        assert!(!check(&s, "ann", "000000x"));
        let (b32, url) = enrolment(&s, "ann").unwrap();
        assert!(url.starts_with("otpauth://totp/"), "{url}");
        assert!(url.contains(&b32));
    }
}
