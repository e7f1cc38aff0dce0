//! Benchmark: round planning, how fast and how good.
//!
//! - Solve time of a day of 10, 25 and 40 farms with windows, closed hours and urgent calls
//!   (`tour::sample::random_day`, 10 seeded days each), and the gap of the default budget to
//!   the best round found by long runs (10 times the budget, two other seeds) on the same days.
//! - Re-plan time after one new urgent call in the middle of the day, three visits done.
//! - The gap to the published optimum of the TSPLIB instances in `tests/data/tsplib` and of
//!   the TSPTW instance in `tests/data/tsptw`.
//!
//! One thread; figures are per core. Run: `cargo bench --bench tour --no-default-features`

use std::time::{Duration, Instant};

use tournee::domain::Urgency;
use tournee::tour::{self, Done, Options, Plan, Problem, Progress, Window, sample};

const DAYS: u64 = 10;

fn solve(p: &Problem, progress: &Progress, previous: &[String], options: &Options) -> Plan {
    match tour::solve(p, progress, previous, options) {
        Ok(plan) => plan,
        Err(e) => panic!("the benchmark's problem is refused: {e}"),
    }
}

/// `cargo bench --bench tour -- --quick`: times only, no long reference runs.
fn quick() -> bool {
    std::env::args().any(|a| a == "--quick")
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Median and largest of some durations.
fn spread(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    (
        ms(times[times.len() / 2]),
        ms(times.last().copied().unwrap_or_default()),
    )
}

/// Compares plans by what they leave out, then lateness, then driving.
fn key(p: &Plan) -> (usize, u64, u64) {
    (p.unplanned.len(), p.late_seconds(), p.drive_seconds)
}

fn days(n: usize) {
    let options = Options::default();
    let long = Options {
        iterations: options.iterations * 10,
        max_work: options.max_work * 10,
        ..options
    };
    let (mut times, mut replans) = (Vec::new(), Vec::new());
    let (mut gaps, mut optimal, mut late, mut unplanned) = (Vec::new(), 0, 0, 0);
    for seed in 0..DAYS {
        let mut p = sample::random_day(seed, n);
        let start = Instant::now();
        let plan = solve(&p, &Progress::default(), &[], &options);
        times.push(start.elapsed());
        late += plan.violations.len();
        unplanned += plan.unplanned.len();
        let best = (1..=2)
            .filter(|_| !quick())
            .map(|s| solve(&p, &Progress::default(), &[], &Options { seed: s, ..long }))
            .chain(std::iter::once(plan.clone()))
            .min_by_key(key)
            .unwrap_or_else(|| plan.clone());
        if key(&plan) == key(&best) {
            optimal += 1;
        }
        if std::env::args().any(|a| a == "--days") {
            println!(
                "    day {seed}: {:?} best known {:?}",
                key(&plan),
                key(&best)
            );
        }
        if (plan.unplanned.len(), plan.late_seconds())
            == (best.unplanned.len(), best.late_seconds())
        {
            gaps.push((plan.drive_seconds as f64 / best.drive_seconds.max(1) as f64 - 1.0) * 100.0);
        }
        // One new urgent call at 10:30, three visits done as planned.
        let done: Vec<Done> = plan.stops[..3.min(plan.stops.len())]
            .iter()
            .map(|s| Done {
                id: s.id.clone(),
                arrived: s.arrival,
                left: s.departure,
            })
            .collect();
        let now = done.last().map_or(sample::hm(10, 30), |d| d.left);
        let mut call = sample::farm("call", 0.04, -0.06, 25);
        call.urgency = Urgency::Urgent;
        call.window = Some(Window {
            from: now,
            to: now + 3 * 3_600,
        });
        p.visits.push(call);
        let progress = Progress {
            done,
            pinned_first: None,
            now: Some(now),
        };
        let start = Instant::now();
        let again = solve(&p, &progress, &plan.order(), &options);
        replans.push(start.elapsed());
        std::hint::black_box(again);
    }
    let (median, max) = spread(times);
    let (rmedian, rmax) = spread(replans);
    let mean_gap = gaps.iter().sum::<f64>() / gaps.len().max(1) as f64;
    let max_gap = gaps.iter().copied().fold(0.0, f64::max);
    println!(
        "  {n:>2} farms: solve {median:.1} ms median, {max:.1} ms max; re-plan after a call {rmedian:.1} ms median, {rmax:.1} ms max; best known reached {optimal}/{DAYS}, driving gap {mean_gap:.2} % mean, {max_gap:.2} % max; {late} windows missed, {unplanned} visits left out"
    );
}

fn tsplib(name: &str, text: &str, optimum: u64) {
    let nodes = match tour::tsplib::parse(text) {
        Ok(n) => n,
        Err(e) => panic!("{name}: {e}"),
    };
    let p = tour::tsplib::problem(&nodes);
    let start = Instant::now();
    let plan = solve(&p, &Progress::default(), &[], &Options::default());
    let took = start.elapsed();
    let gap = (plan.meters as f64 / optimum as f64 - 1.0) * 100.0;
    println!(
        "  {name}: {} (optimum {optimum}), gap {gap:.2} %, {:.0} ms",
        plan.meters,
        ms(took)
    );
}

fn main() {
    println!(
        "tour: days around Montsûrs ({DAYS} seeded days each, default budget {} iterations)",
        Options::default().iterations
    );
    for n in [10, 25, 40] {
        days(n);
    }
    println!("tour: TSPLIB (published optima, TSPLIB 95)");
    tsplib("eil51", include_str!("../tests/data/tsplib/eil51.tsp"), 426);
    tsplib(
        "berlin52",
        include_str!("../tests/data/tsplib/berlin52.tsp"),
        7542,
    );
    tsplib("st70", include_str!("../tests/data/tsplib/st70.tsp"), 675);
    println!("tour: TSPTW (Dumas et al. 1995, proven optimum)");
    let p = match tour::tsplib::tsptw(include_str!("../tests/data/tsptw/n20w20.001.txt")) {
        Ok(p) => p,
        Err(e) => panic!("n20w20.001: {e}"),
    };
    let start = Instant::now();
    let plan = solve(&p, &Progress::default(), &[], &Options::default());
    let took = start.elapsed();
    println!(
        "  n20w20.001: {} (optimum 378), gap {:.2} %, {} windows missed, {:.1} ms",
        plan.drive_seconds,
        (plan.drive_seconds as f64 / 378.0 - 1.0) * 100.0,
        plan.violations.len(),
        ms(took)
    );
}
