//! A minimal SMTP server on 127.0.0.1 for testing mail-sending code, enough ESMTP for lettre —
//! greeting, EHLO/HELO (advertising `AUTH PLAIN LOGIN`, `8BITMIME`, `SIZE`, and `STARTTLS`
//! when it can), AUTH PLAIN and AUTH LOGIN, MAIL FROM, RCPT TO, DATA (with dot-unstuffing),
//! RSET, NOOP, QUIT. Plain TCP by default; [`SmtpServer::start_with_tls`] offers STARTTLS or
//! speaks TLS from the first byte, with a certificate for `localhost` and `127.0.0.1` issued by
//! a test CA made for the server ([`SmtpServer::ca_pem`]).
//!
//! Every message it accepts is recorded as a [`ReceivedMail`]: the envelope (`from`, `to`),
//! the raw message and the user name it authenticated as. Tests can make it refuse logins
//! ([`SmtpServer::reject_auth`], 535) or given recipients ([`SmtpServer::reject_recipient`],
//! e.g. 550 for a permanent and 451 for a transient failure).
//!
//! ```no_run
//! # async fn demo() {
//! use std::time::Duration;
//! let server = weft_test_support::smtp::SmtpServer::start().await;
//! // … send a message to 127.0.0.1:{server.port()} …
//! let mails = server.wait_for(1, Duration::from_secs(10)).await;
//! assert!(mails[0].data.contains("Subject:"));
//! # }
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// The largest message the server takes (advertised with `SIZE`).
pub const MAX_MESSAGE_BYTES: usize = 50 * 1024 * 1024;

/// One accepted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The envelope sender (`MAIL FROM`), without the angle brackets.
    pub from: String,
    /// The envelope recipients (`RCPT TO`) that were accepted, in order.
    pub to: Vec<String>,
    /// The message as received, dot-unstuffed, lines ending in CRLF, without the final `.`.
    pub data: String,
    /// The user name of a successful AUTH on this connection, if any.
    pub auth_user: Option<String>,
    /// Whether the message came over TLS (STARTTLS or implicit).
    pub tls: bool,
}

/// How a server started with [`SmtpServer::start_with_tls`] speaks TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain at first, offering STARTTLS.
    Starttls,
    /// TLS from the first byte (port 465 style).
    Implicit,
}

/// A test CA and a server configuration with a certificate it issued.
struct TestTls {
    ca_pem: String,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl TestTls {
    fn new() -> TestTls {
        let ca = crate::tls::TestCa::new();
        TestTls {
            acceptor: tokio_rustls::TlsAcceptor::from(ca.server_config()),
            ca_pem: ca.ca_pem,
        }
    }
}

#[derive(Debug, Default)]
struct Behaviour {
    reject_auth: bool,
    /// Lower-cased address → (code, text) answered to its `RCPT TO`.
    rcpt_replies: HashMap<String, (u16, String)>,
}

#[derive(Default)]
struct Shared {
    mails: Mutex<Vec<ReceivedMail>>,
    behaviour: Mutex<Behaviour>,
    received: Notify,
    tls: Option<(SmtpTls, TestTls)>,
}

/// Stops the accept loop when the server is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A running test SMTP server; stops accepting connections when dropped.
pub struct SmtpServer {
    port: u16,
    shared: Arc<Shared>,
    _task: AbortOnDrop,
}

impl SmtpServer {
    /// Starts a server on 127.0.0.1 on a free port that accepts every login and recipient.
    pub async fn start() -> SmtpServer {
        Self::serve(Shared::default()).await
    }

    /// Like [`start`](Self::start), speaking TLS as `mode` says with a certificate from a CA
    /// made for this server ([`ca_pem`](Self::ca_pem)).
    pub async fn start_with_tls(mode: SmtpTls) -> SmtpServer {
        Self::serve(Shared {
            tls: Some((mode, TestTls::new())),
            ..Shared::default()
        })
        .await
    }

    /// The PEM certificate of the CA that issued the server's certificate (TLS servers only).
    pub fn ca_pem(&self) -> &str {
        &self.shared.tls.as_ref().expect("a TLS server").1.ca_pem
    }

    async fn serve(shared: Shared) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local address").port();
        let shared = Arc::new(shared);
        let s = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = Arc::clone(&s);
                tokio::spawn(async move {
                    let _ = session(stream, s).await;
                });
            }
        });
        SmtpServer {
            port,
            shared,
            _task: AbortOnDrop(task),
        }
    }

    /// The port it listens on (on 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// From now on, answer AUTH with `535 5.7.8 Authentication credentials invalid`.
    pub fn reject_auth(&self) {
        self.shared.behaviour.lock().unwrap().reject_auth = true;
    }

    /// From now on, answer `RCPT TO:<address>` with `code` (e.g. 550 or 451) and a short
    /// text (address compared case-insensitively).
    pub fn reject_recipient(&self, address: &str, code: u16) {
        let text = match code {
            400..=499 => format!("4.2.1 <{address}>: mailbox temporarily unavailable, try later"),
            _ => format!("5.1.1 <{address}>: recipient address rejected: no such user"),
        };
        self.shared
            .behaviour
            .lock()
            .unwrap()
            .rcpt_replies
            .insert(address.to_ascii_lowercase(), (code, text));
    }

    /// Every message accepted so far.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.shared.mails.lock().unwrap().clone()
    }

    /// Waits until at least `n` messages were accepted and returns them all; fails the test
    /// after `timeout`. Woken by each accepted message (no fixed sleeps).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = Instant::now() + timeout;
        loop {
            let notified = self.shared.received.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mails = self.shared.mails.lock().unwrap();
                if mails.len() >= n {
                    return mails.clone();
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || tokio::time::timeout(left, notified).await.is_err() {
                let got = self.shared.mails.lock().unwrap().len();
                panic!("timed out after {timeout:?} waiting for {n} SMTP message(s); got {got}");
            }
        }
    }
}

/// The address inside `<…>` of a `MAIL FROM:` / `RCPT TO:` argument.
fn address_of(arg: &str) -> Option<String> {
    let start = arg.find('<')?;
    let end = arg[start..].find('>')? + start;
    Some(arg[start + 1..end].to_string())
}

fn b64(s: &str) -> Option<String> {
    let bytes = STANDARD.decode(s.trim()).ok()?;
    String::from_utf8(bytes).ok()
}

/// The user name in an AUTH PLAIN response (`authzid\0authcid\0password`).
fn plain_user(s: &str) -> Option<String> {
    let decoded = b64(s)?;
    decoded.split('\0').nth(1).map(str::to_string)
}

/// A connection, plain or TLS.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

struct Conn {
    stream: BufReader<Box<dyn Io>>,
    tls: bool,
}

impl Conn {
    fn new(stream: Box<dyn Io>, tls: bool) -> Conn {
        Conn {
            stream: BufReader::new(stream),
            tls,
        }
    }

    async fn reply(&mut self, line: &str) -> std::io::Result<()> {
        let w = self.stream.get_mut();
        w.write_all(line.as_bytes()).await?;
        w.write_all(b"\r\n").await?;
        w.flush().await
    }

    /// One line without its line ending; `None` at end of stream.
    async fn line(&mut self) -> std::io::Result<Option<String>> {
        let mut buf = Vec::new();
        let n = self.stream.read_until(b'\n', &mut buf).await?;
        if n == 0 {
            return Ok(None);
        }
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
    }
}

async fn session(stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let mut c = match &shared.tls {
        Some((SmtpTls::Implicit, tls)) => {
            Conn::new(Box::new(tls.acceptor.accept(stream).await?), true)
        }
        _ => Conn::new(Box::new(stream), false),
    };
    let offers_starttls = matches!(shared.tls, Some((SmtpTls::Starttls, _)));
    c.reply("220 localhost ESMTP weft-test-support").await?;
    let mut auth_user: Option<String> = None;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    while let Some(line) = c.line().await? {
        let (verb, arg) = match line.split_once(' ') {
            Some((v, a)) => (v.to_ascii_uppercase(), a.trim().to_string()),
            None => (line.trim().to_ascii_uppercase(), String::new()),
        };
        match verb.as_str() {
            "EHLO" => {
                c.reply("250-localhost greets you").await?;
                if offers_starttls && !c.tls {
                    c.reply("250-STARTTLS").await?;
                }
                c.reply("250-AUTH PLAIN LOGIN").await?;
                c.reply("250-8BITMIME").await?;
                c.reply(&format!("250 SIZE {MAX_MESSAGE_BYTES}")).await?;
            }
            "HELO" => c.reply("250 localhost").await?,
            "STARTTLS" if offers_starttls && !c.tls => {
                c.reply("220 2.0.0 Ready to start TLS").await?;
                // The client starts the handshake only after the 220: nothing is buffered.
                let plain =
                    std::mem::replace(&mut c, Conn::new(Box::new(tokio::io::duplex(1).0), false));
                let Some((_, tls)) = &shared.tls else {
                    unreachable!()
                };
                let upgraded = tls.acceptor.accept(plain.stream.into_inner()).await?;
                c = Conn::new(Box::new(upgraded), true);
                // RFC 3207: forget everything said before the handshake.
                auth_user = None;
                from = None;
                to.clear();
            }
            "AUTH" => {
                let mut parts = arg.split_whitespace();
                let mechanism = parts.next().unwrap_or("").to_ascii_uppercase();
                let initial = parts.next().map(str::to_string);
                let user = match mechanism.as_str() {
                    "PLAIN" => {
                        let response = match initial {
                            Some(r) => r,
                            None => {
                                c.reply("334 ").await?;
                                c.line().await?.unwrap_or_default()
                            }
                        };
                        plain_user(&response)
                    }
                    "LOGIN" => {
                        let user = match initial {
                            Some(u) => b64(&u),
                            None => {
                                c.reply("334 VXNlcm5hbWU6").await?;
                                b64(&c.line().await?.unwrap_or_default())
                            }
                        };
                        c.reply("334 UGFzc3dvcmQ6").await?;
                        let _password = c.line().await?;
                        user
                    }
                    _ => {
                        c.reply("504 5.5.4 Unrecognized authentication type")
                            .await?;
                        continue;
                    }
                };
                let reject = shared.behaviour.lock().unwrap().reject_auth;
                match user {
                    Some(u) if !reject => {
                        auth_user = Some(u);
                        c.reply("235 2.7.0 Authentication successful").await?;
                    }
                    Some(_) => {
                        c.reply("535 5.7.8 Authentication credentials invalid")
                            .await?;
                    }
                    None => c.reply("501 5.5.2 Cannot decode response").await?,
                }
            }
            "MAIL" => match address_of(&arg) {
                Some(a) if arg.to_ascii_uppercase().starts_with("FROM:") => {
                    from = Some(a);
                    to.clear();
                    c.reply("250 2.1.0 Ok").await?;
                }
                _ => c.reply("501 5.5.4 Syntax: MAIL FROM:<address>").await?,
            },
            "RCPT" => match address_of(&arg) {
                Some(_) if from.is_none() => c.reply("503 5.5.1 Need MAIL first").await?,
                Some(a) if arg.to_ascii_uppercase().starts_with("TO:") => {
                    let rejected = shared
                        .behaviour
                        .lock()
                        .unwrap()
                        .rcpt_replies
                        .get(&a.to_ascii_lowercase())
                        .cloned();
                    match rejected {
                        Some((code, text)) => c.reply(&format!("{code} {text}")).await?,
                        None => {
                            to.push(a);
                            c.reply("250 2.1.5 Ok").await?;
                        }
                    }
                }
                _ => c.reply("501 5.5.4 Syntax: RCPT TO:<address>").await?,
            },
            "DATA" => {
                if from.is_none() || to.is_empty() {
                    c.reply("503 5.5.1 Need MAIL and RCPT first").await?;
                    continue;
                }
                c.reply("354 End data with <CR><LF>.<CR><LF>").await?;
                let mut data = String::new();
                let mut too_big = false;
                loop {
                    let Some(line) = c.line().await? else {
                        return Ok(());
                    };
                    if line == "." {
                        break;
                    }
                    let line = line.strip_prefix('.').unwrap_or(&line);
                    if data.len() + line.len() + 2 > MAX_MESSAGE_BYTES {
                        too_big = true;
                    } else {
                        data.push_str(line);
                        data.push_str("\r\n");
                    }
                }
                if too_big {
                    c.reply("552 5.3.4 Message size exceeds fixed limit")
                        .await?;
                } else {
                    let mail = ReceivedMail {
                        from: from.take().unwrap_or_default(),
                        to: std::mem::take(&mut to),
                        data,
                        auth_user: auth_user.clone(),
                        tls: c.tls,
                    };
                    shared.mails.lock().unwrap().push(mail);
                    shared.received.notify_waiters();
                    c.reply("250 2.0.0 Ok: queued as TEST").await?;
                }
                from = None;
                to.clear();
            }
            "RSET" => {
                from = None;
                to.clear();
                c.reply("250 2.0.0 Ok").await?;
            }
            "NOOP" => c.reply("250 2.0.0 Ok").await?,
            "QUIT" => {
                c.reply("221 2.0.0 Bye").await?;
                return Ok(());
            }
            _ => c.reply("502 5.5.2 Command not recognized").await?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_addresses_and_auth_responses_parse() {
        assert_eq!(
            address_of("FROM:<a@b.c> BODY=8BITMIME").as_deref(),
            Some("a@b.c")
        );
        assert_eq!(address_of("TO:<>").as_deref(), Some(""));
        assert_eq!(address_of("TO:x"), None);
        let plain = STANDARD.encode("\0alice\0secret");
        assert_eq!(plain_user(&plain).as_deref(), Some("alice"));
    }

    #[tokio::test]
    async fn a_raw_session_is_recorded() {
        let server = SmtpServer::start().await;
        server.reject_recipient("nobody@example.com", 550);
        let stream = TcpStream::connect(("127.0.0.1", server.port()))
            .await
            .unwrap();
        let mut c = Conn::new(Box::new(stream), false);
        let expect = async |c: &mut Conn, cmd: Option<&str>, code: &str| {
            if let Some(cmd) = cmd {
                c.reply(cmd).await.unwrap();
            }
            loop {
                let line = c.line().await.unwrap().unwrap();
                assert!(line.starts_with(code), "{cmd:?}: {line}");
                if line.as_bytes().get(3) != Some(&b'-') {
                    break;
                }
            }
        };
        expect(&mut c, None, "220").await;
        expect(&mut c, Some("EHLO me"), "250").await;
        let login = STANDARD.encode("\0bob\0pw");
        expect(&mut c, Some(&format!("AUTH PLAIN {login}")), "235").await;
        expect(&mut c, Some("MAIL FROM:<a@example.com>"), "250").await;
        expect(&mut c, Some("RCPT TO:<nobody@example.com>"), "550").await;
        expect(&mut c, Some("RCPT TO:<b@example.com>"), "250").await;
        expect(&mut c, Some("DATA"), "354").await;
        expect(&mut c, Some("Subject: hi\r\n\r\n..dotted\r\n."), "250").await;
        expect(&mut c, Some("QUIT"), "221").await;
        let mails = server.wait_for(1, Duration::from_secs(5)).await;
        assert_eq!(
            mails,
            vec![ReceivedMail {
                from: "a@example.com".to_string(),
                to: vec!["b@example.com".to_string()],
                data: "Subject: hi\r\n\r\n.dotted\r\n".to_string(),
                auth_user: Some("bob".to_string()),
                tls: false,
            }]
        );
    }
}
