//! The way out of a damaged store: find every block whose bytes and seal still verify in the
//! raw files (sled keeps our values verbatim, so they are found wherever they lie, before and
//! after a damaged spot) and build a new store from them. The damaged folder is only read.
//!
//! A block is kept when its own checksum holds and it is vouched for: its seal verifies, or
//! its chain leads into a kept block after it. What is kept is written as runs of consecutive
//! events, each sealed where the original was; what is missing is said, device by device.

use std::collections::BTreeMap;
use std::path::Path;

use ed25519_dalek::SigningKey;
use serde::Serialize;

use super::block::{self, Block};
use super::chain::verify_seal;
use super::event::{DeviceId, EventId, Hash, Seal};
use super::files::{self, DeviceFile, Head, HeadFile};
use super::integrity::{ChainReport, IntegrityReport};
use super::{BLOCKS, LogError, Store, open_sled};

/// What `recover` kept and lost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recovery {
    pub devices: Vec<DeviceRecovery>,
    /// Events kept, over all devices.
    pub kept: u64,
    /// Events the damaged store held after its last save (from its `head`), if it said.
    pub held: Option<u64>,
    /// The device key came through: the new store is the same device, and a sync goes on
    /// from it.
    pub same_device: bool,
    /// The new store keeps the sync settings (server, credentials).
    pub enrolled: bool,
    /// What to do next, in one sentence.
    pub advice: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceRecovery {
    pub device: String,
    /// This tablet's own chain.
    pub own: bool,
    /// Events kept, as ranges of sequence numbers (first, last).
    pub kept: Vec<(u64, u64)>,
    /// Sequence numbers that could not be read: gaps between kept ranges, and for this
    /// tablet's own chain, what `head` says it held after the last kept event.
    pub lost: Vec<(u64, u64)>,
}

/// The verified events found in raw files, per device: sequence → (chain hash before it,
/// body, hash after it), and where runs end, their seal.
#[derive(Default)]
struct Found {
    public_key: [u8; 32],
    events: BTreeMap<u64, (Hash, Vec<u8>, Hash)>,
    seals: BTreeMap<u64, Seal>,
}

/// Every block in the files of `dir` (sled's data file and blobs), whole or not.
fn scan_dir(dir: &Path) -> Vec<Block> {
    let mut out = Vec::new();
    let mut paths = vec![dir.join(files::SLED_DB)];
    if let Ok(entries) = std::fs::read_dir(dir.join("blobs")) {
        paths.extend(entries.flatten().map(|e| e.path()));
    }
    for p in paths {
        if let Ok(bytes) = std::fs::read(&p) {
            out.extend(block::scan(&bytes).into_iter().map(|(_, b)| b));
        }
    }
    out
}

/// Keeps the blocks that verify: checksum (done by the scan), key, and a seal that
/// verifies at their end or further along a chain of kept blocks.
fn verify(blocks: Vec<Block>, trusted: &[[u8; 32]]) -> BTreeMap<DeviceId, Found> {
    let mut by_device: BTreeMap<DeviceId, Vec<(Block, Vec<Hash>)>> = BTreeMap::new();
    for b in blocks {
        if DeviceId::of_key(&b.public_key) != b.device {
            continue;
        }
        let hashes = b.hashes();
        by_device.entry(b.device).or_default().push((b, hashes));
    }
    let mut out = BTreeMap::new();
    for (device, mut blocks) in by_device {
        // Latest first: a block is vouched for by its own seal, or by a vouched block that
        // starts right after it from the hash it ends with.
        blocks.sort_by_key(|(b, h)| (std::cmp::Reverse(b.last()), h.len()));
        let mut vouched_starts: Vec<(u64, Hash)> = Vec::new();
        let mut found = Found::default();
        for (b, hashes) in &blocks {
            let end = *hashes.last().unwrap_or(&b.prev);
            let sealed = b.seal.as_ref().is_some_and(|s| {
                verify_seal(
                    &b.public_key,
                    EventId {
                        device,
                        seq: b.last(),
                    },
                    &end,
                    s,
                    trusted,
                )
                .is_ok()
            });
            let chained = vouched_starts
                .iter()
                .any(|(first, prev)| *first == b.last() + 1 && *prev == end);
            if !sealed && !chained {
                continue;
            }
            if sealed && let Some(s) = b.seal {
                found.seals.insert(b.last(), s);
            }
            vouched_starts.push((b.first, b.prev));
            found.public_key = b.public_key;
            let mut prev = b.prev;
            for (i, (body, hash)) in b.bodies.iter().zip(hashes).enumerate() {
                found
                    .events
                    .entry(b.first + i as u64)
                    .or_insert((prev, body.clone(), *hash));
                prev = *hash;
            }
        }
        if !found.events.is_empty() {
            out.insert(device, found);
        }
    }
    out
}

/// Runs of consecutive events that chain, as (first, last).
fn runs(found: &Found) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    let mut last_hash = None;
    for (seq, (prev, _, hash)) in &found.events {
        match out.last_mut() {
            Some((_, last)) if *last + 1 == *seq && last_hash == Some(*prev) => *last = *seq,
            _ => out.push((*seq, *seq)),
        }
        last_hash = Some(*hash);
    }
    // A run must end where a seal vouches for it; cut back to the last sealed event.
    let mut sealed = Vec::new();
    for (first, last) in out {
        if let Some((&end, _)) = found.seals.range(first..=last).next_back() {
            sealed.push((first, end));
        }
    }
    sealed
}

/// This device's id, as the store in `dir` says, without opening it.
pub fn own_device(dir: &Path) -> Option<DeviceId> {
    let f = DeviceFile::read(dir).ok().flatten()?;
    Some(DeviceId::of_key(
        &SigningKey::from_bytes(&f.key).verifying_key().to_bytes(),
    ))
}

/// What a raw scan of a store sled cannot open finds intact, for the damage report.
pub(super) fn survey(dir: &Path) -> IntegrityReport {
    let trusted = DeviceFile::read(dir)
        .ok()
        .flatten()
        .map(|f| f.witness_keys)
        .unwrap_or_default();
    let found = verify(scan_dir(dir), &trusted);
    let chains = found
        .iter()
        .map(|(device, f)| {
            let kept = runs(f);
            let events = kept.iter().map(|(a, b)| b - a + 1).sum();
            let last = kept.last().map_or(0, |(_, b)| *b);
            ChainReport {
                device: *device,
                events,
                last,
                head: f.events.get(&last).map(|e| e.2).unwrap_or_default(),
                last_clock: Default::default(),
                after_damage: 0,
                damage: None,
            }
        })
        .collect();
    IntegrityReport {
        chains,
        problems: Vec::new(),
    }
}

/// Builds a new store in `to` from everything intact in the store in `dir`, which is only
/// read. `to` must not hold a store.
pub fn recover(dir: &Path, to: &Path) -> Result<Recovery, LogError> {
    let holds = |name: &str| dir.join(name).exists();
    if !holds(files::DEVICE) && !holds(files::SLED_DB) && !holds(files::HEAD) {
        return Err(LogError::Refused(crate::domain::DomainError::invalid(
            "data",
            &dir.display().to_string(),
            "the folder of a Tournée store",
        )));
    }
    if to.join(files::DEVICE).exists() || to.join(files::SLED_DB).exists() {
        return Err(LogError::Refused(crate::domain::DomainError::invalid(
            "to",
            &to.display().to_string(),
            "a new folder (this one already holds a store)",
        )));
    }
    let old_file = DeviceFile::read(dir).ok().flatten();
    let head = Head::read(dir).ok().flatten();
    let trusted = old_file
        .as_ref()
        .map(|f| f.witness_keys.clone())
        .unwrap_or_default();
    let found = verify(scan_dir(dir), &trusted);
    let same_device = old_file.is_some();
    let device_file = match old_file {
        Some(f) => f,
        None => DeviceFile {
            key: SigningKey::generate(&mut rand_core::OsRng).to_bytes(),
            witness_keys: Vec::new(),
            settings: BTreeMap::new(),
        },
    };
    let own = DeviceId::of_key(
        &SigningKey::from_bytes(&device_file.key)
            .verifying_key()
            .to_bytes(),
    );
    let mut blocks = Vec::new();
    let mut devices = Vec::new();
    let mut kept_total = 0;
    let mut own_last = 0;
    for (device, f) in &found {
        let kept = runs(f);
        let mut lost = Vec::new();
        let mut expected = 1;
        for (first, last) in &kept {
            if *first > expected && *device == own {
                lost.push((expected, first - 1));
            }
            expected = last + 1;
            kept_total += last - first + 1;
            let bodies: Vec<Vec<u8>> = f
                .events
                .range(first..=last)
                .map(|(_, (_, body, _))| body.clone())
                .collect();
            let prev = f.events.get(first).map(|e| e.0).unwrap_or_default();
            let mut next = *first;
            let mut p = prev;
            for chunk in bodies.chunks(block::MAX_EVENTS) {
                let b = Block {
                    device: *device,
                    public_key: f.public_key,
                    first: next,
                    prev: p,
                    bodies: chunk.to_vec(),
                    seal: None,
                };
                let mut b = b;
                b.seal = (b.last() == *last)
                    .then(|| f.seals.get(last).copied())
                    .flatten();
                p = b.end();
                next = b.last() + 1;
                blocks.push(b);
            }
        }
        if *device == own {
            own_last = expected - 1;
            if let Some(h) = head
                && h.own_last > own_last
            {
                lost.push((own_last + 1, h.own_last));
            }
        }
        devices.push(DeviceRecovery {
            device: device.to_string(),
            own: *device == own,
            kept,
            lost,
        });
    }
    std::fs::create_dir_all(to)?;
    {
        let db = open_sled(to)?;
        let tree = db.open_tree(BLOCKS)?;
        let mut batch = sled::Batch::default();
        for b in &blocks {
            let bytes = b
                .encode()
                .map_err(|e| LogError::Corrupt(format!("encoding a block: {e}")))?;
            batch.insert(&b.key()[..], bytes);
        }
        tree.apply_batch(batch)?;
        db.flush()?;
        std::fs::File::open(to.join(files::SLED_DB))?.sync_data()?;
    }
    HeadFile::open(to)?.write_synced(Head {
        events: kept_total,
        own_last,
        closed: None,
    })?;
    let enrolled = device_file.settings.keys().any(|k| k.starts_with("sync/"));
    device_file.write(to)?;
    // The new store must open as any store does: every chain checked.
    drop(Store::open(to)?);
    // A hole in this tablet's own chain with events after it: if the server never received
    // the missing ones, those after can only go out recorded again under a new identity.
    let own_hole = devices
        .iter()
        .any(|d| d.own && d.lost.first().is_some_and(|(f, _)| *f <= own_last));
    let advice = match (same_device, enrolled) {
        (true, true) if own_hole => "use the new folder; a sync then brings back from the \
                                     server every event it holds that was lost here; if it \
                                     never received some of them, the sync says so, and the \
                                     events after them go out adopted by a new store \
                                     (`tournee --data NEW adopt --from NEWDIR`)"
            .to_owned(),
        (true, true) => "use the new folder; a sync then brings back from the server every \
                         event it holds that was lost here"
            .to_owned(),
        (true, false) => "use the new folder; this tablet is not enrolled, so what was lost \
                          can only come back from another copy"
            .to_owned(),
        (false, _) => "the device key was lost: the new folder is a new device, to enrol \
                       again; the old device's events are kept as another device's"
            .to_owned(),
    };
    Ok(Recovery {
        devices,
        kept: kept_total,
        held: head.map(|h| h.events),
        same_device,
        enrolled,
        advice,
    })
}
