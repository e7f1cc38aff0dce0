//! The server's storage in sled: one folder, nothing to set up; for a cooperative that runs
//! the server on one machine.
//!
//! A push is stored as one **chunk**: the device's events of that push, their bodies exactly as
//! hashed (compressed together), who may read each one, and the device's signature over the
//! last. Everything a push writes (the chunk, its index entries, what it tells the rights
//! checks) goes into one tree in one atomic batch: a handful of writes per push instead of
//! several per event. Pushes take a lock one at a time; each is flushed and fsynced before the
//! device is told "stored", and pushes that wait on the disk together share one flush. Readers
//! see only what is durable, so a cursor never passes a position a crash could give away.
//!
//! Positions count events: a chunk holds positions `first ..= last`. Tree `log`, keys by a
//! first byte (ids joined with a 0 byte; numbers big-endian so they sort):
//! `C` first pos → chunk; `D` device ‖ first seq → first pos ‖ count ‖ hash after the last;
//! `I` kind ‖ key ‖ 0 ‖ last pos → first pos (kind `a` author, `t` technician, `f` farm,
//! `p` farm public, `s` staff: one entry per chunk and key);
//! `V` visit → farm [‖ 0 ‖ the numbers of its acts named after it, `visit.n`, u32 each];
//! `A` visit ‖ 0 ‖ technician; `F` farm; `X` act → visit (an act named otherwise);
//! `G` technician ‖ 0 ‖ farm → pos; `H` technician ‖ 0 ‖ pos ‖ 0 ‖ farm → farm;
//! `M` "pos" → the last position given.
//! Trees `accounts` id → role, `tokens` hash → account, `devices` id → device row, `claims`
//! (request nonces and farmer sessions, see `Backend::claim`), `records` (what farmers were
//! told and the outbox, see `Backend::put_record`).
//! A folder of the first layout (a tree per index, a row per event) is moved to this one when
//! the server opens it (`migrate_events`), positions kept, so devices' cursors stay valid.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::ConflictableTransactionError;

use super::backend::{
    Backend, BackendError, Claim, DeviceRecord, FactsAnswer, FactsQuery, Fut, Ingest,
    IngestOutcome, Page, Scope, StoredEvent,
};
use super::rights::{Tags, VisitFacts};
use crate::domain::{ActId, Ede, TechnicianId, VisitId};
use crate::log::{DeviceId, EventId, Hash, SignatureBytes, chain_hash};
use crate::sync::{Cursor, Role};

impl From<sled::Error> for BackendError {
    fn from(e: sled::Error) -> BackendError {
        BackendError::Storage(e.to_string())
    }
}

impl From<std::io::Error> for BackendError {
    fn from(e: std::io::Error) -> BackendError {
        BackendError::Storage(e.to_string())
    }
}

#[derive(Serialize, Deserialize)]
struct DeviceRow {
    public_key: [u8; 32],
    account: String,
    label: String,
}

/// Who may read one event of a chunk (`rights::Tags`, as stored).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct StoredTags {
    technician: Option<TechnicianId>,
    farm: Option<Ede>,
    public: bool,
    staff: bool,
}

impl From<Tags> for StoredTags {
    fn from(t: Tags) -> StoredTags {
        StoredTags {
            technician: t.technician,
            farm: t.farm,
            public: t.public,
            staff: t.staff,
        }
    }
}

/// One push as stored: consecutive events of one device from `first_seq`, at positions
/// `first_pos ..`.
#[derive(Serialize, Deserialize)]
struct Chunk {
    device: DeviceId,
    author: String,
    first_seq: u64,
    first_pos: u64,
    /// The chain hash before the first event.
    prev: Hash,
    /// The device's signature over the hash after the last event.
    signature: Option<SignatureBytes>,
    /// `zstd(postcard((tags, bodies)))`, one of each per event.
    packed: Vec<u8>,
}

/// What a chunk's packed part holds.
type Unpacked = (Vec<StoredTags>, Vec<Vec<u8>>);

/// zstd's level for chunks: the server writes for many devices at once; level 1 compresses a
/// year's bodies within a few percent of level 3, faster.
const CHUNK_LEVEL: i32 = 1;
/// The largest chunk once unpacked (a push holds at most `MAX_PUSH_EVENTS` events).
const MAX_UNPACKED: usize = 256 << 20;

impl Chunk {
    fn unpack(&self) -> Result<Unpacked, BackendError> {
        let raw = zstd::bulk::decompress(
            &self.packed,
            crate::sync::wire::room(&self.packed, MAX_UNPACKED),
        )
        .map_err(|e| BackendError::Corrupt(format!("a chunk does not decompress: {e}")))?;
        let (tags, bodies): Unpacked = decode(&raw)?;
        if tags.len() != bodies.len() {
            return Err(BackendError::Corrupt(
                "a chunk's tags and bodies differ".into(),
            ));
        }
        Ok((tags, bodies))
    }
}

fn key(prefix: u8, parts: &[&[u8]]) -> Vec<u8> {
    let mut k = vec![prefix];
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            k.push(0);
        }
        k.extend_from_slice(p);
    }
    k
}

fn be(bytes: &[u8]) -> Result<u64, BackendError> {
    bytes
        .get(..8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| BackendError::Corrupt("a stored number".into()))
}

fn decode<T: for<'de> Deserialize<'de>>(b: &[u8]) -> Result<T, BackendError> {
    postcard::from_bytes(b).map_err(|e| BackendError::Corrupt(e.to_string()))
}

fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>, BackendError> {
    postcard::to_allocvec(v).map_err(|e| BackendError::Corrupt(e.to_string()))
}

/// A device's chunk: where it starts in the stream, how many events, the hash after them.
struct ChunkRef {
    first_seq: u64,
    first_pos: u64,
    count: u64,
    end: Hash,
}

impl ChunkRef {
    fn parse(k: &[u8], v: &[u8]) -> Result<ChunkRef, BackendError> {
        let first_seq = be(k.get(18..).unwrap_or_default())?;
        if v.len() != 8 + 8 + 32 {
            return Err(BackendError::Corrupt("a device's chunk entry".into()));
        }
        Ok(ChunkRef {
            first_seq,
            first_pos: be(&v[..8])?,
            count: be(&v[8..16])?,
            end: v[16..48]
                .try_into()
                .map_err(|_| BackendError::Corrupt("a chunk's hash".into()))?,
        })
    }

    fn last_seq(&self) -> u64 {
        self.first_seq + self.count - 1
    }
}

struct Inner {
    db: sled::Db,
    file: File,
    log: sled::Tree,
    accounts: sled::Tree,
    tokens: sled::Tree,
    devices: sled::Tree,
    /// `claims` key → expiry (u64 big-endian, Unix ms) ‖ value: see [`Backend::claim`]. Kept
    /// out of the events' tree: it is written on every request, never with events.
    claims: sled::Tree,
    /// `records` key → value: see [`Backend::put_record`].
    records: sled::Tree,
    /// Writers take it one at a time; it holds the last position given to a chunk.
    writer: Mutex<u64>,
    /// Requests worked at once (`Backend::turn`; `ingest` takes one too): about a core each.
    /// Two hundred tablets pushing together otherwise make two hundred threads queue on
    /// `writer`, and a profile spent a fifth of the server in switching between them.
    /// Released before the flush, so the requests that wait on the disk still share one.
    placing: Arc<tokio::sync::Semaphore>,
    /// The last position written to sled (under the writers' turn).
    applied: AtomicU64,
    /// Flushes shared by the writers that wait on the disk together.
    flushes: Mutex<Flushes>,
    flushed: Condvar,
}

/// The sled backend.
#[derive(Clone)]
pub struct SledBackend {
    inner: Arc<Inner>,
}

type Abort = ConflictableTransactionError<BackendError>;

impl SledBackend {
    pub fn open(dir: &Path) -> Result<SledBackend, BackendError> {
        std::fs::create_dir_all(dir)?;
        let db = sled::Config::new()
            .path(dir)
            .open()
            .map_err(|e| BackendError::Storage(format!("{}: {e}", dir.display())))?;
        let file = File::open(dir.join("db"))?;
        let log = db.open_tree("log")?;
        let backend = SledBackend {
            inner: Arc::new(Inner {
                accounts: db.open_tree("accounts")?,
                tokens: db.open_tree("tokens")?,
                devices: db.open_tree("devices")?,
                claims: db.open_tree("claims")?,
                records: db.open_tree("records")?,
                log,
                db,
                file,
                writer: Mutex::new(0),
                placing: Arc::new(tokio::sync::Semaphore::new(
                    std::thread::available_parallelism().map_or(2, |n| n.get()),
                )),
                applied: AtomicU64::new(0),
                flushes: Mutex::new(Flushes::default()),
                flushed: Condvar::new(),
            }),
        };
        backend.migrate_events()?;
        let pos = match backend.inner.log.get(b"Mpos")? {
            Some(b) => be(&b)?,
            None => 0,
        };
        *backend.writer() = pos;
        backend.inner.applied.store(pos, Ordering::SeqCst);
        backend.flushes().durable_pos = pos;
        Ok(backend)
    }

    /// Takes the writers' turn: the guard holds the last position given.
    fn writer(&self) -> std::sync::MutexGuard<'_, u64> {
        self.inner
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn flushes(&self) -> std::sync::MutexGuard<'_, Flushes> {
        self.inner
            .flushes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Returns once what this thread wrote is on disk: flushed by sled, then fsynced. Writers
    /// that arrive while a flush runs wait for the next one, which one of them runs for all:
    /// two hundred devices pushing at once make a few flushes, not two hundred.
    fn durable(&self) -> Result<(), BackendError> {
        let mut f = self.flushes();
        // the first flush to start after this thread's writes
        let needed = f.started + 1;
        loop {
            if f.done >= needed {
                return Ok(());
            }
            if f.running {
                f = self
                    .inner
                    .flushed
                    .wait(f)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                continue;
            }
            f.running = true;
            f.started += 1;
            let number = f.started;
            drop(f);
            let target = self.inner.applied.load(Ordering::SeqCst);
            let outcome = self
                .inner
                .db
                .flush()
                .map_err(BackendError::from)
                .and_then(|_| self.inner.file.sync_data().map_err(BackendError::from));
            f = self.flushes();
            f.running = false;
            if outcome.is_ok() {
                f.done = number;
                f.durable_pos = f.durable_pos.max(target);
            }
            self.inner.flushed.notify_all();
            outcome?;
        }
    }

    /// The last position on disk: readers see no further.
    fn durable_pos(&self) -> u64 {
        self.flushes().durable_pos
    }

    /// The chunks of a device holding events `from ..= to`, in order.
    fn chunks_of(
        &self,
        device: DeviceId,
        from: u64,
        to: u64,
    ) -> Result<Vec<ChunkRef>, BackendError> {
        let mut out = Vec::new();
        let prefix = key(b'D', &[&device.0]);
        // the chunk that holds `from` starts at or before it
        let start = key(b'D', &[&device.0, &from.to_be_bytes()]);
        if let Some(kv) = self.inner.log.range(prefix.clone()..=start).next_back() {
            let (k, v) = kv?;
            let c = ChunkRef::parse(&k, &v)?;
            if c.last_seq() >= from && c.first_seq <= to {
                out.push(c);
            }
        }
        let after = key(b'D', &[&device.0, &from.saturating_add(1).to_be_bytes()]);
        let end = key(b'D', &[&device.0, &to.to_be_bytes()]);
        if after <= end {
            for kv in self.inner.log.range(after..=end) {
                let (k, v) = kv?;
                out.push(ChunkRef::parse(&k, &v)?);
            }
        }
        Ok(out)
    }

    fn chunk(&self, first_pos: u64) -> Result<Chunk, BackendError> {
        let v = self
            .inner
            .log
            .get(key(b'C', &[&first_pos.to_be_bytes()]))?
            .ok_or_else(|| BackendError::Corrupt(format!("chunk at {first_pos} missing")))?;
        decode(&v)
    }

    fn head_sync(&self, device: DeviceId) -> Result<Option<(u64, Hash)>, BackendError> {
        match self
            .inner
            .log
            .scan_prefix(key(b'D', &[&device.0]))
            .next_back()
        {
            None => Ok(None),
            Some(kv) => {
                let (k, v) = kv?;
                let c = ChunkRef::parse(&k, &v)?;
                Ok(Some((c.last_seq(), c.end)))
            }
        }
    }

    /// Bodies and hashes of a device's events `from ..= to` that are stored.
    fn events_of(
        &self,
        device: DeviceId,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, Hash, Vec<u8>)>, BackendError> {
        let mut out = Vec::new();
        for c in self.chunks_of(device, from, to)? {
            let chunk = self.chunk(c.first_pos)?;
            let (_, bodies) = chunk.unpack()?;
            let mut hash = chunk.prev;
            for (seq, body) in (c.first_seq..).zip(bodies) {
                hash = chain_hash(&hash, &EventId { device, seq }, &body);
                if (from..=to).contains(&seq) {
                    out.push((seq, hash, body));
                }
            }
        }
        Ok(out)
    }

    fn role(&self, account: &str) -> Result<Option<Role>, BackendError> {
        match self.inner.accounts.get(account)? {
            Some(b) => decode(&b).map(Some),
            None => Ok(None),
        }
    }

    fn add_account_sync(&self, role: &Role, token_hash: Hash) -> Result<(), BackendError> {
        let _w = self.writer();
        let id = role.account_id();
        match self.role(&id)? {
            Some(existing) if &existing != role => {
                return Err(BackendError::Conflict(format!(
                    "account {id} exists with another role or team"
                )));
            }
            Some(_) => {}
            None => {
                self.inner.accounts.insert(id.as_bytes(), encode(role)?)?;
            }
        }
        self.inner.tokens.insert(token_hash, id.as_bytes())?;
        self.durable()
    }

    fn redeem_sync(
        &self,
        token_hash: Hash,
        device: DeviceRecord,
    ) -> Result<Option<Role>, BackendError> {
        let _w = self.writer();
        let Some(account) = self.inner.tokens.get(token_hash)? else {
            return Ok(None);
        };
        let account = String::from_utf8(account.to_vec())
            .map_err(|_| BackendError::Corrupt("token account".into()))?;
        if self.inner.devices.get(device.device.0)?.is_some() {
            return Err(BackendError::Conflict(format!(
                "device {} is already enrolled",
                device.device
            )));
        }
        let role = self
            .role(&account)?
            .ok_or_else(|| BackendError::Corrupt(format!("token of missing account {account}")))?;
        let row = encode(&DeviceRow {
            public_key: device.public_key,
            account,
            label: device.label,
        })?;
        (&self.inner.tokens, &self.inner.devices)
            .transaction(|(tokens, devices)| {
                tokens.remove(&token_hash[..])?;
                devices.insert(&device.device.0[..], row.as_slice())?;
                Ok::<(), Abort>(())
            })
            .map_err(tx_error)?;
        self.durable()?;
        Ok(Some(role))
    }

    fn spend_sync(&self, token_hash: Hash) -> Result<Option<Role>, BackendError> {
        // The writers' lock, as for `redeem`: a token is spent once, by one of them.
        let _w = self.writer();
        let Some(account) = self.inner.tokens.remove(token_hash)? else {
            return Ok(None);
        };
        self.durable()?;
        let account = String::from_utf8(account.to_vec())
            .map_err(|_| BackendError::Corrupt("token account".into()))?;
        self.role(&account)?
            .ok_or_else(|| BackendError::Corrupt(format!("token of missing account {account}")))
            .map(Some)
    }

    fn devices_of_sync(&self, account: &str) -> Result<Vec<DeviceRecord>, BackendError> {
        let mut out = Vec::new();
        for entry in self.inner.devices.iter() {
            let (k, v) = entry?;
            let row: DeviceRow = decode(&v)?;
            if row.account != account {
                continue;
            }
            let id: [u8; 16] = k
                .as_ref()
                .try_into()
                .map_err(|_| BackendError::Corrupt("a device id".into()))?;
            out.push(DeviceRecord {
                device: DeviceId(id),
                public_key: row.public_key,
                account: row.account,
                label: row.label,
            });
        }
        Ok(out)
    }

    fn device_sync(&self, device: DeviceId) -> Result<Option<(DeviceRecord, Role)>, BackendError> {
        let Some(b) = self.inner.devices.get(device.0)? else {
            return Ok(None);
        };
        let row: DeviceRow = decode(&b)?;
        let role = self.role(&row.account)?.ok_or_else(|| {
            BackendError::Corrupt(format!("device of missing account {}", row.account))
        })?;
        Ok(Some((
            DeviceRecord {
                device,
                public_key: row.public_key,
                account: row.account,
                label: row.label,
            },
            role,
        )))
    }

    fn facts_sync(&self, q: &FactsQuery) -> Result<FactsAnswer, BackendError> {
        let log = &self.inner.log;
        let mut facts = FactsAnswer::default();
        for v in &q.visits {
            if let Some(row) = log.get(key(b'V', &[v.as_str().as_bytes()]))? {
                let farm = parse_ede(visit_row(&row)?.0)?;
                let mut technicians = BTreeSet::new();
                let prefix = key(b'A', &[v.as_str().as_bytes(), b""]);
                for kv in log.scan_prefix(&prefix) {
                    let (k, _) = kv?;
                    technicians.insert(parse_technician(&k[prefix.len()..])?);
                }
                facts
                    .visits
                    .insert(v.clone(), VisitFacts { farm, technicians });
            }
        }
        for a in &q.acts {
            if let Some(v) = log.get(key(b'X', &[a.as_str().as_bytes()]))? {
                let v = std::str::from_utf8(&v)
                    .ok()
                    .and_then(|s| VisitId::parse("visit", s).ok())
                    .ok_or_else(|| BackendError::Corrupt("act's visit".into()))?;
                facts.acts.insert(a.clone(), v);
                continue;
            }
            // An act named after its visit (`ActId::nth_of`) is kept in the visit's row.
            let Some((visit, n)) = named_after_visit(a) else {
                continue;
            };
            if let Some(row) = log.get(key(b'V', &[visit.as_str().as_bytes()]))?
                && visit_row(&row)?.1.any(|m| m == n)
            {
                facts.acts.insert(a.clone(), visit);
            }
        }
        for f in &q.farms {
            if log.get(key(b'F', &[f.as_str().as_bytes()]))?.is_some() {
                facts.farms_with_visits.push(f.clone());
            }
            for t in &q.technicians {
                if log
                    .get(key(b'G', &[t.as_str().as_bytes(), f.as_str().as_bytes()]))?
                    .is_some()
                {
                    facts.granted.push(f.clone());
                    break;
                }
            }
        }
        Ok(facts)
    }

    /// Packs a push and places it in the stream; `true` when it wrote (then the caller makes
    /// it durable before answering, see [`SledBackend::durable`]).
    fn place(&self, batch: Ingest) -> Result<(IngestOutcome, bool), BackendError> {
        let head = self.head_sync(batch.device)?;
        if head.map_or(0, |(s, _)| s) != batch.expected_head {
            let bodies = batch.events.into_iter().map(|e| e.body).collect();
            return Ok((IngestOutcome::HeadMoved(bodies), false));
        }
        let (Some(first_seq), Some(end)) = (
            batch.events.first().map(|e| e.seq),
            batch.events.last().map(|e| e.hash),
        ) else {
            return Ok((IngestOutcome::Stored, false));
        };
        let prev = match head {
            Some((_, h)) => h,
            None => crate::log::genesis(batch.device),
        };
        // Packed before the writers' turn: the turn only places it and its facts.
        let (tags, bodies) = batch
            .events
            .into_iter()
            .map(|e| (StoredTags::from(e.tags), e.body))
            .unzip();
        let run = Run {
            device: batch.device,
            author: batch.author,
            first_seq,
            prev,
            end,
            signature: Some(SignatureBytes(batch.signature)),
            tags,
            bodies,
        };
        let chunk = run.pack()?;
        {
            let mut last_pos = self.writer();
            // the same push sent twice at once: the other one stored first
            if self.head_sync(batch.device)? != head {
                return Ok((IngestOutcome::HeadMoved(run.bodies), false));
            }
            let first_pos = *last_pos + 1;
            let last = *last_pos + chunk.count;
            let mut b = sled::Batch::default();
            put_chunk(&mut b, chunk, first_pos)?;
            let log = &self.inner.log;
            // sled copies a node at each insert, so what a push tells the rights checks is
            // written in as few rows as it can: a read is cheaper than a write. A farm's mark
            // once, not with each of its visits; a visit's acts in the visit's own row.
            let mut farms = BTreeSet::new();
            let mut visit_rows: BTreeMap<&VisitId, Vec<u8>> = BTreeMap::new();
            for (visit, farm) in &batch.effects.visits {
                let v = key(b'V', &[visit.as_str().as_bytes()]);
                if log.get(&v)?.is_none() {
                    visit_rows.insert(visit, farm.as_str().as_bytes().to_vec());
                    let f = key(b'F', &[farm.as_str().as_bytes()]);
                    if farms.insert(f.clone()) && log.get(&f)?.is_none() {
                        b.insert(f, &[]);
                    }
                }
            }
            for (visit, tech) in &batch.effects.assignments {
                b.insert(
                    key(b'A', &[visit.as_str().as_bytes(), tech.as_str().as_bytes()]),
                    &[],
                );
            }
            for (act, visit) in &batch.effects.acts {
                let number = named_after_visit(act)
                    .filter(|(v, _)| v == visit)
                    .map(|(_, n)| n);
                let row = match (number, visit_rows.entry(visit)) {
                    (None, _) => None,
                    (Some(n), Entry::Occupied(row)) => Some((n, row.into_mut())),
                    (Some(n), Entry::Vacant(row)) => log
                        .get(key(b'V', &[visit.as_str().as_bytes()]))?
                        .map(|old| (n, row.insert(old.to_vec()))),
                };
                match row {
                    Some((n, row)) => {
                        if !row.contains(&0) {
                            row.push(0);
                        }
                        row.extend_from_slice(&n.to_be_bytes());
                    }
                    None => b.insert(key(b'X', &[act.as_str().as_bytes()]), visit.as_str()),
                }
            }
            for (visit, row) in visit_rows {
                b.insert(key(b'V', &[visit.as_str().as_bytes()]), row);
            }
            for (tech, farm) in &batch.effects.grants {
                let g = key(b'G', &[tech.as_str().as_bytes(), farm.as_str().as_bytes()]);
                if log.get(&g)?.is_none() {
                    b.insert(g, &last.to_be_bytes());
                    b.insert(
                        key(
                            b'H',
                            &[
                                tech.as_str().as_bytes(),
                                &last.to_be_bytes(),
                                farm.as_str().as_bytes(),
                            ],
                        ),
                        farm.as_str(),
                    );
                }
            }
            b.insert(&b"Mpos"[..], &last.to_be_bytes());
            log.apply_batch(b)?;
            *last_pos = last;
            self.inner.applied.store(last, Ordering::SeqCst);
        }
        Ok((IngestOutcome::Stored, true))
    }

    /// Chunks (first pos) with an index entry `kind ‖ key` whose last position is in
    /// `(after, bound]`.
    fn indexed(
        &self,
        kind: &[u8],
        k: &[u8],
        after: u64,
        bound: u64,
        out: &mut BTreeSet<u64>,
    ) -> Result<(), BackendError> {
        if after >= bound {
            return Ok(());
        }
        let start = key(b'I', &[kind, k, &after.saturating_add(1).to_be_bytes()]);
        let end = key(b'I', &[kind, k, &bound.to_be_bytes()]);
        for kv in self.inner.log.range(start..=end) {
            let (_, v) = kv?;
            out.insert(be(&v)?);
        }
        Ok(())
    }

    fn granted_farms(&self, technicians: &[TechnicianId]) -> Result<Vec<Ede>, BackendError> {
        let mut farms = BTreeSet::new();
        for t in technicians {
            let prefix = key(b'G', &[t.as_str().as_bytes(), b""]);
            for kv in self.inner.log.scan_prefix(&prefix) {
                let (k, _) = kv?;
                farms.insert(parse_ede(&k[prefix.len()..])?);
            }
        }
        Ok(farms.into_iter().collect())
    }

    /// The events of chunks `firsts` at positions in `(after, bound]` that `wanted` keeps,
    /// not `exclude`'s, in stream order, at most `limit`.
    fn events_in(
        &self,
        firsts: &BTreeSet<u64>,
        w: &Window,
        wanted: impl Fn(&str, &StoredTags) -> bool,
    ) -> Result<Vec<StoredEvent>, BackendError> {
        let mut out = Vec::new();
        for &first_pos in firsts {
            let chunk = self.chunk(first_pos)?;
            if chunk.device == w.exclude {
                continue;
            }
            let (tags, bodies) = chunk.unpack()?;
            let mut hash = chunk.prev;
            for (i, (t, body)) in tags.iter().zip(bodies).enumerate() {
                let seq = chunk.first_seq + i as u64;
                hash = chain_hash(
                    &hash,
                    &EventId {
                        device: chunk.device,
                        seq,
                    },
                    &body,
                );
                let pos = first_pos + i as u64;
                if pos <= w.after || pos > w.bound || !wanted(&chunk.author, t) {
                    continue;
                }
                out.push(StoredEvent {
                    device: chunk.device,
                    seq,
                    hash,
                    body,
                    cursor: Cursor { tx: 0, pos },
                });
                if out.len() >= w.limit {
                    return Ok(out);
                }
            }
        }
        Ok(out)
    }

    fn read_sync(
        &self,
        scope: &Scope,
        after: Cursor,
        exclude: DeviceId,
        limit: usize,
    ) -> Result<Page, BackendError> {
        let bound = self.durable_pos();
        let a = after.pos;
        let farms = self.granted_farms(&scope.technicians)?;
        let mut firsts = BTreeSet::new();
        self.indexed(b"a", scope.author.as_bytes(), a, bound, &mut firsts)?;
        for t in &scope.technicians {
            self.indexed(b"t", t.as_str().as_bytes(), a, bound, &mut firsts)?;
        }
        for f in &farms {
            self.indexed(b"f", f.as_str().as_bytes(), a, bound, &mut firsts)?;
        }
        if scope.farm.is_none() {
            self.indexed(b"s", b"staff", a, bound, &mut firsts)?;
        }
        if let Some(f) = &scope.farm {
            self.indexed(b"p", f.as_str().as_bytes(), a, bound, &mut firsts)?;
        }
        let farms: BTreeSet<&Ede> = farms.iter().collect();
        let w = Window {
            after: a,
            bound,
            exclude,
            limit: limit + 1,
        };
        let mut events = self.events_in(&firsts, &w, |author, t| {
            author == scope.author
                || t.technician
                    .as_ref()
                    .is_some_and(|x| scope.technicians.contains(x))
                || t.farm.as_ref().is_some_and(|f| farms.contains(f))
                || (t.staff && scope.farm.is_none())
                || (t.public && t.farm.is_some() && t.farm == scope.farm)
        })?;
        let more = events.len() > limit;
        events.truncate(limit);
        let next = if more {
            Cursor {
                tx: 0,
                pos: events.last().map_or(a, |e| e.cursor.pos),
            }
        } else {
            Cursor { tx: 0, pos: bound }
        };
        Ok(Page { events, next, more })
    }

    fn new_grants_sync(
        &self,
        technicians: &[TechnicianId],
        after: Cursor,
        upto: Cursor,
    ) -> Result<Vec<Ede>, BackendError> {
        let mut farms = BTreeSet::new();
        for t in technicians {
            if after.pos >= upto.pos {
                continue;
            }
            let start = key(
                b'H',
                &[t.as_str().as_bytes(), &(after.pos + 1).to_be_bytes()],
            );
            let end = key(
                b'H',
                &[
                    t.as_str().as_bytes(),
                    &upto.pos.saturating_add(1).to_be_bytes(),
                ],
            );
            for kv in self.inner.log.range(start..end) {
                let (_, v) = kv?;
                farms.insert(parse_ede(&v)?);
            }
        }
        Ok(farms.into_iter().collect())
    }

    fn farm_events_sync(
        &self,
        farms: &[Ede],
        upto: Cursor,
        exclude: DeviceId,
    ) -> Result<Vec<StoredEvent>, BackendError> {
        let mut firsts = BTreeSet::new();
        for f in farms {
            self.indexed(b"f", f.as_str().as_bytes(), 0, upto.pos, &mut firsts)?;
        }
        let w = Window {
            after: 0,
            bound: upto.pos,
            exclude,
            limit: usize::MAX,
        };
        self.events_in(&firsts, &w, |_, t| {
            t.farm.as_ref().is_some_and(|f| farms.contains(f))
        })
    }

    /// Moves a folder of the first layout (a tree per index, a row per event) to chunks, in
    /// one batch, positions kept; then empties the old trees. Runs once, at open.
    fn migrate_events(&self) -> Result<(), BackendError> {
        let db = &self.inner.db;
        if !db.tree_names().iter().any(|n| n.as_ref() == b"stream") {
            return Ok(());
        }
        let stream = db.open_tree("stream")?;
        if stream.is_empty() {
            return Ok(());
        }
        let tree = |n: &str| db.open_tree(n);
        let (events, signatures) = (tree("events")?, tree("signatures")?);
        // who may read each position, from the old indexes
        let mut tags: HashMap<u64, StoredTags> = HashMap::new();
        let pos_of = |k: &[u8]| be(&k[k.len().saturating_sub(8)..]);
        let prefix_of = |k: &[u8]| k[..k.len().saturating_sub(9)].to_vec();
        for kv in tree("by_technician")?.iter() {
            let (k, _) = kv?;
            tags.entry(pos_of(&k)?).or_default().technician =
                Some(parse_technician(&prefix_of(&k))?);
        }
        for kv in tree("by_farm")?.iter() {
            let (k, _) = kv?;
            tags.entry(pos_of(&k)?).or_default().farm = Some(parse_ede(&prefix_of(&k))?);
        }
        for kv in tree("by_farm_public")?.iter() {
            let (k, _) = kv?;
            tags.entry(pos_of(&k)?).or_default().public = true;
        }
        for kv in tree("by_staff")?.iter() {
            let (k, _) = kv?;
            tags.entry(pos_of(&k)?).or_default().staff = true;
        }
        let mut authors: HashMap<DeviceId, String> = HashMap::new();
        let mut batch = sled::Batch::default();
        let mut open: Option<(u64, Run)> = None;
        let mut heads: HashMap<DeviceId, Hash> = HashMap::new();
        let mut last_pos = 0;
        let mut close =
            |(first_pos, mut c): (u64, Run), batch: &mut sled::Batch| -> Result<(), BackendError> {
                c.author = match authors.get(&c.device) {
                    Some(a) => a.clone(),
                    None => {
                        let row: DeviceRow =
                            decode(&self.inner.devices.get(c.device.0)?.ok_or_else(|| {
                                BackendError::Corrupt("events of an unknown device".into())
                            })?)?;
                        authors.insert(c.device, row.account.clone());
                        row.account
                    }
                };
                let last_seq = c.first_seq + c.bodies.len() as u64 - 1;
                c.signature = signatures
                    .get(
                        EventId {
                            device: c.device,
                            seq: last_seq,
                        }
                        .key(),
                    )?
                    .and_then(|v| <[u8; 64]>::try_from(v.as_ref()).ok())
                    .map(SignatureBytes);
                put_chunk(batch, c.pack()?, first_pos)
            };
        for kv in stream.iter() {
            let (k, idk) = kv?;
            let pos = be(&k)?;
            let id =
                EventId::from_key(&idk).ok_or_else(|| BackendError::Corrupt("event key".into()))?;
            let row = events
                .get(&idk)?
                .ok_or_else(|| BackendError::Corrupt(format!("event {id} missing")))?;
            if row.len() < 40 {
                return Err(BackendError::Corrupt(format!("event {id} truncated")));
            }
            let hash: Hash = row[8..40]
                .try_into()
                .map_err(|_| BackendError::Corrupt("event hash".into()))?;
            let body = row[40..].to_vec();
            let t = tags.remove(&pos).unwrap_or_default();
            let continues = open.as_ref().is_some_and(|(first_pos, o)| {
                o.device == id.device
                    && o.first_seq + o.bodies.len() as u64 == id.seq
                    && first_pos + o.bodies.len() as u64 == pos
            });
            // a signature ends a push: keep pushes apart so each keeps its signature
            let signed_before = open.as_ref().is_some_and(|(_, o)| {
                signatures
                    .get(
                        EventId {
                            device: o.device,
                            seq: id.seq.saturating_sub(1),
                        }
                        .key(),
                    )
                    .ok()
                    .flatten()
                    .is_some()
            });
            if !continues || signed_before {
                if let Some(o) = open.take() {
                    heads.insert(o.1.device, o.1.end);
                    close(o, &mut batch)?;
                }
                let prev = if id.seq == 1 {
                    crate::log::genesis(id.device)
                } else {
                    *heads.get(&id.device).ok_or_else(|| {
                        BackendError::Corrupt(format!("event {id} follows no stored event"))
                    })?
                };
                open = Some((
                    pos,
                    Run {
                        device: id.device,
                        author: String::new(),
                        first_seq: id.seq,
                        prev,
                        end: prev,
                        signature: None,
                        tags: Vec::new(),
                        bodies: Vec::new(),
                    },
                ));
            }
            if let Some((_, o)) = open.as_mut() {
                o.tags.push(t);
                o.bodies.push(body);
                o.end = hash;
            }
            last_pos = pos;
        }
        if let Some(o) = open.take() {
            close(o, &mut batch)?;
        }
        // the rights' facts
        for (name, prefix) in [
            ("visits", b'V'),
            ("assignments", b'A'),
            ("farm_visits", b'F'),
            ("acts", b'X'),
            ("grants", b'G'),
            ("grants_by_pos", b'H'),
        ] {
            for kv in tree(name)?.iter() {
                let (k, v) = kv?;
                let mut nk = vec![prefix];
                nk.extend_from_slice(&k);
                batch.insert(nk, v);
            }
        }
        batch.insert(&b"Mpos"[..], &last_pos.to_be_bytes());
        self.inner.log.apply_batch(batch)?;
        self.durable()?;
        // `stream` first: it is what says a move is to be done, so a crash among these drops
        // leaves only unread trees behind, never a half-moved folder moved again.
        for name in [
            "stream",
            "events",
            "signatures",
            "by_author",
            "by_technician",
            "by_farm",
            "by_farm_public",
            "by_staff",
            "visits",
            "assignments",
            "farm_visits",
            "acts",
            "grants",
            "grants_by_pos",
            "meta",
        ] {
            db.drop_tree(name)?;
        }
        self.durable()
    }
}

/// A chunk ready to write, all but its place in the stream: a push, or a run of events moved
/// from the first layout. Made before the writers' turn, so the turn only places it.
struct Written {
    device: DeviceId,
    author: String,
    first_seq: u64,
    count: u64,
    /// The chain hashes before the first event and after the last.
    prev: Hash,
    end: Hash,
    signature: Option<SignatureBytes>,
    /// The reader keys of its events (`kind ‖ key`), one index entry each.
    index: BTreeSet<Vec<u8>>,
    /// `zstd(postcard((tags, bodies)))`.
    packed: Vec<u8>,
}

/// What a chunk is made of before it is packed.
struct Run {
    device: DeviceId,
    author: String,
    first_seq: u64,
    prev: Hash,
    end: Hash,
    signature: Option<SignatureBytes>,
    tags: Vec<StoredTags>,
    bodies: Vec<Vec<u8>>,
}

impl Run {
    fn pack(&self) -> Result<Written, BackendError> {
        let mut index: BTreeSet<Vec<u8>> = BTreeSet::new();
        index.insert(key(b'I', &[b"a", self.author.as_bytes()]));
        for t in &self.tags {
            if let Some(x) = &t.technician {
                index.insert(key(b'I', &[b"t", x.as_str().as_bytes()]));
            }
            if t.staff {
                index.insert(key(b'I', &[b"s", b"staff"]));
            }
            if let Some(f) = &t.farm {
                index.insert(key(b'I', &[b"f", f.as_str().as_bytes()]));
                if t.public {
                    index.insert(key(b'I', &[b"p", f.as_str().as_bytes()]));
                }
            }
        }
        let count = self.bodies.len() as u64;
        let raw = encode(&(&self.tags, &self.bodies))?;
        Ok(Written {
            device: self.device,
            author: self.author.clone(),
            first_seq: self.first_seq,
            count,
            prev: self.prev,
            end: self.end,
            signature: self.signature,
            index,
            packed: zstd::bulk::compress(&raw, CHUNK_LEVEL)?,
        })
    }
}

/// Adds to `b` a chunk at `first_pos`, its device entry and its index entries.
fn put_chunk(b: &mut sled::Batch, c: Written, first_pos: u64) -> Result<(), BackendError> {
    let last = first_pos + c.count - 1;
    for mut k in c.index {
        k.push(0);
        k.extend_from_slice(&last.to_be_bytes());
        b.insert(k, &first_pos.to_be_bytes());
    }
    let mut entry = Vec::with_capacity(48);
    entry.extend_from_slice(&first_pos.to_be_bytes());
    entry.extend_from_slice(&c.count.to_be_bytes());
    entry.extend_from_slice(&c.end);
    b.insert(key(b'D', &[&c.device.0, &c.first_seq.to_be_bytes()]), entry);
    let chunk = Chunk {
        device: c.device,
        author: c.author,
        first_seq: c.first_seq,
        first_pos,
        prev: c.prev,
        signature: c.signature,
        packed: c.packed,
    };
    b.insert(key(b'C', &[&first_pos.to_be_bytes()]), encode(&chunk)?);
    Ok(())
}

/// The flushes of the writers (see `SledBackend::durable`).
#[derive(Default)]
struct Flushes {
    /// Flushes started, and the number of the last one that ended well.
    started: u64,
    done: u64,
    running: bool,
    /// The last position a finished flush covers.
    durable_pos: u64,
}

/// What part of the stream a read takes.
#[derive(Clone, Copy)]
struct Window {
    after: u64,
    bound: u64,
    exclude: DeviceId,
    limit: usize,
}

fn parse_ede(b: &[u8]) -> Result<Ede, BackendError> {
    std::str::from_utf8(b)
        .ok()
        .and_then(|s| Ede::parse("farm", s).ok())
        .ok_or_else(|| BackendError::Corrupt("a stored farm number".into()))
}

fn parse_technician(b: &[u8]) -> Result<TechnicianId, BackendError> {
    std::str::from_utf8(b)
        .ok()
        .and_then(|s| TechnicianId::parse("technician", s).ok())
        .ok_or_else(|| BackendError::Corrupt("a stored technician id".into()))
}

fn tx_error(e: sled::transaction::TransactionError<BackendError>) -> BackendError {
    match e {
        sled::transaction::TransactionError::Abort(e) => e,
        sled::transaction::TransactionError::Storage(e) => e.into(),
    }
}

/// The visit and number of an act named after its visit (`ActId::nth_of`: `visit.n`, written
/// exactly as `nth_of` writes it), if it is.
fn named_after_visit(act: &ActId) -> Option<(VisitId, u32)> {
    let (visit, n) = act.as_str().rsplit_once('.')?;
    let (visit, n) = (VisitId::parse("visit", visit).ok()?, n.parse::<u32>().ok()?);
    let index = usize::try_from(n.checked_sub(1)?).ok()?;
    (ActId::nth_of(&visit, index) == *act).then_some((visit, n))
}

/// A visit's row: its farm, then (after a 0 byte) the numbers of its acts named after it, four
/// bytes each, big-endian. Rows written before acts were kept there hold the farm alone.
fn visit_row(row: &[u8]) -> Result<(&[u8], impl Iterator<Item = u32> + '_), BackendError> {
    let (farm, acts) = match row.iter().position(|b| *b == 0) {
        Some(i) => (&row[..i], &row[i + 1..]),
        None => (row, &row[row.len()..]),
    };
    if acts.len() % 4 != 0 {
        return Err(BackendError::Corrupt("a visit's acts".into()));
    }
    Ok((
        farm,
        acts.chunks_exact(4)
            .map(|n| u32::from_be_bytes([n[0], n[1], n[2], n[3]])),
    ))
}

/// A claim's expiry and value, as `claims` stores them.
fn claim_row(expires_ms: u64, value: &[u8]) -> Vec<u8> {
    let mut row = expires_ms.to_be_bytes().to_vec();
    row.extend_from_slice(value);
    row
}

/// The expiry and value of a stored claim.
fn split_claim(row: &[u8]) -> Result<(u64, &[u8]), BackendError> {
    let (at, value) = row
        .split_first_chunk::<8>()
        .ok_or_else(|| BackendError::Corrupt("a claim shorter than its expiry".into()))?;
    Ok((u64::from_be_bytes(*at), value))
}

impl SledBackend {
    /// Writes a claim, not yet durable (see [`SledBackend::durable`]).
    fn claim_sync(&self, key: &[u8], row: Vec<u8>, now_ms: u64) -> Result<bool, BackendError> {
        let claims = &self.inner.claims;
        // Compare-and-swap, so two requests carrying the same nonce at once cannot both pass.
        let mut current = claims.get(key)?;
        loop {
            if let Some(old) = &current
                && split_claim(old)?.0 > now_ms
            {
                return Ok(false);
            }
            match claims.compare_and_swap(key, current.clone(), Some(row.clone()))? {
                Ok(()) => break,
                Err(e) => current = e.current,
            }
        }
        Ok(true)
    }

    fn prune_claims_sync(&self, now_ms: u64) -> Result<u64, BackendError> {
        let mut gone = 0;
        for entry in self.inner.claims.iter() {
            let (key, row) = entry?;
            if split_claim(&row)?.0 <= now_ms
                && self
                    .inner
                    .claims
                    .compare_and_swap(&key, Some(row), None::<&[u8]>)?
                    .is_ok()
            {
                gone += 1;
            }
        }
        Ok(gone)
    }
}

/// Runs blocking sled work off the async threads.
fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, BackendError> + Send + 'static,
) -> Fut<'static, T> {
    Box::pin(async move {
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| BackendError::Storage(format!("a storage task failed: {e}")))?
    })
}

impl Backend for SledBackend {
    fn add_account<'a>(&'a self, role: &'a Role, token_hash: Hash) -> Fut<'a, ()> {
        let (s, role) = (self.clone(), role.clone());
        blocking(move || s.add_account_sync(&role, token_hash))
    }

    fn token_role<'a>(&'a self, token_hash: Hash) -> Fut<'a, Option<Role>> {
        let s = self.clone();
        blocking(move || match s.inner.tokens.get(token_hash)? {
            Some(account) => s.role(&String::from_utf8_lossy(&account)),
            None => Ok(None),
        })
    }

    fn account<'a>(&'a self, id: &'a str) -> Fut<'a, Option<Role>> {
        let (s, id) = (self.clone(), id.to_owned());
        blocking(move || s.role(&id))
    }

    fn redeem<'a>(&'a self, token_hash: Hash, device: DeviceRecord) -> Fut<'a, Option<Role>> {
        let s = self.clone();
        blocking(move || s.redeem_sync(token_hash, device))
    }

    fn device<'a>(&'a self, device: DeviceId) -> Fut<'a, Option<(DeviceRecord, Role)>> {
        let s = self.clone();
        blocking(move || s.device_sync(device))
    }

    fn spend<'a>(&'a self, token_hash: Hash) -> Fut<'a, Option<Role>> {
        let s = self.clone();
        blocking(move || s.spend_sync(token_hash))
    }

    fn devices_of<'a>(&'a self, account: &'a str) -> Fut<'a, Vec<DeviceRecord>> {
        let (s, account) = (self.clone(), account.to_owned());
        blocking(move || s.devices_of_sync(&account))
    }

    fn head<'a>(&'a self, device: DeviceId) -> Fut<'a, Option<(u64, Hash)>> {
        let s = self.clone();
        blocking(move || s.head_sync(device))
    }

    fn hashes<'a>(&'a self, device: DeviceId, from: u64, to: u64) -> Fut<'a, Vec<(u64, Hash)>> {
        let s = self.clone();
        blocking(move || {
            Ok(s.events_of(device, from, to)?
                .into_iter()
                .map(|(seq, hash, _)| (seq, hash))
                .collect())
        })
    }

    fn bodies<'a>(&'a self, device: DeviceId, from: u64, to: u64) -> Fut<'a, Vec<Vec<u8>>> {
        let s = self.clone();
        blocking(move || {
            Ok(s.events_of(device, from, to)?
                .into_iter()
                .map(|(_, _, body)| body)
                .collect())
        })
    }

    fn signature<'a>(&'a self, device: DeviceId, seq: u64) -> Fut<'a, Option<[u8; 64]>> {
        let s = self.clone();
        blocking(move || {
            let Some(c) = s.chunks_of(device, seq, seq)?.into_iter().next() else {
                return Ok(None);
            };
            if c.last_seq() != seq {
                return Ok(None);
            }
            Ok(s.chunk(c.first_pos)?.signature.map(|sig| sig.0))
        })
    }

    fn facts<'a>(&'a self, ask: &'a FactsQuery) -> Fut<'a, FactsAnswer> {
        let (s, q) = (self.clone(), ask.clone());
        blocking(move || s.facts_sync(&q))
    }

    fn ingest(&self, batch: Ingest) -> Fut<'_, IngestOutcome> {
        let s = self.clone();
        Box::pin(async move {
            let turn = s
                .inner
                .placing
                .clone()
                .acquire_owned()
                .await
                .map_err(|e| BackendError::Storage(format!("the pushes' turn closed: {e}")))?;
            let placer = s.clone();
            let (outcome, wrote) = blocking(move || {
                let _turn = turn;
                placer.place(batch)
            })
            .await?;
            if wrote {
                // Outside the turn: pushes that wait on the disk together share one flush.
                blocking(move || s.durable()).await?;
            }
            Ok(outcome)
        })
    }

    fn read<'a>(
        &'a self,
        scope: &'a Scope,
        after: Cursor,
        exclude: DeviceId,
        limit: usize,
    ) -> Fut<'a, Page> {
        let (s, scope) = (self.clone(), scope.clone());
        blocking(move || s.read_sync(&scope, after, exclude, limit))
    }

    fn new_grants<'a>(
        &'a self,
        technicians: &'a [TechnicianId],
        after: Cursor,
        upto: Cursor,
    ) -> Fut<'a, Vec<Ede>> {
        let (s, t) = (self.clone(), technicians.to_vec());
        blocking(move || s.new_grants_sync(&t, after, upto))
    }

    fn farm_events<'a>(
        &'a self,
        farms: &'a [Ede],
        upto: Cursor,
        exclude: DeviceId,
    ) -> Fut<'a, Vec<StoredEvent>> {
        let (s, f) = (self.clone(), farms.to_vec());
        blocking(move || s.farm_events_sync(&f, upto, exclude))
    }

    fn claim<'a>(&'a self, claim: Claim<'a>, now_ms: u64) -> Fut<'a, bool> {
        let (s, key) = (self.clone(), claim.key.to_vec());
        let row = claim_row(claim.expires_ms, claim.value);
        blocking(move || {
            let fresh = s.claim_sync(&key, row, now_ms)?;
            if fresh {
                s.durable()?;
            }
            Ok(fresh)
        })
    }

    fn claim_unsettled<'a>(&'a self, claim: Claim<'a>, now_ms: u64) -> Fut<'a, bool> {
        // A few reads and a compare-and-swap: not worth a trip to a blocking thread.
        let row = claim_row(claim.expires_ms, claim.value);
        let fresh = self.claim_sync(claim.key, row, now_ms);
        Box::pin(async move { fresh })
    }

    fn turn(&self) -> Fut<'_, Option<tokio::sync::OwnedSemaphorePermit>> {
        let placing = self.inner.placing.clone();
        Box::pin(async move {
            placing
                .acquire_owned()
                .await
                .map(Some)
                .map_err(|e| BackendError::Storage(format!("the pushes' turn closed: {e}")))
        })
    }

    fn ingest_unsettled(&self, batch: Ingest) -> Fut<'_, IngestOutcome> {
        let s = self.clone();
        Box::pin(async move { Ok(blocking(move || s.place(batch)).await?.0) })
    }

    fn settle(&self) -> Fut<'_, ()> {
        let s = self.clone();
        blocking(move || s.durable())
    }

    fn claimed<'a>(&'a self, key: &'a [u8], now_ms: u64) -> Fut<'a, Option<Vec<u8>>> {
        let (s, key) = (self.clone(), key.to_vec());
        blocking(move || match s.inner.claims.get(key)? {
            Some(row) => {
                let (expires, value) = split_claim(&row)?;
                Ok((expires > now_ms).then(|| value.to_vec()))
            }
            None => Ok(None),
        })
    }

    fn release<'a>(&'a self, key: &'a [u8]) -> Fut<'a, ()> {
        let (s, key) = (self.clone(), key.to_vec());
        blocking(move || {
            s.inner.claims.remove(key)?;
            s.durable()
        })
    }

    fn prune_claims(&self, now_ms: u64) -> Fut<'_, u64> {
        let s = self.clone();
        blocking(move || s.prune_claims_sync(now_ms))
    }

    fn count_events(&self) -> Fut<'_, u64> {
        let s = self.clone();
        blocking(move || Ok(*s.writer()))
    }

    fn put_record<'a>(&'a self, key: &'a [u8], value: &'a [u8]) -> Fut<'a, ()> {
        let (s, key, value) = (self.clone(), key.to_vec(), value.to_vec());
        blocking(move || {
            s.inner.records.insert(key, value)?;
            s.durable()
        })
    }

    fn record<'a>(&'a self, key: &'a [u8]) -> Fut<'a, Option<Vec<u8>>> {
        let (s, key) = (self.clone(), key.to_vec());
        blocking(move || Ok(s.inner.records.get(key)?.map(|v| v.to_vec())))
    }

    fn remove_record<'a>(&'a self, key: &'a [u8]) -> Fut<'a, ()> {
        let (s, key) = (self.clone(), key.to_vec());
        blocking(move || {
            s.inner.records.remove(key)?;
            s.durable()
        })
    }

    fn records<'a>(&'a self, prefix: &'a [u8]) -> Fut<'a, Vec<(Vec<u8>, Vec<u8>)>> {
        let (s, prefix) = (self.clone(), prefix.to_vec());
        blocking(move || {
            let mut out = Vec::new();
            for entry in s.inner.records.scan_prefix(prefix) {
                let (k, v) = entry?;
                out.push((k.to_vec(), v.to_vec()));
            }
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Payload, Technician};
    use crate::log::{Event, Hlc, genesis};

    /// Writes a folder as the first layout did: a row per event and a tree per index.
    fn first_layout(dir: &Path, device: DeviceId, bodies: &[Vec<u8>]) -> Vec<Hash> {
        let db = sled::open(dir).unwrap();
        let t = |n: &str| db.open_tree(n).unwrap();
        t("devices")
            .insert(
                device.0,
                encode(&DeviceRow {
                    public_key: [7; 32],
                    account: "technician:T01".into(),
                    label: "tablet".into(),
                })
                .unwrap(),
            )
            .unwrap();
        let mut hash = genesis(device);
        let mut hashes = Vec::new();
        for (i, body) in bodies.iter().enumerate() {
            let (seq, pos) = (i as u64 + 1, i as u64 + 1);
            let idk = EventId { device, seq }.key();
            hash = chain_hash(&hash, &EventId { device, seq }, body);
            hashes.push(hash);
            let mut row = pos.to_be_bytes().to_vec();
            row.extend_from_slice(&hash);
            row.extend_from_slice(body);
            t("events").insert(idk, row).unwrap();
            t("stream").insert(pos.to_be_bytes(), &idk).unwrap();
            let by = |tree: &str, k: &[u8]| {
                let mut key = k.to_vec();
                key.push(0);
                key.extend_from_slice(&pos.to_be_bytes());
                t(tree).insert(key, &idk).unwrap();
            };
            by("by_author", b"technician:T01");
            by("by_technician", b"T01");
        }
        // two pushes: 1..=2 and 3..=3, each signed at its end
        for seq in [2u64, 3] {
            t("signatures")
                .insert(EventId { device, seq }.key(), &[seq as u8; 64][..])
                .unwrap();
        }
        t("visits").insert("V1", "53161001").unwrap();
        t("meta").insert("pos", &3u64.to_be_bytes()).unwrap();
        db.flush().unwrap();
        hashes
    }

    /// A push's acts are found again by id: those named after their visit (`V1.2`) from the
    /// visit's row, others from a row of their own; a later push adds to the visit's row.
    #[test]
    fn every_act_of_a_push_tells_its_visit_whether_named_after_it_or_not() {
        let dir = tempfile::tempdir().unwrap();
        let b = SledBackend::open(dir.path()).unwrap();
        let (device, tech) = (DeviceId([5; 16]), TechnicianId::parse("t", "T01").unwrap());
        let v = |s: &str| VisitId::parse("v", s).unwrap();
        let a = |s: &str| ActId::parse("a", s).unwrap();
        let farm = Ede::parse("farm", "53161001").unwrap();
        let push = |seq: u64, effects: crate::server::rights::Effects| Ingest {
            device,
            author: "technician:T01".into(),
            expected_head: seq - 1,
            events: vec![crate::server::backend::NewEvent {
                seq,
                hash: [seq as u8; 32],
                body: vec![seq as u8],
                tags: Tags {
                    technician: Some(tech.clone()),
                    ..Tags::default()
                },
            }],
            signature: [0; 64],
            effects,
        };
        let first = crate::server::rights::Effects {
            visits: vec![(v("V1"), farm.clone()), (v("V2"), farm.clone())],
            assignments: vec![(v("V1"), tech.clone())],
            acts: vec![
                (a("V1.1"), v("V1")),
                (a("V1.2"), v("V1")),
                (a("SCAN-7"), v("V2")),
                // a number written otherwise than `nth_of` would: kept in its own row
                (a("V1.03"), v("V1")),
            ],
            grants: vec![],
        };
        assert_eq!(b.place(push(1, first)).unwrap().0, IngestOutcome::Stored);
        let later = crate::server::rights::Effects {
            acts: vec![(a("V2.1"), v("V2"))],
            ..Default::default()
        };
        assert_eq!(b.place(push(2, later)).unwrap().0, IngestOutcome::Stored);
        let asked = [
            "V1.1", "V1.2", "SCAN-7", "V1.03", "V2.1", "V1.3", "V2.2", "V9.1",
        ];
        let facts = b
            .facts_sync(&FactsQuery {
                visits: vec![v("V1"), v("V2")],
                acts: asked.iter().map(|s| a(s)).collect(),
                ..FactsQuery::default()
            })
            .unwrap();
        let mut found: Vec<(&str, &str)> = facts
            .acts
            .iter()
            .map(|(a, v)| (a.as_str(), v.as_str()))
            .collect();
        found.sort();
        assert_eq!(
            found,
            vec![
                ("SCAN-7", "V2"),
                ("V1.03", "V1"),
                ("V1.1", "V1"),
                ("V1.2", "V1"),
                ("V2.1", "V2")
            ]
        );
        assert_eq!(facts.visits[&v("V1")].farm, farm);
        assert_eq!(facts.visits[&v("V2")].farm, farm);
        assert_eq!(
            facts.visits[&v("V1")].technicians,
            [tech.clone()].into_iter().collect()
        );
    }

    #[test]
    fn a_folder_of_the_first_layout_opens_with_every_event_position_and_signature() {
        let dir = tempfile::tempdir().unwrap();
        let device = DeviceId([3; 16]);
        let bodies: Vec<Vec<u8>> = (0..3)
            .map(|i| {
                Event {
                    id: EventId { device, seq: i + 1 },
                    clock: Hlc {
                        wall_ms: 1_000 + i,
                        logical: 0,
                    },
                    payload: Payload::TechnicianRecorded(Technician {
                        id: TechnicianId::parse("t", "T01").unwrap(),
                        name: format!("Julie {i}"),
                        home: None,
                        licence: None,
                    }),
                }
                .body()
                .unwrap()
            })
            .collect();
        let hashes = first_layout(dir.path(), device, &bodies);
        let b = SledBackend::open(dir.path()).unwrap();
        assert_eq!(b.head_sync(device).unwrap(), Some((3, hashes[2])));
        let held = b.events_of(device, 1, 3).unwrap();
        assert_eq!(
            held,
            (1..=3u64)
                .zip(hashes.iter().copied())
                .zip(bodies.iter().cloned())
                .map(|((s, h), body)| (s, h, body))
                .collect::<Vec<_>>()
        );
        // each push kept its signature: the chunks end where the pushes ended
        let sig = |seq| {
            let c = b.chunks_of(device, seq, seq).unwrap().remove(0);
            (c.last_seq() == seq)
                .then(|| b.chunk(c.first_pos).unwrap().signature)
                .flatten()
                .map(|s| s.0[0])
        };
        assert_eq!((sig(1), sig(2), sig(3)), (None, Some(2), Some(3)));
        // positions are kept: a cursor given before the move still means the same place
        let scope = Scope {
            author: "technician:T01".into(),
            technicians: vec![TechnicianId::parse("t", "T01").unwrap()],
            farm: None,
        };
        let page = b
            .read_sync(&scope, Cursor { tx: 0, pos: 1 }, DeviceId([0; 16]), 10)
            .unwrap();
        let got: Vec<(u64, u64)> = page.events.iter().map(|e| (e.seq, e.cursor.pos)).collect();
        assert_eq!(got, [(2, 2), (3, 3)]);
        assert_eq!(page.next.pos, 3);
        let facts = b
            .facts_sync(&FactsQuery {
                visits: vec![VisitId::parse("v", "V1").unwrap()],
                ..FactsQuery::default()
            })
            .unwrap();
        assert_eq!(facts.visits.len(), 1);
        drop(b);
        // the old trees are gone, and opening again moves nothing twice
        let b = SledBackend::open(dir.path()).unwrap();
        assert!(
            !b.inner
                .db
                .tree_names()
                .iter()
                .any(|n| n.as_ref() == b"stream")
        );
        assert_eq!(b.events_of(device, 1, 3).unwrap().len(), 3);
        assert_eq!(*b.writer(), 3);
    }
}
