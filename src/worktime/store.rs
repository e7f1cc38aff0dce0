//! Reading a technician's records from the store into a report, and the company's rules
//! (grid and settings) from the company record. The app, the CLI and the server all go
//! through here, so they count the same records the same way.

use chrono::NaiveDate;

use super::{Declared, Input, Report, Settings, WorkTimeError, WorkedVisit, history_start};
use crate::domain::{Company, TechnicianId};
use crate::forfait::{ForfaitError, Grid};
use crate::log::{LogError, Store};

/// Why a report from the store could not be made.
#[derive(Debug, thiserror::Error)]
pub enum FromStoreError {
    #[error(transparent)]
    WorkTime(#[from] Box<WorkTimeError>),
    #[error(transparent)]
    Store(#[from] LogError),
    #[error("technician: {0:?} is not in the store")]
    UnknownTechnician(String),
    /// The company agreement recorded in the store does not read.
    #[error("company agreement: {0}")]
    Agreement(String),
}

/// The grid and settings of the company agreement recorded in the store; Annexe I and the
/// law's defaults where the company has none.
pub fn company_rules(company: Option<&Company>) -> Result<(Grid, Settings), FromStoreError> {
    match company.and_then(|c| c.agreement.as_deref()) {
        Some(text) => {
            let grid = Grid::company(text).map_err(|e| FromStoreError::Agreement(e.to_string()))?;
            let settings =
                Settings::from_toml(text).map_err(|e| FromStoreError::Agreement(e.to_string()))?;
            Ok((grid, settings))
        }
        None => {
            let grid = Grid::annexe_i()
                .map_err(|e: ForfaitError| FromStoreError::Agreement(e.to_string()))?;
            Ok((grid, Settings::default()))
        }
    }
}

/// A technician's report from `from` to `to`, from the store's current records (cancelled
/// visits left out, corrections applied), with the history the limits need before `from`.
pub fn report_from_store(
    store: &Store,
    technician: &TechnicianId,
    from: NaiveDate,
    to: NaiveDate,
    settings: &Settings,
    grid: &Grid,
) -> Result<Report, FromStoreError> {
    let start = history_start(from, settings).map_err(Box::new)?;
    let record = store
        .technician(technician)?
        .ok_or_else(|| FromStoreError::UnknownTechnician(technician.to_string()))?;
    let mut visits = Vec::new();
    for visit in store.visits_between(technician, start, to)? {
        if store.cancellation(&visit.id)?.is_some() {
            continue;
        }
        let acts = store.acts_of(&visit.id)?;
        visits.push((visit, acts));
    }
    let declared: Vec<Declared> = store
        .declared_time(technician, start, to)?
        .into_iter()
        .map(|d| Declared {
            day: d.day,
            kind: d.kind,
            seconds: d.seconds,
            note: d.note,
        })
        .collect();
    let farms = store.farms()?;
    let worked: Vec<WorkedVisit<'_>> = visits
        .iter()
        .map(|(visit, acts)| WorkedVisit { visit, acts })
        .collect();
    let input = Input {
        technician,
        home: record.home,
        farms: &farms,
        visits: &worked,
        declared: &declared,
    };
    super::report(&input, from, to, settings, grid)
        .map_err(|e| FromStoreError::WorkTime(Box::new(e)))
}
