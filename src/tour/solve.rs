//! The solver: the instance in flat tables, the simulation of a round, the exact dynamic
//! programme for small rounds and the iterated local search for the others.
//!
//! Nodes: 0 is the start, 1..=n the visits in the problem's order, n + 1 the end. A route is
//! the free part of a round: the visits after the fixed prefix (done visits, pinned visit).

use geo::{Distance, Haversine, Point};

use super::{
    DAY_SECONDS, Done, Insertion, MAX_VISITS, Options, Plan, Problem, Progress, Stop, TourError,
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
    pub fn base(&self, progress: &Progress) -> Result<Base, TourError> {
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

fn road_tables(
    p: &Problem,
    speed_kmh: f64,
    road_factor: f64,
) -> Result<(Vec<i64>, Vec<i64>), TourError> {
    if !(speed_kmh.is_finite() && speed_kmh > 0.0 && speed_kmh <= 200.0) {
        return Err(TourError::invalid(
            "speed_kmh",
            speed_kmh,
            "an average speed in km/h above 0, at most 200",
        ));
    }
    if !(road_factor.is_finite() && (1.0..=5.0).contains(&road_factor)) {
        return Err(TourError::invalid(
            "road_factor",
            road_factor,
            "a ratio of road to straight-line distance from 1 to 5",
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
    /// Visits simulated so far: the work done, counted so that the budget is deterministic.
    work: u64,
    max_work: u64,
    /// Scratch: the sequence base, route, end and its running driving and distance sums.
    seq: Vec<usize>,
    fwd: Vec<i64>,
    bwd: Vec<i64>,
    fwd_m: Vec<i64>,
    bwd_m: Vec<i64>,
    /// The current round simulated: `states[k]` after its first k visits.
    states: Vec<Partial>,
    trial: Vec<usize>,
}

impl<'a> Search<'a> {
    fn new(inst: &'a Instance, base: &'a Base, free: Vec<usize>, seed: u64) -> Search<'a> {
        Search {
            inst,
            base,
            free,
            rng: Rng(seed),
            work: 0,
            max_work: u64::MAX,
            seq: Vec::new(),
            fwd: Vec::new(),
            bwd: Vec::new(),
            fwd_m: Vec::new(),
            bwd_m: Vec::new(),
            states: Vec::new(),
            trial: Vec::new(),
        }
    }

    fn cost(&mut self, route: &[usize]) -> Cost {
        self.work += route.len() as u64 + 1;
        self.inst.cost(self.base, route)
    }

    fn run(&mut self, hint: &[usize], iterations: u32) -> Vec<usize> {
        let mut cur = hint.to_vec();
        self.fill(&mut cur, false);
        let mut cur_cost = self.improve(&mut cur);
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
            self.fill(&mut cand, true);
            let c = self.improve(&mut cand);
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
    /// and only where the day still ends in time.
    fn fill(&mut self, route: &mut Vec<usize>, shuffle: bool) {
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
            let mut best: Option<(Cost, usize)> = None;
            for pos in 0..=route.len() {
                route.insert(pos, v);
                let c = self.cost(route);
                route.remove(pos);
                if c.overflow == 0 && best.is_none_or(|(b, _)| c < b) {
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

    fn double_bridge(&mut self, route: &mut Vec<usize>) {
        let n = route.len();
        let mut cuts = [
            1 + self.rng.below(n - 1),
            1 + self.rng.below(n - 1),
            1 + self.rng.below(n - 1),
        ];
        cuts.sort_unstable();
        let [a, b, c] = cuts;
        if a == b || b == c {
            return;
        }
        let mut out = Vec::with_capacity(n);
        out.extend_from_slice(&route[..a]);
        out.extend_from_slice(&route[b..c]);
        out.extend_from_slice(&route[a..b]);
        out.extend_from_slice(&route[c..]);
        *route = out;
    }

    /// Running sums of driving and distance along base, route, end, both directions, so a
    /// move's change of driving is known in constant time before the route is simulated.
    fn index(&mut self, route: &[usize]) {
        let inst = self.inst;
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
    }

    /// Whether a move changing driving by `dt` and distance by `dm` is worth simulating:
    /// with no lateness and nothing left out, only a shorter round can be better.
    fn worth(cur: &Cost, dt: i64, dm: i64) -> bool {
        if cur.late > 0 || cur.overflow > 0 {
            return true;
        }
        dt < 0 || (dt == 0 && dm < 0)
    }

    /// Simulates `self.trial`; keeps it in `route` if better. Its first `from` visits are
    /// those of `route` (indexed), so the simulation starts there; `same_visits`: the trial
    /// is a reordering of `route`, so it leaves out what `route` does.
    fn try_trial(
        &mut self,
        route: &mut Vec<usize>,
        cur: &mut Cost,
        from: usize,
        same_visits: bool,
    ) -> bool {
        self.work += (self.trial.len() - from) as u64 + 1;
        let left_out = if same_visits {
            (cur.unplanned_urgent, cur.unplanned)
        } else {
            self.inst.left_out(self.base, &self.trial)
        };
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
    /// either way round), swap and insertion of left-out visits.
    fn improve(&mut self, route: &mut Vec<usize>) -> Cost {
        let mut cur = self.cost(route);
        // Each pass either improves the cost or ends: the loop ends.
        while self.two_opt(route, &mut cur)
            || self.or_opt(route, &mut cur)
            || self.swap(route, &mut cur)
            || self.insert_missing(route, &mut cur)
        {}
        cur
    }

    fn two_opt(&mut self, route: &mut Vec<usize>, cur: &mut Cost) -> bool {
        let inst = self.inst;
        let mut improved = false;
        self.index(route);
        let n = route.len();
        // Positions in seq: route[i] is seq[i + 1]; reverse seq[a..=b].
        for a in 1..=n {
            for b in a + 1..=n {
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
                self.trial.clear();
                self.trial.extend_from_slice(route);
                self.trial[a - 1..b].reverse();
                if self.try_trial(route, cur, a - 1, true) {
                    // Go on scanning the changed round rather than start over: the same
                    // optimum is reached with far fewer scans.
                    improved = true;
                    self.index(route);
                }
            }
        }
        improved
    }

    fn or_opt(&mut self, route: &mut Vec<usize>, cur: &mut Cost) -> bool {
        let inst = self.inst;
        let mut improved = false;
        self.index(route);
        let n = route.len();
        for len in 1..=3usize.min(n) {
            'segment: for a in 1..=n + 1 - len {
                let b = a + len - 1;
                let s = &self.seq;
                let removed =
                    inst.t(s[a - 1], s[b + 1]) - inst.t(s[a - 1], s[a]) - inst.t(s[b], s[b + 1]);
                let removed_m =
                    inst.m(s[a - 1], s[b + 1]) - inst.m(s[a - 1], s[a]) - inst.m(s[b], s[b + 1]);
                for g in 1..=n + 1 {
                    if (a..=b + 1).contains(&g) {
                        continue;
                    }
                    let (u, w) = (self.seq[g - 1], self.seq[g]);
                    let (sa, sb) = (self.seq[a], self.seq[b]);
                    for reversed in [false, true] {
                        if reversed && len == 1 {
                            continue;
                        }
                        let (first, last) = if reversed { (sb, sa) } else { (sa, sb) };
                        let inner = if reversed {
                            (self.bwd[b] - self.bwd[a]) - (self.fwd[b] - self.fwd[a])
                        } else {
                            0
                        };
                        let inner_m = if reversed {
                            (self.bwd_m[b] - self.bwd_m[a]) - (self.fwd_m[b] - self.fwd_m[a])
                        } else {
                            0
                        };
                        let dt =
                            removed + inst.t(u, first) + inst.t(last, w) - inst.t(u, w) + inner;
                        let dm =
                            removed_m + inst.m(u, first) + inst.m(last, w) - inst.m(u, w) + inner_m;
                        if !Self::worth(cur, dt, dm) {
                            continue;
                        }
                        // Build: route without seq[a..=b], segment put before seq[g].
                        self.trial.clear();
                        let seg: Vec<usize> = if reversed {
                            route[a - 1..b].iter().rev().copied().collect()
                        } else {
                            route[a - 1..b].to_vec()
                        };
                        for (i, v) in route.iter().enumerate() {
                            if i + 1 == g {
                                self.trial.extend_from_slice(&seg);
                            }
                            if !(a..=b).contains(&(i + 1)) {
                                self.trial.push(*v);
                            }
                        }
                        if g == n + 1 {
                            self.trial.extend_from_slice(&seg);
                        }
                        if self.try_trial(route, cur, a.min(g) - 1, true) {
                            // Go on with the next segment of the changed round.
                            improved = true;
                            self.index(route);
                            continue 'segment;
                        }
                    }
                }
            }
        }
        improved
    }

    fn swap(&mut self, route: &mut Vec<usize>, cur: &mut Cost) -> bool {
        // Only worth it when windows bind: with none, or-opt and 2-opt cover it cheaply.
        if cur.late == 0 && cur.overflow == 0 {
            return false;
        }
        self.index(route);
        let n = route.len();
        for i in 0..n {
            for j in i + 1..n {
                self.trial.clear();
                self.trial.extend_from_slice(route);
                self.trial.swap(i, j);
                if self.try_trial(route, cur, i, true) {
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
            for pos in 0..=route.len() {
                self.trial.clear();
                self.trial.extend_from_slice(route);
                self.trial.insert(pos, v);
                if self.try_trial(route, cur, pos, false) {
                    return true;
                }
            }
            if !inst.urgent[v] {
                continue;
            }
            // An urgent visit left out: try it in place of a normal one.
            for out in 0..route.len() {
                if inst.urgent[route[out]] {
                    continue;
                }
                for pos in 0..route.len() {
                    self.trial.clear();
                    self.trial.extend_from_slice(route);
                    self.trial.remove(out);
                    self.trial.insert(pos, v);
                    if self.try_trial(route, cur, out.min(pos), false) {
                        return true;
                    }
                }
            }
        }
        false
    }
}
