//! What the server stores, behind one trait with two implementations: sled (`sled_store.rs`,
//! one folder, no setup) and PostgreSQL (`postgres.rs`). Both pass the same test suite.
//!
//! A backend only stores and reads; it decides nothing. Rights, scope and chain checks are the
//! service's (`service.rs`), so both backends enforce the same rules by construction.

use std::collections::HashMap;
use std::future::Future;

use crate::domain::{ActId, Ede, TechnicianId, VisitId};
use crate::log::{DeviceId, Hash};
use crate::sync::{Cursor, Role};

use super::rights::{Effects, Tags, VisitFacts};

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("storage: {0}")]
    Storage(String),
    #[error("stored data does not decode: {0}")]
    Corrupt(String),
    /// A unique thing that exists already (an account id, a device).
    #[error("{0}")]
    Conflict(String),
}

/// A device enrolled on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    pub device: DeviceId,
    pub public_key: [u8; 32],
    pub account: String,
    pub label: String,
}

/// An event to store: its place in the device's chain, its encoded body, who may read it.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub seq: u64,
    pub hash: Hash,
    pub body: Vec<u8>,
    pub tags: Tags,
}

/// A pushed batch, checked, ready to store in one transaction.
#[derive(Debug, Clone)]
pub struct Ingest {
    pub device: DeviceId,
    /// The account of the device (the author of the events).
    pub author: String,
    /// The device's head the checks were made against: if it moved meanwhile (the same
    /// batch sent twice at once), nothing is stored and the service checks again.
    pub expected_head: u64,
    pub events: Vec<NewEvent>,
    /// The device's signature over the last event's hash.
    pub signature: [u8; 64],
    pub effects: Effects,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestOutcome {
    Stored,
    /// Nothing stored: the batch's bodies come back, in order, to be checked again against
    /// the new head (rare: the same push sent twice at once) without a copy kept meanwhile.
    HeadMoved(Vec<Vec<u8>>),
}

/// An event as stored, with its place in the server's stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub device: DeviceId,
    pub seq: u64,
    pub hash: Hash,
    pub body: Vec<u8>,
    pub cursor: Cursor,
}

/// What an account reads: what its devices wrote, the personal events of its technicians,
/// the events of farms granted to them; a farmer, their farm's public events.
#[derive(Debug, Clone)]
pub struct Scope {
    pub author: String,
    pub technicians: Vec<TechnicianId>,
    pub farm: Option<Ede>,
}

/// A page of the stream: events after a cursor, and the cursor to continue from.
#[derive(Debug, Clone)]
pub struct Page {
    pub events: Vec<StoredEvent>,
    /// Where the next read starts: after the last event returned when the page is full,
    /// otherwise the end of what can be read safely now.
    pub next: Cursor,
    pub more: bool,
}

pub type Fut<'a, T> = std::pin::Pin<Box<dyn Future<Output = Result<T, BackendError>> + Send + 'a>>;

/// The server's storage.
pub trait Backend: Send + Sync + 'static {
    /// Creates the account if it does not exist (same role) and adds a one-time token
    /// (its hash) for it. A different role under the same id is a conflict.
    fn add_account<'a>(&'a self, role: &'a Role, token_hash: Hash) -> Fut<'a, ()>;
    /// Consumes the token and registers the device, in one transaction; `None` if the token
    /// is unknown or was used already. A device already enrolled is a conflict.
    fn redeem<'a>(&'a self, token_hash: Hash, device: DeviceRecord) -> Fut<'a, Option<Role>>;
    /// Consumes the token without enrolling a device, in one transaction: the role of its
    /// account, or `None` if it is unknown or was used already. A web page's login link spent
    /// by a later login of an account whose page device the server holds already.
    fn spend<'a>(&'a self, token_hash: Hash) -> Fut<'a, Option<Role>>;
    /// The devices enrolled for an account (`supervisor:S01`), in no set order.
    fn devices_of<'a>(&'a self, account: &'a str) -> Fut<'a, Vec<DeviceRecord>>;
    /// The role of the account an unused token would enrol a device for, without using it.
    fn token_role<'a>(&'a self, token_hash: Hash) -> Fut<'a, Option<Role>>;
    /// A turn to do a request's work on a core, held while it decodes, checks and writes, and
    /// given back before it waits on the disk ([`Backend::settle`]). `None`: no limit (the
    /// work happens in another process).
    fn turn(&self) -> Fut<'_, Option<tokio::sync::OwnedSemaphorePermit>> {
        Box::pin(async { Ok(None) })
    }
    /// Like [`Backend::claim`], but durable only once [`Backend::settle`] has returned: a
    /// request writes its nonce and its events, then waits on the disk once for both.
    fn claim_unsettled<'a>(&'a self, claim: Claim<'a>, now_ms: u64) -> Fut<'a, bool> {
        self.claim(claim, now_ms)
    }
    /// Like [`Backend::ingest`], but durable only once [`Backend::settle`] has returned.
    fn ingest_unsettled(&self, batch: Ingest) -> Fut<'_, IngestOutcome> {
        self.ingest(batch)
    }
    /// Returns once every write made before the call is durable.
    fn settle(&self) -> Fut<'_, ()> {
        Box::pin(async { Ok(()) })
    }
    /// The role of an account, by its id (`supervisor:S01`).
    fn account<'a>(&'a self, id: &'a str) -> Fut<'a, Option<Role>>;
    /// The device and its account's role.
    fn device<'a>(&'a self, device: DeviceId) -> Fut<'a, Option<(DeviceRecord, Role)>>;
    /// The last event of a device the server holds.
    fn head<'a>(&'a self, device: DeviceId) -> Fut<'a, Option<(u64, Hash)>>;
    /// Chain hashes of a device's events `from..=to` that are stored, in order.
    fn hashes<'a>(&'a self, device: DeviceId, from: u64, to: u64) -> Fut<'a, Vec<(u64, Hash)>>;
    /// Encoded bodies of a device's events `from..=to`, in order (the history a packed push
    /// was compressed against).
    fn bodies<'a>(&'a self, device: DeviceId, from: u64, to: u64) -> Fut<'a, Vec<Vec<u8>>>;
    /// The device's signature stored at `seq`, if it signed a batch there.
    fn signature<'a>(&'a self, device: DeviceId, seq: u64) -> Fut<'a, Option<[u8; 64]>>;
    /// What is known of these visits, acts and farms (farms: whether they have visits, and
    /// whether they are granted to `technicians`).
    fn facts<'a>(&'a self, ask: &'a FactsQuery) -> Fut<'a, FactsAnswer>;
    /// Stores a batch, its signature and its effects, durably, in one transaction.
    fn ingest(&self, batch: Ingest) -> Fut<'_, IngestOutcome>;
    /// Events in scope after `after`, in stream order, at most `limit` (not the device's own).
    fn read<'a>(
        &'a self,
        scope: &'a Scope,
        after: Cursor,
        exclude: DeviceId,
        limit: usize,
    ) -> Fut<'a, Page>;
    /// Farms granted to `technicians` at a position in `(after, upto]`.
    fn new_grants<'a>(
        &'a self,
        technicians: &'a [TechnicianId],
        after: Cursor,
        upto: Cursor,
    ) -> Fut<'a, Vec<Ede>>;
    /// Every event of these farms up to `upto` included (not `exclude`'s).
    fn farm_events<'a>(
        &'a self,
        farms: &'a [Ede],
        upto: Cursor,
        exclude: DeviceId,
    ) -> Fut<'a, Vec<StoredEvent>>;
    /// Events stored in all (for tests and the benchmarks).
    fn count_events(&self) -> Fut<'_, u64>;
    /// Records a claim durably, unless a record of its key not yet expired at `now_ms`
    /// exists: then nothing is written and the answer is `false`. What must outlive a restart
    /// but not the day: the nonces of signed requests (a replay after a restart is refused),
    /// the farmers' web sessions.
    fn claim<'a>(&'a self, claim: Claim<'a>, now_ms: u64) -> Fut<'a, bool>;
    /// The value of a record claimed and not expired at `now_ms`.
    fn claimed<'a>(&'a self, key: &'a [u8], now_ms: u64) -> Fut<'a, Option<Vec<u8>>>;
    /// Forgets a claimed record (a farmer logging out).
    fn release<'a>(&'a self, key: &'a [u8]) -> Fut<'a, ()>;
    /// Forgets every record expired at `now_ms`; returns how many.
    fn prune_claims(&self, now_ms: u64) -> Fut<'_, u64>;
    /// Writes a lasting record of the server's own work (what each farmer was told, the
    /// messages of the outbox and their status, the farmers' choices), durably, replacing
    /// any record of the same key.
    fn put_record<'a>(&'a self, key: &'a [u8], value: &'a [u8]) -> Fut<'a, ()>;
    /// The lasting record of a key.
    fn record<'a>(&'a self, key: &'a [u8]) -> Fut<'a, Option<Vec<u8>>>;
    /// Every lasting record whose key starts with `prefix`, by key.
    fn records<'a>(&'a self, prefix: &'a [u8]) -> Fut<'a, Vec<(Vec<u8>, Vec<u8>)>>;
    /// Forgets a lasting record, durably (a message no longer due).
    fn remove_record<'a>(&'a self, key: &'a [u8]) -> Fut<'a, ()>;
}

/// A short-lived record: its key, its value, and when it expires (Unix milliseconds).
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    pub key: &'a [u8],
    pub value: &'a [u8],
    pub expires_ms: u64,
}

/// What `Backend::facts` is asked.
#[derive(Debug, Clone, Default)]
pub struct FactsQuery {
    pub visits: Vec<VisitId>,
    pub acts: Vec<ActId>,
    pub farms: Vec<Ede>,
    pub technicians: Vec<TechnicianId>,
}

/// What `Backend::facts` answers.
#[derive(Debug, Clone, Default)]
pub struct FactsAnswer {
    pub visits: HashMap<VisitId, VisitFacts>,
    pub acts: HashMap<ActId, VisitId>,
    pub farms_with_visits: Vec<Ede>,
    pub granted: Vec<Ede>,
}
