//! The integrity check run on every open: each device's chain is recomputed from its events
//! and compared with the stored hashes, and the seal at the end of each run verified (a peer's
//! chain may be stored in runs, see `mod.rs`; a whole chain is one run, ending at the device's
//! last signature).
//!
//! It reports; it never repairs. A damaged store is refused with this report, which says for
//! each device which events are intact and where the damage starts, so nobody loses the
//! intact part by "fixing" the rest.

use std::fmt;

use ed25519_dalek::{Signature, VerifyingKey};

use super::event::{DeviceId, EventId, Hash, Hlc, chain_hash, genesis, witness_message};
use super::{LogError, Store};

/// The state of one device's chain.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainReport {
    pub device: DeviceId,
    /// Events that verify (from sequence 1, through every run of a sparse chain).
    pub events: u64,
    /// The sequence number of the last event that verifies (0 if none).
    pub last: u64,
    /// The chain hash after the last intact event.
    pub head: Hash,
    /// The latest clock among the intact events.
    pub last_clock: Hlc,
    /// Events stored after the damage (kept, but not vouched for).
    pub after_damage: u64,
    /// What is wrong, if anything.
    pub damage: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct IntegrityReport {
    pub chains: Vec<ChainReport>,
}

impl IntegrityReport {
    pub fn is_intact(&self) -> bool {
        self.chains.iter().all(|c| c.damage.is_none())
    }

    /// Events that verify, over all devices.
    pub fn intact_events(&self) -> u64 {
        self.chains.iter().map(|c| c.events).sum()
    }
}

impl fmt::Display for IntegrityReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for c in &self.chains {
            if !first {
                write!(f, "; ")?;
            }
            first = false;
            match &c.damage {
                None => write!(f, "device {}: {} intact", c.device, events(c.events))?,
                Some(d) => write!(
                    f,
                    "device {}: {} verified, then {d}; {} after it kept but not verified",
                    c.device,
                    events(c.events),
                    events(c.after_damage)
                )?,
            }
        }
        if first {
            write!(f, "empty store")?;
        }
        Ok(())
    }
}

fn events(n: u64) -> String {
    if n == 1 {
        "1 event".to_owned()
    } else {
        format!("{n} events")
    }
}

struct Walk {
    report: ChainReport,
    hash: Hash,
    /// Where the current run started (its first event), and its events so far.
    run_start: u64,
    run_events: u64,
}

/// The trees and keys the walk needs to verify seals.
struct Seals<'a> {
    keys: &'a [(DeviceId, [u8; 32])],
    witness_keys: &'a [[u8; 32]],
    signatures: &'a sled::Tree,
    witnesses: &'a sled::Tree,
}

/// Checks every chain of the store (done by [`Store::open`]; callable again at any time).
pub fn check(store: &Store) -> Result<IntegrityReport, LogError> {
    let keys: Vec<(DeviceId, [u8; 32])> = store.devices()?;
    let witness_keys = store.witness_keys()?;
    let seals = Seals {
        keys: &keys,
        witness_keys: &witness_keys,
        signatures: store.tree("signatures"),
        witnesses: store.tree("witnesses"),
    };
    let links = store.tree("links");
    let mut report = IntegrityReport::default();
    let mut walk: Option<Walk> = None;
    for kv in store.tree("events").iter() {
        let (k, v) = kv?;
        let Some(id) = EventId::from_key(&k) else {
            return Err(LogError::Corrupt("an event key is too short".into()));
        };
        if walk.as_ref().is_some_and(|w| w.report.device != id.device)
            && let Some(w) = walk.take()
        {
            report.chains.push(finish(w, &seals)?);
        }
        let w = walk.get_or_insert_with(|| Walk {
            report: ChainReport {
                device: id.device,
                events: 0,
                last: 0,
                head: genesis(id.device),
                last_clock: Hlc::default(),
                after_damage: 0,
                damage: None,
            },
            hash: genesis(id.device),
            run_start: 1,
            run_events: 0,
        });
        if w.report.damage.is_some() {
            w.report.after_damage += 1;
            continue;
        }
        let mut damage = None;
        if id.seq != w.report.last + 1 {
            // A gap: the run before it must be sealed, and the next starts from a link.
            if id.seq <= w.report.last {
                damage = Some(format!("event {} is out of order", id.seq));
            } else if w.run_events > 0 {
                damage = end_run(w, &seals)?;
            }
            if damage.is_none() {
                let before = EventId {
                    device: id.device,
                    seq: id.seq - 1,
                };
                match links.get(before.key())? {
                    Some(l) if l.len() == 32 => {
                        w.hash.copy_from_slice(&l);
                        w.run_start = id.seq;
                        w.run_events = 0;
                    }
                    _ => damage = Some(format!("event {} is missing", w.report.last + 1)),
                }
            }
        }
        if damage.is_none() {
            damage = if v.len() < 32 {
                Some(format!("event {} is truncated", id.seq))
            } else {
                let (stored, body) = v.split_at(32);
                let hash = chain_hash(&w.hash, &id, body);
                if stored != hash {
                    Some(format!(
                        "event {} does not match its chain (altered or damaged on disk)",
                        id.seq
                    ))
                } else {
                    match super::event::Event::from_body(id, body) {
                        Err(e) => Some(format!("event {} does not decode ({e})", id.seq)),
                        Ok(event) => {
                            w.hash = hash;
                            w.report.events += 1;
                            w.run_events += 1;
                            w.report.last = id.seq;
                            w.report.head = hash;
                            w.report.last_clock = w.report.last_clock.max(event.clock);
                            None
                        }
                    }
                }
            };
        }
        if let Some(d) = damage {
            w.report.damage = Some(d);
            w.report.after_damage += 1;
        }
    }
    if let Some(w) = walk.take() {
        report.chains.push(finish(w, &seals)?);
    }
    Ok(report)
}

/// Verifies the seal at the end of the current run; on failure no event of the run is
/// vouched for, so they move to `after_damage`.
fn end_run(w: &mut Walk, seals: &Seals) -> Result<Option<String>, LogError> {
    let damage = verify_seal(seals, w.report.device, w.report.last, &w.hash)?;
    if damage.is_some() {
        w.report.events -= w.run_events;
        w.report.after_damage += w.run_events;
        w.report.last = w.run_start.saturating_sub(1);
        w.run_events = 0;
    }
    Ok(damage)
}

fn finish(mut w: Walk, seals: &Seals) -> Result<ChainReport, LogError> {
    if w.report.damage.is_none() && w.run_events > 0 {
        w.report.damage = end_run(&mut w, seals)?;
    }
    Ok(w.report)
}

/// Verifies what seals a run ending at `seq`: the device's signature or a trusted witness.
fn verify_seal(
    seals: &Seals,
    device: DeviceId,
    seq: u64,
    hash: &Hash,
) -> Result<Option<String>, LogError> {
    let id = EventId { device, seq };
    if let Some(sig) = seals.signatures.get(id.key())? {
        return verify_head(seals.keys, &sig, device, seq, hash);
    }
    let Some(w) = seals.witnesses.get(id.key())? else {
        return Ok(Some(format!(
            "event {seq}, the last of its run, is not signed"
        )));
    };
    if w.len() != 96 {
        return Ok(Some(format!("the witness of event {seq} is truncated")));
    }
    let (key, sig) = w.split_at(32);
    let trusted = seals.witness_keys.iter().any(|k| k[..] == *key);
    let verifies = <[u8; 32]>::try_from(key)
        .ok()
        .and_then(|k| VerifyingKey::from_bytes(&k).ok())
        .zip(<[u8; 64]>::try_from(sig).ok())
        .is_some_and(|(k, s)| {
            k.verify_strict(&witness_message(&id, hash), &Signature::from_bytes(&s))
                .is_ok()
        });
    if !trusted || !verifies {
        return Ok(Some(format!(
            "the witness of event {seq} does not match: the chain was rewritten"
        )));
    }
    Ok(None)
}

/// Verifies the device's signature over the last event of an intact run.
fn verify_head(
    keys: &[(DeviceId, [u8; 32])],
    sig: &[u8],
    device: DeviceId,
    seq: u64,
    hash: &Hash,
) -> Result<Option<String>, LogError> {
    let Some((_, public)) = keys.iter().find(|(d, _)| *d == device) else {
        return Ok(Some("the device's public key is missing".into()));
    };
    let Ok(key) = VerifyingKey::from_bytes(public) else {
        return Ok(Some("the device's public key is invalid".into()));
    };
    let Ok(sig) = <[u8; 64]>::try_from(sig) else {
        return Ok(Some(format!("the signature of event {seq} is truncated")));
    };
    if key
        .verify_strict(hash, &Signature::from_bytes(&sig))
        .is_err()
    {
        return Ok(Some(format!(
            "the signature of event {seq} does not match: the chain was rewritten"
        )));
    }
    Ok(None)
}
