//! Reading the projections: what the screens, the CLI and `worktime` ask of the store.
//!
//! Queries read the in-memory projections under a shared lock: each answer is consistent,
//! and reflects every append that returned before it started.

use chrono::NaiveDate;

use super::event::{Event, EventId, Stamp};
use super::projection::{
    self, DeclaredTime, Lww, Projections, Review, StockLine, StoredAct, StoredVisit, Supersession,
    VisitNote, day_key, key,
};
use super::table::{Keyed, Table};
use super::{LogError, Store};
use crate::declare::Declaration;
use crate::domain::{
    Act, ActId, AnimalId, AnomalyKind, BullId, Company, Confirmation, Ede, Farm, Technician,
    TechnicianId, Visit, VisitId, Week,
};
use crate::exchange::{AdviceRecord, Records, VisitRecords};

/// An act as recorded, with what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActView {
    pub act: Act,
    pub stamp: Stamp,
    pub superseded: Option<Supersession>,
}

impl Store {
    fn read<T>(&self, f: impl FnOnce(&Projections) -> T) -> T {
        f(&self.state().projections)
    }

    pub fn technicians(&self) -> Result<Vec<Technician>, LogError> {
        Ok(self.read(|p| lww_values(&p.technicians)))
    }

    pub fn technician(&self, id: &TechnicianId) -> Result<Option<Technician>, LogError> {
        Ok(self.read(|p| {
            p.technicians
                .get(id.as_str().as_bytes())
                .map(|l| l.value.clone())
        }))
    }

    /// Every farm, by EDE number.
    pub fn farms(&self) -> Result<Vec<Farm>, LogError> {
        Ok(self.read(|p| lww_values(&p.farms)))
    }

    pub fn farm(&self, ede: &Ede) -> Result<Option<Farm>, LogError> {
        Ok(self.read(|p| {
            p.farms
                .get(ede.as_str().as_bytes())
                .map(|l| l.value.clone())
        }))
    }

    /// The hours a farm cannot receive the technician (milking), as last recorded; none when
    /// never recorded.
    pub fn closed_hours(&self, ede: &Ede) -> Result<Vec<crate::domain::ClosedSpan>, LogError> {
        Ok(self.read(|p| {
            p.closed_hours
                .get(ede.as_str().as_bytes())
                .map(|l| l.value.clone())
                .unwrap_or_default()
        }))
    }

    /// A visit, with the technician it is assigned to now.
    pub fn visit(&self, id: &VisitId) -> Result<Option<Visit>, LogError> {
        Ok(self.read(|p| p.visits.get(id.as_str().as_bytes()).map(StoredVisit::visit)))
    }

    /// Why a visit was cancelled, if it was.
    pub fn cancellation(&self, id: &VisitId) -> Result<Option<String>, LogError> {
        Ok(self.read(|p| {
            p.visits
                .get(id.as_str().as_bytes())
                .and_then(|r| r.cancelled.clone())
        }))
    }

    /// A technician's visits of one day, by visit id (cancelled ones included: see
    /// [`Store::cancellation`]).
    pub fn visits_on(
        &self,
        technician: &TechnicianId,
        day: NaiveDate,
    ) -> Result<Vec<Visit>, LogError> {
        self.visits_between(technician, day, day)
    }

    /// A technician's visits from `from` to `to` included, by day then visit id.
    pub fn visits_between(
        &self,
        technician: &TechnicianId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Visit>, LogError> {
        let t = technician.as_str().as_bytes();
        let start = key(&[t, day_key(from).as_bytes(), &[]]);
        let mut end = key(&[t, day_key(to).as_bytes()]);
        end.push(0xff);
        self.read(|p| visits_in(p, &p.visits_by_technician_day, &start, &end))
    }

    /// A farm's visits, oldest first.
    pub fn visits_of_farm(&self, ede: &Ede) -> Result<Vec<Visit>, LogError> {
        let e = ede.as_str().as_bytes();
        let (start, end) = (key(&[e, &[]]), key(&[e, &[0xff]]));
        self.read(|p| visits_in(p, &p.visits_by_farm, &start, &end))
    }

    /// Every visit, by id.
    pub fn all_visits(&self) -> Result<Vec<Visit>, LogError> {
        Ok(self.read(|p| {
            p.visits
                .sorted_values()
                .into_iter()
                .map(StoredVisit::visit)
                .collect()
        }))
    }

    /// Every act recorded at a visit, in the order recorded, corrected ones included.
    pub fn act_history(&self, visit: &VisitId) -> Result<Vec<ActView>, LogError> {
        Ok(self.read(|p| acts_indexed(p, &p.acts_by_visit, visit.as_str().as_bytes())))
    }

    /// The acts of a visit that count now (corrections applied), in the order recorded.
    pub fn acts_of(&self, visit: &VisitId) -> Result<Vec<Act>, LogError> {
        Ok(self
            .act_history(visit)?
            .into_iter()
            .filter(|a| a.superseded.is_none())
            .map(|a| a.act)
            .collect())
    }

    pub fn act(&self, id: &ActId) -> Result<Option<ActView>, LogError> {
        Ok(self.read(|p| p.acts.get(id.as_str().as_bytes()).map(|a| a.view())))
    }

    /// The farmer's latest word on a visit.
    pub fn confirmation(&self, visit: &VisitId) -> Result<Option<Confirmation>, LogError> {
        Ok(self.read(|p| {
            p.confirmations
                .get(visit.as_str().as_bytes())
                .map(|l| l.value.clone())
        }))
    }

    /// Anomalies and answers to disputes written about a visit, oldest first.
    pub fn visit_notes(&self, visit: &VisitId) -> Result<Vec<VisitNote>, LogError> {
        let prefix = key(&[visit.as_str().as_bytes(), &[]]);
        Ok(self.read(|p| {
            p.visit_notes
                .scan_prefix(&prefix)
                .map(|(_, n)| n.clone())
                .collect()
        }))
    }

    pub fn anomalies(&self, visit: &VisitId) -> Result<Vec<(AnomalyKind, String)>, LogError> {
        Ok(self
            .visit_notes(visit)?
            .into_iter()
            .filter_map(|n| match n {
                VisitNote::Anomaly { kind, note } => Some((kind, note)),
                VisitNote::DisputeAnswer { .. } => None,
            })
            .collect())
    }

    /// Every event about a visit (its records, acts, corrections, confirmations,
    /// reassignments...), in clock order: who did what, and when.
    pub fn visit_history(&self, visit: &VisitId) -> Result<Vec<Event>, LogError> {
        let ids: Vec<_> = self.read(|p| {
            p.visit_events
                .get(visit.as_str().as_bytes())
                .into_iter()
                .flatten()
                .map(|(_, id)| *id)
                .collect()
        });
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(e) = self.event(id)? {
                out.push(e);
            }
        }
        Ok(out)
    }

    /// The technician's tank, one line per sire, by bull number.
    pub fn stock(&self, technician: &TechnicianId) -> Result<Vec<StockLine>, LogError> {
        let prefix = key(&[technician.as_str().as_bytes(), &[]]);
        self.read(|p| {
            p.stock
                .scan_prefix(&prefix)
                .map(|(k, row)| {
                    let bull = std::str::from_utf8(&k[prefix.len()..])
                        .ok()
                        .and_then(|b| BullId::parse("bull", b).ok())
                        .ok_or_else(|| LogError::Corrupt("a bull number in the stock".into()))?;
                    Ok(StockLine {
                        bull,
                        straw: row.straw.as_ref().map(|s| s.value.clone()),
                        received: row.received,
                        used: row.used,
                        corrected: row.corrected,
                    })
                })
                .collect()
        })
    }

    /// Time declared by a technician from `from` to `to` included.
    pub fn declared_time(
        &self,
        technician: &TechnicianId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DeclaredTime>, LogError> {
        let t = technician.as_str().as_bytes();
        let start = key(&[t, day_key(from).as_bytes(), &[]]);
        let mut end = key(&[t, day_key(to).as_bytes()]);
        end.push(0xff);
        Ok(self.read(|p| {
            p.declared_time
                .range(&start, &end)
                .map(|(_, d)| d.clone())
                .collect()
        }))
    }

    /// The supervisor's latest decision on a technician's week.
    pub fn review(
        &self,
        technician: &TechnicianId,
        week: Week,
    ) -> Result<Option<Review>, LogError> {
        let k = projection::review_key(technician, week);
        Ok(self.read(|p| p.reviews.get(&k).map(|l| l.value.clone())))
    }

    /// The order of a technician's round on a day, if one was recorded.
    pub fn round_order(
        &self,
        technician: &TechnicianId,
        day: NaiveDate,
    ) -> Result<Option<Vec<VisitId>>, LogError> {
        let k = key(&[technician.as_str().as_bytes(), day_key(day).as_bytes()]);
        Ok(self.read(|p| p.rounds.get(&k).map(|l| l.value.clone())))
    }

    /// A visit's arrival windows as recorded, oldest clock first, with the event of each.
    pub fn arrivals(
        &self,
        visit: &VisitId,
    ) -> Result<Vec<(EventId, crate::domain::ArrivalWindow)>, LogError> {
        Ok(self.read(|p| {
            p.arrivals
                .get(visit.as_str().as_bytes())
                .map(|l| l.iter().map(|(_, w)| *w).collect())
                .unwrap_or_default()
        }))
    }

    /// The company's record, if one was recorded.
    pub fn company(&self) -> Result<Option<Company>, LogError> {
        Ok(self.read(|p| p.company.get(b"company").map(|l| l.value.clone())))
    }

    /// The technician's advice to a farm for the year after `year`, if written.
    pub fn advice(&self, farm: &Ede, year: i32) -> Result<Option<projection::Advice>, LogError> {
        let k = projection::advice_key(farm, year);
        Ok(self.read(|p| p.advice.get(&k).map(|l| l.value.clone())))
    }

    /// Every farm's advice, as last written, by farm then year.
    pub fn all_advice(&self) -> Result<Vec<projection::Advice>, LogError> {
        Ok(self.read(|p| lww_values(&p.advice)))
    }

    /// Every act recorded on an animal (corrected ones included), oldest first.
    pub fn acts_of_animal(&self, animal: &AnimalId) -> Result<Vec<ActView>, LogError> {
        Ok(self.read(|p| acts_indexed(p, &p.acts_by_animal, animal.as_str().as_bytes())))
    }

    /// The declaration of an insemination act.
    pub fn declaration(&self, act: &ActId) -> Result<Option<Declaration>, LogError> {
        Ok(self.read(|p| p.declarations.get(act).cloned()))
    }

    /// Declarations still to send, sent and unanswered, or refused; of one technician, or of
    /// everyone. Ordered by deadline, then act id.
    pub fn open_declarations(
        &self,
        technician: Option<&TechnicianId>,
    ) -> Result<Vec<Declaration>, LogError> {
        let mut out: Vec<Declaration> = self.read(|p| {
            p.declarations
                .open()
                .filter(|d| technician.is_none_or(|t| d.technician.as_ref() == Some(t)))
                .cloned()
                .collect()
        });
        out.sort_by(|a, b| (a.deadline(), &a.act).cmp(&(b.deadline(), &b.act)));
        Ok(out)
    }

    /// Everything the store holds as exchange records (for `tournee export`): technicians,
    /// farms, every visit with its current acts and latest confirmation, by day then id, and
    /// every farm's advice as last written and its closed hours.
    pub fn records(&self) -> Result<Records, LogError> {
        let mut visits = self.all_visits()?;
        visits.sort_by(|a, b| (a.day, &a.id).cmp(&(b.day, &b.id)));
        let mut out = Records {
            company: self.company()?,
            technicians: self.technicians()?,
            farms: self.farms()?,
            visits: Vec::with_capacity(visits.len()),
            advice: self
                .all_advice()?
                .into_iter()
                .map(|a| AdviceRecord {
                    farm: a.farm,
                    year: a.year,
                    technician: a.technician,
                    text: a.text,
                })
                .collect(),
            closed_hours: Vec::new(),
        };
        for farm in &out.farms {
            let closed = self.closed_hours(&farm.ede)?;
            if !closed.is_empty() {
                out.closed_hours.push((farm.ede.clone(), closed));
            }
        }
        for visit in visits {
            out.visits.push(VisitRecords {
                acts: self.acts_of(&visit.id)?,
                confirmation: self.confirmation(&visit.id)?,
                visit,
            });
        }
        Ok(out)
    }
}

fn lww_values<T: Clone>(table: &Keyed<Lww<T>>) -> Vec<T> {
    table
        .sorted_values()
        .into_iter()
        .map(|l| l.value.clone())
        .collect()
}

/// Visits an index lists from `start` (included) to `end` (excluded).
fn visits_in(
    p: &Projections,
    index: &Table<()>,
    start: &[u8],
    end: &[u8],
) -> Result<Vec<Visit>, LogError> {
    let mut out = Vec::new();
    for (k, _) in index.range(start, end) {
        let id = k.rsplit(|b| *b == 0).next().unwrap_or_default();
        if let Some(row) = p.visits.get(id) {
            out.push(row.visit());
        }
    }
    Ok(out)
}

/// The acts an index lists under a record, in clock order.
fn acts_indexed(p: &Projections, index: &Keyed<Vec<(Stamp, ActId)>>, k: &[u8]) -> Vec<ActView> {
    index
        .get(k)
        .into_iter()
        .flatten()
        .filter_map(|(_, id)| p.acts.get(id.as_str().as_bytes()))
        .map(|a| a.view())
        .collect()
}

impl StoredAct {
    fn view(&self) -> ActView {
        ActView {
            act: self.act.clone(),
            stamp: self.stamp,
            superseded: self.superseded.clone(),
        }
    }
}
