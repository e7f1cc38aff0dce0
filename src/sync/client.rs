//! The device's side of sync: enrolment, then `sync_once` pushes this device's events the
//! server has not acknowledged, in batches, and pulls what changed in the account's scope,
//! merging it into the store. Every step is durable before the next: a cut connection, a
//! killed app or a flat battery loses nothing and resumes where it stopped.
//!
//! Blocking and free of any async runtime: the app calls it from a background thread. How the
//! bytes travel is a [`Transport`] (HTTP in `http.rs`); nothing here knows HTTP.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::SyncError;
use super::protocol::{
    Cursor, Endpoint, EnrollReply, EnrollRequest, Envelope, Pull, Push, PushOutcome, Pushed,
    RefusalsReply, RefusalsRequest, RefusedPush, Role, SyncReply, SyncRequest, push_history,
    request_message,
};
use super::wire;
use crate::domain::Payload;
use crate::log::{SignatureBytes, Store};

/// An answer from the server, with its clock when the transport saw one.
#[derive(Debug, Clone)]
pub struct Reply {
    pub frame: Vec<u8>,
    pub server_ms: Option<u64>,
}

/// Why a call did not get an answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TransportError {
    /// No answer: no network, connection cut, timeout. Try again later.
    #[error("the server cannot be reached: {0}")]
    Unreachable(String),
    /// The server refused the request, saying why.
    #[error("the server refused ({status}): {reason}")]
    Refused {
        status: u16,
        reason: String,
        server_ms: Option<u64>,
    },
}

/// Carries a frame to one of the server's calls and brings the answer back.
pub trait Transport {
    fn post(&self, endpoint: Endpoint, frame: Vec<u8>) -> Result<Reply, TransportError>;
}

/// What enrolment saved in the store: the server, the account, the server's witness key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credentials {
    pub server: String,
    pub role: Role,
    pub server_key: [u8; 32],
}

/// How far sync got, saved after every round trip.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// The last event of this device the server said it holds.
    pub acknowledged: u64,
    /// Where the next pull starts.
    pub cursor: Cursor,
    /// The server's clock minus ours, as last seen (requests carry the server's time).
    pub clock_offset_ms: i64,
}

const CREDENTIALS: &str = "sync/credentials";
const PROGRESS: &str = "sync/progress";
/// Present while a store rebuilt by `recover` pulls its own events back from the server.
const RESTORING_OWN: &str = "sync/restoring-own";

/// What one `sync_once` moved.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SyncReport {
    /// This device's events the server stored for the first time.
    pub pushed: u64,
    /// Events of other devices merged into the store for the first time.
    pub pulled: u64,
    pub round_trips: u32,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// Events still waiting to reach the server (0 after a complete sync).
    pub waiting: u64,
}

/// Where the device stands, for the screen: "everything is on the server" or "N waiting".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    pub enrolled: bool,
    /// This device's events the server has not acknowledged.
    pub waiting_events: u64,
    /// Of which acts recorded or corrected.
    pub waiting_acts: u64,
}

impl SyncStatus {
    pub fn everything_on_server(&self) -> bool {
        self.waiting_events == 0
    }
}

/// The device's sync client.
pub struct SyncClient<T> {
    transport: T,
    /// Events per push request: small enough that a request on a slow link ends before the
    /// link drops, large enough to compress well.
    pub push_batch: usize,
    /// Events per pull answer.
    pub pull_limit: u32,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn load<T: for<'de> Deserialize<'de>>(store: &Store, name: &str) -> Result<Option<T>, SyncError> {
    match store.setting(name)? {
        None => Ok(None),
        Some(b) => postcard::from_bytes(&b)
            .map(Some)
            .map_err(|e| SyncError::Corrupt(format!("setting {name}: {e}"))),
    }
}

fn save<T: Serialize>(store: &Store, name: &str, value: &T) -> Result<(), SyncError> {
    let b = postcard::to_allocvec(value).map_err(|e| SyncError::Corrupt(e.to_string()))?;
    Ok(store.set_setting(name, &b)?)
}

/// Makes the next sync pull everything again from the start (after `recover`): events the
/// store already holds are skipped, the rest (its own included) come back.
pub fn forget_progress(store: &Store) -> Result<(), SyncError> {
    let mut progress: Progress = load(store, PROGRESS)?.unwrap_or_default();
    progress.cursor = Cursor::default();
    store.set_setting(RESTORING_OWN, &[1])?;
    save(store, PROGRESS, &progress)
}

/// The saved credentials, if the device is enrolled.
pub fn credentials(store: &Store) -> Result<Option<Credentials>, SyncError> {
    load(store, CREDENTIALS)
}

/// How far sync got (what the server acknowledged, the pull cursor).
pub fn progress(store: &Store) -> Result<Progress, SyncError> {
    Ok(load(store, PROGRESS)?.unwrap_or_default())
}

/// Where this device stands: enrolled or not, and what waits to reach the server.
pub fn status(store: &Store) -> Result<SyncStatus, SyncError> {
    let enrolled = credentials(store)?.is_some();
    let progress: Progress = load(store, PROGRESS)?.unwrap_or_default();
    let head = store.head(store.device())?.map_or(0, |(s, _)| s);
    let mut status = SyncStatus {
        enrolled,
        waiting_events: head.saturating_sub(progress.acknowledged),
        waiting_acts: 0,
    };
    let mut after = progress.acknowledged;
    while after < head {
        let events = store.events_after(store.device(), after, 1_000)?;
        let Some(last) = events.last() else { break };
        after = last.id.seq;
        status.waiting_acts += events
            .iter()
            .filter(|e| {
                matches!(
                    e.payload,
                    Payload::ActRecorded(_) | Payload::ActCorrected { .. }
                )
            })
            .count() as u64;
    }
    Ok(status)
}

impl<T: Transport> SyncClient<T> {
    pub fn new(transport: T) -> SyncClient<T> {
        SyncClient {
            transport,
            push_batch: 5_000,
            pull_limit: 5_000,
        }
    }

    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Signs and sends a request; on a refusal for the clock, takes the server's time and
    /// tries once more.
    fn call<Req: Serialize, Ans: for<'de> Deserialize<'de>>(
        &self,
        store: &Store,
        endpoint: Endpoint,
        request: &Req,
        compressed: bool,
        progress: &mut Progress,
        report: &mut SyncReport,
    ) -> Result<Ans, SyncError> {
        let body = postcard::to_allocvec(request).map_err(|e| SyncError::Corrupt(e.to_string()))?;
        for attempt in 0..2 {
            let sent_at = now_ms();
            let issued_ms = sent_at.saturating_add_signed(progress.clock_offset_ms);
            let mut nonce = [0u8; 16];
            rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut nonce);
            let signature =
                store.sign_request(&request_message(endpoint, issued_ms, &nonce, &body))?;
            let envelope = Envelope {
                device: store.device(),
                issued_ms,
                nonce,
                signature: SignatureBytes(signature),
                body: body.clone(),
            };
            // A packed push is compressed already: compressing it again costs time, saves nothing.
            let frame = if compressed {
                wire::encode_raw(&envelope)?
            } else {
                wire::encode(&envelope)?
            };
            report.bytes_sent += frame.len() as u64;
            report.round_trips += 1;
            match self.transport.post(endpoint, frame) {
                Ok(reply) => {
                    report.bytes_received += reply.frame.len() as u64;
                    if let Some(server_ms) = reply.server_ms {
                        progress.clock_offset_ms = server_ms as i64 - now_ms() as i64;
                    }
                    return Ok(wire::decode(&reply.frame)?);
                }
                Err(TransportError::Refused {
                    status: 401,
                    server_ms: Some(server_ms),
                    ..
                }) if attempt == 0
                    && server_ms.abs_diff(issued_ms) > super::protocol::MAX_CLOCK_SKEW_MS =>
                {
                    progress.clock_offset_ms = server_ms as i64 - now_ms() as i64;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(SyncError::Protocol(
            "the server refused our clock twice".into(),
        ))
    }

    /// Registers this device with the server, using a one-time token, and saves the
    /// credentials in the store. Returns the account's role.
    pub fn enroll(
        &self,
        store: &Store,
        server: &str,
        token: &str,
        label: &str,
    ) -> Result<Role, SyncError> {
        if credentials(store)?.is_some() {
            return Err(SyncError::AlreadyEnrolled);
        }
        let request = EnrollRequest {
            token: token.to_owned(),
            public_key: store.public_key(),
            label: label.to_owned(),
        };
        let mut progress = Progress::default();
        let mut report = SyncReport::default();
        let reply: EnrollReply = self.call(
            store,
            Endpoint::Enroll,
            &request,
            false,
            &mut progress,
            &mut report,
        )?;
        store.trust_witness_key(reply.server_key)?;
        save(
            store,
            CREDENTIALS,
            &Credentials {
                server: server.to_owned(),
                role: reply.role.clone(),
                server_key: reply.server_key,
            },
        )?;
        save(store, PROGRESS, &progress)?;
        Ok(reply.role)
    }

    /// The pushes the server refused of the team's devices (a forked chain, an event not the
    /// account's to write), newest first: a supervisor's account only.
    pub fn refusals(&self, store: &Store) -> Result<Vec<RefusedPush>, SyncError> {
        if credentials(store)?.is_none() {
            return Err(SyncError::NotEnrolled);
        }
        let mut progress = progress(store)?;
        let mut report = SyncReport::default();
        let reply: RefusalsReply = self.call(
            store,
            Endpoint::Refusals,
            &RefusalsRequest,
            false,
            &mut progress,
            &mut report,
        )?;
        Ok(reply.refused)
    }

    /// Pushes what the server lacks and pulls what changed, until both are done. Each round
    /// trip is saved before the next, so an error (no network) loses nothing: call again.
    pub fn sync_once(&self, store: &Store) -> Result<SyncReport, SyncError> {
        if credentials(store)?.is_none() {
            return Err(SyncError::NotEnrolled);
        }
        let mut progress: Progress = load(store, PROGRESS)?.unwrap_or_default();
        let mut report = SyncReport::default();
        let own_device = store.device();
        let mut pulling = true;
        let restoring_own = store.setting(RESTORING_OWN)?.is_some();
        // While the server stores one push, the next is read and packed on another thread;
        // while it reads the next page of a pull, the last one is merged on another thread.
        // The saved cursor only ever covers pages merged.
        std::thread::scope(|scope| -> Result<(), SyncError> {
            let mut next: Option<(u64, std::thread::ScopedJoinHandle<'_, _>)> = None;
            let mut asked = progress.cursor;
            let mut merging: Merging<'_> = None;
            loop {
                let head = store.head(own_device)?.map_or(0, |(s, _)| s);
                let after = progress.acknowledged;
                let push = match next.take() {
                    Some((from, ready)) if from == after => ready
                        .join()
                        .map_err(|_| SyncError::Corrupt("packing a push failed".into()))??,
                    _ => prepare_push(store, after, head, self.push_batch)?,
                };
                if let Some(p) = &push {
                    let last = p.after + p.len;
                    if last < head {
                        let batch = self.push_batch;
                        next = Some((
                            last,
                            scope.spawn(move || prepare_push(store, last, head, batch)),
                        ));
                    }
                }
                let push = push.map(|p| p.push);
                let pull = pulling.then_some(Pull {
                    cursor: asked,
                    limit: self.pull_limit,
                    own: restoring_own,
                });
                if push.is_none() && pull.is_none() {
                    break;
                }
                let pushed = push.is_some();
                let compressed = matches!(
                    push,
                    Some(Push {
                        events: Pushed::Packed { .. },
                        ..
                    })
                );
                let request = SyncRequest { push, pull };
                let reply = self.call::<_, SyncReply>(
                    store,
                    Endpoint::Sync,
                    &request,
                    compressed,
                    &mut progress,
                    &mut report,
                );
                // The page merged meanwhile counts even when this round trip failed: the next
                // sync goes on after it.
                settle(&mut merging, &mut progress, &mut report)?;
                let reply = match reply {
                    Ok(reply) => reply,
                    Err(e) => {
                        save(store, PROGRESS, &progress)?;
                        return Err(e);
                    }
                };
                match reply.push {
                    Some(PushOutcome::Stored { new }) => report.pushed += u64::from(new),
                    Some(PushOutcome::Resume) => {}
                    None if pushed => {
                        return Err(SyncError::Protocol("the server ignored the push".into()));
                    }
                    None => {}
                }
                progress.acknowledged = reply.head;
                if let Some(pull) = reply.pull {
                    asked = pull.cursor;
                    pulling = pull.more;
                    if pulling {
                        let runs = pull.runs;
                        merging = Some((pull.cursor, scope.spawn(move || merge_runs(store, runs))));
                    } else {
                        report.pulled += merge_runs(store, pull.runs)?;
                        progress.cursor = pull.cursor;
                    }
                } else {
                    pulling = false;
                }
                // A store rebuilt by `recover` takes back its own events the server holds; past
                // that, the store must hold all of them.
                let held = store.head(own_device)?.map_or(0, |(s, _)| s);
                if reply.head > held && !pulling {
                    return Err(SyncError::Protocol(format!(
                        "the server holds {} events of this device, the store only {held}: \
                     was the store restored from an old copy?",
                        reply.head
                    )));
                }
                save(store, PROGRESS, &progress)?;
                if restoring_own && !pulling {
                    store.remove_setting(RESTORING_OWN)?;
                }
            }
            settle(&mut merging, &mut progress, &mut report)?;
            save(store, PROGRESS, &progress)
        })?;
        if let Some(gap) = store.gap_after(own_device, progress.acknowledged) {
            return Err(SyncError::Gap(gap));
        }
        report.waiting = store
            .head(own_device)?
            .map_or(0, |(s, _)| s)
            .saturating_sub(progress.acknowledged);
        Ok(report)
    }
}

/// A pull's page being merged on another thread, and the cursor after it.
type Merging<'scope> = Option<(
    Cursor,
    std::thread::ScopedJoinHandle<'scope, Result<u64, SyncError>>,
)>;

/// Waits for the page being merged: its events count as pulled, its cursor as reached.
fn settle(
    merging: &mut Merging<'_>,
    progress: &mut Progress,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    if let Some((cursor, merged)) = merging.take() {
        report.pulled += merged
            .join()
            .map_err(|_| SyncError::Corrupt("merging a pull failed".into()))??;
        progress.cursor = cursor;
    }
    Ok(())
}

/// Merges a pull's runs in order: the events newly stored.
fn merge_runs(store: &Store, runs: Vec<super::protocol::Run>) -> Result<u64, SyncError> {
    let mut merged = 0;
    for run in runs {
        merged += store.merge_run(run.key, run.prev, run.first, run.bodies, run.seal)? as u64;
    }
    Ok(merged)
}

/// A push ready to send: this device's events `after + 1 ..= after + len`.
struct Prepared {
    after: u64,
    len: u64,
    push: Push,
}

/// Reads, signs and packs this device's events after `after` (at most `batch`, none past
/// `head`), against the acknowledged history before them.
fn prepare_push(
    store: &Store,
    after: u64,
    head: u64,
    batch: usize,
) -> Result<Option<Prepared>, SyncError> {
    if after >= head {
        return Ok(None);
    }
    let own_device = store.device();
    let want = usize::try_from(head - after).map_or(batch, |n| n.min(batch));
    let bodies = store.bodies_after(own_device, after, want)?;
    if bodies.is_empty() {
        // A hole in the own chain: `sync_once` says so once the pull is done.
        return Ok(None);
    }
    let len = bodies.len() as u64;
    let last = after + len;
    let signature = SignatureBytes(store.sign_own(last)?);
    let history = after.min(u64::from(push_history(bodies.len()))) as u32;
    let events = if history == 0 {
        Pushed::Plain(bodies)
    } else {
        let acknowledged =
            store.bodies_after(own_device, after - u64::from(history), history as usize)?;
        let level = wire::level(bodies.iter().map(Vec::len).sum());
        Pushed::Packed {
            history,
            bytes: super::columns::pack(&acknowledged, &bodies, level)
                .map_err(|e| SyncError::Corrupt(e.to_string()))?,
        }
    };
    Ok(Some(Prepared {
        after,
        len,
        push: Push {
            after,
            events,
            signature,
        },
    }))
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::domain::TechnicianId;

    /// A server an hour ahead: refuses the first request for its clock, answers the second.
    struct AheadServer {
        seen: RefCell<Vec<u64>>,
        ahead_ms: u64,
    }

    impl Transport for AheadServer {
        fn post(&self, _: Endpoint, frame: Vec<u8>) -> Result<Reply, TransportError> {
            let envelope: Envelope = wire::decode(&frame).unwrap();
            self.seen.borrow_mut().push(envelope.issued_ms);
            let server_ms = now_ms() + self.ahead_ms;
            if envelope.issued_ms.abs_diff(server_ms) > super::super::protocol::MAX_CLOCK_SKEW_MS {
                return Err(TransportError::Refused {
                    status: 401,
                    reason: "clock".into(),
                    server_ms: Some(server_ms),
                });
            }
            let reply = EnrollReply {
                role: Role::Technician {
                    id: TechnicianId::parse("t", "T01").unwrap(),
                    name: "Julie".into(),
                },
                server_key: [3; 32],
            };
            Ok(Reply {
                frame: wire::encode(&reply).unwrap(),
                server_ms: Some(server_ms),
            })
        }
    }

    #[test]
    fn a_device_whose_clock_is_an_hour_behind_takes_the_servers_time_and_retries_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let server = AheadServer {
            seen: RefCell::new(Vec::new()),
            ahead_ms: 3_600_000,
        };
        let client = SyncClient::new(server);
        let role = client
            .enroll(&store, "http://x", "token", "tablet")
            .unwrap();
        assert!(matches!(role, Role::Technician { .. }));
        let seen = client.transport().seen.borrow().clone();
        assert_eq!(seen.len(), 2);
        // the retry carries the server's time: an hour later than the first, give or take
        let shift = seen[1] - seen[0];
        assert!((3_590_000..3_610_000).contains(&shift), "{shift}");
        assert_eq!(store.witness_keys().unwrap(), vec![[3; 32]]);
        // the offset is kept for the next requests
        let progress = progress(&store).unwrap();
        assert!(
            (3_590_000..3_610_000).contains(&progress.clock_offset_ms),
            "{progress:?}"
        );
    }

    #[test]
    fn status_counts_what_waits_and_acts_among_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .import(&crate::demo::week(
                chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            ))
            .unwrap();
        let s = status(&store).unwrap();
        assert!(!s.enrolled);
        let head = store.head(store.device()).unwrap().unwrap().0;
        assert_eq!(s.waiting_events, head);
        let acts = store
            .events_after(store.device(), 0, 100_000)
            .unwrap()
            .iter()
            .filter(|e| matches!(e.payload, Payload::ActRecorded(_)))
            .count() as u64;
        assert!(acts > 0);
        assert_eq!(s.waiting_acts, acts);
        assert!(!s.everything_on_server());
    }
}
