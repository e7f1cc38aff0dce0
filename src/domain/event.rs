//! What an event says: the payloads appended to the log.
//!
//! Variants are only ever added at the end once stores exist in the field: the binary
//! encoding numbers them in order, and a store or a peer must read every event it ever wrote.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::DomainError;
use super::act::Act;
use super::farm::{ClosedSpan, Company, Farm, Technician};
use super::ids::{ActId, BullId, Ede, SupervisorId, TechnicianId, VisitId};
use super::staff::{MAX_DECLARED_SECONDS, OtherTimeKind, ReviewDecision, Week};
use super::tank::{MAX_DOSES, Straw};
use super::visit::{AnomalyKind, ArrivalWindow, Confirmation, Visit};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Payload {
    /// A technician's record, created or updated (latest clock wins).
    TechnicianRecorded(Technician),
    /// A farm's record, created or updated (latest clock wins).
    FarmRecorded(Farm),
    /// A visit, planned or updated with arrival and departure (latest clock wins).
    VisitRecorded(Visit),
    /// An act done: a fact, never changed afterwards.
    ActRecorded(Act),
    /// An act corrected: replaced by another, or withdrawn (`replacement: None`).
    ActCorrected {
        act: ActId,
        replacement: Option<Act>,
        reason: String,
    },
    /// The farmer's confirmation, absence or dispute.
    VisitConfirmed {
        visit: VisitId,
        confirmation: Confirmation,
    },
    /// An anomaly reported at a visit.
    AnomalyNoted {
        visit: VisitId,
        kind: AnomalyKind,
        note: String,
    },
    /// Straws put in a technician's tank.
    DosesReceived {
        technician: TechnicianId,
        straw: Straw,
        count: u32,
    },
    /// A tank count corrected after counting (`delta` doses, positive or negative).
    StockCorrected {
        technician: TechnicianId,
        bull: BullId,
        delta: i32,
        reason: String,
    },
    /// Work time that no act accounts for (stock, admin, meeting, training).
    TimeDeclared {
        technician: TechnicianId,
        #[serde(with = "crate::domain::time::fast_serde::date")]
        day: NaiveDate,
        kind: OtherTimeKind,
        seconds: u32,
        note: Option<String>,
    },
    /// A supervisor's review of a technician's week (latest clock wins).
    WeekReviewed {
        technician: TechnicianId,
        week: Week,
        supervisor: SupervisorId,
        decision: ReviewDecision,
    },
    /// A visit moved to another technician's round by a supervisor.
    VisitReassigned {
        visit: VisitId,
        to: TechnicianId,
        supervisor: SupervisorId,
        reason: Option<String>,
    },
    /// A planned visit that will not take place (the farmer called it off, a duplicate call).
    VisitCancelled { visit: VisitId, reason: String },
    /// The order of a day's round, as planned or as moved by hand (latest clock wins).
    RoundOrdered {
        technician: TechnicianId,
        #[serde(with = "crate::domain::time::fast_serde::date")]
        day: NaiveDate,
        order: Vec<VisitId>,
    },
    /// The technician's (or supervisor's) answer to a farmer's dispute.
    DisputeAnswered { visit: VisitId, note: String },
    /// The company's record (name, approval number), created or updated (latest clock wins).
    CompanyRecorded(Company),
    /// Insemination records sent to the national genetic information system in one batch.
    DeclarationsSent { batch: String, acts: Vec<ActId> },
    /// The national system's answer to a batch: every record accepted but those refused.
    DeclarationsAcknowledged {
        batch: String,
        refused: Vec<DeclarationRefusal>,
    },
    /// The technician's advice to a farm for the year after `year`, written with the farmer
    /// over the year's reproduction figures (latest clock wins for a farm and year).
    AdviceWritten {
        farm: Ede,
        year: i32,
        technician: TechnicianId,
        text: String,
    },
    /// When the farmer may expect the technician at a visit, from the tablet's planned round
    /// (recorded when it changes; latest clock wins). The farmer's page shows it and the
    /// server tells the farmer of a change (`tour::arrival`).
    ArrivalExpected {
        visit: VisitId,
        window: ArrivalWindow,
    },
    /// The hours a farm cannot receive the technician (milking), all of them, replacing the
    /// ones recorded before (latest clock wins; none: open all day). Kept apart from
    /// `FarmRecorded`, whose layout is in every store already.
    ClosedHoursRecorded { farm: Ede, closed: Vec<ClosedSpan> },
}

/// The years a yearly report's advice may be written for: a typo, not a date, outside them.
pub const ADVICE_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// A record the national system refused, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclarationRefusal {
    pub act: ActId,
    pub reason: String,
}

impl Payload {
    /// The payload's own consistency (references to other records are the log's concern).
    pub fn validate(&self) -> Result<(), DomainError> {
        match self {
            Payload::TechnicianRecorded(t) => t.validate("technician"),
            Payload::FarmRecorded(f) => f.validate("farm"),
            Payload::VisitRecorded(v) => v.validate("visit"),
            Payload::ActRecorded(a) => a.validate("act"),
            Payload::ActCorrected {
                act,
                replacement,
                reason,
            } => {
                super::check_text("reason", reason, 1)?;
                if let Some(r) = replacement {
                    r.validate("replacement")?;
                    if &r.id == act {
                        return Err(DomainError::invalid(
                            "replacement.id",
                            r.id.as_str(),
                            "a new act id, different from the corrected act's",
                        ));
                    }
                }
                Ok(())
            }
            Payload::VisitConfirmed { confirmation, .. } => confirmation.validate("confirmation"),
            Payload::AnomalyNoted { note, .. } => super::check_text("note", note, 0),
            Payload::DosesReceived { straw, count, .. } => {
                straw.validate("straw")?;
                if *count == 0 || *count > MAX_DOSES {
                    return Err(DomainError::invalid(
                        "count",
                        &count.to_string(),
                        &format!("a number of doses from 1 to {MAX_DOSES}"),
                    ));
                }
                Ok(())
            }
            Payload::StockCorrected { delta, reason, .. } => {
                super::check_text("reason", reason, 1)?;
                if *delta == 0 || delta.unsigned_abs() > MAX_DOSES {
                    return Err(DomainError::invalid(
                        "delta",
                        &delta.to_string(),
                        &format!("a change of 1 to {MAX_DOSES} doses, up or down"),
                    ));
                }
                Ok(())
            }
            Payload::TimeDeclared { seconds, note, .. } => {
                if *seconds == 0 || *seconds > MAX_DECLARED_SECONDS {
                    return Err(DomainError::invalid(
                        "seconds",
                        &seconds.to_string(),
                        "a duration from 1 second to 24 hours",
                    ));
                }
                match note {
                    Some(n) => super::check_text("note", n, 0),
                    None => Ok(()),
                }
            }
            Payload::WeekReviewed { week, decision, .. } => {
                week.monday("week")?;
                decision.validate("decision")
            }
            Payload::VisitReassigned { reason, .. } => match reason {
                Some(r) => super::check_text("reason", r, 0),
                None => Ok(()),
            },
            Payload::VisitCancelled { reason, .. } => super::check_text("reason", reason, 1),
            Payload::RoundOrdered { order, .. } => {
                let mut seen = std::collections::BTreeSet::new();
                for (i, v) in order.iter().enumerate() {
                    if !seen.insert(v) {
                        return Err(DomainError::invalid(
                            &format!("order[{i}]"),
                            v.as_str(),
                            "each visit once in the round",
                        ));
                    }
                }
                Ok(())
            }
            Payload::DisputeAnswered { note, .. } => super::check_text("note", note, 1),
            Payload::CompanyRecorded(c) => c.validate("company"),
            Payload::DeclarationsSent { batch, acts } => {
                super::farm::check_code("batch", batch)?;
                if acts.is_empty() {
                    return Err(DomainError::invalid(
                        "acts",
                        "none",
                        "at least one insemination record",
                    ));
                }
                Ok(())
            }
            Payload::DeclarationsAcknowledged { batch, refused } => {
                super::farm::check_code("batch", batch)?;
                for (i, r) in refused.iter().enumerate() {
                    super::check_text(&format!("refused[{i}].reason"), &r.reason, 1)?;
                }
                Ok(())
            }
            Payload::AdviceWritten { year, text, .. } => {
                if !(ADVICE_YEARS).contains(year) {
                    return Err(DomainError::invalid(
                        "year",
                        &year.to_string(),
                        &format!(
                            "a year from {} to {}",
                            ADVICE_YEARS.start(),
                            ADVICE_YEARS.end()
                        ),
                    ));
                }
                super::check_text("text", text, 1)
            }
            Payload::ArrivalExpected { window, .. } => window.validate("window"),
            Payload::ClosedHoursRecorded { closed, .. } => {
                super::farm::check_closed("closed", closed)
            }
        }
    }

    /// A short name, for logs and error messages.
    pub fn name(&self) -> &'static str {
        match self {
            Payload::TechnicianRecorded(_) => "technician_recorded",
            Payload::FarmRecorded(_) => "farm_recorded",
            Payload::VisitRecorded(_) => "visit_recorded",
            Payload::ActRecorded(_) => "act_recorded",
            Payload::ActCorrected { .. } => "act_corrected",
            Payload::VisitConfirmed { .. } => "visit_confirmed",
            Payload::AnomalyNoted { .. } => "anomaly_noted",
            Payload::DosesReceived { .. } => "doses_received",
            Payload::StockCorrected { .. } => "stock_corrected",
            Payload::TimeDeclared { .. } => "time_declared",
            Payload::WeekReviewed { .. } => "week_reviewed",
            Payload::VisitReassigned { .. } => "visit_reassigned",
            Payload::VisitCancelled { .. } => "visit_cancelled",
            Payload::RoundOrdered { .. } => "round_ordered",
            Payload::DisputeAnswered { .. } => "dispute_answered",
            Payload::CompanyRecorded(_) => "company_recorded",
            Payload::DeclarationsSent { .. } => "declarations_sent",
            Payload::DeclarationsAcknowledged { .. } => "declarations_acknowledged",
            Payload::AdviceWritten { .. } => "advice_written",
            Payload::ArrivalExpected { .. } => "arrival_expected",
            Payload::ClosedHoursRecorded { .. } => "closed_hours_recorded",
        }
    }
}
