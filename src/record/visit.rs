//! Recording what happens to a visit: a call taken, the arrival and the departure, the
//! farmer's confirmation and its answer, an anomaly, a visit called off, the round's order.

use super::{RecordError, invalid, reason_text, visit_of};
use crate::domain::{
    AnomalyKind, Confirmation, Ede, Instant, Payload, Request, TechnicianId, Urgency, Visit,
    VisitId, check_text, paris_day,
};
use crate::log::Store;

/// Records a call: a visit of `technician` to `farm` on `now`'s day, for the acts
/// `requested` (at least one). Returns the new visit's id, numbered after the day's visits,
/// with this device's id so two tablets never make the same one.
pub fn new_visit(
    store: &Store,
    technician: &TechnicianId,
    farm: Ede,
    requested: Vec<Request>,
    urgency: Urgency,
    now: Instant,
) -> Result<VisitId, RecordError> {
    if store.farm(&farm)?.is_none() {
        return Err(invalid("farm", farm.as_str(), "a farm of the list"));
    }
    if requested.is_empty() {
        return Err(invalid(
            "requested",
            "nothing",
            "at least one act asked for",
        ));
    }
    let day = paris_day(&now);
    let visit = Visit {
        id: new_visit_id(store, technician, day)?,
        technician: technician.clone(),
        farm,
        day,
        requested,
        urgency,
        window: None,
        arrived: None,
        left: None,
        travel_km: None,
        note: None,
    };
    visit.validate("visit")?;
    let id = visit.id.clone();
    store.append(vec![Payload::VisitRecorded(visit)])?;
    Ok(id)
}

fn new_visit_id(
    store: &Store,
    technician: &TechnicianId,
    day: chrono::NaiveDate,
) -> Result<VisitId, RecordError> {
    let device = store.device().to_string();
    let device = device.get(..6).unwrap_or(&device);
    let mut n = store.visits_on(technician, day)?.len() + 1;
    loop {
        let id = VisitId::parse(
            "visit",
            &format!("V{}-{n:02}-{device}", day.format("%Y%m%d")),
        )?;
        if store.visit(&id)?.is_none() {
            return Ok(id);
        }
        n += 1;
    }
}

/// Records the arrival at visit `id` at `now`, unless it has one already.
pub fn start_visit(store: &Store, id: &VisitId, now: Instant) -> Result<(), RecordError> {
    let mut visit = visit_of(store, id, "visit")?;
    if visit.arrived.is_none() {
        visit.arrived = Some(now);
        visit.validate("visit")?;
        store.append(vec![Payload::VisitRecorded(visit)])?;
    }
    Ok(())
}

/// Records the departure from visit `id` at `now` (and the arrival too if it had none).
pub fn finish_visit(store: &Store, id: &VisitId, now: Instant) -> Result<(), RecordError> {
    let mut visit = visit_of(store, id, "visit")?;
    visit.arrived.get_or_insert(now);
    visit.left = Some(now);
    visit.validate("visit")?;
    store.append(vec![Payload::VisitRecorded(visit)])?;
    Ok(())
}

/// Calls off a visit nothing was done at yet (no arrival, no act), for `reason`.
pub fn cancel_visit(store: &Store, id: &VisitId, reason: &str) -> Result<(), RecordError> {
    let visit = visit_of(store, id, "visit")?;
    if visit.arrived.is_some() || !store.acts_of(id)?.is_empty() {
        return Err(invalid("visit", id.as_str(), "a visit not started yet"));
    }
    if store.cancellation(id)?.is_some() {
        return Err(invalid("visit", id.as_str(), "a visit not called off yet"));
    }
    let reason = reason_text("reason", reason)?;
    store.append(vec![Payload::VisitCancelled {
        visit: id.clone(),
        reason,
    }])?;
    Ok(())
}

/// Records the farmer's confirmation of visit `id`, dated `now` (the recorder's clock, not
/// the screen's); a visit not left yet is left now.
pub fn confirm_visit(
    store: &Store,
    id: &VisitId,
    confirmation: Confirmation,
    now: Instant,
) -> Result<(), RecordError> {
    let mut visit = visit_of(store, id, "visit")?;
    let mut payloads = Vec::with_capacity(2);
    if visit.left.is_none() {
        visit.arrived.get_or_insert(now);
        visit.left = Some(now);
        visit.validate("visit")?;
        payloads.push(Payload::VisitRecorded(visit));
    }
    payloads.push(Payload::VisitConfirmed {
        visit: id.clone(),
        confirmation: dated(confirmation, now),
    });
    store.append(payloads)?;
    Ok(())
}

/// The same confirmation, dated `at`.
fn dated(c: Confirmation, at: Instant) -> Confirmation {
    match c {
        Confirmation::Signed {
            signer, strokes, ..
        } => Confirmation::Signed {
            at,
            signer,
            strokes,
        },
        Confirmation::InstructionsLeft { .. } => Confirmation::InstructionsLeft { at },
        Confirmation::ConfirmedLater { comment, .. } => {
            Confirmation::ConfirmedLater { at, comment }
        }
        Confirmation::Disputed { comment, .. } => Confirmation::Disputed { at, comment },
    }
}

/// The technician's answer to a farmer who disputes visit `visit`.
pub fn answer_dispute(store: &Store, visit: VisitId, note: &str) -> Result<(), RecordError> {
    visit_of(store, &visit, "visit")?;
    if !matches!(
        store.confirmation(&visit)?,
        Some(Confirmation::Disputed { .. })
    ) {
        return Err(invalid(
            "visit",
            visit.as_str(),
            "a visit the farmer disputes",
        ));
    }
    let note = reason_text("note", note)?;
    store.append(vec![Payload::DisputeAnswered { visit, note }])?;
    Ok(())
}

/// An anomaly at visit `visit`; `note` (trimmed) is required for [`AnomalyKind::Other`].
pub fn note_anomaly(
    store: &Store,
    visit: VisitId,
    kind: AnomalyKind,
    note: &str,
) -> Result<(), RecordError> {
    visit_of(store, &visit, "visit")?;
    let note = note.trim().to_owned();
    if kind == AnomalyKind::Other {
        check_text("note", &note, 1)?;
    }
    store.append(vec![Payload::AnomalyNoted { visit, kind, note }])?;
    Ok(())
}

/// Records `technician`'s round of `now`'s day in `order`: every id a visit of that round,
/// each once.
pub fn order_round(
    store: &Store,
    technician: &TechnicianId,
    order: Vec<VisitId>,
    now: Instant,
) -> Result<(), RecordError> {
    let day = paris_day(&now);
    let round: Vec<VisitId> = store
        .visits_on(technician, day)?
        .into_iter()
        .map(|v| v.id)
        .collect();
    for (i, id) in order.iter().enumerate() {
        if !round.contains(id) {
            return Err(invalid("order", id.as_str(), "a visit of today's round"));
        }
        if order[..i].contains(id) {
            return Err(invalid("order", id.as_str(), "each visit once"));
        }
    }
    store.append(vec![Payload::RoundOrdered {
        technician: technician.clone(),
        day,
        order,
    }])?;
    Ok(())
}
