//! What an event says: the payloads appended to the log.
//!
//! Variants are only ever added at the end: the binary encoding numbers them in order, and
//! a store or a peer must read every event it ever wrote.

use serde::{Deserialize, Serialize};

use super::DomainError;
use super::act::Act;
use super::farm::{Farm, Technician};
use super::ids::{ActId, VisitId};
use super::visit::{AnomalyKind, Confirmation, Visit};

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
        }
    }
}
