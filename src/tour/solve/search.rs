//! The iterated local search of rounds beyond [`EXACT_MAX`] visits: perturbations, then
//! 2-opt, or-opt, swaps and insertions over granular neighbourhoods until no move improves.

mod population;

use super::{Base, Cost, Instance, Partial, Rng};
use crate::tour::profile::{self, Profile};

/// The iterated local search of rounds beyond [`EXACT_MAX`] visits.
pub(super) struct Search<'a> {
    inst: &'a Instance,
    base: &'a Base,
    free: Vec<usize>,
    rng: Rng,
    /// The work done (moves costed, visits simulated, profile pieces built), counted so that
    /// the budget is deterministic.
    work: u64,
    pub(super) max_work: u64,
    /// Each node alone as a time profile (the start and the end: unused).
    node: Vec<Profile>,
    /// Scratch: the sequence base, route, end and its running driving and distance sums.
    seq: Vec<usize>,
    fwd: Vec<i64>,
    bwd: Vec<i64>,
    fwd_m: Vec<i64>,
    bwd_m: Vec<i64>,
    /// The current round simulated: `states[k]` after its first k visits.
    states: Vec<Partial>,
    /// `suffix[j]`: the profile of the current round from `seq[j]` to the end, built for
    /// `j >= suffix_from` (see `suffix_down_to`).
    suffix: Vec<Profile>,
    suffix_from: usize,
    /// Don't-look bits by node: visits marked since the last pass (`active`) and those the
    /// pass under way looks around (`scan`).
    active: Vec<bool>,
    scan: Vec<bool>,
    /// `near[u * size + v]`: v is among the nearest nodes of u, or u among those of v
    /// (granular neighbourhoods, Toth and Vigo 2003): a move is costed only if it puts a
    /// visit next to one of its near ones, since the others are seldom better and make most
    /// of the work.
    near: Vec<bool>,
    /// See `rank`.
    lateness_weight: Option<i64>,
    trial: Vec<usize>,
    /// Whether a kick may take a late visit out (see `kick`).
    pub(super) eject: bool,
}

/// Seconds of driving a second of lateness counts for in a weighed descent (measured on the
/// bench's crowded days: 1 lands nearer the best known rounds than 2, 3 or 10).
const LATENESS_WEIGHT: i64 = 1;

/// On a day under way, one round of the iterated search in this many takes a late visit out
/// (see `kick`; measured with 2, 4, 6 and 8 on the bench's re-planned 40-farm days).
const EJECT_EVERY: u32 = 4;

/// Rounds of fewer visits get wide perturbations only (see `double_bridge`).
const WIDE_BELOW: usize = 30;

/// The longest stretch a perturbation moves on longer rounds, mostly.
const BRIDGE: usize = 3;

/// How many nearest nodes a move may put a visit next to.
const NEAR: usize = 12;

/// A segment of the current round to move elsewhere, with what does not depend on where:
/// looked at for every place it is tried at, so worked out once.
struct Moved {
    reversed: bool,
    /// Its first and last nodes as driven, and where their rows start in the near table.
    first: usize,
    last: usize,
    near_first: usize,
    near_last: usize,
    /// What taking it out (and turning it round) changes in driving and distance.
    out: (i64, i64),
    /// The least time from arriving at its first visit to leaving its last: the work and
    /// the driving between, without waits.
    span: i64,
}

/// Whether a change of driving and distance makes a shorter round.
fn shorter((dt, dm): (i64, i64)) -> bool {
    dt < 0 || (dt == 0 && dm < 0)
}

/// The `NEAR` nodes nearest each node, as a flat table: nearest by driving time with a
/// penalty for the wait or the lateness of going from one straight to the other (the
/// correlation of Vidal et al. 2013, with their weights 0.2 and 1), so that a visit's near
/// ones are those it could be followed by at that time of day, not only next door.
fn near_table(inst: &Instance) -> Vec<bool> {
    let size = inst.n + 2;
    let open = |v: usize| inst.timing[v].earliest.max(inst.day_from);
    let close = |v: usize| inst.timing[v].latest.min(inst.day_to);
    let proximity = |u: usize, v: usize| -> i64 {
        let t = inst.t(u, v);
        let wait = (open(v) - inst.timing[u].service - t - close(u)).max(0);
        let late = (open(u) + inst.timing[u].service + t - close(v)).max(0);
        t + wait / 5 + late
    };
    let mut near = vec![false; size * size];
    let mut others: Vec<usize> = Vec::with_capacity(size);
    for u in 0..size {
        others.clear();
        others.extend((0..size).filter(|v| *v != u));
        others.sort_by_key(|v| (proximity(u, *v), *v));
        for &v in others.iter().take(NEAR) {
            near[u * size + v] = true;
            // Either way round: a move is judged by both its ends, and one look-up is
            // cheaper than two in the hottest test of the search.
            near[v * size + u] = true;
        }
    }
    near
}

impl<'a> Search<'a> {
    pub(super) fn new(
        inst: &'a Instance,
        base: &'a Base,
        free: Vec<usize>,
        seed: u64,
    ) -> Search<'a> {
        let node = (0..inst.n + 2)
            .map(|v| {
                if v == 0 || v == inst.end() {
                    return Profile::identity();
                }
                Profile::visit(&profile::VisitTiming {
                    earliest: inst.timing[v].earliest,
                    latest: inst.timing[v].latest,
                    service: inst.timing[v].service,
                    closed: &inst.closed[v],
                })
            })
            .collect();
        Search {
            inst,
            base,
            free,
            rng: Rng(seed),
            work: 0,
            max_work: u64::MAX,
            node,
            seq: Vec::new(),
            fwd: Vec::new(),
            bwd: Vec::new(),
            fwd_m: Vec::new(),
            bwd_m: Vec::new(),
            states: Vec::new(),
            suffix: Vec::new(),
            suffix_from: 0,
            active: vec![true; inst.n + 2],
            scan: vec![false; inst.n + 2],
            near: near_table(inst),
            lateness_weight: None,
            trial: Vec::new(),
            eject: false,
        }
    }

    fn cost(&mut self, route: &[usize]) -> Cost {
        self.work += route.len() as u64 + 1;
        self.inst.cost(self.base, route)
    }

    pub(super) fn run(&mut self, hint: &[usize], iterations: u32) -> Vec<usize> {
        let mut cur = hint.to_vec();
        self.fill(&mut cur, false, false);
        let mut cur_cost = self.improve(&mut cur, true);
        let mut best = cur.clone();
        let mut best_cost = cur_cost;
        let mut stale = 0u32;
        for it in 0..iterations {
            // A crowded day (visits left out, windows missed) makes every move dear: the
            // work budget, counted in visits simulated, keeps it fast and deterministic.
            if self.work > self.max_work {
                break;
            }
            let (cand, c) = self.kick(&cur, &cur_cost, it);
            // Threshold acceptance: a slightly longer round with nothing else worse may lead
            // out of a local optimum that windows make deep; the threshold shrinks to nothing.
            let slack =
                cur_cost.drive.max(0) * i64::from(iterations - it) / i64::from(iterations) / 20;
            let near = c.overflow == cur_cost.overflow
                && c.unplanned_urgent == cur_cost.unplanned_urgent
                && c.unplanned == cur_cost.unplanned
                && c.late <= cur_cost.late
                && c.drive <= cur_cost.drive + slack;
            if c <= cur_cost || near {
                cur = cand;
                cur_cost = c;
            }
            if cur_cost < best_cost {
                best = cur.clone();
                best_cost = cur_cost;
                stale = 0;
            } else {
                stale += 1;
                // A long plateau: start again from the best, so the walk does not drift.
                if stale.is_multiple_of(50) {
                    cur = best.clone();
                    cur_cost = best_cost;
                }
            }
        }
        best
    }

    /// One round of the iterated search from `cur`: a perturbation (a double bridge on even
    /// rounds `it`, else a few visits removed), the visits left out put back, then the local
    /// search around what changed. With `eject` (a day under way), one round in
    /// `EJECT_EVERY` on a late round takes a late visit out instead, and the local search
    /// runs on the round without it: a first pass mends the round around the gap, then its
    /// insertion of left-out visits puts the visit back at the first place, from the day's
    /// start, where the day still ends in time (or, if there is none, `fill` squeezes it in
    /// at the least bad one, and the candidate loses). After a new call on a crowded day the round is
    /// late because a few visits were pushed far past their windows; moved one at a time,
    /// each only makes the day end too late (README, "Why the crowded re-plans stay later").
    fn kick(&mut self, cur: &[usize], cur_cost: &Cost, it: u32) -> (Vec<usize>, Cost) {
        let mut cand = cur.to_vec();
        let mut eject = false;
        if it.is_multiple_of(2) && cand.len() >= 8 {
            self.double_bridge(&mut cand);
        } else if self.eject && cur_cost.late > 0 && it % EJECT_EVERY == 1 {
            eject = self.eject_late(&mut cand);
            if eject {
                self.mark_changes(cur, &cand);
                self.descend(&mut cand);
            }
        } else {
            self.ruin(&mut cand);
        }
        // Now and then a visit left out goes in even past the day's end: the local
        // search, which puts being back in time first, may then make room for it by
        // reordering the rest; if it cannot, the candidate loses to the current round.
        let squeeze = eject || (it % 4 == 3 && cur_cost.unplanned > 0);
        self.fill(&mut cand, true, squeeze);
        self.mark_changes(cur, &cand);
        // Every other round weighs lateness against driving: weighing every round lets
        // lateness creep into days that need none (measured on the bench's days).
        let c = self.improve(&mut cand, it.is_multiple_of(2));
        (cand, c)
    }

    /// Inserts every visit not in `route` at its best place, urgent and tight windows first,
    /// and only where the day still ends in time (`squeeze`: at the least bad place anyway).
    fn fill(&mut self, route: &mut Vec<usize>, shuffle: bool, squeeze: bool) {
        let inst = self.inst;
        let mut missing: Vec<usize> = self
            .free
            .iter()
            .copied()
            .filter(|v| !route.contains(v))
            .collect();
        if shuffle {
            // After a perturbation: urgent first still, the rest in a random order, so that
            // the same removals can be rebuilt differently.
            let keys: Vec<u64> = missing.iter().map(|_| self.rng.next()).collect();
            let mut keyed: Vec<(bool, u64, usize)> = missing
                .iter()
                .zip(keys)
                .map(|(v, k)| (!inst.urgent[*v], k, *v))
                .collect();
            keyed.sort_unstable();
            missing = keyed.into_iter().map(|(_, _, v)| v).collect();
        } else {
            missing.sort_by_key(|v| {
                (
                    !inst.urgent[*v],
                    inst.timing[*v].latest,
                    inst.timing[*v].earliest,
                    *v,
                )
            });
        }
        for v in missing {
            self.index(route);
            let left_out = (0, 0);
            let mut best: Option<(Cost, usize)> = None;
            for pos in 0..=route.len() {
                // The visits already in the round up to `pos`, `v`, then the rest as it is.
                let p = self.step(self.states[pos], v);
                let c = self.finish(p, pos + 1, left_out);
                if (c.overflow == 0 || squeeze) && best.is_none_or(|(b, _)| c < b) {
                    best = Some((c, pos));
                }
            }
            if let Some((_, pos)) = best {
                route.insert(pos, v);
            }
        }
    }

    /// Takes a late visit, at random, out of the round.
    fn eject_late(&mut self, route: &mut Vec<usize>) -> bool {
        self.index(route);
        let late: Vec<usize> = (1..=route.len())
            .filter(|&k| self.states[k].late > self.states[k - 1].late)
            .collect();
        if late.is_empty() {
            return false;
        }
        let k = late[self.rng.below(late.len())];
        route.remove(k - 1);
        true
    }

    /// Removes a few visits at random (and one neighbour's stretch), for `fill` to put back.
    fn ruin(&mut self, route: &mut Vec<usize>) {
        if route.is_empty() {
            return;
        }
        let k = (2 + self.rng.below(route.len().clamp(1, 4))).min(route.len());
        if self.rng.below(2) == 0 {
            for _ in 0..k {
                let i = self.rng.below(route.len());
                route.remove(i);
            }
        } else {
            // A stretch of neighbours in the round: room to rebuild a part of it.
            let i = self.rng.below(route.len() + 1 - k);
            route.drain(i..i + k);
        }
    }

    /// Swaps two neighbouring stretches of the round (a double bridge, on long rounds mostly
    /// kept local: each stretch at most `BRIDGE` visits). On a long, crowded day a round-wide
    /// exchange breaks most of the round and the local search spends the round's work
    /// mending it; a local one changes a part of the day, which the don't-look bits then
    /// search around.
    fn double_bridge(&mut self, route: &mut [usize]) {
        let n = route.len();
        // Up to 30 visits, stretches of any length (up to half the round each); beyond,
        // mostly short ones, one time in four up to a quarter of the round, so that rounds
        // without windows (where only distance counts) still get wide moves. Measured on the
        // bench's days: wide moves find the best known 25-farm rounds (9 days in 10 against 6
        // with short ones) and short ones the crowded 40-farm ones (6 in 10 against 4).
        let cap = if n < WIDE_BELOW {
            n / 2
        } else if self.rng.below(4) == 0 {
            n / 4
        } else {
            BRIDGE
        }
        .clamp(1, n / 2);
        let first = 1 + self.rng.below(cap);
        let second = 1 + self.rng.below(cap);
        let a = self.rng.below(n + 1 - first - second);
        route[a..a + first + second].rotate_left(first);
    }

    /// Running sums of driving and distance along base, route, end, both directions, the
    /// round simulated visit by visit, and the profiles of its ends, so that a move is costed
    /// from a few of them.
    fn index(&mut self, route: &[usize]) {
        // Nothing to do when the round is the one indexed (each operator starts here).
        let len = route.len() + 2;
        if self.seq.len() == len && self.seq[1..len - 1] == *route {
            return;
        }
        self.reindex(route, len);
    }

    /// `index` after a move that changed the round up to position `hi` of `seq` at most:
    /// the profiles of the rest, unchanged, are kept.
    fn reindex(&mut self, route: &[usize], hi: usize) {
        let inst = self.inst;
        let resized = self.seq.len() != route.len() + 2;
        self.seq.clear();
        self.seq.push(self.base.node);
        self.seq.extend_from_slice(route);
        self.seq.push(inst.end());
        let len = self.seq.len();
        for v in [
            &mut self.fwd,
            &mut self.bwd,
            &mut self.fwd_m,
            &mut self.bwd_m,
        ] {
            v.clear();
            v.resize(len, 0);
        }
        for i in 1..len {
            let (a, b) = (self.seq[i - 1], self.seq[i]);
            self.fwd[i] = self.fwd[i - 1] + inst.t(a, b);
            self.bwd[i] = self.bwd[i - 1] + inst.t(b, a);
            self.fwd_m[i] = self.fwd_m[i - 1] + inst.m(a, b);
            self.bwd_m[i] = self.bwd_m[i - 1] + inst.m(b, a);
        }
        self.states.clear();
        self.states.push(self.base.start());
        for &v in route {
            let last = self.states[self.states.len() - 1];
            self.states.push(inst.step(last, v));
        }
        self.work += len as u64;
        // Backward, when a move asks: the end, then each visit before what follows it. The
        // profiles after `hi` are those of the round before, as far as they were built.
        self.suffix.resize_with(len, Profile::default);
        if resized {
            self.suffix[len - 1] = Profile::identity();
            self.suffix_from = len - 1;
        }
        self.suffix_from = self.suffix_from.max(hi.min(len - 2) + 1);
    }

    /// Builds the profiles of the round's ends down to `seq[j]`. Lazily: after a change late
    /// in the round, the descent looks at the moves around it, and seldom needs the profiles
    /// of the whole round again.
    fn suffix_down_to(&mut self, j: usize) {
        let inst = self.inst;
        while self.suffix_from > j {
            let k = self.suffix_from - 1;
            let (v, next) = (self.seq[k], self.seq[k + 1]);
            let (head, tail) = self.suffix.split_at_mut(k + 1);
            Profile::compose_into(&self.node[v], inst.t(v, next), &tail[0], &mut head[k]);
            self.work += tail[0].len() as u64;
            self.suffix_from = k;
        }
    }

    /// One more visit on a partial round, counted.
    #[inline]
    fn step(&mut self, p: Partial, v: usize) -> Partial {
        self.work += 1;
        self.inst.step(p, v)
    }

    /// The cost of a round made of a partial round `p`, then the current round from
    /// `seq[j]` to the end, with `left_out` (urgent, all) visits left out.
    #[inline]
    fn finish(&mut self, p: Partial, j: usize, left_out: (u32, u32)) -> Cost {
        let inst = self.inst;
        self.suffix_down_to(j);
        self.work += 1;
        let next = self.seq[j];
        let last = self.seq.len() - 1;
        let (late, back) = self.suffix[j].at(p.time + inst.t(p.node, next));
        Cost {
            overflow: (back - inst.day_to).max(0),
            unplanned_urgent: left_out.0,
            unplanned: left_out.1,
            late: p.late + late,
            drive: p.drive + inst.t(p.node, next) + self.fwd[last] - self.fwd[j],
            meters: p.meters + inst.m(p.node, next) + self.fwd_m[last] - self.fwd_m[j],
        }
    }

    /// Whether a move that changes the round from `seq[first]` on could make it less late (or
    /// back in time): only when a visit from `seq[first]` on is late (or the day ends too
    /// late), since the visits before keep their lateness. Otherwise only a shorter round can
    /// be better, which the move's change of driving tells without costing it (exact
    /// pruning); that change is worked out only then, as this test runs for every move.
    fn may_be_less_late(&self, first: usize, cur: &Cost) -> bool {
        cur.overflow > 0 || cur.late > self.states[first - 1].late
    }

    /// Simulates `self.trial`; keeps it in `route` if better. Its first `from` visits are
    /// those of `route` (indexed), so the simulation starts there.
    fn try_trial(&mut self, route: &mut Vec<usize>, cur: &mut Cost, from: usize) -> bool {
        self.work += (self.trial.len() - from) as u64 + 1;
        let left_out = self.inst.left_out(self.base, &self.trial);
        let start = self.states[from];
        match self
            .inst
            .finish_below(start, &self.trial[from..], left_out, cur)
        {
            Some(c) => {
                *cur = c;
                route.clone_from(&self.trial);
                true
            }
            None => false,
        }
    }

    /// Local search to a local optimum: first improvement over 2-opt, or-opt (1 to 3 visits,
    /// either way round), swap and insertion of left-out visits. Only moves that touch a
    /// visit marked in `self.active` are tried (Bentley's don't-look bits): after a
    /// perturbation, the visits whose neighbours changed; after a move, the visits at its
    /// ends. A pass that finds nothing around them ends the search, so each round of the
    /// iterated search costs in proportion to what the perturbation changed, not to the
    /// square of the round's length. `weighed`: a first descent weighs lateness against
    /// driving (see `rank`).
    fn improve(&mut self, route: &mut Vec<usize>, weighed: bool) -> Cost {
        if !weighed {
            return self.descend(route);
        }
        // First with lateness weighed against driving (see `rank`); a round still late is
        // then searched again as a plan is judged, as PyVRP repairs a round that breaks
        // its windows.
        self.lateness_weight = Some(LATENESS_WEIGHT);
        let c = self.descend(route);
        self.lateness_weight = None;
        if c.late == 0 {
            return c;
        }
        self.mark_all();
        self.descend(route)
    }

    /// The local search to a local optimum of `rank`.
    fn descend(&mut self, route: &mut Vec<usize>) -> Cost {
        let mut cur = self.cost(route);
        loop {
            std::mem::swap(&mut self.active, &mut self.scan);
            self.active.iter_mut().for_each(|a| *a = false);
            let mut improved = self.two_opt(route, &mut cur);
            improved |= self.or_opt(route, &mut cur);
            improved |= self.swap(route, &mut cur);
            improved |= self.insert_missing(route, &mut cur);
            // The moves are costed from profiles: in tests, the round simulated agrees.
            debug_assert_eq!(cur, self.inst.cost(self.base, route));
            if !improved {
                return cur;
            }
        }
    }

    /// Whether a move whose ends are at these positions of `seq` is worth a look: one of
    /// them was marked since the last pass, or is marked now.
    fn looks(&self, at: &[usize]) -> bool {
        at.iter().any(|&i| {
            let v = self.seq[i];
            self.scan[v] || self.active[v]
        })
    }

    /// Whether the node at position `i` of `seq` is near the node `v` (either way round).
    #[inline]
    fn near(&self, i: usize, v: usize) -> bool {
        let size = self.inst.n + 2;
        let u = self.seq[i];
        self.near[u * size + v]
    }

    /// Marks the visits at these positions of `seq` (before a move changes it).
    fn mark(&mut self, at: &[usize]) {
        for &i in at {
            let v = self.seq[i];
            self.active[v] = true;
        }
    }

    /// Marks every visit: the search looks at every move once.
    fn mark_all(&mut self) {
        self.active.iter_mut().for_each(|a| *a = true);
    }

    /// `next[v]`: the node after v in the round (`usize::MAX` for a node not in it).
    fn successors(&self, route: &[usize]) -> Vec<usize> {
        let mut next = vec![usize::MAX; self.inst.n + 2];
        let mut prev = self.base.node;
        for &v in route.iter().chain(std::iter::once(&self.inst.end())) {
            next[prev] = v;
            prev = v;
        }
        next
    }

    /// Marks the visits whose neighbours in `after` are not those they had in `before`.
    fn mark_changes(&mut self, before: &[usize], after: &[usize]) {
        let next = self.successors(before);
        let mut prev = self.base.node;
        for &v in after.iter().chain(std::iter::once(&self.inst.end())) {
            if next[prev] != v {
                self.active[prev] = true;
                self.active[v] = true;
            }
            prev = v;
        }
    }

    /// How the local search ranks rounds: with no `lateness_weight`, as a plan is judged
    /// (lexicographically); with one, a second late counts as that many seconds of driving
    /// (visits left out and the day's end still first), so the search may go through rounds
    /// that miss a window on its way to a shorter one that keeps them all, as penalty-based
    /// searches do (Vidal et al. 2013; PyVRP). Each key strictly orders rounds, so the search
    /// ends.
    fn rank(&self, c: &Cost) -> (i64, u32, u32, i64, i64, i64) {
        let w = self.lateness_weight.unwrap_or(0);
        let (first, second) = match self.lateness_weight {
            Some(_) => (c.late * w + c.drive, c.late),
            None => (c.late, c.drive),
        };
        (
            c.overflow,
            c.unplanned_urgent,
            c.unplanned,
            first,
            second,
            c.meters,
        )
    }

    /// Keeps `c` if better than `cur`; the caller then changes `route` and calls `index`.
    fn better(&self, c: Cost, cur: &mut Cost) -> bool {
        if self.rank(&c) < self.rank(cur) {
            *cur = c;
            return true;
        }
        false
    }

    /// Whether a round that is at least `late` late and drives at least `drive` surely ranks
    /// after `cur` (with as many visits left out and back in time).
    fn beyond(&self, late: i64, drive: i64, cur: &Cost) -> bool {
        match self.lateness_weight {
            Some(w) => late * w + drive > cur.late * w + cur.drive,
            None => (late, drive) > (cur.late, cur.drive),
        }
    }

    /// Drives `seq[at]` for each position given after `p`; `None` as soon as the round can
    /// no longer beat `cur` (lateness and driving only grow along a round, and the visits it
    /// leaves out are those of `cur`).
    fn walk(
        &mut self,
        mut p: Partial,
        at: impl Iterator<Item = usize>,
        cur: &Cost,
    ) -> Option<Partial> {
        let bounded = cur.overflow == 0;
        for i in at {
            p = self.step(p, self.seq[i]);
            if bounded && self.beyond(p.late, p.drive, cur) {
                return None;
            }
        }
        Some(p)
    }

    fn two_opt(&mut self, route: &mut [usize], cur: &mut Cost) -> bool {
        let mut improved = false;
        self.index(route);
        let n = route.len();
        let same = (cur.unplanned_urgent, cur.unplanned);
        // Positions in seq: route[i] is seq[i + 1]; reverse seq[a..=b].
        for a in 1..=n {
            for b in a + 1..=n {
                if !self.looks(&[a - 1, a, b, b + 1])
                    || !(self.near(a - 1, self.seq[b]) || self.near(b + 1, self.seq[a]))
                {
                    continue;
                }
                if !self.may_be_less_late(a, cur) && !shorter(self.two_opt_delta(a, b)) {
                    continue;
                }
                let Some(p) = self.walk(self.states[a - 1], (a..=b).rev(), cur) else {
                    continue;
                };
                let c = self.finish(p, b + 1, same);
                if self.better(c, cur) {
                    // Go on scanning the changed round rather than start over: the same
                    // optimum is reached with far fewer scans.
                    self.mark(&[a - 1, a, b, b + 1]);
                    route[a - 1..b].reverse();
                    improved = true;
                    self.reindex(route, b);
                }
            }
        }
        improved
    }

    /// What reversing `seq[a..=b]` changes in driving and distance.
    fn two_opt_delta(&self, a: usize, b: usize) -> (i64, i64) {
        let inst = self.inst;
        let s = &self.seq;
        let dt = inst.t(s[a - 1], s[b]) + (self.bwd[b] - self.bwd[a]) + inst.t(s[a], s[b + 1])
            - inst.t(s[a - 1], s[a])
            - (self.fwd[b] - self.fwd[a])
            - inst.t(s[b], s[b + 1]);
        let dm = inst.m(s[a - 1], s[b]) + (self.bwd_m[b] - self.bwd_m[a]) + inst.m(s[a], s[b + 1])
            - inst.m(s[a - 1], s[a])
            - (self.fwd_m[b] - self.fwd_m[a])
            - inst.m(s[b], s[b + 1]);
        (dt, dm)
    }

    fn or_opt(&mut self, route: &mut Vec<usize>, cur: &mut Cost) -> bool {
        let later = self.or_opt_later(route, cur);
        self.or_opt_earlier(route, cur) || later
    }

    /// The segment `seq[a..=b]` to move, driven either way round (`reversed`).
    fn moved(&self, a: usize, b: usize, reversed: bool) -> Moved {
        let inst = self.inst;
        let s = &self.seq;
        let (first, last) = if reversed { (s[b], s[a]) } else { (s[a], s[b]) };
        let (inner, inner_m) = if reversed {
            (
                (self.bwd[b] - self.bwd[a]) - (self.fwd[b] - self.fwd[a]),
                (self.bwd_m[b] - self.bwd_m[a]) - (self.fwd_m[b] - self.fwd_m[a]),
            )
        } else {
            (0, 0)
        };
        let size = inst.n + 2;
        let inside = if reversed {
            self.bwd[b] - self.bwd[a]
        } else {
            self.fwd[b] - self.fwd[a]
        };
        let work: i64 = s[a..=b].iter().map(|&v| inst.timing[v].service).sum();
        Moved {
            reversed,
            span: inside + work,
            near_first: first * size,
            near_last: last * size,
            first,
            last,
            out: (
                inst.t(s[a - 1], s[b + 1]) - inst.t(s[a - 1], s[a]) - inst.t(s[b], s[b + 1])
                    + inner,
                inst.m(s[a - 1], s[b + 1]) - inst.m(s[a - 1], s[a]) - inst.m(s[b], s[b + 1])
                    + inner_m,
            ),
        }
    }

    /// What the segment `m` moved before `seq[g]` changes in driving and distance.
    #[inline]
    fn or_opt_delta(&self, m: &Moved, g: usize) -> (i64, i64) {
        let inst = self.inst;
        let (u, w) = (self.seq[g - 1], self.seq[g]);
        (
            m.out.0 + inst.t(u, m.first) + inst.t(m.last, w) - inst.t(u, w),
            m.out.1 + inst.m(u, m.first) + inst.m(m.last, w) - inst.m(u, w),
        )
    }

    /// Whether moving the segment `m` before `seq[g]` is worth costing: next to a near
    /// visit, and (without lateness to win back from `seq[first]` on) shorter.
    #[inline]
    fn or_opt_worth(&self, m: &Moved, g: usize, first: usize, cur: &Cost) -> bool {
        let near =
            self.near[m.near_first + self.seq[g - 1]] || self.near[m.near_last + self.seq[g]];
        near && (self.may_be_less_late(first, cur) || shorter(self.or_opt_delta(m, g)))
    }

    /// The ways the segment `seq[a..=b]` can be moved: as it is, and the other way round
    /// when it is more than one visit.
    fn ways(&self, a: usize, b: usize) -> ([Moved; 2], usize) {
        (
            [self.moved(a, b, false), self.moved(a, b, true)],
            if a == b { 1 } else { 2 },
        )
    }

    /// Moves `seq[a..=b]` before `seq[g]` in `route` (either way round), marks the visits
    /// around and indexes the changed round.
    fn move_segment(
        &mut self,
        route: &mut Vec<usize>,
        (a, b): (usize, usize),
        g: usize,
        reversed: bool,
    ) {
        self.mark(&[a - 1, a, b, b + 1, g - 1, g]);
        let mut seg: Vec<usize> = route.drain(a - 1..b).collect();
        if reversed {
            seg.reverse();
        }
        // Later: seq[g] has moved up by the segment's length; earlier: it has not moved.
        let at = if g > b { g - 1 - seg.len() } else { g - 1 };
        route.splice(at..at, seg);
        self.reindex(route, g.max(b + 1) - 1);
    }

    /// Or-opt moving a segment later in the round: the visits it jumps over are driven one
    /// more at each place tried, so each place costs the segment's own visits and a look-up
    /// in the profile of the rest of the round.
    fn or_opt_later(&mut self, route: &mut Vec<usize>, cur: &mut Cost) -> bool {
        let mut improved = false;
        self.index(route);
        let n = route.len();
        let same = (cur.unplanned_urgent, cur.unplanned);
        for len in 1..=3usize.min(n) {
            'segment: for a in 1..=n + 1 - len {
                let b = a + len - 1;
                // A segment is moved when it or its neighbours changed, to any place.
                if !self.looks(&[a - 1, a, b, b + 1]) {
                    continue;
                }
                let (ways, count) = self.ways(a, b);
                // Before seq[g], g > b + 1: the round without the segment up to seq[g - 1].
                let mut p = self.states[a - 1];
                for g in b + 2..=n + 1 {
                    p = self.step(p, self.seq[g - 1]);
                    for m in &ways[..count] {
                        if !self.or_opt_worth(m, g, a, cur) {
                            continue;
                        }
                        let q = self.segment(p, a, b, m.reversed);
                        let c = self.finish(q, g, same);
                        if self.better(c, cur) {
                            self.move_segment(route, (a, b), g, m.reversed);
                            improved = true;
                            continue 'segment;
                        }
                    }
                }
            }
        }
        improved
    }

    /// Or-opt moving a segment earlier in the round, before `seq[g]`.
    fn or_opt_earlier(&mut self, route: &mut Vec<usize>, cur: &mut Cost) -> bool {
        let mut improved = false;
        self.index(route);
        let n = route.len();
        let same = (cur.unplanned_urgent, cur.unplanned);
        for len in 1..=3usize.min(n) {
            'segment: for a in 2..=n + 1 - len {
                let b = a + len - 1;
                if !self.looks(&[a - 1, a, b, b + 1]) {
                    continue;
                }
                let (ways, count) = self.ways(a, b);
                let through = self.through(a, b + 1);
                for g in 1..a {
                    for m in &ways[..count] {
                        if !self.or_opt_worth(m, g, g, cur) {
                            continue;
                        }
                        // First without driving the segment: it takes at least its span and
                        // adds no lateness; then, unless that settles it, driven.
                        let (u, w) = (self.seq[g - 1], self.seq[g]);
                        let inst = self.inst;
                        let earliest = self.states[g - 1].time
                            + inst.t(u, m.first)
                            + m.span
                            + inst.t(m.last, w);
                        let delta = || self.or_opt_delta(m, g);
                        if self.pushed_back_no_better(earliest, 0, g, through, delta, cur) {
                            continue;
                        }
                        let q = self.segment(self.states[g - 1], a, b, m.reversed);
                        let arrive = q.time + inst.t(q.node, w);
                        let added = q.late - self.states[g - 1].late;
                        // Again: driving the segment needed `self` mutably.
                        let delta = || self.or_opt_delta(m, g);
                        if self.pushed_back_no_better(arrive, added, g, through, delta, cur) {
                            continue;
                        }
                        let Some(p) = self.walk(q, g..a, cur) else {
                            continue;
                        };
                        let c = self.finish(p, b + 1, same);
                        if self.better(c, cur) {
                            self.move_segment(route, (a, b), g, m.reversed);
                            improved = true;
                            continue 'segment;
                        }
                    }
                }
            }
        }
        improved
    }

    /// The current round's lateness up to `seq[to - 1]`, then that of the round from
    /// `seq[next]` on when driven straight there from `seq[to - 1]` as now, and when it is
    /// back: what a move that takes out `seq[to..next]` and puts visits earlier is judged
    /// against in `pushed_back_no_better`.
    fn through(&mut self, to: usize, next: usize) -> (i64, i64) {
        let inst = self.inst;
        self.suffix_down_to(next);
        let (last, after) = (self.seq[to - 1], self.seq[next]);
        let leave = self.states[to - 1].time;
        let (rest_late, back) = self.suffix[next].at(leave + inst.t(last, after));
        (self.states[to - 1].late + rest_late, back)
    }

    /// Whether a move that puts new visits before `seq[from]`, arriving there at `arrive`
    /// (or later) and `added` seconds later than the current round up to `seq[from - 1]`
    /// (or more), then goes on as now up to a stretch it took out, and on to the rest of the
    /// round (`through`, see there), surely cannot beat `cur`, known without driving it:
    /// when it reaches `seq[from]` no earlier than the current round does, every visit up to
    /// the stretch starts no earlier (work starts later when arrival is later), so it is at
    /// least as late as now and leaves no earlier, and the rest of the round is at least as
    /// late as its profile says for that departure. `delta`: the move's exact change of
    /// driving and distance. Exact pruning: it never drops a move that would have been
    /// better.
    fn pushed_back_no_better(
        &self,
        arrive: i64,
        added: i64,
        from: usize,
        (through, back): (i64, i64),
        delta: impl FnOnce() -> (i64, i64),
        cur: &Cost,
    ) -> bool {
        if cur.overflow > 0 {
            return false;
        }
        let inst = self.inst;
        let before = self.states[from - 1];
        if arrive < before.time + inst.t(self.seq[from - 1], self.seq[from]) {
            return false;
        }
        if back > inst.day_to {
            return true;
        }
        let late = through + added;
        let delta = delta();
        let drive = cur.drive + delta.0;
        match self.lateness_weight {
            Some(_) => self.beyond(late, drive, cur),
            None => (late, drive, cur.meters + delta.1) >= (cur.late, cur.drive, cur.meters),
        }
    }

    /// The segment `seq[a..=b]` driven in the given direction after `p`.
    fn segment(&mut self, mut p: Partial, a: usize, b: usize, reversed: bool) -> Partial {
        for k in 0..=b - a {
            let at = if reversed { b - k } else { a + k };
            p = self.step(p, self.seq[at]);
        }
        p
    }

    fn swap(&mut self, route: &mut [usize], cur: &mut Cost) -> bool {
        // Only worth it when windows bind: with none, or-opt and 2-opt cover it cheaply.
        if cur.late == 0 && cur.overflow == 0 {
            return false;
        }
        self.index(route);
        let n = route.len();
        let same = (cur.unplanned_urgent, cur.unplanned);
        // seq[i] and seq[j] trade places.
        for i in 1..n {
            for j in i + 1..=n {
                let ends = [i - 1, i, i + 1, j - 1, j, j + 1];
                let (vi, vj) = (self.seq[i], self.seq[j]);
                if !self.looks(&ends)
                    || !(self.near(i - 1, vj)
                        || self.near(i + 1, vj)
                        || self.near(j - 1, vi)
                        || self.near(j + 1, vi))
                {
                    continue;
                }
                let p = self.step(self.states[i - 1], self.seq[j]);
                let Some(p) = self.walk(p, i + 1..j, cur) else {
                    continue;
                };
                let p = self.step(p, self.seq[i]);
                let c = self.finish(p, j + 1, same);
                if self.better(c, cur) {
                    self.mark(&ends);
                    route.swap(i - 1, j - 1);
                    self.reindex(route, j);
                    return true;
                }
            }
        }
        false
    }

    /// Puts a left-out visit in, possibly in place of a planned visit of lower urgency.
    fn insert_missing(&mut self, route: &mut Vec<usize>, cur: &mut Cost) -> bool {
        if cur.unplanned == 0 {
            return false;
        }
        let inst = self.inst;
        let missing: Vec<usize> = self
            .free
            .iter()
            .copied()
            .filter(|v| !route.contains(v))
            .collect();
        self.index(route);
        for &v in &missing {
            let left_out = (
                cur.unplanned_urgent
                    .saturating_sub(u32::from(inst.urgent[v])),
                cur.unplanned.saturating_sub(1),
            );
            for pos in 0..=route.len() {
                let p = self.step(self.states[pos], v);
                let c = self.finish(p, pos + 1, left_out);
                if self.better(c, cur) {
                    self.mark(&[pos, pos + 1]);
                    self.active[v] = true;
                    route.insert(pos, v);
                    return true;
                }
            }
            if !inst.urgent[v] {
                continue;
            }
            // An urgent visit left out: try it in place of a normal one (rare: simulated).
            for out in 0..route.len() {
                if inst.urgent[route[out]] {
                    continue;
                }
                for pos in 0..route.len() {
                    self.trial.clear();
                    self.trial.extend_from_slice(route);
                    self.trial.remove(out);
                    self.trial.insert(pos, v);
                    if self.try_trial(route, cur, out.min(pos)) {
                        self.mark_all();
                        return true;
                    }
                }
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tour::plan;
    use crate::tour::sample::{random_day, with_call};

    #[test]
    fn on_a_late_day_under_way_a_kick_takes_a_late_visit_out_and_puts_every_visit_back() {
        // Day 0 of the bench's crowded 40-farm days, its first three visits done as planned,
        // then an urgent call with a 3 h window (as the bench re-plans it).
        let mut p = random_day(0, 40);
        let first = plan(&p).unwrap();
        let progress = with_call(&mut p, &first);
        let inst = Instance::new(&p).unwrap();
        let base = inst.base(&progress).unwrap();
        assert!(base.under_way());
        let hint: Vec<usize> = inst
            .indices_of(&first.order(), false)
            .unwrap()
            .into_iter()
            .filter(|v| !base.fixed(*v))
            .collect();
        let mut search = Search::new(&inst, &base, inst.free(&base), 7);
        search.eject = true;
        // The previous order with the call put in, searched to a local optimum: still late.
        let cur = search.run(&hint, 0);
        let cur_cost = inst.cost(&base, &cur);
        assert!(cur_cost.late > 0, "{cur_cost:?}");

        // The visit taken out is one of the late ones.
        let mut out = cur.clone();
        assert!(search.eject_late(&mut out));
        assert_eq!(out.len(), cur.len() - 1);
        let gone = cur.iter().position(|v| !out.contains(v)).unwrap();
        let mut at = base.start();
        for &v in &cur[..gone] {
            at = inst.step(at, v);
        }
        let served = inst.step(at, cur[gone]);
        assert!(served.late > at.late, "{} is not late", inst.ids[cur[gone]]);

        // A kick on an ejecting round (it % EJECT_EVERY == 1) puts the visit taken out back:
        // the round it gives has every visit of the round it started from, and is costed as
        // the simulation costs it; several rounds, several visits taken out.
        for it in [1, 5, 9, 13] {
            let (cand, c) = search.kick(&cur, &cur_cost, it);
            assert!(cur.iter().all(|v| cand.contains(v)), "round {it}");
            assert_eq!(c, inst.cost(&base, &cand), "round {it}");
        }
    }
}
