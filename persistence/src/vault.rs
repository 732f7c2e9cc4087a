//! The vault: seals node credentials (and TOTP secrets) before they reach the database, so a
//! copy of the database or a backup alone gives away no secret.
//!
//! Two formats, told apart by their first byte:
//!
//! - **v1** ([`Vault::seal`], TOTP secrets and tokens): AES-256-GCM under the master key with a
//!   fresh random 96-bit nonce: `1 ‖ nonce (12) ‖ ciphertext ‖ tag (16)`. Builds before
//!   envelopes sealed credentials this way too; such a value is bound to no credential, so
//!   [`Vault::open_credential`] refuses it and [`Vault::reseal_legacy_credential`] turns it
//!   into an envelope (`weft serve` does so for every credential at start).
//! - **v2** ([`Vault::seal_credential`], node credentials): envelope encryption. Every
//!   credential version gets a fresh random 256-bit data key; the secret is encrypted under the
//!   data key, and the data key is wrapped (encrypted) under the master key, both with
//!   AES-256-GCM and the same associated data `2 ‖ credential id (16) ‖ version (u32 BE)`:
//!   `2 ‖ wrap nonce (12) ‖ wrapped data key (32) ‖ wrap tag (16) ‖ nonce (12) ‖ ciphertext ‖
//!   tag (16)`. The associated data binds a sealed value to its credential and version: copied
//!   to another credential's row, or replayed as an older version, it no longer opens.
//!
//! The format byte is authenticated in both, so it cannot be changed to make a build read the
//! rest under another scheme; it also lets a later build change the scheme (or rotate the
//! master key) and still read what this one wrote.
//!
//! The key comes from `WEFT_MASTER_KEY` (production: the operator keeps it in a secret store,
//! apart from the database) or, in embedded mode, from a key file created on first start with
//! a random key and mode 0600. A key file others can read is refused rather than used: it
//! would protect nothing. Neither the key nor any plaintext is ever written to a log or an
//! error message.

use aes_gcm::aead::rand_core::RngCore;
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// The format of what [`Vault::seal`] writes; the first byte of every sealed value.
const FORMAT_V1: u8 = 1;
/// The format of what [`Vault::seal_credential`] writes.
const FORMAT_V2: u8 = 2;
/// `format ‖ credential id ‖ version`.
const AAD_V2_LEN: usize = 1 + 16 + 4;
/// `format ‖ wrap nonce ‖ wrapped key ‖ wrap tag`: what precedes the data nonce.
const ENVELOPE_HEADER_LEN: usize = 1 + NONCE_LEN + KEY_LEN + TAG_LEN;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// `WEFT_MASTER_KEY` is set but is not a key. The message never contains the value.
    #[error(
        "WEFT_MASTER_KEY is not a usable key: {0}; expected 32 random bytes as standard base64 \
         (44 characters, e.g. from `openssl rand -base64 32`) or as 64 hex characters"
    )]
    BadMasterKey(String),
    #[error("key file {}: {source}", path.display())]
    KeyFileIo {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The key file grants access to group or others; using it would protect nothing.
    #[error(
        "key file {} is accessible to group or others (mode {mode:03o}); restrict it with \
         `chmod 600 {}` or set WEFT_MASTER_KEY instead",
        path.display(),
        path.display()
    )]
    KeyFileExposed { path: PathBuf, mode: u32 },
    /// The key file exists but does not hold a key. The message never contains its content.
    #[error(
        "key file {} does not hold a key: {reason}; it must contain 32 bytes as standard base64",
        path.display()
    )]
    BadKeyFile { path: PathBuf, reason: String },
    #[error("sealed value is too short ({len} bytes): it was cut off or is not a sealed value")]
    Truncated { len: usize },
    #[error("sealed value has unknown format version {0}: written by a newer build?")]
    UnknownVersion(u8),
    /// A credential still in the single-key format of builds before envelopes.
    #[error(
        "credential is sealed in the legacy single-key format; `weft serve` reseals such \
         values at start, or run `weft credentials reseal`"
    )]
    LegacyCredential,
    /// Decryption failed: another key sealed it, the bytes were changed, or (credentials) it
    /// was sealed for another credential or version.
    #[error(
        "sealed value cannot be opened: it was sealed with another key or for another \
         credential or version, or it was altered"
    )]
    Unauthentic,
}

/// Seals and opens secrets with one AES-256-GCM key. Cheap to clone.
#[derive(Clone)]
pub struct Vault {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Vault {
    /// Never shows the key, not even in part.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").finish_non_exhaustive()
    }
}

impl Vault {
    pub fn from_key(key: [u8; KEY_LEN]) -> Vault {
        Vault {
            cipher: Aes256Gcm::new(&Key::<Aes256Gcm>::from(key)),
        }
    }

    /// The vault for this instance: the `WEFT_MASTER_KEY` value when given, otherwise the key
    /// in `key_file`, which is created (with its directory) holding a new random key when it
    /// does not exist yet.
    ///
    /// Two processes starting at once on the same key file end up with the same key: the file
    /// appears complete or not at all, and never replaces one that exists.
    pub fn load(master_key: Option<&str>, key_file: &Path) -> Result<Vault, VaultError> {
        if let Some(value) = master_key {
            let key = parse_key(value).map_err(VaultError::BadMasterKey)?;
            return Ok(Vault::from_key(key));
        }
        match read_key_file(key_file) {
            Ok(key) => return Ok(Vault::from_key(key)),
            Err(VaultError::KeyFileIo { source, .. })
                if source.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        match create_key_file(key_file)? {
            Some(key) => {
                tracing::info!(path = %key_file.display(), "created a new vault key file");
                Ok(Vault::from_key(key))
            }
            // Another process created it meanwhile: use its key.
            None => read_key_file(key_file).map(Vault::from_key),
        }
    }

    /// Encrypts `plaintext` under a fresh random nonce (format v1: TOTP secrets, tokens).
    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + TAG_LEN);
        sealed.push(FORMAT_V1);
        // The version byte is authenticated too, so it cannot be changed to make a later
        // build read the rest under another scheme.
        encrypt_into(&self.cipher, plaintext, &[FORMAT_V1], &mut sealed);
        sealed
    }

    /// Decrypts what [`Vault::seal`] wrote; anything else (another key, changed or cut bytes)
    /// is an error.
    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, VaultError> {
        let Some((&version, rest)) = sealed.split_first() else {
            return Err(VaultError::Truncated { len: 0 });
        };
        if version != FORMAT_V1 {
            return Err(VaultError::UnknownVersion(version));
        }
        if rest.len() < NONCE_LEN + TAG_LEN {
            return Err(VaultError::Truncated { len: sealed.len() });
        }
        decrypt(&self.cipher, rest, &[FORMAT_V1])
    }

    /// Seals version `version` of credential `id` (format v2): a fresh random data key
    /// encrypts `plaintext`, and the master key wraps the data key; both bound to `id` and
    /// `version`. The data key exists only for the length of this call.
    pub fn seal_credential(&self, id: Uuid, version: u32, plaintext: &[u8]) -> Vec<u8> {
        let aad = credential_aad(id, version);
        let mut data_key = [0u8; KEY_LEN];
        OsRng.fill_bytes(&mut data_key);
        let mut sealed =
            Vec::with_capacity(ENVELOPE_HEADER_LEN + NONCE_LEN + plaintext.len() + TAG_LEN);
        sealed.push(FORMAT_V2);
        encrypt_into(&self.cipher, &data_key, &aad, &mut sealed);
        let data_cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(data_key));
        data_key.fill(0);
        encrypt_into(&data_cipher, plaintext, &aad, &mut sealed);
        sealed
    }

    /// A credential value in the legacy v1 format sealed again as an envelope for
    /// `next_version` of credential `id`, or `None` when `sealed` is not a legacy value. The
    /// plaintext stays inside this call. A v1 value sealed with another key is
    /// [`VaultError::Unauthentic`].
    pub fn reseal_legacy_credential(
        &self,
        id: Uuid,
        next_version: u32,
        sealed: &[u8],
    ) -> Result<Option<Vec<u8>>, VaultError> {
        if sealed.first() != Some(&FORMAT_V1) {
            return Ok(None);
        }
        let mut plaintext = self.open(sealed)?;
        let resealed = self.seal_credential(id, next_version, &plaintext);
        plaintext.fill(0);
        Ok(Some(resealed))
    }

    /// Opens version `version` of credential `id`: a v2 value sealed for exactly this id and
    /// version. A value sealed for another credential or version is
    /// [`VaultError::Unauthentic`]; a legacy v1 value is [`VaultError::LegacyCredential`],
    /// because it is bound to no credential (a v1 TOTP secret copied into a credential's row
    /// would otherwise open as that credential).
    pub fn open_credential(
        &self,
        id: Uuid,
        version: u32,
        sealed: &[u8],
    ) -> Result<Vec<u8>, VaultError> {
        match sealed.first() {
            None => Err(VaultError::Truncated { len: 0 }),
            Some(&FORMAT_V1) => Err(VaultError::LegacyCredential),
            Some(&FORMAT_V2) => {
                if sealed.len() < ENVELOPE_HEADER_LEN + NONCE_LEN + TAG_LEN {
                    return Err(VaultError::Truncated { len: sealed.len() });
                }
                let aad = credential_aad(id, version);
                let (wrapped, body) = sealed[1..].split_at(ENVELOPE_HEADER_LEN - 1);
                let mut unwrapped = decrypt(&self.cipher, wrapped, &aad)?;
                let data_key = <[u8; KEY_LEN]>::try_from(unwrapped.as_slice());
                unwrapped.fill(0);
                // An authentic wrap of something that is not a key: only a bug could seal it.
                let mut data_key = data_key.map_err(|_| VaultError::Unauthentic)?;
                let data_cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(data_key));
                data_key.fill(0);
                decrypt(&data_cipher, body, &aad)
            }
            Some(&other) => Err(VaultError::UnknownVersion(other)),
        }
    }
}

/// The associated data of a v2 value: `2 ‖ id ‖ version (big-endian)`.
fn credential_aad(id: Uuid, version: u32) -> [u8; AAD_V2_LEN] {
    let mut aad = [0u8; AAD_V2_LEN];
    aad[0] = FORMAT_V2;
    aad[1..17].copy_from_slice(id.as_bytes());
    aad[17..].copy_from_slice(&version.to_be_bytes());
    aad
}

/// AES-256-GCM under `cipher` with a fresh nonce: `nonce ‖ ciphertext ‖ tag` appended to `out`.
fn encrypt_into(cipher: &Aes256Gcm, plaintext: &[u8], aad: &[u8], out: &mut Vec<u8>) {
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let ciphertext = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad,
            },
        )
        // aes-gcm only refuses messages longer than 64 GiB; nothing sealed here comes close.
        .expect("AES-GCM encryption of an in-memory secret cannot fail");
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
}

/// Opens `nonce ‖ ciphertext ‖ tag` (at least a nonce and a tag, checked by the caller).
fn decrypt(cipher: &Aes256Gcm, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, VaultError> {
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().expect("split at the nonce length");
    cipher
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map_err(|_| VaultError::Unauthentic)
}

/// A 32-byte key from 64 hex characters or standard base64. The error says what is wrong in
/// terms of lengths and alphabets, never quoting the input.
fn parse_key(text: &str) -> Result<[u8; KEY_LEN], String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("it is empty".into());
    }
    let bytes = if text.len() == 2 * KEY_LEN && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        decode_hex(text)
    } else {
        BASE64.decode(text).map_err(|_| {
            format!(
                "its {} characters are neither 64 hex characters nor valid base64",
                text.chars().count()
            )
        })?
    };
    <[u8; KEY_LEN]>::try_from(bytes.as_slice())
        .map_err(|_| format!("it decodes to {} bytes, not {KEY_LEN}", bytes.len()))
}

/// Hex digits (checked by the caller) to bytes.
fn decode_hex(text: &str) -> Vec<u8> {
    let digit = |b: u8| match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b - b'A' + 10,
    };
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| (digit(pair[0]) << 4) | digit(pair[1]))
        .collect()
}

fn read_key_file(path: &Path) -> Result<[u8; KEY_LEN], VaultError> {
    let io_error = |source| VaultError::KeyFileIo {
        path: path.to_path_buf(),
        source,
    };
    let metadata = fs::metadata(path).map_err(io_error)?;
    if !metadata.is_file() {
        return Err(VaultError::BadKeyFile {
            path: path.to_path_buf(),
            reason: "it is not a regular file".into(),
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(VaultError::KeyFileExposed {
                path: path.to_path_buf(),
                mode,
            });
        }
    }
    let content = fs::read(path).map_err(io_error)?;
    let text = std::str::from_utf8(&content).map_err(|_| VaultError::BadKeyFile {
        path: path.to_path_buf(),
        reason: "it is not text".into(),
    })?;
    parse_key(text).map_err(|reason| VaultError::BadKeyFile {
        path: path.to_path_buf(),
        reason,
    })
}

/// Writes a new random key to `path` unless a file is there already (then `None`).
///
/// The key goes to a private temporary file first (created exclusively, mode 0600, flushed to
/// disk), which is then hard-linked to `path`: linking never replaces an existing file, and
/// the file appears with its whole content at once, so a process starting at the same moment
/// either sees no file or a complete one, never an empty one it would reject.
fn create_key_file(path: &Path) -> Result<Option<[u8; KEY_LEN]>, VaultError> {
    let io_error = |source| VaultError::KeyFileIo {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(io_error)?;
    }
    let mut key = [0u8; KEY_LEN];
    OsRng.fill_bytes(&mut key);
    let content = format!("{}\n", BASE64.encode(key));

    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "vault.key".into());
    let temp = path.with_file_name(format!(
        ".{file_name}.{}.tmp",
        uuid::Uuid::new_v4().simple()
    ));
    let written =
        write_private(&temp, content.as_bytes()).and_then(|()| fs::hard_link(&temp, path));
    // Whatever happened, the temporary name goes; `path` keeps the content when linked.
    let _ = fs::remove_file(&temp);
    match written {
        Ok(()) => Ok(Some(key)),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(None),
        Err(e) => Err(io_error(e)),
    }
}

/// Creates `path` (failing if it exists) readable by its owner only, and syncs its content.
fn write_private(path: &Path, content: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(content)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault(byte: u8) -> Vault {
        Vault::from_key([byte; KEY_LEN])
    }

    #[test]
    fn sealed_values_open_again() {
        let v = vault(7);
        for plaintext in [&b""[..], b"s3cret", &[0u8; 4096]] {
            let sealed = v.seal(plaintext);
            assert_eq!(sealed.len(), 1 + NONCE_LEN + plaintext.len() + TAG_LEN);
            assert_eq!(sealed[0], FORMAT_V1);
            assert_eq!(v.open(&sealed).unwrap(), plaintext);
        }
        // A fresh nonce each time: the same secret never seals to the same bytes.
        assert_ne!(v.seal(b"same"), v.seal(b"same"));
    }

    #[test]
    fn altered_values_are_refused() {
        let v = vault(7);
        let sealed = v.seal(b"the password");
        for i in 1..sealed.len() {
            let mut altered = sealed.clone();
            altered[i] ^= 0x01;
            assert!(
                matches!(v.open(&altered), Err(VaultError::Unauthentic)),
                "byte {i} changed"
            );
        }
        let mut version = sealed.clone();
        version[0] = 2;
        assert!(matches!(
            v.open(&version),
            Err(VaultError::UnknownVersion(2))
        ));
        for len in [0, 1, 12, 1 + NONCE_LEN + TAG_LEN - 1] {
            assert!(
                matches!(v.open(&sealed[..len]), Err(VaultError::Truncated { .. })),
                "cut to {len} bytes"
            );
        }
        // Only the tag left after the nonce: authentic for the empty message only.
        assert!(matches!(
            v.open(&sealed[..1 + NONCE_LEN + TAG_LEN]),
            Err(VaultError::Unauthentic)
        ));
    }

    #[test]
    fn another_key_cannot_open() {
        let sealed = vault(1).seal(b"secret");
        assert!(matches!(
            vault(2).open(&sealed),
            Err(VaultError::Unauthentic)
        ));
    }

    fn cred_id(n: u128) -> Uuid {
        Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n)
    }

    #[test]
    fn credentials_open_again() {
        let v = vault(7);
        let id = cred_id(1);
        for plaintext in [&b""[..], br#"{"token":"s3cret"}"#, &[0u8; 4096]] {
            let sealed = v.seal_credential(id, 3, plaintext);
            assert_eq!(sealed[0], FORMAT_V2);
            assert_eq!(
                sealed.len(),
                ENVELOPE_HEADER_LEN + NONCE_LEN + plaintext.len() + TAG_LEN
            );
            assert_eq!(v.open_credential(id, 3, &sealed).unwrap(), plaintext);
        }
    }

    #[test]
    fn credentials_are_bound_to_their_id_and_version() {
        let v = vault(7);
        let sealed = v.seal_credential(cred_id(1), 2, b"token");
        for (id, version) in [
            (cred_id(2), 2),
            (cred_id(1), 1),
            (cred_id(1), 3),
            (cred_id(1), 2 | (1 << 24)),
        ] {
            assert!(
                matches!(
                    v.open_credential(id, version, &sealed),
                    Err(VaultError::Unauthentic)
                ),
                "{id} v{version}"
            );
        }
        // Another master key cannot unwrap the data key.
        assert!(matches!(
            vault(8).open_credential(cred_id(1), 2, &sealed),
            Err(VaultError::Unauthentic)
        ));
        // Nor is a credential a v1 value (TOTP secrets and tokens never accept one).
        assert!(matches!(
            v.open(&sealed),
            Err(VaultError::UnknownVersion(FORMAT_V2))
        ));
    }

    #[test]
    fn tampered_envelopes_are_refused() {
        let v = vault(7);
        let id = cred_id(9);
        let sealed = v.seal_credential(id, 1, b"the password");
        // Every byte: the wrap nonce, the wrapped key and its tag, the data nonce, the
        // ciphertext and its tag.
        for i in 1..sealed.len() {
            let mut altered = sealed.clone();
            altered[i] ^= 0x80;
            assert!(
                matches!(
                    v.open_credential(id, 1, &altered),
                    Err(VaultError::Unauthentic)
                ),
                "byte {i} changed"
            );
        }
        // A data key wrapped for this credential grafted onto another value's ciphertext.
        let other = v.seal_credential(id, 1, b"the password");
        let mut grafted = sealed[..ENVELOPE_HEADER_LEN].to_vec();
        grafted.extend_from_slice(&other[ENVELOPE_HEADER_LEN..]);
        assert!(matches!(
            v.open_credential(id, 1, &grafted),
            Err(VaultError::Unauthentic)
        ));
        let mut format = sealed.clone();
        format[0] = 3;
        assert!(matches!(
            v.open_credential(id, 1, &format),
            Err(VaultError::UnknownVersion(3))
        ));
        for len in [
            0,
            1,
            ENVELOPE_HEADER_LEN,
            ENVELOPE_HEADER_LEN + NONCE_LEN + TAG_LEN - 1,
        ] {
            assert!(
                matches!(
                    v.open_credential(id, 1, &sealed[..len]),
                    Err(VaultError::Truncated { .. })
                ),
                "cut to {len} bytes"
            );
        }
    }

    #[test]
    fn legacy_v1_credentials_are_refused_until_resealed() {
        let v = vault(7);
        let legacy = v.seal(br#""old token""#);
        assert!(matches!(
            v.open_credential(cred_id(4), 1, &legacy),
            Err(VaultError::LegacyCredential)
        ));
        let resealed = v
            .reseal_legacy_credential(cred_id(4), 2, &legacy)
            .unwrap()
            .expect("a legacy value is resealed");
        assert_eq!(resealed[0], FORMAT_V2);
        assert_eq!(
            v.open_credential(cred_id(4), 2, &resealed).unwrap(),
            br#""old token""#
        );
        // Bound to its credential and version like any envelope.
        assert!(v.open_credential(cred_id(4), 1, &resealed).is_err());
        assert!(v.open_credential(cred_id(5), 2, &resealed).is_err());
        // An envelope is left alone; a legacy value of another key is not opened.
        assert_eq!(
            v.reseal_legacy_credential(cred_id(4), 3, &resealed)
                .unwrap(),
            None
        );
        assert!(matches!(
            vault(8).reseal_legacy_credential(cred_id(4), 2, &legacy),
            Err(VaultError::Unauthentic)
        ));
    }

    #[test]
    fn every_seal_has_its_own_data_key_and_nonces() {
        let v = vault(7);
        let id = cred_id(5);
        let a = v.seal_credential(id, 1, b"same secret");
        let b = v.seal_credential(id, 1, b"same secret");
        assert_eq!(a.len(), b.len());
        let parts = |s: &[u8]| {
            let (header, body) = s.split_at(ENVELOPE_HEADER_LEN);
            let (wrap_nonce, wrapped) = header[1..].split_at(NONCE_LEN);
            let (nonce, ciphertext) = body.split_at(NONCE_LEN);
            [
                wrap_nonce.to_vec(),
                wrapped.to_vec(),
                nonce.to_vec(),
                ciphertext.to_vec(),
            ]
        };
        for (i, (pa, pb)) in parts(&a).iter().zip(parts(&b).iter()).enumerate() {
            assert_ne!(pa, pb, "part {i} repeats");
        }
        // Different data keys: the wrapped keys open to different keys.
        let aad = credential_aad(id, 1);
        let key_a = decrypt(&v.cipher, &a[1..ENVELOPE_HEADER_LEN], &aad).unwrap();
        let key_b = decrypt(&v.cipher, &b[1..ENVELOPE_HEADER_LEN], &aad).unwrap();
        assert_eq!(key_a.len(), KEY_LEN);
        assert_ne!(key_a, key_b);
        // And neither is the master key (vault(7) is `[7; 32]`).
        assert_ne!(key_a, [7u8; KEY_LEN]);
        assert_eq!(v.open_credential(id, 1, &a).unwrap(), b"same secret");
        assert_eq!(v.open_credential(id, 1, &b).unwrap(), b"same secret");
    }

    #[test]
    fn debug_never_shows_the_key() {
        let shown = format!("{:?}", Vault::from_key([0xAB; KEY_LEN]));
        assert_eq!(shown, "Vault { .. }");
    }

    #[test]
    fn master_keys_are_base64_or_hex() {
        let key: [u8; KEY_LEN] = std::array::from_fn(|i| i as u8 * 7);
        let sealed = Vault::from_key(key).seal(b"x");
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        for text in [
            BASE64.encode(key),
            format!("  {}\n", BASE64.encode(key)),
            hex.clone(),
            hex.to_uppercase(),
        ] {
            let loaded = Vault::load(Some(&text), Path::new("/nonexistent/unused.key")).unwrap();
            assert_eq!(loaded.open(&sealed).unwrap(), b"x", "{text}");
        }
    }

    #[test]
    fn bad_master_keys_are_refused_without_echoing_them() {
        let unused = Path::new("/nonexistent/unused.key");
        let cases = [
            String::new(),
            "   ".into(),
            "not a key at all!".into(),
            BASE64.encode([9u8; 16]),
            BASE64.encode([9u8; 33]),
            "ab".repeat(31),
            "zz".repeat(32),
            // Standard base64 only: the URL-safe alphabet is refused.
            BASE64
                .encode([0xFB; KEY_LEN])
                .replace('+', "-")
                .replace('/', "_"),
        ];
        for text in cases {
            let err = Vault::load(Some(&text), unused).unwrap_err();
            assert!(
                matches!(err, VaultError::BadMasterKey(_)),
                "{text:?}: {err:?}"
            );
            let message = err.to_string();
            assert!(message.contains("WEFT_MASTER_KEY"), "{message}");
            if text.trim().len() > 4 {
                assert!(!message.contains(text.trim()), "{message}");
            }
        }
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("weft-data").join("master.key");
        let first = Vault::load(None, &path).unwrap();
        assert_eq!(mode(&path), 0o600);
        let content = fs::read_to_string(&path).unwrap();
        assert!(content.ends_with('\n'), "{content:?}");
        assert_eq!(BASE64.decode(content.trim_end()).unwrap().len(), KEY_LEN);
        // Only the key file is left: no temporary file lingers.
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);

        let sealed = first.seal(b"kept across restarts");
        let second = Vault::load(None, &path).unwrap();
        assert_eq!(second.open(&sealed).unwrap(), b"kept across restarts");
        assert_eq!(fs::read_to_string(&path).unwrap(), content, "not rewritten");
    }

    #[cfg(unix)]
    #[test]
    fn concurrent_first_starts_agree_on_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let vaults: Vec<Vault> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| Vault::load(None, &path).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let sealed = vaults[0].seal(b"one key");
        for v in &vaults {
            assert_eq!(v.open(&sealed).unwrap(), b"one key");
        }
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn exposed_key_files_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        Vault::load(None, &path).unwrap();
        for exposed in [0o644, 0o604, 0o640, 0o620] {
            fs::set_permissions(&path, fs::Permissions::from_mode(exposed)).unwrap();
            let err = Vault::load(None, &path).unwrap_err();
            assert!(
                matches!(err, VaultError::KeyFileExposed { mode, .. } if mode == exposed),
                "{err:?}"
            );
            assert!(err.to_string().contains("chmod 600"), "{err}");
        }
        // The master key, when set, wins over the file without reading it.
        let key = BASE64.encode([3u8; KEY_LEN]);
        Vault::load(Some(&key), &path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).unwrap();
        Vault::load(None, &path).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn key_files_without_a_key_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        for content in [&b""[..], b"short\n", &[0xFF, 0xFE, 0x00]] {
            fs::write(&path, content).unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
            let err = Vault::load(None, &path).unwrap_err();
            assert!(matches!(err, VaultError::BadKeyFile { .. }), "{err:?}");
        }
        let missing_dir = dir.path().join("file-not-dir");
        fs::write(&missing_dir, b"").unwrap();
        let err = Vault::load(None, &missing_dir.join("master.key")).unwrap_err();
        assert!(matches!(err, VaultError::KeyFileIo { .. }), "{err:?}");
    }
}
