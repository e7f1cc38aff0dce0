//! The problem checked and turned into flat tables: driving times and distances between
//! every two nodes (from coordinates or an imported matrix), service times, windows and
//! closed hours in seconds of the day.

use geo::{Distance, Haversine, Point};

use super::{Instance, Timing};
use crate::domain::Urgency;
use crate::tour::{DAY_SECONDS, MAX_VISITS, Problem, TourError, Travel, Window};

fn check_window(field: &str, w: &Window, limit: u32) -> Result<(), TourError> {
    if w.from > w.to || w.to > limit {
        return Err(TourError::invalid(
            field,
            format!(
                "{}-{}",
                crate::tour::format_time_of_day(w.from),
                crate::tour::format_time_of_day(w.to)
            ),
            "a span of the day whose end is not before its start",
        ));
    }
    Ok(())
}

fn location_error(e: crate::domain::DomainError) -> TourError {
    TourError::Invalid {
        field: e.field,
        value: e.value,
        expected: e.expected,
    }
}

impl Instance {
    /// Checks the problem and builds the tables.
    pub fn new(p: &Problem) -> Result<Instance, TourError> {
        let n = p.visits.len();
        if n > MAX_VISITS {
            return Err(TourError::invalid(
                "visits",
                format!("{n} visits"),
                &format!("at most {MAX_VISITS} visits"),
            ));
        }
        p.start.validate("start").map_err(location_error)?;
        p.end.validate("end").map_err(location_error)?;
        check_window("day", &p.day, DAY_SECONDS)?;
        if p.day.from == p.day.to {
            return Err(TourError::invalid(
                "day",
                crate::tour::format_time_of_day(p.day.from),
                "a working day that lasts",
            ));
        }
        let mut ids: Vec<String> = Vec::with_capacity(n);
        let size = n + 2;
        let mut timing = vec![
            Timing {
                earliest: i64::MIN,
                latest: i64::MAX,
                service: 0,
            };
            size
        ];
        let mut closed = vec![Vec::new(); size];
        let mut urgent = vec![false; size];
        for (i, v) in p.visits.iter().enumerate() {
            let at = format!("visits[{i}]");
            if v.id.trim().is_empty() || v.id.chars().count() > 100 {
                return Err(TourError::invalid(
                    &format!("{at}.id"),
                    format!("{:?}", v.id),
                    "an id of 1 to 100 characters",
                ));
            }
            if ids.contains(&v.id) {
                return Err(TourError::invalid(
                    &format!("{at}.id"),
                    format!("{:?}", v.id),
                    "an id no other visit has",
                ));
            }
            v.location.validate(&at).map_err(location_error)?;
            if v.service_seconds > DAY_SECONDS {
                return Err(TourError::invalid(
                    &format!("{at}.service_seconds"),
                    v.service_seconds,
                    "seconds from 0 to 86400",
                ));
            }
            let node = i + 1;
            timing[node].service = i64::from(v.service_seconds);
            if let Some(w) = &v.window {
                check_window(&format!("{at}.window"), w, DAY_SECONDS)?;
                timing[node].earliest = i64::from(w.from);
                timing[node].latest = i64::from(w.to);
            }
            let mut spans: Vec<(i64, i64)> = Vec::with_capacity(v.closed.len());
            for (k, c) in v.closed.iter().enumerate() {
                check_window(&format!("{at}.closed[{k}]"), c, DAY_SECONDS)?;
                spans.push((i64::from(c.from), i64::from(c.to)));
            }
            closed[node] = merge_spans(spans);
            urgent[node] = v.urgency == Urgency::Urgent;
            ids.push(v.id.clone());
        }
        let (time, meters) = match &p.travel {
            Travel::Road {
                speed_kmh,
                road_factor,
            } => road_tables(p, *speed_kmh, *road_factor)?,
            Travel::Matrix(m) => matrix_tables(m, size)?,
        };
        Ok(Instance {
            n,
            ids,
            legs: time.into_iter().zip(meters).collect(),
            timing,
            closed,
            urgent,
            day_from: i64::from(p.day.from),
            day_to: i64::from(p.day.to),
        })
    }

    #[inline]
    pub(super) fn t(&self, a: usize, b: usize) -> i64 {
        self.legs[a * (self.n + 2) + b].0
    }

    #[inline]
    pub(super) fn m(&self, a: usize, b: usize) -> i64 {
        self.legs[a * (self.n + 2) + b].1
    }

    /// Driving seconds and metres from a to b.
    #[inline]
    pub(super) fn leg(&self, a: usize, b: usize) -> (i64, i64) {
        self.legs[a * (self.n + 2) + b]
    }

    pub(super) fn end(&self) -> usize {
        self.n + 1
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.ids.iter().position(|v| v == id).map(|i| i + 1)
    }

    /// The nodes of visit ids. `strict`: an unknown id is an error (a hand-made order);
    /// otherwise it is passed over (a previous order with a cancelled visit).
    pub fn indices_of(&self, ids: &[String], strict: bool) -> Result<Vec<usize>, TourError> {
        let mut out = Vec::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            match self.index_of(id) {
                Some(v) if out.contains(&v) => {
                    return Err(TourError::invalid(
                        &format!("order[{i}]"),
                        format!("{id:?}"),
                        "each visit once",
                    ));
                }
                Some(v) => out.push(v),
                None if strict => {
                    return Err(TourError::invalid(
                        &format!("order[{i}]"),
                        format!("{id:?}"),
                        "the id of a visit of the problem",
                    ));
                }
                None => {}
            }
        }
        Ok(out)
    }
}

/// Sorted, non-overlapping spans (closed hours given in any order, possibly overlapping).
fn merge_spans(mut spans: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    spans.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(spans.len());
    for (a, b) in spans {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// The slowest average speed a round is planned at, in km/h.
pub const MIN_SPEED_KMH: f64 = 5.0;
/// The fastest average speed a round is planned at, in km/h.
pub const MAX_SPEED_KMH: f64 = 130.0;
/// The largest ratio of road to straight-line distance (a mountain road is about 2).
pub const MAX_ROAD_FACTOR: f64 = 3.0;

fn road_tables(
    p: &Problem,
    speed_kmh: f64,
    road_factor: f64,
) -> Result<(Vec<i64>, Vec<i64>), TourError> {
    // Outside these, times of travel overflow or vanish (1e-300 km/h made every trip 0 s):
    // no tractor is slower, no country road faster on average.
    if !(speed_kmh.is_finite() && (MIN_SPEED_KMH..=MAX_SPEED_KMH).contains(&speed_kmh)) {
        return Err(TourError::invalid(
            "speed_kmh",
            speed_kmh,
            &format!("an average speed in km/h from {MIN_SPEED_KMH} to {MAX_SPEED_KMH}"),
        ));
    }
    if !(road_factor.is_finite() && (1.0..=MAX_ROAD_FACTOR).contains(&road_factor)) {
        return Err(TourError::invalid(
            "road_factor",
            road_factor,
            &format!("a ratio of road to straight-line distance from 1 to {MAX_ROAD_FACTOR}"),
        ));
    }
    let points: Vec<Point> = std::iter::once(&p.start)
        .chain(p.visits.iter().map(|v| &v.location))
        .chain(std::iter::once(&p.end))
        .map(|l| Point::new(l.lon, l.lat))
        .collect();
    let size = points.len();
    let mut time = vec![0i64; size * size];
    let mut meters = vec![0i64; size * size];
    let speed = speed_kmh / 3.6;
    for (a, pa) in points.iter().enumerate() {
        for (b, pb) in points.iter().enumerate() {
            let m = (Haversine.distance(*pa, *pb) * road_factor).round();
            meters[a * size + b] = m as i64;
            time[a * size + b] = (m / speed).round() as i64;
        }
    }
    Ok((time, meters))
}

fn matrix_tables(m: &crate::tour::Matrix, size: usize) -> Result<(Vec<i64>, Vec<i64>), TourError> {
    let expected = format!("{size} rows of {size} values (start, each visit, end)");
    let flat = |name: &str, rows: &[Vec<u32>]| -> Result<Vec<i64>, TourError> {
        if rows.len() != size {
            return Err(TourError::invalid(
                &format!("matrix.{name}"),
                format!("{} rows", rows.len()),
                &expected,
            ));
        }
        let mut out = Vec::with_capacity(size * size);
        for (i, r) in rows.iter().enumerate() {
            if r.len() != size {
                return Err(TourError::invalid(
                    &format!("matrix.{name}[{i}]"),
                    format!("{} values", r.len()),
                    &expected,
                ));
            }
            out.extend(r.iter().map(|x| i64::from(*x)));
        }
        Ok(out)
    };
    Ok((flat("seconds", &m.seconds)?, flat("meters", &m.meters)?))
}
