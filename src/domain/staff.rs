//! What is recorded about a technician's time besides acts: other declared time (stock, admin,
//! meetings, training) and the supervisor's review of a week.
//!
//! The computation of work time is `worktime`'s; these are only the recorded facts.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::DomainError;

/// Time a technician declares that no act accounts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OtherTimeKind {
    /// Tank, doses and equipment: filling, ordering, cleaning.
    Stock,
    Admin,
    Meeting,
    Training,
    Other,
}

impl OtherTimeKind {
    /// The stable name, as in the log and the JSON.
    pub fn id(self) -> &'static str {
        match self {
            OtherTimeKind::Stock => "stock",
            OtherTimeKind::Admin => "admin",
            OtherTimeKind::Meeting => "meeting",
            OtherTimeKind::Training => "training",
            OtherTimeKind::Other => "other",
        }
    }
}

/// The longest declared period: a day.
pub const MAX_DECLARED_SECONDS: u32 = 24 * 3600;

/// An ISO week (Monday to Sunday), the unit a supervisor reviews.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Week {
    pub year: i32,
    pub week: u32,
}

impl Week {
    pub fn of(day: NaiveDate) -> Week {
        let w = chrono::Datelike::iso_week(&day);
        Week {
            year: w.year(),
            week: w.week(),
        }
    }

    /// The Monday of the week, or an error naming the field when no such week exists.
    pub fn monday(self, field: &str) -> Result<NaiveDate, DomainError> {
        NaiveDate::from_isoywd_opt(self.year, self.week, chrono::Weekday::Mon).ok_or_else(|| {
            DomainError::invalid(
                field,
                &format!("{}-W{:02}", self.year, self.week),
                "an ISO week that exists (week 1 to 52 or 53)",
            )
        })
    }
}

/// A supervisor's decision on a technician's week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReviewDecision {
    Approved,
    /// Sent back to the technician with what to look at.
    SentBack {
        comment: String,
    },
}

impl ReviewDecision {
    pub fn validate(&self, field: &str) -> Result<(), DomainError> {
        match self {
            ReviewDecision::Approved => Ok(()),
            ReviewDecision::SentBack { comment } => {
                super::check_text(&format!("{field}.comment"), comment, 1)
            }
        }
    }
}
