//! The integrity check run on every open: each device's chain is recomputed block by block,
//! each run of consecutive events must start where its first block says (genesis, or the hash
//! the block carries when the events before it are not held) and end with a seal that
//! verifies; the count of events is compared with what the store held after its last save.
//! The same walk feeds the projections, so the check costs one reading of the events.
//!
//! It reports; it never repairs. A damaged store is refused with this report, which says for
//! each device which events are intact and where the damage starts, so nobody loses the
//! intact part by "fixing" the rest (see `recover.rs` for the way out).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::fmt;

use serde::Serialize;

use super::LogError;
use super::block::Block;
use super::chain::verify_seal;
use super::event::{DeviceId, Event, EventId, Hash, Hlc, Stamp, genesis};
use super::projection::{self, Projections};

/// The state of one device's chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainReport {
    #[serde(serialize_with = "as_text")]
    pub device: DeviceId,
    /// Events that verify (from sequence 1, through every run of a sparse chain).
    pub events: u64,
    /// The sequence number of the last event that verifies (0 if none).
    pub last: u64,
    /// The chain hash after the last intact event.
    #[serde(skip)]
    pub head: Hash,
    /// The latest clock among the intact events.
    #[serde(skip)]
    pub last_clock: Hlc,
    /// Events stored after the damage (kept, but not vouched for).
    pub after_damage: u64,
    /// What is wrong, if anything.
    pub damage: Option<String>,
}

fn as_text<S: serde::Serializer>(d: &DeviceId, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(d)
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct IntegrityReport {
    pub chains: Vec<ChainReport>,
    /// Damage to the store's files rather than to one chain: a missing file, a file sled
    /// cannot read, fewer events than the store held after its last save.
    pub problems: Vec<String>,
}

impl IntegrityReport {
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty() && self.chains.iter().all(|c| c.damage.is_none())
    }

    /// Events that verify, over all devices.
    pub fn intact_events(&self) -> u64 {
        self.chains.iter().map(|c| c.events).sum()
    }

    /// What to do about it, in one sentence.
    pub fn advice(&self) -> &'static str {
        if self.is_intact() {
            "nothing to do"
        } else {
            "the store was not changed: copy what is intact into a new folder with \
             `tournee --data DIR recover --to NEWDIR`, then use NEWDIR (a sync brings back from \
             the server what it holds of the rest)"
        }
    }
}

impl fmt::Display for IntegrityReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = self.problems.clone();
        for c in &self.chains {
            parts.push(match &c.damage {
                None => format!("device {}: {} intact", c.device, events(c.events)),
                Some(d) => format!(
                    "device {}: {} verified, then {d}; {} after it kept but not verified",
                    c.device,
                    events(c.events),
                    events(c.after_damage)
                ),
            });
        }
        if parts.is_empty() {
            return write!(f, "empty store");
        }
        write!(f, "{}", parts.join("; "))
    }
}

fn events(n: u64) -> String {
    if n == 1 {
        "1 event".to_owned()
    } else {
        format!("{n} events")
    }
}

/// Where a block sits in its device's chain, kept in memory for lookups.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct BlockInfo {
    pub count: u64,
    /// The chain hash before its first event, and after its last.
    pub prev: Hash,
    pub end: Hash,
}

/// A device's chain as stored: its key and its blocks by first sequence number.
#[derive(Debug, Clone, Default)]
pub(super) struct Chain {
    pub public_key: [u8; 32],
    pub blocks: BTreeMap<u64, BlockInfo>,
}

impl Chain {
    /// The last event held, and the hash after it.
    pub fn head(&self) -> Option<(u64, Hash)> {
        self.blocks
            .iter()
            .next_back()
            .map(|(first, b)| (first + b.count - 1, b.end))
    }

    /// The block holding `seq`, by its first sequence number.
    pub fn block_of(&self, seq: u64) -> Option<(u64, BlockInfo)> {
        self.blocks
            .range(..=seq)
            .next_back()
            .filter(|(first, b)| seq < *first + b.count)
            .map(|(f, b)| (*f, *b))
    }

    pub fn events(&self) -> u64 {
        self.blocks.values().map(|b| b.count).sum()
    }
}

/// What the store holds in memory: projections and the chains' index.
#[derive(Default)]
pub(super) struct State {
    pub projections: Projections,
    pub chains: BTreeMap<DeviceId, Chain>,
    pub clock: Hlc,
}

impl State {
    pub fn events(&self) -> u64 {
        self.chains.values().map(Chain::events).sum()
    }
}

/// One device's walk in progress. `report` counts only events a verified seal vouches for;
/// `pending` are the events walked since the last one, which the next seal must cover.
struct Walk {
    report: ChainReport,
    /// The hash after the last event walked, and its sequence number.
    hash: Hash,
    walked: u64,
    pending: u64,
}

/// A block read and checked on its own: decoded, hashed, its events decoded and its seal
/// verified. Done for all blocks in parallel before the chains are walked in order.
struct Decoded {
    id: Option<EventId>,
    block: Result<Block, String>,
    end: Hash,
    events: Result<Vec<Event>, String>,
    seal: Option<Result<(), String>>,
}

fn decode_one(k: &[u8], v: &[u8], trusted: &[[u8; 32]]) -> Decoded {
    let id = EventId::from_key(k);
    let mut out = Decoded {
        id,
        block: Err(String::new()),
        end: [0; 32],
        events: Ok(Vec::new()),
        seal: None,
    };
    let Some(id) = id else {
        return out;
    };
    let block = match Block::decode(v) {
        Ok((b, _)) if b.device == id.device && b.first == id.seq => b,
        Ok(_) => {
            out.block = Err(format!("the block at event {} is misplaced", id.seq));
            return out;
        }
        Err(e) => {
            out.block = Err(format!("the block at event {}: {e}", id.seq));
            return out;
        }
    };
    let hashes = block.hashes();
    out.end = hashes.last().copied().unwrap_or(block.prev);
    let mut events = Vec::with_capacity(block.bodies.len());
    for (i, body) in block.bodies.iter().enumerate() {
        let eid = EventId {
            device: id.device,
            seq: block.first + i as u64,
        };
        match Event::from_body(eid, body) {
            Ok(e) => events.push(e),
            Err(e) => {
                out.events = Err(format!("event {} does not decode ({e})", eid.seq));
                break;
            }
        }
    }
    if out.events.is_ok() {
        out.events = Ok(events);
    }
    out.seal = block.seal.as_ref().map(|seal| {
        let last = EventId {
            device: id.device,
            seq: block.last(),
        };
        verify_seal(&block.public_key, last, &out.end, seal, trusted).map_err(|e| {
            format!(
                "the seal of event {} does not match ({e}): the chain was altered",
                block.last()
            )
        })
    });
    out.block = Ok(block);
    out
}

/// Decodes every block, on as many threads as the machine has cores.
fn decode_all(raw: &[(sled::IVec, sled::IVec)], trusted: &[[u8; 32]]) -> Vec<Decoded> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    if threads == 1 || raw.len() < 8 {
        return raw.iter().map(|(k, v)| decode_one(k, v, trusted)).collect();
    }
    let chunk = raw.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = raw
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(k, v)| decode_one(k, v, trusted))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(raw.len());
        for (h, part) in handles.into_iter().zip(raw.chunks(chunk)) {
            match h.join() {
                Ok(d) => out.extend(d),
                // A thread cannot panic on stored bytes; if one did, decode its part here.
                Err(_) => out.extend(part.iter().map(|(k, v)| decode_one(k, v, trusted))),
            }
        }
        out
    })
}

/// Reads every block of `blocks` in order: verifies each chain, indexes the blocks and, when
/// `project` is set, applies each event to the projections.
pub(super) fn load(
    blocks: &sled::Tree,
    trusted: &[[u8; 32]],
    project: bool,
) -> Result<(State, IntegrityReport), LogError> {
    let raw = blocks.iter().collect::<Result<Vec<_>, _>>()?;
    let mut state = State::default();
    let mut report = IntegrityReport::default();
    let mut walk: Option<Walk> = None;
    // Each device's events, block by block: already in clock order (a device's clock only
    // moves forward), merged across devices below.
    let mut events: BTreeMap<DeviceId, Vec<Vec<Event>>> = BTreeMap::new();
    for d in decode_all(&raw, trusted) {
        let Some(id) = d.id else {
            report
                .problems
                .push("a block key is too short (the blocks tree is damaged)".into());
            continue;
        };
        if walk.as_ref().is_some_and(|w| w.report.device != id.device)
            && let Some(w) = walk.take()
        {
            report.chains.push(finish(w));
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
            walked: 0,
            pending: 0,
        });
        let block = match d.block {
            Ok(b) => b,
            Err(what) => {
                damage(w, 1, what);
                continue;
            }
        };
        let count = block.bodies.len() as u64;
        if w.report.damage.is_some() {
            w.report.after_damage += count;
            continue;
        }
        if DeviceId::of_key(&block.public_key) != id.device {
            let what = format!("the block at event {} carries another device's key", id.seq);
            damage(w, count, what);
            continue;
        }
        if block.first == w.walked + 1 && w.walked > 0 {
            if block.prev != w.hash {
                let what = format!(
                    "event {} does not follow the chain before it (altered or damaged)",
                    block.first
                );
                damage(w, count, what);
                continue;
            }
        } else if block.first <= w.walked {
            damage(w, count, format!("event {} is stored twice", block.first));
            continue;
        } else {
            // A new run: the one before must have ended sealed.
            if w.pending > 0 {
                let what = format!("event {}, the last of its run, is not sealed", w.walked);
                damage(w, count, what);
                continue;
            }
            if block.first == 1 && block.prev != genesis(id.device) {
                damage(w, count, "event 1 does not start the chain".into());
                continue;
            }
        }
        let decoded = match d.events {
            Ok(e) => e,
            Err(what) => {
                damage(w, count, what);
                continue;
            }
        };
        if let Some(Err(what)) = d.seal {
            damage(w, count, what);
            continue;
        }
        for e in &decoded {
            w.report.last_clock = w.report.last_clock.max(e.clock);
        }
        if project {
            events.entry(id.device).or_default().push(decoded);
        }
        w.hash = d.end;
        w.walked = block.last();
        w.pending += count;
        if block.seal.is_some() {
            w.report.events += w.pending;
            w.pending = 0;
            w.report.last = block.last();
            w.report.head = d.end;
        }
        let chain = state.chains.entry(id.device).or_default();
        chain.public_key = block.public_key;
        chain.blocks.insert(
            block.first,
            BlockInfo {
                count,
                prev: block.prev,
                end: d.end,
            },
        );
    }
    if let Some(w) = walk.take() {
        report.chains.push(finish(w));
    }
    // In clock order, across devices: a hybrid logical clock orders an event after every
    // event its device had seen, so each rule meets events in an order they could have
    // arrived in (an office's "sent" after the act it declares).
    let total: usize = events.values().flatten().map(Vec::len).sum();
    state.projections.reserve(total);
    let mut streams: Vec<_> = events
        .into_values()
        .map(|blocks| blocks.into_iter().flatten().peekable())
        .collect();
    let mut next: BinaryHeap<Reverse<(Stamp, usize)>> = streams
        .iter_mut()
        .enumerate()
        .filter_map(|(i, s)| s.peek().map(|e| Reverse((e.stamp(), i))))
        .collect();
    while let Some(Reverse((_, i))) = next.pop() {
        let Some(e) = streams[i].next() else {
            continue;
        };
        if let Some(n) = streams[i].peek() {
            next.push(Reverse((n.stamp(), i)));
        }
        // Events were valid when they were stored; a rule that refuses one now is not
        // damage, and strictness is for local appends only.
        let _ = projection::apply(&mut state.projections, e, false);
    }
    state.clock = report
        .chains
        .iter()
        .map(|c| c.last_clock)
        .max()
        .unwrap_or_default();
    Ok((state, report))
}

/// Marks the first damage of a chain: the `count` events of the block at fault, and those
/// walked since the last verified seal, are kept but no longer vouched for.
fn damage(w: &mut Walk, count: u64, what: String) {
    if w.report.damage.is_none() {
        w.report.damage = Some(what);
    }
    w.report.after_damage += count + w.pending;
    w.pending = 0;
}

fn finish(mut w: Walk) -> ChainReport {
    if w.report.damage.is_none() && w.pending > 0 {
        let what = format!("event {}, the last of its run, is not sealed", w.walked);
        damage(&mut w, 0, what);
    }
    w.report
}
