//! The integrity check run on every open: each device's chain is recomputed from its events
//! and compared with the stored hashes, and its last signature verified.
//!
//! It reports; it never repairs. A damaged store is refused with this report, which says for
//! each device which events are intact and where the damage starts, so nobody loses the
//! intact part by "fixing" the rest.

use std::fmt;

use ed25519_dalek::{Signature, VerifyingKey};

use super::event::{DeviceId, EventId, Hash, Hlc, chain_hash, genesis};
use super::{LogError, Store};

/// The state of one device's chain.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainReport {
    pub device: DeviceId,
    /// Events from sequence 1 that verify.
    pub events: u64,
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
}

/// Checks every chain of the store (done by [`Store::open`]; callable again at any time).
pub fn check(store: &Store) -> Result<IntegrityReport, LogError> {
    let keys: Vec<(DeviceId, [u8; 32])> = store.devices()?;
    let signatures = store.tree("signatures");
    let mut report = IntegrityReport::default();
    let mut walk: Option<Walk> = None;
    let finish = |w: Walk, report: &mut IntegrityReport| -> Result<(), LogError> {
        let mut c = w.report;
        if c.damage.is_none() && c.events > 0 {
            c.damage = verify_head(&keys, signatures, c.device, c.events, &w.hash)?;
            if c.damage.is_some() {
                // Without a valid signature, no event of the chain is vouched for.
                c.after_damage = c.events;
                c.events = 0;
            }
        }
        report.chains.push(c);
        Ok(())
    };
    for kv in store.tree("events").iter() {
        let (k, v) = kv?;
        let Some(id) = EventId::from_key(&k) else {
            return Err(LogError::Corrupt("an event key is too short".into()));
        };
        if walk.as_ref().is_some_and(|w| w.report.device != id.device)
            && let Some(w) = walk.take()
        {
            finish(w, &mut report)?;
        }
        let w = walk.get_or_insert_with(|| Walk {
            report: ChainReport {
                device: id.device,
                events: 0,
                head: genesis(id.device),
                last_clock: Hlc::default(),
                after_damage: 0,
                damage: None,
            },
            hash: genesis(id.device),
        });
        if w.report.damage.is_some() {
            w.report.after_damage += 1;
            continue;
        }
        let expected_seq = w.report.events + 1;
        let damage = if id.seq != expected_seq {
            Some(format!("event {expected_seq} is missing"))
        } else if v.len() < 32 {
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
                        w.report.events = id.seq;
                        w.report.head = hash;
                        w.report.last_clock = w.report.last_clock.max(event.clock);
                        None
                    }
                }
            }
        };
        if let Some(d) = damage {
            w.report.damage = Some(d);
            w.report.after_damage += 1;
        }
    }
    if let Some(w) = walk.take() {
        finish(w, &mut report)?;
    }
    Ok(report)
}

/// Verifies the signature over the last event of an intact chain.
fn verify_head(
    keys: &[(DeviceId, [u8; 32])],
    signatures: &sled::Tree,
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
    let id = EventId { device, seq };
    let Some(sig) = signatures.get(id.key())? else {
        return Ok(Some(format!("event {seq}, the last, is not signed")));
    };
    let Ok(sig) = <[u8; 64]>::try_from(sig.as_ref()) else {
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
