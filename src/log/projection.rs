//! Projections: the trees the screens read (visits by day and technician, acts by visit,
//! farms, stock, ...), updated from each event inside the transaction that stores it.
//!
//! Every rule here gives the same state whatever order events from different devices arrive
//! in: mutable records keep the value with the greatest [`Stamp`], sets are unions, and a
//! correction that arrives before the act it corrects waits in `pending_corrections`, and a
//! reassignment or cancellation that arrives before the visit's record waits in
//! `pending_visits`.
//! Not for queries' shapes (see `query.rs`) nor for storage of events (see `mod.rs`).

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::LogError;
use super::event::{Event, Stamp};
use crate::declare::{Declaration, DeclarationKind, DeclarationStatus};
use crate::domain::{
    Act, ActId, AnomalyKind, BullId, Confirmation, DomainError, Ede, Family, OtherTimeKind,
    Payload, ReviewDecision, Straw, SupervisorId, TechnicianId, Visit, VisitId, Week, paris_day,
};

/// The projection trees, in the order of [`Tx`]'s fields.
pub(super) const TREES: [&str; 21] = [
    "technicians",
    "farms",
    "visits",
    "visits_by_technician_day",
    "visits_by_farm",
    "visit_events",
    "acts",
    "acts_by_visit",
    "pending_corrections",
    "confirmations",
    "visit_notes",
    "stock",
    "declared_time",
    "reviews",
    "rounds",
    "company",
    "declarations",
    "declarations_open",
    "declaration_batches",
    "acts_by_animal",
    "pending_visits",
];

/// Bumped whenever a projection's layout or rule changes: the store rebuilds them on open.
pub(super) const VERSION: u32 = 3;

/// The projection trees inside one transaction.
pub(super) struct Tx<'a> {
    pub technicians: &'a TransactionalTree,
    pub farms: &'a TransactionalTree,
    pub visits: &'a TransactionalTree,
    pub visits_by_technician_day: &'a TransactionalTree,
    pub visits_by_farm: &'a TransactionalTree,
    pub visit_events: &'a TransactionalTree,
    pub acts: &'a TransactionalTree,
    pub acts_by_visit: &'a TransactionalTree,
    pub pending_corrections: &'a TransactionalTree,
    pub confirmations: &'a TransactionalTree,
    pub visit_notes: &'a TransactionalTree,
    pub stock: &'a TransactionalTree,
    pub declared_time: &'a TransactionalTree,
    pub reviews: &'a TransactionalTree,
    pub rounds: &'a TransactionalTree,
    pub company: &'a TransactionalTree,
    pub declarations: &'a TransactionalTree,
    pub declarations_open: &'a TransactionalTree,
    pub declaration_batches: &'a TransactionalTree,
    pub acts_by_animal: &'a TransactionalTree,
    pub pending_visits: &'a TransactionalTree,
}

impl<'a> Tx<'a> {
    pub fn new(t: &'a [TransactionalTree]) -> Tx<'a> {
        Tx {
            technicians: &t[0],
            farms: &t[1],
            visits: &t[2],
            visits_by_technician_day: &t[3],
            visits_by_farm: &t[4],
            visit_events: &t[5],
            acts: &t[6],
            acts_by_visit: &t[7],
            pending_corrections: &t[8],
            confirmations: &t[9],
            visit_notes: &t[10],
            stock: &t[11],
            declared_time: &t[12],
            reviews: &t[13],
            rounds: &t[14],
            company: &t[15],
            declarations: &t[16],
            declarations_open: &t[17],
            declaration_batches: &t[18],
            acts_by_animal: &t[19],
            pending_visits: &t[20],
        }
    }
}

/// A value and the stamp of the event that set it (latest clock wins).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Lww<T> {
    pub stamp: Stamp,
    pub value: T,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct VisitRow {
    /// The visit as last recorded.
    pub body: Lww<Visit>,
    /// Whose round it is in: set by the visit's record and by reassignments.
    pub technician: Lww<TechnicianId>,
    pub cancelled: Option<String>,
}

impl VisitRow {
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
pub(super) struct ActRow {
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

/// Something written about a visit besides its acts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum VisitNote {
    Anomaly { kind: AnomalyKind, note: String },
    DisputeAnswer { note: String },
}

type Abort = ConflictableTransactionError<LogError>;

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

pub(super) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, LogError> {
    postcard::from_bytes(bytes).map_err(|e| LogError::Corrupt(format!("projection row: {e}")))
}

fn get<T: DeserializeOwned>(tree: &TransactionalTree, k: &[u8]) -> Result<Option<T>, Abort> {
    match tree.get(k)? {
        None => Ok(None),
        Some(v) => decode(&v).map(Some).map_err(Abort::Abort),
    }
}

fn put<T: Serialize>(tree: &TransactionalTree, k: &[u8], value: &T) -> Result<(), Abort> {
    let bytes = postcard::to_allocvec(value)
        .map_err(|e| Abort::Abort(LogError::Corrupt(format!("encoding a row: {e}"))))?;
    tree.insert(k, bytes)?;
    Ok(())
}

fn refuse(field: &str, value: &str, expected: &str) -> Abort {
    Abort::Abort(LogError::Refused(DomainError::invalid(
        field, value, expected,
    )))
}

/// Sets a latest-clock-wins record; returns whether the event's value was kept.
fn lww_put<T: Serialize + DeserializeOwned>(
    tree: &TransactionalTree,
    k: &[u8],
    stamp: Stamp,
    value: &T,
) -> Result<bool, Abort> {
    if let Some(old) = get::<Lww<T>>(tree, k)?
        && old.stamp >= stamp
    {
        return Ok(false);
    }
    put(tree, k, &Lww { stamp, value })?;
    Ok(true)
}

fn visit_index_keys(row: &VisitRow) -> (Vec<u8>, Vec<u8>) {
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
fn write_visit(tx: &Tx, old: Option<&VisitRow>, new: &VisitRow) -> Result<(), Abort> {
    let new_keys = visit_index_keys(new);
    if let Some(old) = old {
        let old_keys = visit_index_keys(old);
        if old_keys.0 != new_keys.0 {
            tx.visits_by_technician_day.remove(old_keys.0)?;
        }
        if old_keys.1 != new_keys.1 {
            tx.visits_by_farm.remove(old_keys.1)?;
        }
    }
    tx.visits_by_technician_day.insert(new_keys.0, &[])?;
    tx.visits_by_farm.insert(new_keys.1, &[])?;
    put(tx.visits, new.body.value.id.as_str().as_bytes(), new)
}

fn note_visit_event(tx: &Tx, visit: &VisitId, event: &Event) -> Result<(), Abort> {
    let k = key(&[visit.as_str().as_bytes(), &event.stamp().bytes()]);
    tx.visit_events.insert(k, &event.id.key()[..])?;
    Ok(())
}

fn visit_row(tx: &Tx, visit: &VisitId) -> Result<Option<VisitRow>, Abort> {
    get(tx.visits, visit.as_str().as_bytes())
}

fn require_visit(tx: &Tx, strict: bool, field: &str, visit: &VisitId) -> Result<(), Abort> {
    if strict && visit_row(tx, visit)?.is_none() {
        return Err(refuse(field, visit.as_str(), "a visit already recorded"));
    }
    Ok(())
}

fn require_technician(
    tx: &Tx,
    strict: bool,
    field: &str,
    technician: &TechnicianId,
) -> Result<(), Abort> {
    if strict
        && tx
            .technicians
            .get(technician.as_str().as_bytes())?
            .is_none()
    {
        return Err(refuse(
            field,
            technician.as_str(),
            "a technician already recorded",
        ));
    }
    Ok(())
}

fn stock_key(technician: &TechnicianId, bull: &BullId) -> Vec<u8> {
    key(&[technician.as_str().as_bytes(), bull.as_str().as_bytes()])
}

fn change_stock(
    tx: &Tx,
    technician: &TechnicianId,
    bull: &BullId,
    f: impl FnOnce(&mut StockRow),
) -> Result<(), Abort> {
    let k = stock_key(technician, bull);
    let mut row = get::<StockRow>(tx.stock, &k)?.unwrap_or(StockRow {
        straw: None,
        received: 0,
        used: 0,
        corrected: 0,
    });
    f(&mut row);
    put(tx.stock, &k, &row)
}

/// The Paris day of an event's clock, for when a correction puts a record back in the queue.
fn stamp_day(stamp: Stamp) -> chrono::NaiveDate {
    let secs = (stamp.clock.wall_ms / 1000) as i64;
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| paris_day(&t.fixed_offset()))
        .unwrap_or_default()
}

fn write_declaration(tx: &Tx, d: &Declaration) -> Result<(), Abort> {
    let k = d.act.as_str().as_bytes();
    if d.status.is_open() {
        tx.declarations_open.insert(k, &[])?;
    } else {
        tx.declarations_open.remove(k)?;
    }
    put(tx.declarations, k, d)
}

/// Puts a new insemination in the declaration queue. `corrects` is the declared record it
/// replaces, if any.
fn queue_declaration(
    tx: &Tx,
    act: &Act,
    visit: Option<&VisitRow>,
    stamp: Stamp,
    corrects: Option<&Declaration>,
) -> Result<(), Abort> {
    if act.kind.family() != Family::Insemination {
        return Ok(());
    }
    let date = act
        .at
        .as_ref()
        .map(paris_day)
        .or(visit.map(|v| v.body.value.day))
        .unwrap_or_else(|| stamp_day(stamp));
    let (kind, since) = match corrects {
        Some(old)
            if matches!(
                old.status,
                DeclarationStatus::Accepted { .. } | DeclarationStatus::Sent { .. }
            ) =>
        {
            (
                DeclarationKind::Correction {
                    of: old.act.clone(),
                },
                stamp_day(stamp),
            )
        }
        _ => (DeclarationKind::Initial, date),
    };
    write_declaration(
        tx,
        &Declaration {
            act: act.id.clone(),
            visit: act.visit.clone(),
            technician: visit.map(|v| v.technician.value.clone()),
            date,
            since,
            kind,
            status: DeclarationStatus::ToSend,
        },
    )
}

/// What a correction does to the declaration of the act it corrects: never accepted, it is
/// withdrawn; sent or accepted, it is corrected by the replacement, or cancelled.
fn correct_declaration(
    tx: &Tx,
    act: &ActId,
    replaced: bool,
    stamp: Stamp,
) -> Result<Option<Declaration>, Abort> {
    let Some(mut d) = get::<Declaration>(tx.declarations, act.as_str().as_bytes())? else {
        return Ok(None);
    };
    let before = d.clone();
    let declared = matches!(
        d.status,
        DeclarationStatus::Sent { .. } | DeclarationStatus::Accepted { .. }
    );
    if !declared || replaced {
        d.status = DeclarationStatus::Withdrawn;
    } else {
        d.kind = DeclarationKind::Cancellation;
        d.status = DeclarationStatus::ToSend;
        d.since = stamp_day(stamp);
    }
    write_declaration(tx, &d)?;
    Ok(Some(before))
}

/// Records an act in the projections (a new act, or the replacement in a correction).
fn record_act(tx: &Tx, act: &Act, stamp: Stamp, strict: bool, field: &str) -> Result<(), Abort> {
    record_act_correcting(tx, act, stamp, strict, field, None)
}

fn record_act_correcting(
    tx: &Tx,
    act: &Act,
    stamp: Stamp,
    strict: bool,
    field: &str,
    corrects: Option<&Declaration>,
) -> Result<(), Abort> {
    let id_key = act.id.as_str().as_bytes();
    if tx.acts.get(id_key)?.is_some() {
        if strict {
            return Err(refuse(
                &format!("{field}.id"),
                act.id.as_str(),
                "a new act id (acts are facts: correct an act instead of recording it again)",
            ));
        }
        return Ok(()); // the same act seen twice from a peer: nothing more to record
    }
    let visit = visit_row(tx, &act.visit)?;
    if strict && visit.is_none() {
        return Err(refuse(
            &format!("{field}.visit"),
            act.visit.as_str(),
            "a visit already recorded",
        ));
    }
    let dose_from = match (&act.bull, &visit) {
        (Some(bull), Some(v)) if act.kind.uses_dose() => {
            let technician = v.technician.value.clone();
            change_stock(tx, &technician, bull, |r| r.used += u64::from(act.count))?;
            Some(technician)
        }
        _ => None,
    };
    let superseded = get::<Supersession>(tx.pending_corrections, id_key)?;
    if superseded.is_some() {
        tx.pending_corrections.remove(id_key)?;
        if let (Some(t), Some(bull)) = (&dose_from, &act.bull) {
            change_stock(tx, t, bull, |r| {
                r.used = r.used.saturating_sub(u64::from(act.count))
            })?;
        }
    }
    let row = ActRow {
        act: act.clone(),
        stamp,
        dose_from,
        superseded,
    };
    if row.superseded.is_none() {
        queue_declaration(tx, act, visit.as_ref(), stamp, corrects)?;
    }
    put(tx.acts, id_key, &row)?;
    tx.acts_by_visit.insert(
        key(&[act.visit.as_str().as_bytes(), &stamp.bytes()]),
        id_key,
    )?;
    for animal in &act.animals {
        tx.acts_by_animal
            .insert(key(&[animal.as_str().as_bytes(), &stamp.bytes()]), id_key)?;
    }
    Ok(())
}

/// Applies one event to the projections. `strict` (local appends) refuses references to
/// records that do not exist; events from peers are applied as they come.
pub(super) fn apply(tx: &Tx, event: &Event, strict: bool) -> Result<(), Abort> {
    let stamp = event.stamp();
    match &event.payload {
        Payload::TechnicianRecorded(t) => {
            lww_put(tx.technicians, t.id.as_str().as_bytes(), stamp, t)?;
        }
        Payload::FarmRecorded(f) => {
            lww_put(tx.farms, f.ede.as_str().as_bytes(), stamp, f)?;
        }
        Payload::VisitRecorded(v) => {
            if strict && tx.farms.get(v.farm.as_str().as_bytes())?.is_none() {
                return Err(refuse(
                    "visit.farm",
                    v.farm.as_str(),
                    "a farm already recorded",
                ));
            }
            require_technician(tx, strict, "visit.technician", &v.technician)?;
            let old = visit_row(tx, &v.id)?;
            let new = match &old {
                None => {
                    let vk = v.id.as_str().as_bytes();
                    let pending = get::<PendingVisit>(tx.pending_visits, vk)?;
                    if pending.is_some() {
                        tx.pending_visits.remove(vk)?;
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
                    VisitRow {
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
            write_visit(tx, old.as_ref(), &new)?;
            note_visit_event(tx, &v.id, event)?;
        }
        Payload::ActRecorded(a) => {
            record_act(tx, a, stamp, strict, "act")?;
            note_visit_event(tx, &a.visit, event)?;
        }
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
            match get::<ActRow>(tx.acts, id_key)? {
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
                            change_stock(tx, t, bull, |r| r.used = r.used.saturating_sub(n))?;
                        }
                        row.superseded = Some(supersession);
                        put(tx.acts, id_key, &row)?;
                    }
                    note_visit_event(tx, &row.act.visit, event)?;
                }
                None => {
                    if strict {
                        return Err(refuse("act", act.as_str(), "an act already recorded"));
                    }
                    put(tx.pending_corrections, id_key, &supersession)?;
                }
            }
            let corrected = correct_declaration(tx, act, replacement.is_some(), stamp)?;
            if let Some(r) = replacement {
                record_act_correcting(tx, r, stamp, strict, "replacement", corrected.as_ref())?;
                note_visit_event(tx, &r.visit, event)?;
            }
        }
        Payload::VisitConfirmed {
            visit,
            confirmation,
        } => {
            require_visit(tx, strict, "visit", visit)?;
            lww_put::<Confirmation>(
                tx.confirmations,
                visit.as_str().as_bytes(),
                stamp,
                confirmation,
            )?;
            note_visit_event(tx, visit, event)?;
        }
        Payload::AnomalyNoted { visit, kind, note } => {
            require_visit(tx, strict, "visit", visit)?;
            let k = key(&[visit.as_str().as_bytes(), &stamp.bytes()]);
            put(
                tx.visit_notes,
                &k,
                &VisitNote::Anomaly {
                    kind: *kind,
                    note: note.clone(),
                },
            )?;
            note_visit_event(tx, visit, event)?;
        }
        Payload::DosesReceived {
            technician,
            straw,
            count,
        } => {
            require_technician(tx, strict, "technician", technician)?;
            change_stock(tx, technician, &straw.bull, |r| {
                r.received += u64::from(*count);
                if r.straw.as_ref().is_none_or(|s| s.stamp < stamp) {
                    r.straw = Some(Lww {
                        stamp,
                        value: straw.clone(),
                    });
                }
            })?;
        }
        Payload::StockCorrected {
            technician,
            bull,
            delta,
            ..
        } => {
            require_technician(tx, strict, "technician", technician)?;
            change_stock(tx, technician, bull, |r| r.corrected += i64::from(*delta))?;
        }
        Payload::TimeDeclared {
            technician,
            day,
            kind,
            seconds,
            note,
        } => {
            require_technician(tx, strict, "technician", technician)?;
            let k = key(&[
                technician.as_str().as_bytes(),
                day_key(*day).as_bytes(),
                &stamp.bytes(),
            ]);
            put(
                tx.declared_time,
                &k,
                &DeclaredTime {
                    technician: technician.clone(),
                    day: *day,
                    kind: *kind,
                    seconds: *seconds,
                    note: note.clone(),
                    stamp,
                },
            )?;
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
            lww_put(tx.reviews, &k, stamp, &review)?;
        }
        Payload::VisitReassigned { visit, to, .. } => {
            require_technician(tx, strict, "to", to)?;
            match visit_row(tx, visit)? {
                Some(old) if old.technician.stamp < stamp => {
                    let mut new = old.clone();
                    new.technician = Lww {
                        stamp,
                        value: to.clone(),
                    };
                    write_visit(tx, Some(&old), &new)?;
                }
                Some(_) => {}
                None if strict => {
                    return Err(refuse("visit", visit.as_str(), "a visit already recorded"));
                }
                None => {
                    let vk = visit.as_str().as_bytes();
                    let mut pending =
                        get::<PendingVisit>(tx.pending_visits, vk)?.unwrap_or_default();
                    if pending.technician.as_ref().is_none_or(|t| t.stamp < stamp) {
                        pending.technician = Some(Lww {
                            stamp,
                            value: to.clone(),
                        });
                        put(tx.pending_visits, vk, &pending)?;
                    }
                }
            }
            note_visit_event(tx, visit, event)?;
        }
        Payload::VisitCancelled { visit, reason } => {
            match visit_row(tx, visit)? {
                Some(mut row) if row.cancelled.is_none() => {
                    row.cancelled = Some(reason.clone());
                    put(tx.visits, visit.as_str().as_bytes(), &row)?;
                }
                Some(_) => {}
                None if strict => {
                    return Err(refuse("visit", visit.as_str(), "a visit already recorded"));
                }
                None => {
                    let vk = visit.as_str().as_bytes();
                    let mut pending =
                        get::<PendingVisit>(tx.pending_visits, vk)?.unwrap_or_default();
                    if pending.cancelled.is_none() {
                        pending.cancelled = Some(reason.clone());
                        put(tx.pending_visits, vk, &pending)?;
                    }
                }
            }
            note_visit_event(tx, visit, event)?;
        }
        Payload::RoundOrdered {
            technician,
            day,
            order,
        } => {
            let k = key(&[technician.as_str().as_bytes(), day_key(*day).as_bytes()]);
            lww_put(tx.rounds, &k, stamp, order)?;
        }
        Payload::DisputeAnswered { visit, note } => {
            require_visit(tx, strict, "visit", visit)?;
            let k = key(&[visit.as_str().as_bytes(), &stamp.bytes()]);
            put(
                tx.visit_notes,
                &k,
                &VisitNote::DisputeAnswer { note: note.clone() },
            )?;
            note_visit_event(tx, visit, event)?;
        }
        Payload::CompanyRecorded(c) => {
            lww_put(tx.company, b"company", stamp, c)?;
        }
        Payload::DeclarationsSent { batch, acts } => {
            if tx.declaration_batches.get(batch.as_bytes())?.is_some() {
                if strict {
                    return Err(refuse("batch", batch, "a batch name not used before"));
                }
                return Ok(());
            }
            let mut sent = Vec::new();
            for (i, act) in acts.iter().enumerate() {
                match get::<Declaration>(tx.declarations, act.as_str().as_bytes())? {
                    Some(mut d)
                        if matches!(
                            d.status,
                            DeclarationStatus::ToSend | DeclarationStatus::Refused { .. }
                        ) =>
                    {
                        d.status = DeclarationStatus::Sent {
                            batch: batch.clone(),
                        };
                        write_declaration(tx, &d)?;
                        sent.push(act.clone());
                    }
                    _ if strict => {
                        return Err(refuse(
                            &format!("acts[{i}]"),
                            act.as_str(),
                            "an insemination record waiting to be sent",
                        ));
                    }
                    _ => {}
                }
            }
            put(tx.declaration_batches, batch.as_bytes(), &sent)?;
        }
        Payload::DeclarationsAcknowledged { batch, refused } => {
            let Some(acts) = get::<Vec<ActId>>(tx.declaration_batches, batch.as_bytes())? else {
                if strict {
                    return Err(refuse("batch", batch, "a batch of records already sent"));
                }
                return Ok(());
            };
            for act in acts {
                let Some(mut d) = get::<Declaration>(tx.declarations, act.as_str().as_bytes())?
                else {
                    continue;
                };
                // A record corrected since it was sent keeps its new status.
                if d.status
                    != (DeclarationStatus::Sent {
                        batch: batch.clone(),
                    })
                {
                    continue;
                }
                d.status = match refused.iter().find(|r| r.act == d.act) {
                    Some(r) => DeclarationStatus::Refused {
                        batch: batch.clone(),
                        reason: r.reason.clone(),
                    },
                    None => DeclarationStatus::Accepted {
                        batch: batch.clone(),
                    },
                };
                write_declaration(tx, &d)?;
            }
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

/// The farm an EDE key names, for error messages.
pub(super) fn ede_key(ede: &Ede) -> &[u8] {
    ede.as_str().as_bytes()
}
