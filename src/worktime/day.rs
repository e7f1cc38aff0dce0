//! One day of one technician: acts priced, travel legs, declared time, the recorded span, the
//! total under the company's method, and the day's own flags.
//!
//! Not for what needs other days (rest since the day before, weeks, years: `period`).

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, Weekday};
use geo::{Distance, Haversine, Point};
use serde::Serialize;

use super::holidays::{Holiday, holiday_on};
use super::settings::{Method, Settings};
use super::{Declared, Flag, Source, WorkTimeError, WorkedVisit};
use crate::domain::{ActId, ActKind, Ede, Instant, Location, OtherTimeKind, VisitId};
use crate::forfait::{Grid, Origin};

/// Where the technician lives and where the farms are, for distances nobody recorded.
pub(super) struct Places<'a> {
    pub home: Option<Location>,
    pub farms: HashMap<&'a Ede, Location>,
}

/// A day's figures, each with what it is made of.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DaySheet {
    pub date: NaiveDate,
    /// Flat-rate seconds of the day's acts.
    pub forfait_seconds: u64,
    /// Counted travel (legs with `counted`).
    pub travel_seconds: u64,
    /// Declared other time.
    pub other_seconds: u64,
    /// The day's work time under the company's method.
    pub total_seconds: u64,
    pub flags: Vec<Flag>,
    /// Time at farms from recorded arrivals and departures.
    pub recorded_visit_seconds: u64,
    /// First recorded arrival to last recorded departure.
    pub span: Option<Span>,
    /// When work began and ended, counted home trips included (from recorded times).
    pub work_start: Option<Instant>,
    pub work_end: Option<Instant>,
    /// Rest since the previous working day's end, when both ends are known.
    pub rest_before_seconds: Option<u64>,
    /// The longest pause seen between two farms.
    pub longest_pause_seconds: u64,
    pub holiday: Option<Holiday>,
    /// Recovery owed for a Sunday or holiday worked (time + majoration); 0 otherwise.
    pub recovery_owed_seconds: u64,
    /// Hours worked on 1 May (statutory indemnity, not recovery).
    pub may_day_seconds: u64,
    pub visits: Vec<VisitLine>,
    pub travel: Vec<TravelLeg>,
    pub declared: Vec<DeclaredLine>,
}

/// First and last recorded instants of a day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Span {
    pub start: Instant,
    pub end: Instant,
    pub seconds: u64,
}

/// A visit of the day and what it counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VisitLine {
    pub visit: VisitId,
    pub farm: Ede,
    pub arrived: Option<Instant>,
    pub left: Option<Instant>,
    pub forfait_seconds: u64,
    /// Departure minus arrival, when both are recorded.
    pub recorded_seconds: Option<u64>,
    /// What the visit adds to the total under the company's method, and from where.
    pub counted_seconds: u64,
    pub source: Source,
    pub acts: Vec<ActLine>,
}

/// An act and its flat-rate seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActLine {
    pub act: ActId,
    pub kind: ActKind,
    pub count: u32,
    pub seconds: u32,
    /// Company grid or Annexe I (`Grid::breakdown` gives the tiers).
    pub origin: Origin,
}

/// One end of a trip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TripEnd {
    Home,
    Visit(VisitId),
}

/// A trip and the seconds it counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TravelLeg {
    pub from: TripEnd,
    pub to: TripEnd,
    /// The distance used, when one was (recorded, or estimated: see `source`).
    pub km: Option<f64>,
    pub seconds: u64,
    pub source: Source,
    /// Whether the leg counts as work (home trips depend on the company's settings).
    pub counted: bool,
    /// Part of a recorded gap that was a pause, not travel.
    pub pause_seconds: u64,
}

/// Declared time of the day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeclaredLine {
    pub kind: OtherTimeKind,
    pub seconds: u64,
    pub note: Option<String>,
    pub source: Source,
}

fn between(a: &Instant, b: &Instant) -> u64 {
    u64::try_from((*b - *a).num_seconds()).unwrap_or(0)
}

/// A drive's km and source: recorded km, else straight line × road factor.
fn drive_km(
    recorded: Option<f64>,
    from: Option<Location>,
    to: Option<Location>,
    s: &Settings,
) -> Option<(f64, Source)> {
    if let Some(km) = recorded.filter(|k| k.is_finite() && *k >= 0.0) {
        return Some((km, Source::KmEstimate));
    }
    let (a, b) = (from?, to?);
    let metres = Haversine.distance(Point::new(a.lon, a.lat), Point::new(b.lon, b.lat));
    let km = (metres / 1_000.0 * s.road_factor * 10.0).round() / 10.0;
    km.is_finite().then_some((km, Source::DistanceEstimate))
}

/// A leg estimated from its distance, or missing.
fn estimated(
    from: TripEnd,
    to: TripEnd,
    drive: Option<(f64, Source)>,
    counted: bool,
    s: &Settings,
) -> TravelLeg {
    let (km, seconds, source) = match drive {
        Some((km, source)) => (Some(km), s.drive_seconds(km), source),
        None => (None, 0, Source::Missing),
    };
    TravelLeg {
        from,
        to,
        km,
        seconds,
        source,
        counted,
        pause_seconds: 0,
    }
}

/// The sheet of one day; `visits` are the technician's visits of that day, any order.
pub(super) fn sheet(
    date: NaiveDate,
    visits: &mut [WorkedVisit<'_>],
    declared: &[&Declared],
    places: &Places<'_>,
    s: &Settings,
    grid: &Grid,
) -> Result<DaySheet, WorkTimeError> {
    // Visits with neither a recorded arrival nor an act were not done: they count nothing.
    visits.sort_by(|a, b| {
        (a.visit.arrived.is_none(), a.visit.arrived, &a.visit.id).cmp(&(
            b.visit.arrived.is_none(),
            b.visit.arrived,
            &b.visit.id,
        ))
    });
    let done: Vec<&WorkedVisit<'_>> = visits
        .iter()
        .filter(|v| v.visit.arrived.is_some() || !v.acts.is_empty())
        .collect();

    let mut lines = Vec::with_capacity(done.len());
    for v in &done {
        let mut acts = Vec::with_capacity(v.acts.len());
        for a in v.acts {
            let seconds =
                grid.seconds(a.kind, a.count)
                    .map_err(|source| WorkTimeError::Unpriced {
                        act: a.id.clone(),
                        visit: v.visit.id.clone(),
                        day: date,
                        source,
                    })?;
            let origin = grid.rate(a.kind).map_or(Origin::AnnexeI, |r| r.origin);
            acts.push(ActLine {
                act: a.id.clone(),
                kind: a.kind,
                count: a.count,
                seconds,
                origin,
            });
        }
        let forfait: u64 = acts.iter().map(|a| u64::from(a.seconds)).sum();
        let recorded = match (&v.visit.arrived, &v.visit.left) {
            (Some(a), Some(l)) => Some(between(a, l)),
            _ => None,
        };
        let (counted, source) = match (s.method, recorded) {
            (Method::Recorded, Some(r)) => (r, Source::Recorded),
            _ => (forfait, Source::FlatRate),
        };
        lines.push(VisitLine {
            visit: v.visit.id.clone(),
            farm: v.visit.farm.clone(),
            arrived: v.visit.arrived,
            left: v.visit.left,
            forfait_seconds: forfait,
            recorded_seconds: recorded,
            counted_seconds: counted,
            source,
            acts,
        });
    }

    let travel = legs(&done, places, s);
    let forfait_seconds: u64 = lines.iter().map(|l| l.forfait_seconds).sum();
    let travel_seconds: u64 = travel.iter().filter(|l| l.counted).map(|l| l.seconds).sum();
    let declared: Vec<DeclaredLine> = declared
        .iter()
        .map(|d| DeclaredLine {
            kind: d.kind,
            seconds: u64::from(d.seconds),
            note: d.note.clone(),
            source: Source::Declared,
        })
        .collect();
    let other_seconds: u64 = declared.iter().map(|d| d.seconds).sum();
    let at_farms: u64 = match s.method {
        Method::FlatRate => forfait_seconds,
        Method::Recorded => lines.iter().map(|l| l.counted_seconds).sum(),
    };
    let total_seconds = at_farms + travel_seconds + other_seconds;

    // The recorded timeline: visits with an arrival come first in `done`.
    let start = done.iter().filter_map(|v| v.visit.arrived).min();
    let end = done
        .iter()
        .filter_map(|v| v.visit.left.or(v.visit.arrived))
        .max();
    let span = start.zip(end).map(|(start, end)| Span {
        seconds: between(&start, &end),
        start,
        end,
    });
    let counted_leg = |l: Option<&TravelLeg>| {
        chrono::Duration::seconds(l.filter(|l| l.counted).map_or(0, |l| l.seconds as i64))
    };
    let work_start = start.map(|t| t - counted_leg(travel.first()));
    let work_end = end.map(|t| {
        let home = travel.last().filter(|l| l.to == TripEnd::Home);
        t + counted_leg(home)
    });
    let longest_pause_seconds = travel.iter().map(|l| l.pause_seconds).max().unwrap_or(0);

    let holiday = holiday_on(date, s.alsace_moselle);
    let mut flags = Vec::new();
    if total_seconds > s.daily_max_seconds() {
        flags.push(Flag::OverDailyMax);
    }
    if total_seconds >= s.break_after_seconds() && longest_pause_seconds < s.break_seconds() {
        flags.push(Flag::MissingBreak);
    }
    let worked = total_seconds > 0;
    let sunday = worked && date.weekday() == Weekday::Sun;
    if sunday {
        flags.push(Flag::Sunday);
    }
    if worked && holiday.is_some() {
        flags.push(Flag::PublicHoliday);
    }
    let may_day = holiday == Some(Holiday::MayDay);
    let owes_recovery = sunday || (worked && holiday.is_some() && !may_day);
    Ok(DaySheet {
        date,
        forfait_seconds,
        travel_seconds,
        other_seconds,
        total_seconds,
        flags,
        recorded_visit_seconds: lines.iter().filter_map(|l| l.recorded_seconds).sum(),
        span,
        work_start,
        work_end,
        rest_before_seconds: None,
        longest_pause_seconds,
        holiday,
        recovery_owed_seconds: if owes_recovery {
            s.recovery_seconds(total_seconds)
        } else {
            0
        },
        may_day_seconds: if may_day { total_seconds } else { 0 },
        visits: lines,
        travel,
        declared,
    })
}

/// The day's trips: home to the first farm, farm to farm, the last farm home.
fn legs(done: &[&WorkedVisit<'_>], places: &Places<'_>, s: &Settings) -> Vec<TravelLeg> {
    let Some(first) = done.first() else {
        return Vec::new();
    };
    let at = |v: &WorkedVisit<'_>| places.farms.get(&v.visit.farm).copied();
    let stop = |v: &WorkedVisit<'_>| TripEnd::Visit(v.visit.id.clone());
    let mut out = Vec::with_capacity(done.len() + 1);
    out.push(estimated(
        TripEnd::Home,
        stop(first),
        drive_km(first.visit.travel_km, places.home, at(first), s),
        s.count_trip_from_home,
        s,
    ));
    for pair in done.windows(2) {
        let (prev, next) = (pair[0], pair[1]);
        let drive = drive_km(next.visit.travel_km, at(prev), at(next), s);
        let leg = match (&prev.visit.left, &next.visit.arrived) {
            (Some(left), Some(arrived)) => {
                let gap = between(left, arrived);
                match drive {
                    // The gap holds a pause: count the drive, set the rest apart.
                    Some((km, source)) if gap >= s.drive_seconds(km) + s.break_seconds() => {
                        TravelLeg {
                            pause_seconds: gap - s.drive_seconds(km),
                            ..estimated(stop(prev), stop(next), Some((km, source)), true, s)
                        }
                    }
                    _ => TravelLeg {
                        from: stop(prev),
                        to: stop(next),
                        km: drive.map(|(km, _)| km),
                        seconds: gap,
                        source: Source::Recorded,
                        counted: true,
                        pause_seconds: 0,
                    },
                }
            }
            _ => estimated(stop(prev), stop(next), drive, true, s),
        };
        out.push(leg);
    }
    let last = done.last().unwrap_or(first);
    out.push(estimated(
        stop(last),
        TripEnd::Home,
        drive_km(None, at(last), places.home, s),
        s.count_trip_home,
        s,
    ));
    out
}
