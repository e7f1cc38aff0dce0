//! Today's round as the screen lists it, planned by `tour`.
//!
//! The order shown is the one recorded for the day (`RoundOrdered`: by the planner, or moved
//! by hand), with its arrival times and costs; without one, the planner's order. Visits the
//! recorded order does not name (a call that came after planning) are listed after it, each
//! with the places it would fit best and what each costs, for the technician to choose. The
//! planner's best order is kept beside a hand-made one, so the screen can say what the hand
//! order costs. The solver runs again only when the day changed (a call, a visit done...);
//! its instant answer is then improved in the background (`tour::refine`, a thread per day
//! state), and a better round found there replaces it: on screen while the round shown is the
//! planner's, as the proposal beside the order once one is recorded.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

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
    /// While the planner is still looking for a better round of this day in the
    /// background: how much of that work is done, from 0 to 1.
    pub improving: Option<f32>,
}

/// The planner's last answer, reused while the day is unchanged, and improved in the
/// background meanwhile.
#[derive(Default)]
pub struct PlanCache {
    last: RefCell<Option<(DayRound, Plan)>>,
    /// The background work on the last answer's day.
    refining: RefCell<Option<Refining>>,
    /// Called from the background thread when its work is over, a better round found or not
    /// (the worker then shows it, or takes the notice that the planner is still looking
    /// off the screen); without it, the better round is taken at the next look.
    pub on_refined: Option<Arc<dyn Fn() + Send + Sync>>,
    /// Called from the background thread after each slice of its work but the last, so that
    /// the screen can say how far along it is.
    pub on_progress: Option<Arc<dyn Fn() + Send + Sync>>,
}

/// A background thread improving a plan: told to stop when the day changes, it counts the
/// slices of its work done in `slices`, leaves the better round it found in `found`, and sets
/// `over` when it ends.
struct Refining {
    stop: Arc<AtomicBool>,
    found: Arc<Mutex<Option<Plan>>>,
    over: Arc<AtomicBool>,
    slices: Arc<AtomicU32>,
}

impl PlanCache {
    /// The planner's best plan of `round`: the instant answer, or the better round the
    /// background work found since.
    pub fn best(&self, round: &DayRound) -> Result<Plan, crate::tour::TourError> {
        if let Some((r, p)) = self.last.borrow_mut().as_mut()
            && r.problem == round.problem
            && r.progress == round.progress
        {
            if let Some(better) = self.found() {
                *p = better;
            }
            return Ok(p.clone());
        }
        let previous = round.recorded.clone().unwrap_or_default();
        let plan = crate::tour::replan(&round.problem, &round.progress, &previous)?;
        *self.last.borrow_mut() = Some((round.clone(), plan.clone()));
        self.refine(round, &plan);
        Ok(plan)
    }

    /// Whether the background work on the last answer's day is still under way.
    pub fn improving(&self) -> bool {
        self.progress().is_some()
    }

    /// While the background work on the last answer's day is under way: the share of its
    /// slices done, from 0 to 1.
    pub fn progress(&self) -> Option<f32> {
        let refining = self.refining.borrow();
        let r = refining.as_ref()?;
        if r.over.load(Ordering::Acquire) {
            return None;
        }
        let done = r
            .slices
            .load(Ordering::Acquire)
            .min(crate::tour::REFINE_SLICES);
        Some(done as f32 / crate::tour::REFINE_SLICES as f32)
    }

    /// The better round the background work found, if any (taken once).
    fn found(&self) -> Option<Plan> {
        let refining = self.refining.borrow();
        let mut found = refining.as_ref()?.found.lock().ok()?;
        found.take()
    }

    /// Stops the work on the previous day state and starts it on `round` from `plan`: each
    /// slice of `tour::refine` starts from the best round so far, the better one is kept
    /// once every slice has run (one change on screen, not one a slice). Rounds solved
    /// exactly are left alone: nothing beats them.
    fn refine(&self, round: &DayRound, plan: &Plan) {
        if let Some(old) = self.refining.borrow_mut().take() {
            old.stop.store(true, Ordering::Relaxed);
        }
        let to_place =
            round.problem.visits.len() - round.progress.done.len().min(round.problem.visits.len());
        if to_place <= crate::tour::EXACT_MAX {
            return;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let found = Arc::new(Mutex::new(None));
        let over = Arc::new(AtomicBool::new(false));
        let slices = Arc::new(AtomicU32::new(0));
        let (problem, progress) = (round.problem.clone(), round.progress.clone());
        let (mut order, first) = (plan.order(), plan.order());
        let (halt, slot, ended, done) = (stop.clone(), found.clone(), over.clone(), slices.clone());
        let (notify, step) = (self.on_refined.clone(), self.on_progress.clone());
        let work = move || {
            let mut better = None;
            for slice in 0..crate::tour::REFINE_SLICES {
                if halt.load(Ordering::Relaxed) {
                    break;
                }
                match crate::tour::refine(&problem, &progress, &order, slice) {
                    Ok(p) if p.order() != order => {
                        order = p.order();
                        better = Some(p);
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
                done.store(slice + 1, Ordering::Release);
                // The last slice's news is the end's.
                if slice + 1 < crate::tour::REFINE_SLICES
                    && !halt.load(Ordering::Relaxed)
                    && let Some(step) = &step
                {
                    step();
                }
            }
            // Work on a day that changed since is dropped unseen: the new day's work tells.
            if halt.load(Ordering::Relaxed) {
                ended.store(true, Ordering::Release);
                return;
            }
            // Over first: a view that shows the better round never says it is still coming.
            ended.store(true, Ordering::Release);
            if let Some(better) = better.filter(|b| b.order() != first)
                && let Ok(mut slot) = slot.lock()
            {
                *slot = Some(better);
            }
            if let Some(notify) = notify {
                notify();
            }
        };
        // Without a thread (the system refuses one) the instant answer stands.
        if std::thread::Builder::new()
            .name("tournee-refine".to_owned())
            .spawn(work)
            .is_ok()
        {
            *self.refining.borrow_mut() = Some(Refining {
                stop,
                found,
                over,
                slices,
            });
        }
    }
}

impl Drop for PlanCache {
    fn drop(&mut self) {
        if let Some(r) = self.refining.get_mut().take() {
            r.stop.store(true, Ordering::Relaxed);
        }
    }
}

impl std::fmt::Debug for PlanCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlanCache")
            .field("last", &self.last)
            .field("refining", &self.refining.borrow().is_some())
            .finish()
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
            improving: None,
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
        improving: cache.progress(),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;
    use crate::tour::{DayProgress, REFINE_SLICES, sample::random_day};

    #[test]
    fn the_round_found_in_the_background_replaces_the_instant_one_of_the_same_day_only() {
        let (tx, rx) = mpsc::channel();
        let mut cache = PlanCache::default();
        cache.on_refined = Some(Arc::new(move || {
            let _ = tx.send(());
        }));
        let (step_tx, step_rx) = mpsc::channel();
        cache.on_progress = Some(Arc::new(move || {
            let _ = step_tx.send(());
        }));
        // Day 4 of the bench's crowded 40-farm days, then the same day with a visit called
        // off before the work on the first could end: that work is dropped.
        let first = DayRound {
            problem: random_day(4, 40),
            progress: DayProgress::default(),
            visits: Vec::new(),
            recorded: None,
        };
        let mut day = first.clone();
        let gone = day.problem.visits.remove(7).id;
        cache.best(&first).unwrap();
        let instant = cache.best(&day).unwrap();
        assert!(!instant.order().contains(&gone));
        assert!(cache.improving(), "the planner works on in the background");
        // How far along it is, after each slice but the last: a share that grows, below 1.
        let mut shares = vec![cache.progress().expect("under way")];
        for _ in 1..REFINE_SLICES {
            step_rx
                .recv_timeout(Duration::from_secs(600))
                .expect("a slice done");
            if let Some(share) = cache.progress() {
                shares.push(share);
            }
        }
        assert!(shares.windows(2).all(|w| w[0] <= w[1]), "{shares:?}");
        assert!(shares.iter().all(|s| (0.0..1.0).contains(s)), "{shares:?}");
        assert!(shares.last() > shares.first(), "{shares:?}");
        // Until the background work ends, the instant answer stands.
        rx.recv_timeout(Duration::from_secs(600))
            .expect("the background work finds a better round");
        assert!(!cache.improving(), "the background work is over");
        assert_eq!(cache.progress(), None);
        let refined = cache.best(&day).unwrap();
        let mut expected = instant.clone();
        for slice in 0..REFINE_SLICES {
            expected =
                crate::tour::refine(&day.problem, &day.progress, &expected.order(), slice).unwrap();
        }
        assert_eq!(refined, expected);
        assert!(!refined.order().contains(&gone));
        assert!(
            (refined.late_seconds(), refined.drive_seconds)
                < (instant.late_seconds(), instant.drive_seconds)
        );
        // Taken once, kept after.
        assert_eq!(cache.best(&day).unwrap(), refined);
        assert!(
            rx.try_recv().is_err(),
            "the first day's work was not stopped"
        );
        // A small round is exact at once: nothing to look for in the background.
        let small = DayRound {
            problem: random_day(4, 10),
            ..first
        };
        cache.best(&small).unwrap();
        assert!(!cache.improving());
    }
}
