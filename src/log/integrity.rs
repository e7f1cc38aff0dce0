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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use serde::Serialize;

use super::LogError;
use super::block::{self, Block};
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
/// verified. Done on the decoding threads while the chains are walked in order.
struct Decoded {
    block: Result<Block, String>,
    end: Hash,
    events: Result<Vec<Event>, String>,
    seal: Option<Result<(), String>>,
}

fn decode_one(k: &[u8], v: &[u8], trusted: &[[u8; 32]]) -> Decoded {
    let mut out = Decoded {
        block: Err("the block's key is too short".into()),
        end: [0; 32],
        events: Ok(Vec::new()),
        seal: None,
    };
    let Some(id) = EventId::from_key(k) else {
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

/// The decoded blocks, as the decoding threads hand them over. The threads take blocks in an
/// order chosen so the walk rarely waits ([`claim_order`]) while the projections are applied
/// on this thread: decoding (about two thirds of an open) and applying overlap instead of
/// running one after the other.
struct Source<'a> {
    raw: &'a [(sled::IVec, sled::IVec)],
    trusted: &'a [[u8; 32]],
    got: Vec<Option<Decoded>>,
    /// `None`: every block is decoded here, when asked for.
    rx: Option<mpsc::Receiver<(usize, Decoded)>>,
}

impl Source<'_> {
    /// Block `i`, decoded: waits for the thread that has it, or decodes it here.
    fn take(&mut self, i: usize) -> Decoded {
        loop {
            if let Some(d) = self.got.get_mut(i).and_then(Option::take) {
                return d;
            }
            // A thread cannot panic on stored bytes; if every one stopped, decode here.
            match self.rx.as_ref().map(mpsc::Receiver::recv) {
                Some(Ok((j, d))) if j < self.got.len() => self.got[j] = Some(d),
                Some(Ok(_)) => {}
                _ => {
                    self.rx = None;
                    let (k, v) = &self.raw[i];
                    return decode_one(k, v, self.trusted);
                }
            }
        }
    }
}

/// The order the decoding threads take blocks in: the devices' first blocks, then their
/// second ones, and so on, so that the clock-order merge below, which needs the next block of
/// every device at once, finds them decoded early. A check without projections walks the
/// devices one after the other, in the order of the keys.
pub(super) fn claim_order(devices: &[(DeviceId, Vec<usize>)], project: bool) -> Vec<usize> {
    if !project || devices.len() < 2 {
        return devices
            .iter()
            .flat_map(|(_, b)| b.iter().copied())
            .collect();
    }
    let longest = devices.iter().map(|(_, b)| b.len()).max().unwrap_or(0);
    (0..longest)
        .flat_map(|r| devices.iter().filter_map(move |(_, b)| b.get(r).copied()))
        .collect()
}

/// One device's blocks walked in order: each checked against the chain so far, and its
/// events handed out while the chain holds.
struct DeviceWalk {
    device: DeviceId,
    blocks: std::vec::IntoIter<usize>,
    walk: Walk,
    current: std::iter::Peekable<std::vec::IntoIter<Event>>,
}

impl DeviceWalk {
    fn new(device: DeviceId, blocks: Vec<usize>) -> DeviceWalk {
        DeviceWalk {
            device,
            blocks: blocks.into_iter(),
            walk: Walk {
                report: ChainReport {
                    device,
                    events: 0,
                    last: 0,
                    head: genesis(device),
                    last_clock: Hlc::default(),
                    after_damage: 0,
                    damage: None,
                },
                hash: genesis(device),
                walked: 0,
                pending: 0,
            },
            current: Vec::new().into_iter().peekable(),
        }
    }

    /// The stamp of the next event this device's chain vouches for, walking blocks as needed.
    fn peek(&mut self, src: &mut Source, chains: &mut BTreeMap<DeviceId, Chain>) -> Option<Stamp> {
        loop {
            if let Some(e) = self.current.peek() {
                return Some(e.stamp());
            }
            let i = self.blocks.next()?;
            if let Some(events) = self.step(src.take(i), chains) {
                self.current = events.into_iter().peekable();
            }
        }
    }

    /// Walks every block left, keeping none of their events.
    fn drain(&mut self, src: &mut Source, chains: &mut BTreeMap<DeviceId, Chain>) {
        while let Some(i) = self.blocks.next() {
            self.step(src.take(i), chains);
        }
    }

    /// Checks one block against the chain so far and indexes it; its events if it holds.
    fn step(&mut self, d: Decoded, chains: &mut BTreeMap<DeviceId, Chain>) -> Option<Vec<Event>> {
        let w = &mut self.walk;
        let block = match d.block {
            Ok(b) => b,
            Err(what) => {
                damage(w, 1, what);
                return None;
            }
        };
        let count = block.bodies.len() as u64;
        if w.report.damage.is_some() {
            w.report.after_damage += count;
            return None;
        }
        if DeviceId::of_key(&block.public_key) != self.device {
            let what = format!(
                "the block at event {} carries another device's key",
                block.first
            );
            damage(w, count, what);
            return None;
        }
        if block.first == w.walked + 1 && w.walked > 0 {
            if block.prev != w.hash {
                let what = format!(
                    "event {} does not follow the chain before it (altered or damaged)",
                    block.first
                );
                damage(w, count, what);
                return None;
            }
        } else if block.first <= w.walked {
            damage(w, count, format!("event {} is stored twice", block.first));
            return None;
        } else {
            // A new run: the one before must have ended sealed.
            if w.pending > 0 {
                let what = format!("event {}, the last of its run, is not sealed", w.walked);
                damage(w, count, what);
                return None;
            }
            if block.first == 1 && block.prev != genesis(self.device) {
                damage(w, count, "event 1 does not start the chain".into());
                return None;
            }
        }
        let decoded = match d.events {
            Ok(e) => e,
            Err(what) => {
                damage(w, count, what);
                return None;
            }
        };
        if let Some(Err(what)) = d.seal {
            damage(w, count, what);
            return None;
        }
        for e in &decoded {
            w.report.last_clock = w.report.last_clock.max(e.clock);
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
        let chain = chains.entry(self.device).or_default();
        chain.public_key = block.public_key;
        chain.blocks.insert(
            block.first,
            BlockInfo {
                count,
                prev: block.prev,
                end: d.end,
            },
        );
        Some(decoded)
    }
}

/// Reads every block of `blocks` in order: verifies each chain, indexes the blocks and, when
/// `project` is set, applies each event to the projections.
pub(super) fn load(
    blocks: &sled::Tree,
    trusted: &[[u8; 32]],
    project: bool,
) -> Result<(State, IntegrityReport), LogError> {
    let raw = blocks.iter().collect::<Result<Vec<_>, _>>()?;
    let mut report = IntegrityReport::default();
    // Each device's blocks, in the order of their keys (by sequence number).
    let mut devices: Vec<(DeviceId, Vec<usize>)> = Vec::new();
    for (i, (k, _)) in raw.iter().enumerate() {
        match EventId::from_key(k) {
            None => report
                .problems
                .push("a block key is too short (the blocks tree is damaged)".into()),
            Some(id) => match devices.last_mut() {
                Some((device, list)) if *device == id.device => list.push(i),
                _ => devices.push((id.device, vec![i])),
            },
        }
    }
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let order = claim_order(&devices, project);
    let raw = &raw[..];
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let mut src = Source {
            raw,
            trusted,
            got: std::iter::repeat_with(|| None).take(raw.len()).collect(),
            rx: None,
        };
        if threads > 1 && raw.len() >= 8 {
            let (tx, rx) = mpsc::channel();
            let (order, next) = (&order, &next);
            for _ in 0..threads {
                let tx = tx.clone();
                scope.spawn(move || {
                    while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let (k, v) = &raw[i];
                        if tx.send((i, decode_one(k, v, trusted))).is_err() {
                            return;
                        }
                    }
                });
            }
            src.rx = Some(rx);
        }
        let mut state = State::default();
        let mut walks: Vec<DeviceWalk> = devices
            .into_iter()
            .map(|(device, list)| DeviceWalk::new(device, list))
            .collect();
        if project {
            project_all(&mut state, &mut walks, &mut src, raw.len());
        }
        for w in &mut walks {
            w.drain(&mut src, &mut state.chains);
        }
        report.chains = walks.into_iter().map(|w| finish(w.walk)).collect();
        state.clock = report
            .chains
            .iter()
            .map(|c| c.last_clock)
            .max()
            .unwrap_or_default();
        Ok((state, report))
    })
}

/// Applies every event the chains vouch for, in clock order across devices: a hybrid logical
/// clock orders an event after every event its device had seen, so each rule meets events in
/// an order they could have arrived in (an office's "sent" after the act it declares).
fn project_all(state: &mut State, walks: &mut [DeviceWalk], src: &mut Source, blocks: usize) {
    // Room for about as many events as the chains' last sequence numbers say, within what
    // the blocks could hold.
    let estimate: u64 = walks
        .iter()
        .filter_map(|w| w.blocks.as_slice().last())
        .filter_map(|&i| EventId::from_key(&src.raw[i].0))
        .map(|id| id.seq)
        .fold(0u64, u64::saturating_add);
    let cap = (blocks as u64).saturating_mul(block::MAX_EVENTS as u64);
    state
        .projections
        .reserve(usize::try_from(estimate.min(cap)).unwrap_or(0));
    let mut next: BinaryHeap<Reverse<(Stamp, usize)>> = BinaryHeap::new();
    for (i, w) in walks.iter_mut().enumerate() {
        if let Some(stamp) = w.peek(src, &mut state.chains) {
            next.push(Reverse((stamp, i)));
        }
    }
    while let Some(Reverse((_, i))) = next.pop() {
        let w = &mut walks[i];
        let Some(e) = w.current.next() else {
            continue;
        };
        if let Some(stamp) = w.peek(src, &mut state.chains) {
            next.push(Reverse((stamp, i)));
        }
        // Events were valid when they were stored; a rule that refuses one now is not
        // damage, and strictness is for local appends only.
        let _ = projection::apply(&mut state.projections, e, false);
    }
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
