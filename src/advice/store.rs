//! Reading the acts the figures need from the store: cattle services and pregnancy checks,
//! current ones only (corrections applied), dated by their visit's day.

use chrono::{Datelike, NaiveDate};

use super::fertility::{Dated, Herd};
use crate::domain::{ActKind, Ede, Family, Farm, TechnicianId, Visit};
use crate::log::{LogError, Store};

fn tells_about_reproduction(kind: ActKind) -> bool {
    kind == ActKind::IaBovine || kind.family() == Family::PregnancyCheck
}

fn dated(store: &Store, visits: Vec<Visit>) -> Result<Vec<Dated>, LogError> {
    let mut out = Vec::new();
    for visit in visits {
        for act in store.acts_of(&visit.id)? {
            if tells_about_reproduction(act.kind) {
                out.push(Dated {
                    day: visit.day,
                    farm: visit.farm.clone(),
                    technician: visit.technician.clone(),
                    act,
                });
            }
        }
    }
    Ok(out)
}

/// The histories of one farm's females (`Some`), or of every female in the store.
pub fn herd(store: &Store, farm: Option<&Ede>) -> Result<Herd, LogError> {
    let visits = match farm {
        Some(ede) => store.visits_of_farm(ede)?,
        None => store.all_visits()?,
    };
    Ok(Herd::new(&dated(store, visits)?))
}

/// What a farm's yearly report prints besides the figures, as the store holds it.
pub struct ReportParts {
    pub watch: Vec<super::ToWatch>,
    pub advice: Option<crate::log::Advice>,
    /// Who signs the report: the technician who wrote the advice, else the one of the farm's
    /// last visit.
    pub technician: Option<TechnicianId>,
}

pub fn report_parts(
    store: &Store,
    farm: &Ede,
    report: &super::FertilityReport,
) -> Result<ReportParts, LogError> {
    let herd = herd(store, Some(farm))?;
    let advice = store.advice(farm, report.to.year())?;
    let technician = match &advice {
        Some(a) => Some(a.technician.clone()),
        None => store
            .visits_of_farm(farm)?
            .into_iter()
            .filter(|v| v.day <= report.today)
            .max_by_key(|v| v.day)
            .map(|v| v.technician),
    };
    Ok(ReportParts {
        watch: super::to_watch(&herd, Some(farm), report.today),
        advice,
        technician,
    })
}

/// The farmer's yearly report of `report` (a farm's figures) as PDF, with the names the store
/// holds (a tablet's store holds its technician's and the company's).
pub fn report_pdf(
    store: &Store,
    farm: &Farm,
    report: &super::FertilityReport,
) -> Result<crate::pdf::Document, LogError> {
    let parts = report_parts(store, &farm.ede, report)?;
    let name = match &parts.technician {
        Some(t) => store.technician(t)?.map(|t| t.name),
        None => None,
    };
    let company = store.company()?.map(|c| c.name).unwrap_or_default();
    Ok(super::report::yearly_report(
        farm,
        &company,
        name.as_deref(),
        report,
        &parts.watch,
        parts.advice.as_ref().map(|a| a.text.as_str()),
    ))
}

/// A farm's report of the calendar year `year` (up to `today` if the year is not over),
/// judged on `today`.
pub fn year_report(
    store: &Store,
    farm: &Ede,
    year: i32,
    today: NaiveDate,
) -> Result<super::FertilityReport, LogError> {
    let herd = herd(store, Some(farm))?;
    let (from, to) = year_bounds(year, today);
    let selection = super::Selection {
        farm: Some(farm.clone()),
        ..super::Selection::default()
    };
    Ok(super::report(&herd, &selection, from, to, today))
}

/// The first and last day of `year`, the last no later than `today` (when `today` is in it).
pub fn year_bounds(year: i32, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let from = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(today);
    let end = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(today);
    (from, end.min(today).max(from))
}
