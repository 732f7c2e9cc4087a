//! The address guard of the HTTP node: server-side request forgery protection.
//!
//! A workflow author controls the URL an `http.request` node fetches, and the engine runs
//! inside the operator's network, next to databases, admin consoles and the cloud metadata
//! service. So by default the node only talks to public addresses: loopback, private, shared
//! (CGNAT), link-local (the 169.254.169.254 metadata service included), unspecified,
//! multicast, broadcast, documentation and reserved ranges are refused, in IPv4, IPv6 and in
//! the IPv6 forms that embed an IPv4 address (`::ffff:127.0.0.1`). The operator opens holes
//! with `WEFT_HTTP_ALLOW` ([`AllowList`]).
//!
//! The check has to hold for the address the connection actually uses, not for the one a
//! first lookup returned, or a DNS answer that changes between check and connect (DNS
//! rebinding) walks around it. So it sits in three places:
//! - [`GuardedResolver`] is the HTTP client's only resolver: it resolves a host name and
//!   fails if any address it got is forbidden; the client connects to exactly those addresses.
//! - URLs whose host is an IP literal never reach a resolver: the node checks them with
//!   [`Guard::check_url`] before sending.
//! - Every redirect hop goes through [`Guard::check_redirect`] (IP literals and forbidden
//!   names; host names are then resolved by the guarded resolver again).
//!
//! The client must not use a proxy either (a proxy resolves and connects on our behalf); the
//! node builds it with `no_proxy()`.

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use url::{Host, Url};

/// The environment variable operators set to allow otherwise forbidden targets.
pub const ALLOW_ENV: &str = "WEFT_HTTP_ALLOW";

/// Most redirects followed for one request.
pub const MAX_REDIRECTS: usize = 10;

/// Host names refused even before they are resolved (they name the machine itself or a cloud
/// metadata service). `*.localhost` is refused too.
const FORBIDDEN_NAMES: &[(&str, AddressClass)] = &[
    ("localhost", AddressClass::Loopback),
    ("localhost.localdomain", AddressClass::Loopback),
    ("metadata.google.internal", AddressClass::LinkLocal),
];

/// Why an address is not a public one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressClass {
    Loopback,
    Private,
    /// 100.64.0.0/10, carrier-grade NAT.
    SharedAddressSpace,
    /// 169.254.0.0/16 and fe80::/10, where cloud metadata services live.
    LinkLocal,
    Unspecified,
    Multicast,
    Broadcast,
    Documentation,
    /// Reserved, benchmarking, IETF protocol assignments and other non-routable ranges.
    Reserved,
}

impl AddressClass {
    pub fn as_str(self) -> &'static str {
        match self {
            AddressClass::Loopback => "loopback",
            AddressClass::Private => "private",
            AddressClass::SharedAddressSpace => "shared (carrier-grade NAT)",
            AddressClass::LinkLocal => "link-local",
            AddressClass::Unspecified => "unspecified",
            AddressClass::Multicast => "multicast",
            AddressClass::Broadcast => "broadcast",
            AddressClass::Documentation => "documentation",
            AddressClass::Reserved => "reserved",
        }
    }
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The class of a forbidden address, `None` for a public one.
pub fn classify(ip: IpAddr) -> Option<AddressClass> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<AddressClass> {
    use AddressClass::*;
    let [a, b, c, _] = ip.octets();
    let class = match (a, b, c) {
        _ if ip.is_unspecified() => Unspecified,
        _ if ip.is_broadcast() => Broadcast,
        (0, _, _) => Reserved, // "this network"
        (10, _, _) => Private,
        (100, 64..=127, _) => SharedAddressSpace,
        (127, _, _) => Loopback,
        (169, 254, _) => LinkLocal,
        (172, 16..=31, _) => Private,
        (192, 0, 0) => Reserved, // IETF protocol assignments
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => Documentation,
        (192, 88, 99) => Reserved, // deprecated 6to4 relay anycast
        (192, 168, _) => Private,
        (198, 18..=19, _) => Reserved, // benchmarking
        (224..=239, _, _) => Multicast,
        (240..=255, _, _) => Reserved,
        _ => return None,
    };
    Some(class)
}

fn classify_v6(ip: Ipv6Addr) -> Option<AddressClass> {
    use AddressClass::*;
    let s = ip.segments();
    // Forms that carry an IPv4 address reach that address: judge them by it.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    if ip.is_unspecified() {
        return Some(Unspecified);
    }
    if ip.is_loopback() {
        return Some(Loopback);
    }
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from(((hi as u32) << 16) | lo as u32);
    if s[..6] == [0; 6] {
        // Deprecated IPv4-compatible form (::a.b.c.d): never legitimately routed.
        return Some(classify_v4(embedded(s[6], s[7])).unwrap_or(Reserved));
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        // NAT64 well-known prefix: the gateway connects to the embedded IPv4 address.
        return classify_v4(embedded(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        // 6to4: the embedded IPv4 address is the tunnel end point.
        return classify_v4(embedded(s[1], s[2]));
    }
    let class = match s[0] {
        0xfe80..=0xfebf => LinkLocal,
        0xfec0..=0xfeff => Private, // deprecated site-local
        0xfc00..=0xfdff => Private, // unique local
        0xff00..=0xffff => Multicast,
        0x2001 if s[1] == 0x0db8 => Documentation,
        0x3fff if s[1] <= 0x0fff => Documentation, // 3fff::/20
        0x0100 if s[1..4] == [0, 0, 0] => Reserved, // discard-only 100::/64
        _ => return None,
    };
    Some(class)
}

/// Lower-cases a host name and drops the trailing dot of a fully qualified name, so
/// `LOCALHOST.` and `localhost` compare equal.
pub fn normalize_host(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// Whether a (normalized) host name is refused by name, and why.
fn forbidden_name(host: &str) -> Option<AddressClass> {
    if host.ends_with(".localhost") {
        return Some(AddressClass::Loopback);
    }
    FORBIDDEN_NAMES
        .iter()
        .find(|(n, _)| *n == host)
        .map(|(_, c)| *c)
}

/// An invalid `WEFT_HTTP_ALLOW` entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid allow-list entry `{entry}`: {reason} (expected a CIDR such as 10.0.0.0/8, an IP \
     address such as 127.0.0.1, or a host name such as api.internal or *.internal)"
)]
pub struct AllowListError {
    pub entry: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Exact(String),
    /// `*.example.com`: any name below `example.com`, not `example.com` itself.
    Subdomains(String),
}

impl HostPattern {
    fn matches(&self, host: &str) -> bool {
        match self {
            HostPattern::Exact(h) => h == host,
            HostPattern::Subdomains(suffix) => host
                .strip_suffix(suffix.as_str())
                .is_some_and(|rest| rest.len() > 1 && rest.ends_with('.')),
        }
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostPattern::Exact(h) => f.write_str(h),
            HostPattern::Subdomains(s) => write!(f, "*.{s}"),
        }
    }
}

/// Targets the operator allows although they are not public: networks (CIDR or single
/// addresses) and host names. Parsed from `WEFT_HTTP_ALLOW`, e.g.
/// `127.0.0.1, 10.0.0.0/8, api.internal, *.svc.cluster.local`.
///
/// An allowed host name is trusted whatever it resolves to; an allowed network lets any
/// host that resolves into it through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    nets: Vec<IpNet>,
    hosts: Vec<HostPattern>,
}

impl AllowList {
    /// An empty list: only public targets.
    pub fn none() -> Self {
        Self::default()
    }

    /// Parses a comma-separated list; empty entries are ignored.
    pub fn parse(list: &str) -> Result<Self, AllowListError> {
        let mut allow = AllowList::default();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            allow.push(entry)?;
        }
        Ok(allow)
    }

    fn push(&mut self, entry: &str) -> Result<(), AllowListError> {
        let err = |reason: &str| AllowListError {
            entry: entry.to_string(),
            reason: reason.into(),
        };
        if entry.contains('/') {
            let net = IpNet::from_str(entry).map_err(|e| err(&e.to_string()))?;
            self.nets.push(net.trunc());
            return Ok(());
        }
        let bare = entry
            .strip_prefix('[')
            .and_then(|e| e.strip_suffix(']'))
            .unwrap_or(entry);
        if let Ok(ip) = IpAddr::from_str(bare) {
            self.nets.push(IpNet::from(ip));
            return Ok(());
        }
        let host = normalize_host(entry);
        let (pattern, name) = match host.strip_prefix("*.") {
            Some(rest) => (HostPattern::Subdomains(rest.to_string()), rest),
            None => (HostPattern::Exact(host.clone()), host.as_str()),
        };
        validate_host_name(name).map_err(err)?;
        self.hosts.push(pattern);
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.nets.is_empty() && self.hosts.is_empty()
    }

    /// Whether `ip` (or the IPv4 address an IPv4-mapped IPv6 address stands for) is in an
    /// allowed network.
    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        let canonical = ip.to_canonical();
        self.nets
            .iter()
            .any(|n| n.contains(&ip) || n.contains(&canonical))
    }

    /// Whether a host name is allowed by name.
    pub fn allows_host(&self, host: &str) -> bool {
        let host = normalize_host(host);
        self.hosts.iter().any(|p| p.matches(&host))
    }
}

fn validate_host_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name.len() > 253 {
        return Err("a host name has 1 to 253 characters");
    }
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err("each part of a host name has 1 to 63 characters");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err("a host name holds only letters, digits, `-`, `_` and dots");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a part of a host name cannot start or end with `-`");
        }
    }
    Ok(())
}

impl FromStr for AllowList {
    type Err = AllowListError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for AllowList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nets = self.nets.iter().map(ToString::to_string);
        let hosts = self.hosts.iter().map(ToString::to_string);
        let all: Vec<String> = nets.chain(hosts).collect();
        f.write_str(&all.join(","))
    }
}

/// Why the guard refused a target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "refused to connect to {}: it is a {class} address; private, loopback and link-local \
         targets are blocked unless the operator allows them in {ALLOW_ENV}",
        host_and_ip(.host, .ip)
    )]
    Address {
        host: String,
        ip: IpAddr,
        class: AddressClass,
    },
    #[error(
        "refused to connect to {host}: it names a {class} address; private, loopback and \
         link-local targets are blocked unless the operator allows them in {ALLOW_ENV}"
    )]
    HostName { host: String, class: AddressClass },
    #[error("unsupported URL scheme `{0}`: only http and https are allowed")]
    Scheme(String),
    #[error("the URL has no host")]
    NoHost,
    #[error("stopped after {MAX_REDIRECTS} redirects")]
    TooManyRedirects,
}

/// `10.0.0.7` for a literal, `db.example (10.0.0.7)` for a name.
fn host_and_ip(host: &str, ip: &IpAddr) -> String {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<IpAddr>().is_ok_and(|h| h == *ip) {
        ip.to_string()
    } else {
        format!("{host} ({ip})")
    }
}

/// Decides which targets the HTTP node may reach.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    allow: AllowList,
}

impl Guard {
    pub fn new(allow: AllowList) -> Self {
        Self { allow }
    }

    pub fn allow_list(&self) -> &AllowList {
        &self.allow
    }

    /// Checks one address that `host` stands for (or is).
    pub fn check_ip(&self, host: &str, ip: IpAddr) -> Result<(), Refusal> {
        match classify(ip) {
            Some(class) if !self.allow.allows_ip(ip) => Err(Refusal::Address {
                host: host.to_string(),
                ip,
                class,
            }),
            _ => Ok(()),
        }
    }

    /// Checks a host name before it is resolved: names of the machine itself and of metadata
    /// services are refused unless allowed by name.
    pub fn check_host_name(&self, host: &str) -> Result<(), Refusal> {
        let host = normalize_host(host);
        match forbidden_name(&host) {
            Some(class) if !self.allow.allows_host(&host) => Err(Refusal::HostName { host, class }),
            _ => Ok(()),
        }
    }

    /// Checks what a host name resolved to: every address must be allowed, or the name
    /// itself must be.
    pub fn check_resolved(
        &self,
        host: &str,
        addrs: impl IntoIterator<Item = IpAddr>,
    ) -> Result<(), Refusal> {
        if self.allow.allows_host(host) {
            return Ok(());
        }
        addrs.into_iter().try_for_each(|ip| self.check_ip(host, ip))
    }

    /// Checks a URL before a request is sent: scheme, and the host when it is an IP literal
    /// (which no resolver sees) or a forbidden name.
    pub fn check_url(&self, url: &Url) -> Result<(), Refusal> {
        match url.scheme() {
            "http" | "https" => {}
            other => return Err(Refusal::Scheme(other.to_string())),
        }
        match url.host() {
            None => Err(Refusal::NoHost),
            Some(Host::Domain(d)) => self.check_host_name(d),
            Some(Host::Ipv4(ip)) => self.check_ip(&ip.to_string(), IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => self.check_ip(&ip.to_string(), IpAddr::V6(ip)),
        }
    }

    /// Checks a redirect hop to `url` after `previous` hops.
    pub fn check_redirect(&self, url: &Url, previous: usize) -> Result<(), Refusal> {
        if previous >= MAX_REDIRECTS {
            return Err(Refusal::TooManyRedirects);
        }
        self.check_url(url)
    }

    /// The redirect policy for the HTTP client: every hop checked, at most
    /// [`MAX_REDIRECTS`].
    pub fn redirect_policy(self: &Arc<Self>) -> reqwest::redirect::Policy {
        let guard = Arc::clone(self);
        reqwest::redirect::Policy::custom(move |attempt| {
            match guard.check_redirect(attempt.url(), attempt.previous().len()) {
                Ok(()) => attempt.follow(),
                Err(refusal) => {
                    tracing::info!(url = %redact(attempt.url()), %refusal, "redirect refused");
                    attempt.error(refusal)
                }
            }
        })
    }
}

/// A URL without user info and query, for logs and messages (those may carry secrets).
pub fn redact(url: &Url) -> String {
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!(
        "{}://{}{port}{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.path()
    )
}

/// How a [`GuardedResolver`] turns a name into addresses.
#[derive(Clone)]
enum Lookup {
    /// The operating system's resolver.
    System,
    /// A fixed table, so tests can point a name at loopback without touching DNS.
    #[cfg(test)]
    Static(Arc<std::collections::HashMap<String, Vec<IpAddr>>>),
}

impl Lookup {
    async fn lookup(&self, host: &str) -> std::io::Result<Vec<SocketAddr>> {
        match self {
            // Port 0: reqwest puts in the URL's port (or the scheme's default).
            Lookup::System => Ok(tokio::net::lookup_host((host, 0)).await?.collect()),
            #[cfg(test)]
            Lookup::Static(table) => Ok(table
                .get(host)
                .map(|ips| ips.iter().map(|ip| SocketAddr::new(*ip, 0)).collect())
                .unwrap_or_default()),
        }
    }
}

/// The HTTP client's DNS resolver: resolves, then refuses the whole name if any of its
/// addresses is forbidden. The client connects only to addresses this returned, so what was
/// checked is what is used.
#[derive(Clone)]
pub struct GuardedResolver {
    guard: Arc<Guard>,
    lookup: Lookup,
}

impl GuardedResolver {
    pub fn new(guard: Arc<Guard>) -> Self {
        Self {
            guard,
            lookup: Lookup::System,
        }
    }

    #[cfg(test)]
    pub(crate) fn with_table(guard: Arc<Guard>, table: &[(&str, IpAddr)]) -> Self {
        let mut map = std::collections::HashMap::<String, Vec<IpAddr>>::new();
        for (name, ip) in table {
            map.entry(name.to_string()).or_default().push(*ip);
        }
        Self {
            guard,
            lookup: Lookup::Static(Arc::new(map)),
        }
    }

    async fn resolve_checked(&self, host: String) -> Result<Vec<SocketAddr>, ResolveError> {
        self.guard.check_host_name(&host)?;
        let addrs = self
            .lookup
            .lookup(&host)
            .await
            .map_err(ResolveError::Lookup)?;
        if addrs.is_empty() {
            return Err(ResolveError::NoAddresses(host));
        }
        self.guard
            .check_resolved(&host, addrs.iter().map(SocketAddr::ip))?;
        Ok(addrs)
    }
}

#[derive(Debug, thiserror::Error)]
enum ResolveError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("DNS lookup failed: {0}")]
    Lookup(std::io::Error),
    #[error("DNS lookup of {0} returned no addresses")]
    NoAddresses(String),
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let this = self.clone();
        let host = normalize_host(name.as_str());
        Box::pin(async move {
            match this.resolve_checked(host).await {
                Ok(addrs) => Ok(Box::new(addrs.into_iter()) as Addrs),
                // Hand the refusal itself up, so the node can find it in the error chain and
                // report it as a permanent failure rather than a network hiccup.
                Err(ResolveError::Refused(refusal)) => {
                    tracing::info!(%refusal, "connection refused by the address guard");
                    Err(Box::new(refusal) as Box<dyn std::error::Error + Send + Sync>)
                }
                Err(other) => Err(Box::new(other) as Box<dyn std::error::Error + Send + Sync>),
            }
        })
    }
}

/// Finds a [`Refusal`] in an error's source chain.
pub fn find_refusal<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a Refusal> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(r) = e.downcast_ref::<Refusal>() {
            return Some(r);
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    fn url(s: &str) -> Url {
        Url::parse(s).expect("test url")
    }

    #[test]
    fn classifies_forbidden_ipv4_ranges() {
        use AddressClass::*;
        let cases = [
            ("127.0.0.1", Loopback),
            ("127.255.1.2", Loopback),
            ("10.0.0.1", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("192.168.1.1", Private),
            ("100.64.0.1", SharedAddressSpace),
            ("100.127.255.254", SharedAddressSpace),
            ("169.254.169.254", LinkLocal),
            ("0.0.0.0", Unspecified),
            ("0.1.2.3", Reserved),
            ("224.0.0.1", Multicast),
            ("255.255.255.255", Broadcast),
            ("240.0.0.1", Reserved),
            ("192.0.2.10", Documentation),
            ("198.51.100.1", Documentation),
            ("203.0.113.5", Documentation),
            ("198.18.0.1", Reserved),
        ];
        for (addr, class) in cases {
            assert_eq!(classify(ip(addr)), Some(class), "{addr}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for addr in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "192.169.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "64:ff9b::808:808",
        ] {
            assert_eq!(classify(ip(addr)), None, "{addr}");
        }
    }

    #[test]
    fn classifies_forbidden_ipv6_ranges_and_embedded_ipv4() {
        use AddressClass::*;
        let cases = [
            ("::1", Loopback),
            ("::", Unspecified),
            ("fc00::1", Private),
            ("fd12:3456::1", Private),
            ("fe80::1", LinkLocal),
            ("ff02::1", Multicast),
            ("2001:db8::1", Documentation),
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:169.254.169.254", LinkLocal),
            ("::ffff:10.1.2.3", Private),
            ("::127.0.0.1", Loopback),
            ("::8.8.8.8", Reserved),
            ("64:ff9b::a9fe:a9fe", LinkLocal),
            ("2002:7f00:1::", Loopback),
            ("2002:c0a8:101::", Private),
        ];
        for (addr, class) in cases {
            assert_eq!(classify(ip(addr)), Some(class), "{addr}");
        }
    }

    #[test]
    fn allow_list_parses_cidrs_ips_and_names() {
        let allow =
            AllowList::parse(" 127.0.0.1, 10.0.0.0/8 ,api.internal,*.svc.local,[::1],").unwrap();
        assert!(allow.allows_ip(ip("127.0.0.1")));
        assert!(!allow.allows_ip(ip("127.0.0.2")));
        assert!(allow.allows_ip(ip("10.20.30.40")));
        assert!(
            allow.allows_ip(ip("::ffff:10.0.0.1")),
            "IPv4 rules cover mapped addresses"
        );
        assert!(allow.allows_ip(ip("::1")));
        assert!(allow.allows_host("API.internal."));
        assert!(allow.allows_host("db.svc.local"));
        assert!(!allow.allows_host("svc.local"));
        assert!(!allow.allows_host("evilsvc.local"));
        assert_eq!(
            allow.to_string(),
            "127.0.0.1/32,10.0.0.0/8,::1/128,api.internal,*.svc.local"
        );
    }

    #[test]
    fn bad_allow_list_entries_are_errors() {
        for bad in [
            "10.0.0.0/33",
            "http://x",
            "a b",
            "host:80",
            "-bad.com",
            "*.",
        ] {
            let e = AllowList::parse(bad).unwrap_err();
            assert_eq!(e.entry, bad);
            assert!(e.to_string().contains("CIDR"), "{e}");
        }
        assert!(AllowList::parse("").unwrap().is_empty());
    }

    #[test]
    fn guard_refuses_forbidden_literals_and_names() {
        let guard = Guard::default();
        let e = guard
            .check_url(&url("http://127.0.0.1:8080/x"))
            .unwrap_err();
        assert!(matches!(
            e,
            Refusal::Address {
                class: AddressClass::Loopback,
                ..
            }
        ));
        let msg = e.to_string();
        assert!(msg.contains("loopback") && msg.contains(ALLOW_ENV), "{msg}");
        assert!(guard.check_url(&url("http://[::ffff:127.0.0.1]/")).is_err());
        assert!(guard.check_url(&url("http://[fe80::1]/")).is_err());
        // The URL parser normalizes odd IPv4 spellings, so they are literals too.
        assert!(guard.check_url(&url("http://0x7f.1/")).is_err());
        assert!(guard.check_url(&url("http://2130706433/")).is_err());
        for name in [
            "localhost",
            "LOCALHOST.",
            "app.localhost",
            "metadata.google.internal",
        ] {
            let e = guard
                .check_url(&url(&format!("http://{name}/")))
                .unwrap_err();
            assert!(matches!(e, Refusal::HostName { .. }), "{name}: {e}");
        }
        assert!(guard.check_url(&url("https://example.com/")).is_ok());
        assert!(guard.check_url(&url("https://8.8.8.8/")).is_ok());
        assert_eq!(
            guard.check_url(&url("file:///etc/passwd")),
            Err(Refusal::Scheme("file".into()))
        );
        assert_eq!(
            guard.check_url(&url("ftp://example.com/")),
            Err(Refusal::Scheme("ftp".into()))
        );
    }

    #[test]
    fn messages_and_redacted_urls_leave_secrets_out() {
        let guard = Guard::default();
        let e = guard.check_ip("db.example", ip("10.0.0.7")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("refused to connect to db.example (10.0.0.7): it is a private")
        );
        let e = guard.check_url(&url("http://10.0.0.7/")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("refused to connect to 10.0.0.7: it is a private"),
            "{e}"
        );
        assert_eq!(
            redact(&url("https://user:pw@api.example:8443/v1/x?token=s3cret#f")),
            "https://api.example:8443/v1/x"
        );
    }

    #[test]
    fn allow_list_opens_holes() {
        let guard = Guard::new(AllowList::parse("127.0.0.1,localhost,10.0.0.0/8").unwrap());
        assert!(guard.check_url(&url("http://127.0.0.1:9/")).is_ok());
        assert!(
            guard
                .check_url(&url("http://[::ffff:127.0.0.1]:9/"))
                .is_ok()
        );
        assert!(guard.check_url(&url("http://127.0.0.2:9/")).is_err());
        assert!(guard.check_url(&url("http://localhost:9/")).is_ok());
        assert!(guard.check_url(&url("http://10.9.8.7/")).is_ok());
        assert!(guard.check_url(&url("http://169.254.169.254/")).is_err());
    }

    #[test]
    fn every_resolved_address_must_be_allowed() {
        let guard = Guard::new(AllowList::parse("10.0.0.0/8,trusted.internal").unwrap());
        assert!(
            guard
                .check_resolved("a.example", [ip("93.184.216.34")])
                .is_ok()
        );
        assert!(
            guard
                .check_resolved("a.example", [ip("10.1.1.1"), ip("93.184.216.34")])
                .is_ok()
        );
        let e = guard
            .check_resolved(
                "rebind.example",
                [ip("93.184.216.34"), ip("169.254.169.254")],
            )
            .unwrap_err();
        assert!(
            matches!(
                e,
                Refusal::Address {
                    class: AddressClass::LinkLocal,
                    ..
                }
            ),
            "{e}"
        );
        assert!(
            guard
                .check_resolved("trusted.internal", [ip("192.168.0.1")])
                .is_ok()
        );
    }

    #[test]
    fn redirect_hops_are_checked_and_limited() {
        let guard = Guard::new(AllowList::parse("127.0.0.1").unwrap());
        assert!(
            guard
                .check_redirect(&url("http://127.0.0.1/next"), 0)
                .is_ok()
        );
        let e = guard.check_redirect(&url("http://169.254.169.254/latest/meta-data"), 1);
        assert!(matches!(
            e,
            Err(Refusal::Address {
                class: AddressClass::LinkLocal,
                ..
            })
        ));
        assert!(guard.check_redirect(&url("http://10.0.0.1/"), 1).is_err());
        assert!(
            guard
                .check_redirect(&url("http://metadata.google.internal/"), 1)
                .is_err()
        );
        assert!(
            guard
                .check_redirect(&url("gopher://example.com/"), 1)
                .is_err()
        );
        assert_eq!(
            guard.check_redirect(&url("http://127.0.0.1/"), MAX_REDIRECTS),
            Err(Refusal::TooManyRedirects)
        );
    }

    #[tokio::test]
    async fn resolver_refuses_names_that_resolve_to_forbidden_addresses() {
        let guard = Arc::new(Guard::default());
        let resolver = GuardedResolver::with_table(
            Arc::clone(&guard),
            &[
                ("public.test", ip("93.184.216.34")),
                ("sneaky.test", ip("93.184.216.34")),
                ("sneaky.test", ip("10.0.0.7")),
            ],
        );
        let ok = resolver
            .resolve("public.test".parse().unwrap())
            .await
            .unwrap();
        assert_eq!(
            ok.map(|a| a.ip()).collect::<Vec<_>>(),
            vec![ip("93.184.216.34")]
        );

        let err = resolver
            .resolve("sneaky.test".parse().unwrap())
            .await
            .err()
            .unwrap();
        let refusal = find_refusal(err.as_ref()).expect("a refusal");
        assert!(matches!(
            refusal,
            Refusal::Address {
                class: AddressClass::Private,
                ..
            }
        ));

        let err = resolver
            .resolve("localhost".parse().unwrap())
            .await
            .err()
            .unwrap();
        assert!(matches!(
            find_refusal(err.as_ref()),
            Some(Refusal::HostName { .. })
        ));

        let err = resolver
            .resolve("missing.test".parse().unwrap())
            .await
            .err()
            .unwrap();
        assert!(
            find_refusal(err.as_ref()).is_none(),
            "a failed lookup is not a refusal"
        );
    }
}
