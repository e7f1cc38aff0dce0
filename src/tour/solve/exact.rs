//! The exact dynamic programme of rounds up to [`EXACT_MAX`] visits to place.

use super::{Base, Cost, Instance};

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
        (start + inst.timing[v].service, inst.lateness(v, start))
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
