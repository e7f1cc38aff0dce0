//! The JSON form of a problem and of a plan, as `tournee plan` reads and prints them.
//!
//! Not the exchange format (`exchange`): a planning problem is a question, not a record.
//! Times of day are local `HH:MM`; a visit's service time is given in seconds, or as the acts
//! expected (priced by the flat-rate grid).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    DayProgress, Done, Matrix, Plan, Problem, TourError, Travel, Violation, VisitToPlan, Window,
    format_time_of_day, parse_time_of_day,
};
use crate::domain::{Location, Request, Urgency};
use crate::forfait::{ForfaitError, Grid};

/// Default average speed (km/h) when the input gives none: country roads with villages.
pub const DEFAULT_SPEED_KMH: f64 = 50.0;
/// Default ratio of road to straight-line distance (rural France is about 1.3).
pub const DEFAULT_ROAD_FACTOR: f64 = 1.3;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    start: Location,
    end: Option<Location>,
    day: Span,
    speed_kmh: Option<f64>,
    road_factor: Option<f64>,
    matrix: Option<MatrixInput>,
    visits: Vec<VisitInput>,
    #[serde(default)]
    done: Vec<DoneInput>,
    pinned_first: Option<String>,
    now: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Span {
    from: String,
    to: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MatrixInput {
    meters: Vec<Vec<u32>>,
    seconds: Vec<Vec<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VisitInput {
    id: String,
    lat: f64,
    lon: f64,
    service_seconds: Option<u32>,
    #[serde(default)]
    acts: Vec<Request>,
    window: Option<Span>,
    #[serde(default)]
    closed: Vec<Span>,
    #[serde(default)]
    urgency: Urgency,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DoneInput {
    id: String,
    arrived: String,
    left: String,
}

/// The longest stay at one farm a problem may ask, in seconds: 12 hours.
pub const MAX_SERVICE_SECONDS: u32 = 12 * 3_600;
/// The longest drive between two points of a round, in seconds: 6 hours.
pub const MAX_LEG_SECONDS: u32 = 6 * 3_600;
/// The longest road between two points of a round, in metres: 600 km.
pub const MAX_LEG_METERS: u32 = 600_000;

/// Refuses a matrix entry no round can hold (4,294,967,295 s printed a return at "1193046:28").
fn check_matrix(name: &str, rows: &[Vec<u32>], max: u32, what: &str) -> Result<(), TourError> {
    for (i, row) in rows.iter().enumerate() {
        if let Some(j) = row.iter().position(|x| *x > max) {
            return Err(TourError::invalid(
                &format!("{name}[{i}][{j}]"),
                row[j],
                &format!("{what} from 0 to {max} between two points of a round"),
            ));
        }
    }
    Ok(())
}

/// The flat-rate seconds of the acts expected at a farm; a refusal names the act at fault.
fn priced(grid: &Grid, acts: &[Request], at: &str) -> Result<u32, TourError> {
    let mut total = 0u32;
    for (j, r) in acts.iter().enumerate() {
        let seconds = grid.seconds(r.kind, r.count).map_err(|e| match e {
            ForfaitError::Count { count, max, .. } => TourError::invalid(
                &format!("{at}.acts[{j}].count"),
                count,
                &format!("a number of animals from 1 to {max}"),
            ),
            e => TourError::Syntax {
                field: format!("{at}.acts[{j}]"),
                message: e.to_string(),
            },
        })?;
        total = total.saturating_add(seconds);
    }
    Ok(total)
}

/// A problem read from JSON, with where the day stands (done visits, pinned visit, now).
pub struct Question {
    pub problem: Problem,
    pub progress: DayProgress,
}

fn span(field: &str, s: &Span) -> Result<Window, TourError> {
    Ok(Window {
        from: parse_time_of_day(&format!("{field}.from"), &s.from)?,
        to: parse_time_of_day(&format!("{field}.to"), &s.to)?,
    })
}

/// Reads a problem. Errors name the field (`visits[2].window.from`), the value and what was
/// expected.
pub fn parse(text: &str, grid: &Grid) -> Result<Question, TourError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let input: Input = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        TourError::Syntax {
            field: if path == "." {
                "(document)".into()
            } else {
                path
            },
            message: e.inner().to_string(),
        }
    })?;
    de.end().map_err(|e| TourError::Syntax {
        field: "(document)".into(),
        message: format!("expected one JSON document: {e}"),
    })?;
    let travel = match input.matrix {
        Some(m) => {
            if input.speed_kmh.is_some() || input.road_factor.is_some() {
                return Err(TourError::invalid(
                    "matrix",
                    "a matrix with speed_kmh or road_factor",
                    "either a matrix or speed_kmh and road_factor, not both",
                ));
            }
            check_matrix(
                "matrix.seconds",
                &m.seconds,
                MAX_LEG_SECONDS,
                "seconds of driving",
            )?;
            check_matrix("matrix.meters", &m.meters, MAX_LEG_METERS, "metres of road")?;
            Travel::Matrix(Matrix {
                meters: m.meters,
                seconds: m.seconds,
            })
        }
        None => Travel::Road {
            speed_kmh: input.speed_kmh.unwrap_or(DEFAULT_SPEED_KMH),
            road_factor: input.road_factor.unwrap_or(DEFAULT_ROAD_FACTOR),
        },
    };
    let mut visits = Vec::with_capacity(input.visits.len());
    for (i, v) in input.visits.into_iter().enumerate() {
        let at = format!("visits[{i}]");
        let service = match (v.service_seconds, v.acts.is_empty()) {
            (Some(s), true) => s,
            (None, false) => priced(grid, &v.acts, &at)?,
            (Some(_), false) => {
                return Err(TourError::invalid(
                    &format!("{at}.acts"),
                    "both service_seconds and acts",
                    "either service_seconds or acts, not both",
                ));
            }
            (None, true) => {
                return Err(TourError::invalid(
                    &format!("{at}.service_seconds"),
                    "(missing)",
                    "the seconds spent at the farm, or the acts expected (acts)",
                ));
            }
        };
        let window = v
            .window
            .as_ref()
            .map(|w| span(&format!("{at}.window"), w))
            .transpose()?;
        let closed = v
            .closed
            .iter()
            .enumerate()
            .map(|(k, c)| span(&format!("{at}.closed[{k}]"), c))
            .collect::<Result<Vec<_>, _>>()?;
        if service > MAX_SERVICE_SECONDS {
            return Err(TourError::invalid(
                &format!("{at}.service_seconds"),
                service,
                &format!(
                    "at most {MAX_SERVICE_SECONDS} seconds (12 hours) at one farm, the acts' flat rate included"
                ),
            ));
        }
        visits.push(VisitToPlan {
            id: v.id,
            location: Location {
                lat: v.lat,
                lon: v.lon,
            },
            service_seconds: service,
            window,
            closed,
            urgency: v.urgency,
        });
    }
    let done = input
        .done
        .iter()
        .enumerate()
        .map(|(i, d)| {
            Ok(Done {
                id: d.id.clone(),
                arrived: parse_time_of_day(&format!("done[{i}].arrived"), &d.arrived)?,
                left: parse_time_of_day(&format!("done[{i}].left"), &d.left)?,
            })
        })
        .collect::<Result<Vec<_>, TourError>>()?;
    let now = input
        .now
        .as_deref()
        .map(|n| parse_time_of_day("now", n))
        .transpose()?;
    Ok(Question {
        problem: Problem {
            start: input.start,
            end: input.end.unwrap_or(input.start),
            day: span("day", &input.day)?,
            travel,
            visits,
        },
        progress: DayProgress {
            done,
            pinned_first: input.pinned_first,
            now,
        },
    })
}

/// The plan as `tournee plan` prints it.
#[derive(Debug, Serialize)]
pub struct Output {
    pub order: Vec<String>,
    pub arrivals: BTreeMap<String, String>,
    pub departures: BTreeMap<String, String>,
    pub km: f64,
    pub drive_seconds: u64,
    pub back_at: String,
    pub violations: Vec<ViolationOutput>,
    pub unplanned: Vec<String>,
}

/// A violation with its delay also as `H:MM`, for a person reading the output.
#[derive(Debug, Serialize)]
pub struct ViolationOutput {
    #[serde(flatten)]
    pub violation: Violation,
    pub by: String,
}

/// The printed form of a plan.
pub fn output(plan: &Plan) -> Output {
    let by = |s: u32| format!("{}:{:02}", s / 3_600, s % 3_600 / 60);
    Output {
        order: plan.order(),
        arrivals: plan
            .stops
            .iter()
            .map(|s| (s.id.clone(), format_time_of_day(s.arrival)))
            .collect(),
        departures: plan
            .stops
            .iter()
            .map(|s| (s.id.clone(), format_time_of_day(s.departure)))
            .collect(),
        km: (plan.meters as f64 / 10.0).round() / 100.0,
        drive_seconds: plan.drive_seconds,
        back_at: format_time_of_day(plan.back_at),
        violations: plan
            .violations
            .iter()
            .map(|v| ViolationOutput {
                by: by(match v {
                    Violation::Late { by_seconds, .. } | Violation::AfterDayEnd { by_seconds } => {
                        *by_seconds
                    }
                }),
                violation: v.clone(),
            })
            .collect(),
        unplanned: plan.unplanned.clone(),
    }
}
