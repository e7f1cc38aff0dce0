//! The local event log on sled: append-only events, a signed hash chain per device, and the
//! projections the screens read. An append is on disk (sled flushed, its file fsynced) before
//! `append` returns.
//!
//! Not for deciding what an event means for work time or rounds (`worktime`, `tour`), nor for
//! the wire (`sync`). Layout of a store's folder:
//! - sled's files (`db`, `conf`, `snap.*`, `blobs/`) with one tree, `blocks`: device ‖ first
//!   sequence number → a [`block`] of that device's consecutive events, compressed and able to
//!   verify itself (the chain hash before it, the seal after it);
//! - `device`: this device's key, the server keys it trusts, settings (see `files.rs`);
//! - `head`: how many events the store held after its last durable write.
//!
//! Projections are derived state: rebuilt in memory from the events at each open, by the same
//! walk that verifies every chain (see `integrity.rs`). A peer's chain may be sparse: runs of
//! consecutive events, each starting from the hash its first block carries and ending with a
//! seal (the device's signature, or a trusted server's witness).
//!
//! sled repairs a damaged file by cutting it at the damage, which loses what follows: a store
//! is therefore checked on a copy of its files before sled may open it (see [`Store::open`]),
//! and nothing here ever writes to a store that did not pass.

mod adopt;
mod block;
mod chain;
mod event;
mod files;
mod import;
mod integrity;
mod migrate;
mod projection;
mod query;
mod recover;
pub(crate) mod table;

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use ed25519_dalek::{Signer, SigningKey};
use serde::Serialize;

pub use adopt::Adopted;
pub use chain::{ChainError, Chained, Walked, verify_seal, walk};
pub use event::{
    DeviceId, Event, EventId, Hash, Hlc, MAX_DRIFT_MS, Seal, SignatureBytes, Stamp, chain_hash,
    genesis, witness_message,
};
pub use import::ImportSummary;
pub use integrity::{ChainReport, IntegrityReport};
pub use projection::{Advice, DeclaredTime, Review, StockLine, Supersession, VisitNote};
pub use query::ActView;
pub use recover::{DeviceRecovery, Recovery, own_device, recover};

use block::Block;
use files::{DeviceFile, Head, HeadFile};
use integrity::{BlockInfo, State};

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
    /// A store opened to be read (a check, an export) was asked to write.
    #[error("the store was opened to be read, not written")]
    ReadOnly,
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

/// The sled tree of blocks.
const BLOCKS: &str = "blocks";
/// A device's trailing blocks are merged by tiers: [`MERGE_AT`] blocks under each size (in
/// events) into one, smallest first. Appends of one act each end up in blocks of a few
/// hundred, and an append re-encodes 16 events once in 16 and 256 once in 256: merging every
/// small block into one growing block re-encoded up to 256 events once in 16 appends, the
/// append's 99th percentile.
const TIERS: [u64; 2] = [16, 256];
const MERGE_AT: usize = 16;

/// The local store: open once per process, share by cloning.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    // Dropped in this order: sled before the temporary copy it may live in.
    db: sled::Db,
    /// A handle on sled's data file, to `fsync` it: sled's own flush only asks Linux to write
    /// the range (`sync_file_range`), which a power cut may still lose.
    db_file: File,
    blocks: sled::Tree,
    key: SigningKey,
    device: DeviceId,
    /// `None` for a store opened on a copy, to be read.
    head: Option<HeadFile>,
    device_file: Mutex<DeviceFile>,
    state: RwLock<State>,
    writer: Mutex<Writer>,
    /// What the check at open found.
    report: IntegrityReport,
    _copy: Option<TempCopy>,
    /// Marks the store closed cleanly once sled has let go of its files.
    closer: Closer,
    _lock: File,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // sled's fields drop next; the closer after them.
        let _ = self.db.flush();
        if self.head.is_some()
            && let Ok(st) = self.state.read()
        {
            self.closer.head_now = Some(head_of(&st, self.device));
        }
    }
}

/// Writes the clean-close mark: once sled has closed its files (its lock on `db` is free),
/// the checksum of those files goes into `head`. A store that was not closed this way (a
/// crash) is checked on a copy at the next open.
struct Closer {
    dir: PathBuf,
    head: Option<HeadFile>,
    head_now: Option<Head>,
}

impl Drop for Closer {
    fn drop(&mut self) {
        let (Some(file), Some(head)) = (&self.head, self.head_now) else {
            return;
        };
        let Ok(db) = File::open(self.dir.join(files::SLED_DB)) else {
            return;
        };
        // sled's threads let go of the file within a few hundred milliseconds (longer on a
        // busy machine); past the deadline the mark is left out and the next open checks a copy.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while db.try_lock().is_err() {
            if std::time::Instant::now() >= deadline {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        if let Ok(sum) = files::sled_checksum(&self.dir) {
            let _ = file.write_synced(Head {
                closed: Some(sum),
                ..head
            });
        }
        let _ = db.unlock();
    }
}

/// Sequence numbers `from ..= to` of a device missing from the store, with `held_after` of
/// its events stored beyond them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Gap {
    pub from: u64,
    pub to: u64,
    pub held_after: u64,
}

/// What the next local append continues from. Held locked while writing, so sequence
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

fn damaged(problem: impl Into<String>) -> LogError {
    LogError::Damaged(IntegrityReport {
        chains: Vec::new(),
        problems: vec![problem.into()],
    })
}

impl Store {
    /// Opens (or creates) the store in `dir`. Its files are first checked on a copy, so sled's
    /// own recovery never runs on a damaged original: a damaged store is refused, unchanged,
    /// with a report of what is damaged and what is intact (see [`recover`]). A store of the
    /// earlier layout (one sled key per event) is migrated, nothing lost.
    pub fn open(dir: &Path) -> Result<Store, LogError> {
        std::fs::create_dir_all(dir)?;
        let lock = lock_dir(dir)?;
        let device_file = DeviceFile::read(dir).map_err(|e| damaged(e.to_string()))?;
        let has_db = dir.join(files::SLED_DB).exists();
        match (device_file, has_db) {
            (None, false) => {
                if dir.join(files::HEAD).exists() {
                    return Err(damaged(
                        "the data file db and the device file are missing, though the store \
                         held events",
                    ));
                }
                Store::create(dir, lock)
            }
            (None, true) => migrate::migrate(dir, lock),
            (Some(_), false) => Err(damaged(
                "the data file db is missing beside the device file: the events are gone from \
                 this folder",
            )),
            (Some(device_file), true) => {
                let head = Head::read(dir).ok().flatten();
                let closed = head.and_then(|h| h.closed);
                let unchanged = match closed {
                    Some(sum) => files::sled_checksum(dir).ok() == Some(sum),
                    None => false,
                };
                if unchanged && let Some(head) = head {
                    // Closed cleanly and not a byte changed since: sled opens it as it left
                    // it. Say "in use" first, so a crash from here on is not taken for clean.
                    HeadFile::open(dir)?.write_synced(Head {
                        closed: None,
                        ..head
                    })?;
                    let db = open_sled(dir)?;
                    let (state, mut report) =
                        integrity::load(&db.open_tree(BLOCKS)?, &device_file.witness_keys, true)?;
                    compare_with_head(&mut report, Some(head), own_of(&device_file));
                    if !report.is_intact() {
                        return Err(LogError::Damaged(report));
                    }
                    return Store::start(
                        dir,
                        dir,
                        lock,
                        device_file,
                        state,
                        report,
                        Some(db),
                        None,
                    );
                }
                let Checked {
                    state, report, db, ..
                } = Checked::of(dir, &device_file)?;
                drop(db);
                if let Some(head) = head {
                    HeadFile::open(dir)?.write_synced(head)?;
                }
                Store::start(dir, dir, lock, device_file, state, report, None, None)
            }
        }
    }

    /// Opens a copy of the store in `dir` to read it (a check, an export): the store's own
    /// files are never opened by sled, nor changed. Damage is refused as by [`Store::open`].
    pub fn inspect(dir: &Path) -> Result<Store, LogError> {
        // A folder that holds nothing of a store is a wrong `--data`, not a damaged store.
        let holds = |name: &str| dir.join(name).exists();
        if !holds(files::DEVICE) && !holds(files::SLED_DB) && !holds(files::HEAD) {
            return Err(LogError::Refused(DomainError::invalid(
                "data",
                &dir.display().to_string(),
                "the folder of a Tournée store",
            )));
        }
        let lock = lock_dir(dir)?;
        let Some(device_file) = DeviceFile::read(dir).map_err(|e| damaged(e.to_string()))? else {
            if dir.join(files::SLED_DB).exists() {
                // The earlier layout: migrate a copy, and read that.
                let copy = TempCopy::of(dir, true)?;
                drop(lock);
                let store = Store::open(copy.path())?;
                return store.into_read_only(dir, copy);
            }
            return Err(damaged(
                "the data file db and the device file are missing, though the store held events",
            ));
        };
        if !dir.join(files::SLED_DB).exists() {
            return Err(damaged(
                "the data file db is missing beside the device file: the events are gone from \
                 this folder",
            ));
        }
        let Checked {
            state,
            report,
            db,
            copy,
        } = Checked::of(dir, &device_file)?;
        drop(db);
        let path = copy.path().to_path_buf();
        Store::start(
            dir,
            &path,
            lock,
            device_file,
            state,
            report,
            None,
            Some(copy),
        )
    }

    /// Turns a store opened on a copy into one that only reads, and removes the copy when
    /// dropped; `dir` is the original's folder.
    fn into_read_only(mut self, dir: &Path, copy: TempCopy) -> Result<Store, LogError> {
        let inner = Arc::get_mut(&mut self.inner)
            .ok_or_else(|| LogError::Storage("the migrated copy is still in use".into()))?;
        inner.dir = dir.to_path_buf();
        inner.head = None;
        inner.closer.head = None;
        inner._copy = Some(copy);
        Ok(self)
    }

    fn create(dir: &Path, lock: File) -> Result<Store, LogError> {
        let key = SigningKey::generate(&mut rand_core::OsRng);
        let device_file = DeviceFile {
            key: key.to_bytes(),
            witness_keys: Vec::new(),
            settings: BTreeMap::new(),
        };
        HeadFile::open(dir)?.write_synced(Head::default())?;
        device_file.write(dir)?;
        Store::start(
            dir,
            dir,
            lock,
            device_file,
            State::default(),
            IntegrityReport::default(),
            None,
            None,
        )
    }

    /// Opens sled in `sled_dir` (the store's folder, or a copy of it) over a checked state,
    /// unless `db` is that sled already open.
    #[allow(clippy::too_many_arguments)]
    fn start(
        dir: &Path,
        sled_dir: &Path,
        lock: File,
        device_file: DeviceFile,
        state: State,
        report: IntegrityReport,
        db: Option<sled::Db>,
        copy: Option<TempCopy>,
    ) -> Result<Store, LogError> {
        let db = match db {
            Some(db) => db,
            None => open_sled(sled_dir)?,
        };
        let db_file = File::open(sled_dir.join(files::SLED_DB))?;
        let blocks = db.open_tree(BLOCKS)?;
        let held: usize = state.chains.values().map(|c| c.blocks.len()).sum();
        if blocks.len() != held {
            return Err(damaged(format!(
                "the data file changed while it was checked ({} blocks, {held} checked)",
                blocks.len()
            )));
        }
        let key = SigningKey::from_bytes(&device_file.key);
        let device = DeviceId::of_key(&key.verifying_key().to_bytes());
        let (next_seq, last_hash) = match state.chains.get(&device).and_then(|c| c.head()) {
            Some((seq, hash)) => (seq + 1, hash),
            None => (1, genesis(device)),
        };
        let clock = state.clock;
        let head = if copy.is_none() {
            Some(HeadFile::open(dir)?)
        } else {
            None
        };
        let closer = Closer {
            dir: dir.to_path_buf(),
            head: if copy.is_none() {
                Some(HeadFile::open(dir)?)
            } else {
                None
            },
            head_now: None,
        };
        Ok(Store {
            inner: Arc::new(Inner {
                dir: dir.to_path_buf(),
                db,
                db_file,
                blocks,
                key,
                device,
                head,
                device_file: Mutex::new(device_file),
                state: RwLock::new(state),
                writer: Mutex::new(Writer {
                    next_seq,
                    last_hash,
                    clock,
                }),
                report,
                _copy: copy,
                closer,
                _lock: lock,
            }),
        })
    }

    fn writer(&self) -> MutexGuard<'_, Writer> {
        // A panic while holding the lock cannot leave the writer half-updated: it is only
        // assigned after a write is on disk.
        self.inner
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn state(&self) -> RwLockReadGuard<'_, State> {
        self.inner
            .state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn state_mut(&self) -> RwLockWriteGuard<'_, State> {
        self.inner
            .state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn device_file(&self) -> MutexGuard<'_, DeviceFile> {
        self.inner
            .device_file
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

    /// What the integrity check found when the store was opened.
    pub fn report(&self) -> &IntegrityReport {
        &self.inner.report
    }

    fn writable(&self) -> Result<&HeadFile, LogError> {
        self.inner.head.as_ref().ok_or(LogError::ReadOnly)
    }

    /// Appends events from this device, one per payload, and returns once they are on disk.
    /// A payload that is invalid or names a record that does not exist refuses the whole
    /// batch: nothing is written.
    pub fn append(&self, payloads: Vec<Payload>) -> Result<Vec<EventId>, LogError> {
        for p in &payloads {
            p.validate()?;
        }
        if payloads.is_empty() {
            return Ok(Vec::new());
        }
        self.writable()?;
        let mut w = self.writer();
        let now = now_ms();
        let mut clock = w.clock;
        let mut events = Vec::with_capacity(payloads.len());
        let mut bodies = Vec::with_capacity(payloads.len());
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
            bodies.push(
                event
                    .body()
                    .map_err(|e| LogError::Corrupt(format!("encoding an event: {e}")))?,
            );
            events.push(event);
        }
        let ids: Vec<EventId> = events.iter().map(|e| e.id).collect();
        let mut st = self.state_mut();
        if events.len() > 1_000 {
            st.projections.reserve(events.len());
        }
        // Into an empty store (an import of a year, say), undoing is emptying again: no journal.
        let empty = st.chains.is_empty();
        if !empty {
            st.projections.begin();
        }
        for e in events {
            if let Err(err) = projection::apply(&mut st.projections, e, true) {
                if empty {
                    st.projections = projection::Projections::default();
                } else {
                    st.projections.rollback();
                }
                return Err(err);
            }
        }
        // Every block of our own is signed: each verifies alone, even if its neighbours
        // are lost.
        let blocks = self.blocks_with_key(
            self.inner.device,
            self.public_key(),
            w.next_seq,
            w.last_hash,
            bodies,
            |_, end| {
                Some(Seal::Device(SignatureBytes(
                    self.inner.key.sign(end).to_bytes(),
                )))
            },
        );
        if let Err(err) = self.write_blocks(&blocks) {
            if empty {
                st.projections = projection::Projections::default();
            } else {
                st.projections.rollback();
            }
            return Err(err);
        }
        st.projections.commit();
        for (b, info) in &blocks {
            index(&mut st, b, *info);
        }
        w.next_seq += ids.len() as u64;
        w.last_hash = blocks.last().map_or(w.last_hash, |(_, info)| info.end);
        w.clock = clock;
        st.clock = st.clock.max(clock);
        self.wrote(&st)?;
        self.compact(&mut st, self.inner.device)?;
        Ok(ids)
    }

    /// Cuts consecutive bodies of `device` into blocks, from `first` after the chain hash
    /// `prev`; `seal` gives each block's seal from the block and the hash after it.
    #[allow(clippy::too_many_arguments)]
    fn blocks_with_key(
        &self,
        device: DeviceId,
        public_key: [u8; 32],
        first: u64,
        prev: Hash,
        bodies: Vec<Vec<u8>>,
        seal: impl Fn(&Block, &Hash) -> Option<Seal>,
    ) -> Vec<(Block, BlockInfo)> {
        let mut out = Vec::new();
        let mut next = first;
        let mut hash = prev;
        let mut chunk: Vec<Vec<u8>> = Vec::new();
        let mut size = 0;
        let total = bodies.len();
        for (i, body) in bodies.into_iter().enumerate() {
            size += body.len();
            chunk.push(body);
            if chunk.len() >= block::MAX_EVENTS || size >= block::MAX_BYTES || i + 1 == total {
                let mut b = Block {
                    device,
                    public_key,
                    first: next,
                    prev: hash,
                    bodies: std::mem::take(&mut chunk),
                    seal: None,
                };
                let end = b.end();
                b.seal = seal(&b, &end);
                next += b.bodies.len() as u64;
                let info = BlockInfo {
                    count: b.bodies.len() as u64,
                    prev: hash,
                    end,
                };
                hash = end;
                size = 0;
                out.push((b, info));
            }
        }
        out
    }

    /// Writes blocks in one atomic sled batch and makes them durable. A single block is one
    /// insert, atomic by itself: a batch would add its manifest, a second write for sled's
    /// flush to wait on, to every act recorded alone.
    fn write_blocks(&self, blocks: &[(Block, BlockInfo)]) -> Result<(), LogError> {
        let encode = |b: &Block| {
            b.encode()
                .map_err(|e| LogError::Corrupt(format!("encoding a block: {e}")))
        };
        if let [(b, _)] = blocks {
            self.inner.blocks.insert(&b.key()[..], encode(b)?)?;
        } else {
            let mut batch = sled::Batch::default();
            for (b, _) in blocks {
                batch.insert(&b.key()[..], encode(b)?);
            }
            self.inner.blocks.apply_batch(batch)?;
        }
        self.sync_to_disk()
    }

    /// After a durable write: `head` says what the store now holds.
    fn wrote(&self, st: &State) -> Result<(), LogError> {
        self.writable()?.write(head_of(st, self.inner.device))
    }

    /// Merges a device's trailing small blocks, tier by tier (see [`TIERS`]). Not flushed:
    /// each batch is atomic, and the next durable write carries it; until then the small
    /// blocks are what a crash leaves, which is the same events.
    fn compact(&self, st: &mut State, device: DeviceId) -> Result<(), LogError> {
        for below in TIERS {
            // A tier fills only when the one under it has just merged.
            if !self.compact_tier(st, device, below)? {
                break;
            }
        }
        Ok(())
    }

    /// Merges the trailing run of blocks each under `below` events, if it is [`MERGE_AT`]
    /// long; whether it merged.
    fn compact_tier(&self, st: &mut State, device: DeviceId, below: u64) -> Result<bool, LogError> {
        let Some(chain) = st.chains.get(&device) else {
            return Ok(false);
        };
        let mut run: Vec<(u64, BlockInfo)> = Vec::new();
        let mut total = 0;
        for (first, info) in chain.blocks.iter().rev() {
            let joins = run
                .last()
                .is_none_or(|(f, next)| first + info.count == *f && info.end == next.prev);
            if info.count >= below || !joins || total + info.count > block::MAX_EVENTS as u64 {
                break;
            }
            total += info.count;
            run.push((*first, *info));
        }
        if run.len() < MERGE_AT {
            return Ok(false);
        }
        run.reverse();
        let public_key = chain.public_key;
        let mut bodies = Vec::with_capacity(total as usize);
        let mut seal = None;
        for (first, _) in &run {
            let b = self.read_block(device, *first)?;
            bodies.extend(b.bodies);
            seal = b.seal;
        }
        let (first, info0) = run[0];
        let merged = Block {
            device,
            public_key,
            first,
            prev: info0.prev,
            bodies,
            seal,
        };
        let mut batch = sled::Batch::default();
        for (f, _) in &run[1..] {
            batch.remove(&EventId { device, seq: *f }.key()[..]);
        }
        let bytes = merged
            .encode()
            .map_err(|e| LogError::Corrupt(format!("encoding a block: {e}")))?;
        batch.insert(&merged.key()[..], bytes);
        self.inner.blocks.apply_batch(batch)?;
        let last = run[run.len() - 1].1;
        if let Some(chain) = st.chains.get_mut(&device) {
            for (f, _) in &run {
                chain.blocks.remove(f);
            }
            chain.blocks.insert(
                first,
                BlockInfo {
                    count: total,
                    prev: info0.prev,
                    end: last.end,
                },
            );
        }
        Ok(true)
    }

    fn read_block(&self, device: DeviceId, first: u64) -> Result<Block, LogError> {
        let id = EventId { device, seq: first };
        let bytes = self
            .inner
            .blocks
            .get(id.key())?
            .ok_or_else(|| LogError::Corrupt(format!("the block at {id} is missing")))?;
        Block::decode(&bytes)
            .map(|(b, _)| b)
            .map_err(|e| LogError::Corrupt(format!("the block at {id}: {e}")))
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
        Ok(self.state().chains.get(&device).and_then(|c| c.head()))
    }

    /// The first stretch of a device's events this store lacks after `after`, with events
    /// held beyond it: what a damaged store recovered with a hole keeps out of reach of a
    /// push (the chain cannot go on past events nobody holds). `None`: no such stretch.
    pub fn gap_after(&self, device: DeviceId, after: u64) -> Option<Gap> {
        let st = self.state();
        let chain = st.chains.get(&device)?;
        let mut next = after + 1;
        let mut gap: Option<Gap> = None;
        for (first, b) in &chain.blocks {
            let end = first + b.count;
            match &mut gap {
                Some(g) => g.held_after += b.count,
                None if end <= next => {}
                None if *first > next => {
                    gap = Some(Gap {
                        from: next,
                        to: first - 1,
                        held_after: b.count,
                    })
                }
                None => next = end,
            }
        }
        gap
    }

    /// Events of a device after sequence `after`, at most `limit`, in order (across the gaps
    /// of a chain this store holds only parts of).
    pub fn events_after(
        &self,
        device: DeviceId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Event>, LogError> {
        self.stored_after(device, after, limit, false)?
            .into_iter()
            .map(|(seq, body)| decode_event(EventId { device, seq }, &body))
            .collect()
    }

    /// The bodies of a device's events `after + 1 ..` (at most `limit`, in order), as they
    /// were hashed: what a push sends. Stops at the first event this store does not hold.
    pub fn bodies_after(
        &self,
        device: DeviceId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Vec<u8>>, LogError> {
        Ok(self
            .stored_after(device, after, limit, true)?
            .into_iter()
            .map(|(_, body)| body)
            .collect())
    }

    fn stored_after(
        &self,
        device: DeviceId,
        after: u64,
        limit: usize,
        consecutive: bool,
    ) -> Result<Vec<(u64, Vec<u8>)>, LogError> {
        let firsts: Vec<u64> = {
            let st = self.state();
            let Some(chain) = st.chains.get(&device) else {
                return Ok(Vec::new());
            };
            chain
                .blocks
                .iter()
                .filter(|(f, b)| *f + b.count > after + 1)
                .map(|(f, _)| *f)
                .collect()
        };
        let mut out = Vec::new();
        for first in firsts {
            let b = self.read_block(device, first)?;
            for (seq, body) in (first..).zip(b.bodies) {
                if seq <= after {
                    continue;
                }
                if out.len() >= limit || (consecutive && seq != after + 1 + out.len() as u64) {
                    return Ok(out);
                }
                out.push((seq, body));
            }
        }
        Ok(out)
    }

    /// One event, by id.
    pub fn event(&self, id: EventId) -> Result<Option<Event>, LogError> {
        let Some((first, _)) = self
            .state()
            .chains
            .get(&id.device)
            .and_then(|c| c.block_of(id.seq))
        else {
            return Ok(None);
        };
        let b = self.read_block(id.device, first)?;
        match b.bodies.get((id.seq - first) as usize) {
            Some(body) => decode_event(id, body).map(Some),
            None => Ok(None),
        }
    }

    /// Every device this store has events of, and this one, with its public key.
    pub fn devices(&self) -> Result<Vec<(DeviceId, [u8; 32])>, LogError> {
        let mut out: BTreeMap<DeviceId, [u8; 32]> = self
            .state()
            .chains
            .iter()
            .map(|(d, c)| (*d, c.public_key))
            .collect();
        out.insert(self.inner.device, self.public_key());
        Ok(out.into_iter().collect())
    }

    /// The chain hash after event `id`, if this store holds it (for tests; the store's own
    /// code holds the state's lock already and calls `hash_in`).
    #[cfg(test)]
    pub(crate) fn hash_at(&self, id: EventId) -> Result<Option<Hash>, LogError> {
        let st = self.state();
        self.hash_in(&st, id)
    }

    fn hash_in(&self, st: &State, id: EventId) -> Result<Option<Hash>, LogError> {
        let Some((first, info)) = st.chains.get(&id.device).and_then(|c| c.block_of(id.seq)) else {
            return Ok(None);
        };
        if id.seq == first + info.count - 1 {
            return Ok(Some(info.end));
        }
        let b = self.read_block(id.device, first)?;
        Ok(b.hashes().get((id.seq - first) as usize).copied())
    }

    /// The chain hash a stored block gives for event `id` that this store does not hold
    /// (the block right after it carries it).
    fn link_at(st: &State, id: EventId) -> Option<Hash> {
        st.chains
            .get(&id.device)
            .and_then(|c| c.blocks.get(&(id.seq + 1)))
            .map(|b| b.prev)
    }

    /// Signs this device's chain at `seq` (for a peer that receives events up to there).
    pub fn sign_own(&self, seq: u64) -> Result<[u8; 64], LogError> {
        let id = EventId {
            device: self.inner.device,
            seq,
        };
        let st = self.state();
        let hash = self.hash_in(&st, id)?.ok_or_else(|| {
            LogError::Refused(DomainError::invalid(
                "seq",
                &seq.to_string(),
                "a sequence number this device has written",
            ))
        })?;
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
        let first = events.first().map_or(1, |e| e.id.seq);
        let device = DeviceId::of_key(&public_key);
        let mut bodies = Vec::with_capacity(events.len());
        for (seq, e) in (first..).zip(&events) {
            if e.id != (EventId { device, seq }) {
                return Err(LogError::Rejected {
                    device,
                    reason: format!("event {} where {device}:{seq} was expected", e.id),
                });
            }
            bodies.push(
                e.body()
                    .map_err(|err| LogError::Corrupt(format!("event {}: {err}", e.id)))?,
            );
        }
        self.merge_run(
            public_key,
            None,
            first,
            bodies,
            Seal::Device(SignatureBytes(signature)),
        )
    }

    /// Stores a run of a peer's consecutive events, which may start after a part of the chain
    /// this store does not hold (events outside its scope, or lost and given back by the
    /// server): `prev` is then the chain hash before the run's first event, as the server
    /// gives it. Checks the run with [`walk`] against whatever of the chain is stored (before,
    /// inside and after it: a fork is refused), and that `seal` vouches for the last event's
    /// hash: the device's signature, or the witness of a server whose key this store trusts
    /// ([`Store::trust_witness_key`]). Events already stored are skipped; returns how many
    /// were new. All or nothing.
    pub fn merge_run(
        &self,
        public_key: [u8; 32],
        prev: Option<Hash>,
        first: u64,
        bodies: Vec<Vec<u8>>,
        seal: Seal,
    ) -> Result<usize, LogError> {
        let device = DeviceId::of_key(&public_key);
        let reject = |reason: String| LogError::Rejected { device, reason };
        if bodies.is_empty() {
            return Ok(0);
        }
        if first == 0 {
            return Err(reject(ChainError::StartsAtZero.to_string()));
        }
        self.writable()?;
        let trusted = self.witness_keys()?;
        let mut w = self.writer();
        let mut st = self.state_mut();
        let stored_seq = st
            .chains
            .get(&device)
            .and_then(|c| c.head())
            .map_or(0, |(s, _)| s);
        let before = EventId {
            device,
            seq: first - 1,
        };
        let known_before = if first == 1 {
            Some(genesis(device))
        } else {
            match self.hash_in(&st, before)? {
                Some(h) => Some(h),
                None => Store::link_at(&st, before),
            }
        };
        let start = match (known_before, prev) {
            (Some(known), Some(given)) if known != given => {
                return Err(reject(format!(
                    "the chain before event {first} differs from the one stored (a forked chain)"
                )));
            }
            (Some(known), _) => known,
            (None, Some(given)) => given,
            (None, None) => {
                return Err(reject(format!(
                    "events start at {first} but this store has only up to {stored_seq}"
                )));
            }
        };
        // A stored block's hashes, computed once for all the events of the run it holds.
        let mut block_hashes: Option<(u64, Vec<Hash>)> = None;
        let walked = walk(device, start, first, bodies, |seq| {
            let Some((f, _)) = st.chains.get(&device).and_then(|c| c.block_of(seq)) else {
                return Ok(None);
            };
            if block_hashes.as_ref().is_none_or(|(held, _)| *held != f) {
                let b = self.read_block(device, f).map_err(MergeError::Log)?;
                block_hashes = Some((f, b.hashes()));
            }
            Ok(block_hashes
                .as_ref()
                .and_then(|(_, h)| h.get((seq - f) as usize).copied()))
        })
        .map_err(|e| match e {
            MergeError::Chain(ChainError::Invalid { error, .. }) => LogError::Refused(error),
            MergeError::Chain(c) => reject(c.to_string()),
            MergeError::Log(l) => l,
        })?;
        let last = EventId {
            device,
            seq: walked.events.last().map_or(first, |c| c.event.id.seq),
        };
        if Store::link_at(&st, last).is_some_and(|l| l != walked.head) {
            return Err(reject(format!(
                "event {last} differs from the chain stored after it (a forked chain)"
            )));
        }
        verify_seal(&public_key, last, &walked.head, &seal, &trusted)
            .map_err(|e| reject(e.to_string()))?;
        // The new events, in runs of consecutive ones, each from the hash before it; the
        // seal goes with the run that ends the walk.
        let mut segments: Vec<(u64, Hash, Vec<Vec<u8>>)> = Vec::new();
        let mut prev_hash = start;
        let mut clock = w.clock;
        let now = now_ms();
        let mut fresh_events = Vec::new();
        for c in walked.events {
            if !c.known {
                match segments.last_mut() {
                    Some((f, _, bodies)) if *f + bodies.len() as u64 == c.event.id.seq => {
                        bodies.push(c.body)
                    }
                    _ => segments.push((c.event.id.seq, prev_hash, vec![c.body])),
                }
                clock = clock.observe(c.event.clock, now);
                fresh_events.push(c.event);
            }
            prev_hash = c.hash;
        }
        if fresh_events.is_empty() {
            return Ok(0);
        }
        let mut blocks = Vec::new();
        for (f, p, bodies) in segments {
            let ends_run = f + bodies.len() as u64 - 1 == last.seq;
            blocks.extend(
                self.blocks_with_key(device, public_key, f, p, bodies, |b, _| {
                    (ends_run && b.last() == last.seq).then_some(seal)
                }),
            );
        }
        let n = fresh_events.len();
        st.projections.begin();
        for e in fresh_events {
            if let Err(err) = projection::apply(&mut st.projections, e, false) {
                st.projections.rollback();
                return Err(err);
            }
        }
        if let Err(err) = self.write_blocks(&blocks) {
            st.projections.rollback();
            return Err(err);
        }
        st.projections.commit();
        st.chains.entry(device).or_default().public_key = public_key;
        for (b, info) in &blocks {
            index(&mut st, b, *info);
        }
        w.clock = clock;
        st.clock = st.clock.max(clock);
        if device == self.inner.device
            && let Some((seq, hash)) = st.chains.get(&device).and_then(|c| c.head())
            && seq >= w.next_seq
        {
            w.next_seq = seq + 1;
            w.last_hash = hash;
        }
        self.wrote(&st)?;
        self.compact(&mut st, device)?;
        Ok(n)
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
        Ok(self.device_file().witness_keys.clone())
    }

    /// Trusts a server's key as witness (done at enrolment, from the server's answer).
    pub fn trust_witness_key(&self, key: [u8; 32]) -> Result<(), LogError> {
        self.writable()?;
        let mut f = self.device_file();
        if !f.witness_keys.contains(&key) {
            let mut next = f.clone();
            next.witness_keys.push(key);
            next.write(&self.inner.dir)?;
            *f = next;
        }
        Ok(())
    }

    /// A setting another module keeps in the store (sync credentials and cursors), by name.
    pub fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, LogError> {
        Ok(self.device_file().settings.get(name).cloned())
    }

    /// Saves a setting durably (see [`Store::setting`]).
    pub fn set_setting(&self, name: &str, value: &[u8]) -> Result<(), LogError> {
        self.writable()?;
        let mut f = self.device_file();
        let mut next = f.clone();
        next.settings.insert(name.to_owned(), value.to_vec());
        next.write(&self.inner.dir)?;
        *f = next;
        Ok(())
    }

    /// Forgets a setting durably.
    pub fn remove_setting(&self, name: &str) -> Result<(), LogError> {
        self.writable()?;
        let mut f = self.device_file();
        if f.settings.contains_key(name) {
            let mut next = f.clone();
            next.settings.remove(name);
            next.write(&self.inner.dir)?;
            *f = next;
        }
        Ok(())
    }

    /// Rebuilds the projections from the events (they are derived: the same events give the
    /// same projections). Events themselves are never touched.
    pub fn rebuild_projections(&self) -> Result<(), LogError> {
        let trusted = self.witness_keys()?;
        let _w = self.writer();
        let (state, _) = integrity::load(&self.inner.blocks, &trusted, true)?;
        self.state_mut().projections = state.projections;
        Ok(())
    }
}

/// Why a merge's walk stopped: the chain, or the store reading what it holds.
enum MergeError {
    Chain(ChainError),
    Log(LogError),
}

impl From<ChainError> for MergeError {
    fn from(e: ChainError) -> MergeError {
        MergeError::Chain(e)
    }
}

/// Checks the store's whole chain again (as [`Store::open`] did): what is intact.
pub fn check(store: &Store) -> Result<IntegrityReport, LogError> {
    let trusted = store.witness_keys()?;
    let _w = store.writer();
    let (_, report) = integrity::load(&store.inner.blocks, &trusted, false)?;
    Ok(report)
}

/// What `head` says of a state: its events and this device's last one.
fn head_of(st: &State, own: DeviceId) -> Head {
    Head {
        events: st.events(),
        own_last: st
            .chains
            .get(&own)
            .and_then(|c| c.head())
            .map_or(0, |(s, _)| s),
        closed: None,
    }
}

fn own_of(device_file: &DeviceFile) -> DeviceId {
    DeviceId::of_key(
        &SigningKey::from_bytes(&device_file.key)
            .verifying_key()
            .to_bytes(),
    )
}

/// Adds to `report` what `head` says is missing.
fn compare_with_head(report: &mut IntegrityReport, head: Option<Head>, own: DeviceId) {
    let Some(head) = head else {
        report.problems.push(
            "the file head is missing: nothing tells whether the latest events are all here".into(),
        );
        return;
    };
    let readable = report.intact_events();
    if readable < head.events {
        report.problems.push(format!(
            "the store held {} events after its last save; {readable} can be read: {} are \
             missing or damaged",
            head.events,
            head.events - readable
        ));
    }
    let own_last = report
        .chains
        .iter()
        .find(|c| c.device == own)
        .map_or(0, |c| c.last);
    if own_last < head.own_last {
        report.problems.push(format!(
            "this device's own events went up to {} after the last save; only up to \
             {own_last} can be read",
            head.own_last
        ));
    }
}

/// Notes a block just written in its device's chain (its hashes were computed when it was cut).
fn index(st: &mut State, b: &Block, info: BlockInfo) {
    let chain = st.chains.entry(b.device).or_default();
    chain.public_key = b.public_key;
    chain.blocks.insert(b.first, info);
}

/// The result of checking a store on a copy of its files.
struct Checked {
    state: State,
    report: IntegrityReport,
    db: sled::Db,
    copy: TempCopy,
}

impl Checked {
    /// Copies the store's sled files, lets sled open (and, if it must, repair) the copy, and
    /// walks every chain there; compares with `head`. `Err(Damaged)` with the report when
    /// anything is missing or does not verify; the original files are only read.
    fn of(dir: &Path, device_file: &DeviceFile) -> Result<Checked, LogError> {
        let copy = TempCopy::of(dir, false)?;
        let db = match sled::Config::new().path(copy.path()).open() {
            Ok(db) => db,
            Err(e) => {
                let mut report = recover::survey(dir);
                report.problems.insert(
                    0,
                    format!("sled cannot read its data file ({e}): the damage is in db"),
                );
                return Err(LogError::Damaged(report));
            }
        };
        // sled checks a page's bytes when it first reads it: damage it did not see at open
        // shows here, as an error reading the copy.
        let loaded = db
            .open_tree(BLOCKS)
            .map_err(LogError::from)
            .and_then(|blocks| integrity::load(&blocks, &device_file.witness_keys, true));
        let (state, mut report) = match loaded {
            Ok(l) => l,
            Err(LogError::Storage(e) | LogError::Corrupt(e)) => {
                let mut report = recover::survey(dir);
                report
                    .problems
                    .insert(0, format!("sled cannot read part of its data file ({e})"));
                return Err(LogError::Damaged(report));
            }
            Err(e) => return Err(e),
        };
        match Head::read(dir) {
            Err(e) => report.problems.push(e),
            Ok(head) => {
                compare_with_head(&mut report, head, own_of(device_file));
                if let Some(sum) = head.and_then(|h| h.closed)
                    && files::sled_checksum(dir).ok() != Some(sum)
                {
                    report.problems.push(
                        "the data file changed after the store was closed: bytes were altered \
                         outside Tournée (a failing disk?)"
                            .into(),
                    );
                }
            }
        }
        if !report.is_intact() {
            return Err(LogError::Damaged(report));
        }
        Ok(Checked {
            state,
            report,
            db,
            copy,
        })
    }
}

/// A copy of a store's sled files in a temporary folder, removed when dropped.
struct TempCopy {
    path: PathBuf,
}

impl TempCopy {
    /// Copies sled's files of `dir` (and with `all`, the store's own files too).
    fn of(dir: &Path, all: bool) -> Result<TempCopy, LogError> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "tournee-check-{}-{}-{}",
            std::process::id(),
            now_ms(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path)?;
        let copy = TempCopy { path };
        copy_tree(dir, &copy.path, all)?;
        Ok(copy)
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn copy_tree(from: &Path, to: &Path, all: bool) -> Result<(), LogError> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if !all && !files::is_sled_file(&name.to_string_lossy()) {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&target)?;
            copy_tree(&entry.path(), &target, true)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Takes the store's folder for this process (an advisory lock on the folder itself, so a
/// damaged store gets no new file): two Tournée processes never write one store.
fn lock_dir(dir: &Path) -> Result<File, LogError> {
    let f = File::open(dir)?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        match f.try_lock() {
            Ok(()) => return Ok(f),
            Err(std::fs::TryLockError::WouldBlock) => {
                if std::time::Instant::now() >= deadline {
                    return Err(LogError::Locked(dir.to_path_buf()));
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
        }
    }
}

fn decode_event(id: EventId, body: &[u8]) -> Result<Event, LogError> {
    Event::from_body(id, body).map_err(|e| LogError::Corrupt(format!("event {id}: {e}")))
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

#[cfg(test)]
mod tests;
