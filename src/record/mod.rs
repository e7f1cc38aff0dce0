//! Recording: check, then append. Every rule a record must pass before it is written to the
//! store, whoever asks (the app's worker, the supervisor's office on the server): the doses
//! in the tank, the known causes of wrong declarations, the insemination record an act must
//! make, "the first act is the arrival", a round's order, which visit may be called off, what
//! a supervisor may do to the team's records.
//!
//! A function here checks the whole record first and appends its events in one batch, durable
//! when it returns; a refusal writes nothing. The instant given is the recorder's clock (the
//! tablet's, or the day a test fixes): the day is that instant's day in Europe/Paris.
//!
//! Not for what a record is or says in itself (`domain`'s `validate`), nor for deriving
//! projections (`log`), nor for who the caller is (the shells know their technician or their
//! supervisor and team). Errors carry the field, the value and what was expected, as
//! `domain::DomainError` does: each shell says them in its user's language.

mod act;
mod farm;
mod tank;
mod team;
mod visit;

pub use act::{check_insemination, correct_act, record_act, record_of, visit_records};
pub use farm::set_closed_hours;
pub use tank::{count_stock, receive_doses};
pub use team::{reassign, record_technician, review_week};
pub use visit::{
    answer_dispute, cancel_visit, confirm_visit, finish_visit, new_visit, note_anomaly,
    order_round, start_visit,
};

use chrono::NaiveDate;

use crate::domain::{AnimalId, DomainError, Visit, VisitId, check_text};
use crate::log::{LogError, Store};

/// Days within which a second insemination of the same female is likely a wrong number.
pub const RECENT_INSEMINATION_DAYS: i64 = 3;

/// Why a record was not written (nothing was).
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// A value refused: the field (`act.bull`, `order`, `visit`...), what it was and what was
    /// expected.
    #[error(transparent)]
    Invalid(#[from] DomainError),
    /// The female was inseminated less than [`RECENT_INSEMINATION_DAYS`] days ago: likely a
    /// wrong number. Recorded only with a reason.
    #[error(
        "{field}: {animal} was already inseminated on {on}: check the number, or give a reason"
    )]
    RecentlyInseminated {
        field: String,
        animal: AnimalId,
        on: NaiveDate,
    },
    /// The store failed (disk, damage): not a rule.
    #[error(transparent)]
    Store(LogError),
}

impl From<LogError> for RecordError {
    fn from(e: LogError) -> RecordError {
        match e {
            // The log's own validation of an event is a refused value like any other.
            LogError::Refused(d) => RecordError::Invalid(d),
            other => RecordError::Store(other),
        }
    }
}

fn invalid(field: &str, value: &str, expected: &str) -> RecordError {
    RecordError::Invalid(DomainError::invalid(field, value, expected))
}

/// A reason or note as typed: trimmed, and checked like any text (one is required).
fn reason_text(field: &str, reason: &str) -> Result<String, RecordError> {
    let r = reason.trim();
    check_text(field, r, 1)?;
    Ok(r.to_owned())
}

/// The visit `id`, or a refusal naming `field`.
fn visit_of(store: &Store, id: &VisitId, field: &str) -> Result<Visit, RecordError> {
    store
        .visit(id)?
        .ok_or_else(|| invalid(field, id.as_str(), "a visit of your round"))
}

#[cfg(test)]
mod tests;
