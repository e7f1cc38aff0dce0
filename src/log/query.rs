//! Reading the projections: what the screens, the CLI and `worktime` ask of the store.
//!
//! Queries read sled's trees directly (no transaction): each returns a consistent answer for
//! one record, and a list reflects every append that returned before it started.

use chrono::NaiveDate;
use serde::de::DeserializeOwned;

use super::event::{Event, EventId, Stamp};
use super::projection::{
    self, ActRow, DeclaredTime, Lww, Review, StockLine, StockRow, Supersession, VisitNote,
    VisitRow, day_key, decode, key,
};
use super::{LogError, Store, decode_event};
use crate::declare::Declaration;
use crate::domain::{
    Act, ActId, AnimalId, AnomalyKind, BullId, Company, Confirmation, Ede, Farm, Technician,
    TechnicianId, Visit, VisitId, Week,
};
use crate::exchange::{Records, VisitRecords};

/// An act as recorded, with what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActView {
    pub act: Act,
    pub stamp: Stamp,
    pub superseded: Option<Supersession>,
}

impl Store {
    fn get<T: DeserializeOwned>(&self, tree: &str, k: &[u8]) -> Result<Option<T>, LogError> {
        match self.tree(tree).get(k)? {
            Some(v) => decode(&v).map(Some),
            None => Ok(None),
        }
    }

    fn values<T: DeserializeOwned>(&self, tree: &str, prefix: &[u8]) -> Result<Vec<T>, LogError> {
        let mut out = Vec::new();
        for kv in self.tree(tree).scan_prefix(prefix) {
            let (_, v) = kv?;
            out.push(decode(&v)?);
        }
        Ok(out)
    }

    fn lww_values<T: DeserializeOwned>(&self, tree: &str) -> Result<Vec<T>, LogError> {
        Ok(self
            .values::<Lww<T>>(tree, &[])?
            .into_iter()
            .map(|l| l.value)
            .collect())
    }

    pub fn technicians(&self) -> Result<Vec<Technician>, LogError> {
        self.lww_values("technicians")
    }

    pub fn technician(&self, id: &TechnicianId) -> Result<Option<Technician>, LogError> {
        Ok(self
            .get::<Lww<Technician>>("technicians", id.as_str().as_bytes())?
            .map(|l| l.value))
    }

    /// Every farm, by EDE number.
    pub fn farms(&self) -> Result<Vec<Farm>, LogError> {
        self.lww_values("farms")
    }

    pub fn farm(&self, ede: &Ede) -> Result<Option<Farm>, LogError> {
        Ok(self
            .get::<Lww<Farm>>("farms", projection::ede_key(ede))?
            .map(|l| l.value))
    }

    fn visit_row(&self, id: &VisitId) -> Result<Option<VisitRow>, LogError> {
        self.get("visits", id.as_str().as_bytes())
    }

    /// A visit, with the technician it is assigned to now.
    pub fn visit(&self, id: &VisitId) -> Result<Option<Visit>, LogError> {
        Ok(self.visit_row(id)?.map(|r| r.visit()))
    }

    /// Why a visit was cancelled, if it was.
    pub fn cancellation(&self, id: &VisitId) -> Result<Option<String>, LogError> {
        Ok(self.visit_row(id)?.and_then(|r| r.cancelled))
    }

    /// Visits whose index keys start with `from` up to `to` (inclusive of the prefix `to`).
    fn visits_in(&self, tree: &str, from: Vec<u8>, to: Vec<u8>) -> Result<Vec<Visit>, LogError> {
        let mut end = to;
        end.push(0xff);
        let mut out = Vec::new();
        for kv in self.tree(tree).range(from..end) {
            let (k, _) = kv?;
            let id = k.rsplit(|b| *b == 0).next().unwrap_or_default();
            let id = std::str::from_utf8(id)
                .map_err(|_| LogError::Corrupt("a visit id in an index is not text".into()))?;
            let Ok(id) = VisitId::parse("visit", id) else {
                return Err(LogError::Corrupt(format!("visit id {id:?} in an index")));
            };
            if let Some(row) = self.visit_row(&id)? {
                out.push(row.visit());
            }
        }
        Ok(out)
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
        self.visits_in(
            "visits_by_technician_day",
            key(&[t, day_key(from).as_bytes(), &[]]),
            key(&[t, day_key(to).as_bytes()]),
        )
    }

    /// A farm's visits, oldest first.
    pub fn visits_of_farm(&self, ede: &Ede) -> Result<Vec<Visit>, LogError> {
        let e = ede.as_str().as_bytes();
        self.visits_in("visits_by_farm", key(&[e, &[]]), key(&[e, &[0xfe]]))
    }

    /// Every visit, by id.
    pub fn all_visits(&self) -> Result<Vec<Visit>, LogError> {
        Ok(self
            .values::<VisitRow>("visits", &[])?
            .iter()
            .map(VisitRow::visit)
            .collect())
    }

    /// The acts an index lists under `prefix`, in the index's order.
    fn acts_indexed(&self, index: &str, prefix: &[u8]) -> Result<Vec<ActView>, LogError> {
        let mut out = Vec::new();
        for kv in self.tree(index).scan_prefix(key(&[prefix, &[]])) {
            let (_, id) = kv?;
            if let Some(row) = self.get::<ActRow>("acts", &id)? {
                out.push(ActView {
                    act: row.act,
                    stamp: row.stamp,
                    superseded: row.superseded,
                });
            }
        }
        Ok(out)
    }

    /// Every act recorded at a visit, in the order recorded, corrected ones included.
    pub fn act_history(&self, visit: &VisitId) -> Result<Vec<ActView>, LogError> {
        self.acts_indexed("acts_by_visit", visit.as_str().as_bytes())
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
        Ok(self
            .get::<ActRow>("acts", id.as_str().as_bytes())?
            .map(|row| ActView {
                act: row.act,
                stamp: row.stamp,
                superseded: row.superseded,
            }))
    }

    /// The farmer's latest word on a visit.
    pub fn confirmation(&self, visit: &VisitId) -> Result<Option<Confirmation>, LogError> {
        Ok(self
            .get::<Lww<Confirmation>>("confirmations", visit.as_str().as_bytes())?
            .map(|l| l.value))
    }

    /// Anomalies and answers to disputes written about a visit, oldest first.
    pub fn visit_notes(&self, visit: &VisitId) -> Result<Vec<VisitNote>, LogError> {
        self.values("visit_notes", &key(&[visit.as_str().as_bytes(), &[]]))
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
        let mut out = Vec::new();
        for kv in self
            .tree("visit_events")
            .scan_prefix(key(&[visit.as_str().as_bytes(), &[]]))
        {
            let (_, event_key) = kv?;
            if let Some(v) = self.tree("events").get(&event_key)? {
                out.push(decode_event(&event_key, &v)?);
            }
        }
        Ok(out)
    }

    /// One event, by id.
    pub fn event(&self, id: EventId) -> Result<Option<Event>, LogError> {
        match self.tree("events").get(id.key())? {
            Some(v) => decode_event(&id.key(), &v).map(Some),
            None => Ok(None),
        }
    }

    /// The technician's tank, one line per sire, by bull number.
    pub fn stock(&self, technician: &TechnicianId) -> Result<Vec<StockLine>, LogError> {
        let prefix = key(&[technician.as_str().as_bytes(), &[]]);
        let mut out = Vec::new();
        for kv in self.tree("stock").scan_prefix(&prefix) {
            let (k, v) = kv?;
            let row: StockRow = decode(&v)?;
            let bull = std::str::from_utf8(&k[prefix.len()..])
                .ok()
                .and_then(|b| BullId::parse("bull", b).ok())
                .ok_or_else(|| LogError::Corrupt("a bull number in the stock".into()))?;
            out.push(StockLine {
                bull,
                straw: row.straw.map(|s| s.value),
                received: row.received,
                used: row.used,
                corrected: row.corrected,
            });
        }
        Ok(out)
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
        let mut out = Vec::new();
        for kv in self.tree("declared_time").range(start..end) {
            let (_, v) = kv?;
            out.push(decode(&v)?);
        }
        Ok(out)
    }

    /// The supervisor's latest decision on a technician's week.
    pub fn review(
        &self,
        technician: &TechnicianId,
        week: Week,
    ) -> Result<Option<Review>, LogError> {
        Ok(self
            .get::<Lww<Review>>("reviews", &projection::review_key(technician, week))?
            .map(|l| l.value))
    }

    /// The order of a technician's round on a day, if one was recorded.
    pub fn round_order(
        &self,
        technician: &TechnicianId,
        day: NaiveDate,
    ) -> Result<Option<Vec<VisitId>>, LogError> {
        let k = key(&[technician.as_str().as_bytes(), day_key(day).as_bytes()]);
        Ok(self
            .get::<Lww<Vec<VisitId>>>("rounds", &k)?
            .map(|l| l.value))
    }

    /// The company's record, if one was recorded.
    pub fn company(&self) -> Result<Option<Company>, LogError> {
        Ok(self
            .get::<Lww<Company>>("company", b"company")?
            .map(|l| l.value))
    }

    /// Every act recorded on an animal (corrected ones included), oldest first.
    pub fn acts_of_animal(&self, animal: &AnimalId) -> Result<Vec<ActView>, LogError> {
        self.acts_indexed("acts_by_animal", animal.as_str().as_bytes())
    }

    /// The declaration of an insemination act.
    pub fn declaration(&self, act: &ActId) -> Result<Option<Declaration>, LogError> {
        self.get("declarations", act.as_str().as_bytes())
    }

    /// Declarations still to send, sent and unanswered, or refused; of one technician, or of
    /// everyone. Ordered by deadline, then act id.
    pub fn open_declarations(
        &self,
        technician: Option<&TechnicianId>,
    ) -> Result<Vec<Declaration>, LogError> {
        let mut out = Vec::new();
        for kv in self.tree("declarations_open").iter() {
            let (k, _) = kv?;
            if let Some(d) = self.get::<Declaration>("declarations", &k)?
                && technician.is_none_or(|t| d.technician.as_ref() == Some(t))
            {
                out.push(d);
            }
        }
        out.sort_by(|a, b| (a.deadline(), &a.act).cmp(&(b.deadline(), &b.act)));
        Ok(out)
    }

    /// Everything the store holds as exchange records (for `tournee export`): technicians,
    /// farms, and every visit with its current acts and latest confirmation, by day then id.
    pub fn records(&self) -> Result<Records, LogError> {
        let mut visits = self.all_visits()?;
        visits.sort_by(|a, b| (a.day, &a.id).cmp(&(b.day, &b.id)));
        let mut out = Records {
            company: self.company()?,
            technicians: self.technicians()?,
            farms: self.farms()?,
            visits: Vec::with_capacity(visits.len()),
        };
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
