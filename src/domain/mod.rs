//! The domain: identifiers, species, act kinds, farms, visits, and event payloads, with the
//! validation that keeps bad values out of the log.
//!
//! Not for storage, time accounting or planning: those live in `log`, `forfait`,
//! `worktime` and `tour`, and take domain values already checked here.

pub mod act;
pub mod breed;
pub mod event;
pub mod farm;
pub mod ids;
pub mod staff;
pub mod strokes;
pub mod supervision;
pub mod tank;
pub mod time;
pub mod visit;

pub use act::{Act, ActKind, Family, InseminationRank, PregnancyResult, Species};
pub use event::{DeclarationRefusal, Payload};
pub use farm::{ClosedSpan, Company, Farm, Location, Technician};
pub use ids::{ActId, AnimalId, BullId, Ede, SupervisorId, TechnicianId, VisitId};
pub use staff::{OtherTimeKind, ReviewDecision, Week};
pub use tank::{PrintedCode, Straw};
pub use time::{Instant, paris_day, paris_time};
pub use visit::{
    AnomalyKind, ArrivalWindow, Confirmation, Request, Stroke, Urgency, Visit, VisitStatus,
};

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
        .any(|c| (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c))
    {
        return Err(DomainError::invalid(
            field,
            text,
            "a text without control characters or direction overrides",
        ));
    }
    Ok(())
}

/// Checks a name (a person, a farm, a village): a free text on one line.
pub fn check_name(field: &str, text: &str) -> Result<(), DomainError> {
    check_text(field, text, 1)?;
    if text.contains(['\n', '\t']) {
        return Err(DomainError::invalid(
            field,
            text,
            "a name on one line, without tabs",
        ));
    }
    Ok(())
}

/// Unicode's explicit direction controls: shown nowhere, they reorder what follows, so a
/// name holding one reads differently on screen and in the legal record.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

#[cfg(test)]
mod text_tests {
    use super::*;

    #[test]
    fn refuses_direction_overrides_and_line_breaks_in_names() {
        let err = check_name("farms[0].name", "GAEC \u{202E}egacoB ud").unwrap_err();
        assert_eq!(err.field, "farms[0].name");
        assert!(err.expected.contains("direction overrides"), "{err}");
        let err = check_name("farms[0].name", "GAEC\ndu Bocage").unwrap_err();
        assert!(err.expected.contains("one line"), "{err}");
        let err = check_text("note", "bell\u{7}", 0).unwrap_err();
        assert!(err.expected.contains("control characters"), "{err}");
        assert!(check_name("name", "Élevage de l'Étang").is_ok());
        assert!(check_text("note", "two\nlines", 0).is_ok());
    }
}
