//! Sync in the app: a thread of its own that enrols the tablet with the cooperative's server,
//! then syncs in the background with `sync::SyncClient::sync_once` — at start, soon after each
//! recorded act, when the technician asks, and every few minutes; after a failure less and less
//! often up to a cap, so a tablet out of network does not spend its battery knocking.
//!
//! The thread shares the store with the worker (a `Store` is shared by cloning) and tells the
//! worker what happened ([`News`]); the worker, which alone answers the UI, then refreshes the
//! sync status and the screen on display, so pulled events (a reassigned visit, a farmer's
//! confirmation) show without a restart. The network never holds up the worker nor a frame.
//! Not for the protocol itself (`crate::sync`) nor for drawing (`screens::server`).

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::Worker;
use crate::app::model::{Outcome, Refusal, SyncInfo, SyncProblem, Ticket};
use crate::domain::{Payload, Technician};
use crate::log::{LogError, Store};
use crate::sync::{HttpTransport, Role, SyncClient, SyncError, SyncReport, TransportError};

/// When the background sync runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncTiming {
    /// Between two syncs while the server answers (pulls what others wrote).
    pub every: Duration,
    /// From a recorded act to the sync that sends it (acts recorded together go together).
    pub soon: Duration,
    /// After a first failure; doubled after each further one, up to `max_retry`.
    pub retry: Duration,
    pub max_retry: Duration,
}

impl Default for SyncTiming {
    fn default() -> SyncTiming {
        SyncTiming {
            every: Duration::from_secs(120),
            soon: Duration::from_secs(2),
            retry: Duration::from_secs(30),
            max_retry: Duration::from_secs(600),
        }
    }
}

impl SyncTiming {
    /// The wait before the next attempt after `failures` failures in a row.
    fn wait(&self, failures: u32) -> Duration {
        match failures {
            0 => self.every,
            n => self
                .retry
                .saturating_mul(1 << (n - 1).min(16))
                .min(self.max_retry),
        }
    }
}

/// What the worker asks of the sync thread.
#[derive(Debug)]
pub(crate) enum Order {
    Enroll {
        ticket: Ticket,
        server: String,
        token: String,
    },
    /// Something was recorded: sync soon.
    Soon,
    /// The technician asked: sync now.
    Now,
}

/// What the sync thread tells the worker.
#[derive(Debug)]
pub(crate) enum News {
    Enrolled {
        ticket: Ticket,
        result: Result<Role, SyncProblem>,
    },
    Started,
    Synced {
        at: DateTime<Utc>,
        result: Result<SyncReport, SyncProblem>,
    },
}

/// What the device calls itself on the server's list of devices.
pub(super) const LABEL: &str = "Tournée (tablette)";

/// Where the time of the last complete sync is kept in the store.
const LAST_SUCCESS: &str = "app/sync/last_success";

/// The time of the last complete sync, as kept in the store.
pub fn last_success(store: &Store) -> Option<DateTime<Utc>> {
    let bytes = store.setting(LAST_SUCCESS).ok()??;
    let ms = i64::from_le_bytes(bytes.try_into().ok()?);
    DateTime::from_timestamp_millis(ms)
}

pub(super) fn save_last_success(store: &Store, at: DateTime<Utc>) -> Result<(), LogError> {
    store.set_setting(LAST_SUCCESS, &at.timestamp_millis().to_le_bytes())
}

/// Why sync failed, as the screens explain it. `enrolling`: a refusal then is about the token.
pub fn problem(e: &SyncError, enrolling: bool) -> SyncProblem {
    match e {
        SyncError::NotEnrolled => SyncProblem::NotRecognised(e.to_string()),
        SyncError::AlreadyEnrolled => SyncProblem::AlreadyEnrolled,
        SyncError::Transport(TransportError::Unreachable(m)) => SyncProblem::Unreachable(m.clone()),
        SyncError::Transport(TransportError::Refused { status, reason, .. }) => match status {
            403 if enrolling => SyncProblem::TokenRefused,
            403 => SyncProblem::EventsRefused(reason.clone()),
            409 if reason.contains("forked chain") => SyncProblem::Forked(reason.clone()),
            401 => SyncProblem::NotRecognised(reason.clone()),
            426 => SyncProblem::TooOld,
            404 | 405 => SyncProblem::NotTournee(format!("{status} {reason}")),
            _ => SyncProblem::Refused {
                status: *status,
                reason: reason.clone(),
            },
        },
        SyncError::Wire(crate::sync::WireError::Version { .. }) => SyncProblem::TooOld,
        SyncError::Wire(w) => SyncProblem::NotTournee(w.to_string()),
        SyncError::Log(l) => SyncProblem::Storage(l.to_string()),
        SyncError::Corrupt(m) => SyncProblem::Storage(m.clone()),
        SyncError::Protocol(m) => SyncProblem::Protocol(m.clone()),
        SyncError::Gap(g) => SyncProblem::Gap(*g),
    }
}

/// The server's address as typed: spaces trimmed, `https://` assumed when no scheme is given,
/// no trailing slash. `None`: not an address.
pub fn server_address(typed: &str) -> Option<String> {
    let t = typed.trim();
    let (scheme, rest) = match t.split_once("://") {
        Some(("https", rest)) => ("https://", rest),
        Some(("http", rest)) => ("http://", rest),
        Some(_) => return None,
        None => ("https://", t),
    };
    let host = rest.trim_end_matches('/');
    let ok = !host.is_empty()
        && !host.starts_with('/')
        && !host.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then(|| format!("{scheme}{host}"))
}

/// A token as typed or pasted: every space and line break taken out (a token copied from a
/// message may be cut in groups). `None`: nothing left.
pub fn token_text(typed: &str) -> Option<String> {
    let t: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    (!t.is_empty() && t.len() <= 200).then_some(t)
}

/// The worker's handle on the sync thread.
pub(crate) struct Syncer {
    orders: Option<Sender<Order>>,
    /// Closed when the thread ends.
    ended: Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

impl Syncer {
    /// Starts the thread on `store`; `news` carries what happens to the worker.
    pub fn start(store: Store, timing: SyncTiming, news: impl Fn(News) + Send + 'static) -> Syncer {
        let (orders, rx) = mpsc::channel();
        let (ended_tx, ended) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("tournee-sync".to_owned())
            .spawn(move || {
                let _ended = ended_tx;
                run(&store, timing, &rx, &news);
            })
            .ok();
        Syncer {
            orders: Some(orders),
            ended,
            thread,
        }
    }

    /// Passes an order on; `false` if the thread is gone.
    pub fn order(&self, order: Order) -> bool {
        self.orders.as_ref().is_some_and(|o| o.send(order).is_ok())
    }
}

impl Drop for Syncer {
    /// Stops the thread after the request under way. Waits for it a few seconds so the store
    /// is closed with the app; a request hanging on a dead link is left to end with the
    /// process rather than hold the window open.
    fn drop(&mut self) {
        self.orders = None;
        if let Err(RecvTimeoutError::Disconnected) = self.ended.recv_timeout(Duration::from_secs(5))
            && let Some(t) = self.thread.take()
        {
            let _ = t.join();
        }
    }
}

fn client(server: &str) -> SyncClient<HttpTransport> {
    SyncClient::new(HttpTransport::new(server))
}

fn run(store: &Store, timing: SyncTiming, orders: &Receiver<Order>, news: &dyn Fn(News)) {
    let mut client = crate::sync::credentials(store)
        .ok()
        .flatten()
        .map(|c| client(&c.server));
    // An enrolled tablet syncs as soon as the app starts.
    let mut next = client.as_ref().map(|_| Instant::now());
    let mut failures = 0u32;
    loop {
        let order = match next {
            None => match orders.recv() {
                Ok(o) => Some(o),
                Err(_) => return,
            },
            Some(at) => match orders.recv_timeout(at.saturating_duration_since(Instant::now())) {
                Ok(o) => Some(o),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            },
        };
        let now = Instant::now();
        match order {
            Some(Order::Soon) if client.is_some() => {
                let soon = now + timing.soon;
                next = Some(next.map_or(soon, |n| n.min(soon)));
            }
            Some(Order::Now) if client.is_some() => next = Some(now),
            Some(Order::Soon | Order::Now) => {}
            Some(Order::Enroll {
                ticket,
                server,
                token,
            }) => {
                let c = self::client(&server);
                let result = c
                    .enroll(store, &server, &token, LABEL)
                    .map_err(|e| problem(&e, true));
                if result.is_ok() {
                    client = Some(c);
                    next = Some(now);
                    failures = 0;
                }
                news(News::Enrolled { ticket, result });
            }
            None => {
                let Some(c) = &client else {
                    next = None;
                    continue;
                };
                news(News::Started);
                let result = c.sync_once(store).map_err(|e| problem(&e, false));
                let at = Utc::now();
                failures = match &result {
                    Ok(_) => {
                        let _ = save_last_success(store, at);
                        keep_team_refusals(store, c);
                        0
                    }
                    Err(_) => failures.saturating_add(1),
                };
                next = Some(Instant::now() + timing.wait(failures));
                news(News::Synced { at, result });
            }
        }
    }
}

/// Where a supervisor's tablet keeps the team's refused pushes, as the server last told.
const TEAM_REFUSALS: &str = "app/sync/team_refusals";

/// On a supervisor's tablet, asks the server which of the team's pushes it refused and keeps
/// the answer for the Team screen. Best effort: the sync went through whether or not this does.
fn keep_team_refusals(store: &Store, client: &SyncClient<HttpTransport>) {
    let supervisor = matches!(
        crate::sync::credentials(store),
        Ok(Some(c)) if matches!(c.role, Role::Supervisor { .. })
    );
    if !supervisor {
        return;
    }
    if let Ok(refused) = client.refusals(store)
        && let Ok(bytes) = serde_json::to_vec(&refused)
    {
        let _ = store.set_setting(TEAM_REFUSALS, &bytes);
    }
}

/// The team's refused pushes, as the server last told this supervisor's tablet.
pub fn team_refusals(store: &Store) -> Vec<crate::sync::protocol::RefusedPush> {
    store
        .setting(TEAM_REFUSALS)
        .ok()
        .flatten()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// What the worker knows of sync beyond the store: the thread, and the last outcomes.
#[derive(Default)]
pub(crate) struct SyncState {
    pub syncer: Option<Syncer>,
    pub syncing: bool,
    pub last_success: Option<DateTime<Utc>>,
    pub last_moved: Option<(u64, u64)>,
    pub last_failure: Option<(DateTime<Utc>, SyncProblem)>,
    /// An enrolment under way.
    pub enrolling: bool,
}

/// What the worker does after a piece of news.
pub(crate) struct Handled {
    /// The answer to a command (an enrolment), for the UI.
    pub done: Option<(Ticket, Outcome)>,
    /// The store changed (events pulled, or enrolment): refresh the screen on display.
    pub refresh: bool,
}

impl Worker {
    /// Sync as the screens tell it.
    pub(super) fn sync_info(&self) -> SyncInfo {
        let credentials = crate::sync::credentials(&self.store).ok().flatten();
        SyncInfo {
            server: credentials.as_ref().map(|c| c.server.clone()),
            account: credentials.map(|c| c.role),
            syncing: self.sync.syncing,
            last_success: self.sync.last_success,
            last_moved: self.sync.last_moved,
            last_failure: self.sync.last_failure.clone(),
            adopted: super::adopt::adoption(&self.store),
        }
    }

    /// Whether this tablet is enrolled with a server.
    pub(super) fn enrolled(&self) -> bool {
        matches!(crate::sync::credentials(&self.store), Ok(Some(_)))
    }

    /// Hands an enrolment to the sync thread. `Some`: refused here (nothing sent), the
    /// answer to give at once; `None`: the sync thread answers when the server has.
    pub(super) fn enroll(&mut self, ticket: Ticket, server: &str, token: &str) -> Option<Outcome> {
        let refuse = |p: SyncProblem| Some(Outcome::Refused(Refusal::Sync(p)));
        if self.enrolled() || self.sync.enrolling {
            return refuse(SyncProblem::AlreadyEnrolled);
        }
        let (Some(server), Some(token)) = (server_address(server), token_text(token)) else {
            return Some(Outcome::Refused(Refusal::Invalid(
                crate::domain::DomainError::invalid(
                    "server",
                    server,
                    "the server's address and the enrolment token",
                ),
            )));
        };
        let sent = self.sync.syncer.as_ref().is_some_and(|s| {
            s.order(Order::Enroll {
                ticket,
                server,
                token,
            })
        });
        if !sent {
            return refuse(SyncProblem::Storage("the sync thread stopped".to_owned()));
        }
        self.sync.enrolling = true;
        None
    }

    /// Asks the sync thread to sync: `now`, or soon (after an act).
    pub(super) fn poke_sync(&self, now: bool) {
        if let Some(s) = &self.sync.syncer {
            s.order(if now { Order::Now } else { Order::Soon });
        }
    }

    /// Takes in what the sync thread did.
    pub(super) fn on_news(&mut self, news: News) -> Handled {
        match news {
            News::Started => {
                self.sync.syncing = true;
                Handled {
                    done: None,
                    refresh: false,
                }
            }
            News::Enrolled { ticket, result } => {
                self.sync.enrolling = false;
                let outcome = match result {
                    Ok(role) => {
                        self.sync.last_failure = None;
                        if let Role::Technician { id, .. } = &role
                            && self.technician.is_none()
                        {
                            // The tablet is this technician's from now on.
                            self.prefs.technician = Some(id.to_string());
                            let _ = crate::app::prefs::save(&self.dir, &self.prefs);
                        }
                        Outcome::Saved {
                            forfait_seconds: None,
                        }
                    }
                    Err(p) => Outcome::Refused(Refusal::Sync(p)),
                };
                Handled {
                    done: Some((ticket, outcome)),
                    refresh: true,
                }
            }
            News::Synced { at, result } => {
                self.sync.syncing = false;
                // What the server now holds changes what Today says the farmers were told.
                let (pushed, pulled) = match result {
                    Ok(report) => {
                        self.sync.last_success = Some(at);
                        self.sync.last_moved = Some((report.pushed, report.pulled));
                        self.sync.last_failure = None;
                        (report.pushed, report.pulled)
                    }
                    Err(p) => {
                        self.sync.last_failure = Some((at, p));
                        (0, 0)
                    }
                };
                if pulled > 0 {
                    // What came in may name this tablet's technician, or the company's rules.
                    self.reload_rules();
                    self.resolve_technician();
                }
                let recorded = self.sync.last_failure.is_none() && self.record_own_identity();
                // The Team screen shows what the server told of the team's refused pushes.
                let team = self.shown == crate::app::Screen::Team;
                Handled {
                    done: None,
                    refresh: pulled > 0 || pushed > 0 || recorded || team,
                }
            }
        }
    }

    /// A technician's tablet that synced completely and still has no record of its account's
    /// technician (the server had none): their identity is recorded from the account's, so
    /// the round and the acts have their owner. Returns whether it was.
    fn record_own_identity(&mut self) -> bool {
        let Ok(Some(credentials)) = crate::sync::credentials(&self.store) else {
            return false;
        };
        let Role::Technician { id, name } = credentials.role else {
            return false;
        };
        if !matches!(self.store.technician(&id), Ok(None)) {
            return false;
        }
        let t = Technician {
            id,
            name,
            home: None,
            licence: None,
        };
        if self
            .store
            .append(vec![Payload::TechnicianRecorded(t)])
            .is_err()
        {
            return false;
        }
        self.resolve_technician();
        self.poke_sync(false);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_without_scheme_is_taken_as_https() {
        assert_eq!(
            server_address(" sync.coop-maine.fr/ ").as_deref(),
            Some("https://sync.coop-maine.fr")
        );
        assert_eq!(
            server_address("http://192.168.1.10:8080").as_deref(),
            Some("http://192.168.1.10:8080")
        );
        assert_eq!(server_address("   "), None);
        assert_eq!(server_address("https://"), None);
        assert_eq!(server_address("ftp://x"), None);
        assert_eq!(server_address("sync coop"), None);
    }

    #[test]
    fn a_token_pasted_in_groups_is_joined() {
        assert_eq!(
            token_text(" 3f2a 9b1c\n77d0 ").as_deref(),
            Some("3f2a9b1c77d0")
        );
        assert_eq!(token_text(" \n"), None);
    }

    #[test]
    fn retries_double_up_to_the_cap_and_come_back_to_the_period_after_a_success() {
        let t = SyncTiming::default();
        // 30 s, 60 s, 120 s, 240 s, 480 s, then the 600 s cap.
        let waits: Vec<u64> = (1..=7).map(|n| t.wait(n).as_secs()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 600, 600]);
        assert_eq!(t.wait(0).as_secs(), 120);
        assert_eq!(t.wait(u32::MAX).as_secs(), 600);
    }

    #[test]
    fn a_hole_in_the_own_chain_is_said_in_words_with_the_way_out() {
        let gap = crate::log::Gap {
            from: 301,
            to: 600,
            held_after: 300,
        };
        let p = problem(&SyncError::Gap(gap), false);
        assert_eq!(p, SyncProblem::Gap(gap));
        let fr = crate::app::i18n::I18n::new(crate::app::i18n::Lang::Fr);
        let text = crate::app::screens::server::problem_text(&fr, &p);
        assert!(text.starts_with("Les événements 301 à 600"), "{text}");
        assert!(
            text.contains("les 300 événements enregistrés après"),
            "{text}"
        );
        assert!(text.contains("adopt --from"), "{text}");
        let en = crate::app::i18n::I18n::new(crate::app::i18n::Lang::En);
        let text = crate::app::screens::server::problem_text(&en, &p);
        assert!(text.starts_with("Events 301 to 600"), "{text}");
    }

    #[test]
    fn a_forked_chain_and_refused_events_are_said_in_words_with_a_way_out() {
        let forked = SyncError::Transport(TransportError::Refused {
            status: 409,
            reason: "event 3 differs from the one the server holds (a forked chain)".into(),
            server_ms: None,
        });
        let p = problem(&forked, false);
        assert_eq!(
            p,
            SyncProblem::Forked(
                "event 3 differs from the one the server holds (a forked chain)".into()
            )
        );
        let fr = crate::app::i18n::I18n::new(crate::app::i18n::Lang::Fr);
        let text = crate::app::screens::server::problem_text(&fr, &p);
        assert!(
            text.starts_with("Le serveur refuse les actes de cette tablette"),
            "{text}"
        );
        assert!(text.contains("copie de cette tablette"), "{text}");
        assert!(text.contains("Rien n'est perdu"), "{text}");
        assert!(text.contains("tournee export"), "{text}");
        assert!(text.contains("adopt --from"), "{text}");
        assert!(text.contains("event 3 differs"), "{text}");
        let info = crate::app::model::SyncInfo {
            server: Some("https://sync.coop.example".into()),
            last_failure: Some((chrono::Utc::now(), p.clone())),
            ..Default::default()
        };
        assert_eq!(
            crate::app::screens::server::last_sync(&fr, &info),
            Some((
                "envoi refusé par le serveur (voir Réglages)".to_owned(),
                true
            ))
        );
        let en = crate::app::i18n::I18n::new(crate::app::i18n::Lang::En);
        let text = crate::app::screens::server::problem_text(&en, &p);
        assert!(
            text.starts_with("The server refuses this tablet's acts"),
            "{text}"
        );

        let refused = SyncError::Transport(TransportError::Refused {
            status: 403,
            reason: "event 7: a technician writes only their own acts".into(),
            server_ms: None,
        });
        let p = problem(&refused, false);
        let text = crate::app::screens::server::problem_text(&fr, &p);
        assert!(
            text.starts_with("Le serveur refuse des actes de cette tablette"),
            "{text}"
        );
        assert!(
            text.contains("event 7: a technician writes only their own acts"),
            "{text}"
        );
        assert!(text.contains("Rien n'est perdu"), "{text}");
        // A replayed request (409 too) is not a fork: said as it is.
        let replay = SyncError::Transport(TransportError::Refused {
            status: 409,
            reason: "this request was already received (a replay)".into(),
            server_ms: None,
        });
        assert!(matches!(
            problem(&replay, false),
            SyncProblem::Refused { status: 409, .. }
        ));
    }

    #[test]
    fn a_used_token_is_told_apart_from_a_server_that_cannot_be_reached() {
        let refused = SyncError::Transport(TransportError::Refused {
            status: 403,
            reason: "this enrolment token is unknown or was already used".into(),
            server_ms: None,
        });
        assert_eq!(problem(&refused, true), SyncProblem::TokenRefused);
        // The same status during a sync is a refusal of what was pushed, said as it is.
        assert_eq!(
            problem(&refused, false),
            SyncProblem::EventsRefused(
                "this enrolment token is unknown or was already used".into()
            )
        );
        let cut = SyncError::Transport(TransportError::Unreachable("connection refused".into()));
        assert_eq!(
            problem(&cut, true),
            SyncProblem::Unreachable("connection refused".into())
        );
        let html = SyncError::Wire(crate::sync::WireError::NotAFrame(vec![0x3c]));
        assert!(matches!(problem(&html, true), SyncProblem::NotTournee(_)));
    }
}
