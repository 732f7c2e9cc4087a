//! Retry policy and backoff math: exponential growth, capped, with full jitter.
//!
//! Pure: the random draw comes in as a seed recorded in the failure event, so replay computes
//! the same retry time as the live run did.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Jitter {
    /// Wait exactly the computed interval.
    None,
    /// Wait a uniformly random time between 0 and the computed interval (AWS "full jitter").
    #[default]
    Full,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 means no retry.
    pub max_attempts: u32,
    pub initial_interval_ms: u64,
    pub multiplier: f64,
    pub max_interval_ms: u64,
    pub jitter: Jitter,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 1,
            initial_interval_ms: 1_000,
            multiplier: 2.0,
            max_interval_ms: 60_000,
            jitter: Jitter::Full,
        }
    }
}

impl RetryPolicy {
    /// Whether a failed `attempt` (1-based) may be followed by another.
    pub fn allows_retry_after(&self, attempt: u32) -> bool {
        attempt < self.max_attempts
    }

    /// The computed (pre-jitter) interval after failed `attempt` (1-based): initial ×
    /// multiplier^(attempt-1), capped at `max_interval_ms`.
    pub fn interval_ms(&self, attempt: u32) -> u64 {
        let exp = attempt.saturating_sub(1).min(63) as i32;
        let raw = self.initial_interval_ms as f64 * self.multiplier.max(1.0).powi(exp);
        if !raw.is_finite() || raw >= self.max_interval_ms as f64 {
            self.max_interval_ms
        } else {
            raw as u64
        }
    }

    /// The delay before the attempt that follows failed `attempt`, with jitter drawn from
    /// `seed` (any u64; the same seed always gives the same delay).
    pub fn backoff_ms(&self, attempt: u32, seed: u64) -> u64 {
        let interval = self.interval_ms(attempt);
        match self.jitter {
            Jitter::None => interval,
            Jitter::Full => {
                if interval == 0 {
                    return 0;
                }
                // splitmix64 spreads any seed (even 0, 1, 2…) over the whole range.
                let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
                z % (interval + 1)
            }
        }
    }

    /// Problems with the policy's numbers, as (field, message).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        if self.max_attempts == 0 {
            p.push(("max_attempts", "must be at least 1".to_string()));
        }
        if !(self.multiplier.is_finite() && self.multiplier >= 1.0) {
            p.push(("multiplier", "must be a number ≥ 1".to_string()));
        }
        if self.max_interval_ms < self.initial_interval_ms {
            p.push((
                "max_interval_ms",
                "must not be smaller than initial_interval_ms".to_string(),
            ));
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn policy(jitter: Jitter) -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            initial_interval_ms: 200,
            multiplier: 2.0,
            max_interval_ms: 1_000,
            jitter,
        }
    }

    #[test]
    fn grows_exponentially_then_caps() {
        let p = policy(Jitter::None);
        let got: Vec<u64> = (1..=5).map(|a| p.backoff_ms(a, 0)).collect();
        assert_eq!(got, vec![200, 400, 800, 1_000, 1_000]);
    }

    #[test]
    fn retries_stop_at_max_attempts() {
        let p = policy(Jitter::None);
        assert!(p.allows_retry_after(4));
        assert!(!p.allows_retry_after(5));
    }

    proptest! {
        #[test]
        fn full_jitter_stays_within_the_interval(attempt in 1u32..40, seed: u64) {
            let p = policy(Jitter::Full);
            let d = p.backoff_ms(attempt, seed);
            prop_assert!(d <= p.interval_ms(attempt));
            prop_assert_eq!(d, p.backoff_ms(attempt, seed));
        }
    }
}
