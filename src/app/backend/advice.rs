//! The reproduction figures the farm and team screens show, the technician's advice for the
//! year to come, and the yearly report saved on the tablet to hand to the farmer.

use chrono::{Datelike, Months, NaiveDate};

use super::Worker;
use crate::advice::{self, Selection};
use crate::app::model::{FarmFertility, Outcome, Refusal, TeamFertility};
use crate::domain::{Ede, Payload, TechnicianId, check_text};
use crate::log::LogError;

/// The first day of the month eleven months before `today`'s: twelve months of figures.
pub fn twelve_months_from(today: NaiveDate) -> NaiveDate {
    let first = today.with_day(1).unwrap_or(today);
    first.checked_sub_months(Months::new(11)).unwrap_or(first)
}

/// The folder, in the store's, where the yearly reports handed on this tablet are saved.
pub(super) const REPORTS: &str = "bilans";

impl Worker {
    /// Where a farm's yearly report is saved on this tablet.
    fn report_path(&self, farm: &Ede, year: i32) -> std::path::PathBuf {
        self.store
            .dir()
            .join(REPORTS)
            .join(format!("bilan-{farm}-{year}.pdf"))
    }

    pub(super) fn farm_fertility(&self, farm: &Ede) -> Result<Option<FarmFertility>, LogError> {
        let herd = advice::store::herd(&self.store, Some(farm))?;
        if herd.females.values().all(|f| f.services.is_empty()) {
            return Ok(None);
        }
        let today = self.today();
        let from = twelve_months_from(today);
        let selection = Selection {
            farm: Some(farm.clone()),
            ..Selection::default()
        };
        let report = advice::report(&herd, &selection, from, today, today);
        let year = today.year();
        let path = self.report_path(farm, year);
        Ok(Some(FarmFertility {
            from,
            to: today,
            figures: report.figures,
            by_month: report.by_month,
            watch: advice::to_watch(&herd, Some(farm), today),
            year,
            advice: self.store.advice(farm, year)?.map(|a| a.text),
            report_file: path.exists().then(|| path.display().to_string()),
        }))
    }

    /// Per technician of `team` and per bull, over the last twelve months.
    pub(super) fn team_fertility(
        &self,
        team: &[TechnicianId],
    ) -> Result<Option<TeamFertility>, LogError> {
        let herd = advice::store::herd(&self.store, None)?;
        if herd.females.is_empty() {
            return Ok(None);
        }
        let today = self.today();
        let from = twelve_months_from(today);
        let mut technicians = Vec::new();
        for t in team {
            let name = self
                .store
                .technician(t)?
                .map_or_else(|| t.to_string(), |x| x.name);
            let selection = Selection {
                technician: Some(t.clone()),
                ..Selection::default()
            };
            technicians.push((name, herd.figures(&selection, from, today, today)));
        }
        // The team's tablet holds the team's records: every service is one of the team's.
        let bulls = advice::report(&herd, &Selection::default(), from, today, today).by_bull;
        Ok(Some(TeamFertility {
            from,
            to: today,
            technicians,
            bulls,
        }))
    }

    pub(super) fn write_advice(
        &mut self,
        farm: Ede,
        year: i32,
        text: &str,
    ) -> Result<Outcome, Refusal> {
        let text = text.trim();
        check_text("advice", text, 1)?;
        let technician = self.technician.clone().ok_or(Refusal::NoTechnician)?;
        self.store.append(vec![Payload::AdviceWritten {
            farm,
            year,
            technician,
            text: text.to_owned(),
        }])?;
        Ok(Outcome::Saved {
            forfait_seconds: None,
        })
    }

    pub(super) fn save_year_report(&mut self, farm: Ede, year: i32) -> Result<Outcome, Refusal> {
        let Some(record) = self.store.farm(&farm)? else {
            return Err(Refusal::Invalid(crate::domain::DomainError::invalid(
                "farm",
                farm.as_str(),
                "a farm of this tablet",
            )));
        };
        let report = advice::store::year_report(&self.store, &farm, year, self.today())?;
        let pdf = advice::store::report_pdf(&self.store, &record, &report)?;
        let path = self.report_path(&farm, year);
        let write = || -> std::io::Result<()> {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&path, pdf.to_bytes())
        };
        write().map_err(|e| Refusal::Storage(format!("{}: {e}", path.display())))?;
        Ok(Outcome::Saved {
            forfait_seconds: None,
        })
    }
}
