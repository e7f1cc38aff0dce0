//! Projections: the tables the screens read (visits by day and technician, acts by visit,
//! farms, stock, ...), kept in memory and updated from each event as it is stored. They are
//! derived state: rebuilt from the events each time the store opens, never written to disk.
//!
//! Every rule here gives the same state whatever order events from different devices arrive
//! in: mutable records keep the value with the greatest [`Stamp`], sets are unions, and a
//! correction that arrives before the act it corrects waits in `pending_corrections`, and a
//! reassignment or cancellation that arrives before the visit's record waits in
//! `pending_visits`.
//! The declaration queue is one of these tables but its rules are the regulation's: they live
//! in `declare::queue`, and `apply` only hands it the events that concern it.
//! Not for queries' shapes (see `query.rs`) nor for storage of events (see `mod.rs`).

use serde::{Deserialize, Serialize};

use super::LogError;
use super::event::{Event, EventId, Stamp};
use super::table::{Keyed, Table};
use crate::declare::Declaration;
use crate::declare::queue::DeclarationQueue;
use crate::domain::{
    Act, ActId, AnomalyKind, BullId, Company, Confirmation, DomainError, Farm, OtherTimeKind,
    Payload, ReviewDecision, Straw, SupervisorId, Technician, TechnicianId, Visit, VisitId, Week,
};

macro_rules! projections {
    ($($name:ident: $table:ty),* $(,)?) => {
        /// Every projection table, by name: one place lists them, so none is forgotten when
        /// a batch is begun, committed or rolled back.
        #[derive(Default)]
        pub(super) struct Projections {
            $(pub $name: $table,)*
        }

        impl Projections {
            pub fn begin(&mut self) {
                $(self.$name.begin();)*
            }

            pub fn commit(&mut self) {
                $(self.$name.commit();)*
            }

            pub fn rollback(&mut self) {
                $(self.$name.rollback();)*
            }
        }
    };
}

projections! {
    technicians: Keyed<Lww<Technician>>,
    farms: Keyed<Lww<Farm>>,
    visits: Keyed<StoredVisit>,
    visits_by_technician_day: Table<()>,
    visits_by_farm: Table<()>,
    visit_events: Keyed<Vec<(Stamp, EventId)>>,
    // Boxed: a row is 400 bytes, and written in place into a hashed table each was a random
    // write of seven cache lines.
    acts: Keyed<Box<StoredAct>>,
    acts_by_visit: Keyed<Vec<(Stamp, ActId)>>,
    pending_corrections: Keyed<Supersession>,
    confirmations: Keyed<Lww<Confirmation>>,
    visit_notes: Table<VisitNote>,
    stock: Table<StockRow>,
    declared_time: Table<DeclaredTime>,
    reviews: Keyed<Lww<Review>>,
    rounds: Keyed<Lww<Vec<VisitId>>>,
    company: Keyed<Lww<Company>>,
    // the declaration queue, whose rules are `declare`'s
    declarations: DeclarationQueue,
    acts_by_animal: Keyed<Vec<(Stamp, ActId)>>,
    pending_visits: Keyed<PendingVisit>,
    advice: Keyed<Lww<Advice>>,
    // each visit's arrival windows in clock order (`tour::arrival`)
    arrivals: Keyed<Vec<(Stamp, (EventId, crate::domain::ArrivalWindow))>>,
    // each farm's closed hours (milking), by EDE
    closed_hours: Keyed<Lww<Vec<crate::domain::ClosedSpan>>>,
}

impl Projections {
    /// Room for the rows `events` events make, by the shares a technician's year shows
    /// (about 7 acts and 1.5 visits in 10 events, an insemination in 2).
    pub fn reserve(&mut self, events: usize) {
        self.acts.reserve(events * 7 / 10);
        self.acts_by_animal.reserve(events * 7 / 10);
        self.declarations.reserve(events / 2);
        self.visits.reserve(events / 6);
        self.visit_events.reserve(events / 6);
        self.acts_by_visit.reserve(events / 6);
        self.confirmations.reserve(events / 12);
    }
}

/// A value and the stamp of the event that set it (latest clock wins).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Lww<T> {
    pub stamp: Stamp,
    pub value: T,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct StoredVisit {
    /// The visit as last recorded.
    pub body: Lww<Visit>,
    /// Whose round it is in: set by the visit's record and by reassignments.
    pub technician: Lww<TechnicianId>,
    pub cancelled: Option<String>,
}

impl StoredVisit {
    /// The visit with the technician it is assigned to now.
    pub fn visit(&self) -> Visit {
        let mut v = self.body.value.clone();
        v.technician = self.technician.value.clone();
        v
    }
}

/// What was said of a visit before its record arrived (events of several devices come in
/// any order): applied when the record comes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct PendingVisit {
    pub technician: Option<Lww<TechnicianId>>,
    pub cancelled: Option<String>,
}

/// Why an act no longer counts: replaced by another act, or withdrawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Supersession {
    pub stamp: Stamp,
    pub by: Option<ActId>,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct StoredAct {
    pub act: Act,
    pub stamp: Stamp,
    /// Whose tank its doses came from, when it used any.
    pub dose_from: Option<TechnicianId>,
    pub superseded: Option<Supersession>,
}

/// What the tank holds of one sire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockLine {
    pub bull: BullId,
    /// As printed on the latest straws received; `None` if only corrections were recorded.
    pub straw: Option<Straw>,
    pub received: u64,
    pub used: u64,
    pub corrected: i64,
}

impl StockLine {
    /// Doses left in the tank.
    pub fn left(&self) -> i64 {
        self.received as i64 - self.used as i64 + self.corrected
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct StockRow {
    pub straw: Option<Lww<Straw>>,
    pub received: u64,
    pub used: u64,
    pub corrected: i64,
}

/// Time declared outside acts, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeclaredTime {
    pub technician: TechnicianId,
    pub day: chrono::NaiveDate,
    pub kind: OtherTimeKind,
    pub seconds: u32,
    pub note: Option<String>,
    pub stamp: Stamp,
}

/// A supervisor's latest decision on a week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub supervisor: SupervisorId,
    pub decision: ReviewDecision,
    pub stamp: Stamp,
}

/// The technician's advice to a farm for the year to come, as last written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advice {
    pub farm: crate::domain::Ede,
    pub year: i32,
    pub technician: TechnicianId,
    pub text: String,
    pub stamp: Stamp,
}

pub(super) fn advice_key(farm: &crate::domain::Ede, year: i32) -> Vec<u8> {
    key(&[farm.as_str().as_bytes(), &year.to_be_bytes()])
}

/// Something written about a visit besides its acts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum VisitNote {
    Anomaly { kind: AnomalyKind, note: String },
    DisputeAnswer { note: String },
}

pub(super) fn key(parts: &[&[u8]]) -> Vec<u8> {
    let mut k = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            k.push(0);
        }
        k.extend_from_slice(p);
    }
    k
}

/// The key of a day in indexes: ISO date text, which sorts as dates do.
pub(super) fn day_key(day: chrono::NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn refuse(field: &str, value: &str, expected: &str) -> LogError {
    LogError::Refused(DomainError::invalid(field, value, expected))
}

/// Sets a latest-clock-wins record; returns whether the event's value was kept.
fn lww_put<T: Clone>(table: &mut Keyed<Lww<T>>, k: &[u8], stamp: Stamp, value: &T) -> bool {
    if table.get(k).is_some_and(|old| old.stamp >= stamp) {
        return false;
    }
    table.insert(
        k.to_vec(),
        Lww {
            stamp,
            value: value.clone(),
        },
    );
    true
}

fn visit_index_keys(row: &StoredVisit) -> (Vec<u8>, Vec<u8>) {
    let v = &row.body.value;
    let day = day_key(v.day);
    let by_tech = key(&[
        row.technician.value.as_str().as_bytes(),
        day.as_bytes(),
        v.id.as_str().as_bytes(),
    ]);
    let by_farm = key(&[
        v.farm.as_str().as_bytes(),
        day.as_bytes(),
        v.id.as_str().as_bytes(),
    ]);
    (by_tech, by_farm)
}

/// Updates a visit row and keeps its indexes in step.
fn write_visit(p: &mut Projections, old: Option<&StoredVisit>, new: StoredVisit) {
    let new_keys = visit_index_keys(&new);
    if let Some(old) = old {
        let old_keys = visit_index_keys(old);
        if old_keys.0 != new_keys.0 {
            p.visits_by_technician_day.remove(&old_keys.0);
        }
        if old_keys.1 != new_keys.1 {
            p.visits_by_farm.remove(&old_keys.1);
        }
    }
    p.visits_by_technician_day.insert(new_keys.0, ());
    p.visits_by_farm.insert(new_keys.1, ());
    p.visits
        .insert(new.body.value.id.as_str().as_bytes().to_vec(), new);
}

fn note_visit_event(p: &mut Projections, visit: &VisitId, event: (Stamp, EventId)) {
    add_by_stamp(&mut p.visit_events, visit.as_str().as_bytes(), event);
}

/// Adds to a record's list kept in clock order (events mostly come in that order: a push);
/// the same clock again replaces its entry.
fn add_by_stamp<T: Clone>(table: &mut Keyed<Vec<(Stamp, T)>>, k: &[u8], entry: (Stamp, T)) {
    table.update(k, Vec::new, |list| {
        match list.binary_search_by(|(s, _)| s.cmp(&entry.0)) {
            Ok(i) => list[i] = entry,
            Err(i) => list.insert(i, entry),
        }
    });
}

fn visit_row(p: &Projections, visit: &VisitId) -> Option<StoredVisit> {
    p.visits.get(visit.as_str().as_bytes()).cloned()
}

fn require_visit(
    p: &Projections,
    strict: bool,
    field: &str,
    visit: &VisitId,
) -> Result<(), LogError> {
    if strict && !p.visits.contains(visit.as_str().as_bytes()) {
        return Err(refuse(field, visit.as_str(), "a visit already recorded"));
    }
    Ok(())
}

fn require_technician(
    p: &Projections,
    strict: bool,
    field: &str,
    technician: &TechnicianId,
) -> Result<(), LogError> {
    if strict && !p.technicians.contains(technician.as_str().as_bytes()) {
        return Err(refuse(
            field,
            technician.as_str(),
            "a technician already recorded",
        ));
    }
    Ok(())
}

pub(super) fn stock_key(technician: &TechnicianId, bull: &BullId) -> Vec<u8> {
    key(&[technician.as_str().as_bytes(), bull.as_str().as_bytes()])
}

fn change_stock(
    p: &mut Projections,
    technician: &TechnicianId,
    bull: &BullId,
    f: impl FnOnce(&mut StockRow),
) {
    let new = || StockRow {
        straw: None,
        received: 0,
        used: 0,
        corrected: 0,
    };
    p.stock.update(&stock_key(technician, bull), new, f);
}

/// Records an act in the projections (a new act, or the replacement in a correction).
fn record_act(
    p: &mut Projections,
    act: Act,
    stamp: Stamp,
    strict: bool,
    field: &str,
    corrects: Option<&Declaration>,
) -> Result<(), LogError> {
    let id_key = act.id.as_str().as_bytes();
    if p.acts.contains(id_key) {
        if strict {
            return Err(refuse(
                &format!("{field}.id"),
                act.id.as_str(),
                "a new act id (acts are facts: correct an act instead of recording it again)",
            ));
        }
        return Ok(()); // the same act seen twice from a peer: nothing more to record
    }
    let visit = p.visits.get(act.visit.as_str().as_bytes());
    if strict && visit.is_none() {
        return Err(refuse(
            &format!("{field}.visit"),
            act.visit.as_str(),
            "a visit already recorded",
        ));
    }
    // What the rules below need of the visit (its row is not cloned: acts are most events).
    let technician = visit.map(|v| v.technician.value.clone());
    let day = visit.map(|v| v.body.value.day);
    let dose_from = match (&act.bull, &technician) {
        (Some(bull), Some(technician)) if act.kind.uses_dose() => {
            let technician = technician.clone();
            change_stock(p, &technician, bull, |r| r.used += u64::from(act.count));
            Some(technician)
        }
        _ => None,
    };
    let superseded = p.pending_corrections.get(id_key).cloned();
    if superseded.is_some() {
        p.pending_corrections.remove(id_key);
        if let (Some(t), Some(bull)) = (&dose_from, &act.bull) {
            change_stock(p, t, bull, |r| {
                r.used = r.used.saturating_sub(u64::from(act.count))
            });
        }
    }
    if superseded.is_none() {
        p.declarations.queue(&act, technician, day, stamp, corrects);
    }
    add_by_stamp(
        &mut p.acts_by_visit,
        act.visit.as_str().as_bytes(),
        (stamp, act.id.clone()),
    );
    for animal in &act.animals {
        add_by_stamp(
            &mut p.acts_by_animal,
            animal.as_str().as_bytes(),
            (stamp, act.id.clone()),
        );
    }
    p.acts.insert(
        act.id.as_str().as_bytes().to_vec(),
        Box::new(StoredAct {
            act,
            stamp,
            dose_from,
            superseded,
        }),
    );
    Ok(())
}

/// Applies one event to the projections. `strict` (local appends) refuses references to
/// records that do not exist; events from peers are applied as they come. On an error the
/// tables may be half-changed: the caller rolls the batch back (see [`Projections::begin`]).
pub(super) fn apply(p: &mut Projections, event: Event, strict: bool) -> Result<(), LogError> {
    let stamp = event.stamp();
    let at = (stamp, event.id);
    // Acts are most events: theirs is moved into its row rather than copied.
    let payload = match event.payload {
        Payload::ActRecorded(a) => {
            note_visit_event(p, &a.visit, at);
            return record_act(p, a, stamp, strict, "act", None);
        }
        other => other,
    };
    match &payload {
        Payload::TechnicianRecorded(t) => {
            lww_put(&mut p.technicians, t.id.as_str().as_bytes(), stamp, t);
        }
        Payload::FarmRecorded(f) => {
            lww_put(&mut p.farms, f.ede.as_str().as_bytes(), stamp, f);
        }
        Payload::VisitRecorded(v) => {
            if strict && !p.farms.contains(v.farm.as_str().as_bytes()) {
                return Err(refuse(
                    "visit.farm",
                    v.farm.as_str(),
                    "a farm already recorded",
                ));
            }
            require_technician(p, strict, "visit.technician", &v.technician)?;
            let old = visit_row(p, &v.id);
            let new = match &old {
                None => {
                    let vk = v.id.as_str().as_bytes();
                    let pending = p.pending_visits.get(vk).cloned();
                    if pending.is_some() {
                        p.pending_visits.remove(vk);
                    }
                    let pending = pending.unwrap_or_default();
                    let mut technician = Lww {
                        stamp,
                        value: v.technician.clone(),
                    };
                    if let Some(t) = pending.technician
                        && t.stamp > stamp
                    {
                        technician = t;
                    }
                    StoredVisit {
                        body: Lww {
                            stamp,
                            value: v.clone(),
                        },
                        technician,
                        cancelled: pending.cancelled,
                    }
                }
                Some(old) => {
                    let mut row = old.clone();
                    if row.body.stamp < stamp {
                        row.body = Lww {
                            stamp,
                            value: v.clone(),
                        };
                    }
                    if row.technician.stamp < stamp {
                        row.technician = Lww {
                            stamp,
                            value: v.technician.clone(),
                        };
                    }
                    row
                }
            };
            write_visit(p, old.as_ref(), new);
            note_visit_event(p, &v.id, at);
        }
        Payload::ActRecorded(_) => {}
        Payload::ActCorrected {
            act,
            replacement,
            reason,
        } => {
            let id_key = act.as_str().as_bytes();
            let supersession = Supersession {
                stamp,
                by: replacement.as_ref().map(|r| r.id.clone()),
                reason: reason.clone(),
            };
            match p.acts.get(id_key).cloned() {
                Some(mut row) => {
                    if row.superseded.is_some() {
                        if strict {
                            return Err(refuse(
                                "act",
                                act.as_str(),
                                "an act that is still current (this one was already corrected)",
                            ));
                        }
                    } else {
                        if let (Some(t), Some(bull)) = (&row.dose_from, &row.act.bull) {
                            let n = u64::from(row.act.count);
                            change_stock(p, t, bull, |r| r.used = r.used.saturating_sub(n));
                        }
                        row.superseded = Some(supersession);
                        p.acts.insert(id_key.to_vec(), row.clone());
                    }
                    note_visit_event(p, &row.act.visit, at);
                }
                None => {
                    if strict {
                        return Err(refuse("act", act.as_str(), "an act already recorded"));
                    }
                    p.pending_corrections.insert(id_key.to_vec(), supersession);
                }
            }
            let corrected = p.declarations.correct(act, replacement.is_some(), stamp);
            if let Some(r) = replacement {
                note_visit_event(p, &r.visit, at);
                record_act(
                    p,
                    r.clone(),
                    stamp,
                    strict,
                    "replacement",
                    corrected.as_ref(),
                )?;
            }
        }
        Payload::VisitConfirmed {
            visit,
            confirmation,
        } => {
            require_visit(p, strict, "visit", visit)?;
            lww_put(
                &mut p.confirmations,
                visit.as_str().as_bytes(),
                stamp,
                confirmation,
            );
            note_visit_event(p, visit, at);
        }
        Payload::AnomalyNoted { visit, kind, note } => {
            require_visit(p, strict, "visit", visit)?;
            let k = key(&[visit.as_str().as_bytes(), &stamp.bytes()]);
            p.visit_notes.insert(
                k,
                VisitNote::Anomaly {
                    kind: *kind,
                    note: note.clone(),
                },
            );
            note_visit_event(p, visit, at);
        }
        Payload::DosesReceived {
            technician,
            straw,
            count,
        } => {
            require_technician(p, strict, "technician", technician)?;
            change_stock(p, technician, &straw.bull, |r| {
                r.received += u64::from(*count);
                if r.straw.as_ref().is_none_or(|s| s.stamp < stamp) {
                    r.straw = Some(Lww {
                        stamp,
                        value: straw.clone(),
                    });
                }
            });
        }
        Payload::StockCorrected {
            technician,
            bull,
            delta,
            ..
        } => {
            require_technician(p, strict, "technician", technician)?;
            change_stock(p, technician, bull, |r| r.corrected += i64::from(*delta));
        }
        Payload::TimeDeclared {
            technician,
            day,
            kind,
            seconds,
            note,
        } => {
            require_technician(p, strict, "technician", technician)?;
            let k = key(&[
                technician.as_str().as_bytes(),
                day_key(*day).as_bytes(),
                &stamp.bytes(),
            ]);
            p.declared_time.insert(
                k,
                DeclaredTime {
                    technician: technician.clone(),
                    day: *day,
                    kind: *kind,
                    seconds: *seconds,
                    note: note.clone(),
                    stamp,
                },
            );
        }
        Payload::WeekReviewed {
            technician,
            week,
            supervisor,
            decision,
        } => {
            let k = review_key(technician, *week);
            let review = Review {
                supervisor: supervisor.clone(),
                decision: decision.clone(),
                stamp,
            };
            lww_put(&mut p.reviews, &k, stamp, &review);
        }
        Payload::VisitReassigned { visit, to, .. } => {
            require_technician(p, strict, "to", to)?;
            match visit_row(p, visit) {
                Some(old) if old.technician.stamp < stamp => {
                    let mut new = old.clone();
                    new.technician = Lww {
                        stamp,
                        value: to.clone(),
                    };
                    write_visit(p, Some(&old), new);
                }
                Some(_) => {}
                None if strict => {
                    return Err(refuse("visit", visit.as_str(), "a visit already recorded"));
                }
                None => {
                    let vk = visit.as_str().as_bytes();
                    let mut pending = p.pending_visits.get(vk).cloned().unwrap_or_default();
                    if pending.technician.as_ref().is_none_or(|t| t.stamp < stamp) {
                        pending.technician = Some(Lww {
                            stamp,
                            value: to.clone(),
                        });
                        p.pending_visits.insert(vk.to_vec(), pending);
                    }
                }
            }
            note_visit_event(p, visit, at);
        }
        Payload::VisitCancelled { visit, reason } => {
            match visit_row(p, visit) {
                Some(mut row) if row.cancelled.is_none() => {
                    row.cancelled = Some(reason.clone());
                    p.visits.insert(visit.as_str().as_bytes().to_vec(), row);
                }
                Some(_) => {}
                None if strict => {
                    return Err(refuse("visit", visit.as_str(), "a visit already recorded"));
                }
                None => {
                    let vk = visit.as_str().as_bytes();
                    let mut pending = p.pending_visits.get(vk).cloned().unwrap_or_default();
                    if pending.cancelled.is_none() {
                        pending.cancelled = Some(reason.clone());
                        p.pending_visits.insert(vk.to_vec(), pending);
                    }
                }
            }
            note_visit_event(p, visit, at);
        }
        Payload::RoundOrdered {
            technician,
            day,
            order,
        } => {
            let k = key(&[technician.as_str().as_bytes(), day_key(*day).as_bytes()]);
            lww_put(&mut p.rounds, &k, stamp, order);
        }
        Payload::ArrivalExpected { visit, window } => {
            require_visit(p, strict, "visit", visit)?;
            add_by_stamp(
                &mut p.arrivals,
                visit.as_str().as_bytes(),
                (stamp, (at.1, *window)),
            );
        }
        Payload::DisputeAnswered { visit, note } => {
            require_visit(p, strict, "visit", visit)?;
            let k = key(&[visit.as_str().as_bytes(), &stamp.bytes()]);
            p.visit_notes
                .insert(k, VisitNote::DisputeAnswer { note: note.clone() });
            note_visit_event(p, visit, at);
        }
        Payload::CompanyRecorded(c) => {
            lww_put(&mut p.company, b"company", stamp, c);
        }
        Payload::DeclarationsSent { batch, acts } => {
            p.declarations
                .sent(batch, acts, strict)
                .map_err(LogError::Refused)?;
        }
        Payload::DeclarationsAcknowledged { batch, refused } => {
            p.declarations
                .acknowledged(batch, refused, strict)
                .map_err(LogError::Refused)?;
        }
        Payload::AdviceWritten {
            farm,
            year,
            technician,
            text,
        } => {
            if strict && !p.farms.contains(farm.as_str().as_bytes()) {
                return Err(refuse("farm", farm.as_str(), "a farm already recorded"));
            }
            let advice = Advice {
                farm: farm.clone(),
                year: *year,
                technician: technician.clone(),
                text: text.clone(),
                stamp,
            };
            lww_put(&mut p.advice, &advice_key(farm, *year), stamp, &advice);
        }
        Payload::ClosedHoursRecorded { farm, closed } => {
            if strict && !p.farms.contains(farm.as_str().as_bytes()) {
                return Err(refuse("farm", farm.as_str(), "a farm already recorded"));
            }
            lww_put(&mut p.closed_hours, farm.as_str().as_bytes(), stamp, closed);
        }
    }
    Ok(())
}

pub(super) fn review_key(technician: &TechnicianId, week: Week) -> Vec<u8> {
    let mut yw = [0u8; 8];
    yw[..4].copy_from_slice(&week.year.to_be_bytes());
    yw[4..].copy_from_slice(&week.week.to_be_bytes());
    key(&[technician.as_str().as_bytes(), &yw])
}
