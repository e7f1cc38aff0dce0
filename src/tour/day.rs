//! A technician's day, read from the store as a planning [`Problem`]: the app's Today screen
//! and the demo plan with it. Done visits keep their real times; the visit under way is the
//! next one whatever the planner prefers; each farm's closed hours (milking) are the farm's
//! record's (`ClosedHoursRecorded`).
//!
//! Not for solving (`solve`), nor for drawing (the app).

use chrono::NaiveDate;

use super::{DayProgress, Done, Problem, Travel, VisitToPlan, Window, service_seconds};
use crate::domain::{Location, TechnicianId, Visit, paris_time};
use crate::forfait::Grid;
use crate::log::{LogError, Store};
use crate::worktime::Settings;

/// Time at a farm whose asked acts the company grid cannot price (an act with no national
/// minimum and no company value): a visit still takes time.
pub const UNPRICED_SERVICE_SECONDS: u32 = 15 * 60;

/// A day of one technician, as the planner sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct DayRound {
    pub problem: Problem,
    pub progress: DayProgress,
    /// The day's visits (cancelled ones left out), in the problem's order.
    pub visits: Vec<Visit>,
    /// The order recorded for the day (by the planner or by hand), if any.
    pub recorded: Option<Vec<String>>,
}

fn seconds_of_day(t: chrono::NaiveTime) -> u32 {
    use chrono::Timelike;
    t.num_seconds_from_midnight()
}

/// Reads `technician`'s visits of `day` from the store as a problem: from home (or the first
/// farm when no home is set) and back, within the company's working day (`round_from`,
/// `round_to`: 07:30 to 19:00 by default), at its average speed and road factor.
/// `None` when the day has no visit.
pub fn day_round(
    store: &Store,
    technician: &TechnicianId,
    day: NaiveDate,
    grid: &Grid,
    settings: &Settings,
) -> Result<Option<DayRound>, LogError> {
    let mut visits = Vec::new();
    for v in store.visits_on(technician, day)? {
        if store.cancellation(&v.id)?.is_none() {
            visits.push(v);
        }
    }
    if visits.is_empty() {
        return Ok(None);
    }
    visits.sort_by(|a, b| a.id.cmp(&b.id));
    let mut plan_visits = Vec::with_capacity(visits.len());
    let mut first: Option<Location> = None;
    let mut done = Vec::new();
    let mut under_way = None;
    for v in &visits {
        let Some(farm) = store.farm(&v.farm)? else {
            continue;
        };
        first.get_or_insert(farm.location);
        plan_visits.push(VisitToPlan {
            id: v.id.as_str().to_owned(),
            location: farm.location,
            service_seconds: service_seconds(grid, &v.requested)
                .unwrap_or(UNPRICED_SERVICE_SECONDS),
            window: v.window.map(|(from, to)| Window {
                from: seconds_of_day(from),
                to: seconds_of_day(to),
            }),
            closed: store
                .closed_hours(&v.farm)?
                .iter()
                .map(|c| Window {
                    from: u32::from(c.from) * 60,
                    to: u32::from(c.to) * 60,
                })
                .collect(),
            urgency: v.urgency,
        });
        match (&v.arrived, &v.left) {
            (Some(a), Some(l)) => done.push(super::Done {
                id: v.id.as_str().to_owned(),
                arrived: seconds_of_day(paris_time(a)),
                left: seconds_of_day(paris_time(l)).max(seconds_of_day(paris_time(a))),
            }),
            (Some(a), None) => under_way = Some((v.id.as_str().to_owned(), paris_time(a))),
            _ => {}
        }
    }
    let Some(first) = first else {
        return Ok(None);
    };
    // Checked when the company's settings were read; the defaults if they somehow are not.
    let (from, to) = settings
        .round_day()
        .unwrap_or((7 * 3_600 + 30 * 60, 19 * 3_600));
    done.sort_by_key(|d: &Done| (d.arrived, d.id.clone()));
    let home = store
        .technician(technician)?
        .and_then(|t| t.home)
        .unwrap_or(first);
    let progress = DayProgress {
        done,
        pinned_first: under_way.as_ref().map(|(id, _)| id.clone()),
        now: under_way.map(|(_, at)| seconds_of_day(at)),
    };
    let recorded = store
        .round_order(technician, day)?
        .map(|o| o.iter().map(|v| v.as_str().to_owned()).collect());
    // Visits at a farm the store does not hold cannot be placed: left out of the problem,
    // they are still listed by the screen (at the end).
    let kept: Vec<Visit> = visits
        .into_iter()
        .filter(|v| plan_visits.iter().any(|p| p.id == v.id.as_str()))
        .collect();
    Ok(Some(DayRound {
        problem: Problem {
            start: home,
            end: home,
            day: Window { from, to },
            travel: Travel::Road {
                speed_kmh: settings.average_speed_kmh,
                road_factor: settings.road_factor,
            },
            visits: plan_visits,
        },
        progress,
        visits: kept,
        recorded,
    }))
}
