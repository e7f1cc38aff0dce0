//! The payroll export: one CSV row per day of a report.
//!
//! Not a general CSV writer: the fields are ours (ids, dates, numbers, flag names), so quoting
//! is only needed in principle, and done by hand for the one text field that could need it.

use chrono::Datelike;

use super::Report;

/// The header, then one row per day: seconds, decimal hours of the total, flags joined by
/// `;`, recovery owed. RFC 4180 (comma separated, CRLF line ends).
pub fn to_csv(report: &Report) -> String {
    let mut out = String::from(
        "technician,date,weekday,method,forfait_seconds,travel_seconds,other_seconds,total_seconds,total_hours,flags,recovery_owed_seconds,may_day_seconds\r\n",
    );
    let method = match report.method {
        super::Method::FlatRate => "flat_rate",
        super::Method::Recorded => "recorded",
    };
    let technician = quoted(report.technician.as_str());
    for d in &report.days {
        let flags: Vec<&str> = d.flags.iter().map(|f| f.id()).collect();
        out.push_str(&format!(
            "{technician},{},{},{method},{},{},{},{},{:.2},{},{},{}\r\n",
            d.date,
            d.date.weekday(),
            d.forfait_seconds,
            d.travel_seconds,
            d.other_seconds,
            d.total_seconds,
            d.total_seconds as f64 / 3_600.0,
            flags.join(";"),
            d.recovery_owed_seconds,
            d.may_day_seconds,
        ));
    }
    out
}

/// A field quoted when it holds a comma, a quote or a line break.
fn quoted(field: &str) -> String {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}
