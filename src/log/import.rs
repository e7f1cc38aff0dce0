//! Importing exchange records into the store: only what is new is appended, so importing the
//! same file twice adds nothing, and an act id already recorded with another content is
//! refused (acts are facts: correct them instead).

use serde::Serialize;

use super::{LogError, Store};
use crate::domain::{DomainError, Payload};
use crate::exchange::Records;

/// What an import added.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub company: usize,
    pub technicians: usize,
    pub farms: usize,
    pub visits: usize,
    pub acts: usize,
    pub confirmations: usize,
}

impl ImportSummary {
    pub fn events(&self) -> usize {
        self.company + self.technicians + self.farms + self.visits + self.acts + self.confirmations
    }
}

impl Store {
    /// Appends what `records` has that the store does not, in one transaction.
    pub fn import(&self, records: &Records) -> Result<ImportSummary, LogError> {
        let mut summary = ImportSummary::default();
        let mut payloads = Vec::new();
        if let Some(c) = &records.company
            && self.company()?.as_ref() != Some(c)
        {
            summary.company += 1;
            payloads.push(Payload::CompanyRecorded(c.clone()));
        }
        for t in &records.technicians {
            if self.technician(&t.id)?.as_ref() != Some(t) {
                summary.technicians += 1;
                payloads.push(Payload::TechnicianRecorded(t.clone()));
            }
        }
        for f in &records.farms {
            if self.farm(&f.ede)?.as_ref() != Some(f) {
                summary.farms += 1;
                payloads.push(Payload::FarmRecorded(f.clone()));
            }
        }
        for (i, v) in records.visits.iter().enumerate() {
            if self.visit(&v.visit.id)?.as_ref() != Some(&v.visit) {
                summary.visits += 1;
                payloads.push(Payload::VisitRecorded(v.visit.clone()));
            }
            for (j, act) in v.acts.iter().enumerate() {
                match self.act(&act.id)? {
                    None => {
                        summary.acts += 1;
                        payloads.push(Payload::ActRecorded(act.clone()));
                    }
                    Some(stored) if stored.act == *act => {}
                    Some(_) => {
                        return Err(LogError::Refused(DomainError::invalid(
                            &format!("visits[{i}].acts[{j}].id"),
                            act.id.as_str(),
                            "an act id not already recorded with another content (acts are facts: correct them in the app)",
                        )));
                    }
                }
            }
            if let Some(c) = &v.confirmation
                && self.confirmation(&v.visit.id)?.as_ref() != Some(c)
            {
                summary.confirmations += 1;
                payloads.push(Payload::VisitConfirmed {
                    visit: v.visit.id.clone(),
                    confirmation: c.clone(),
                });
            }
        }
        self.append(payloads)?;
        Ok(summary)
    }
}
