//! The solver: the instance in flat tables, the simulation of a round, the exact dynamic
//! programme for small rounds and the iterated local search for the others.
//!
//! Nodes: 0 is the start, 1..=n the visits in the problem's order, n + 1 the end. A route is
//! the free part of a round: the visits after the fixed prefix (done visits, pinned visit).
//!
//! One job a file: `tables.rs` checks the problem and builds the tables, `simulate.rs` runs a
//! round through them (arrivals, lateness, costs, the plan, insertions), `exact.rs` the
//! dynamic programme, `search.rs` the iterated local search (and `search/population.rs` the
//! population search on top of it, when `Options::population` asks for it).

mod exact;
mod search;
mod simulate;
mod tables;

use super::{Options, Stop};

pub use exact::exact;

use search::Search;

/// Up to this many visits to place, the plan is exact (2¹² subsets × 12 last visits).
pub const EXACT_MAX: usize = 12;

/// What a round costs, compared field by field in this order (lexicographic objective).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Cost {
    /// Seconds back at the end point after the working day.
    pub overflow: i64,
    pub unplanned_urgent: u32,
    pub unplanned: u32,
    pub late: i64,
    pub drive: i64,
    pub meters: i64,
}

/// The state after the fixed prefix: where and when the free part starts.
#[derive(Debug, Clone)]
pub struct Base {
    node: usize,
    time: i64,
    late: i64,
    drive: i64,
    meters: i64,
    stops: Vec<Stop>,
    fixed: Vec<bool>,
    /// Visits (and urgent visits) not in the fixed prefix: counted once, used by every move.
    free_count: u32,
    free_urgent: u32,
}

/// A round simulated up to a visit: where, when, and what it has cost so far.
#[derive(Debug, Clone, Copy, Default)]
struct Partial {
    node: usize,
    time: i64,
    late: i64,
    drive: i64,
    meters: i64,
}

impl Base {
    fn start(&self) -> Partial {
        Partial {
            node: self.node,
            time: self.time,
            late: self.late,
            drive: self.drive,
            meters: self.meters,
        }
    }

    /// Whether a visit (node) is in the fixed prefix.
    pub fn fixed(&self, node: usize) -> bool {
        self.fixed.get(node).copied().unwrap_or(false)
    }

    /// Whether the day is under way: visits done, or one pinned first.
    pub fn under_way(&self) -> bool {
        self.fixed.contains(&true)
    }
}

/// The problem in flat tables.
pub struct Instance {
    n: usize,
    ids: Vec<String>,
    /// Driving seconds and metres from a to b, at `a * (n + 2) + b`: side by side, as most
    /// moves want both.
    legs: Vec<(i64, i64)>,
    /// Each node's window and work, side by side: every visit a move drives reads all three.
    timing: Vec<Timing>,
    closed: Vec<Vec<(i64, i64)>>,
    urgent: Vec<bool>,
    day_from: i64,
    day_to: i64,
}

/// When a visit may start and should have started, and how long its work takes (seconds).
#[derive(Debug, Clone, Copy)]
struct Timing {
    /// When the window opens (`i64::MIN`: no window).
    earliest: i64,
    /// When the window ends (`i64::MAX`: no window).
    latest: i64,
    service: i64,
}

impl Timing {
    /// Seconds past the window's end when the work starts at `start`.
    #[inline]
    fn lateness(&self, start: i64) -> i64 {
        (start - self.latest).max(0)
    }
}

/// A small, seeded generator (SplitMix64): the same seed, the same plan.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A number in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The best route found: exact for small rounds, iterated local search beyond.
pub fn optimise(inst: &Instance, base: &Base, hint: &[usize], options: &Options) -> Vec<usize> {
    let free = inst.free(base);
    if free.len() <= EXACT_MAX {
        return exact(inst, base, &free);
    }
    let hint: Vec<usize> = hint.iter().copied().filter(|v| !base.fixed[*v]).collect();
    // A re-plan starts from a good order: a quarter of the rounds and of the work is enough,
    // and keeps a new call's answer quick on a crowded day.
    let (iterations, max_work) = if hint.is_empty() {
        (options.iterations, options.max_work)
    } else {
        (options.replan_iterations, options.max_work / 4)
    };
    let mut search = Search::new(inst, base, free, options.seed);
    search.max_work = max_work;
    search.eject = base.under_way();
    // A re-plan's quarter of the budget leaves a population too few children to pay.
    if options.population && hint.is_empty() {
        return search.evolve(&hint, iterations);
    }
    search.run(&hint, iterations)
}

/// A round at least as good as `hint` (a plan's order): the iterated search from it (or from
/// nothing when `fresh`) with a plan's whole budget and `options.seed`, so that slice after
/// slice, each with its own seed, it goes on improving a round in the background (see
/// `tour::refine`). Small rounds are exact already.
pub fn refine(
    inst: &Instance,
    base: &Base,
    hint: &[usize],
    options: &Options,
    fresh: bool,
) -> Vec<usize> {
    let free = inst.free(base);
    let hint: Vec<usize> = hint.iter().copied().filter(|v| !base.fixed[*v]).collect();
    if free.len() <= EXACT_MAX {
        return exact(inst, base, &free);
    }
    let mut search = Search::new(inst, base, free, options.seed);
    search.max_work = options.max_work;
    search.eject = base.under_way();
    let from: &[usize] = if fresh { &[] } else { &hint };
    let route = search.run(from, options.iterations);
    // On a tie the round it started from: a new order only when it is better.
    if inst.cost(base, &route) < inst.cost(base, &hint) {
        route
    } else {
        hint
    }
}

/// The iterated local search alone, whatever the number of visits: the tests measure it
/// against [`exact`] on small rounds, the bench on public instances.
#[cfg(test)]
pub fn search(
    inst: &Instance,
    base: &Base,
    hint: &[usize],
    iterations: u32,
    seed: u64,
) -> Vec<usize> {
    let free = inst.free(base);
    Search::new(inst, base, free, seed).run(hint, iterations)
}
