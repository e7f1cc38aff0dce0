//! Recording an act or its correction: the act's own validation, and for an insemination the
//! known causes of wrong declarations, the doses in the tank and the insemination record it
//! must make (a missing field is named and nothing is recorded). The first act of a visit is
//! its arrival: one tap less at the door.

use chrono::NaiveDate;

use super::{RECENT_INSEMINATION_DAYS, RecordError, invalid, reason_text, visit_of};
use crate::declare::InseminationRecord;
use crate::domain::{
    Act, ActId, DomainError, Family, Instant, Payload, TechnicianId, VisitId, paris_day,
};
use crate::log::{LogError, Store};

fn missing(field: &str, expected: &str) -> DomainError {
    DomainError::invalid(field, "absent", expected)
}

/// Records `act` at its visit, numbered after the visit's acts and dated `now`; `reason`
/// (trimmed, added to the act's note) allows a female inseminated less than
/// [`RECENT_INSEMINATION_DAYS`] days ago. The visit's arrival is recorded with it if it has
/// none. Returns the act as recorded.
pub fn record_act(
    store: &Store,
    technician: &TechnicianId,
    mut act: Act,
    reason: Option<&str>,
    now: Instant,
) -> Result<Act, RecordError> {
    let visit = visit_of(store, &act.visit, "act.visit")?;
    act.id = new_act_id(store, &visit.id)?;
    act.at = Some(now);
    let reason = reason.map(|r| reason_text("reason", r)).transpose()?;
    if let Some(r) = &reason {
        act.note = Some(match act.note.take() {
            Some(n) if !n.trim().is_empty() => format!("{n} — {r}"),
            _ => r.clone(),
        });
    }
    act.validate("act")?;
    if act.kind.uses_dose() {
        check_insemination(store, technician, &act, paris_day(&now), reason.as_deref())?;
        check_doses(store, technician, &act, None)?;
        record_of(store, &act)??;
    }
    let mut payloads = Vec::with_capacity(2);
    if visit.arrived.is_none() {
        let mut v = visit;
        v.arrived = Some(now);
        v.validate("visit")?;
        payloads.push(Payload::VisitRecorded(v));
    }
    payloads.push(Payload::ActRecorded(act.clone()));
    store.append(payloads)?;
    Ok(act)
}

/// Replaces act `id` with `replacement` (or withdraws it, `None`), for `reason`. The
/// replacement keeps the visit and the time of the act it replaces (a correction changes
/// what, not when); its doses are checked with the replaced act's given back to the tank.
/// Returns the replacement as recorded.
pub fn correct_act(
    store: &Store,
    technician: &TechnicianId,
    id: &ActId,
    replacement: Option<Act>,
    reason: &str,
    now: Instant,
) -> Result<Option<Act>, RecordError> {
    let reason = reason_text("reason", reason)?;
    let old = store
        .act(id)?
        .ok_or_else(|| invalid("act", id.as_str(), "an act recorded at this visit"))?;
    if old.superseded.is_some() {
        return Err(invalid(
            "act",
            id.as_str(),
            "an act that is still current (this one was already corrected)",
        ));
    }
    let replacement = match replacement {
        None => None,
        Some(mut r) => {
            r.id = new_act_id(store, &old.act.visit)?;
            r.visit = old.act.visit.clone();
            r.at = old.act.at.or(Some(now));
            r.validate("act")?;
            if r.kind.uses_dose() {
                check_doses(store, technician, &r, Some(&old.act))?;
                record_of(store, &r)??;
            }
            Some(r)
        }
    };
    store.append(vec![Payload::ActCorrected {
        act: id.clone(),
        replacement: replacement.clone(),
        reason,
    }])?;
    Ok(replacement)
}

/// The first act id of the visit not taken (corrections take numbers too).
fn new_act_id(store: &Store, visit: &VisitId) -> Result<ActId, LogError> {
    let mut n = store.act_history(visit)?.len();
    loop {
        let id = ActId::nth_of(visit, n);
        if store.act(&id)?.is_none() {
            return Ok(id);
        }
        n += 1;
    }
}

/// Enough doses of the act's bull in the technician's tank; `credit`: an act being replaced,
/// whose doses go back into the tank in the same event.
fn check_doses(
    store: &Store,
    technician: &TechnicianId,
    act: &Act,
    credit: Option<&Act>,
) -> Result<(), RecordError> {
    let Some(bull) = &act.bull else {
        return Err(invalid(
            "act.bull",
            "absent",
            "the sire, chosen from the tank",
        ));
    };
    let mut left = store
        .stock(technician)?
        .iter()
        .find(|l| &l.bull == bull)
        .map_or(0, |l| l.left());
    if let Some(old) = credit
        && old.bull.as_ref() == Some(bull)
    {
        left += i64::from(old.count);
    }
    if left <= 0 {
        return Err(invalid(
            "act.bull",
            bull.as_str(),
            "a sire with doses left in your tank",
        ));
    }
    if left < i64::from(act.count) {
        return Err(invalid(
            "act.count",
            &act.count.to_string(),
            &format!("at most {left} doses, what your tank holds of this sire"),
        ));
    }
    Ok(())
}

/// The record of an insemination act in the store, or the first field it lacks.
pub fn record_of(
    store: &Store,
    act: &Act,
) -> Result<Result<InseminationRecord, DomainError>, LogError> {
    let Some(visit) = store.visit(&act.visit)? else {
        return Ok(Err(missing("act.visit", "the visit of the act")));
    };
    let Some(farm) = store.farm(&visit.farm)? else {
        return Ok(Err(missing(
            "visit.farm",
            "a farm recorded with its EDE number",
        )));
    };
    let Some(technician) = store.technician(&visit.technician)? else {
        return Ok(Err(missing(
            "visit.technician",
            "the technician of the visit",
        )));
    };
    let company = store.company()?;
    Ok(InseminationRecord::build(
        act,
        &visit,
        &farm,
        &technician,
        company.as_ref(),
    ))
}

/// The records of a visit's current inseminations, in the order recorded.
pub fn visit_records(
    store: &Store,
    visit: &VisitId,
) -> Result<Vec<Result<InseminationRecord, DomainError>>, LogError> {
    let mut out = Vec::new();
    for act in store.acts_of(visit)? {
        if act.kind.family() == Family::Insemination {
            out.push(record_of(store, &act)?);
        }
    }
    Ok(out)
}

/// The checks made before an insemination is recorded, against the known causes of wrong
/// declarations: a sire not in the technician's tank or of another breed than its straws, a
/// female inseminated less than three days before `day` (allowed with `reason`), a farm the
/// store does not know. `act` is the act about to be recorded; its own fields are checked by
/// `Act::validate`.
pub fn check_insemination(
    store: &Store,
    technician: &TechnicianId,
    act: &Act,
    day: NaiveDate,
    reason: Option<&str>,
) -> Result<(), RecordError> {
    if act.kind.family() != Family::Insemination {
        return Ok(());
    }
    let visit = store
        .visit(&act.visit)?
        .ok_or_else(|| invalid("act.visit", act.visit.as_str(), "a recorded visit"))?;
    if store.farm(&visit.farm)?.is_none() {
        return Err(invalid(
            "visit.farm",
            visit.farm.as_str(),
            "a farm recorded with its EDE number",
        ));
    }
    let bull = act
        .bull
        .as_ref()
        .ok_or_else(|| missing("act.bull", "the sire, chosen from the tank"))?;
    let stock = store.stock(technician)?;
    let line = stock
        .iter()
        .find(|l| &l.bull == bull && l.left() > 0)
        .ok_or_else(|| {
            invalid(
                "act.bull",
                bull.as_str(),
                "a sire with doses left in your tank",
            )
        })?;
    if let (Some(tank), Some(used)) = (&line.straw, &act.straw)
        && tank.breed != used.breed
    {
        return Err(invalid(
            "act.straw.breed",
            &used.breed,
            &format!(
                "the breed of this sire's straws in the tank ({})",
                tank.breed
            ),
        ));
    }
    if reason.is_some_and(|r| !r.trim().is_empty()) {
        return Ok(());
    }
    for (i, animal) in act.animals.iter().enumerate() {
        for earlier in store.acts_of_animal(animal)? {
            if earlier.superseded.is_some()
                || earlier.act.kind.family() != Family::Insemination
                || earlier.act.id == act.id
            {
                continue;
            }
            let when = match &earlier.act.at {
                Some(at) => paris_day(at),
                None => match store.visit(&earlier.act.visit)? {
                    Some(v) => v.day,
                    None => continue,
                },
            };
            let days = (day - when).num_days();
            if (0..RECENT_INSEMINATION_DAYS).contains(&days) {
                return Err(RecordError::RecentlyInseminated {
                    field: format!("act.animals[{i}]"),
                    animal: animal.clone(),
                    on: when,
                });
            }
        }
    }
    Ok(())
}
