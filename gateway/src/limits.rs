//! Rate limits (token buckets per client IP, per principal, and for login attempts per IP)
//! and the response headers every answer carries.
//!
//! Buckets live in memory, keyed by string; idle keys are swept periodically so a scan from
//! many addresses cannot grow the maps without bound.

use crate::config::{Quota, RateLimitOptions};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota as GQuota, RateLimiter};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;

pub struct RateLimits {
    enabled: bool,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_principal: DefaultKeyedRateLimiter<String>,
    login: DefaultKeyedRateLimiter<IpAddr>,
}

fn quota(q: Quota) -> GQuota {
    let per_second = NonZeroU32::new(q.per_second.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(q.burst.max(1)).unwrap_or(NonZeroU32::MIN);
    GQuota::per_second(per_second).allow_burst(burst)
}

fn retry_after(
    r: Result<(), governor::NotUntil<<DefaultClock as Clock>::Instant>>,
) -> Result<(), ApiError> {
    r.map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        ApiError::rate_limited(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
    })
}

impl RateLimits {
    pub fn new(o: &RateLimitOptions) -> Self {
        RateLimits {
            enabled: o.enabled,
            per_ip: RateLimiter::keyed(quota(o.per_ip)),
            per_principal: RateLimiter::keyed(quota(o.per_principal)),
            login: RateLimiter::keyed(quota(o.login_per_ip)),
        }
    }

    pub fn check_ip(&self, ip: IpAddr) -> Result<(), ApiError> {
        if !self.enabled {
            return Ok(());
        }
        retry_after(self.per_ip.check_key(&ip))
    }

    pub fn check_principal(&self, label: &str) -> Result<(), ApiError> {
        if !self.enabled {
            return Ok(());
        }
        retry_after(self.per_principal.check_key(&label.to_string()))
    }

    pub fn check_login(&self, ip: IpAddr) -> Result<(), ApiError> {
        if !self.enabled {
            return Ok(());
        }
        retry_after(self.login.check_key(&ip))
    }

    /// Forgets keys whose buckets are full again.
    pub fn sweep(&self) {
        self.per_ip.retain_recent();
        self.per_principal.retain_recent();
        self.login.retain_recent();
        self.per_ip.shrink_to_fit();
        self.per_principal.shrink_to_fit();
        self.login.shrink_to_fit();
    }
}

/// The client's address: the socket peer (proxies' forwarding headers are not trusted).
pub fn client_ip(req_ext: &axum::http::Extensions) -> IpAddr {
    req_ext
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

/// Per-IP limit on every request.
pub async fn limit_by_ip(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let ip = client_ip(req.extensions());
    if let Err(e) = state.limits.check_ip(ip) {
        return e.into_response();
    }
    next.run(req).await
}

/// Answers 503 (as a problem) when a REST request takes longer than the configured limit;
/// the handler's work is dropped at its next await.
pub async fn request_timeout(
    State(limit): State<std::time::Duration>,
    req: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => ApiError::unavailable(format!(
            "the request took longer than {} ms",
            limit.as_millis()
        ))
        .into_response(),
    }
}

/// Headers for every response: no sniffing, no framing, no referrer leaks, and no caching of
/// API answers (they may hold execution data).
pub async fn security_headers(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'",
        ),
    );
    if api && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_refuse_after_the_burst_with_a_retry_time() {
        let limits = RateLimits::new(&RateLimitOptions {
            enabled: true,
            per_ip: Quota {
                per_second: 1,
                burst: 2,
            },
            ..RateLimitOptions::default()
        });
        let ip = IpAddr::from([10, 0, 0, 1]);
        assert!(limits.check_ip(ip).is_ok());
        assert!(limits.check_ip(ip).is_ok());
        let e = limits.check_ip(ip).unwrap_err();
        assert_eq!(e.retry_after, Some(1));
        // Another client is unaffected.
        assert!(limits.check_ip(IpAddr::from([10, 0, 0, 2])).is_ok());
    }
}
