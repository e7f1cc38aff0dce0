//! The domain: identifiers, species, act kinds, farms, visits, and event payloads, with the
//! validation that keeps bad values out of the log.
//!
//! Not for storage, time accounting or planning: those live in `log`, `forfait`,
//! `worktime` and `tour`, and take domain values already checked here.

pub mod act;
pub mod event;
pub mod farm;
pub mod ids;
pub mod staff;
pub mod strokes;
pub mod tank;
pub mod time;
pub mod visit;

pub use act::{Act, ActKind, Family, InseminationRank, PregnancyResult, Species};
pub use event::{DeclarationRefusal, Payload};
pub use farm::{Company, Farm, Location, Technician};
pub use ids::{ActId, AnimalId, BullId, Ede, SupervisorId, TechnicianId, VisitId};
pub use staff::{OtherTimeKind, ReviewDecision, Week};
pub use tank::{PrintedCode, Straw};
pub use time::{Instant, paris_day, paris_time};
pub use visit::{AnomalyKind, Confirmation, Request, Stroke, Urgency, Visit, VisitStatus};

/// The longest free text (names, notes, comments) we keep, in characters.
pub const MAX_TEXT: usize = 2_000;

/// A value refused: which field, what it was, and what was expected.
///
/// The fields are kept apart so the app can say it in the user's language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {value:?} is not valid: expected {expected}")]
pub struct DomainError {
    pub field: String,
    pub value: String,
    pub expected: String,
}

impl DomainError {
    pub fn invalid(field: &str, value: &str, expected: &str) -> DomainError {
        // A pasted novel in a field would make the message useless: keep its start.
        let value: String = value.chars().take(80).collect();
        DomainError {
            field: field.to_owned(),
            value,
            expected: expected.to_owned(),
        }
    }
}

/// Checks a free text: at least `min` characters, at most [`MAX_TEXT`], no control characters
/// but line breaks.
pub fn check_text(field: &str, text: &str, min: usize) -> Result<(), DomainError> {
    let n = text.trim().chars().count();
    if n < min {
        return Err(DomainError::invalid(
            field,
            text,
            "a text that is not empty",
        ));
    }
    if text.chars().count() > MAX_TEXT {
        return Err(DomainError::invalid(
            field,
            text,
            &format!("at most {MAX_TEXT} characters"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(DomainError::invalid(
            field,
            text,
            "a text without control characters",
        ));
    }
    Ok(())
}
