//! The solver: the instance in flat tables, the simulation of a round, the exact dynamic
//! programme for small rounds and the iterated local search for the others.
//!
//! Nodes: 0 is the start, 1..=n the visits in the problem's order, n + 1 the end. A route is
//! the free part of a round: the visits after the fixed prefix (done visits, pinned visit).

use geo::{Distance, Haversine, Point};

use super::profile::{self, Profile};
use super::{
    DAY_SECONDS, DayProgress, Done, Insertion, MAX_VISITS, Options, Plan, Problem, Stop, TourError,
    Travel, Violation, Window,
};
use crate::domain::Urgency;

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
}

/// The problem in flat tables.
pub struct Instance {
    n: usize,
    ids: Vec<String>,
    time: Vec<i64>,
    meters: Vec<i64>,
    service: Vec<i64>,
    earliest: Vec<i64>,
    latest: Vec<i64>,
    closed: Vec<Vec<(i64, i64)>>,
    urgent: Vec<bool>,
    day_from: i64,
    day_to: i64,
}

fn check_window(field: &str, w: &Window, limit: u32) -> Result<(), TourError> {
    if w.from > w.to || w.to > limit {
        return Err(TourError::invalid(
            field,
            format!(
                "{}-{}",
                super::format_time_of_day(w.from),
                super::format_time_of_day(w.to)
            ),
            "a span of the day whose end is not before its start",
        ));
    }
    Ok(())
}

fn location_error(e: crate::domain::DomainError) -> TourError {
    TourError::Invalid {
        field: e.field,
        value: e.value,
        expected: e.expected,
    }
}

impl Instance {
    /// Checks the problem and builds the tables.
    pub fn new(p: &Problem) -> Result<Instance, TourError> {
        let n = p.visits.len();
        if n > MAX_VISITS {
            return Err(TourError::invalid(
                "visits",
                format!("{n} visits"),
                &format!("at most {MAX_VISITS} visits"),
            ));
        }
        p.start.validate("start").map_err(location_error)?;
        p.end.validate("end").map_err(location_error)?;
        check_window("day", &p.day, DAY_SECONDS)?;
        if p.day.from == p.day.to {
            return Err(TourError::invalid(
                "day",
                super::format_time_of_day(p.day.from),
                "a working day that lasts",
            ));
        }
        let mut ids: Vec<String> = Vec::with_capacity(n);
        let size = n + 2;
        let mut service = vec![0i64; size];
        let mut earliest = vec![i64::MIN; size];
        let mut latest = vec![i64::MAX; size];
        let mut closed = vec![Vec::new(); size];
        let mut urgent = vec![false; size];
        for (i, v) in p.visits.iter().enumerate() {
            let at = format!("visits[{i}]");
            if v.id.trim().is_empty() || v.id.chars().count() > 100 {
                return Err(TourError::invalid(
                    &format!("{at}.id"),
                    format!("{:?}", v.id),
                    "an id of 1 to 100 characters",
                ));
            }
            if ids.contains(&v.id) {
                return Err(TourError::invalid(
                    &format!("{at}.id"),
                    format!("{:?}", v.id),
                    "an id no other visit has",
                ));
            }
            v.location.validate(&at).map_err(location_error)?;
            if v.service_seconds > DAY_SECONDS {
                return Err(TourError::invalid(
                    &format!("{at}.service_seconds"),
                    v.service_seconds,
                    "seconds from 0 to 86400",
                ));
            }
            let node = i + 1;
            service[node] = i64::from(v.service_seconds);
            if let Some(w) = &v.window {
                check_window(&format!("{at}.window"), w, DAY_SECONDS)?;
                earliest[node] = i64::from(w.from);
                latest[node] = i64::from(w.to);
            }
            let mut spans: Vec<(i64, i64)> = Vec::with_capacity(v.closed.len());
            for (k, c) in v.closed.iter().enumerate() {
                check_window(&format!("{at}.closed[{k}]"), c, DAY_SECONDS)?;
                spans.push((i64::from(c.from), i64::from(c.to)));
            }
            closed[node] = merge_spans(spans);
            urgent[node] = v.urgency == Urgency::Urgent;
            ids.push(v.id.clone());
        }
        let (time, meters) = match &p.travel {
            Travel::Road {
                speed_kmh,
                road_factor,
            } => road_tables(p, *speed_kmh, *road_factor)?,
            Travel::Matrix(m) => matrix_tables(m, size)?,
        };
        Ok(Instance {
            n,
            ids,
            time,
            meters,
            service,
            earliest,
            latest,
            closed,
            urgent,
            day_from: i64::from(p.day.from),
            day_to: i64::from(p.day.to),
        })
    }

    #[inline]
    fn t(&self, a: usize, b: usize) -> i64 {
        self.time[a * (self.n + 2) + b]
    }

    #[inline]
    fn m(&self, a: usize, b: usize) -> i64 {
        self.meters[a * (self.n + 2) + b]
    }

    fn end(&self) -> usize {
        self.n + 1
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.ids.iter().position(|v| v == id).map(|i| i + 1)
    }

    /// The nodes of visit ids. `strict`: an unknown id is an error (a hand-made order);
    /// otherwise it is passed over (a previous order with a cancelled visit).
    pub fn indices_of(&self, ids: &[String], strict: bool) -> Result<Vec<usize>, TourError> {
        let mut out = Vec::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            match self.index_of(id) {
                Some(v) if out.contains(&v) => {
                    return Err(TourError::invalid(
                        &format!("order[{i}]"),
                        format!("{id:?}"),
                        "each visit once",
                    ));
                }
                Some(v) => out.push(v),
                None if strict => {
                    return Err(TourError::invalid(
                        &format!("order[{i}]"),
                        format!("{id:?}"),
                        "the id of a visit of the problem",
                    ));
                }
                None => {}
            }
        }
        Ok(out)
    }

    /// When the work at `v` starts if the technician arrives at `arrive`: not before its
    /// window opens, and never overlapping its closed hours. Non-decreasing in `arrive`, which
    /// the exact programme's dominance rule relies on.
    fn service_start(&self, v: usize, arrive: i64) -> i64 {
        let mut s = arrive.max(self.earliest[v]);
        let len = self.service[v].max(1);
        for &(c0, c1) in &self.closed[v] {
            if s < c1 && s + len > c0 {
                s = c1;
            }
        }
        s
    }

    fn lateness(&self, v: usize, start: i64) -> i64 {
        (start - self.latest[v]).max(0)
    }

    /// The state after done visits and the pinned visit.
    pub fn base(&self, progress: &DayProgress) -> Result<Base, TourError> {
        let mut b = Base {
            node: 0,
            time: self.day_from,
            late: 0,
            drive: 0,
            meters: 0,
            stops: Vec::new(),
            fixed: vec![false; self.n + 2],
            free_count: 0,
            free_urgent: 0,
        };
        for (i, Done { id, arrived, left }) in progress.done.iter().enumerate() {
            let at = format!("done[{i}]");
            let v = self.index_of(id).ok_or_else(|| {
                TourError::invalid(
                    &format!("{at}.id"),
                    format!("{id:?}"),
                    "a visit of the problem",
                )
            })?;
            if b.fixed[v] {
                return Err(TourError::invalid(
                    &format!("{at}.id"),
                    format!("{id:?}"),
                    "each done visit once",
                ));
            }
            if left < arrived || *left > DAY_SECONDS {
                return Err(TourError::invalid(
                    &format!("{at}.left"),
                    super::format_time_of_day(*left),
                    "a time of day not before the arrival",
                ));
            }
            let late = self.lateness(v, i64::from(*arrived));
            b.drive += self.t(b.node, v);
            b.meters += self.m(b.node, v);
            b.late += late;
            b.stops.push(Stop {
                id: id.clone(),
                arrival: *arrived,
                departure: *left,
                late_seconds: clamp_u32(late),
                done: true,
            });
            b.fixed[v] = true;
            b.node = v;
            b.time = i64::from(*left);
        }
        if let Some(now) = progress.now {
            if now > DAY_SECONDS {
                return Err(TourError::invalid("now", now, "a time of day in seconds"));
            }
            b.time = b.time.max(i64::from(now));
        }
        if let Some(id) = &progress.pinned_first {
            let v = self.index_of(id).ok_or_else(|| {
                TourError::invalid("pinned_first", format!("{id:?}"), "a visit of the problem")
            })?;
            if b.fixed[v] {
                return Err(TourError::invalid(
                    "pinned_first",
                    format!("{id:?}"),
                    "a visit not done yet",
                ));
            }
            let arrive = b.time + self.t(b.node, v);
            let start = self.service_start(v, arrive);
            let late = self.lateness(v, start);
            b.drive += self.t(b.node, v);
            b.meters += self.m(b.node, v);
            b.late += late;
            b.stops.push(Stop {
                id: id.clone(),
                arrival: clamp_u32(start),
                departure: clamp_u32(start + self.service[v]),
                late_seconds: clamp_u32(late),
                done: false,
            });
            b.fixed[v] = true;
            b.node = v;
            b.time = start + self.service[v];
        }
        let free = self.free(&b);
        b.free_count = free.len() as u32;
        b.free_urgent = free.iter().filter(|v| self.urgent[**v]).count() as u32;
        Ok(b)
    }

    /// The visits the free part may place.
    pub fn free(&self, base: &Base) -> Vec<usize> {
        (1..=self.n).filter(|v| !base.fixed[*v]).collect()
    }

    /// The cost of the free part `route` after `base`.
    pub fn cost(&self, base: &Base, route: &[usize]) -> Cost {
        let unbounded = Cost {
            overflow: i64::MAX,
            ..Cost::default()
        };
        self.cost_below(base, route, &unbounded)
            .unwrap_or(unbounded)
    }

    /// Visits left out by a route: (urgent, all).
    fn left_out(&self, base: &Base, route: &[usize]) -> (u32, u32) {
        let urgent_in = route.iter().filter(|v| self.urgent[**v]).count() as u32;
        (
            base.free_urgent.saturating_sub(urgent_in),
            base.free_count.saturating_sub(route.len() as u32),
        )
    }

    /// The cost of `route` if it is below `bound`.
    fn cost_below(&self, base: &Base, route: &[usize], bound: &Cost) -> Option<Cost> {
        self.finish_below(base.start(), route, self.left_out(base, route), bound)
    }

    /// One more visit on a partial round.
    #[inline]
    fn step(&self, p: Partial, v: usize) -> Partial {
        let start = self.service_start(v, p.time + self.t(p.node, v));
        Partial {
            node: v,
            time: start + self.service[v],
            late: p.late + self.lateness(v, start),
            drive: p.drive + self.t(p.node, v),
            meters: p.meters + self.m(p.node, v),
        }
    }

    /// The cost of a round made of a partial round `from` then `rest`, with `left_out`
    /// (urgent, all) visits left out, if it is below `bound`. The simulation stops as soon as
    /// it cannot be: lateness and driving only grow along the round, and with as many visits
    /// left out the comparison goes on with them; this keeps the local search fast when
    /// windows bind and its cheap driving filter cannot help.
    fn finish_below(
        &self,
        from: Partial,
        rest: &[usize],
        left_out: (u32, u32),
        bound: &Cost,
    ) -> Option<Cost> {
        // Bounding is sound only against a bound with the same visits left out and the day
        // kept; otherwise simulate to the end and compare.
        let bounded = bound.overflow == 0 && (bound.unplanned_urgent, bound.unplanned) == left_out;
        if bound.overflow == 0 && left_out > (bound.unplanned_urgent, bound.unplanned) {
            return None;
        }
        let mut p = from;
        for &v in rest {
            p = self.step(p, v);
            if bounded && (p.late, p.drive) > (bound.late, bound.drive) {
                return None;
            }
        }
        let end = self.end();
        let c = Cost {
            overflow: (p.time + self.t(p.node, end) - self.day_to).max(0),
            unplanned_urgent: left_out.0,
            unplanned: left_out.1,
            late: p.late,
            drive: p.drive + self.t(p.node, end),
            meters: p.meters + self.m(p.node, end),
        };
        (c < *bound).then_some(c)
    }

    /// The plan of a route after its base.
    pub fn plan(&self, base: &Base, route: &[usize]) -> Plan {
        let mut stops = base.stops.clone();
        let (mut at, mut time) = (base.node, base.time);
        for &v in route {
            let start = self.service_start(v, time + self.t(at, v));
            stops.push(Stop {
                id: self.ids[v - 1].clone(),
                arrival: clamp_u32(start),
                departure: clamp_u32(start + self.service[v]),
                late_seconds: clamp_u32(self.lateness(v, start)),
                done: false,
            });
            time = start + self.service[v];
            at = v;
        }
        let cost = self.cost(base, route);
        let back = time + self.t(at, self.end());
        let mut violations: Vec<Violation> = stops
            .iter()
            .filter(|s| s.late_seconds > 0)
            .map(|s| Violation::Late {
                visit: s.id.clone(),
                by_seconds: s.late_seconds,
            })
            .collect();
        if cost.overflow > 0 {
            violations.push(Violation::AfterDayEnd {
                by_seconds: clamp_u32(cost.overflow),
            });
        }
        let mut unplanned: Vec<usize> = self
            .free(base)
            .into_iter()
            .filter(|v| !route.contains(v))
            .collect();
        unplanned.sort_by_key(|v| (!self.urgent[*v], *v));
        Plan {
            stops,
            unplanned: unplanned.iter().map(|v| self.ids[v - 1].clone()).collect(),
            violations,
            meters: cost.meters.max(0) as u64,
            drive_seconds: cost.drive.max(0) as u64,
            back_at: clamp_u32(back),
        }
    }

    /// Every insertion of `new` into `route`, best first.
    pub fn insertions(&self, base: &Base, route: &[usize], new: usize) -> Vec<Insertion> {
        let before = self.cost(base, route);
        let mut out = Vec::with_capacity(route.len() + 1);
        let mut trial = Vec::with_capacity(route.len() + 1);
        for pos in 0..=route.len() {
            trial.clear();
            trial.extend_from_slice(&route[..pos]);
            trial.push(new);
            trial.extend_from_slice(&route[pos..]);
            let after = self.cost(base, &trial);
            let prev = if pos == 0 {
                base.stops.last().map(|s| s.id.clone())
            } else {
                Some(self.ids[route[pos - 1] - 1].clone())
            };
            out.push(Insertion {
                position: base.stops.len() + pos,
                after: prev,
                added_meters: after.meters - before.meters,
                added_drive_seconds: after.drive - before.drive,
                added_late_seconds: after.late - before.late,
                fits_day: after.overflow == 0,
            });
        }
        out.sort_by_key(|i| {
            (
                !i.fits_day,
                i.added_late_seconds,
                i.added_drive_seconds,
                i.added_meters,
                i.position,
            )
        });
        out
    }
}

fn clamp_u32(x: i64) -> u32 {
    x.clamp(0, i64::from(u32::MAX)) as u32
}

/// Sorted, non-overlapping spans (closed hours given in any order, possibly overlapping).
fn merge_spans(mut spans: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    spans.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(spans.len());
    for (a, b) in spans {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// The slowest average speed a round is planned at, in km/h.
pub const MIN_SPEED_KMH: f64 = 5.0;
/// The fastest average speed a round is planned at, in km/h.
pub const MAX_SPEED_KMH: f64 = 130.0;
/// The largest ratio of road to straight-line distance (a mountain road is about 2).
pub const MAX_ROAD_FACTOR: f64 = 3.0;

fn road_tables(
    p: &Problem,
    speed_kmh: f64,
    road_factor: f64,
) -> Result<(Vec<i64>, Vec<i64>), TourError> {
    // Outside these, times of travel overflow or vanish (1e-300 km/h made every trip 0 s):
    // no tractor is slower, no country road faster on average.
    if !(speed_kmh.is_finite() && (MIN_SPEED_KMH..=MAX_SPEED_KMH).contains(&speed_kmh)) {
        return Err(TourError::invalid(
            "speed_kmh",
            speed_kmh,
            &format!("an average speed in km/h from {MIN_SPEED_KMH} to {MAX_SPEED_KMH}"),
        ));
    }
    if !(road_factor.is_finite() && (1.0..=MAX_ROAD_FACTOR).contains(&road_factor)) {
        return Err(TourError::invalid(
            "road_factor",
            road_factor,
            &format!("a ratio of road to straight-line distance from 1 to {MAX_ROAD_FACTOR}"),
        ));
    }
    let points: Vec<Point> = std::iter::once(&p.start)
        .chain(p.visits.iter().map(|v| &v.location))
        .chain(std::iter::once(&p.end))
        .map(|l| Point::new(l.lon, l.lat))
        .collect();
    let size = points.len();
    let mut time = vec![0i64; size * size];
    let mut meters = vec![0i64; size * size];
    let speed = speed_kmh / 3.6;
    for (a, pa) in points.iter().enumerate() {
        for (b, pb) in points.iter().enumerate() {
            let m = (Haversine.distance(*pa, *pb) * road_factor).round();
            meters[a * size + b] = m as i64;
            time[a * size + b] = (m / speed).round() as i64;
        }
    }
    Ok((time, meters))
}

fn matrix_tables(m: &super::Matrix, size: usize) -> Result<(Vec<i64>, Vec<i64>), TourError> {
    let expected = format!("{size} rows of {size} values (start, each visit, end)");
    let flat = |name: &str, rows: &[Vec<u32>]| -> Result<Vec<i64>, TourError> {
        if rows.len() != size {
            return Err(TourError::invalid(
                &format!("matrix.{name}"),
                format!("{} rows", rows.len()),
                &expected,
            ));
        }
        let mut out = Vec::with_capacity(size * size);
        for (i, r) in rows.iter().enumerate() {
            if r.len() != size {
                return Err(TourError::invalid(
                    &format!("matrix.{name}[{i}]"),
                    format!("{} values", r.len()),
                    &expected,
                ));
            }
            out.extend(r.iter().map(|x| i64::from(*x)));
        }
        Ok(out)
    };
    Ok((flat("seconds", &m.seconds)?, flat("meters", &m.meters)?))
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
    search.run(&hint, iterations)
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

/// A partial route of the exact programme.
#[derive(Clone, Copy)]
struct Label {
    time: i64,
    late: i64,
    drive: i64,
    meters: i64,
    /// Index of the label it extends (in the arena), `u32::MAX` for the first visit.
    parent: u32,
    node: u8,
}

impl Label {
    fn dominates(&self, o: &Label) -> bool {
        self.time <= o.time
            && self.late <= o.late
            && self.drive <= o.drive
            && self.meters <= o.meters
    }
}

/// The exact optimum over every subset and order of `free` (at most [`EXACT_MAX`]): labels
/// per (subset, last visit), a label dropped when another is no worse in time, lateness,
/// driving and distance, since what follows can only cost more for a later, worse label.
pub fn exact(inst: &Instance, base: &Base, free: &[usize]) -> Vec<usize> {
    let k = free.len();
    let states = 1usize << k;
    let mut arena: Vec<Label> = Vec::new();
    // bucket[mask * k + last] holds arena indices.
    let mut bucket: Vec<Vec<u32>> = vec![Vec::new(); states * k];
    let push = |arena: &mut Vec<Label>, bucket: &mut Vec<u32>, l: Label| {
        if bucket.iter().any(|i| arena[*i as usize].dominates(&l)) {
            return;
        }
        bucket.retain(|i| !l.dominates(&arena[*i as usize]));
        bucket.push(arena.len() as u32);
        arena.push(l);
    };
    let extend = |from_node: usize, time: i64, j: usize| -> (i64, i64) {
        let v = free[j];
        let start = inst.service_start(v, time + inst.t(from_node, v));
        (start + inst.service[v], inst.lateness(v, start))
    };
    for j in 0..k {
        let v = free[j];
        let (time, late) = extend(base.node, base.time, j);
        if time + inst.t(v, inst.end()) > inst.day_to {
            continue;
        }
        let l = Label {
            time,
            late: base.late + late,
            drive: base.drive + inst.t(base.node, v),
            meters: base.meters + inst.m(base.node, v),
            parent: u32::MAX,
            node: j as u8,
        };
        let b = &mut bucket[(1 << j) * k + j];
        push(&mut arena, b, l);
    }
    for mask in 1..states {
        for last in 0..k {
            if mask & (1 << last) == 0 {
                continue;
            }
            let here = std::mem::take(&mut bucket[mask * k + last]);
            for &li in &here {
                let l = arena[li as usize];
                let u = free[last];
                for j in 0..k {
                    if mask & (1 << j) != 0 {
                        continue;
                    }
                    let v = free[j];
                    let (time, late) = extend(u, l.time, j);
                    // Pruned when even going home straight after misses the day's end.
                    if time + inst.t(v, inst.end()) > inst.day_to {
                        continue;
                    }
                    let next = Label {
                        time,
                        late: l.late + late,
                        drive: l.drive + inst.t(u, v),
                        meters: l.meters + inst.m(u, v),
                        parent: li,
                        node: j as u8,
                    };
                    let nm = mask | (1 << j);
                    push(&mut arena, &mut bucket[nm * k + j], next);
                }
            }
            bucket[mask * k + last] = here;
        }
    }
    // The empty route is always a candidate: a plan that leaves everything out.
    let mut best: (Cost, Option<u32>) = (inst.cost(base, &[]), None);
    let fixed_count = (1..=inst.n).filter(|v| base.fixed[*v]).count();
    let fixed_urgent = (1..=inst.n)
        .filter(|v| base.fixed[*v] && inst.urgent[*v])
        .count();
    let urgent_all = inst.urgent.iter().filter(|u| **u).count();
    for mask in 1..states {
        let planned = mask.count_ones() as usize;
        let urgent_in = (0..k)
            .filter(|j| mask & (1 << j) != 0 && inst.urgent[free[*j]])
            .count();
        for last in 0..k {
            for &li in &bucket[mask * k + last] {
                let l = arena[li as usize];
                let u = free[last];
                let end = inst.end();
                let c = Cost {
                    overflow: (l.time + inst.t(u, end) - inst.day_to).max(0),
                    unplanned_urgent: (urgent_all - fixed_urgent - urgent_in) as u32,
                    unplanned: (inst.n - fixed_count - planned) as u32,
                    late: l.late,
                    drive: l.drive + inst.t(u, end),
                    meters: l.meters + inst.m(u, end),
                };
                if c < best.0 {
                    best = (c, Some(li));
                }
            }
        }
    }
    let mut route = Vec::new();
    let mut at = best.1;
    while let Some(i) = at {
        let l = arena[i as usize];
        route.push(free[l.node as usize]);
        at = (l.parent != u32::MAX).then_some(l.parent);
    }
    route.reverse();
    route
}

/// The iterated local search of rounds beyond [`EXACT_MAX`] visits.
struct Search<'a> {
    inst: &'a Instance,
    base: &'a Base,
    free: Vec<usize>,
    rng: Rng,
    /// The work done (moves costed, visits simulated, profile pieces built), counted so that
    /// the budget is deterministic.
    work: u64,
    max_work: u64,
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
    /// `suffix[j]`: the profile of the current round from `seq[j]` to the end.
    suffix: Vec<Profile>,
    /// Don't-look bits by node: visits marked since the last pass (`active`) and those the
    /// pass under way looks around (`scan`).
    active: Vec<bool>,
    scan: Vec<bool>,
    /// `near[u * size + v]`: v is among the nearest nodes of u (granular neighbourhoods,
    /// Toth and Vigo 2003): a move is costed only if it puts a visit next to one of its
    /// near ones, since the others are seldom better and make most of the work.
    near: Vec<bool>,
    /// See `rank`.
    lateness_weight: Option<i64>,
    trial: Vec<usize>,
}

/// Seconds of driving a second of lateness counts for in a weighed descent (measured on the
/// bench's crowded days: 1 lands nearer the best known rounds than 2, 3 or 10).
const LATENESS_WEIGHT: i64 = 1;

/// Rounds of fewer visits get wide perturbations only (see `double_bridge`).
const WIDE_BELOW: usize = 30;

/// The longest stretch a perturbation moves on longer rounds, mostly.
const BRIDGE: usize = 3;

/// How many nearest nodes a move may put a visit next to.
const NEAR: usize = 12;

/// The `NEAR` nodes nearest each node, as a flat table: nearest by driving time with a
/// penalty for the wait or the lateness of going from one straight to the other (the
/// correlation of Vidal et al. 2013, with their weights 0.2 and 1), so that a visit's near
/// ones are those it could be followed by at that time of day, not only next door.
fn near_table(inst: &Instance) -> Vec<bool> {
    let size = inst.n + 2;
    let open = |v: usize| inst.earliest[v].max(inst.day_from);
    let close = |v: usize| inst.latest[v].min(inst.day_to);
    let proximity = |u: usize, v: usize| -> i64 {
        let t = inst.t(u, v);
        let wait = (open(v) - inst.service[u] - t - close(u)).max(0);
        let late = (open(u) + inst.service[u] + t - close(v)).max(0);
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
        }
    }
    near
}

impl<'a> Search<'a> {
    fn new(inst: &'a Instance, base: &'a Base, free: Vec<usize>, seed: u64) -> Search<'a> {
        let node = (0..inst.n + 2)
            .map(|v| {
                if v == 0 || v == inst.end() {
                    return Profile::identity();
                }
                Profile::visit(&profile::VisitTiming {
                    earliest: inst.earliest[v],
                    latest: inst.latest[v],
                    service: inst.service[v],
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
            active: vec![true; inst.n + 2],
            scan: vec![false; inst.n + 2],
            near: near_table(inst),
            lateness_weight: None,
            trial: Vec::new(),
        }
    }

    fn cost(&mut self, route: &[usize]) -> Cost {
        self.work += route.len() as u64 + 1;
        self.inst.cost(self.base, route)
    }

    fn run(&mut self, hint: &[usize], iterations: u32) -> Vec<usize> {
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
            let mut cand = cur.clone();
            if it % 2 == 0 && cand.len() >= 8 {
                self.double_bridge(&mut cand);
            } else {
                self.ruin(&mut cand);
            }
            // Now and then a visit left out goes in even past the day's end: the local
            // search, which puts being back in time first, may then make room for it by
            // reordering the rest; if it cannot, the candidate loses to the current round.
            let squeeze = it % 4 == 3 && cur_cost.unplanned > 0;
            self.fill(&mut cand, true, squeeze);
            self.mark_changes(&cur, &cand);
            // Every other round weighs lateness against driving: weighing every round lets
            // lateness creep into days that need none (measured on the bench's days).
            let c = self.improve(&mut cand, it % 2 == 0);
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
            missing.sort_by_key(|v| (!inst.urgent[*v], inst.latest[*v], inst.earliest[*v], *v));
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
        // Backward: the end, then each visit before what follows it.
        let hi = if resized { len - 2 } else { hi.min(len - 2) };
        self.suffix.resize_with(len, Profile::default);
        self.suffix[len - 1] = Profile::identity();
        for j in (1..=hi).rev() {
            let (v, next) = (self.seq[j], self.seq[j + 1]);
            let (head, tail) = self.suffix.split_at_mut(j + 1);
            Profile::compose_into(&self.node[v], inst.t(v, next), &tail[0], &mut head[j]);
            self.work += tail[0].len() as u64;
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

    /// Whether a move changing driving by `dt` and distance by `dm` is worth costing:
    /// with no lateness and nothing left out, only a shorter round can be better.
    fn worth(cur: &Cost, dt: i64, dm: i64) -> bool {
        if cur.late > 0 || cur.overflow > 0 {
            return true;
        }
        dt < 0 || (dt == 0 && dm < 0)
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
        self.near[u * size + v] || self.near[v * size + u]
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

    /// Marks the visits whose neighbours in `after` are not those they had in `before`.
    fn mark_changes(&mut self, before: &[usize], after: &[usize]) {
        let size = self.inst.n + 2;
        let mut next = vec![usize::MAX; size];
        let mut prev = self.base.node;
        for &v in before.iter().chain(std::iter::once(&self.inst.end())) {
            next[prev] = v;
            prev = v;
        }
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
        let inst = self.inst;
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
                let s = &self.seq;
                let dt =
                    inst.t(s[a - 1], s[b]) + (self.bwd[b] - self.bwd[a]) + inst.t(s[a], s[b + 1])
                        - inst.t(s[a - 1], s[a])
                        - (self.fwd[b] - self.fwd[a])
                        - inst.t(s[b], s[b + 1]);
                let dm = inst.m(s[a - 1], s[b])
                    + (self.bwd_m[b] - self.bwd_m[a])
                    + inst.m(s[a], s[b + 1])
                    - inst.m(s[a - 1], s[a])
                    - (self.fwd_m[b] - self.fwd_m[a])
                    - inst.m(s[b], s[b + 1]);
                if !Self::worth(cur, dt, dm) {
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

    fn or_opt(&mut self, route: &mut Vec<usize>, cur: &mut Cost) -> bool {
        let later = self.or_opt_later(route, cur);
        self.or_opt_earlier(route, cur) || later
    }

    /// What a segment `seq[a..=b]` moved before `seq[g]` changes in driving and distance
    /// (`reversed`: driven the other way round).
    fn or_opt_delta(&self, a: usize, b: usize, g: usize, reversed: bool) -> (i64, i64) {
        let inst = self.inst;
        let s = &self.seq;
        let (u, w) = (s[g - 1], s[g]);
        let (first, last) = if reversed { (s[b], s[a]) } else { (s[a], s[b]) };
        let (inner, inner_m) = if reversed {
            (
                (self.bwd[b] - self.bwd[a]) - (self.fwd[b] - self.fwd[a]),
                (self.bwd_m[b] - self.bwd_m[a]) - (self.fwd_m[b] - self.fwd_m[a]),
            )
        } else {
            (0, 0)
        };
        let dt = inst.t(s[a - 1], s[b + 1]) - inst.t(s[a - 1], s[a]) - inst.t(s[b], s[b + 1])
            + inst.t(u, first)
            + inst.t(last, w)
            - inst.t(u, w)
            + inner;
        let dm = inst.m(s[a - 1], s[b + 1]) - inst.m(s[a - 1], s[a]) - inst.m(s[b], s[b + 1])
            + inst.m(u, first)
            + inst.m(last, w)
            - inst.m(u, w)
            + inner_m;
        (dt, dm)
    }

    /// The change of driving and distance of moving `seq[a..=b]` before `seq[g]`, if the move
    /// is worth costing: a real reversal, next to a near visit, and (without lateness) shorter.
    fn or_opt_skips(
        &self,
        a: usize,
        b: usize,
        g: usize,
        reversed: bool,
        cur: &Cost,
    ) -> Option<(i64, i64)> {
        if reversed && a == b {
            return None;
        }
        let (first, last) = if reversed { (b, a) } else { (a, b) };
        if !(self.near(g - 1, self.seq[first]) || self.near(g, self.seq[last])) {
            return None;
        }
        let (dt, dm) = self.or_opt_delta(a, b, g, reversed);
        Self::worth(cur, dt, dm).then_some((dt, dm))
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
                // Before seq[g], g > b + 1: the round without the segment up to seq[g - 1].
                let mut p = self.states[a - 1];
                for g in b + 2..=n + 1 {
                    p = self.step(p, self.seq[g - 1]);
                    for reversed in [false, true] {
                        if self.or_opt_skips(a, b, g, reversed, cur).is_none() {
                            continue;
                        }
                        let q = self.segment(p, a, b, reversed);
                        let c = self.finish(q, g, same);
                        if self.better(c, cur) {
                            self.move_segment(route, (a, b), g, reversed);
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
                for g in 1..a {
                    for reversed in [false, true] {
                        let Some(delta) = self.or_opt_skips(a, b, g, reversed, cur) else {
                            continue;
                        };
                        let q = self.segment(self.states[g - 1], a, b, reversed);
                        if self.pushed_back_no_better(q, g, a, b + 1, delta, cur) {
                            continue;
                        }
                        let Some(p) = self.walk(q, g..a, cur) else {
                            continue;
                        };
                        let c = self.finish(p, b + 1, same);
                        if self.better(c, cur) {
                            self.move_segment(route, (a, b), g, reversed);
                            improved = true;
                            continue 'segment;
                        }
                    }
                }
            }
        }
        improved
    }

    /// Whether a move that puts new visits (ending with `p`) before the stretch
    /// `seq[from..to]`, which then goes on to `seq[next]`, surely cannot beat `cur`, known
    /// without driving the stretch: when it reaches the stretch no earlier than the current
    /// round does, every visit of it starts no earlier (work starts later when arrival is
    /// later), so it is at least as late as now and leaves no earlier, and the rest of the
    /// round is at least as late as its profile says for that departure. `delta`: the
    /// move's exact change of driving and distance. Exact pruning: it never drops a move that
    /// would have been better.
    fn pushed_back_no_better(
        &self,
        p: Partial,
        from: usize,
        to: usize,
        next: usize,
        delta: (i64, i64),
        cur: &Cost,
    ) -> bool {
        let inst = self.inst;
        let s = &self.seq;
        let before = self.states[from - 1];
        if p.time + inst.t(p.node, s[from]) < before.time + inst.t(s[from - 1], s[from]) {
            return false;
        }
        let stretch_late = self.states[to - 1].late - before.late;
        let leave = self.states[to - 1].time;
        let (rest_late, back) = self.suffix[next].at(leave + inst.t(s[to - 1], s[next]));
        if back > inst.day_to && cur.overflow == 0 {
            return true;
        }
        let late = p.late + stretch_late + rest_late;
        let drive = cur.drive + delta.0;
        let pruned = match self.lateness_weight {
            Some(_) => self.beyond(late, drive, cur),
            None => (late, drive, cur.meters + delta.1) >= (cur.late, cur.drive, cur.meters),
        };
        pruned && cur.overflow == 0
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
