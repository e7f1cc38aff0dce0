//! Work time as IDCC 7021 and the Labour Code count it: day sheets, weeks and year counters of
//! one technician, with the legal limits checked and every figure's source said.
//!
//! Pure functions over domain values: no storage, screen or PDF here. The caller reads the log
//! (current acts, corrections applied; cancelled visits left out) and hands over plain values;
//! `Report` is what the CLI prints as JSON or CSV and what a screen or a monthly statement
//! renders. Reviews (approve, send back) are events of the log, not computed here.
//!
//! # Day sheets
//! - **Flat rate** (`forfait_seconds`, source `flat_rate`): each act's seconds from the grid
//!   (company grid, never below Annexe I). An act the grid cannot price (no national minimum
//!   and no company value, a lot beyond Annexe I) stops the report with an error naming it:
//!   a legal figure is not computed with a hole in it.
//! - **Travel** (`travel_seconds`), one leg per trip, each with its source: between two farms,
//!   from the recorded departure and arrival when both exist (`recorded`), else the leg's
//!   recorded km at the average speed (`km_estimate`), else the straight-line distance between
//!   the farms times the road factor at the average speed (`distance_estimate`), else nothing
//!   (`missing`, 0 s). Home to the first farm and the last farm home are estimated the same way
//!   (no recorded time exists for leaving or reaching home) and count only if the company says
//!   so (`count_trip_from_home`, `count_trip_home`). A recorded gap between two farms longer
//!   than the drive by at least the break length (20 min) holds a **pause**: the leg counts
//!   the drive, the rest is the pause (so a lunch is neither work nor unseen).
//! - **Other** (`other_seconds`, source `declared`): time declared for stock, admin,
//!   meetings, training.
//! - **Span**: first recorded arrival to last recorded departure, as it happened.
//! - **Total**: `flat_rate` method: flat rate + travel + other; `recorded` method: recorded
//!   time at each farm (the flat rate for a visit without both times) + travel + other.
//!
//! # Flags
//! Day: `over_daily_max` (total above 10 h), `short_daily_rest` (less than 11 h from the end
//! of the previous working day, home trip included when counted, to the start of this one,
//! across midnight as it falls), `missing_break` (total of 6 h or more and no pause of
//! 20 min seen), `sunday`, `public_holiday`. Week (ISO): `over_weekly_max` (above 48 h),
//! `over_12_week_average` (this week and the 11 before average above 44 h; weeks without work
//! count as 0 h). Rest and breaks need recorded times: a day without them is not flagged for
//! them.
//!
//! # Year counters (per modulation year, from `year_start`)
//! - Running total against the annual ceiling (1,607 h), with the day it was crossed.
//! - Overtime: under annual modulation (CCN art. 58) the hours beyond the annual ceiling are
//!   overtime (Labour Code L3121-41); the counter is the running total's excess over the
//!   ceiling, against the 180 h allowance (CCN art. 53). A company with weekly overtime
//!   thresholds needs more than this counter.
//! - Recovery owed: each Sunday or public holiday worked owes the time worked plus the
//!   majoration (at least 25 %, CCN art. 49, 50), counted once when a holiday falls on a
//!   Sunday. 1 May follows the statutory rule instead (an indemnity equal to the day's pay,
//!   L3133-6): its hours are counted apart (`may_day_seconds`), not as recovery.
//!
//! # History
//! Rest, the 12-week average and the year counters look before `from`: the input should hold
//! the technician's days from [`history_start`] on. Days before that are ignored.

mod csv;
mod day;
pub mod holidays;
mod period;
pub mod settings;
pub mod statement;
mod store;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;

use crate::domain::{Act, ActId, Ede, Farm, Location, OtherTimeKind, TechnicianId, Visit, VisitId};
use crate::forfait::{ForfaitError, Grid};

pub use csv::to_csv;
pub use day::{ActLine, DaySheet, DeclaredLine, Span, TravelLeg, TripEnd, VisitLine};
pub use holidays::{Holiday, easter, holiday_on};
pub use period::{WeekSheet, YearCounters};
pub use settings::{Method, Settings};
pub use store::{FromStoreError, company_rules, report_from_store};

/// The longest period one report covers: ten years of days.
pub const MAX_DAYS: i64 = 3_660;

/// Why settings or a report were refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WorkTimeError {
    /// The settings file does not read: not TOML, an unknown key, a value of the wrong type.
    #[error("settings, line {line}: {key}: {message}")]
    SettingsSyntax {
        line: usize,
        key: String,
        message: String,
    },
    /// A setting out of range, or less protective than the law.
    #[error("settings: {key}: {value} is not valid: expected {expected}")]
    Setting {
        key: String,
        value: String,
        expected: String,
    },
    /// An act the grid cannot price.
    #[error("act {act} of visit {visit} on {day}: {source}")]
    Unpriced {
        act: ActId,
        visit: VisitId,
        day: NaiveDate,
        source: ForfaitError,
    },
    /// A period that is not one.
    #[error(
        "period: {from} to {to} is not valid: expected a first day before the last, at most {MAX_DAYS} days"
    )]
    Period { from: NaiveDate, to: NaiveDate },
}

/// Where a figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Flat-rate seconds of acts (company grid, never below Annexe I).
    FlatRate,
    /// Recorded times (arrival, departure).
    Recorded,
    /// Recorded km at the company's average speed.
    KmEstimate,
    /// Straight-line distance times the road factor, at the average speed.
    DistanceEstimate,
    /// Time the technician declared.
    Declared,
    /// Nothing to compute it from: counted as 0.
    Missing,
}

impl Source {
    /// The stable name, as in the JSON.
    pub fn id(self) -> &'static str {
        match self {
            Source::FlatRate => "flat_rate",
            Source::Recorded => "recorded",
            Source::KmEstimate => "km_estimate",
            Source::DistanceEstimate => "distance_estimate",
            Source::Declared => "declared",
            Source::Missing => "missing",
        }
    }
}

/// A limit reached or a day that owes something. Names are stable: they are in the JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Flag {
    #[serde(rename = "over_daily_max")]
    OverDailyMax,
    #[serde(rename = "short_daily_rest")]
    ShortDailyRest,
    #[serde(rename = "over_weekly_max")]
    OverWeeklyMax,
    #[serde(rename = "over_12_week_average")]
    Over12WeekAverage,
    #[serde(rename = "missing_break")]
    MissingBreak,
    #[serde(rename = "sunday")]
    Sunday,
    #[serde(rename = "public_holiday")]
    PublicHoliday,
}

impl Flag {
    /// The stable name, as in the JSON and CSV.
    pub fn id(self) -> &'static str {
        match self {
            Flag::OverDailyMax => "over_daily_max",
            Flag::ShortDailyRest => "short_daily_rest",
            Flag::OverWeeklyMax => "over_weekly_max",
            Flag::Over12WeekAverage => "over_12_week_average",
            Flag::MissingBreak => "missing_break",
            Flag::Sunday => "sunday",
            Flag::PublicHoliday => "public_holiday",
        }
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Flag::OverDailyMax => "Durée quotidienne maximale dépassée",
            Flag::ShortDailyRest => "Repos quotidien insuffisant",
            Flag::OverWeeklyMax => "Durée hebdomadaire maximale dépassée",
            Flag::Over12WeekAverage => "Moyenne sur 12 semaines dépassée",
            Flag::MissingBreak => "Pause de 20 minutes non prise",
            Flag::Sunday => "Travail le dimanche",
            Flag::PublicHoliday => "Travail un jour férié",
        }
    }
}

/// One visit with its current acts.
#[derive(Debug, Clone, Copy)]
pub struct WorkedVisit<'a> {
    pub visit: &'a Visit,
    pub acts: &'a [Act],
}

/// Time declared by the technician for a day (domain `Payload::TimeDeclared`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Declared {
    pub day: NaiveDate,
    pub kind: OtherTimeKind,
    pub seconds: u32,
    pub note: Option<String>,
}

/// What a report is computed from: one technician's records.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub technician: &'a TechnicianId,
    /// Where the technician's day starts and ends.
    pub home: Option<Location>,
    /// The farms visited (for straight-line distances); others are simply not found.
    pub farms: &'a [Farm],
    /// Visits of the technician; others are ignored.
    pub visits: &'a [WorkedVisit<'a>],
    pub declared: &'a [Declared],
}

/// A technician's work time over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub technician: TechnicianId,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub method: Method,
    /// Every day from `from` to `to`, worked or not.
    pub days: Vec<DaySheet>,
    /// Every ISO week that has a day in the period, whole (days before `from` included).
    pub weeks: Vec<WeekSheet>,
    /// Every modulation year that has a day in the period, as of `to` (or its last day).
    pub years: Vec<YearCounters>,
}

/// The first day the input must hold for a report from `from`: the start of its modulation
/// year, the Monday `average_weeks - 1` weeks before its week, and the day before it,
/// whichever is earliest.
pub fn history_start(from: NaiveDate, settings: &Settings) -> Result<NaiveDate, WorkTimeError> {
    let (year_start, _) = settings.modulation_year(from)?;
    let monday = from - Duration::days(i64::from(from.weekday().num_days_from_monday()));
    let weeks_back = monday - Duration::weeks(i64::from(settings.average_weeks.max(1) - 1));
    let day_before = from.pred_opt().unwrap_or(from);
    Ok(year_start.min(weeks_back).min(day_before))
}

/// The work-time report of one technician from `from` to `to` (both included).
pub fn report(
    input: &Input<'_>,
    from: NaiveDate,
    to: NaiveDate,
    settings: &Settings,
    grid: &Grid,
) -> Result<Report, WorkTimeError> {
    if to < from || (to - from).num_days() >= MAX_DAYS {
        return Err(WorkTimeError::Period { from, to });
    }
    settings.check()?;
    let start = history_start(from, settings)?;

    let mut visits: BTreeMap<NaiveDate, Vec<WorkedVisit<'_>>> = BTreeMap::new();
    for v in input.visits {
        if v.visit.technician == *input.technician && (start..=to).contains(&v.visit.day) {
            visits.entry(v.visit.day).or_default().push(*v);
        }
    }
    let mut declared: BTreeMap<NaiveDate, Vec<&Declared>> = BTreeMap::new();
    for d in input.declared {
        if (start..=to).contains(&d.day) {
            declared.entry(d.day).or_default().push(d);
        }
    }
    let places = day::Places {
        home: input.home,
        farms: input
            .farms
            .iter()
            .map(|f| (&f.ede, f.location))
            .collect::<HashMap<&Ede, Location>>(),
    };

    let mut days: Vec<DaySheet> = Vec::with_capacity((to - start).num_days() as usize + 1);
    let mut date = start;
    while date <= to {
        let mut of_day = visits.remove(&date).unwrap_or_default();
        let decl = declared.remove(&date).unwrap_or_default();
        days.push(day::sheet(
            date,
            &mut of_day,
            &decl,
            &places,
            settings,
            grid,
        )?);
        date += Duration::days(1);
    }
    period::flag_rest(&mut days, settings);
    let weeks = period::weeks(&days, from, to, settings);
    let years = period::years(&days, from, to, settings)?;
    let first = days.iter().position(|d| d.date == from).unwrap_or(0);
    days.drain(..first);
    Ok(Report {
        technician: input.technician.clone(),
        from,
        to,
        method: settings.method,
        days,
        weeks,
        years,
    })
}
