//! The local event log on sled: append-only events, a signed hash chain per device, and the
//! projections the screens read, all written in one transaction and made durable before
//! `append` returns.
//!
//! Not for deciding what an event means for work time or rounds (`worktime`, `tour`), nor for
//! the wire (`sync`). Storage layout (sled trees):
//! - `events`: device ‖ seq → chain hash ‖ encoded (clock, payload);
//! - `signatures`: device ‖ seq → ed25519 signature of that event's chain hash (the last event
//!   of each append or merged batch: it vouches for every earlier event of the device);
//! - `devices`: device → public key; `meta`: this device's key, clock, projection version,
//!   trusted witness keys, and settings other modules keep here (sync credentials);
//! - `links`: device ‖ seq → chain hash at seq, where a peer's chain is stored in runs (the
//!   server leaves out events outside this device's scope) and seq itself is not stored;
//! - `witnesses`: device ‖ seq → witness key ‖ signature, sealing a run that ends at seq;
//! - the projection trees of [`projection::TREES`].
//!
//! A peer's chain may thus be sparse: runs of consecutive events, each starting from a link
//! (or genesis, or the stored event before it) and ending at a seal (the device's signature or
//! a trusted server's witness). This device's own chain is always whole.

mod event;
mod import;
mod integrity;
mod projection;
mod query;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};

pub use event::{
    DeviceId, Event, EventId, Hash, Hlc, MAX_DRIFT_MS, Seal, SignatureBytes, Stamp, chain_hash,
    genesis, witness_message,
};
pub use import::ImportSummary;
pub use integrity::{ChainReport, IntegrityReport, check};
pub use projection::{DeclaredTime, Review, StockLine, Supersession, VisitNote};
pub use query::ActView;

use crate::domain::{DomainError, Payload};

/// Why the log refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// A value refused: nothing was written.
    #[error(transparent)]
    Refused(#[from] DomainError),
    /// The store's integrity check failed: what is damaged and what is intact.
    #[error("the store is damaged: {0}")]
    Damaged(IntegrityReport),
    /// Another process (another Tournée window) has the store open.
    #[error("the store {0} is already open in another Tournée process")]
    Locked(PathBuf),
    /// Events from a peer that do not fit: bad signature, forged or broken chain.
    #[error("events of device {device} refused: {reason}")]
    Rejected { device: DeviceId, reason: String },
    /// The disk or sled failed.
    #[error("storage: {0}")]
    Storage(String),
    /// Stored bytes that do not decode.
    #[error("stored data does not decode: {0}")]
    Corrupt(String),
}

impl From<sled::Error> for LogError {
    fn from(e: sled::Error) -> LogError {
        LogError::Storage(e.to_string())
    }
}

impl From<std::io::Error> for LogError {
    fn from(e: std::io::Error) -> LogError {
        LogError::Storage(e.to_string())
    }
}

impl From<TransactionError<LogError>> for LogError {
    fn from(e: TransactionError<LogError>) -> LogError {
        match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => e.into(),
        }
    }
}

/// The trees written by every transaction, in this order, before the projection trees.
const BASE_TREES: [&str; 5] = ["events", "signatures", "devices", "links", "witnesses"];

/// The local store: open once per process, share by cloning.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    db: sled::Db,
    /// A handle on sled's data file, to `fsync` it: sled's own flush only asks Linux to write
    /// the range (`sync_file_range`), which a power cut may still lose.
    db_file: File,
    meta: sled::Tree,
    /// [`BASE_TREES`] then [`projection::TREES`].
    trees: Vec<sled::Tree>,
    key: SigningKey,
    device: DeviceId,
    writer: Mutex<Writer>,
}

/// What the next local append continues from. Held locked while appending, so sequence
/// numbers and the chain stay in one line.
struct Writer {
    next_seq: u64,
    last_hash: Hash,
    clock: Hlc,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Store {
    /// Opens (or creates) the store in `dir` and checks its integrity. A damaged store is
    /// refused with a report of what is damaged and what is intact; nothing is dropped.
    pub fn open(dir: &Path) -> Result<Store, LogError> {
        std::fs::create_dir_all(dir)?;
        let db = open_sled(dir)?;
        let db_file = File::open(dir.join("db"))?;
        let meta = db.open_tree("meta")?;
        let mut trees = Vec::new();
        for name in BASE_TREES.iter().chain(projection::TREES.iter()) {
            trees.push(db.open_tree(name)?);
        }
        let key = match meta.get("signing_key")? {
            Some(bytes) => {
                let secret: [u8; 32] = bytes
                    .as_ref()
                    .try_into()
                    .map_err(|_| LogError::Corrupt("the device key is not 32 bytes".to_owned()))?;
                SigningKey::from_bytes(&secret)
            }
            None => {
                let key = SigningKey::generate(&mut rand_core::OsRng);
                meta.insert("signing_key", &key.to_bytes()[..])?;
                key
            }
        };
        let public = key.verifying_key().to_bytes();
        let device = DeviceId::of_key(&public);
        trees[2].insert(device.0, &public[..])?;
        db.flush()?;
        let mut store = Store {
            inner: Arc::new(Inner {
                dir: dir.to_path_buf(),
                db,
                db_file,
                meta,
                trees,
                key,
                device,
                writer: Mutex::new(Writer {
                    next_seq: 1,
                    last_hash: genesis(device),
                    clock: Hlc::default(),
                }),
            }),
        };
        let report = integrity::check(&store)?;
        if !report.is_intact() {
            return Err(LogError::Damaged(report));
        }
        store.resume_writer(&report)?;
        if store.projection_version()? != projection::VERSION {
            store.rebuild_projections()?;
        }
        Ok(store)
    }

    fn resume_writer(&mut self, report: &IntegrityReport) -> Result<(), LogError> {
        let mut clock: Hlc = match self.inner.meta.get("clock")? {
            Some(b) => projection::decode(&b)?,
            None => Hlc::default(),
        };
        let mut w = self.writer();
        if let Some(own) = report.chains.iter().find(|c| c.device == self.inner.device) {
            w.next_seq = own.last + 1;
            w.last_hash = own.head;
        }
        for c in &report.chains {
            clock = clock.max(c.last_clock);
        }
        w.clock = clock;
        Ok(())
    }

    fn writer(&self) -> MutexGuard<'_, Writer> {
        // A panic while holding the lock cannot leave the writer half-updated: it is only
        // assigned after a transaction commits.
        self.inner
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// This device's id.
    pub fn device(&self) -> DeviceId {
        self.inner.device
    }

    /// This device's public key, which the server registers at enrolment.
    pub fn public_key(&self) -> [u8; 32] {
        self.inner.key.verifying_key().to_bytes()
    }

    /// The folder of the store.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    pub(crate) fn tree(&self, name: &str) -> &sled::Tree {
        let i = BASE_TREES
            .iter()
            .chain(projection::TREES.iter())
            .position(|n| *n == name)
            .unwrap_or_else(|| unreachable!("unknown tree {name}"));
        &self.inner.trees[i]
    }

    fn projection_version(&self) -> Result<u32, LogError> {
        match self.inner.meta.get("projection_version")? {
            Some(b) => projection::decode(&b),
            None => Ok(0),
        }
    }

    /// Appends events from this device, one per payload, in one transaction, and returns
    /// once they are on disk. A payload that is invalid or names a record that does not exist
    /// refuses the whole batch: nothing is written.
    pub fn append(&self, payloads: Vec<Payload>) -> Result<Vec<EventId>, LogError> {
        for p in &payloads {
            p.validate()?;
        }
        if payloads.is_empty() {
            return Ok(Vec::new());
        }
        let mut w = self.writer();
        let now = now_ms();
        let mut clock = w.clock;
        let mut hash = w.last_hash;
        let mut stored = Vec::with_capacity(payloads.len());
        for (i, payload) in payloads.into_iter().enumerate() {
            clock = clock.tick(now);
            let event = Event {
                id: EventId {
                    device: self.inner.device,
                    seq: w.next_seq + i as u64,
                },
                clock,
                payload,
            };
            let body = event
                .body()
                .map_err(|e| LogError::Corrupt(format!("encoding an event: {e}")))?;
            hash = chain_hash(&hash, &event.id, &body);
            stored.push((event, body, hash));
        }
        let seal = Seal::Device(SignatureBytes(self.inner.key.sign(&hash).to_bytes()));
        self.write(&stored, &seal, None, None, clock, true)?;
        let ids = stored.iter().map(|(e, _, _)| e.id).collect();
        w.next_seq += stored.len() as u64;
        w.last_hash = hash;
        w.clock = clock;
        Ok(ids)
    }

    /// Writes events (already chained) with their projections in one transaction, then makes
    /// them durable. `seal` vouches for the last event's hash; `link` is the chain hash before
    /// the first event when that event's predecessor is not stored.
    fn write(
        &self,
        events: &[(Event, Vec<u8>, Hash)],
        seal: &Seal,
        link: Option<(EventId, Hash)>,
        new_device: Option<(DeviceId, [u8; 32])>,
        clock: Hlc,
        strict: bool,
    ) -> Result<(), LogError> {
        let Some((last, _, _)) = events.last() else {
            return Ok(());
        };
        let clock_bytes = postcard::to_allocvec(&clock)
            .map_err(|e| LogError::Corrupt(format!("encoding the clock: {e}")))?;
        let mut all: Vec<sled::Tree> = self.inner.trees.clone();
        all.push(self.inner.meta.clone());
        all.as_slice()
            .transaction(|t: &Vec<TransactionalTree>| {
                let (events_t, signatures_t, devices_t, links_t, witnesses_t) =
                    (&t[0], &t[1], &t[2], &t[3], &t[4]);
                let meta_t = &t[t.len() - 1];
                let tx = projection::Tx::new(&t[BASE_TREES.len()..t.len() - 1]);
                for (event, body, hash) in events {
                    let mut value = Vec::with_capacity(32 + body.len());
                    value.extend_from_slice(hash);
                    value.extend_from_slice(body);
                    events_t.insert(&event.id.key()[..], value)?;
                    projection::apply(&tx, event, strict)?;
                }
                match seal {
                    Seal::Device(signature) => {
                        signatures_t.insert(&last.id.key()[..], &signature.0[..])?;
                    }
                    Seal::Witness { key, signature } => {
                        let mut v = key.to_vec();
                        v.extend_from_slice(&signature.0);
                        witnesses_t.insert(&last.id.key()[..], v)?;
                    }
                }
                if let Some((id, hash)) = link {
                    links_t.insert(&id.key()[..], &hash[..])?;
                }
                if let Some((device, key)) = new_device {
                    devices_t.insert(&device.0[..], &key[..])?;
                }
                meta_t.insert("clock", clock_bytes.as_slice())?;
                Ok::<(), ConflictableTransactionError<LogError>>(())
            })
            .map_err(LogError::from)?;
        self.sync_to_disk()
    }

    /// Flushes sled, then fsyncs its data file: after this, a kill or a power cut loses
    /// nothing written before.
    fn sync_to_disk(&self) -> Result<(), LogError> {
        self.inner.db.flush()?;
        self.inner.db_file.sync_data()?;
        Ok(())
    }

    /// The last event of a device this store holds: its sequence number and chain hash.
    pub fn head(&self, device: DeviceId) -> Result<Option<(u64, Hash)>, LogError> {
        let prefix = device.0;
        match self.tree("events").scan_prefix(prefix).next_back() {
            None => Ok(None),
            Some(kv) => {
                let (k, v) = kv?;
                let id = EventId::from_key(&k)
                    .ok_or_else(|| LogError::Corrupt("an event key is too short".into()))?;
                let hash: Hash = v
                    .get(..32)
                    .and_then(|h| h.try_into().ok())
                    .ok_or_else(|| LogError::Corrupt(format!("event {id} is too short")))?;
                Ok(Some((id.seq, hash)))
            }
        }
    }

    /// Events of a device after sequence `after`, at most `limit`, in order.
    pub fn events_after(
        &self,
        device: DeviceId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Event>, LogError> {
        let start = EventId {
            device,
            seq: after.saturating_add(1),
        }
        .key();
        let end = EventId {
            device,
            seq: u64::MAX,
        }
        .key();
        let mut out = Vec::new();
        for kv in self.tree("events").range(start..=end).take(limit) {
            let (k, v) = kv?;
            out.push(decode_event(&k, &v)?);
        }
        Ok(out)
    }

    /// Every device this store has events or a key of, with its public key.
    pub fn devices(&self) -> Result<Vec<(DeviceId, [u8; 32])>, LogError> {
        let mut out = Vec::new();
        for kv in self.tree("devices").iter() {
            let (k, v) = kv?;
            let id: [u8; 16] = k
                .as_ref()
                .try_into()
                .map_err(|_| LogError::Corrupt("a device id is not 16 bytes".into()))?;
            let key: [u8; 32] = v
                .as_ref()
                .try_into()
                .map_err(|_| LogError::Corrupt("a public key is not 32 bytes".into()))?;
            out.push((DeviceId(id), key));
        }
        Ok(out)
    }

    /// Signs this device's chain at `seq` (for a peer that receives events up to there).
    pub fn sign_own(&self, seq: u64) -> Result<[u8; 64], LogError> {
        let id = EventId {
            device: self.inner.device,
            seq,
        };
        let v = self.tree("events").get(id.key())?.ok_or_else(|| {
            LogError::Refused(DomainError::invalid(
                "seq",
                &seq.to_string(),
                "a sequence number this device has written",
            ))
        })?;
        let hash: Hash = v
            .get(..32)
            .and_then(|h| h.try_into().ok())
            .ok_or_else(|| LogError::Corrupt(format!("event {id} is too short")))?;
        Ok(self.inner.key.sign(&hash).to_bytes())
    }

    /// Stores events written by another device (or this one, restored from the server) after
    /// checking them: consecutive sequence numbers that continue what is stored, a chain that
    /// matches what is stored, valid payloads, and `signature` (by the device's key, whose
    /// hash is the device id) over the last event's chain hash. Events already stored are
    /// skipped; returns how many were new. All or nothing.
    pub fn merge(
        &self,
        public_key: [u8; 32],
        events: Vec<Event>,
        signature: [u8; 64],
    ) -> Result<usize, LogError> {
        self.merge_run(
            public_key,
            None,
            events,
            Seal::Device(SignatureBytes(signature)),
        )
    }

    /// Stores a run of a peer's consecutive events, which may start after a part of the chain
    /// this store does not hold (events outside its scope): `prev` is then the chain hash
    /// before the run's first event, as the server gives it. Checks that the run agrees with
    /// whatever of the chain is stored (before, inside and after it: a fork is refused), that
    /// payloads are valid, and that `seal` vouches for the last event's hash: the device's
    /// signature, or the witness of a server whose key this store trusts
    /// ([`Store::trust_witness_key`]). Events already stored are skipped; returns how many
    /// were new. All or nothing.
    pub fn merge_run(
        &self,
        public_key: [u8; 32],
        prev: Option<Hash>,
        events: Vec<Event>,
        seal: Seal,
    ) -> Result<usize, LogError> {
        let device = DeviceId::of_key(&public_key);
        let reject = |reason: String| LogError::Rejected { device, reason };
        let Some(first) = events.first().map(|e| e.id.seq) else {
            return Ok(0);
        };
        if first == 0 {
            return Err(reject("sequence numbers start at 1".into()));
        }
        let verifying = VerifyingKey::from_bytes(&public_key)
            .map_err(|e| reject(format!("public key: {e}")))?;
        let mut w = self.writer();
        let stored_seq = self.head(device)?.map_or(0, |(seq, _)| seq);
        let before = EventId {
            device,
            seq: first - 1,
        };
        let known_before = if first == 1 {
            Some(genesis(device))
        } else {
            match self.hash_at(before)? {
                Some(h) => Some(h),
                None => self.link_at(before)?,
            }
        };
        let mut link = None;
        let mut hash = match (known_before, prev) {
            (Some(known), Some(given)) if known != given => {
                return Err(reject(format!(
                    "the chain before event {first} differs from the one stored (a forked chain)"
                )));
            }
            (Some(known), _) => known,
            (None, Some(given)) if device != self.inner.device => {
                link = Some((before, given));
                given
            }
            (None, _) => {
                return Err(reject(format!(
                    "events start at {first} but this store has only up to {stored_seq}"
                )));
            }
        };
        let mut expected = first;
        let mut fresh = Vec::new();
        let mut clock = w.clock;
        let now = now_ms();
        for event in events {
            if event.id.device != device {
                return Err(reject(format!("event {} is not of this device", event.id)));
            }
            if event.id.seq != expected {
                return Err(reject(format!(
                    "sequence {} where {expected} was expected",
                    event.id.seq
                )));
            }
            expected += 1;
            event.payload.validate()?;
            let body = event
                .body()
                .map_err(|e| LogError::Corrupt(format!("encoding an event: {e}")))?;
            hash = chain_hash(&hash, &event.id, &body);
            if let Some(stored) = self.hash_at(event.id)? {
                if stored != hash {
                    return Err(reject(format!(
                        "event {} differs from the one stored (a forked chain)",
                        event.id
                    )));
                }
                continue;
            }
            clock = clock.observe(event.clock, now);
            fresh.push((event, body, hash));
        }
        let last = EventId {
            device,
            seq: expected - 1,
        };
        if self.link_at(last)?.is_some_and(|l| l != hash) {
            return Err(reject(format!(
                "event {last} differs from the chain stored after it (a forked chain)"
            )));
        }
        match &seal {
            Seal::Device(signature) => verifying
                .verify_strict(&hash, &Signature::from_bytes(&signature.0))
                .map_err(|_| reject("the signature does not match the chain".into()))?,
            Seal::Witness { key, signature } => {
                if !self.witness_keys()?.contains(key) {
                    return Err(reject(
                        "the witness is not a server this store trusts".into(),
                    ));
                }
                VerifyingKey::from_bytes(key)
                    .and_then(|k| {
                        k.verify_strict(
                            &witness_message(&last, &hash),
                            &Signature::from_bytes(&signature.0),
                        )
                    })
                    .map_err(|_| reject("the server's witness does not match the chain".into()))?
            }
        }
        if fresh.is_empty() {
            return Ok(0);
        }
        let n = fresh.len();
        self.write(
            &fresh,
            &seal,
            link,
            Some((device, public_key)),
            clock,
            false,
        )?;
        w.clock = clock;
        if device == self.inner.device && last.seq >= w.next_seq {
            w.next_seq = last.seq + 1;
            w.last_hash = hash;
        }
        Ok(n)
    }

    /// The chain hash a stored link gives at `id` (an event this store does not hold).
    fn link_at(&self, id: EventId) -> Result<Option<Hash>, LogError> {
        Ok(self
            .tree("links")
            .get(id.key())?
            .and_then(|v| v.as_ref().try_into().ok()))
    }

    /// Signs a sync request with the device key. Only messages that start with the request
    /// prefix are signed, so a request can never pass for a chain hash (those are 32 bytes).
    pub fn sign_request(&self, message: &[u8]) -> Result<[u8; 64], LogError> {
        if !message.starts_with(b"tournee/v1 request ") {
            return Err(LogError::Refused(DomainError::invalid(
                "message",
                "bytes without the request prefix",
                "a sync request",
            )));
        }
        Ok(self.inner.key.sign(message).to_bytes())
    }

    /// The server keys whose witness this store accepts for runs of peers' events.
    pub fn witness_keys(&self) -> Result<Vec<[u8; 32]>, LogError> {
        match self.inner.meta.get("witness_keys")? {
            Some(b) => projection::decode(&b),
            None => Ok(Vec::new()),
        }
    }

    /// Trusts a server's key as witness (done at enrolment, from the server's answer).
    pub fn trust_witness_key(&self, key: [u8; 32]) -> Result<(), LogError> {
        let mut keys = self.witness_keys()?;
        if !keys.contains(&key) {
            keys.push(key);
            let bytes = postcard::to_allocvec(&keys)
                .map_err(|e| LogError::Corrupt(format!("encoding witness keys: {e}")))?;
            self.inner.meta.insert("witness_keys", bytes)?;
            self.sync_to_disk()?;
        }
        Ok(())
    }

    /// A setting another module keeps in the store (sync credentials and cursors), by name.
    pub fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, LogError> {
        Ok(self
            .inner
            .meta
            .get(format!("setting/{name}"))?
            .map(|v| v.to_vec()))
    }

    /// Saves a setting durably (see [`Store::setting`]).
    pub fn set_setting(&self, name: &str, value: &[u8]) -> Result<(), LogError> {
        self.inner.meta.insert(format!("setting/{name}"), value)?;
        self.sync_to_disk()
    }

    fn hash_at(&self, id: EventId) -> Result<Option<Hash>, LogError> {
        Ok(self
            .tree("events")
            .get(id.key())?
            .and_then(|v| v.get(..32).and_then(|h| h.try_into().ok())))
    }

    /// Clears the projection trees and replays every event into them: after a change of
    /// projection rules. Events themselves are never touched.
    pub fn rebuild_projections(&self) -> Result<(), LogError> {
        for name in projection::TREES {
            self.tree(name).clear()?;
        }
        let projections: Vec<sled::Tree> = projection::TREES
            .iter()
            .map(|n| self.tree(n).clone())
            .collect();
        let mut batch = Vec::new();
        let mut iter = self.tree("events").iter();
        loop {
            let next = iter.next();
            if let Some(kv) = &next {
                let (k, v) = kv.as_ref().map_err(|e| LogError::Storage(e.to_string()))?;
                batch.push(decode_event(k, v)?);
            }
            if batch.len() >= 1_000 || (next.is_none() && !batch.is_empty()) {
                projections
                    .as_slice()
                    .transaction(|t| {
                        let tx = projection::Tx::new(t);
                        for e in &batch {
                            projection::apply(&tx, e, false)?;
                        }
                        Ok::<(), ConflictableTransactionError<LogError>>(())
                    })
                    .map_err(LogError::from)?;
                batch.clear();
            }
            if next.is_none() {
                break;
            }
        }
        let version = postcard::to_allocvec(&projection::VERSION)
            .map_err(|e| LogError::Corrupt(e.to_string()))?;
        self.inner.meta.insert("projection_version", version)?;
        self.sync_to_disk()
    }
}

/// Opens sled, waiting a little for a lock that another handle is releasing: sled's
/// background threads hold the file for a moment after a `Db` is dropped.
pub(crate) fn open_sled(dir: &Path) -> Result<sled::Db, LogError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        match sled::Config::new().path(dir).open() {
            Ok(db) => return Ok(db),
            Err(sled::Error::Io(io))
                if io.kind() == std::io::ErrorKind::WouldBlock
                    || io.to_string().contains("lock") =>
            {
                if std::time::Instant::now() >= deadline {
                    return Err(LogError::Locked(dir.to_path_buf()));
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => return Err(LogError::Storage(format!("{}: {e}", dir.display()))),
        }
    }
}

/// Decodes a stored event from its key and value (chain hash ‖ body).
pub(crate) fn decode_event(k: &[u8], v: &[u8]) -> Result<Event, LogError> {
    let id = EventId::from_key(k)
        .ok_or_else(|| LogError::Corrupt("an event key is too short".into()))?;
    let body = v
        .get(32..)
        .ok_or_else(|| LogError::Corrupt(format!("event {id} is too short")))?;
    Event::from_body(id, body).map_err(|e| LogError::Corrupt(format!("event {id}: {e}")))
}

#[cfg(test)]
mod tests;
