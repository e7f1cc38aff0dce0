//! Females to watch on a day: what the technician tells the farmer at the visit, before any
//! rate is known. Built on the same histories as the figures ([`Herd`]).
//!
//! - **Heat to watch**: last service 18 to 24 days ago (a return would show now).
//! - **Check due**: last service 28 to 120 days ago, no pregnancy check since.
//! - **Three or more**: 3 services or more since her last check found her pregnant, the last
//!   one within 120 days, not found pregnant since.

use chrono::NaiveDate;
use serde::Serialize;

use super::fertility::{CHECK_FROM_DAYS, CHECK_TO_DAYS, Herd, THREE_OR_MORE};
use crate::domain::{AnimalId, Ede};

/// A return to heat is expected this many days after a service...
pub const HEAT_WATCH_FROM_DAYS: i64 = 18;
/// ... up to this many.
pub const HEAT_WATCH_TO_DAYS: i64 = 24;

/// Why a female is to watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    HeatToWatch,
    CheckDue,
    ThreeOrMore,
}

/// One female to watch, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToWatch {
    pub animal: AnimalId,
    pub reason: Reason,
    /// Her last service's day, and how many days ago it was.
    pub last_service: NaiveDate,
    pub days_since: i64,
    /// Her services since she was last found pregnant.
    pub services: usize,
}

/// The females of `farm` (whose last service was there) to watch on `today`, by reason, then
/// the longest wait first. A female may show for two reasons (a heat to watch on her third
/// service).
pub fn to_watch(herd: &Herd, farm: Option<&Ede>, today: NaiveDate) -> Vec<ToWatch> {
    let mut out = Vec::new();
    for (animal, female) in &herd.females {
        let Some(last) = female.services.last() else {
            continue;
        };
        if farm.is_some_and(|f| f != &last.farm) || last.day > today {
            continue;
        }
        let days_since = (today - last.day).num_days();
        let last_pregnant = female
            .checks
            .iter()
            .filter(|c| c.pregnant)
            .map(|c| c.day)
            .max();
        let checked_since = female.checks.iter().any(|c| c.day > last.day);
        let services = female
            .services
            .iter()
            .filter(|s| last_pregnant.is_none_or(|p| s.day > p))
            .count();
        let mut push = |reason| {
            out.push(ToWatch {
                animal: animal.clone(),
                reason,
                last_service: last.day,
                days_since,
                services,
            })
        };
        if (HEAT_WATCH_FROM_DAYS..=HEAT_WATCH_TO_DAYS).contains(&days_since) {
            push(Reason::HeatToWatch);
        }
        let in_check_window = (CHECK_FROM_DAYS as i64..=CHECK_TO_DAYS as i64).contains(&days_since);
        if in_check_window && !checked_since {
            push(Reason::CheckDue);
        }
        let pregnant_since = last_pregnant.is_some_and(|p| p > last.day);
        if services >= THREE_OR_MORE && days_since <= CHECK_TO_DAYS as i64 && !pregnant_since {
            push(Reason::ThreeOrMore);
        }
    }
    out.sort_by(|a, b| {
        (a.reason, -a.days_since, &a.animal).cmp(&(b.reason, -b.days_since, &b.animal))
    });
    out
}
