//! Recording the team's records: a technician's own record, and what a supervisor does (a
//! week reviewed, visits given to another technician), checked by `domain::supervision` the
//! same way on the supervisor's tablet and on the server's office page.

use super::{RecordError, invalid, visit_of};
use crate::domain::{
    Payload, ReviewDecision, SupervisorId, Technician, TechnicianId, VisitId, Week, supervision,
};
use crate::log::Store;

/// Records a technician's record (name, home, licence) as given.
pub fn record_technician(store: &Store, technician: Technician) -> Result<(), RecordError> {
    technician.validate("technician")?;
    store.append(vec![Payload::TechnicianRecorded(technician)])?;
    Ok(())
}

/// Records `supervisor`'s review of `technician`'s `week`; `team` the supervisor's
/// technicians. Returns the decision as recorded (a send-back's comment trimmed).
pub fn review_week(
    store: &Store,
    supervisor: &SupervisorId,
    team: &[TechnicianId],
    technician: &TechnicianId,
    week: Week,
    decision: ReviewDecision,
) -> Result<ReviewDecision, RecordError> {
    let decision = supervision::review(team, technician, week, decision)?;
    store.append(vec![Payload::WeekReviewed {
        technician: technician.clone(),
        week,
        supervisor: supervisor.clone(),
        decision: decision.clone(),
    }])?;
    Ok(decision)
}

/// Gives `visits` (at least one, each of the team) to `to`, a technician of `supervisor`'s
/// `team` other than each visit's; all of them or none.
pub fn reassign(
    store: &Store,
    supervisor: &SupervisorId,
    team: &[TechnicianId],
    visits: &[VisitId],
    to: &TechnicianId,
) -> Result<(), RecordError> {
    supervision::of_team(team, to, "to")?;
    if visits.is_empty() {
        return Err(invalid("visits", "", "at least one visit to move"));
    }
    let mut payloads = Vec::with_capacity(visits.len());
    for id in visits {
        let visit = visit_of(store, id, "visit")?;
        supervision::reassign(team, &visit, to)?;
        payloads.push(Payload::VisitReassigned {
            visit: id.clone(),
            to: to.clone(),
            supervisor: supervisor.clone(),
            reason: None,
        });
    }
    store.append(payloads)?;
    Ok(())
}
