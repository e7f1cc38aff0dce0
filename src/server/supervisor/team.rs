//! The office's figures, read from the page's store (the supervisor's device, holding what the
//! team pushed): each technician's weeks and year counters by `worktime::report_from_store`
//! with the company's rules, as `tournee worktime` computes them, and the visits a supervisor
//! may still move. Not for rendering (`html.rs`) nor for writing (`mod.rs`).

use chrono::{Datelike, Duration, NaiveDate};

use crate::domain::{DomainError, TechnicianId, Visit, VisitStatus, Week};
use crate::log::{LogError, Review, Store};
use crate::worktime::{
    self, DaySheet, Flag, FromStoreError, Report, WeekSheet, WorkTimeError, YearCounters,
};

use crate::domain::supervision::REASSIGN_DAYS;

pub fn monday_of(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// `2026-W48`.
pub fn week_text(w: Week) -> String {
    format!("{}-W{:02}", w.year, w.week)
}

/// A week as the page's links and forms write it (`2026-W48`); the field is named in the
/// error.
pub fn parse_week(field: &str, text: &str) -> Result<Week, DomainError> {
    let bad = || DomainError::invalid(field, text, "an ISO week written YYYY-Www, e.g. 2026-W48");
    let (year, week) = text.trim().split_once("-W").ok_or_else(bad)?;
    let week = Week {
        year: year.parse().map_err(|_| bad())?,
        week: week.parse().map_err(|_| bad())?,
    };
    week.monday(field)?;
    Ok(week)
}

/// A month as the page writes it (`2026-11`): its first day.
pub fn parse_month(field: &str, text: &str) -> Result<NaiveDate, DomainError> {
    NaiveDate::parse_from_str(&format!("{}-01", text.trim()), "%Y-%m-%d")
        .map_err(|_| DomainError::invalid(field, text, "a month written YYYY-MM, e.g. 2026-11"))
}

/// The weeks the page offers: from the week of the year's first day to this one, newest first.
pub fn weeks_of_year(today: NaiveDate) -> Vec<Week> {
    let first = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let mut out = Vec::new();
    let mut monday = monday_of(today);
    while monday >= monday_of(first) {
        out.push(Week::of(monday));
        monday -= Duration::weeks(1);
    }
    out
}

/// One week of a technician as a row shows it.
pub struct WeekRow {
    pub sheet: WeekSheet,
    /// The week's flags and its days', once each.
    pub flags: Vec<Flag>,
    pub review: Option<Review>,
}

/// A technician's rows, and the year's counters as of the last day shown.
pub struct Member {
    pub technician: TechnicianId,
    pub name: String,
    pub weeks: Vec<WeekRow>,
    pub year: Option<YearCounters>,
    /// Why the figures could not be computed (an act the grid cannot price...).
    pub error: Option<String>,
}

/// The technician's report from the first Monday of `weeks` to the last Sunday, or to
/// `today` if it comes first (as the tablets count: days to come are not worked yet, and a
/// planned visit's trip is no work done): the period `tournee worktime --from MONDAY --to DAY`
/// is asked for. The year's counters are as of that day.
pub fn report(
    store: &Store,
    technician: &TechnicianId,
    weeks: &[Week],
    today: NaiveDate,
) -> Result<Report, String> {
    let mondays: Vec<NaiveDate> = weeks.iter().filter_map(|w| w.monday("week").ok()).collect();
    let (Some(first), Some(last)) = (mondays.iter().min(), mondays.iter().max()) else {
        return Err("aucune semaine choisie".into());
    };
    period_report(
        store,
        technician,
        *first,
        (*last + Duration::days(6)).min(today).max(*first),
    )
}

/// The technician's report from `from` to `to` with the company's rules, or why not, in
/// French.
pub fn period_report(
    store: &Store,
    technician: &TechnicianId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Report, String> {
    let company = store.company().map_err(|e| said(&e.into()))?;
    let (grid, settings) = worktime::company_rules(company.as_ref()).map_err(|e| said(&e))?;
    worktime::report_from_store(store, technician, from, to, &settings, &grid).map_err(|e| said(&e))
}

/// Why a technician's time could not be computed, for the supervisor.
pub fn said(e: &FromStoreError) -> String {
    match e {
        FromStoreError::UnknownTechnician(_) => {
            "la fiche du technicien n'est pas encore arrivée de sa tablette".into()
        }
        FromStoreError::WorkTime(w) => match w.as_ref() {
            WorkTimeError::Unpriced {
                act, visit, day, ..
            } => format!(
                "l'acte {act} de la visite {visit} du {} n'a pas de forfait : ni l'annexe I \
                 ni l'accord d'entreprise ne le chiffrent",
                day.format("%d/%m/%Y")
            ),
            other => format!("réglages du temps de travail non valables ({other})"),
        },
        FromStoreError::Agreement(a) => {
            format!("l'accord d'entreprise enregistré ne se lit pas ({a})")
        }
        FromStoreError::Store(l) => format!("lecture impossible ({l})"),
    }
}

/// The rows of `report` for `weeks`, newest first.
pub fn rows(store: &Store, report: &Report, weeks: &[Week]) -> Result<Vec<WeekRow>, LogError> {
    let mut out = Vec::new();
    for w in report
        .weeks
        .iter()
        .rev()
        .filter(|w| weeks.contains(&w.week))
    {
        let mut flags = w.flags.clone();
        for d in days_of(report, w.week) {
            for f in &d.flags {
                if !flags.contains(f) {
                    flags.push(*f);
                }
            }
        }
        out.push(WeekRow {
            sheet: w.clone(),
            flags,
            review: store.review(&report.technician, w.week)?,
        });
    }
    Ok(out)
}

pub fn days_of(report: &Report, week: Week) -> impl Iterator<Item = &DaySheet> {
    report.days.iter().filter(move |d| Week::of(d.date) == week)
}

/// The team's rows for `weeks`.
pub fn members(
    store: &Store,
    team: &[TechnicianId],
    weeks: &[Week],
    today: NaiveDate,
) -> Result<Vec<Member>, LogError> {
    let mut out = Vec::new();
    for technician in team {
        let name = name_of(store, technician)?;
        let (weeks, year, error) = match report(store, technician, weeks, today) {
            Ok(r) => (rows(store, &r, weeks)?, r.years.last().cloned(), None),
            Err(e) => (Vec::new(), None, Some(e)),
        };
        out.push(Member {
            technician: technician.clone(),
            name,
            weeks,
            year,
            error,
        });
    }
    Ok(out)
}

pub fn name_of(store: &Store, technician: &TechnicianId) -> Result<String, LogError> {
    Ok(store
        .technician(technician)?
        .map_or_else(|| technician.to_string(), |t| t.name))
}

/// A technician's visits still to do over the next [`REASSIGN_DAYS`] days, by day.
pub fn coming_visits(
    store: &Store,
    technician: &TechnicianId,
    today: NaiveDate,
) -> Result<Vec<(NaiveDate, Vec<Visit>)>, LogError> {
    let mut out = Vec::new();
    for offset in 0..REASSIGN_DAYS {
        let day = today + Duration::days(offset);
        let mut visits = Vec::new();
        for v in store.visits_on(technician, day)? {
            if store.cancellation(&v.id)?.is_some() {
                continue;
            }
            let status = VisitStatus::of(&v, store.confirmation(&v.id)?.as_ref());
            if status == VisitStatus::ToDo {
                visits.push(v);
            }
        }
        if !visits.is_empty() {
            out.push((day, visits));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_weeks_and_months_and_names_the_field_when_they_do_not() {
        assert_eq!(
            parse_week("semaine", "2026-W48").unwrap(),
            Week {
                year: 2026,
                week: 48
            }
        );
        let e = parse_week("semaine", "2026-W54").unwrap_err();
        assert_eq!(e.field, "semaine");
        assert!(parse_week("semaine", "48").is_err());
        assert_eq!(
            parse_month("mois", "2026-11").unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
        );
        assert_eq!(parse_month("mois", "2026-13").unwrap_err().field, "mois");
    }

    #[test]
    fn offers_every_week_back_to_the_first_of_the_year() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let weeks = weeks_of_year(today);
        assert_eq!(weeks.first(), Some(&Week::of(today)));
        assert_eq!(
            weeks.last(),
            Some(&Week {
                year: 2026,
                week: 1
            })
        );
        assert_eq!(weeks.len(), 50);
    }
}
