//! `data.encode` (base64, base64url, hex, URL percent-encoding) and `data.crypto` (hashes,
//! HMACs, UUIDs, random bytes).

use crate::config::{object_schema, parse_config};
use crate::{Node, NodeInput, NodeOutput};
use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Deserialize;
use serde_json::{Value, json};
use weft_core::{NodeError, NodeSpec, Ports};

/// The longest `value` these nodes accept, in bytes.
pub const MAX_VALUE_BYTES: usize = 10 * 1024 * 1024;

fn spec(type_name: &str, description: &str, schema: Value) -> NodeSpec {
    NodeSpec {
        type_name: type_name.to_string(),
        category: "data".to_string(),
        description: description.to_string(),
        trigger: false,
        ports: Ports::main(),
        schema,
        filter_fields: Vec::new(),
        raw_fields: Vec::new(),
        default_retry: None,
    }
}

fn check_len(type_name: &str, field: &str, value: &str) -> Result<(), NodeError> {
    if value.len() > MAX_VALUE_BYTES {
        return Err(NodeError::permanent(format!(
            "{type_name}: `{field}` is {} bytes, more than the limit of {MAX_VALUE_BYTES}",
            value.len()
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------

/// `data.encode`.
#[derive(Debug, Clone, Copy, Default)]
pub struct EncodeNode;

impl EncodeNode {
    pub const TYPE: &'static str = "data.encode";
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Direction {
    Encode,
    Decode,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Encoding {
    Base64,
    Base64url,
    Hex,
    Url,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EncodeConfig {
    operation: Direction,
    encoding: Encoding,
    value: String,
}

/// Characters URL encoding leaves alone: RFC 3986's unreserved set.
const URL_UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

#[async_trait]
impl Node for EncodeNode {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        spec(
            Self::TYPE,
            "Encodes a string's UTF-8 bytes as base64, base64url, hex or URL percent-encoding, \
             or decodes such text back to a string. Input that does not decode (or does not \
             decode to UTF-8) is a permanent error.",
            object_schema(
                "Encode / decode",
                json!({
                    "operation": {
                        "type": "string",
                        "title": "Operation",
                        "description": "encode: string → encoded text; decode: encoded text → \
                                        string.",
                        "enum": ["encode", "decode"],
                        "default": "encode"
                    },
                    "encoding": {
                        "type": "string",
                        "title": "Encoding",
                        "description": "base64 (standard, padded), base64url (URL-safe, \
                                        unpadded; decoding accepts padding too), hex (lower \
                                        case; decoding accepts either case) or url \
                                        (percent-encoding of everything but A-Z a-z 0-9 - . _ ~).",
                        "enum": ["base64", "base64url", "hex", "url"],
                        "default": "base64"
                    },
                    "value": {
                        "type": "string",
                        "title": "Value",
                        "description": "The text to encode or decode; may be a {{ }} template, \
                                        e.g. {{ .prev.token }}. At most 10 MiB.",
                        "maxLength": MAX_VALUE_BYTES
                    }
                }),
                &["operation", "encoding", "value"],
            ),
        )
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: EncodeConfig = parse_config(Self::TYPE, &input.config)?;
        check_len(Self::TYPE, "value", &config.value)?;
        let v = config.value;
        let out = match config.operation {
            Direction::Encode => match config.encoding {
                Encoding::Base64 => STANDARD.encode(v.as_bytes()),
                Encoding::Base64url => URL_SAFE_NO_PAD.encode(v.as_bytes()),
                Encoding::Hex => hex::encode(v.as_bytes()),
                Encoding::Url => {
                    percent_encoding::utf8_percent_encode(&v, URL_UNRESERVED).to_string()
                }
            },
            Direction::Decode => {
                let bytes = match config.encoding {
                    Encoding::Base64 => STANDARD.decode(v.trim()).map_err(|e| e.to_string()),
                    Encoding::Base64url => URL_SAFE_NO_PAD
                        .decode(v.trim().trim_end_matches('='))
                        .map_err(|e| e.to_string()),
                    Encoding::Hex => hex::decode(v.trim()).map_err(|e| e.to_string()),
                    Encoding::Url => Ok(percent_encoding::percent_decode_str(&v).collect()),
                }
                .map_err(|e| {
                    NodeError::permanent(format!("{}: `value` does not decode: {e}", Self::TYPE))
                })?;
                String::from_utf8(bytes).map_err(|_| {
                    NodeError::permanent(format!(
                        "{}: `value` decodes to bytes that are not UTF-8 text",
                        Self::TYPE
                    ))
                })?
            }
        };
        Ok(NodeOutput::main(Value::String(out)))
    }
}

// ---------------------------------------------------------------------------------------------

/// `data.crypto`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CryptoNode;

impl CryptoNode {
    pub const TYPE: &'static str = "data.crypto";
    /// The most random bytes one run makes.
    pub const MAX_RANDOM_BYTES: u64 = 1024;
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum CryptoOp {
    Hash,
    Hmac,
    Uuid,
    Random,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
enum Algorithm {
    #[default]
    Sha256,
    Sha512,
    Sha1,
    Md5,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
enum OutEncoding {
    #[default]
    Hex,
    Base64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CryptoConfig {
    operation: CryptoOp,
    #[serde(default)]
    algorithm: Algorithm,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    encoding: OutEncoding,
    #[serde(default = "default_bytes")]
    bytes: u64,
}

fn default_bytes() -> u64 {
    32
}

fn digest(algorithm: Algorithm, data: &[u8]) -> Vec<u8> {
    use sha2_11::Digest as _;
    match algorithm {
        Algorithm::Sha256 => sha2_11::Sha256::digest(data).to_vec(),
        Algorithm::Sha512 => sha2_11::Sha512::digest(data).to_vec(),
        Algorithm::Sha1 => sha1_11::Sha1::digest(data).to_vec(),
        Algorithm::Md5 => md5::Md5::digest(data).to_vec(),
    }
}

fn hmac(algorithm: Algorithm, key: &[u8], data: &[u8]) -> Vec<u8> {
    fn run<M: hmac::Mac + hmac::KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
        let mut mac =
            <M as hmac::KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length");
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }
    match algorithm {
        Algorithm::Sha256 => run::<hmac::Hmac<sha2_11::Sha256>>(key, data),
        Algorithm::Sha512 => run::<hmac::Hmac<sha2_11::Sha512>>(key, data),
        Algorithm::Sha1 => run::<hmac::Hmac<sha1_11::Sha1>>(key, data),
        Algorithm::Md5 => run::<hmac::Hmac<md5::Md5>>(key, data),
    }
}

#[async_trait]
impl Node for CryptoNode {
    // Not inline for uuid/random: their output is not a function of the input. A replay
    // reads the recorded output either way, but inline nodes are declared pure.
    fn spec(&self) -> NodeSpec {
        spec(
            Self::TYPE,
            "hash: a digest of `value`; hmac: an HMAC of `value` with `key`; uuid: a random \
             (v4) UUID; random: `bytes` cryptographically random bytes. hash, hmac and random \
             output text in `encoding`.",
            object_schema(
                "Crypto",
                json!({
                    "operation": {
                        "type": "string",
                        "title": "Operation",
                        "description": "hash, hmac, uuid or random.",
                        "enum": ["hash", "hmac", "uuid", "random"],
                        "default": "hash"
                    },
                    "algorithm": {
                        "type": "string",
                        "title": "Algorithm",
                        "description": "The digest for hash and hmac. md5 and sha1 are for \
                                        compatibility with other systems only, not security.",
                        "enum": ["sha256", "sha512", "sha1", "md5"],
                        "default": "sha256"
                    },
                    "value": {
                        "type": "string",
                        "title": "Value",
                        "description": "The text to hash or sign (its UTF-8 bytes); required \
                                        for hash and hmac; may be a {{ }} template. At most \
                                        10 MiB.",
                        "maxLength": MAX_VALUE_BYTES
                    },
                    "key": {
                        "type": "string",
                        "title": "Key",
                        "description": "The HMAC secret (its UTF-8 bytes); required for hmac, \
                                        e.g. {{ .vars.webhook_secret }}.",
                        "maxLength": MAX_VALUE_BYTES
                    },
                    "encoding": {
                        "type": "string",
                        "title": "Output encoding",
                        "description": "How hash, hmac and random bytes are written: lower-case \
                                        hex or standard base64.",
                        "enum": ["hex", "base64"],
                        "default": "hex"
                    },
                    "bytes": {
                        "type": "integer",
                        "title": "Random bytes",
                        "description": "How many random bytes `random` makes (1 to 1024).",
                        "minimum": 1,
                        "maximum": CryptoNode::MAX_RANDOM_BYTES,
                        "default": 32
                    }
                }),
                &["operation"],
            ),
        )
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: CryptoConfig = parse_config(Self::TYPE, &input.config)?;
        let required = |field: &str, v: &Option<String>| -> Result<String, NodeError> {
            let v = v.clone().ok_or_else(|| {
                NodeError::config(format!(
                    "invalid {} config: /{field}: required for operation {:?}",
                    Self::TYPE,
                    format!("{:?}", config.operation).to_lowercase()
                ))
            })?;
            check_len(Self::TYPE, field, &v)?;
            Ok(v)
        };
        let write = |bytes: Vec<u8>| match config.encoding {
            OutEncoding::Hex => hex::encode(bytes),
            OutEncoding::Base64 => STANDARD.encode(bytes),
        };
        let out = match config.operation {
            CryptoOp::Hash => {
                let value = required("value", &config.value)?;
                write(digest(config.algorithm, value.as_bytes()))
            }
            CryptoOp::Hmac => {
                let value = required("value", &config.value)?;
                let key = required("key", &config.key)?;
                write(hmac(config.algorithm, key.as_bytes(), value.as_bytes()))
            }
            CryptoOp::Uuid => uuid::Uuid::new_v4().to_string(),
            CryptoOp::Random => {
                if !(1..=Self::MAX_RANDOM_BYTES).contains(&config.bytes) {
                    return Err(NodeError::config(format!(
                        "invalid {} config: /bytes: must be 1 to {}",
                        Self::TYPE,
                        Self::MAX_RANDOM_BYTES
                    )));
                }
                let mut buf = vec![0u8; config.bytes as usize];
                rand::RngCore::fill_bytes(&mut rand::rng(), &mut buf);
                write(buf)
            }
        };
        Ok(NodeOutput::main(Value::String(out)))
    }
}
