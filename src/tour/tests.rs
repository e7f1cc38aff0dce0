use chrono::NaiveDate;

use super::sample::{MONTSURS, day as problem, farm as visit, hm, random_day, with_call};
use super::solve::{Cost, Instance, exact, search};
use super::*;
use crate::domain::{Act, ActId, ActKind, AnimalId, Ede, Location, TechnicianId, VisitId};

fn cost_of(p: &Problem, progress: &DayProgress, order: &[String]) -> Cost {
    let inst = Instance::new(p).unwrap();
    let base = inst.base(progress).unwrap();
    let route: Vec<usize> = inst
        .indices_of(order, true)
        .unwrap()
        .into_iter()
        .filter(|v| !base.fixed(*v))
        .collect();
    inst.cost(&base, &route)
}

/// Every subset in every order: the reference for the exact programme on tiny rounds.
fn brute_force(inst: &Instance, base: &super::solve::Base, free: &[usize]) -> Cost {
    fn walk(
        inst: &Instance,
        base: &super::solve::Base,
        free: &[usize],
        route: &mut Vec<usize>,
        best: &mut Cost,
    ) {
        let c = inst.cost(base, route);
        if (c.overflow == 0 || route.is_empty()) && c < *best {
            *best = c;
        }
        for &v in free {
            if !route.contains(&v) {
                route.push(v);
                walk(inst, base, free, route, best);
                route.pop();
            }
        }
    }
    let mut best = Cost {
        overflow: i64::MAX,
        ..Cost::default()
    };
    walk(inst, base, free, &mut Vec::new(), &mut best);
    best
}

#[test]
fn exact_programme_equals_brute_force_on_tiny_rounds() {
    for seed in 0..25 {
        let mut p = random_day(seed, 6);
        // A short day on some instances, so that leaving visits out is part of the answer.
        if seed % 3 == 0 {
            p.day.to = hm(10, 0);
        }
        let inst = Instance::new(&p).unwrap();
        let base = inst.base(&DayProgress::default()).unwrap();
        let free = inst.free(&base);
        let route = exact(&inst, &base, &free);
        assert_eq!(
            inst.cost(&base, &route),
            brute_force(&inst, &base, &free),
            "seed {seed}"
        );
    }
}

/// The local search alone (the planner uses the exact programme up to 12 visits) against the
/// exact optimum: how often it finds it, and how far it lands when it does not.
#[test]
fn local_search_reaches_the_exact_optimum_on_rounds_up_to_twelve() {
    let iterations = Options::default().iterations;
    let mut worse = Vec::new();
    let rounds = 60;
    for seed in 0..rounds {
        let n = 7 + (seed as usize % 6);
        let p = random_day(1_000 + seed, n);
        let inst = Instance::new(&p).unwrap();
        let base = inst.base(&DayProgress::default()).unwrap();
        let free = inst.free(&base);
        let optimum = inst.cost(&base, &exact(&inst, &base, &free));
        let found = inst.cost(&base, &search(&inst, &base, &[], iterations, 7));
        assert!(found >= optimum, "seed {seed}: below the optimum?");
        if found != optimum {
            // Never at the price of a visit left out or a window missed, and close.
            assert_eq!(
                (found.unplanned_urgent, found.unplanned, found.late),
                (optimum.unplanned_urgent, optimum.unplanned, optimum.late),
                "seed {seed}"
            );
            let gap = (found.drive - optimum.drive) as f64 / optimum.drive as f64 * 100.0;
            assert!(gap <= 1.0, "seed {seed}: {gap:.2} %");
            worse.push(seed);
        }
    }
    // Measured: 59 of 60 at the optimum (seed 27: +0.67 % driving).
    assert!(
        worse.len() <= 2,
        "{} of {rounds} off the optimum: {worse:?}",
        worse.len()
    );
}

#[test]
fn windows_are_kept_when_they_can_be() {
    // Nearest-first would visit the far farm last; its window (before 09:00) says first.
    let mut far = visit("far", 0.10, 0.10, 20);
    far.window = Some(Window {
        from: hm(7, 30),
        to: hm(9, 0),
    });
    let mut p = problem(vec![
        visit("near1", 0.01, 0.0, 30),
        visit("near2", 0.02, 0.0, 30),
        visit("near3", 0.0, 0.02, 30),
        far,
    ]);
    let plan = plan(&p).unwrap();
    assert!(plan.violations.is_empty(), "{plan:?}");
    assert!(plan.unplanned.is_empty());
    let far_stop = plan.stops.iter().find(|s| s.id == "far").unwrap();
    assert!(far_stop.arrival <= hm(9, 0), "{far_stop:?}");
    // The same with more visits than the exact programme takes.
    for i in 0..14 {
        p.visits
            .push(visit(&format!("x{i}"), 0.005 * i as f64, -0.01, 15));
    }
    let plan = super::plan(&p).unwrap();
    assert!(plan.violations.is_empty(), "{plan:?}");
    assert!(plan.unplanned.is_empty());
}

#[test]
fn a_window_that_cannot_be_kept_is_reported_with_its_delay() {
    // Two farms 20 km apart both wanted before 08:00, with 45 min of work at the first.
    let mut a = visit("a", 0.0, 0.01, 45);
    a.window = Some(Window {
        from: hm(7, 30),
        to: hm(8, 0),
    });
    let mut b = visit("b", 0.18, 0.01, 30);
    b.window = Some(Window {
        from: hm(7, 30),
        to: hm(8, 0),
    });
    let p = problem(vec![a, b]);
    let plan = plan(&p).unwrap();
    assert_eq!(plan.stops.len(), 2);
    let late: Vec<_> = plan
        .violations
        .iter()
        .map(|v| match v {
            Violation::Late { visit, by_seconds } => (visit.clone(), *by_seconds),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(late.len(), 1, "{plan:?}");
    // The delay reported is the arrival's distance from the window's end.
    let stop = plan.stops.iter().find(|s| s.id == late[0].0).unwrap();
    assert_eq!(stop.arrival - hm(8, 0), late[0].1);
    assert_eq!(stop.late_seconds, late[0].1);
    // And it is the smallest possible: the other order is later still.
    let other: Vec<String> = plan.order().into_iter().rev().collect();
    let reversed = evaluate(&p, &DayProgress::default(), &other).unwrap();
    assert!(reversed.late_seconds() > plan.late_seconds());
}

#[test]
fn closed_hours_push_the_visit_after_milking() {
    let mut v = visit("milking", 0.05, 0.0, 30);
    v.closed = vec![Window {
        from: hm(7, 0),
        to: hm(9, 0),
    }];
    let p = problem(vec![v]);
    let plan = plan(&p).unwrap();
    assert_eq!(plan.stops[0].arrival, hm(9, 0));
    // A service that would run into the closed hours also waits for their end.
    let mut v = visit("evening", 0.0, 0.0, 60);
    v.window = Some(Window {
        from: hm(16, 30),
        to: hm(19, 0),
    });
    v.closed = vec![Window {
        from: hm(17, 0),
        to: hm(18, 0),
    }];
    let plan = super::plan(&problem(vec![v])).unwrap();
    assert_eq!(plan.stops[0].arrival, hm(18, 0));
}

#[test]
fn what_does_not_fit_is_listed_and_urgent_visits_go_first() {
    let mut p = random_day(42, 20);
    for v in &mut p.visits {
        v.urgency = Urgency::Normal;
        v.window = None;
        v.closed.clear();
    }
    p.visits[19].urgency = Urgency::Urgent;
    p.visits[19].location = Location {
        lat: MONTSURS.lat + 0.2,
        lon: MONTSURS.lon,
    };
    p.day.to = hm(11, 0);
    let plan = plan(&p).unwrap();
    assert!(!plan.unplanned.is_empty());
    assert!(plan.order().contains(&"F19".to_string()), "{plan:?}");
    assert!(plan.back_at <= hm(11, 0));
    assert_every_visit_planned_or_listed(&p, &plan);
}

fn assert_every_visit_planned_or_listed(p: &Problem, plan: &Plan) {
    let mut all: Vec<String> = plan.order();
    all.extend(plan.unplanned.iter().cloned());
    all.sort();
    let mut ids: Vec<String> = p.visits.iter().map(|v| v.id.clone()).collect();
    ids.sort();
    assert_eq!(all, ids, "every visit is planned or listed");
}

#[test]
fn the_same_input_gives_the_same_plan() {
    let p = random_day(7, 35);
    let a = plan(&p).unwrap();
    let b = plan(&p).unwrap();
    assert_eq!(a, b);
    let c = plan(&p.clone()).unwrap();
    assert_eq!(a, c);
}

#[test]
fn the_population_search_gives_the_same_plan_and_plans_every_visit() {
    let p = random_day(7, 35);
    let options = Options {
        population: true,
        ..Options::default()
    };
    let a = solve(&p, &DayProgress::default(), &[], &options).unwrap();
    let b = solve(&p, &DayProgress::default(), &[], &options).unwrap();
    assert_eq!(a, b);
    assert_every_visit_planned_or_listed(&p, &a);
    // Its cost is the cost of its order, as a hand-made order would be costed.
    let again = evaluate(&p, &DayProgress::default(), &a.order()).unwrap();
    assert_eq!(a, again);
}

#[test]
fn replan_keeps_done_visits_first_as_they_were() {
    let mut p = random_day(11, 25);
    let first = plan(&p).unwrap();
    // The first three are done, the second took an hour longer than planned.
    let done: Vec<Done> = first.stops[..3]
        .iter()
        .enumerate()
        .map(|(i, s)| Done {
            id: s.id.clone(),
            arrived: s.arrival + if i == 2 { 3_600 } else { 0 },
            left: s.departure + if i >= 1 { 3_600 } else { 0 },
        })
        .collect();
    // A new urgent call, and a cancelled visit (gone from the problem).
    let cancelled = first.stops[10].id.clone();
    p.visits.retain(|v| v.id != cancelled);
    let mut call = visit("call", 0.03, -0.04, 25);
    call.urgency = Urgency::Urgent;
    call.window = Some(Window {
        from: hm(11, 0),
        to: hm(14, 0),
    });
    p.visits.push(call);
    let progress = DayProgress {
        done: done.clone(),
        pinned_first: None,
        now: Some(done[2].left),
    };
    let again = replan(&p, &progress, &first.order()).unwrap();
    for (d, s) in done.iter().zip(&again.stops) {
        assert_eq!(
            (&d.id, d.arrived, d.left, true),
            (&s.id, s.arrival, s.departure, s.done)
        );
    }
    assert!(again.order().contains(&"call".to_string()));
    assert!(!again.order().contains(&cancelled));
    assert!(again.stops[3..].iter().all(|s| s.arrival >= done[2].left));
    // Pinned: the visit named goes next, whatever else the planner would prefer.
    let last = again.stops.last().unwrap().id.clone();
    let pinned = DayProgress {
        pinned_first: Some(last.clone()),
        ..progress
    };
    let with_pin = replan(&p, &pinned, &again.order()).unwrap();
    assert_eq!(with_pin.stops[3].id, last);
    assert_eq!(with_pin.stops[..3], again.stops[..3]);
}

#[test]
fn replan_is_no_worse_than_keeping_the_old_order() {
    let mut p = random_day(21, 30);
    let first = plan(&p).unwrap();
    p.visits.push(visit("new", 0.05, 0.05, 20));
    let again = replan(&p, &DayProgress::default(), &first.order()).unwrap();
    let inserted = insertions(&p, &DayProgress::default(), &first.order(), "new").unwrap();
    let best = &inserted[0];
    let by_hand = {
        let mut o = first.order();
        o.insert(best.position, "new".into());
        cost_of(&p, &DayProgress::default(), &o)
    };
    assert!(cost_of(&p, &DayProgress::default(), &again.order()) <= by_hand);
}

#[test]
fn insertions_are_sorted_and_add_what_they_say() {
    let p = random_day(5, 15);
    let order: Vec<String> = p.visits[..14].iter().map(|v| v.id.clone()).collect();
    let before = evaluate(&p, &DayProgress::default(), &order).unwrap();
    let options = insertions(&p, &DayProgress::default(), &order, "F14").unwrap();
    assert_eq!(options.len(), 15);
    for o in &options {
        let mut with = order.clone();
        with.insert(o.position, "F14".into());
        let after = evaluate(&p, &DayProgress::default(), &with).unwrap();
        assert_eq!(after.meters as i64 - before.meters as i64, o.added_meters);
        assert_eq!(
            after.drive_seconds as i64 - before.drive_seconds as i64,
            o.added_drive_seconds
        );
        assert_eq!(
            after.late_seconds() as i64 - before.late_seconds() as i64,
            o.added_late_seconds
        );
    }
    let keys: Vec<_> = options
        .iter()
        .map(|o| (!o.fits_day, o.added_late_seconds, o.added_drive_seconds))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(insertions(&p, &DayProgress::default(), &order, "F03").is_err());
    assert!(insertions(&p, &DayProgress::default(), &order, "nope").is_err());
}

#[test]
fn a_hand_made_order_is_costed_with_its_faults() {
    let p = random_day(3, 8);
    let order: Vec<String> = p.visits.iter().rev().map(|v| v.id.clone()).collect();
    let hand = evaluate(&p, &DayProgress::default(), &order).unwrap();
    assert_eq!(hand.order(), order);
    let best = plan(&p).unwrap();
    assert!(
        cost_of(&p, &DayProgress::default(), &best.order())
            <= cost_of(&p, &DayProgress::default(), &order)
    );
    // Road distance: the haversine legs times the road factor, start and end included.
    let mut meters = 0.0;
    let mut at = p.start;
    for id in order.iter().map(String::as_str).chain(["end"]) {
        let to = p
            .visits
            .iter()
            .find(|v| v.id == id)
            .map_or(p.end, |v| v.location);
        use geo::{Distance, Haversine, Point};
        meters += (Haversine.distance(Point::new(at.lon, at.lat), Point::new(to.lon, to.lat))
            * 1.3)
            .round();
        at = to;
    }
    assert_eq!(hand.meters, meters as u64);
    let mut dup = order.clone();
    dup.push(order[0].clone());
    assert!(evaluate(&p, &DayProgress::default(), &dup).is_err());
}

#[test]
fn bad_problems_are_refused_with_the_field() {
    let mut p = random_day(1, 3);
    p.visits[1].id = p.visits[0].id.clone();
    let e = plan(&p).unwrap_err().to_string();
    assert!(e.starts_with("visits[1].id"), "{e}");
    let mut p = random_day(1, 3);
    p.visits[2].window = Some(Window {
        from: hm(12, 0),
        to: hm(11, 0),
    });
    let e = plan(&p).unwrap_err().to_string();
    assert!(e.starts_with("visits[2].window: 12:00-11:00"), "{e}");
    let mut p = random_day(1, 3);
    p.travel = Travel::Road {
        speed_kmh: 0.0,
        road_factor: 1.3,
    };
    assert!(plan(&p).unwrap_err().to_string().starts_with("speed_kmh"));
    let mut p = random_day(1, 3);
    p.visits[0].location.lat = f64::NAN;
    assert!(
        plan(&p)
            .unwrap_err()
            .to_string()
            .starts_with("visits[0].lat")
    );
    let mut p = random_day(1, 3);
    p.travel = Travel::Matrix(Matrix {
        meters: vec![vec![0; 5]; 5],
        seconds: vec![vec![0; 5]; 4],
    });
    assert!(
        plan(&p)
            .unwrap_err()
            .to_string()
            .starts_with("matrix.seconds")
    );
}

#[test]
fn a_matrix_replaces_the_road_estimate() {
    // Start, a, b, end: going a then b is cheap, b then a dear (an asymmetric table).
    let table = vec![
        vec![0, 10, 100, 0],
        vec![10, 0, 10, 10],
        vec![100, 100, 0, 10],
        vec![0, 10, 100, 0],
    ];
    let mut p = problem(vec![visit("a", 0.0, 0.0, 0), visit("b", 0.0, 0.0, 0)]);
    p.travel = Travel::Matrix(Matrix {
        meters: table.clone(),
        seconds: table,
    });
    let plan = plan(&p).unwrap();
    assert_eq!(plan.order(), vec!["a", "b"]);
    assert_eq!((plan.meters, plan.drive_seconds), (30, 30));
}

#[test]
fn service_time_comes_from_the_forfait_grid() {
    let grid = crate::forfait::Grid::annexe_i().unwrap();
    let requested = [
        Request {
            kind: ActKind::IaBovine,
            count: 2,
        },
        Request {
            kind: ActKind::EchoBovine,
            count: 5,
        },
    ];
    let expected =
        grid.seconds(ActKind::IaBovine, 2).unwrap() + grid.seconds(ActKind::EchoBovine, 5).unwrap();
    assert_eq!(service_seconds(&grid, &requested).unwrap(), expected);
    let none = [Request {
        kind: ActKind::EmbryoTransfer,
        count: 1,
    }];
    assert!(service_seconds(&grid, &none).is_err());
}

#[test]
fn times_of_day_read_and_write() {
    assert_eq!(parse_time_of_day("t", "07:30").unwrap(), hm(7, 30));
    assert_eq!(parse_time_of_day("t", "24:00").unwrap(), DAY_SECONDS);
    for bad in [
        "7:30",
        "25:00",
        "12:60",
        "aa:bb",
        "",
        "12:00:00:00",
        "24:01",
    ] {
        let e = parse_time_of_day("day.from", bad).unwrap_err().to_string();
        assert!(e.starts_with("day.from"), "{bad}: {e}");
    }
    assert_eq!(format_time_of_day(hm(9, 5) + 59), "09:05");
}

/// A TSPLIB instance, its published optimum, and the gap the solver must stay within.
fn tsplib_gap(text: &str, optimum: u64, iterations: u32) -> f64 {
    tsplib_gap_with(text, optimum, iterations, false)
}

fn tsplib_gap_with(text: &str, optimum: u64, iterations: u32, population: bool) -> f64 {
    let nodes = tsplib::parse(text).unwrap();
    let p = tsplib::problem(&nodes);
    let options = Options {
        iterations,
        population,
        ..Options::default()
    };
    let plan = solve(&p, &DayProgress::default(), &[], &options).unwrap();
    assert!(plan.unplanned.is_empty());
    assert_eq!(plan.stops.len(), nodes.len() - 1);
    // The tour length recomputed from the coordinates, not taken from the solver.
    let mut ids: Vec<usize> = vec![1];
    ids.extend(plan.stops.iter().map(|s| s.id.parse::<usize>().unwrap()));
    ids.push(1);
    let length: u64 = ids
        .windows(2)
        .map(|w| u64::from(tsplib::distance(nodes[w[0] - 1], nodes[w[1] - 1])))
        .sum();
    assert_eq!(length, plan.meters);
    assert!(
        length >= optimum,
        "below the proven optimum: a distance bug"
    );
    (length - optimum) as f64 / optimum as f64 * 100.0
}

// Optima: TSPLIB's published optimal tour lengths (G. Reinelt, "TSPLIB 95", Universität
// Heidelberg, file STSP.html): eil51 426, berlin52 7542, st70 675. Instance files and their
// source: tests/data/README.md.
#[test]
fn eil51_within_two_percent_of_the_published_optimum() {
    let gap = tsplib_gap(include_str!("../../tests/data/tsplib/eil51.tsp"), 426, 300);
    assert!(gap <= 2.0, "gap {gap:.2} %");
}

#[test]
fn berlin52_within_two_percent_of_the_published_optimum() {
    let gap = tsplib_gap(
        include_str!("../../tests/data/tsplib/berlin52.tsp"),
        7542,
        300,
    );
    assert!(gap <= 2.0, "gap {gap:.2} %");
}

#[test]
fn st70_within_two_percent_of_the_published_optimum() {
    let gap = tsplib_gap(include_str!("../../tests/data/tsplib/st70.tsp"), 675, 300);
    assert!(gap <= 2.0, "gap {gap:.2} %");
}

#[test]
fn the_population_search_stays_within_two_percent_on_eil51_and_st70() {
    for (text, optimum) in [
        (include_str!("../../tests/data/tsplib/eil51.tsp"), 426),
        (include_str!("../../tests/data/tsplib/st70.tsp"), 675),
    ] {
        let gap = tsplib_gap_with(text, optimum, 300, true);
        assert!(gap <= 2.0, "gap {gap:.2} %");
    }
}

// Optimum: 378, Dumas, Desrosiers, Gelinas and Solomon, "An optimal algorithm for the
// traveling salesman problem with time windows", Operations Research 43(2), 1995, as listed
// by López-Ibáñez and Blum's TSPTW benchmark page. Source of the file: tests/data/README.md.
#[test]
fn dumas_n20w20_001_reaches_the_published_optimum_with_every_window_kept() {
    let p = tsplib::tsptw(include_str!("../../tests/data/tsptw/n20w20.001.txt")).unwrap();
    let plan = plan(&p).unwrap();
    assert!(plan.unplanned.is_empty(), "{plan:?}");
    assert!(plan.violations.is_empty(), "{plan:?}");
    // Driving recomputed from the order and the instance's matrix.
    let Travel::Matrix(m) = &p.travel else {
        unreachable!()
    };
    let mut at = 0;
    let mut total = 0u64;
    for s in &plan.stops {
        let next = p.visits.iter().position(|v| v.id == s.id).unwrap() + 1;
        total += u64::from(m.seconds[at][next]);
        at = next;
    }
    total += u64::from(m.seconds[at][p.visits.len() + 1]);
    assert_eq!(total, plan.drive_seconds);
    assert!(total >= 378, "below the proven optimum: {total}");
    // Measured: 378, the optimum.
    let gap = (total - 378) as f64 / 378.0 * 100.0;
    assert!(gap <= 1.0, "gap {gap:.2} %");
}

/// The local search costs its moves from time profiles of stretches of the round: built
/// visit by visit from either end, they must give the lateness and the return time the
/// simulation of the round gives, for any time of departure, windows and closed hours
/// included (service times of zero, spans closer than a visit's work).
#[test]
fn a_time_profile_costs_a_round_as_the_simulation_does() {
    use super::profile::{Profile, VisitTiming};
    use super::solve::Rng;
    let mut g = Rng(5);
    for case in 0..40 {
        let k = 1 + g.below(9);
        let size = k + 2;
        let mut seconds = vec![vec![0u32; size]; size];
        for (a, row) in seconds.iter_mut().enumerate() {
            for (b, x) in row.iter_mut().enumerate() {
                if a != b {
                    *x = 60 + g.below(1_800) as u32;
                }
            }
        }
        let mut visits = Vec::new();
        for i in 0..k {
            let mut v = visit(&format!("v{i}"), 0.0, 0.0, 0);
            v.service_seconds = [0, 1, 600, 1_800, 2_400][g.below(5)];
            if g.below(2) == 0 {
                let from = hm(6, 0) + g.below(40) as u32 * 900;
                v.window = Some(Window {
                    from,
                    to: from + g.below(8) as u32 * 900,
                });
            }
            let mut at = hm(6, 0) + g.below(20) as u32 * 1_800;
            for _ in 0..g.below(3) {
                let to = at + 300 + g.below(8) as u32 * 600;
                v.closed.push(Window { from: at, to });
                at = to + 1 + g.below(4) as u32 * 600;
            }
            visits.push(v);
        }
        let node: Vec<Profile> = visits
            .iter()
            .map(|v| {
                let closed: Vec<(i64, i64)> = v
                    .closed
                    .iter()
                    .map(|c| (i64::from(c.from), i64::from(c.to)))
                    .collect();
                Profile::visit(&VisitTiming {
                    earliest: v.window.map_or(i64::MIN, |w| i64::from(w.from)),
                    latest: v.window.map_or(i64::MAX, |w| i64::from(w.to)),
                    service: i64::from(v.service_seconds),
                    closed: &closed,
                })
            })
            .collect();
        let t = |a: usize, b: usize| i64::from(seconds[a][b]);
        // Forwards: each visit after the last; backwards: each before the first.
        let mut forward = node[0].clone();
        let mut scratch = Profile::default();
        for (i, next) in node.iter().enumerate().skip(1) {
            // Node i + 1 of the matrix is visit i.
            Profile::compose_into(&forward, t(i, i + 1), next, &mut scratch);
            std::mem::swap(&mut forward, &mut scratch);
        }
        Profile::compose_into(&forward, t(k, k + 1), &Profile::identity(), &mut scratch);
        let forward = scratch.clone();
        let mut backward = Profile::identity();
        for (i, visit) in node.iter().enumerate().rev() {
            Profile::compose_into(visit, t(i + 1, i + 2), &backward, &mut scratch);
            std::mem::swap(&mut backward, &mut scratch);
        }
        let mut p = problem(visits);
        p.day.to = DAY_SECONDS;
        p.travel = Travel::Matrix(Matrix {
            meters: seconds.clone(),
            seconds: seconds.clone(),
        });
        let order: Vec<String> = p.visits.iter().map(|v| v.id.clone()).collect();
        for _ in 0..30 {
            p.day.from = hm(4, 0) + g.below(14 * 3_600) as u32;
            let plan = evaluate(&p, &DayProgress::default(), &order).unwrap();
            let arrival = i64::from(p.day.from) + t(0, 1);
            let expected = (plan.late_seconds() as i64, i64::from(plan.back_at));
            assert_eq!(
                forward.at(arrival),
                expected,
                "case {case}, from {}",
                p.day.from
            );
            assert_eq!(
                backward.at(arrival),
                expected,
                "case {case}, from {}",
                p.day.from
            );
        }
    }
}

// Follow-ups.

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 1).unwrap() + chrono::Days::new(u64::from(d))
}

fn farm_visit(id: &str, farm: &str, d: u32) -> crate::domain::Visit {
    crate::domain::Visit::planned(
        VisitId::parse("visit", id).unwrap(),
        TechnicianId::parse("technician", "T01").unwrap(),
        Ede::parse("farm", farm).unwrap(),
        day(d),
    )
}

fn act(id: &str, visit: &str, kind: ActKind, animals: &[&str], count: u32) -> Act {
    let mut act = Act::new(
        ActId::parse("act", id).unwrap(),
        VisitId::parse("visit", visit).unwrap(),
        kind,
        count,
    );
    act.animals = animals
        .iter()
        .map(|a| AnimalId::parse("animal", a).unwrap())
        .collect();
    act
}

#[test]
fn a_pregnancy_check_falls_due_thirty_days_after_the_insemination() {
    let visits = vec![farm_visit("V1", "53161001", 0)];
    let acts = vec![act(
        "A1",
        "V1",
        ActKind::IaBovine,
        &["FR5300000001", "FR5300000002"],
        2,
    )];
    let s = FollowUpSettings::default();
    assert!(due_follow_ups(day(29), &visits, &acts, &s).is_empty());
    let due = due_follow_ups(day(30), &visits, &acts, &s);
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].act, ActKind::EchoBovine);
    assert_eq!(due[0].count, 2);
    assert_eq!(due[0].due_from, day(30));
    // Still proposed while not done, until the offer runs out.
    assert_eq!(due_follow_ups(day(60), &visits, &acts, &s).len(), 1);
    assert!(due_follow_ups(day(61), &visits, &acts, &s).is_empty());
    // By palpation: from 45 days.
    let palp = FollowUpSettings {
        palpation: true,
        ..FollowUpSettings::default()
    };
    assert!(due_follow_ups(day(44), &visits, &acts, &palp).is_empty());
    let due = due_follow_ups(day(45), &visits, &acts, &palp);
    assert_eq!(due[0].act, ActKind::GestationPalpation);
}

#[test]
fn a_check_done_or_a_new_insemination_settles_the_animal() {
    let mut visits = vec![
        farm_visit("V1", "53161001", 0),
        farm_visit("V2", "53161001", 21),
        farm_visit("V3", "53161001", 33),
    ];
    let mut acts = vec![
        act("A1", "V1", ActKind::IaBovine, &["FR5300000001"], 1),
        act("A2", "V1", ActKind::IaBovine, &["FR5300000002"], 1),
        act("A3", "V1", ActKind::IaBovine, &["FR5300000003"], 1),
        // Cow 2 came back in heat: inseminated again on day 21.
        act("A4", "V2", ActKind::IaBovine, &["FR5300000002"], 1),
        // Cow 3 checked on day 33.
        act("A5", "V3", ActKind::EchoBovine, &["FR5300000003"], 1),
    ];
    let s = FollowUpSettings::default();
    let due = due_follow_ups(day(35), &visits, &acts, &s);
    let ids: Vec<&str> = due.iter().map(|f| f.because_of.as_str()).collect();
    assert_eq!(ids, vec!["A1"]);
    // A lot of goats without numbers: a later check of goats on the farm settles it.
    visits.push(farm_visit("V4", "53161002", 0));
    acts.push(act("A6", "V4", ActKind::IaCaprineFrozen, &[], 40));
    let due = due_follow_ups(day(31), &visits, &acts, &s);
    let goats = due.iter().find(|f| f.because_of.as_str() == "A6").unwrap();
    assert_eq!((goats.act, goats.count), (ActKind::EchoCaprine, 40));
    visits.push(farm_visit("V5", "53161002", 31));
    acts.push(act("A7", "V5", ActKind::EchoCaprine, &[], 40));
    let due = due_follow_ups(day(31), &visits, &acts, &s);
    assert!(due.iter().all(|f| f.because_of.as_str() != "A6"));
}

#[test]
fn a_synchronisation_protocol_proposes_its_steps_on_their_days() {
    let mut visits = vec![farm_visit("V1", "53161001", 0)];
    let mut acts = vec![act(
        "A1",
        "V1",
        ActKind::SyncBovineSpiral,
        &["FR5300000001"],
        1,
    )];
    let s = FollowUpSettings::default();
    assert!(due_follow_ups(day(6), &visits, &acts, &s).is_empty());
    let d7 = due_follow_ups(day(7), &visits, &acts, &s);
    assert_eq!(d7.len(), 1);
    assert_eq!(d7[0].act, ActKind::SyncBovineProstaglandin);
    assert_eq!(d7[0].kind, FollowUpKind::SynchronisationStep { step: 1 });
    // The step done on day 7 is not proposed again, and does not start a protocol itself.
    visits.push(farm_visit("V2", "53161001", 7));
    acts.push(act(
        "A2",
        "V2",
        ActKind::SyncBovineProstaglandin,
        &["FR5300000001"],
        1,
    ));
    assert!(due_follow_ups(day(7), &visits, &acts, &s).is_empty());
    assert!(due_follow_ups(day(10), &visits, &acts, &s).is_empty());
    let d9 = due_follow_ups(day(9), &visits, &acts, &s);
    assert_eq!(d9.len(), 1);
    assert_eq!(d9[0].act, ActKind::IaBovine);
    assert_eq!(d9[0].kind, FollowUpKind::SynchronisationStep { step: 2 });
    // Grouped as a proposed visit with its requests.
    let proposed = proposed_visits(&d9);
    assert_eq!(proposed.len(), 1);
    assert_eq!(
        proposed[0].1,
        vec![Request {
            kind: ActKind::IaBovine,
            count: 1
        }]
    );
}

#[test]
fn follow_ups_are_read_from_the_store() {
    use crate::domain::{Farm, Payload, Species, Technician};
    let dir = tempfile::tempdir().unwrap();
    let store = crate::log::Store::open(dir.path()).unwrap();
    let technician = TechnicianId::parse("technician", "T01").unwrap();
    let ede = Ede::parse("farm", "53161001").unwrap();
    let mut visits = vec![
        farm_visit("V1", "53161001", 0),
        farm_visit("V2", "53161001", 10),
    ];
    // A visit on day 31, cancelled: its check does not count.
    visits.push(farm_visit("V3", "53161001", 31));
    let mut payloads = vec![
        Payload::TechnicianRecorded(Technician {
            id: technician.clone(),
            name: "Julie Moreau".into(),
            home: None,
            licence: None,
        }),
        Payload::FarmRecorded(Farm {
            ede: ede.clone(),
            name: "GAEC du Bocage".into(),
            village: None,
            location: MONTSURS,
            species: vec![Species::Bovine],
            phone: None,
            note: None,
        }),
    ];
    payloads.extend(visits.iter().cloned().map(Payload::VisitRecorded));
    payloads.push(Payload::ActRecorded(act(
        "A1",
        "V1",
        ActKind::IaBovine,
        &["FR5300000001"],
        1,
    )));
    payloads.push(Payload::ActRecorded(act(
        "A2",
        "V2",
        ActKind::IaBovine,
        &["FR5300000002"],
        1,
    )));
    payloads.push(Payload::ActRecorded(act(
        "A3",
        "V3",
        ActKind::EchoBovine,
        &["FR5300000001"],
        1,
    )));
    payloads.push(Payload::VisitCancelled {
        visit: VisitId::parse("visit", "V3").unwrap(),
        reason: "recorded by mistake".into(),
    });
    store.append(payloads).unwrap();
    let s = FollowUpSettings::default();
    let ids = |d| -> Vec<String> {
        due_follow_ups_in_store(&store, &technician, day(d), &s)
            .unwrap()
            .iter()
            .map(|f| f.because_of.as_str().to_owned())
            .collect()
    };
    assert_eq!(ids(29), Vec::<String>::new());
    assert_eq!(ids(35), vec!["A1"]);
    assert_eq!(ids(40), vec!["A1", "A2"]);
    assert_eq!(ids(61), vec!["A2"]);
}

#[test]
fn a_farms_closed_hours_reach_the_days_problem_and_its_visit_is_not_served_inside_them() {
    use crate::domain::{ClosedSpan, Farm, Payload, Request, Species, Technician};
    let dir = tempfile::tempdir().unwrap();
    let store = crate::log::Store::open(dir.path()).unwrap();
    let technician = TechnicianId::parse("technician", "T01").unwrap();
    let farm = |ede: &str, dlat: f64| Farm {
        ede: Ede::parse("farm", ede).unwrap(),
        name: format!("Élevage {ede}"),
        village: None,
        location: Location {
            lat: MONTSURS.lat + dlat,
            lon: MONTSURS.lon,
        },
        species: vec![Species::Bovine],
        phone: None,
        note: None,
    };
    // The evening visit's window opens at 16:55: without the milking it would start then
    // and run into 17:00.
    let mut evening = farm_visit("V1", "53161001", 0);
    evening.window = Some((
        chrono::NaiveTime::from_hms_opt(16, 55, 0).unwrap(),
        chrono::NaiveTime::from_hms_opt(19, 0, 0).unwrap(),
    ));
    evening.requested = vec![Request {
        kind: ActKind::IaBovine,
        count: 1,
    }];
    let morning = farm_visit("V2", "53161002", 0);
    store
        .append(vec![
            Payload::TechnicianRecorded(Technician {
                id: technician.clone(),
                name: "Julie Moreau".into(),
                home: Some(MONTSURS),
                licence: None,
            }),
            Payload::FarmRecorded(farm("53161001", 0.02)),
            Payload::FarmRecorded(farm("53161002", -0.03)),
            Payload::ClosedHoursRecorded {
                farm: Ede::parse("farm", "53161001").unwrap(),
                closed: vec![ClosedSpan {
                    from: 17 * 60,
                    to: 18 * 60 + 30,
                }],
            },
            Payload::VisitRecorded(evening),
            Payload::VisitRecorded(morning),
        ])
        .unwrap();
    let (grid, settings) = crate::worktime::company_rules(None).unwrap();
    let round = day::day_round(&store, &technician, day(0), &grid, &settings)
        .unwrap()
        .unwrap();
    let closed = Window {
        from: hm(17, 0),
        to: hm(18, 30),
    };
    let at = |p: &Problem, id: &str| p.visits.iter().position(|v| v.id == id).unwrap();
    let v1 = at(&round.problem, "V1");
    assert_eq!(round.problem.visits[v1].closed, vec![closed]);
    assert_eq!(
        round.problem.visits[at(&round.problem, "V2")].closed,
        vec![]
    );
    let served = |p: &Problem| {
        let plan = plan(p).unwrap();
        let stop = plan.stops.iter().find(|s| s.id == "V1").unwrap().clone();
        (stop.arrival, stop.departure)
    };
    let (arrival, departure) = served(&round.problem);
    assert!(
        departure <= closed.from || arrival >= closed.to,
        "served {arrival}..{departure}, inside the milking"
    );
    assert_eq!(arrival, hm(18, 30));
    // The same day without the farm's closed hours serves it inside them.
    let mut open = round.problem.clone();
    open.visits[v1].closed.clear();
    let (arrival, departure) = served(&open);
    assert!(
        arrival < closed.to && departure > closed.from,
        "{arrival}..{departure}"
    );
}

#[test]
fn refining_a_crowded_day_slice_by_slice_finds_a_better_round_never_a_worse_one() {
    // Day 4 of the bench's 40-farm days: the instant plan is later than the best known.
    let p = random_day(4, 40);
    let progress = DayProgress::default();
    let instant = plan(&p).unwrap();
    let mut order = instant.order();
    let mut costs = vec![cost_of(&p, &progress, &order)];
    for slice in 0..REFINE_SLICES {
        let refined = refine(&p, &progress, &order, slice).unwrap();
        assert_every_visit_planned_or_listed(&p, &refined);
        order = refined.order();
        costs.push(cost_of(&p, &progress, &order));
    }
    assert!(costs.windows(2).all(|w| w[1] <= w[0]), "{costs:?}");
    assert!(costs[costs.len() - 1].late < costs[0].late, "{costs:?}");
    // The same slice from the same round gives the same round.
    let again = refine(&p, &progress, &instant.order(), 0).unwrap();
    assert_eq!(again, refine(&p, &progress, &instant.order(), 0).unwrap());
}

#[test]
fn an_overloaded_day_leaves_visits_out_rather_than_end_after_the_days_end() {
    // Sixty farms do not fit in a day: the plan and the re-plan after a call leave visits out,
    // and neither comes back after the day's end (a weighed search once let them: the bench's
    // 60-farm days ended late on 76 plans in 160 and on every re-plan).
    for day in 0..2 {
        let mut p = random_day(day, 60);
        let first = plan(&p).unwrap();
        assert!(!first.unplanned.is_empty(), "day {day}: {first:?}");
        let after_end = |plan: &Plan| {
            plan.violations
                .iter()
                .any(|v| matches!(v, Violation::AfterDayEnd { .. }))
        };
        assert!(!after_end(&first), "day {day}: {:?}", first.violations);
        let progress = with_call(&mut p, &first);
        let again = replan(&p, &progress, &first.order()).unwrap();
        assert!(!again.unplanned.is_empty(), "day {day}: {again:?}");
        assert!(!after_end(&again), "day {day}: {:?}", again.violations);
    }
}
