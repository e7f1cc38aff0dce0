//! The monthly work-time statement as PDF, in French: one line a day (flat rate, travel,
//! other time, total, flags), the weeks with their review status, and the year's counters.
//! For the technician's file and for payroll (which also gets the CSV).

use chrono::{Datelike, NaiveDate};

use super::{Report, WeekSheet};
use crate::domain::{ReviewDecision, Technician};
use crate::log::Review;
use crate::pdf::{Document, Writer};

/// `3 h 05` for a number of seconds (rounded down to the minute, as a timesheet reads).
pub fn hours_minutes(seconds: u64) -> String {
    let minutes = seconds / 60;
    format!("{} h {:02}", minutes / 60, minutes % 60)
}

const WEEKDAYS: [&str; 7] = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."];

fn review_text(review: Option<&Review>) -> String {
    match review {
        None => "non revue".to_owned(),
        Some(r) => match &r.decision {
            ReviewDecision::Approved => format!("approuvée par {}", r.supervisor),
            ReviewDecision::SentBack { comment } => {
                format!("renvoyée par {} : {comment}", r.supervisor)
            }
        },
    }
}

/// The statement of `report` (usually one month). `reviews` gives each week's review.
pub fn statement(
    technician: &Technician,
    company: &str,
    report: &Report,
    review: &dyn Fn(&WeekSheet) -> Option<Review>,
) -> Document {
    let mut w = Writer::new("Relevé du temps de travail", report.to);
    w.line("Relevé mensuel du temps de travail", 16.0, true);
    w.line(
        &format!(
            "{company} — {} ({}) — du {} au {}",
            technician.name,
            technician.id,
            report.from.format("%d/%m/%Y"),
            report.to.format("%d/%m/%Y")
        ),
        10.0,
        false,
    );
    w.line(
        &format!(
            "Méthode : {} (IDCC 7021, art. 56 et annexe I)",
            match report.method {
                super::Method::FlatRate => "forfaits par acte",
                super::Method::Recorded => "temps réel enregistré",
            }
        ),
        9.0,
        false,
    );
    w.rule();
    let cols = [0.0, 70.0, 135.0, 195.0, 255.0, 315.0];
    let header = ["Jour", "Forfaits", "Trajets", "Autre", "Total", "Alertes"];
    let cells: Vec<(f32, &str)> = cols.iter().copied().zip(header).collect();
    w.columns(&cells, 9.0, true);
    for day in report
        .days
        .iter()
        .filter(|d| d.date >= report.from && d.date <= report.to)
    {
        let date = format!(
            "{} {}",
            WEEKDAYS[day.date.weekday().num_days_from_monday() as usize],
            day.date.format("%d/%m")
        );
        let flags: Vec<&str> = day.flags.iter().map(|f| f.label_fr()).collect();
        let values = [
            date,
            hours_minutes(day.forfait_seconds),
            hours_minutes(day.travel_seconds),
            hours_minutes(day.other_seconds),
            hours_minutes(day.total_seconds),
            flags.join(", "),
        ];
        let cells: Vec<(f32, &str)> = cols
            .iter()
            .copied()
            .zip(values.iter().map(String::as_str))
            .collect();
        w.columns(&cells, 9.0, false);
    }
    w.rule();
    w.line("Semaines", 11.0, true);
    for week in report
        .weeks
        .iter()
        .filter(|wk| wk.monday + chrono::Duration::days(6) >= report.from && wk.monday <= report.to)
    {
        let flags: Vec<&str> = week.flags.iter().map(|f| f.label_fr()).collect();
        let line = format!(
            "Semaine {} (du {}) : {} — moyenne sur {} semaines {} — {}{}",
            week.week.week,
            week.monday.format("%d/%m"),
            hours_minutes(week.total_seconds),
            week.average_weeks,
            hours_minutes(week.average_seconds),
            review_text(review(week).as_ref()),
            if flags.is_empty() {
                String::new()
            } else {
                format!(" — {}", flags.join(", "))
            }
        );
        w.line(&line, 9.0, false);
    }
    w.rule();
    w.line("Année de modulation", 11.0, true);
    for y in &report.years {
        let lines = [
            format!(
                "Du {} au {} (arrêté au {})",
                y.start.format("%d/%m/%Y"),
                y.end.format("%d/%m/%Y"),
                y.as_of.format("%d/%m/%Y")
            ),
            format!(
                "Temps de travail cumulé : {} sur un plafond de {}",
                hours_minutes(y.worked_seconds),
                hours_minutes(y.annual_ceiling_seconds)
            ),
            format!(
                "Heures au-delà du plafond : {} (contingent {})",
                hours_minutes(y.overtime_seconds),
                hours_minutes(y.overtime_allowance_seconds)
            ),
            format!(
                "Dimanches et jours fériés travaillés : {} — repos compensateur dû : {}",
                hours_minutes(y.sunday_holiday_seconds),
                hours_minutes(y.recovery_owed_seconds)
            ),
        ];
        for l in &lines {
            w.line(l, 9.0, false);
        }
    }
    w.finish()
}

/// The first and last day of the month of `day`.
pub fn month_of(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = day.with_day(1).unwrap_or(day);
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    };
    let last = next.and_then(|n| n.pred_opt()).unwrap_or(first);
    (first, last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_and_minutes_read_as_a_timesheet() {
        assert_eq!(hours_minutes(0), "0 h 00");
        assert_eq!(hours_minutes(3_659), "1 h 00");
        assert_eq!(hours_minutes(37_313), "10 h 21");
    }

    #[test]
    fn months_end_on_their_last_day() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(month_of(d(2026, 2, 14)), (d(2026, 2, 1), d(2026, 2, 28)));
        assert_eq!(month_of(d(2028, 2, 14)), (d(2028, 2, 1), d(2028, 2, 29)));
        assert_eq!(month_of(d(2026, 12, 31)), (d(2026, 12, 1), d(2026, 12, 31)));
    }
}
