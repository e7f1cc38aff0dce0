//! The server's logic, whatever the storage and the transport: authenticate a request, enrol
//! a device, check and store a push, answer a pull with the runs of the account's scope.
//!
//! Handlers in `http.rs` only move bytes to and from here; errors carry the status and a
//! reason the device (or an administrator reading logs) can act on.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use super::backend::{
    Backend, BackendError, Claim, DeviceRecord, FactsQuery, Ingest, IngestOutcome, NewEvent, Scope,
    StoredEvent,
};
use super::rights::{self, Facts};
use crate::log::{DeviceId, Event, EventId, Hash, Seal, SignatureBytes, genesis};
use crate::sync::protocol::{
    Endpoint, EnrollReply, EnrollRequest, Envelope, MAX_CLOCK_SKEW_MS, PUSH_HISTORY, Pull,
    PullReply, Push, PushOutcome, Pushed, RefusalsReply, RefusedPush, Role, Run, SyncReply,
    SyncRequest, request_message,
};
use crate::sync::wire;

/// A refusal or failure, with the HTTP status it maps to and a reason in one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {reason}")]
pub struct ApiError {
    pub status: u16,
    pub reason: String,
}

impl ApiError {
    pub fn new(status: u16, reason: impl Into<String>) -> ApiError {
        ApiError {
            status,
            reason: reason.into(),
        }
    }
}

impl From<BackendError> for ApiError {
    fn from(e: BackendError) -> ApiError {
        match e {
            BackendError::Conflict(m) => ApiError::new(409, m),
            e => ApiError::new(500, e.to_string()),
        }
    }
}

impl From<crate::log::ChainError> for ApiError {
    fn from(e: crate::log::ChainError) -> ApiError {
        use crate::log::ChainError;
        match e {
            ChainError::Fork(seq) => ApiError::new(
                409,
                format!("event {seq} differs from the one the server holds (a forked chain)"),
            ),
            e => ApiError::new(400, e.to_string()),
        }
    }
}

impl From<wire::WireError> for ApiError {
    fn from(e: wire::WireError) -> ApiError {
        match e {
            wire::WireError::Version { .. } => ApiError::new(426, e.to_string()),
            e => ApiError::new(400, e.to_string()),
        }
    }
}

/// How long a refused push is kept for the supervisor to see: a month.
pub const REFUSALS_KEPT_MS: u64 = 30 * 24 * 3600 * 1000;

/// Where a technician's refused pushes are kept among the backend's claims.
fn refusals_key(technician: &crate::domain::TechnicianId) -> Vec<u8> {
    format!("refused/{technician}").into_bytes()
}

/// The most events one push may carry, and one pull page may hold.
pub const MAX_PUSH_EVENTS: usize = 20_000;
pub const MAX_PULL_LIMIT: u32 = 20_000;
/// The zstd level of answers: the server compresses for many devices at once.
pub const ANSWER_LEVEL: i32 = 9;

/// Hashes a one-time token for storage: tokens are 128 random bits, so a fast hash is enough
/// (no dictionary to guess from), and a stolen database yields no usable token.
pub fn token_hash(token: &str) -> Hash {
    *blake3::keyed_hash(
        &blake3::hash(b"tournee/v1 token").into(),
        token.trim().as_bytes(),
    )
    .as_bytes()
}

/// A new one-time enrolment token: 128 random bits in hexadecimal.
pub fn new_token() -> String {
    let mut b = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// What one try of a push came to.
enum Tried {
    Done(PushOutcome),
    /// Another copy of the push stored first: these bodies, the ones after `after`, were not
    /// stored and are checked again.
    HeadMoved {
        after: u64,
        bodies: Vec<Vec<u8>>,
    },
}

/// An answer's frame, or a refused push to note before the error goes back.
type Answer = (Vec<u8>, Option<(DeviceRecord, Role, ApiError, u64)>);

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The key under which a request's nonce is claimed in the backend.
fn nonce_key(device: DeviceId, nonce: &[u8; 16]) -> Vec<u8> {
    let mut key = b"nonce/".to_vec();
    key.extend_from_slice(&device.0);
    key.extend_from_slice(nonce);
    key
}

/// How many requests pass between two sweeps of expired nonces.
const PRUNE_EVERY: u64 = 1_024;

/// The sync service over a backend.
pub struct Service {
    backend: Arc<dyn Backend>,
    key: SigningKey,
    /// Requests authenticated since start, to sweep expired nonces now and then.
    requests: AtomicU64,
    /// Whether arrival notices become messages (a gateway is configured).
    queue_messages: std::sync::atomic::AtomicBool,
}

impl Service {
    pub fn new(backend: Arc<dyn Backend>, key: SigningKey) -> Service {
        Service {
            backend,
            key,
            requests: AtomicU64::new(0),
            queue_messages: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// From now on, arrival notices for farmers who opted in are queued as messages (the
    /// server was given a gateway: `notices::run_sender` sends them).
    pub fn queue_messages(&self) {
        self.queue_messages.store(true, Ordering::SeqCst);
    }

    /// Whether a gateway sends farmers their messages.
    pub fn sends_messages(&self) -> bool {
        self.queue_messages.load(Ordering::SeqCst)
    }

    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    /// Creates (or finds) an account and returns a fresh one-time enrolment token for it.
    pub async fn add_account(&self, role: &Role) -> Result<String, ApiError> {
        let token = new_token();
        self.backend.add_account(role, token_hash(&token)).await?;
        Ok(token)
    }

    /// Answers a call: a frame in, a frame out. The work is done in a turn (about a core
    /// each, see [`Backend::turn`]) and made durable after it, once for the request's nonce
    /// and events together: no answer leaves before what it says is on disk.
    pub async fn handle(&self, endpoint: Endpoint, frame: &[u8]) -> Result<Vec<u8>, ApiError> {
        let turn = self.backend.turn().await?;
        let answer = self.answer(endpoint, frame).await;
        drop(turn);
        self.backend.settle().await?;
        let (answer, refused) = answer?;
        if let Some((record, role, e, now)) = refused {
            self.note_refusal(&record, &role, &e, now).await;
            return Err(e);
        }
        Ok(answer)
    }

    /// The work of [`Service::handle`]: the answer, or a refused push to note.
    async fn answer(&self, endpoint: Endpoint, frame: &[u8]) -> Result<Answer, ApiError> {
        let envelope: Envelope = wire::decode(frame)?;
        let now = now_ms();
        if envelope.issued_ms.abs_diff(now) > MAX_CLOCK_SKEW_MS {
            return Err(ApiError::new(
                401,
                format!(
                    "the request's time is {} s from the server's clock: set the device's clock",
                    envelope.issued_ms.abs_diff(now) / 1000
                ),
            ));
        }
        match endpoint {
            Endpoint::Enroll => {
                let request: EnrollRequest = postcard::from_bytes(&envelope.body)
                    .map_err(|e| ApiError::new(400, format!("enrol request: {e}")))?;
                self.authenticate(&envelope, &request.public_key, endpoint, now)
                    .await?;
                let reply = self.enroll(request).await?;
                Ok((wire::encode_with(&reply, |_| ANSWER_LEVEL)?, None))
            }
            Endpoint::Sync | Endpoint::Refusals => {
                let (record, role) =
                    self.backend.device(envelope.device).await?.ok_or_else(|| {
                        ApiError::new(401, "unknown device: enrol it first (tournee enroll)")
                    })?;
                self.authenticate(&envelope, &record.public_key, endpoint, now)
                    .await?;
                if endpoint == Endpoint::Refusals {
                    let reply = self.refusals(&role, now).await?;
                    return Ok((wire::encode_with(&reply, |_| ANSWER_LEVEL)?, None));
                }
                let request: SyncRequest = postcard::from_bytes(&envelope.body)
                    .map_err(|e| ApiError::new(400, format!("sync request: {e}")))?;
                match self.sync(&record, &role, request).await {
                    Ok(reply) => Ok((wire::encode_with(&reply, |_| ANSWER_LEVEL)?, None)),
                    Err(e) => Ok((Vec::new(), Some((record, role, e, now)))),
                }
            }
        }
    }

    /// Keeps a refused push (a forked chain, an event not the account's to write) for the
    /// technician's supervisor to see: the last refusal of each of the technician's devices,
    /// for [`REFUSALS_KEPT_MS`]. Best effort: the device is refused whether or not it is kept.
    async fn note_refusal(&self, record: &DeviceRecord, role: &Role, e: &ApiError, now: u64) {
        let Role::Technician { id, .. } = role else {
            return;
        };
        let refused = e.status == 403 || (e.status == 409 && e.reason.contains("forked chain"));
        if !refused {
            return;
        }
        let key = refusals_key(id);
        let mut kept = self.refused_pushes(&key, now).await;
        kept.retain(|r| r.device != record.device);
        kept.push(RefusedPush {
            technician: id.clone(),
            device: record.device,
            label: record.label.clone(),
            status: e.status,
            reason: e.reason.chars().take(500).collect(),
            at_ms: now,
        });
        let Ok(value) = serde_json::to_vec(&kept) else {
            return;
        };
        // A claim holds one value: the list is written again whole.
        if self.backend.release(&key).await.is_err() {
            return;
        }
        let claim = Claim {
            key: &key,
            value: &value,
            expires_ms: now + REFUSALS_KEPT_MS,
        };
        let _ = self.backend.claim(claim, now).await;
    }

    /// The refused pushes kept under `key` (one technician's).
    async fn refused_pushes(&self, key: &[u8], now: u64) -> Vec<RefusedPush> {
        match self.backend.claimed(key, now).await {
            Ok(Some(bytes)) => serde_json::from_slice(&bytes).unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// A supervisor's question: the refused pushes of the team's technicians, newest first.
    async fn refusals(&self, role: &Role, now: u64) -> Result<RefusalsReply, ApiError> {
        let Role::Supervisor { team, .. } = role else {
            return Err(ApiError::new(
                403,
                "only a supervisor's account sees the team's refused pushes",
            ));
        };
        let mut refused = Vec::new();
        for t in team {
            refused.extend(self.refused_pushes(&refusals_key(t), now).await);
        }
        refused.sort_by_key(|r| std::cmp::Reverse(r.at_ms));
        Ok(RefusalsReply { refused })
    }

    async fn authenticate(
        &self,
        envelope: &Envelope,
        public_key: &[u8; 32],
        endpoint: Endpoint,
        now: u64,
    ) -> Result<(), ApiError> {
        let refused = || ApiError::new(401, "the request's signature does not match the device");
        if DeviceId::of_key(public_key) != envelope.device {
            return Err(refused());
        }
        let key = VerifyingKey::from_bytes(public_key).map_err(|_| refused())?;
        let message = request_message(
            endpoint,
            envelope.issued_ms,
            &envelope.nonce,
            &envelope.body,
        );
        key.verify_strict(&message, &Signature::from_bytes(&envelope.signature.0))
            .map_err(|_| refused())?;
        // Kept in the backend, durably, for as long as the request's time is accepted: a
        // request captured and replayed after a restart (even a kill -9) is refused too.
        // Outside that window the request's time is refused.
        let key = nonce_key(envelope.device, &envelope.nonce);
        let claim = Claim {
            key: &key,
            value: &[],
            expires_ms: now.max(envelope.issued_ms) + 2 * MAX_CLOCK_SKEW_MS,
        };
        let fresh = self.backend.claim_unsettled(claim, now).await?;
        if self.requests.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.backend.prune_claims(now).await?;
        }
        if !fresh {
            return Err(ApiError::new(
                409,
                "this request was already received (a replay)",
            ));
        }
        Ok(())
    }

    async fn enroll(&self, request: EnrollRequest) -> Result<EnrollReply, ApiError> {
        let label: String = request.label.chars().take(100).collect();
        let record = DeviceRecord {
            device: DeviceId::of_key(&request.public_key),
            public_key: request.public_key,
            account: String::new(),
            label,
        };
        let role = self
            .backend
            .redeem(token_hash(&request.token), record)
            .await?
            .ok_or_else(|| {
                ApiError::new(403, "this enrolment token is unknown or was already used")
            })?;
        Ok(EnrollReply {
            role,
            server_key: self.key.verifying_key().to_bytes(),
        })
    }

    async fn sync(
        &self,
        record: &DeviceRecord,
        role: &Role,
        request: SyncRequest,
    ) -> Result<SyncReply, ApiError> {
        let push = match request.push {
            Some(p) => Some(self.push(record, role, p).await?),
            None => None,
        };
        let head = self
            .backend
            .head(record.device)
            .await?
            .map_or(0, |(s, _)| s);
        let pull = match request.pull {
            Some(p) => Some(self.pull(record, role, p).await?),
            None => None,
        };
        Ok(SyncReply { head, push, pull })
    }

    async fn push(
        &self,
        record: &DeviceRecord,
        role: &Role,
        push: Push,
    ) -> Result<PushOutcome, ApiError> {
        let head = self
            .backend
            .head(record.device)
            .await?
            .map_or(0, |(s, _)| s);
        if push.after > head {
            return Ok(PushOutcome::Resume);
        }
        let bodies: Vec<Vec<u8>> = match push.events {
            Pushed::Plain(bodies) => bodies,
            Pushed::Packed { history, bytes } => {
                let history = u64::from(history.min(PUSH_HISTORY));
                if history > push.after {
                    return Err(ApiError::new(
                        400,
                        format!(
                            "a history of {history} events before event {}",
                            push.after + 1
                        ),
                    ));
                }
                let bodies = self
                    .backend
                    .bodies(record.device, push.after + 1 - history, push.after)
                    .await?;
                crate::sync::columns::unpack(&bodies, &bytes).map_err(|e| {
                    ApiError::new(400, format!("packed events against the history: {e}"))
                })?
            }
        };
        if bodies.len() > MAX_PUSH_EVENTS {
            return Err(ApiError::new(
                413,
                format!(
                    "{} events in one push: at most {MAX_PUSH_EVENTS}",
                    bodies.len()
                ),
            ));
        }
        // A concurrent copy of the same push (a retry racing the original) may store first:
        // then check again against the new head what was not stored.
        let (mut after, mut bodies) = (push.after, bodies);
        for _ in 0..5 {
            match self
                .try_push(record, role, after, bodies, &push.signature)
                .await?
            {
                Tried::Done(outcome) => return Ok(outcome),
                Tried::HeadMoved {
                    after: a,
                    bodies: b,
                } => (after, bodies) = (a, b),
            }
        }
        Err(ApiError::new(
            503,
            "the device's chain keeps moving: try again",
        ))
    }

    async fn try_push(
        &self,
        record: &DeviceRecord,
        role: &Role,
        after: u64,
        pushed: Vec<Vec<u8>>,
        signature: &SignatureBytes,
    ) -> Result<Tried, ApiError> {
        let device = record.device;
        let (head, head_hash) = self
            .backend
            .head(device)
            .await?
            .unwrap_or((0, genesis(device)));
        if after > head {
            return Ok(Tried::Done(PushOutcome::Resume));
        }
        if pushed.is_empty() {
            return Ok(Tried::Done(PushOutcome::Stored { new: 0 }));
        }
        let last_seq = after + pushed.len() as u64;
        // The hashes the server holds for the part of the batch it already has.
        let known: BTreeMap<u64, Hash> = if after < head {
            self.backend
                .hashes(device, after.max(1), head.min(last_seq))
                .await?
                .into_iter()
                .collect()
        } else {
            BTreeMap::new()
        };
        let start = if after == 0 {
            genesis(device)
        } else if after == head {
            head_hash
        } else {
            *known
                .get(&after)
                .ok_or_else(|| ApiError::new(500, "the server lost part of a chain"))?
        };
        // The same walk as the tablet's merge: one rule for what a chain is.
        let walked = crate::log::walk(device, start, after + 1, pushed, |seq| {
            if seq > head {
                return Ok(None);
            }
            known
                .get(&seq)
                .copied()
                .map(Some)
                .ok_or_else(|| ApiError::new(500, "the server lost part of a chain"))
        })?;
        let last = EventId {
            device,
            seq: last_seq,
        };
        crate::log::verify_seal(
            &record.public_key,
            last,
            &walked.head,
            &Seal::Device(*signature),
            &[],
        )
        .map_err(|_| {
            ApiError::new(
                403,
                "the events' signature does not match this device's chain (signed by \
                 another device, or altered)",
            )
        })?;
        let fresh: Vec<(Event, Vec<u8>, Hash)> = walked
            .events
            .into_iter()
            .filter(|c| !c.known)
            .map(|c| (c.event, c.body, c.hash))
            .collect();
        if fresh.is_empty() {
            return Ok(Tried::Done(PushOutcome::Stored { new: 0 }));
        }
        // Rights, event by event, with what the batch itself records.
        let mut visits = BTreeSet::new();
        let mut acts = BTreeSet::new();
        let mut farms = BTreeSet::new();
        for (e, _, _) in &fresh {
            rights::references(&e.payload, &mut visits, &mut acts);
            if let Some(f) = rights::farm_named(&e.payload) {
                farms.insert(f.clone());
            }
        }
        let query = FactsQuery {
            visits: visits.into_iter().collect(),
            acts: acts.into_iter().collect(),
            farms: farms.into_iter().collect(),
            technicians: rights::technicians_of(role),
        };
        let mut got = self.backend.facts(&query).await?;
        // A declaration names acts only: the rights need their visits too.
        let visits_of_acts: Vec<_> = got
            .acts
            .values()
            .filter(|v| !got.visits.contains_key(*v))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if !visits_of_acts.is_empty() {
            let more = self
                .backend
                .facts(&FactsQuery {
                    visits: visits_of_acts,
                    ..FactsQuery::default()
                })
                .await?;
            got.visits.extend(more.visits);
        }
        let mut facts = Facts {
            visits: got.visits,
            acts: got.acts,
            farms_with_visits: got.farms_with_visits.into_iter().collect(),
            granted: got.granted.into_iter().collect(),
        };
        let mut events = Vec::with_capacity(fresh.len());
        let mut effects = rights::Effects::default();
        let mut arrivals = Vec::new();
        for (event, body, hash) in fresh {
            let (tags, fx) = rights::check(role, &facts, &event.payload).map_err(|reason| {
                ApiError::new(
                    403,
                    format!(
                        "event {} ({}) refused for {}: {reason}",
                        event.id.seq,
                        event.payload.name(),
                        record.account
                    ),
                )
            })?;
            facts.apply(&fx);
            if let crate::domain::Payload::ArrivalExpected { visit, window } = &event.payload
                && let Some(v) = facts.visits.get(visit)
            {
                arrivals.push(super::notices::PushedWindow {
                    event: event.id,
                    farm: v.farm.clone(),
                    visit: visit.clone(),
                    window: *window,
                });
            }
            effects.visits.extend(fx.visits);
            effects.assignments.extend(fx.assignments);
            effects.grants.extend(fx.grants);
            effects.acts.extend(fx.acts);
            events.push(NewEvent {
                seq: event.id.seq,
                hash,
                body,
                tags,
            });
        }
        // Before storing: a crash between the two leaves the push to be sent again, and the
        // notices skip what they handled already; after, a crash would lose the message.
        if !arrivals.is_empty() {
            super::notices::pushed(
                self.backend.as_ref(),
                &arrivals,
                self.queue_messages.load(Ordering::SeqCst),
            )
            .await?;
        }
        let new = events.len() as u32;
        let outcome = self
            .backend
            .ingest_unsettled(Ingest {
                device,
                author: record.account.clone(),
                expected_head: head,
                events,
                signature: signature.0,
                effects,
            })
            .await?;
        Ok(match outcome {
            IngestOutcome::Stored => Tried::Done(PushOutcome::Stored { new }),
            IngestOutcome::HeadMoved(bodies) => Tried::HeadMoved {
                after: last_seq - bodies.len() as u64,
                bodies,
            },
        })
    }

    async fn pull(
        &self,
        record: &DeviceRecord,
        role: &Role,
        pull: Pull,
    ) -> Result<PullReply, ApiError> {
        let limit = pull.limit.clamp(1, MAX_PULL_LIMIT) as usize;
        let technicians = rights::technicians_of(role);
        let scope = Scope {
            author: record.account.clone(),
            technicians: technicians.clone(),
            farm: match role {
                Role::Farmer { farm } => Some(farm.clone()),
                _ => None,
            },
        };
        // A store rebuilt by `recover` asks for its own events too, so what it lost comes
        // back; otherwise they are left out: the device wrote them.
        let exclude = if pull.own {
            DeviceId([0; 16])
        } else {
            record.device
        };
        let page = self
            .backend
            .read(&scope, pull.cursor, exclude, limit)
            .await?;
        let mut events = page.events;
        // Farms that came into scope since the cursor: their history before it.
        if !technicians.is_empty() {
            let farms = self
                .backend
                .new_grants(&technicians, pull.cursor, page.next)
                .await?;
            if !farms.is_empty() {
                events.extend(
                    self.backend
                        .farm_events(&farms, pull.cursor, exclude)
                        .await?,
                );
            }
        }
        let runs = self.runs(events).await?;
        Ok(PullReply {
            runs,
            cursor: page.next.max(pull.cursor),
            more: page.more,
        })
    }

    /// Groups events into runs of consecutive events per device, each with the hash before
    /// it and a seal: the device's signature where it signed, else the server's witness.
    async fn runs(&self, mut events: Vec<StoredEvent>) -> Result<Vec<Run>, ApiError> {
        events.sort_by_key(|e| (e.device, e.seq));
        events.dedup_by_key(|e| (e.device, e.seq));
        let mut keys: HashMap<DeviceId, [u8; 32]> = HashMap::new();
        let mut runs: Vec<(crate::sync::Cursor, Run)> = Vec::new();
        let mut i = 0;
        while i < events.len() {
            let mut j = i + 1;
            while j < events.len()
                && events[j].device == events[i].device
                && events[j].seq == events[j - 1].seq + 1
            {
                j += 1;
            }
            let (first, last) = (&events[i], &events[j - 1]);
            let device = first.device;
            let key = match keys.get(&device) {
                Some(k) => *k,
                None => {
                    let k = self.device_key(device).await?;
                    keys.insert(device, k);
                    k
                }
            };
            let prev = if first.seq == 1 {
                None
            } else {
                let h = self
                    .backend
                    .hashes(device, first.seq - 1, first.seq - 1)
                    .await?;
                Some(
                    h.first()
                        .map(|(_, h)| *h)
                        .ok_or_else(|| ApiError::new(500, "the server lost part of a chain"))?,
                )
            };
            let seal = match self.backend.signature(device, last.seq).await? {
                Some(sig) => Seal::Device(SignatureBytes(sig)),
                None => {
                    let id = EventId {
                        device,
                        seq: last.seq,
                    };
                    let message = crate::log::witness_message(&id, &last.hash);
                    Seal::Witness {
                        key: self.key.verifying_key().to_bytes(),
                        signature: SignatureBytes(self.key.sign(&message).to_bytes()),
                    }
                }
            };
            let earliest = events[i..j]
                .iter()
                .map(|e| e.cursor)
                .min()
                .unwrap_or_default();
            runs.push((
                earliest,
                Run {
                    key,
                    first: first.seq,
                    prev,
                    bodies: events[i..j].iter().map(|e| e.body.clone()).collect(),
                    seal,
                },
            ));
            i = j;
        }
        // In the order the server received them, so a device applies causes before effects
        // (its projections give the same result either way, but sooner right).
        runs.sort_by_key(|(c, _)| *c);
        Ok(runs.into_iter().map(|(_, r)| r).collect())
    }

    async fn device_key(&self, device: DeviceId) -> Result<[u8; 32], ApiError> {
        Ok(self
            .backend
            .device(device)
            .await?
            .ok_or_else(|| ApiError::new(500, format!("events of unknown device {device}")))?
            .0
            .public_key)
    }
}
