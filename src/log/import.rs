//! Importing exchange records into the store: only what is new is appended, so importing the
//! same file twice adds nothing, and a visit or act id already recorded with another content is
//! refused (a visit may be signed and declared, acts are facts: correct them in the app).

use serde::Serialize;

use super::{LogError, Store};
use crate::domain::{DomainError, Payload, Visit};
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
    pub advice: usize,
    pub closed_hours: usize,
}

impl ImportSummary {
    pub fn events(&self) -> usize {
        self.company
            + self.technicians
            + self.farms
            + self.visits
            + self.acts
            + self.confirmations
            + self.advice
            + self.closed_hours
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
        for (farm, closed) in &records.closed_hours {
            // Like a farm's details: different hours in a file are newer ones.
            if &self.closed_hours(farm)? != closed {
                summary.closed_hours += 1;
                payloads.push(Payload::ClosedHoursRecorded {
                    farm: farm.clone(),
                    closed: closed.clone(),
                });
            }
        }
        for (i, v) in records.visits.iter().enumerate() {
            match self.visit(&v.visit.id)? {
                None => {
                    summary.visits += 1;
                    payloads.push(Payload::VisitRecorded(v.visit.clone()));
                }
                Some(stored) => {
                    if let Some((name, value)) = visit_difference(&stored, &v.visit) {
                        return Err(LogError::Refused(DomainError::invalid(
                            &format!("visits[{i}].{name}"),
                            &value,
                            &format!(
                                "the value already recorded for visit {} ({}): an import adds visits, it never changes one (change it in the app)",
                                v.visit.id,
                                visit_field(&stored, name)
                            ),
                        )));
                    }
                }
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
        for a in &records.advice {
            // Aims are rewritten as the year goes (latest clock wins): a different text in a
            // file is a newer version, as a farm's details are.
            let stored = self.advice(&a.farm, a.year)?;
            if stored.is_none_or(|s| s.technician != a.technician || s.text != a.text) {
                summary.advice += 1;
                payloads.push(a.payload());
            }
        }
        self.append(payloads)?;
        Ok(summary)
    }
}

/// The names of a visit's fields, in the order a difference is reported.
const VISIT_FIELDS: [&str; 10] = [
    "technician",
    "farm",
    "day",
    "requested",
    "urgency",
    "window",
    "arrived",
    "left",
    "travel_km",
    "note",
];

/// A visit's field as the user wrote it (JSON), to name in a refusal.
fn visit_field(v: &Visit, name: &str) -> String {
    let value = match name {
        "technician" => serde_json::to_value(&v.technician),
        "farm" => serde_json::to_value(&v.farm),
        "day" => serde_json::to_value(v.day),
        "requested" => serde_json::to_value(&v.requested),
        "urgency" => serde_json::to_value(v.urgency),
        "window" => serde_json::to_value(v.window),
        "arrived" => serde_json::to_value(v.arrived),
        "left" => serde_json::to_value(v.left),
        "travel_km" => serde_json::to_value(v.travel_km),
        _ => serde_json::to_value(&v.note),
    };
    match value {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(e) => e.to_string(),
    }
}

/// The first field where `new` differs from `stored`, with the new value.
fn visit_difference(stored: &Visit, new: &Visit) -> Option<(&'static str, String)> {
    if stored == new {
        return None;
    }
    VISIT_FIELDS
        .into_iter()
        .find(|name| visit_field(stored, name) != visit_field(new, name))
        .map(|name| (name, visit_field(new, name)))
}
