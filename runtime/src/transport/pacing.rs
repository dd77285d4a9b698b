//! Politeness: at most N requests per second to an origin, from the whole process
//! (`--rate ORIGIN=N`, and built-in defaults for services that ask for it).

use crate::sandbox::secrets::CallSecrets;
use dive_policy::origin::Origin;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// One origin's built-in politeness: (origin, requests/s without a key, (secret that
/// raises it, requests/s with it)).
pub type DefaultRate = (&'static str, f64, Option<(&'static str, f64)>);

/// Built-in politeness, per origin.
pub fn default_rates() -> Vec<DefaultRate> {
    vec![("https://eutils.ncbi.nlm.nih.gov", 3.0, Some(("NCBI_API_KEY", 10.0)))]
}

/// Per logical origin, the earliest instant the next request may start.
pub struct Pacing {
    /// `--rate` settings, before the defaults.
    rates: Vec<(Origin, f64)>,
    slots: Mutex<HashMap<Origin, Instant>>,
}

impl Pacing {
    /// Pacing with these `--rate` settings on top of [`default_rates`].
    pub fn new(rates: Vec<(Origin, f64)>) -> Self {
        Pacing { rates, slots: Mutex::default() }
    }

    /// Requests per second allowed to `origin` for a call with these secrets, if limited.
    pub fn rate_for(&self, origin: &Origin, secrets: &CallSecrets) -> Option<f64> {
        if let Some((_, r)) = self.rates.iter().find(|(o, _)| o == origin) {
            return Some(*r);
        }
        default_rates().into_iter().find(|(o, _, _)| origin.to_string() == *o).map(|(_, base, keyed)| match keyed {
            Some((secret, r)) if secrets.iter().any(|s| s.name == secret) => r,
            _ => base,
        })
    }

    /// Wait for this origin's turn.
    pub async fn wait_turn(&self, origin: &Origin, secrets: &CallSecrets) {
        let Some(rate) = self.rate_for(origin, secrets) else { return };
        let interval = Duration::from_secs_f64(1.0 / rate);
        let start = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let slot = slots.entry(origin.clone()).or_insert(now);
            reserve(slot, now, interval)
        };
        tokio::time::sleep_until(start).await;
    }
}

/// Take the next start time from an origin's slot: never before `now`, and one
/// `interval` after the previous start.
pub fn reserve(slot: &mut Instant, now: Instant, interval: Duration) -> Instant {
    let start = (*slot).max(now);
    *slot = start + interval;
    start
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn politeness_spaces_requests_per_origin() {
        let o = Origin::of_url(&url::Url::parse("https://api.example.org/").unwrap()).unwrap();
        let pacing = Pacing::new(vec![(o.clone(), 4.0)]);
        assert_eq!(pacing.rate_for(&o, &CallSecrets::default()), Some(4.0));
        // Five requests asked for at the same instant start 250 ms apart.
        let t0 = Instant::now();
        let mut slot = t0;
        let starts: Vec<_> = (0..5).map(|_| reserve(&mut slot, t0, Duration::from_millis(250))).collect();
        let offsets: Vec<u128> = starts.iter().map(|s| (*s - t0).as_millis()).collect();
        assert_eq!(offsets, vec![0, 250, 500, 750, 1000]);
        // After a quiet spell a request starts at once.
        let later = t0 + Duration::from_secs(10);
        assert_eq!(reserve(&mut slot, later, Duration::from_millis(250)), later);
        let eutils = Origin::of_url(&url::Url::parse("https://eutils.ncbi.nlm.nih.gov/x").unwrap()).unwrap();
        assert_eq!(pacing.rate_for(&eutils, &CallSecrets::default()), Some(3.0));
        let other = Origin::of_url(&url::Url::parse("https://other.org/").unwrap()).unwrap();
        assert_eq!(pacing.rate_for(&other, &CallSecrets::default()), None);
    }
}
