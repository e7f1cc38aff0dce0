//! Round planning: in which order to visit the day's farms, and when the technician arrives.
//!
//! Not for recording visits (`domain`, `log`) nor for work time (`worktime`): this module
//! takes a [`Problem`] (start, end, working day, travel, visits with service time, windows,
//! closed hours and urgency) and returns a [`Plan`]. Everything is deterministic: the same
//! input gives the same plan, on the tablet and in tests (a seeded generator, budgets counted
//! in iterations, never in wall-clock time, no hash-map order in results).
//!
//! # What a good plan is
//! Plans are compared lexicographically: first the return to the end point before the working
//! day ends (hard: a visit that cannot fit is listed as unplanned, never silently dropped),
//! then the urgent visits left out, then the other visits left out, then the total lateness
//! against the farmers' windows (a window is kept when it can be; when it cannot, the plan
//! says which and by how much), then the driving time, then the distance.
//!
//! # How
//! Up to [`EXACT_MAX`] visits to place, an exact dynamic programme over (visits done, last
//! visit) with Pareto labels (time, lateness, driving, distance): the optimum, windows
//! included. Beyond, best insertion (urgent and tight windows first), then a local search
//! (2-opt, or-opt of 1 to 3 visits, swap, insertion of left-out visits) inside an iterated
//! local search (a local double bridge or remove-and-reinsert, seeded). A move is costed
//! from the time profile of the rest of the round (`profile.rs`) rather than by driving it
//! again, only around what the last change touched (don't-look bits) and only when it puts
//! a visit next to one of its near ones (granular neighbourhoods). See `solve/`.
//!
//! Re-planning keeps the visits done where they are, starts from where and when the last one
//! ended, may pin the next visit, and starts from the previous order.

pub mod arrival;
pub mod day;
mod followup;
pub mod json;
mod profile;
pub mod sample;
mod solve;
#[cfg(test)]
mod tests;
pub mod tsplib;

use serde::{Deserialize, Serialize};

use crate::domain::{Location, Request, Urgency};
use crate::forfait::{ForfaitError, Grid};

pub use followup::{
    FollowUp, FollowUpKind, FollowUpSettings, Protocol, due_follow_ups, due_follow_ups_in_store,
    proposed_visits,
};
pub use solve::EXACT_MAX;

/// The most visits one problem may hold: a day's round is 10 to 40; this leaves room for a
/// supervisor's whole team-day while keeping the local search's cost (cubic) in bounds.
pub const MAX_VISITS: usize = 500;

/// Seconds in a day: times of day run from 0 (midnight) to this.
pub const DAY_SECONDS: u32 = 86_400;

/// A span of local time of day, in seconds since midnight, `from` ≤ `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub from: u32,
    pub to: u32,
}

/// How travel times and distances are found.
#[derive(Debug, Clone, PartialEq)]
pub enum Travel {
    /// Great-circle distance (haversine) times `road_factor`, driven at `speed_kmh`.
    Road { speed_kmh: f64, road_factor: f64 },
    /// The cooperative's own table: rows and columns are the start, the visits in the
    /// problem's order, then the end.
    Matrix(Matrix),
}

/// An imported distance and time table (square, start + visits + end).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Matrix {
    pub meters: Vec<Vec<u32>>,
    pub seconds: Vec<Vec<u32>>,
}

/// A farm to visit, as the planner sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitToPlan {
    pub id: String,
    pub location: Location,
    /// Time spent at the farm: the flat-rate time of the expected acts ([`service_seconds`]).
    pub service_seconds: u32,
    /// When the farmer wants the technician to arrive (arrival no later than `to`).
    pub window: Option<Window>,
    /// Hours the farm cannot receive (milking): no service overlaps them.
    pub closed: Vec<Window>,
    pub urgency: Urgency,
}

/// A day to plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub start: Location,
    pub end: Location,
    /// The working day: leave the start no earlier than `from`, be back at the end by `to`.
    pub day: Window,
    pub travel: Travel,
    pub visits: Vec<VisitToPlan>,
}

/// Where the day stands when re-planning.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DayProgress {
    /// The visits done, in the order they were done: they stay first, as they are.
    pub done: Vec<Done>,
    /// The visit the technician goes to next, whatever the planner would prefer.
    pub pinned_first: Option<String>,
    /// The time now: nothing is planned to start before it.
    pub now: Option<u32>,
}

/// A visit done, with its real times.
#[derive(Debug, Clone, PartialEq)]
pub struct Done {
    pub id: String,
    pub arrived: u32,
    pub left: u32,
}

/// The solver's budget and seed: the same input and options give the same plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Rounds of the iterated local search (each: perturb, then improve to a local optimum).
    pub iterations: u32,
    /// Rounds when re-planning from a previous order.
    pub replan_iterations: u32,
    /// The most work the search may do (moves costed, visits simulated, pieces of time
    /// profiles built: counted, not timed): crowded days stop there, about 90 ms on the
    /// bench's machine; ordinary days end their iterations before. A re-plan gets a quarter.
    pub max_work: u64,
    pub seed: u64,
    /// Plan from scratch with a population of rounds crossed and improved (hybrid genetic
    /// search) on the half of the work the iterated search leaves, instead of the iterated
    /// search alone; re-plans are not concerned. Off by default: on the bench's crowded
    /// 40-farm days it reaches the best known round less often (README, "Round planning").
    pub population: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            iterations: 400,
            replan_iterations: 100,
            max_work: 7_000_000,
            seed: 0x746f_7572_6e65_6521,
            population: false,
        }
    }
}

/// One stop of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stop {
    pub id: String,
    /// When the work at the farm starts (after any wait for its window or closed hours).
    pub arrival: u32,
    pub departure: u32,
    /// Seconds after the end of the visit's window; 0 when kept.
    pub late_seconds: u32,
    /// A visit done (re-planning), kept as it was.
    pub done: bool,
}

/// A wish the plan cannot keep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Violation {
    /// Arrival after the end of the visit's window.
    Late { visit: String, by_seconds: u32 },
    /// Back at the end point after the working day (only a hand-made order or visits already
    /// done can cause it: the planner leaves visits out instead).
    AfterDayEnd { by_seconds: u32 },
}

/// A round: the stops in order, with what it costs and what it could not do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub stops: Vec<Stop>,
    /// Visits left out because they do not fit in the day, urgent ones first.
    pub unplanned: Vec<String>,
    pub violations: Vec<Violation>,
    /// Road distance of the whole round, start and end included.
    pub meters: u64,
    pub drive_seconds: u64,
    /// Back at the end point.
    pub back_at: u32,
}

impl Plan {
    /// The visit ids in order.
    pub fn order(&self) -> Vec<String> {
        self.stops.iter().map(|s| s.id.clone()).collect()
    }

    pub fn km(&self) -> f64 {
        self.meters as f64 / 1_000.0
    }

    /// Total seconds of arrival after the windows.
    pub fn late_seconds(&self) -> u64 {
        self.stops.iter().map(|s| u64::from(s.late_seconds)).sum()
    }
}

/// Where a new visit could go in an order, and what it would add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Insertion {
    /// Its index in the new order (done visits included).
    pub position: usize,
    /// The visit it would follow; `None`: first after the start.
    pub after: Option<String>,
    pub added_meters: i64,
    pub added_drive_seconds: i64,
    /// Change of total lateness, the new visit's own included.
    pub added_late_seconds: i64,
    /// Whether the round still ends within the working day.
    pub fits_day: bool,
}

/// Why a problem was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TourError {
    #[error("{field}: {value} is not valid: expected {expected}")]
    Invalid {
        field: String,
        value: String,
        expected: String,
    },
    /// A document that does not read as a problem (JSON syntax, a missing or unknown field).
    #[error("{field}: {message}")]
    Syntax { field: String, message: String },
}

impl TourError {
    fn invalid(field: &str, value: impl std::fmt::Display, expected: &str) -> TourError {
        let value: String = value.to_string().chars().take(80).collect();
        TourError::Invalid {
            field: field.to_owned(),
            value,
            expected: expected.to_owned(),
        }
    }
}

/// Plans a day from scratch with the default budget.
pub fn plan(problem: &Problem) -> Result<Plan, TourError> {
    solve(problem, &DayProgress::default(), &[], &Options::default())
}

/// Re-plans after a new call, a cancelled visit (gone from `problem`) or a visit that took
/// longer: done visits stay first as they were, `previous` (the order so far) is the start.
pub fn replan(
    problem: &Problem,
    progress: &DayProgress,
    previous: &[String],
) -> Result<Plan, TourError> {
    solve(problem, progress, previous, &Options::default())
}

/// How many slices of a plan's budget a round gets in the background after its instant
/// plan or re-plan (each about 80 ms on a crowded 40-farm day on the bench's machine): on
/// crowded days the search keeps finding better rounds long after the instant answer, and
/// the technician is driving meanwhile (README, "Round planning").
pub const REFINE_SLICES: u32 = 20;

/// One more slice of work on a plan: the iterated search from `previous` (the order of the
/// plan so far) with a whole plan's budget and the seed of `slice` (0, 1, 2...), so that
/// slice after slice it explores other rounds. Every fourth slice from the third starts from
/// nothing instead, a way into other valleys than the one the plan so far is in (measured on
/// the bench's 40-farm days when it came in: nine planned and six re-planned days on their
/// best known round, against eight and five when every slice starts from the plan so far).
/// The plan returned is never worse than `previous`. Done visits stay first, as in
/// [`replan`].
pub fn refine(
    problem: &Problem,
    progress: &DayProgress,
    previous: &[String],
    slice: u32,
) -> Result<Plan, TourError> {
    let inst = solve::Instance::new(problem)?;
    let base = inst.base(progress)?;
    let hint = inst.indices_of(previous, false)?;
    let defaults = Options::default();
    let options = Options {
        seed: defaults.seed.wrapping_add(u64::from(slice) + 1),
        ..defaults
    };
    let route = solve::refine(&inst, &base, &hint, &options, slice % 4 == 2);
    Ok(inst.plan(&base, &route))
}

/// Plans with an explicit budget and seed. `previous` may be empty (plan from scratch); ids in
/// it that are no longer in the problem (cancelled visits) are passed over.
pub fn solve(
    problem: &Problem,
    progress: &DayProgress,
    previous: &[String],
    options: &Options,
) -> Result<Plan, TourError> {
    let inst = solve::Instance::new(problem)?;
    let base = inst.base(progress)?;
    let hint = inst.indices_of(previous, false)?;
    let route = solve::optimise(&inst, &base, &hint, options);
    Ok(inst.plan(&base, &route))
}

/// What a hand-made order costs: arrivals, lateness, distance, and the visits it leaves out.
/// Done visits (from `progress`) come first whatever `order` says.
pub fn evaluate(
    problem: &Problem,
    progress: &DayProgress,
    order: &[String],
) -> Result<Plan, TourError> {
    let inst = solve::Instance::new(problem)?;
    let base = inst.base(progress)?;
    let route = inst.indices_of(order, true)?;
    let route: Vec<usize> = route.into_iter().filter(|v| !base.fixed(*v)).collect();
    Ok(inst.plan(&base, &route))
}

/// Every place `visit` (a visit of `problem` not in `order`) could be inserted into `order`
/// after the done visits, best first: within the day, then least added lateness, then least
/// added driving.
pub fn insertions(
    problem: &Problem,
    progress: &DayProgress,
    order: &[String],
    visit: &str,
) -> Result<Vec<Insertion>, TourError> {
    let inst = solve::Instance::new(problem)?;
    let base = inst.base(progress)?;
    let new = inst
        .index_of(visit)
        .ok_or_else(|| TourError::invalid("visit", visit, "the id of a visit of the problem"))?;
    let route = inst.indices_of(order, true)?;
    if route.contains(&new) || base.fixed(new) {
        return Err(TourError::invalid(
            "visit",
            visit,
            "a visit that is not in the order yet",
        ));
    }
    let route: Vec<usize> = route.into_iter().filter(|v| !base.fixed(*v)).collect();
    Ok(inst.insertions(&base, &route, new))
}

/// A visit's service time: the flat-rate seconds of the acts the farmer asked for.
pub fn service_seconds(grid: &Grid, requested: &[Request]) -> Result<u32, ForfaitError> {
    let mut total = 0u32;
    for r in requested {
        total = total.saturating_add(grid.seconds(r.kind, r.count)?);
    }
    Ok(total)
}

/// A time of day written `HH:MM` (or `HH:MM:SS`), in seconds since midnight; `24:00` is the
/// end of the day.
pub fn parse_time_of_day(field: &str, text: &str) -> Result<u32, TourError> {
    let bad = || TourError::invalid(field, format!("{text:?}"), "a time of day as HH:MM");
    let parts: Vec<&str> = text.split(':').collect();
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.len() != 2) {
        return Err(bad());
    }
    let mut nums = [0u32; 3];
    for (i, p) in parts.iter().enumerate() {
        if !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        nums[i] = p.parse().map_err(|_| bad())?;
    }
    let [h, m, s] = nums;
    if m > 59 || s > 59 || h > 24 || (h == 24 && (m, s) != (0, 0)) {
        return Err(bad());
    }
    Ok(h * 3_600 + m * 60 + s)
}

/// A time of day as `HH:MM` (seconds rounded down).
pub fn format_time_of_day(seconds: u32) -> String {
    format!("{:02}:{:02}", seconds / 3_600, seconds % 3_600 / 60)
}
