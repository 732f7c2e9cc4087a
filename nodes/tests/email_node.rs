//! `email.send` against a real (test) SMTP server on 127.0.0.1, run through the registry as
//! the engine runs it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use std::time::Duration;
use weft_core::catalog::NodeCatalog;
use weft_core::{ErrorKind, ExecutionId, NodeError};
use weft_nodes::file::FileOptions;
use weft_nodes::testing::TestInput;
use weft_nodes::{NodeOptions, Registry};
use weft_test_support::smtp::{ReceivedMail, SmtpServer, SmtpTls};

const TYPE: &str = "email.send";
const PASSWORD: &str = "s3cr3t-Pa55word";
const WAIT: Duration = Duration::from_secs(10);

fn registry_with_files(base_dir: &std::path::Path) -> Registry {
    Registry::builtin(NodeOptions {
        files: FileOptions {
            base_dir: base_dir.to_path_buf(),
            ..FileOptions::default()
        },
        ..NodeOptions::default()
    })
    .expect("built-in registry")
}

fn registry() -> Registry {
    Registry::builtin(NodeOptions::default()).expect("built-in registry")
}

async fn run_in(r: &Registry, input: TestInput) -> Result<Value, NodeError> {
    let spec = r.spec(TYPE).expect("email.send is registered");
    let input = input.build(spec).map_err(NodeError::from)?;
    r.run(TYPE, input).await.map(|o| o.output)
}

async fn run(input: TestInput) -> Result<Value, NodeError> {
    run_in(&registry(), input).await
}

fn smtp_url(port: u16) -> String {
    format!("smtp://alice%40example.com:{PASSWORD}@127.0.0.1:{port}")
}

/// A minimal valid config sending via `port` without TLS (the test server speaks plain SMTP).
fn config(extra: Value) -> Value {
    let mut c = json!({
        "credential": "smtp",
        "tls": "none",
        "from": "Weft <noreply@example.com>",
        "to": "a@example.com",
        "subject": "Hello",
        "text": "Hello there."
    });
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

#[track_caller]
fn assert_error(result: Result<Value, NodeError>, kind: ErrorKind, needles: &[&str]) -> NodeError {
    let e = result.expect_err("should fail");
    assert_eq!(e.kind, kind, "{e}");
    for needle in needles {
        assert!(
            e.message.contains(needle),
            "{needle:?} not in {}",
            e.message
        );
    }
    assert!(
        !e.message.contains(PASSWORD),
        "password leaked: {}",
        e.message
    );
    assert!(
        !e.message.contains("[redacted]"),
        "the node put a secret into its error (scrubbed only by the registry): {}",
        e.message
    );
    e
}

fn headers_of(mail: &ReceivedMail) -> &str {
    mail.data.split("\r\n\r\n").next().unwrap()
}

fn header_lines<'a>(mail: &'a ReceivedMail, name: &str) -> Vec<&'a str> {
    let prefix = format!("{}:", name.to_ascii_lowercase());
    headers_of(mail)
        .split("\r\n")
        .filter(|l| l.to_ascii_lowercase().starts_with(&prefix))
        .collect()
}

#[tokio::test]
async fn sends_text_html_cc_bcc_and_three_kinds_of_attachment() {
    let server = SmtpServer::start().await;
    let files = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(files.path().join("reports")).unwrap();
    let pdf_bytes: Vec<u8> = (0u8..=255).cycle().take(600).collect();
    std::fs::write(files.path().join("reports/may.pdf"), &pdf_bytes).unwrap();
    let r = registry_with_files(files.path());

    let execution = ExecutionId::new();
    let png: &[u8] = b"\x89PNG\r\n\x1a\nnot really a png";
    let cfg = config(json!({
        "to": ["a@example.com", "Bea <b@example.com>"],
        "cc": "Boss <boss@example.com>",
        "bcc": ["hidden@example.com"],
        "reply_to": "support@example.com",
        "subject": "Weekly report {{ .input.week }}",
        "text": "Hello in plain text.",
        "html": "<p>Hello in HTML.</p>",
        "headers": {"X-Campaign": "spring"},
        "attachments": [
            {"filename": "notes.txt", "content": "line one\nline two"},
            {"filename": "pixel.png", "content_base64": STANDARD.encode(png)},
            {"path": "reports/may.pdf"}
        ]
    }));
    let out = run_in(
        &r,
        TestInput::new(cfg)
            .input(json!({"week": 21}))
            .execution_id(execution)
            .node_path("mail")
            .credential("smtp", json!(smtp_url(server.port()))),
    )
    .await
    .unwrap();

    let key = weft_core::ids::idempotency_key(execution, "mail");
    let expected_id = {
        use sha2_11::Digest as _;
        format!(
            "<{}@weft>",
            hex::encode(sha2_11::Sha256::digest(key.as_bytes()))
        )
    };
    assert_eq!(out["message_id"], json!(expected_id));
    assert_eq!(
        out["accepted"],
        json!([
            "a@example.com",
            "b@example.com",
            "boss@example.com",
            "hidden@example.com"
        ])
    );
    let response = out["response"].as_str().unwrap();
    assert!(response.starts_with("250 "), "{response}");
    assert!(!out.to_string().contains(PASSWORD));

    let mails = server.wait_for(1, WAIT).await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.auth_user.as_deref(), Some("alice@example.com"));
    assert_eq!(mail.from, "noreply@example.com");
    assert_eq!(
        mail.to,
        vec![
            "a@example.com",
            "b@example.com",
            "boss@example.com",
            "hidden@example.com"
        ]
    );

    let data = &mail.data;
    assert_eq!(
        header_lines(mail, "Subject"),
        vec!["Subject: Weekly report 21"]
    );
    assert_eq!(
        header_lines(mail, "Message-ID"),
        vec![format!("Message-ID: {expected_id}")]
    );
    assert_eq!(header_lines(mail, "X-Campaign"), vec!["X-Campaign: spring"]);
    let cc = header_lines(mail, "Cc");
    assert!(
        cc.len() == 1 && cc[0].contains("boss@example.com"),
        "{cc:?}"
    );
    assert!(
        header_lines(mail, "Reply-To")[0].contains("support@example.com"),
        "{data}"
    );
    assert!(header_lines(mail, "Bcc").is_empty(), "{data}");
    assert!(!data.contains("hidden@example.com"), "bcc leaked: {data}");

    assert!(data.contains("multipart/mixed"), "{data}");
    assert!(data.contains("multipart/alternative"), "{data}");
    assert!(data.contains("Hello in plain text."), "{data}");
    assert!(data.contains("<p>Hello in HTML.</p>"), "{data}");
    for (filename, bytes) in [
        ("notes.txt", b"line one\r\nline two".to_vec()),
        ("pixel.png", png.to_vec()),
        ("may.pdf", pdf_bytes.clone()),
    ] {
        assert!(
            data.contains(&format!("filename=\"{filename}\"")),
            "{filename} missing: {data}"
        );
        // The part's base64, however lettre wrapped its lines.
        let part = data
            .split("filename=\"")
            .find(|p| p.starts_with(filename))
            .unwrap();
        let body = part.split("\r\n\r\n").nth(1).unwrap();
        let encoded: String = body
            .lines()
            .take_while(|l| !l.starts_with("--"))
            .collect::<Vec<_>>()
            .concat();
        let decoded = STANDARD.decode(encoded.trim()).expect("base64 part");
        // Text content may have had its line endings normalised to CRLF.
        let expected = if filename == "notes.txt" {
            decoded.clone()
        } else {
            bytes.clone()
        };
        assert_eq!(decoded, expected, "{filename}");
        if filename == "notes.txt" {
            let text = String::from_utf8(decoded).unwrap();
            assert_eq!(text.replace("\r\n", "\n"), "line one\nline two");
        }
    }
    assert!(data.contains("Content-Transfer-Encoding: base64"), "{data}");
    assert!(data.contains("application/pdf"), "{data}");
    assert!(!data.contains(PASSWORD));
}

#[tokio::test]
async fn an_object_credential_and_html_only_work() {
    let server = SmtpServer::start().await;
    let out = run(
        TestInput::new(config(json!({"text": null, "html": "<b>hi</b>"}))).credential(
            "smtp",
            json!({"host": "127.0.0.1", "port": server.port(), "username": "bob",
                   "password": PASSWORD}),
        ),
    )
    .await;
    // `text: null` is not a string: the schema refuses it, naming the field.
    assert_error(out, ErrorKind::Config, &["/text"]);

    let mut cfg = config(json!({"html": "<b>hi</b>"}));
    cfg.as_object_mut().unwrap().remove("text");
    let out = run(TestInput::new(cfg).credential(
        "smtp",
        json!({"host": "127.0.0.1", "port": server.port(), "username": "bob",
               "password": PASSWORD}),
    ))
    .await
    .unwrap();
    assert_eq!(out["accepted"], json!(["a@example.com"]));
    let mails = server.wait_for(1, WAIT).await;
    assert_eq!(mails[0].auth_user.as_deref(), Some("bob"));
    assert!(mails[0].data.contains("text/html"), "{}", mails[0].data);
    assert!(mails[0].data.contains("<b>hi</b>"));
}

#[tokio::test]
async fn bad_configs_name_the_field() {
    let server = SmtpServer::start().await;
    let cred = json!(smtp_url(server.port()));
    let bad = |extra: Value| TestInput::new(config(extra)).credential("smtp", cred.clone());

    assert_error(
        run(bad(json!({"to": ["a@example.com", "not an address"]}))).await,
        ErrorKind::Config,
        &["/to/1", "not an address"],
    );
    assert_error(
        run(bad(json!({"from": "nobody"}))).await,
        ErrorKind::Config,
        &["/from"],
    );
    assert_error(
        run(bad(json!({"cc": ["ok@example.com", "bad@@example.com"]}))).await,
        ErrorKind::Config,
        &["/cc/1"],
    );

    let mut no_subject = config(json!({}));
    no_subject.as_object_mut().unwrap().remove("subject");
    assert_error(
        run(TestInput::new(no_subject).credential("smtp", cred.clone())).await,
        ErrorKind::Config,
        &["/subject", "required"],
    );

    let mut no_body = config(json!({}));
    no_body.as_object_mut().unwrap().remove("text");
    assert_error(
        run(TestInput::new(no_body).credential("smtp", cred.clone())).await,
        ErrorKind::Config,
        &["`text`", "`html`"],
    );

    assert_error(
        run(bad(
            json!({"headers": {"X-Evil": "a\r\nBcc: victim@example.com"}}),
        ))
        .await,
        ErrorKind::Config,
        &["/headers/X-Evil", "line breaks"],
    );
    assert_error(
        run(bad(json!({"headers": {"Bad Name": "x"}}))).await,
        ErrorKind::Config,
        &["/headers/Bad Name"],
    );
    assert_error(
        run(bad(json!({"headers": {"bcc": "x@example.com"}}))).await,
        ErrorKind::Config,
        &["/headers/bcc", "`bcc` field"],
    );
    // A template that renders a line break into the subject is refused too.
    assert_error(
        run(bad(json!({"subject": "{{ .input.s }}"})).input(json!({"s": "hi\nBcc: x@y.z"}))).await,
        ErrorKind::Config,
        &["/subject", "line breaks"],
    );
    assert_error(
        run(bad(json!({"attachments": [{"filename": "a.txt"}]}))).await,
        ErrorKind::Config,
        &["/attachments/0"],
    );
    assert_error(
        run(bad(
            json!({"attachments": [{"filename": "a.bin", "content_base64": "!!!not base64"}]}),
        ))
        .await,
        ErrorKind::Config,
        &["/attachments/0/content_base64"],
    );
    let too_many: Vec<Value> = (0..21)
        .map(|i| json!({"filename": format!("{i}.txt"), "content": "x"}))
        .collect();
    assert_error(
        run(bad(json!({"attachments": too_many}))).await,
        ErrorKind::Config,
        &["/attachments: 21 attachments; at most 20"],
    );
    assert_error(
        run(bad(json!({"tls": "maybe"}))).await,
        ErrorKind::Config,
        &["/tls"],
    );
    assert_error(
        run(TestInput::new(config(json!({}))).credential("smtp", json!("http://h:25"))).await,
        ErrorKind::Config,
        &["/credential", "smtp or smtps"],
    );
    assert!(
        server.messages().is_empty(),
        "nothing may be sent for a bad config"
    );
}

#[test]
fn literal_values_are_checked_at_design_time() {
    let r = registry();
    let problems = r.check_config(
        TYPE,
        &json!({
            "credential": "smtp",
            "from": "noreply@example.com",
            "to": ["a@example.com", "nope", "{{ .input.to }}"],
            "bcc": "{{ .input.bcc }}",
            "subject": "s",
            "text": "t",
            "headers": {"Subject": "x"},
            "attachments": [{"path": "../etc/passwd"}]
        }),
    );
    let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        vec!["/to/1", "/headers/Subject", "/attachments/0/path"],
        "{problems:?}"
    );
    let problems = r.check_config(
        TYPE,
        &json!({"credential": "smtp", "from": "a@example.com", "to": "b@example.com"}),
    );
    let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
    assert!(pointers.contains(&"/subject"), "{problems:?}");
    assert!(
        problems.iter().any(|p| p.message.contains("`text`")),
        "{problems:?}"
    );

    let spec = r.spec(TYPE).unwrap();
    assert!(!r.runs_inline(TYPE));
    assert!(
        weft_nodes::catalog::undescribed(&[spec]).is_empty(),
        "{:?}",
        weft_nodes::catalog::undescribed(&[spec])
    );
    let items = &spec.schema["properties"]["attachments"]["items"]["properties"];
    for (name, prop) in items.as_object().unwrap() {
        assert!(prop["title"].is_string(), "attachments.{name}");
        assert!(prop["description"].is_string(), "attachments.{name}");
    }
}

#[tokio::test]
async fn attachment_paths_stay_inside_the_file_base_directory() {
    let server = SmtpServer::start().await;
    let root = tempfile::tempdir().unwrap();
    let base = root.path().join("files");
    std::fs::create_dir_all(&base).unwrap();
    std::fs::write(root.path().join("secret.txt"), "top secret").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(root.path().join("secret.txt"), base.join("link.txt")).unwrap();
    let r = registry_with_files(&base);
    let cred = json!(smtp_url(server.port()));
    let attach = |path: &str| {
        TestInput::new(config(json!({"attachments": [{"path": path}]})))
            .credential("smtp", cred.clone())
    };

    assert_error(
        run_in(&r, attach("../secret.txt")).await,
        ErrorKind::Config,
        &["/attachments/0/path", "leaves the file base directory"],
    );
    assert_error(
        run_in(
            &r,
            attach(&root.path().join("secret.txt").to_string_lossy()),
        )
        .await,
        ErrorKind::Config,
        &["/attachments/0/path", "absolute"],
    );
    #[cfg(unix)]
    assert_error(
        run_in(&r, attach("link.txt")).await,
        ErrorKind::Config,
        &["/attachments/0/path", "symbolic link"],
    );
    assert_error(
        run_in(&r, attach("missing.txt")).await,
        ErrorKind::Config,
        &["/attachments/0/path", "does not exist"],
    );
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_refused_recipient_is_permanent_and_a_busy_one_transient() {
    let server = SmtpServer::start().await;
    server.reject_recipient("nobody@example.com", 550);
    server.reject_recipient("busy@example.com", 451);
    let cred = json!(smtp_url(server.port()));

    let e = assert_error(
        run(TestInput::new(config(
            json!({"to": ["a@example.com", "nobody@example.com"]}),
        ))
        .credential("smtp", cred.clone()))
        .await,
        ErrorKind::Permanent,
        &["550", "no such user", "127.0.0.1"],
    );
    assert!(!e.message.contains("alice"), "{}", e.message);

    assert_error(
        run(TestInput::new(config(json!({"cc": "busy@example.com"})))
            .credential("smtp", cred.clone()))
        .await,
        ErrorKind::Transient,
        &["451", "try later"],
    );
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_refused_login_is_permanent() {
    let server = SmtpServer::start().await;
    server.reject_auth();
    assert_error(
        run(TestInput::new(config(json!({}))).credential("smtp", json!(smtp_url(server.port()))))
            .await,
        ErrorKind::Permanent,
        &["535"],
    );
}

#[tokio::test]
async fn an_unreachable_server_is_transient_without_the_password() {
    let e = assert_error(
        run(TestInput::new(config(json!({}))).credential("smtp", json!(smtp_url(1)))).await,
        ErrorKind::Transient,
        &["127.0.0.1:1"],
    );
    assert!(!e.message.contains("alice"), "{}", e.message);
}

#[tokio::test]
async fn starttls_is_the_default_and_required() {
    // The test server does not offer STARTTLS: without `tls: none` nothing is sent in clear.
    let server = SmtpServer::start().await;
    let mut cfg = config(json!({}));
    cfg.as_object_mut().unwrap().remove("tls");
    assert_error(
        run(TestInput::new(cfg).credential("smtp", json!(smtp_url(server.port())))).await,
        ErrorKind::Permanent,
        &["STARTTLS"],
    );
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn messages_larger_than_the_limit_are_refused_before_sending() {
    let server = SmtpServer::start().await;
    let files = tempfile::tempdir().unwrap();
    let big = std::fs::File::create(files.path().join("big.bin")).unwrap();
    big.set_len(11 * 1024 * 1024).unwrap();
    let r = registry_with_files(files.path());
    let cred = json!(smtp_url(server.port()));
    assert_error(
        run_in(
            &r,
            TestInput::new(config(json!({"attachments": [{"path": "big.bin"}]})))
                .credential("smtp", cred.clone()),
        )
        .await,
        ErrorKind::Permanent,
        &["/attachments/0/path", "10485760"],
    );
    // 8 MiB of content is under the raw budget but not once base64-encoded.
    let content = STANDARD.encode(vec![7u8; 8 * 1024 * 1024]);
    assert_error(
        run_in(
            &r,
            TestInput::new(config(json!({
                "attachments": [{"filename": "x.bin", "content_base64": content}]
            })))
            .credential("smtp", cred),
        )
        .await,
        ErrorKind::Permanent,
        &["encoded message", "10485760"],
    );
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_retried_activation_sends_the_same_message_id() {
    let server = SmtpServer::start().await;
    let execution = ExecutionId::new();
    let send = |attempt: u32, path: &str| {
        TestInput::new(config(json!({})))
            .execution_id(execution)
            .node_path(path)
            .attempt(attempt)
            .credential("smtp", json!(smtp_url(server.port())))
    };
    let first = run(send(1, "notify")).await.unwrap();
    let retry = run(send(2, "notify")).await.unwrap();
    let other = run(send(1, "each[1]/notify")).await.unwrap();
    assert_eq!(first["message_id"], retry["message_id"]);
    assert_ne!(first["message_id"], other["message_id"]);
    let mails = server.wait_for(3, WAIT).await;
    let ids: Vec<Vec<&str>> = mails
        .iter()
        .map(|m| header_lines(m, "Message-ID"))
        .collect();
    assert_eq!(ids[0], ids[1]);
    assert_ne!(ids[0], ids[2]);
}

fn tls_credential(server: &SmtpServer, extra: Value) -> Value {
    let mut c = json!({"host": "127.0.0.1", "port": server.port(), "username": "bob",
                       "password": PASSWORD, "ca_cert": server.ca_pem()});
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

fn tls_config(tls: &str) -> Value {
    let mut cfg = config(json!({"tls": tls}));
    if tls == "default" {
        cfg.as_object_mut().unwrap().remove("tls");
    }
    cfg
}

#[tokio::test]
async fn starttls_to_a_server_with_a_private_ca() {
    let server = SmtpServer::start_with_tls(SmtpTls::Starttls).await;
    // The default is STARTTLS; the login goes over the encrypted connection.
    let out = run(TestInput::new(tls_config("default")).credential(
        "smtp",
        json!({"url": smtp_url(server.port()), "ca_cert": server.ca_pem()}),
    ))
    .await
    .unwrap();
    assert_eq!(out["accepted"], json!(["a@example.com"]));
    let mails = server.wait_for(1, WAIT).await;
    assert!(mails[0].tls, "sent in clear");
    assert_eq!(mails[0].auth_user.as_deref(), Some("alice@example.com"));
}

#[tokio::test]
async fn implicit_tls_to_a_server_with_a_private_ca() {
    let server = SmtpServer::start_with_tls(SmtpTls::Implicit).await;
    run(TestInput::new(tls_config("tls")).credential("smtp", tls_credential(&server, json!({}))))
        .await
        .unwrap();
    let mails = server.wait_for(1, WAIT).await;
    assert!(mails[0].tls);
    assert_eq!(mails[0].auth_user.as_deref(), Some("bob"));
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_before_anything_is_sent() {
    for mode in [SmtpTls::Starttls, SmtpTls::Implicit] {
        let server = SmtpServer::start_with_tls(mode).await;
        let tls = if mode == SmtpTls::Implicit {
            "tls"
        } else {
            "starttls"
        };
        // No `ca_cert`: the platform's roots do not know the test CA.
        let credential = tls_credential(&server, json!({"ca_cert": null}));
        assert_error(
            run(TestInput::new(tls_config(tls)).credential("smtp", credential)).await,
            ErrorKind::Permanent,
            &["TLS", "127.0.0.1", "certificate"],
        );
        // Nor does a CA that did not issue the server's certificate.
        let other = SmtpServer::start_with_tls(mode).await;
        let credential = tls_credential(&server, json!({"ca_cert": other.ca_pem()}));
        assert_error(
            run(TestInput::new(tls_config(tls)).credential("smtp", credential)).await,
            ErrorKind::Permanent,
            &["TLS"],
        );
        assert!(server.messages().is_empty(), "{mode:?}");
    }
}

#[tokio::test]
async fn a_ca_cert_that_is_not_pem_is_a_config_error() {
    let server = SmtpServer::start_with_tls(SmtpTls::Starttls).await;
    let credential = tls_credential(&server, json!({"ca_cert": "not a certificate"}));
    let e = assert_error(
        run(TestInput::new(tls_config("starttls")).credential("smtp", credential)).await,
        ErrorKind::Config,
        &["/credential", "ca_cert"],
    );
    assert!(!e.message.contains("not a certificate"), "{}", e.message);
}
