//! Benchmark: round planning, how fast and how good.
//!
//! - Solve time of a day of 10, 25 and 40 farms with windows, closed hours and urgent calls
//!   (`tour::sample::random_day`, 10 seeded days each), and how far the default budget lands
//!   from the best round known for the day: the best of long runs (10 times the budget, three
//!   other seeds) and of the rounds other solvers found (`benches/tour_compare/`, written by
//!   `benches/tour_compare.py`, each costed here by `tour::evaluate`, so every round is judged
//!   by the same rules), and of the best rounds recorded by earlier runs (`benches/tour_best/`).
//! - Re-plan after one new urgent call in the middle of the day, the first three visits of the
//!   recorded round done: its time, and how far it lands from the best round known for that
//!   re-planned day (long runs from the previous order and from scratch, the recorded best).
//! - The same, refined as the app does in the background (`tour::refine`, `REFINE_SLICES`
//!   slices from the instant plan and from the instant re-plan): the time of all the slices,
//!   and how far the refined round lands from the best known.
//! - The gap to the published optimum of the TSPLIB instances in `tests/data/tsplib` and of
//!   the TSPTW instance in `tests/data/tsptw`.
//!
//! One thread; figures are per core. Run: `cargo bench --bench tour --no-default-features`;
//! `-- --quick`: no long runs, quality against the recorded best and the other solvers only;
//! `-- --days`: each day's result, best known and time; `-- --export DIR`: write the days as JSON
//! for `benches/tour_compare.py`; `-- --record`: keep the best rounds found in
//! `benches/tour_best/` (see `Recorded`); `-- --population`: plan with the population search
//! (`Options::population`); `-- --seeds K`: only the quality of the 25- and 40-farm days,
//! each planned and re-planned with K seeds, with the lateness summed and the times (with
//! `--days`, each day's too; see `seeds`; `--farms N`: one size only); `-- --work N`: another
//! work budget for a plan.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use geo::{Distance, Haversine, Point};
use serde_json::{Value, json};
use tournee::domain::Urgency;
use tournee::tour::{self, DayProgress, Options, Plan, Problem, Travel, Window, sample};

const DAYS: u64 = 10;

fn solve(p: &Problem, progress: &DayProgress, previous: &[String], options: &Options) -> Plan {
    match tour::solve(p, progress, previous, options) {
        Ok(plan) => plan,
        Err(e) => panic!("the benchmark's problem is refused: {e}"),
    }
}

fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

/// The value after `name` on the command line.
fn option(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
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

/// How a series of plans compares with the best known plans of the same days.
#[derive(Default)]
struct Quality {
    days: usize,
    /// Days on the best known round (same visits left out, lateness and driving).
    best: usize,
    /// Days with the same visits left out and the same lateness as the best known.
    same: usize,
    /// Driving above the best known, in %, on those days.
    gaps: Vec<f64>,
    /// Seconds of lateness, of the plans and of the best known.
    late: u64,
    best_late: u64,
}

impl Quality {
    fn add(&mut self, plan: &Plan, best: &Plan) {
        self.days += 1;
        self.late += plan.late_seconds();
        self.best_late += best.late_seconds();
        if key(plan) == key(best) {
            self.best += 1;
        }
        if key(plan).0 == key(best).0 && key(plan).1 == key(best).1 {
            self.same += 1;
            self.gaps
                .push((plan.drive_seconds as f64 / best.drive_seconds.max(1) as f64 - 1.0) * 100.0);
        }
    }

    fn line(&self) -> String {
        let mean = self.gaps.iter().sum::<f64>() / self.gaps.len().max(1) as f64;
        let max = self.gaps.iter().copied().fold(0.0, f64::max);
        format!(
            "best known reached {}/{}, as late and leaving out as much {}/{}, driving gap {mean:.2} % mean, {max:.2} % max; lateness {} s against {} s",
            self.best, self.days, self.same, self.days, self.late, self.best_late
        )
    }
}

/// The best of some plans.
fn best_of(plans: impl IntoIterator<Item = Plan>) -> Option<Plan> {
    plans.into_iter().min_by_key(key)
}

/// Driving time and distance between the start, the visits and the end, as the planner
/// computes them for `Travel::Road` (haversine × road factor at the average speed), so that
/// other solvers plan on the same figures.
fn road_matrix(p: &Problem) -> (Vec<Vec<u32>>, Vec<Vec<u32>>) {
    let Travel::Road {
        speed_kmh,
        road_factor,
    } = p.travel
    else {
        panic!("the benchmark's days use road travel");
    };
    let points: Vec<Point> = std::iter::once(&p.start)
        .chain(p.visits.iter().map(|v| &v.location))
        .chain(std::iter::once(&p.end))
        .map(|l| Point::new(l.lon, l.lat))
        .collect();
    let speed = speed_kmh / 3.6;
    let mut seconds = Vec::new();
    let mut meters = Vec::new();
    for a in &points {
        let row: Vec<f64> = points
            .iter()
            .map(|b| (Haversine.distance(*a, *b) * road_factor).round())
            .collect();
        seconds.push(row.iter().map(|m| (m / speed).round() as u32).collect());
        meters.push(row.iter().map(|m| *m as u32).collect());
    }
    (seconds, meters)
}

/// A day as JSON for `benches/tour_compare.py`: node 0 the start, 1..=n the visits, n + 1 the
/// end; times in seconds since midnight.
fn day_json(p: &Problem) -> Value {
    let (seconds, meters) = road_matrix(p);
    let span = |w: &Window| json!([w.from, w.to]);
    json!({
        "day": span(&p.day),
        "ids": p.visits.iter().map(|v| v.id.clone()).collect::<Vec<_>>(),
        "service": p.visits.iter().map(|v| v.service_seconds).collect::<Vec<_>>(),
        "window": p.visits.iter().map(|v| v.window.as_ref().map(span)).collect::<Vec<_>>(),
        "closed": p.visits.iter().map(|v| v.closed.iter().map(span).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "urgent": p.visits.iter().map(|v| v.urgency == Urgency::Urgent).collect::<Vec<_>>(),
        "seconds": seconds,
        "meters": meters,
    })
}

fn compare_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/tour_compare")
}

/// The rounds other solvers found for a day (`{"solvers": {name: [visit ids]}}`), if the
/// comparison was run.
fn other_solvers(name: &str) -> Vec<(String, Vec<String>)> {
    let path = compare_dir().join(format!("{name}.json"));
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Vec::new();
    };
    let v: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => panic!("{}: {e}", path.display()),
    };
    let mut out = Vec::new();
    if let Some(solvers) = v["solvers"].as_object() {
        for (solver, order) in solvers {
            let order = order["order"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            out.push((solver.clone(), order));
        }
    }
    out
}

fn best_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/tour_best")
}

/// The best rounds known for a day, kept between runs (`benches/tour_best/<farms>-<seed>.json`)
/// so that a change of the planner is measured against the same best known as the code before
/// it, whichever found it. `replan_from` is the round the re-plan scenario follows (its first
/// three visits done, then the call): written once, it keeps the re-planned day the same
/// whatever round the planner under test finds.
#[derive(Default)]
struct Recorded {
    planned: Vec<String>,
    replan_from: Vec<String>,
    replanned: Vec<String>,
}

impl Recorded {
    fn read(name: &str) -> Recorded {
        let path = best_dir().join(format!("{name}.json"));
        let Ok(text) = std::fs::read_to_string(&path) else {
            return Recorded::default();
        };
        let v: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => panic!("{}: {e}", path.display()),
        };
        let ids = |field: &str| -> Vec<String> {
            v[field]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        Recorded {
            planned: ids("planned"),
            replan_from: ids("replan_from"),
            replanned: ids("replanned"),
        }
    }

    fn write(&self, name: &str) {
        let dir = best_dir();
        if let Err(e) = std::fs::create_dir_all(&dir) {
            panic!("{}: {e}", dir.display());
        }
        let path = dir.join(format!("{name}.json"));
        let text = json!({
            "planned": self.planned,
            "replan_from": self.replan_from,
            "replanned": self.replanned,
        });
        if let Err(e) = std::fs::write(&path, format!("{text:#}\n")) {
            panic!("{}: {e}", path.display());
        }
    }
}

/// A recorded round costed on its day, if one was recorded.
fn recorded_plan(
    name: &str,
    p: &Problem,
    progress: &DayProgress,
    order: &[String],
) -> Option<Plan> {
    if order.is_empty() {
        return None;
    }
    match tour::evaluate(p, progress, order) {
        Ok(plan) => Some(plan),
        Err(e) => panic!("{name}: the recorded best round is refused: {e}"),
    }
}

/// The planner's options: the default, or with `--population` the population search.
fn options() -> Options {
    let default = Options::default();
    Options {
        population: flag("--population"),
        max_work: option("--work").map_or(default.max_work, |w| {
            w.parse().unwrap_or_else(|e| panic!("--work {w}: {e}"))
        }),
        ..default
    }
}

/// A plan refined as the app does in the background (`tour::refine`, `REFINE_SLICES` slices
/// from the instant plan), and how long all the slices took.
fn refine(p: &Problem, progress: &DayProgress, plan: &Plan) -> (Plan, Duration) {
    let start = Instant::now();
    let mut refined = plan.clone();
    for slice in 0..tour::REFINE_SLICES {
        refined = match tour::refine(p, progress, &refined.order(), slice) {
            Ok(plan) => plan,
            Err(e) => panic!("the benchmark's problem is refused: {e}"),
        };
    }
    (refined, start.elapsed())
}

/// `-- --seeds K`: each day of `n` farms planned and re-planned with K seeds, against the
/// recorded best known (or a better round found here): one seed's figures move by a day or
/// two when the search changes a little, K seeds say whether it is better or only luckier.
fn seeds(n: usize, k: u64) {
    let options = options();
    let (mut quality, mut replan_quality) = (Quality::default(), Quality::default());
    let (mut times, mut replans) = (Vec::new(), Vec::new());
    for day in 0..DAYS {
        let name = format!("{n}-{day}");
        let mut p = sample::random_day(day, n);
        let recorded = Recorded::read(&name);
        let mut runs = |p: &Problem, progress: &DayProgress, hint: &[String]| -> Vec<Plan> {
            (0..k)
                .map(|s| {
                    let o = Options {
                        seed: options.seed.wrapping_add(s),
                        ..options
                    };
                    let start = Instant::now();
                    let plan = solve(p, progress, hint, &o);
                    let took = start.elapsed();
                    if hint.is_empty() {
                        times.push(took);
                    } else {
                        replans.push(took);
                    }
                    plan
                })
                .collect()
        };
        let fresh = DayProgress::default();
        let plans = runs(&p, &fresh, &[]);
        let recorded_best = recorded_plan(&name, &p, &fresh, &recorded.planned);
        let Some(best) = best_of(plans.iter().cloned().chain(recorded_best)) else {
            continue;
        };
        plans.iter().for_each(|plan| quality.add(plan, &best));
        let plan_best = best.clone();
        let from = if recorded.replan_from.is_empty() {
            best.order()
        } else {
            recorded.replan_from.clone()
        };
        let followed = match tour::evaluate(&p, &fresh, &from) {
            Ok(plan) => plan,
            Err(e) => panic!("{name}: the recorded round to re-plan from is refused: {e}"),
        };
        let progress = sample::with_call(&mut p, &followed);
        let again = runs(&p, &progress, &followed.order());
        let recorded_best = recorded_plan(&name, &p, &progress, &recorded.replanned);
        let Some(best) = best_of(again.iter().cloned().chain(recorded_best)) else {
            continue;
        };
        again
            .iter()
            .for_each(|plan| replan_quality.add(plan, &best));
        if flag("--days") {
            let late = |plans: &[Plan]| plans.iter().map(Plan::late_seconds).sum::<u64>();
            let reached =
                |plans: &[Plan], best: &Plan| plans.iter().filter(|p| key(p) == key(best)).count();
            println!(
                "    day {day}: planned {} s late, {}/{k} on the best known; re-planned {} s late, {}/{k}",
                late(&plans),
                reached(&plans, &plan_best),
                late(&again),
                reached(&again, &best)
            );
        }
    }
    let ((plan_median, plan_max), (replan_median, replan_max)) = (spread(times), spread(replans));
    println!("  {n:>2} farms, {k} seeds a day:");
    println!(
        "    planned: {} ({plan_median:.1} ms median, {plan_max:.1} max)",
        quality.line()
    );
    println!(
        "    re-planned after the call: {} ({replan_median:.1} ms median, {replan_max:.1} max)",
        replan_quality.line()
    );
}

fn days(n: usize) {
    let options = options();
    let long = |seed: u64| Options {
        iterations: options.iterations * 10,
        replan_iterations: options.replan_iterations * 10,
        max_work: options.max_work * 10,
        seed,
        ..options
    };
    let export = option("--export");
    let (mut times, mut replans) = (Vec::new(), Vec::new());
    let (mut quality, mut replan_quality) = (Quality::default(), Quality::default());
    let (mut refined_times, mut refined_quality) = (Vec::new(), Quality::default());
    let mut refined_replans = Vec::new();
    let mut refined_replan_quality = Quality::default();
    let mut others: Vec<(String, Quality)> = Vec::new();
    let (mut late, mut unplanned) = (0, 0);
    for seed in 0..DAYS {
        let name = format!("{n}-{seed}");
        let mut p = sample::random_day(seed, n);
        if let Some(dir) = &export {
            let path = Path::new(dir).join(format!("{name}.json"));
            if let Err(e) = std::fs::write(&path, day_json(&p).to_string()) {
                panic!("{}: {e}", path.display());
            }
        }
        let start = Instant::now();
        let plan = solve(&p, &DayProgress::default(), &[], &options);
        times.push(start.elapsed());
        late += plan.violations.len();
        unplanned += plan.unplanned.len();
        let (refined, took) = refine(&p, &DayProgress::default(), &plan);
        refined_times.push(took);
        let found: Vec<(String, Plan)> = other_solvers(&name)
            .into_iter()
            .map(
                |(solver, order)| match tour::evaluate(&p, &DayProgress::default(), &order) {
                    Ok(plan) => (solver, plan),
                    Err(e) => panic!("{name}: the round of {solver} is refused: {e}"),
                },
            )
            .collect();
        let mut recorded = Recorded::read(&name);
        // Long runs (10 times the budget, other seeds) unless `--quick`: then only the
        // recorded best and the other solvers' rounds.
        let quick = flag("--quick");
        let best = best_of(
            (1..=3)
                .filter(|_| !quick)
                .map(|s| solve(&p, &DayProgress::default(), &[], &long(s)))
                .chain(found.iter().map(|(_, plan)| plan.clone()))
                .chain(recorded_plan(
                    &name,
                    &p,
                    &DayProgress::default(),
                    &recorded.planned,
                ))
                .chain([plan.clone(), refined.clone()]),
        )
        .unwrap_or_else(|| plan.clone());
        quality.add(&plan, &best);
        refined_quality.add(&refined, &best);
        recorded.planned = best.order();
        for (solver, other) in &found {
            match others.iter_mut().find(|(s, _)| s == solver) {
                Some((_, q)) => q.add(other, &best),
                None => {
                    let mut q = Quality::default();
                    q.add(other, &best);
                    others.push((solver.clone(), q));
                }
            }
        }
        if flag("--days") {
            println!(
                "    day {seed}: {:?} best known {:?}, {:.1} ms",
                key(&plan),
                key(&best),
                ms(times[times.len() - 1])
            );
        }
        // One new urgent call, three visits of the recorded round done as planned (the first
        // run records the best round known then; the planner's own round without a record).
        if recorded.replan_from.is_empty() {
            recorded.replan_from = recorded.planned.clone();
        }
        let followed = match tour::evaluate(&p, &DayProgress::default(), &recorded.replan_from) {
            Ok(plan) => plan,
            Err(e) => panic!("{name}: the recorded round to re-plan from is refused: {e}"),
        };
        let progress = sample::with_call(&mut p, &followed);
        let start = Instant::now();
        let again = solve(&p, &progress, &followed.order(), &options);
        replans.push(start.elapsed());
        let (refined_again, took) = refine(&p, &progress, &again);
        refined_replans.push(took);
        // The best known re-planned day: long runs from the previous order and from scratch
        // (the done visits first either way), the recorded best.
        let best = best_of(
            (1..=2)
                .filter(|_| !quick)
                .map(|s| solve(&p, &progress, &followed.order(), &long(s)))
                .chain(
                    (1..=2)
                        .filter(|_| !quick)
                        .map(|s| solve(&p, &progress, &[], &long(s))),
                )
                .chain(recorded_plan(&name, &p, &progress, &recorded.replanned))
                .chain([again.clone(), refined_again.clone()]),
        )
        .unwrap_or_else(|| again.clone());
        replan_quality.add(&again, &best);
        refined_replan_quality.add(&refined_again, &best);
        recorded.replanned = best.order();
        if flag("--record") {
            recorded.write(&name);
        }
        if flag("--days") {
            println!(
                "    day {seed} re-planned: {:?} best known {:?}, {:.1} ms",
                key(&again),
                key(&best),
                ms(replans[replans.len() - 1])
            );
        }
    }
    let (median, max) = spread(times);
    let (rmedian, rmax) = spread(replans);
    println!(
        "  {n:>2} farms: solve {median:.1} ms median, {max:.1} ms max; re-plan after a call {rmedian:.1} ms median, {rmax:.1} ms max; {late} windows missed, {unplanned} visits left out"
    );
    println!("    planned: {}", quality.line());
    println!("    re-planned after the call: {}", replan_quality.line());
    let (median, max) = spread(refined_times);
    println!(
        "    refined in the background ({} slices, {median:.0} ms median, {max:.0} ms max): planned: {}",
        tour::REFINE_SLICES,
        refined_quality.line()
    );
    let (median, max) = spread(refined_replans);
    println!(
        "    refined in the background ({median:.0} ms median, {max:.0} ms max): re-planned: {}",
        refined_replan_quality.line()
    );
    for (solver, q) in &others {
        println!("    {solver}: {}", q.line());
    }
}

fn tsplib(name: &str, text: &str, optimum: u64) {
    let nodes = match tour::tsplib::parse(text) {
        Ok(n) => n,
        Err(e) => panic!("{name}: {e}"),
    };
    let p = tour::tsplib::problem(&nodes);
    let start = Instant::now();
    let plan = solve(&p, &DayProgress::default(), &[], &options());
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
    if let Some(k) = option("--seeds") {
        let k = k.parse().unwrap_or_else(|e| panic!("--seeds {k}: {e}"));
        let farms: Vec<usize> = match option("--farms") {
            Some(n) => vec![n.parse().unwrap_or_else(|e| panic!("--farms {n}: {e}"))],
            None => vec![25, 40],
        };
        for n in farms {
            seeds(n, k);
        }
        return;
    }
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
    let plan = solve(&p, &DayProgress::default(), &[], &options());
    let took = start.elapsed();
    println!(
        "  n20w20.001: {} (optimum 378), gap {:.2} %, {} windows missed, {:.1} ms",
        plan.drive_seconds,
        (plan.drive_seconds as f64 / 378.0 - 1.0) * 100.0,
        plan.violations.len(),
        ms(took)
    );
}
