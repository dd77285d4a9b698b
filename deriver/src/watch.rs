//! Watching a build's calls for a network that is not there: when the calls of a synth
//! run keep failing the same way at the transport (DNS, a refused connection, TLS) or
//! keep being turned away (401/403) and none has been answered yet, no task can come
//! of it — say so early, with the cause in words, instead of sampling on for minutes.

use dive_runtime::exchange::{FailureCode, HttpExchange, HttpOutcome};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Calls failing the same way, with no answered call yet, before a run stops.
pub const GIVE_UP_AFTER: u64 = 12;

/// How a call's requests failed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Failure {
    /// A transport failure (the wasi:http `error-code` the guest saw).
    Transport(FailureCode),
    /// The upstream answered 401 or 403.
    Unauthorized(u16),
}

impl Failure {
    /// The failure in words, with what to do about it.
    pub fn explain(&self) -> String {
        match self {
            Failure::Transport(code) => match code {
                FailureCode::DnsError => "their host names could not be resolved (DNS): is this machine offline? Offline, build with --local-only, or --replay an earlier run".into(),
                FailureCode::ConnectionRefused => "the upstream refused the connection: is the service (or the --upstream mirror) running?".into(),
                FailureCode::ConnectionTimeout => "connecting to the upstream timed out: check the network or the --upstream mirror".into(),
                FailureCode::TlsProtocolError | FailureCode::TlsCertificateError => "the TLS handshake with the upstream failed: check the mirror's certificate or the system clock".into(),
                other => format!("the requests failed at the transport ({other})"),
            },
            Failure::Unauthorized(status) => format!("the upstream answered {status}: is its API key set (environment variable or --secrets FILE)?"),
        }
    }
}

/// Counts over a run, shared by its workers.
#[derive(Debug, Default)]
pub struct Watch {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    answered: u64,
    failed: BTreeMap<Failure, (u64, String)>,
}

impl Watch {
    /// Note one call's exchanges. Returns the failure to stop on, with how many calls
    /// failed that way and one origin they went to, when the run should give up.
    pub fn note(&self, exchanges: &[HttpExchange]) -> Option<(Failure, u64, String)> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut failure = None;
        for ex in exchanges {
            match &ex.outcome {
                HttpOutcome::Response(r) if r.status == 401 || r.status == 403 => failure = Some(Failure::Unauthorized(r.status)),
                HttpOutcome::Response(_) => {
                    s.answered += 1;
                    return None;
                }
                HttpOutcome::Failed { code, .. } => failure = Some(Failure::Transport(*code)),
            }
        }
        let f = failure?;
        let origin = exchanges.first().map(|e| origin_of(&e.request.url)).unwrap_or_default();
        let entry = s.failed.entry(f.clone()).or_insert((0, origin));
        entry.0 += 1;
        let (n, origin) = entry.clone();
        (s.answered == 0 && n >= GIVE_UP_AFTER).then_some((f, n, origin))
    }

    /// Calls that failed, all kinds together.
    pub fn failed_calls(&self) -> u64 {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).failed.values().map(|(n, _)| n).sum()
    }
}

fn origin_of(url: &str) -> String {
    url::Url::parse(url).map(|u| u.origin().ascii_serialization()).unwrap_or_else(|_| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dive_runtime::exchange::{RequestRecord, ResponseRecord};

    fn ex(outcome: HttpOutcome) -> HttpExchange {
        HttpExchange {
            request: RequestRecord { method: "GET".into(), url: "https://api.example.org/x?q=1".into(), headers: vec![], body: Default::default() },
            outcome,
        }
    }

    #[test]
    fn gives_up_only_when_nothing_was_ever_answered() {
        let w = Watch::default();
        let dns = || vec![ex(HttpOutcome::Failed { code: FailureCode::DnsError, message: "no".into() })];
        for _ in 0..GIVE_UP_AFTER - 1 {
            assert_eq!(w.note(&dns()), None);
        }
        let (f, n, origin) = w.note(&dns()).expect("gives up");
        assert_eq!((f.clone(), n, origin.as_str()), (Failure::Transport(FailureCode::DnsError), GIVE_UP_AFTER, "https://api.example.org"));
        assert!(f.explain().contains("DNS"));
        let answered = Watch::default();
        answered.note(&[ex(HttpOutcome::Response(ResponseRecord { status: 200, headers: vec![], body: Default::default() }))]);
        for _ in 0..50 {
            assert_eq!(answered.note(&dns()), None, "a network that answered once is not missing");
        }
        assert_eq!(answered.failed_calls(), 50);
        let w = Watch::default();
        let unauthorized = vec![ex(HttpOutcome::Response(ResponseRecord { status: 401, headers: vec![], body: Default::default() }))];
        let last = (0..GIVE_UP_AFTER).filter_map(|_| w.note(&unauthorized)).last().expect("gives up");
        assert!(last.0.explain().contains("API key"));
    }
}
