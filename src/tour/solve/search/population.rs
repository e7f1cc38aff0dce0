//! The population search: a few rounds kept side by side, children made by crossing two of
//! them and improved by the local search, the population kept both good and varied (the
//! hybrid genetic search of Vidal et al. 2012 and 2013, as in PyVRP, on one round a day).
//!
//! Not for small rounds (the exact programme) nor a replacement of the local search: every
//! round it holds is a local optimum of [`Search::improve`], a short iterated search
//! (`EDUCATION` kicks) polishes each child, and the first round is the iterated search's own
//! on half the budget. What it adds is a way out of the one local optimum a single trajectory
//! keeps coming back to: a child takes a stretch of one round and the order of the rest from
//! another. Measured on the bench, it pays on 25-farm days and pure-distance rounds but not on
//! crowded 40-farm days, where a plan's budget leaves it too few children: hence an option
//! (`Options::population`), off by default.

use super::Search;
use crate::tour::solve::Cost;

/// Rounds kept after each selection: few, since half a plan's work leaves room for 6 to 53
/// children on the bench's 40-farm days.
const SURVIVORS: usize = 4;
/// Children made between two selections.
const CHILDREN: usize = 4;
/// The best rounds by cost that the diversity term cannot push out (Vidal et al.: nbElite).
const ELITE: usize = 2;
/// How many closest rounds a round's diversity is measured against (nbClose).
const CLOSE: usize = 2;
/// Kicks of the iterated search on each new round before it joins the population: more
/// leaves too few children to call it a population (25 kicks: none to two children a plan).
const EDUCATION: u32 = 3;
/// The share of the budget (iterations and work), in %, the first round gets from the
/// iterated search alone (measured on the bench's days against 10 % and 30 %: the best known
/// round reached more often on 25- and on 40-farm days).
const FIRST_SHARE: u64 = 50;

/// A round of the population.
struct Member {
    route: Vec<usize>,
    cost: Cost,
    /// `next[v]`: the node after v in the round (`usize::MAX` for a visit left out), for the
    /// broken-pairs distance.
    next: Vec<usize>,
    /// Biased fitness (lower is better), set by `rank`.
    fitness: f64,
}

impl<'a> Search<'a> {
    /// The population search from `hint` (a previous order, or nothing): the iterated search
    /// on `FIRST_SHARE` % of `iterations` and `max_work`, then the population on the rest of
    /// the work (at most `iterations` children, a bound for budgets without a work limit).
    /// Returns the best round found.
    pub(in crate::tour::solve) fn evolve(&mut self, hint: &[usize], iterations: u32) -> Vec<usize> {
        let mut pop: Vec<Member> = Vec::with_capacity(SURVIVORS + CHILDREN);
        let mut best: Option<(Vec<usize>, Cost)> = None;
        // The first round: the iterated search from the hint, given a share of the budget;
        // the others from random insertion orders, so that they start in other valleys.
        let total = self.max_work;
        self.max_work = total / 100 * FIRST_SHARE;
        let first_iterations = (u64::from(iterations) * FIRST_SHARE / 100) as u32;
        let route = self.run(hint, first_iterations.max(1));
        self.max_work = total;
        let cost = self.cost(&route);
        self.admit(&mut pop, &mut best, route, cost);
        for _ in 1..SURVIVORS {
            if self.work > self.max_work {
                break;
            }
            let mut route = Vec::new();
            self.fill(&mut route, true, false);
            self.mark_all();
            let cost = self.improve(&mut route, true);
            let (route, cost) = self.educate(route, cost);
            self.admit(&mut pop, &mut best, route, cost);
        }
        for made in 0..iterations {
            if self.work > self.max_work {
                break;
            }
            rank(&mut pop);
            let a = self.tournament(&pop);
            let mut b = self.tournament(&pop);
            if b == a && pop.len() > 1 {
                b = (a + 1 + self.rng.below(pop.len() - 1)) % pop.len();
            }
            let mut child = self.crossover(&pop[a].route, &pop[b].route);
            self.fill(&mut child, true, false);
            self.mark_all();
            let mut cost = self.improve(&mut child, made.is_multiple_of(2));
            if cost.overflow > 0 {
                cost = self.repair(&mut child);
            }
            let (child, cost) = self.educate(child, cost);
            self.admit(&mut pop, &mut best, child, cost);
            if pop.len() >= SURVIVORS + CHILDREN {
                select(&mut pop);
            }
        }
        best.map(|(route, _)| route).unwrap_or_default()
    }

    /// A few kicks of the iterated search, keeping a kicked round as good or better.
    fn educate(&mut self, mut route: Vec<usize>, mut cost: Cost) -> (Vec<usize>, Cost) {
        for it in 0..EDUCATION {
            if self.work > self.max_work {
                break;
            }
            let (cand, c) = self.kick(&route, &cost, it);
            if c <= cost {
                route = cand;
                cost = c;
            }
        }
        (route, cost)
    }

    /// Drops visits, least urgent and dearest first, until the round is back in time: a
    /// child whose order cannot be kept within the day.
    fn repair(&mut self, route: &mut Vec<usize>) -> Cost {
        let mut cost = self.cost(route);
        while cost.overflow > 0 && !route.is_empty() {
            let mut pick: Option<(Cost, usize)> = None;
            for i in 0..route.len() {
                let v = route.remove(i);
                let c = self.cost(route);
                route.insert(i, v);
                if pick.is_none_or(|(p, _)| c < p) {
                    pick = Some((c, i));
                }
            }
            let Some((c, i)) = pick else { break };
            route.remove(i);
            cost = c;
        }
        self.fill(route, false, false);
        self.mark_all();
        self.improve(route, false)
    }

    /// Adds a round to the population (and keeps it if it is the best so far).
    fn admit(
        &mut self,
        pop: &mut Vec<Member>,
        best: &mut Option<(Vec<usize>, Cost)>,
        route: Vec<usize>,
        cost: Cost,
    ) {
        if best.as_ref().is_none_or(|(_, b)| cost < *b) {
            *best = Some((route.clone(), cost));
        }
        let next = self.successors(&route);
        self.work += route.len() as u64;
        pop.push(Member {
            route,
            cost,
            next,
            fitness: 0.0,
        });
    }

    /// Binary tournament on biased fitness.
    fn tournament(&mut self, pop: &[Member]) -> usize {
        let a = self.rng.below(pop.len());
        let b = self.rng.below(pop.len());
        if pop[b].fitness < pop[a].fitness {
            b
        } else {
            a
        }
    }

    /// Ordered crossover (OX): a stretch of `a` kept in place, the other visits in the order
    /// `b` drives them from the end of that stretch on. Visits in neither are left for `fill`.
    fn crossover(&mut self, a: &[usize], b: &[usize]) -> Vec<usize> {
        if a.is_empty() {
            return b.to_vec();
        }
        let i = self.rng.below(a.len());
        let j = i + self.rng.below(a.len() - i);
        let kept = &a[i..=j];
        let size = self.inst.n + 2;
        let mut in_kept = vec![false; size];
        for &v in kept {
            in_kept[v] = true;
        }
        let from = b
            .iter()
            .position(|v| *v == a[j])
            .map_or(0, |p| (p + 1) % b.len().max(1));
        let rest: Vec<usize> = b[from..]
            .iter()
            .chain(&b[..from])
            .copied()
            .filter(|v| !in_kept[*v])
            .collect();
        self.work += (a.len() + b.len()) as u64;
        let at = i.min(rest.len());
        let mut child = Vec::with_capacity(rest.len() + kept.len());
        child.extend_from_slice(&rest[..at]);
        child.extend_from_slice(kept);
        child.extend_from_slice(&rest[at..]);
        child
    }
}

/// Broken-pairs distance: the share of visits followed by another node in one round than in
/// the other (0: the same round; 1: no pair in common).
fn distance(a: &Member, b: &Member) -> f64 {
    let mut broken = 0usize;
    let mut counted = 0usize;
    for (u, (x, y)) in a.next.iter().zip(&b.next).enumerate() {
        if u == 0 || *x != usize::MAX || *y != usize::MAX {
            counted += 1;
            if x != y {
                broken += 1;
            }
        }
    }
    broken as f64 / counted.max(1) as f64
}

/// Sets each round's biased fitness: its rank by cost, plus its rank by diversity (mean
/// distance to its `CLOSE` closest rounds) weighed by how many rounds are not elite.
fn rank(pop: &mut [Member]) {
    let n = pop.len();
    if n <= 1 {
        pop.iter_mut().for_each(|m| m.fitness = 0.0);
        return;
    }
    let diversity: Vec<f64> = (0..n)
        .map(|i| {
            let mut d: Vec<f64> = (0..n)
                .filter(|j| *j != i)
                .map(|j| distance(&pop[i], &pop[j]))
                .collect();
            d.sort_by(f64::total_cmp);
            let k = CLOSE.min(d.len());
            d[..k].iter().sum::<f64>() / k as f64
        })
        .collect();
    let mut by_cost: Vec<usize> = (0..n).collect();
    by_cost.sort_by_key(|i| (pop[*i].cost, *i));
    let mut by_diversity: Vec<usize> = (0..n).collect();
    by_diversity.sort_by(|a, b| diversity[*b].total_cmp(&diversity[*a]).then(a.cmp(b)));
    let scale = (n - 1) as f64;
    let weight = 1.0 - ELITE.min(n) as f64 / n as f64;
    for (r, i) in by_cost.iter().enumerate() {
        pop[*i].fitness = r as f64 / scale;
    }
    for (r, i) in by_diversity.iter().enumerate() {
        pop[*i].fitness += weight * r as f64 / scale;
    }
}

/// Cuts the population back to `SURVIVORS`: a copy of another round first, then the worst
/// biased fitness.
fn select(pop: &mut Vec<Member>) {
    while pop.len() > SURVIVORS {
        let clone = (1..pop.len()).find(|&i| (0..i).any(|j| pop[j].next == pop[i].next));
        let out = match clone {
            Some(i) => i,
            None => {
                rank(pop);
                (0..pop.len())
                    .max_by(|a, b| pop[*a].fitness.total_cmp(&pop[*b].fitness).then(a.cmp(b)))
                    .unwrap_or(0)
            }
        };
        pop.swap_remove(out);
    }
}
