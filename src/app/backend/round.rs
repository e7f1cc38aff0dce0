//! Today's round as the screen lists it, planned by `tour`.
//!
//! The order shown is the one recorded for the day (`RoundOrdered`: by the planner, or moved
//! by hand), with its arrival times and costs; without one, the planner's order. Visits the
//! recorded order does not name (a call that came after planning) are listed after it, each
//! with the places it would fit best and what each costs, for the technician to choose. The
//! planner's best order is kept beside a hand-made one, so the screen can say what the hand
//! order costs. The solver runs again only when the day changed (a call, a visit done...).

use std::cell::RefCell;

use chrono::NaiveDate;

use crate::domain::{TechnicianId, Visit, VisitId};
use crate::forfait::Grid;
use crate::log::{LogError, Store};
use crate::tour::day::{DayRound, day_round};
use crate::tour::{Insertion, Plan};
use crate::worktime::Settings;

/// How many places a new call is offered.
pub const PROPOSALS: usize = 3;

/// A day's round, planned.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// The visits in the order shown; the new calls last.
    pub visits: Vec<Visit>,
    /// The shown order's arrivals and costs (the new calls not in it).
    pub plan: Option<Plan>,
    /// The planner's best order for the same day, when it is better than the one shown (set
    /// by hand, or planned before the day changed).
    pub best: Option<Plan>,
    /// Calls not placed in the recorded order yet, with their best places.
    pub new_calls: Vec<(VisitId, Vec<Insertion>)>,
    /// The day as the planner saw it (for the map).
    pub round: Option<DayRound>,
}

/// The planner's last answer, reused while the day is unchanged.
#[derive(Debug, Default)]
pub struct PlanCache {
    last: RefCell<Option<(DayRound, Plan)>>,
}

impl PlanCache {
    /// The planner's best plan of `round`.
    pub fn best(&self, round: &DayRound) -> Result<Plan, crate::tour::TourError> {
        if let Some((r, p)) = self.last.borrow().as_ref()
            && r.problem == round.problem
            && r.progress == round.progress
        {
            return Ok(p.clone());
        }
        let previous = round.recorded.clone().unwrap_or_default();
        let plan = crate::tour::replan(&round.problem, &round.progress, &previous)?;
        *self.last.borrow_mut() = Some((round.clone(), plan.clone()));
        Ok(plan)
    }
}

/// Plans `technician`'s `day`. Without the company's rules (no grid to price the visits) the
/// visits come in the order they were planned in, with no times.
pub fn plan_day(
    store: &Store,
    technician: &TechnicianId,
    day: NaiveDate,
    rules: Option<(&Grid, &Settings)>,
    cache: &PlanCache,
) -> Result<Planned, LogError> {
    let round = match rules {
        Some((grid, settings)) => day_round(store, technician, day, grid, settings)?,
        None => None,
    };
    let Some(round) = round else {
        let mut visits = Vec::new();
        for v in store.visits_on(technician, day)? {
            if store.cancellation(&v.id)?.is_none() {
                visits.push(v);
            }
        }
        visits.sort_by(|a, b| a.id.cmp(&b.id));
        return Ok(Planned {
            visits,
            plan: None,
            best: None,
            new_calls: Vec::new(),
            round: None,
        });
    };
    let best = cache.best(&round).ok();
    let (plan, new_calls) = match &round.recorded {
        None => (best.clone(), Vec::new()),
        Some(recorded) => {
            let known: Vec<String> = recorded
                .iter()
                .filter(|id| round.problem.visits.iter().any(|v| &v.id == *id))
                .cloned()
                .collect();
            let plan = crate::tour::evaluate(&round.problem, &round.progress, &known).ok();
            let mut new_calls = Vec::new();
            for v in &round.problem.visits {
                let placed =
                    known.contains(&v.id) || round.progress.done.iter().any(|d| d.id == v.id);
                if placed {
                    continue;
                }
                let mut options =
                    crate::tour::insertions(&round.problem, &round.progress, &known, &v.id)
                        .unwrap_or_default();
                options.truncate(PROPOSALS);
                if let Ok(id) = VisitId::parse("visit", &v.id) {
                    new_calls.push((id, options));
                }
            }
            (plan, new_calls)
        }
    };
    let order: Vec<String> = plan.as_ref().map(|p| p.order()).unwrap_or_default();
    let mut visits: Vec<Visit> = Vec::with_capacity(round.visits.len());
    for id in &order {
        if let Some(v) = round.visits.iter().find(|v| v.id.as_str() == id) {
            visits.push(v.clone());
        }
    }
    for v in &round.visits {
        if !visits.iter().any(|w| w.id == v.id) {
            visits.push(v.clone());
        }
    }
    // Worth saying only when the planner's order is better: less late, or less driving.
    let worse = |p: &Plan, b: &Plan| {
        (p.late_seconds(), p.drive_seconds) > (b.late_seconds(), b.drive_seconds)
    };
    let by_hand =
        round.recorded.is_some() && matches!((&plan, &best), (Some(p), Some(b)) if worse(p, b));
    Ok(Planned {
        visits,
        best: if by_hand { best } else { None },
        plan,
        new_calls,
        round: Some(round),
    })
}
