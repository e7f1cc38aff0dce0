//! From the first layout of the store (one sled key per event in `events`, with `signatures`,
//! `witnesses`, `links` and `devices` beside it, the projections in 21 trees, the device key
//! and settings in `meta`) to blocks.
//!
//! The old trees are read and the blocks built and checked on a copy first; only a store whose
//! every chain verifies there is written to, and the old trees are dropped only once the
//! blocks, the device file and `head` are on disk. A crash in between migrates again.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use ed25519_dalek::SigningKey;

use super::block::Block;
use super::event::{DeviceId, EventId, Hash, Seal, SignatureBytes, genesis};
use super::files::{DeviceFile, Head, HeadFile};
use super::{BLOCKS, LogError, Store, TempCopy, damaged, integrity, open_sled};

/// What the old layout held.
struct Old {
    device_file: DeviceFile,
    blocks: Vec<Block>,
}

pub(super) fn migrate(dir: &Path, lock: File) -> Result<Store, LogError> {
    let copy = TempCopy::of(dir, false)?;
    let old = {
        let db = sled::Config::new().path(copy.path()).open().map_err(|e| {
            damaged(format!(
                "sled cannot read its data file ({e}): the damage is in db"
            ))
        })?;
        let old = read_old(&db)?;
        // Check the blocks as the store will: on the copy, in its own tree.
        let tree = db.open_tree(BLOCKS)?;
        tree.clear()?;
        for b in &old.blocks {
            tree.insert(&b.key()[..], encode(b)?)?;
        }
        let (_, report) = integrity::load(&tree, &old.device_file.witness_keys, false)?;
        if !report.is_intact() {
            return Err(LogError::Damaged(report));
        }
        old
    };
    drop(copy);
    // sled opened the copy without losing a chain: it opens the original the same way.
    {
        let db = open_sled(dir)?;
        let tree = db.open_tree(BLOCKS)?;
        tree.clear()?;
        let mut batch = sled::Batch::default();
        for b in &old.blocks {
            batch.insert(&b.key()[..], encode(b)?);
        }
        tree.apply_batch(batch)?;
        db.flush()?;
        File::open(dir.join(super::files::SLED_DB))?.sync_data()?;
        let own = DeviceId::of_key(
            &SigningKey::from_bytes(&old.device_file.key)
                .verifying_key()
                .to_bytes(),
        );
        let head = Head {
            closed: None,
            events: old.blocks.iter().map(|b| b.bodies.len() as u64).sum(),
            own_last: old
                .blocks
                .iter()
                .filter(|b| b.device == own)
                .map(Block::last)
                .max()
                .unwrap_or(0),
        };
        HeadFile::open(dir)?.write_synced(head)?;
        old.device_file.write(dir)?;
        for name in db.tree_names() {
            if name.as_ref() != BLOCKS.as_bytes() && name.as_ref() != b"__sled__default" {
                db.drop_tree(name)?;
            }
        }
        db.flush()?;
    }
    drop(lock);
    Store::open(dir)
}

fn encode(b: &Block) -> Result<Vec<u8>, LogError> {
    b.encode()
        .map_err(|e| LogError::Corrupt(format!("encoding a block: {e}")))
}

fn read_old(db: &sled::Db) -> Result<Old, LogError> {
    let names: Vec<Vec<u8>> = db.tree_names().iter().map(|n| n.to_vec()).collect();
    let has = |n: &str| names.iter().any(|t| t == n.as_bytes());
    if !has("meta") {
        if has(BLOCKS) {
            return Err(damaged(
                "the device file is missing beside the data file: this device's key is gone",
            ));
        }
        return Err(damaged("the folder holds a data file but no store"));
    }
    let meta = db.open_tree("meta")?;
    let key: [u8; 32] = meta
        .get("signing_key")?
        .and_then(|b| b.as_ref().try_into().ok())
        .ok_or_else(|| damaged("the device key is missing from the store"))?;
    let signing = SigningKey::from_bytes(&key);
    let own = DeviceId::of_key(&signing.verifying_key().to_bytes());
    let witness_keys: Vec<[u8; 32]> = match meta.get("witness_keys")? {
        Some(b) => {
            postcard::from_bytes(&b).map_err(|e| LogError::Corrupt(format!("witness keys: {e}")))?
        }
        None => Vec::new(),
    };
    let mut settings = BTreeMap::new();
    for kv in meta.scan_prefix("setting/") {
        let (k, v) = kv?;
        let name = String::from_utf8_lossy(&k["setting/".len()..]).into_owned();
        settings.insert(name, v.to_vec());
    }
    let devices = db.open_tree("devices")?;
    let events = db.open_tree("events")?;
    let signatures = db.open_tree("signatures")?;
    let witnesses = db.open_tree("witnesses")?;
    let links = db.open_tree("links")?;
    let public_key = |d: DeviceId| -> Result<[u8; 32], LogError> {
        if d == own {
            return Ok(signing.verifying_key().to_bytes());
        }
        devices
            .get(d.0)?
            .and_then(|b| b.as_ref().try_into().ok())
            .ok_or_else(|| damaged(format!("the public key of device {d} is missing")))
    };
    let seal_at = |id: EventId| -> Result<Option<Seal>, LogError> {
        if let Some(s) = signatures.get(id.key())?
            && let Ok(s) = <[u8; 64]>::try_from(s.as_ref())
        {
            return Ok(Some(Seal::Device(SignatureBytes(s))));
        }
        if let Some(w) = witnesses.get(id.key())?
            && w.len() == 96
        {
            let mut key = [0u8; 32];
            key.copy_from_slice(&w[..32]);
            let mut sig = [0u8; 64];
            sig.copy_from_slice(&w[32..]);
            return Ok(Some(Seal::Witness {
                key,
                signature: SignatureBytes(sig),
            }));
        }
        Ok(None)
    };
    // Consecutive events per device: each run becomes blocks, the last one sealed.
    struct Run {
        device: DeviceId,
        first: u64,
        prev: Hash,
        bodies: Vec<Vec<u8>>,
    }
    let mut runs: Vec<Run> = Vec::new();
    for kv in events.iter() {
        let (k, v) = kv?;
        let id = EventId::from_key(&k)
            .ok_or_else(|| damaged("an event key of the old layout is too short"))?;
        let body = v
            .get(32..)
            .ok_or_else(|| damaged(format!("event {id} of the old layout is truncated")))?
            .to_vec();
        match runs.last_mut() {
            Some(r) if r.device == id.device && r.first + r.bodies.len() as u64 == id.seq => {
                r.bodies.push(body)
            }
            _ => {
                let prev = if id.seq == 1 {
                    genesis(id.device)
                } else {
                    let before = EventId {
                        device: id.device,
                        seq: id.seq - 1,
                    };
                    links
                        .get(before.key())?
                        .and_then(|l| <[u8; 32]>::try_from(l.as_ref()).ok())
                        .ok_or_else(|| {
                            damaged(format!(
                                "event {} of device {} is missing",
                                id.seq - 1,
                                id.device
                            ))
                        })?
                };
                runs.push(Run {
                    device: id.device,
                    first: id.seq,
                    prev,
                    bodies: vec![body],
                });
            }
        }
    }
    let mut blocks = Vec::new();
    for run in runs {
        let key = public_key(run.device)?;
        let last = run.first + run.bodies.len() as u64 - 1;
        let end_seal = seal_at(EventId {
            device: run.device,
            seq: last,
        })?;
        let mut first = run.first;
        let mut prev = run.prev;
        let chunks: Vec<Vec<Vec<u8>>> = run
            .bodies
            .chunks(super::block::MAX_EVENTS)
            .map(<[Vec<u8>]>::to_vec)
            .collect();
        for bodies in chunks {
            let mut b = Block {
                device: run.device,
                public_key: key,
                first,
                prev,
                bodies,
                seal: None,
            };
            let end = b.end();
            // Only the seal the old store held: re-signing here would vouch for whatever the
            // old trees say, altered or not.
            b.seal = if b.last() == last { end_seal } else { None };
            first = b.last() + 1;
            prev = end;
            blocks.push(b);
        }
    }
    Ok(Old {
        device_file: DeviceFile {
            key,
            witness_keys,
            settings,
        },
        blocks,
    })
}
