//! The server's storage in sled: one folder, nothing to set up; for a cooperative that runs
//! the server on one machine.
//!
//! Writes go one at a time (a lock), each batch in one transaction over every tree it touches,
//! then flushed and fsynced before the device is told "stored": a kill loses nothing that was
//! acknowledged. Positions in the stream come from a counter written in the same transaction,
//! and reads take the lock's shared side, so a reader never sees position N+1 without N.
//!
//! Trees (ids joined with a 0 byte; positions big-endian so they sort):
//! `accounts` id → role; `tokens` hash → account; `devices` id → device row;
//! `events` device ‖ seq → pos ‖ hash ‖ body; `signatures` device ‖ seq → signature;
//! `by_author`, `by_technician`, `by_farm`, `by_farm_public`, `by_staff` ("staff"): key ‖ 0 ‖
//! pos → device ‖ seq;
//! `visits` visit → farm; `assignments` visit ‖ 0 ‖ technician; `farm_visits` farm;
//! `acts` act → visit; `grants` technician ‖ 0 ‖ farm → pos; `grants_by_pos` technician ‖ 0 ‖
//! pos ‖ 0 ‖ farm → farm (the farm in the key: one batch, one position, may grant several farms;
//! stores written before hold technician ‖ 0 ‖ pos → farm, which the same range reads);
//! `meta` "pos" → the last position given.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::Path;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::backend::{
    Backend, BackendError, Claim, DeviceRecord, Facts, FactsQuery, Fut, Ingest, IngestOutcome,
    Page, Scope, StoredEvent,
};
use super::rights::VisitFacts;
use crate::domain::{Ede, TechnicianId, VisitId};
use crate::log::{DeviceId, EventId, Hash};
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

const TREES: [&str; 18] = [
    "accounts",
    "tokens",
    "devices",
    "events",
    "signatures",
    "by_author",
    "by_technician",
    "by_farm",
    "by_farm_public",
    "visits",
    "assignments",
    "farm_visits",
    "acts",
    "grants",
    "grants_by_pos",
    "meta",
    "stream",
    "by_staff",
];

#[derive(Serialize, Deserialize)]
struct DeviceRow {
    public_key: [u8; 32],
    account: String,
    label: String,
}

fn key(parts: &[&[u8]]) -> Vec<u8> {
    let mut k = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            k.push(0);
        }
        k.extend_from_slice(p);
    }
    k
}

fn decode<T: for<'de> Deserialize<'de>>(b: &[u8]) -> Result<T, BackendError> {
    postcard::from_bytes(b).map_err(|e| BackendError::Corrupt(e.to_string()))
}

fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>, BackendError> {
    postcard::to_allocvec(v).map_err(|e| BackendError::Corrupt(e.to_string()))
}

struct Inner {
    db: sled::Db,
    file: File,
    trees: Vec<sled::Tree>,
    /// `claims` key → expiry (u64 big-endian, Unix ms) ‖ value: see [`Backend::claim`]. Kept
    /// out of the ingest's trees: it is written on every request, never with events.
    claims: sled::Tree,
    /// Writers take it exclusively, readers shared (see the module comment).
    lock: RwLock<()>,
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
        let mut trees = Vec::new();
        for t in TREES {
            trees.push(db.open_tree(t)?);
        }
        let claims = db.open_tree("claims")?;
        Ok(SledBackend {
            inner: Arc::new(Inner {
                db,
                file,
                trees,
                claims,
                lock: RwLock::new(()),
            }),
        })
    }

    fn tree(&self, name: &str) -> &sled::Tree {
        let i = TREES
            .iter()
            .position(|t| *t == name)
            .unwrap_or_else(|| unreachable!("unknown tree {name}"));
        &self.inner.trees[i]
    }

    fn durable(&self) -> Result<(), BackendError> {
        self.inner.db.flush()?;
        self.inner.file.sync_data()?;
        Ok(())
    }

    fn read_lock(&self) -> std::sync::RwLockReadGuard<'_, ()> {
        self.inner
            .lock
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write_lock(&self) -> std::sync::RwLockWriteGuard<'_, ()> {
        self.inner
            .lock
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn last_pos(&self) -> Result<u64, BackendError> {
        Ok(match self.tree("meta").get("pos")? {
            Some(b) => u64::from_be_bytes(
                b.as_ref()
                    .try_into()
                    .map_err(|_| BackendError::Corrupt("meta pos".into()))?,
            ),
            None => 0,
        })
    }

    fn head_sync(&self, device: DeviceId) -> Result<Option<(u64, Hash)>, BackendError> {
        match self.tree("events").scan_prefix(device.0).next_back() {
            None => Ok(None),
            Some(kv) => {
                let (k, v) = kv?;
                let id = EventId::from_key(&k)
                    .ok_or_else(|| BackendError::Corrupt("event key".into()))?;
                Ok(Some((id.seq, row_hash(&v)?)))
            }
        }
    }

    fn role(&self, account: &str) -> Result<Option<Role>, BackendError> {
        match self.tree("accounts").get(account)? {
            Some(b) => decode(&b).map(Some),
            None => Ok(None),
        }
    }

    fn add_account_sync(&self, role: &Role, token_hash: Hash) -> Result<(), BackendError> {
        let _w = self.write_lock();
        let id = role.account_id();
        match self.role(&id)? {
            Some(existing) if &existing != role => {
                return Err(BackendError::Conflict(format!(
                    "account {id} exists with another role or team"
                )));
            }
            Some(_) => {}
            None => {
                self.tree("accounts").insert(id.as_bytes(), encode(role)?)?;
            }
        }
        self.tree("tokens").insert(token_hash, id.as_bytes())?;
        self.durable()
    }

    fn redeem_sync(
        &self,
        token_hash: Hash,
        device: DeviceRecord,
    ) -> Result<Option<Role>, BackendError> {
        let _w = self.write_lock();
        let Some(account) = self.tree("tokens").get(token_hash)? else {
            return Ok(None);
        };
        let account = String::from_utf8(account.to_vec())
            .map_err(|_| BackendError::Corrupt("token account".into()))?;
        if self.tree("devices").get(device.device.0)?.is_some() {
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
        (self.tree("tokens"), self.tree("devices"))
            .transaction(|(tokens, devices)| {
                tokens.remove(&token_hash[..])?;
                devices.insert(&device.device.0[..], row.as_slice())?;
                Ok::<(), Abort>(())
            })
            .map_err(tx_error)?;
        self.durable()?;
        Ok(Some(role))
    }

    fn device_sync(&self, device: DeviceId) -> Result<Option<(DeviceRecord, Role)>, BackendError> {
        let Some(b) = self.tree("devices").get(device.0)? else {
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

    fn hashes_sync(
        &self,
        device: DeviceId,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, Hash)>, BackendError> {
        let start = EventId { device, seq: from }.key();
        let end = EventId { device, seq: to }.key();
        let mut out = Vec::new();
        for kv in self.tree("events").range(start..=end) {
            let (k, v) = kv?;
            let id =
                EventId::from_key(&k).ok_or_else(|| BackendError::Corrupt("event key".into()))?;
            out.push((id.seq, row_hash(&v)?));
        }
        Ok(out)
    }

    fn facts_sync(&self, q: &FactsQuery) -> Result<Facts, BackendError> {
        let mut facts = Facts::default();
        for v in &q.visits {
            if let Some(farm) = self.tree("visits").get(v.as_str())? {
                let farm = parse_ede(&farm)?;
                let mut technicians = BTreeSet::new();
                for kv in self
                    .tree("assignments")
                    .scan_prefix(key(&[v.as_str().as_bytes(), b""]))
                {
                    let (k, _) = kv?;
                    let t = &k[v.as_str().len() + 1..];
                    technicians.insert(parse_technician(t)?);
                }
                facts
                    .visits
                    .insert(v.clone(), VisitFacts { farm, technicians });
            }
        }
        for a in &q.acts {
            if let Some(v) = self.tree("acts").get(a.as_str())? {
                let v = std::str::from_utf8(&v)
                    .ok()
                    .and_then(|s| VisitId::parse("visit", s).ok())
                    .ok_or_else(|| BackendError::Corrupt("act's visit".into()))?;
                facts.acts.insert(a.clone(), v);
            }
        }
        for f in &q.farms {
            if self.tree("farm_visits").get(f.as_str())?.is_some() {
                facts.farms_with_visits.push(f.clone());
            }
            for t in &q.technicians {
                if self
                    .tree("grants")
                    .get(key(&[t.as_str().as_bytes(), f.as_str().as_bytes()]))?
                    .is_some()
                {
                    facts.granted.push(f.clone());
                    break;
                }
            }
        }
        Ok(facts)
    }

    fn ingest_sync(&self, batch: Ingest) -> Result<IngestOutcome, BackendError> {
        let _w = self.write_lock();
        let head = self.head_sync(batch.device)?.map_or(0, |(s, _)| s);
        if head != batch.expected_head {
            return Ok(IngestOutcome::HeadMoved);
        }
        let Some(last) = batch.events.last() else {
            return Ok(IngestOutcome::Stored);
        };
        let last_seq = last.seq;
        let first_pos = self.last_pos()? + 1;
        let trees: Vec<sled::Tree> = self.inner.trees.clone();
        trees
            .as_slice()
            .transaction(|t: &Vec<TransactionalTree>| {
                let tree = |name: &str| {
                    let i = TREES
                        .iter()
                        .position(|n| *n == name)
                        .unwrap_or_else(|| unreachable!());
                    &t[i]
                };
                let mut pos = first_pos;
                for e in &batch.events {
                    let id = EventId {
                        device: batch.device,
                        seq: e.seq,
                    };
                    let idk = id.key();
                    let pos_b = pos.to_be_bytes();
                    let mut row = Vec::with_capacity(40 + e.body.len());
                    row.extend_from_slice(&pos_b);
                    row.extend_from_slice(&e.hash);
                    row.extend_from_slice(&e.body);
                    tree("events").insert(&idk[..], row)?;
                    tree("stream").insert(&pos_b[..], &idk[..])?;
                    tree("by_author").insert(key(&[batch.author.as_bytes(), &pos_b]), &idk[..])?;
                    if let Some(tech) = &e.tags.technician {
                        tree("by_technician")
                            .insert(key(&[tech.as_str().as_bytes(), &pos_b]), &idk[..])?;
                    }
                    if e.tags.staff {
                        tree("by_staff").insert(key(&[b"staff", &pos_b]), &idk[..])?;
                    }
                    if let Some(farm) = &e.tags.farm {
                        tree("by_farm")
                            .insert(key(&[farm.as_str().as_bytes(), &pos_b]), &idk[..])?;
                        if e.tags.public {
                            tree("by_farm_public")
                                .insert(key(&[farm.as_str().as_bytes(), &pos_b]), &idk[..])?;
                        }
                    }
                    pos += 1;
                }
                let last_pos = (pos - 1).to_be_bytes();
                tree("signatures").insert(
                    &EventId {
                        device: batch.device,
                        seq: last_seq,
                    }
                    .key()[..],
                    &batch.signature[..],
                )?;
                for (visit, farm) in &batch.effects.visits {
                    if tree("visits").get(visit.as_str())?.is_none() {
                        tree("visits").insert(visit.as_str(), farm.as_str())?;
                        tree("farm_visits").insert(farm.as_str(), &[])?;
                    }
                }
                for (visit, tech) in &batch.effects.assignments {
                    tree("assignments").insert(
                        key(&[visit.as_str().as_bytes(), tech.as_str().as_bytes()]),
                        &[],
                    )?;
                }
                for (act, visit) in &batch.effects.acts {
                    tree("acts").insert(act.as_str(), visit.as_str())?;
                }
                for (tech, farm) in &batch.effects.grants {
                    let g = key(&[tech.as_str().as_bytes(), farm.as_str().as_bytes()]);
                    if tree("grants").get(&g)?.is_none() {
                        tree("grants").insert(g, &last_pos[..])?;
                        tree("grants_by_pos").insert(
                            key(&[
                                tech.as_str().as_bytes(),
                                &last_pos,
                                farm.as_str().as_bytes(),
                            ]),
                            farm.as_str(),
                        )?;
                    }
                }
                tree("meta").insert("pos", &last_pos[..])?;
                Ok::<(), Abort>(())
            })
            .map_err(tx_error)?;
        self.durable()?;
        Ok(IngestOutcome::Stored)
    }

    /// Up to `w.limit` entries of an index range in `(w.after, w.bound]`, skipping
    /// `w.exclude`'s events: (pos, event key).
    fn scan(
        &self,
        tree: &str,
        prefix: &[u8],
        w: &Window,
        out: &mut Vec<(u64, [u8; 24])>,
    ) -> Result<(), BackendError> {
        let Window {
            after,
            bound,
            exclude,
            limit,
        } = *w;
        let start = key(&[prefix, &(after.saturating_add(1)).to_be_bytes()]);
        let end = key(&[prefix, &bound.to_be_bytes()]);
        if after >= bound {
            return Ok(());
        }
        let mut n = 0;
        for kv in self.tree(tree).range(start..=end) {
            let (k, v) = kv?;
            let pos = k
                .get(k.len().saturating_sub(8)..)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| BackendError::Corrupt("index key".into()))?;
            let idk: [u8; 24] = v
                .as_ref()
                .try_into()
                .map_err(|_| BackendError::Corrupt("index value".into()))?;
            if idk[..16] == exclude.0 {
                continue;
            }
            out.push((pos, idk));
            n += 1;
            if n >= limit {
                break;
            }
        }
        Ok(())
    }

    fn load(&self, entries: &[(u64, [u8; 24])]) -> Result<Vec<StoredEvent>, BackendError> {
        let mut out = Vec::with_capacity(entries.len());
        for (pos, idk) in entries {
            let id = EventId::from_key(idk).ok_or_else(|| BackendError::Corrupt("key".into()))?;
            let v = self
                .tree("events")
                .get(idk)?
                .ok_or_else(|| BackendError::Corrupt(format!("indexed event {id} missing")))?;
            if v.len() < 40 {
                return Err(BackendError::Corrupt(format!("event {id} truncated")));
            }
            out.push(StoredEvent {
                device: id.device,
                seq: id.seq,
                hash: row_hash(&v)?,
                body: v[40..].to_vec(),
                cursor: Cursor { tx: 0, pos: *pos },
            });
        }
        Ok(out)
    }

    fn granted_farms(&self, technicians: &[TechnicianId]) -> Result<Vec<Ede>, BackendError> {
        let mut farms = BTreeSet::new();
        for t in technicians {
            let prefix = key(&[t.as_str().as_bytes(), b""]);
            for kv in self.tree("grants").scan_prefix(&prefix) {
                let (k, _) = kv?;
                farms.insert(parse_ede(&k[prefix.len()..])?);
            }
        }
        Ok(farms.into_iter().collect())
    }

    fn read_sync(
        &self,
        scope: &Scope,
        after: Cursor,
        exclude: DeviceId,
        limit: usize,
    ) -> Result<Page, BackendError> {
        let _r = self.read_lock();
        let bound = self.last_pos()?;
        let a = after.pos;
        let w = Window {
            after: a,
            bound,
            exclude,
            limit: limit + 1,
        };
        let mut entries = Vec::new();
        self.scan("by_author", scope.author.as_bytes(), &w, &mut entries)?;
        for t in &scope.technicians {
            self.scan("by_technician", t.as_str().as_bytes(), &w, &mut entries)?;
        }
        for f in self.granted_farms(&scope.technicians)? {
            self.scan("by_farm", f.as_str().as_bytes(), &w, &mut entries)?;
        }
        if scope.farm.is_none() {
            self.scan("by_staff", b"staff", &w, &mut entries)?;
        }
        if let Some(f) = &scope.farm {
            self.scan("by_farm_public", f.as_str().as_bytes(), &w, &mut entries)?;
        }
        entries.sort_unstable();
        entries.dedup();
        let more = entries.len() > limit;
        entries.truncate(limit);
        let next = if more {
            Cursor {
                tx: 0,
                pos: entries.last().map_or(a, |e| e.0),
            }
        } else {
            Cursor { tx: 0, pos: bound }
        };
        Ok(Page {
            events: self.load(&entries)?,
            next,
            more,
        })
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
            let start = key(&[t.as_str().as_bytes(), &(after.pos + 1).to_be_bytes()]);
            let end = key(&[
                t.as_str().as_bytes(),
                &upto.pos.saturating_add(1).to_be_bytes(),
            ]);
            for kv in self.tree("grants_by_pos").range(start..end) {
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
        let _r = self.read_lock();
        let mut entries = Vec::new();
        let all = Window {
            after: 0,
            bound: upto.pos,
            exclude,
            limit: usize::MAX,
        };
        for f in farms {
            self.scan("by_farm", f.as_str().as_bytes(), &all, &mut entries)?;
        }
        entries.sort_unstable();
        entries.dedup();
        self.load(&entries)
    }
}

/// What part of an index a read takes.
#[derive(Clone, Copy)]
struct Window {
    after: u64,
    bound: u64,
    exclude: DeviceId,
    limit: usize,
}

fn row_hash(v: &[u8]) -> Result<Hash, BackendError> {
    v.get(8..40)
        .and_then(|h| h.try_into().ok())
        .ok_or_else(|| BackendError::Corrupt("event row truncated".into()))
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
        self.durable()?;
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
        blocking(move || match s.tree("tokens").get(token_hash)? {
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

    fn head<'a>(&'a self, device: DeviceId) -> Fut<'a, Option<(u64, Hash)>> {
        let s = self.clone();
        blocking(move || s.head_sync(device))
    }

    fn hashes<'a>(&'a self, device: DeviceId, from: u64, to: u64) -> Fut<'a, Vec<(u64, Hash)>> {
        let s = self.clone();
        blocking(move || s.hashes_sync(device, from, to))
    }

    fn bodies<'a>(&'a self, device: DeviceId, from: u64, to: u64) -> Fut<'a, Vec<Vec<u8>>> {
        let s = self.clone();
        blocking(move || {
            let start = EventId { device, seq: from }.key();
            let end = EventId { device, seq: to }.key();
            let mut out = Vec::new();
            for kv in s.tree("events").range(start..=end) {
                let (_, v) = kv?;
                out.push(
                    v.get(40..)
                        .ok_or_else(|| BackendError::Corrupt("event row truncated".into()))?
                        .to_vec(),
                );
            }
            Ok(out)
        })
    }

    fn signature<'a>(&'a self, device: DeviceId, seq: u64) -> Fut<'a, Option<[u8; 64]>> {
        let s = self.clone();
        blocking(move || {
            Ok(s.tree("signatures")
                .get(EventId { device, seq }.key())?
                .and_then(|v| <[u8; 64]>::try_from(v.as_ref()).ok()))
        })
    }

    fn facts<'a>(&'a self, ask: &'a FactsQuery) -> Fut<'a, Facts> {
        let (s, q) = (self.clone(), ask.clone());
        blocking(move || s.facts_sync(&q))
    }

    fn ingest(&self, batch: Ingest) -> Fut<'_, IngestOutcome> {
        let s = self.clone();
        blocking(move || s.ingest_sync(batch))
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
        blocking(move || s.claim_sync(&key, row, now_ms))
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
        blocking(move || Ok(s.tree("stream").len() as u64))
    }
}
