//! The payroll export: one CSV row per day of a report, RFC 4180 (comma separated, CRLF line
//! ends) as payroll software reads it.

use chrono::Datelike;

use super::Report;
use crate::csv_export::{Dialect, csv_text};

const HEADER: [&str; 12] = [
    "technician",
    "date",
    "weekday",
    "method",
    "forfait_seconds",
    "travel_seconds",
    "other_seconds",
    "total_seconds",
    "total_hours",
    "flags",
    "recovery_owed_seconds",
    "may_day_seconds",
];

/// The header, then one row per day: seconds, decimal hours of the total, flags joined by
/// `;`, recovery owed.
pub fn to_csv(report: &Report) -> Result<String, csv::Error> {
    let method = match report.method {
        super::Method::FlatRate => "flat_rate",
        super::Method::Recorded => "recorded",
    };
    let rows = report.days.iter().map(|d| {
        let flags: Vec<&str> = d.flags.iter().map(|f| f.id()).collect();
        [
            report.technician.to_string(),
            d.date.to_string(),
            d.date.weekday().to_string(),
            method.to_owned(),
            d.forfait_seconds.to_string(),
            d.travel_seconds.to_string(),
            d.other_seconds.to_string(),
            d.total_seconds.to_string(),
            format!("{:.2}", d.total_seconds as f64 / 3_600.0),
            flags.join(";"),
            d.recovery_owed_seconds.to_string(),
            d.may_day_seconds.to_string(),
        ]
    });
    csv_text(Dialect::Rfc4180, HEADER, rows)
}
