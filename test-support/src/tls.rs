//! Certificates for tests of TLS clients: a CA made per test and a certificate it issued for
//! `localhost` and `127.0.0.1`, as PEM (for servers started as processes, see
//! [`TlsServerProcess`]) and as a rustls server configuration (for servers in the test).
//!
//! [`TlsServerProcess`] runs a real server binary (redis-server, mosquitto, nats-server) with TLS
//! on a free port, with the files in its own temporary directory; it is killed when dropped.

use std::net::TcpListener as StdListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A test CA and a server certificate it issued.
pub struct TestCa {
    /// The CA's certificate: what a client must trust.
    pub ca_pem: String,
    /// The server's certificate and key.
    pub cert_pem: String,
    pub key_pem: String,
    cert_der: Vec<u8>,
    key_der: Vec<u8>,
}

impl TestCa {
    pub fn new() -> TestCa {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "weft-test-support CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
        let key = KeyPair::generate().expect("server key");
        let mut leaf =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .expect("server params");
        leaf.distinguished_name
            .push(DnType::CommonName, "localhost");
        let cert = leaf
            .signed_by(&key, &ca_cert, &ca_key)
            .expect("server certificate");
        TestCa {
            ca_pem: ca_cert.pem(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            cert_der: cert.der().to_vec(),
            key_der: key.serialize_der(),
        }
    }

    /// A rustls server configuration presenting the server certificate.
    pub fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![self.cert_der.clone().into()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(self.key_der.clone().into()),
            )
            .expect("server TLS configuration");
        Arc::new(config)
    }

    /// Writes `ca.pem`, `cert.pem` and `key.pem` into `dir`.
    fn write_to(&self, dir: &Path) {
        for (name, pem) in [
            ("ca.pem", &self.ca_pem),
            ("cert.pem", &self.cert_pem),
            ("key.pem", &self.key_pem),
        ] {
            std::fs::write(dir.join(name), pem).expect("write a PEM file");
        }
    }
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}

/// A server binary listening with TLS on 127.0.0.1; killed when dropped.
pub struct TlsServerProcess {
    pub port: u16,
    pub ca: TestCa,
    child: Child,
    _dir: tempfile::TempDir,
}

impl TlsServerProcess {
    /// `redis-server` with TLS only (no plain port), no persistence.
    pub fn redis() -> TlsServerProcess {
        Self::spawn(|dir, port| {
            let mut c = Command::new("redis-server");
            c.args(["--port", "0", "--tls-port", &port.to_string()])
                .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                .args(["--tls-auth-clients", "no"])
                .arg("--tls-cert-file")
                .arg(dir.join("cert.pem"))
                .arg("--tls-key-file")
                .arg(dir.join("key.pem"))
                .arg("--tls-ca-cert-file")
                .arg(dir.join("ca.pem"))
                .arg("--dir")
                .arg(dir);
            c
        })
    }

    /// `mosquitto` with one TLS listener, anonymous clients allowed.
    pub fn mosquitto() -> TlsServerProcess {
        Self::spawn(|dir, port| {
            let conf = dir.join("mosquitto.conf");
            let text = format!(
                "per_listener_settings false\nallow_anonymous true\n\
                 listener {port} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\n",
                dir.join("ca.pem").display(),
                dir.join("cert.pem").display(),
                dir.join("key.pem").display()
            );
            std::fs::write(&conf, text).expect("write mosquitto.conf");
            let mut c = Command::new("mosquitto");
            c.arg("-c").arg(conf);
            c
        })
    }

    /// `nats-server` requiring TLS from its clients.
    pub fn nats() -> TlsServerProcess {
        Self::spawn(|dir, port| {
            let mut c = Command::new("nats-server");
            c.args(["-a", "127.0.0.1", "-p", &port.to_string(), "--tls"])
                .arg("--tlscert")
                .arg(dir.join("cert.pem"))
                .arg("--tlskey")
                .arg(dir.join("key.pem"));
            c
        })
    }

    fn spawn(command: impl FnOnce(&Path, u16) -> Command) -> TlsServerProcess {
        let dir = tempfile::tempdir().expect("temporary directory");
        let ca = TestCa::new();
        ca.write_to(dir.path());
        let port = StdListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut cmd = command(dir.path(), port);
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", cmd.get_program()));
        let mut server = TlsServerProcess {
            port,
            ca,
            child,
            _dir: dir,
        };
        server.wait_until_listening();
        server
    }

    /// Polls the port (with a deadline) until the server accepts connections.
    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the TLS test server exited: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "the TLS test server did not listen on {} within 20 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for TlsServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
