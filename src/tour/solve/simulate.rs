//! A round run through the tables: when the work at each visit starts, its lateness, what a
//! route costs (stopping as soon as it cannot beat a bound), the plan a route gives and every
//! insertion of a new visit.

use super::{Base, Cost, Instance, Partial};
use crate::tour::{DAY_SECONDS, DayProgress, Done, Insertion, Plan, Stop, TourError, Violation};

impl Instance {
    /// When the work at `v` starts if the technician arrives at `arrive`: not before its
    /// window opens, and never overlapping its closed hours. Non-decreasing in `arrive`, which
    /// the exact programme's dominance rule relies on.
    pub(super) fn service_start(&self, v: usize, arrive: i64) -> i64 {
        let timing = self.timing[v];
        let mut s = arrive.max(timing.earliest);
        let len = timing.service.max(1);
        for &(c0, c1) in &self.closed[v] {
            if s < c1 && s + len > c0 {
                s = c1;
            }
        }
        s
    }

    pub(super) fn lateness(&self, v: usize, start: i64) -> i64 {
        self.timing[v].lateness(start)
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
                    crate::tour::format_time_of_day(*left),
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
                departure: clamp_u32(start + self.timing[v].service),
                late_seconds: clamp_u32(late),
                done: false,
            });
            b.fixed[v] = true;
            b.node = v;
            b.time = start + self.timing[v].service;
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
    pub(super) fn left_out(&self, base: &Base, route: &[usize]) -> (u32, u32) {
        let urgent_in = route.iter().filter(|v| self.urgent[**v]).count() as u32;
        (
            base.free_urgent.saturating_sub(urgent_in),
            base.free_count.saturating_sub(route.len() as u32),
        )
    }

    /// The cost of `route` if it is below `bound`.
    pub(super) fn cost_below(&self, base: &Base, route: &[usize], bound: &Cost) -> Option<Cost> {
        self.finish_below(base.start(), route, self.left_out(base, route), bound)
    }

    /// One more visit on a partial round.
    #[inline]
    pub(super) fn step(&self, p: Partial, v: usize) -> Partial {
        let (t, m) = self.leg(p.node, v);
        let start = self.service_start(v, p.time + t);
        let timing = self.timing[v];
        Partial {
            node: v,
            time: start + timing.service,
            late: p.late + timing.lateness(start),
            drive: p.drive + t,
            meters: p.meters + m,
        }
    }

    /// The cost of a round made of a partial round `from` then `rest`, with `left_out`
    /// (urgent, all) visits left out, if it is below `bound`. The simulation stops as soon as
    /// it cannot be: lateness and driving only grow along the round, and with as many visits
    /// left out the comparison goes on with them; this keeps the local search fast when
    /// windows bind and its cheap driving filter cannot help.
    pub(super) fn finish_below(
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
                departure: clamp_u32(start + self.timing[v].service),
                late_seconds: clamp_u32(self.lateness(v, start)),
                done: false,
            });
            time = start + self.timing[v].service;
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
