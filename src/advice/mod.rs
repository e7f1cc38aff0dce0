//! Reproduction advice: the herd's fertility figures (non-return, conception at IA1, females
//! served three times or more), the females to watch, and the farmer's yearly report.
//!
//! The definitions are in [`fertility`]; this module puts them together as one report (the
//! selection, by bull, by month) for the CLI, the app, the PDF and the farmer's page.
//! Not for recording anything: the technician's comment for the year to come is an event
//! (`Payload::AdviceWritten`) like any other.

pub mod fertility;
pub mod report;
pub mod store;
pub mod watch;

#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use serde::Serialize;

pub use fertility::{Dated, Figures, Herd, Selection};
pub use watch::{Reason, ToWatch, to_watch};

/// The figures of a selection over a period, and the same by bull and by month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FertilityReport {
    pub selection: Selection,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub today: NaiveDate,
    #[serde(flatten)]
    pub figures: Figures,
    pub by_bull: Vec<BullFigures>,
    pub by_month: Vec<MonthFigures>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BullFigures {
    pub bull: crate::domain::BullId,
    pub name: Option<String>,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthFigures {
    /// `YYYY-MM`.
    pub month: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// The report of `selection` over `[from, to]`, judged on `today`.
pub fn report(
    herd: &Herd,
    selection: &Selection,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> FertilityReport {
    FertilityReport {
        selection: selection.clone(),
        from,
        to,
        today,
        figures: herd.figures(selection, from, to, today),
        by_bull: herd
            .by_bull(selection, from, to, today)
            .into_iter()
            .map(|(bull, figures)| BullFigures {
                name: herd.bull_name(&bull).map(str::to_owned),
                bull,
                figures,
            })
            .collect(),
        by_month: herd
            .by_month(selection, from, to, today)
            .into_iter()
            .map(|(month, figures)| MonthFigures {
                month: month.format("%Y-%m").to_string(),
                figures,
            })
            .collect(),
    }
}

/// The CSV header of [`to_csv`].
pub const CSV_HEADER: [&str; 16] = [
    "group",
    "key",
    "services",
    "first_services",
    "nr56_eligible",
    "nr56_non_returns",
    "nr56_rate",
    "nr90_eligible",
    "nr90_non_returns",
    "nr90_rate",
    "conception_checked",
    "conception_pregnant",
    "conception_rate",
    "females",
    "with_three_or_more",
    "three_or_more_rate",
];

fn csv_row(group: &str, key: &str, f: &Figures) -> [String; 16] {
    // Each rate as its whole, its part and the rate, in the header's order.
    let rates = [
        (f.nr56.eligible, f.nr56.non_returns, f.nr56.rate),
        (f.nr90.eligible, f.nr90.non_returns, f.nr90.rate),
        (
            f.conception_first.checked,
            f.conception_first.pregnant,
            f.conception_first.rate,
        ),
        (
            f.three_or_more.females,
            f.three_or_more.with_three_or_more,
            f.three_or_more.rate,
        ),
    ]
    .map(|(whole, part, rate)| {
        [
            whole.to_string(),
            part.to_string(),
            rate.map(|v| format!("{v:.4}")).unwrap_or_default(),
        ]
    });
    let [
        [nr56_eligible, nr56_non_returns, nr56_rate],
        [nr90_eligible, nr90_non_returns, nr90_rate],
        [conception_checked, conception_pregnant, conception_rate],
        [females, with_three_or_more, three_or_more_rate],
    ] = rates;
    [
        group.to_owned(),
        key.to_owned(),
        f.services.to_string(),
        f.first_services.to_string(),
        nr56_eligible,
        nr56_non_returns,
        nr56_rate,
        nr90_eligible,
        nr90_non_returns,
        nr90_rate,
        conception_checked,
        conception_pregnant,
        conception_rate,
        females,
        with_three_or_more,
        three_or_more_rate,
    ]
}

/// One row per group: the selection (`all`), each bull, each month; rates with a dot and
/// four decimals, empty when absent.
pub fn to_csv(report: &FertilityReport) -> Result<String, csv::Error> {
    let all = std::iter::once(csv_row("all", "", &report.figures));
    let bulls = report
        .by_bull
        .iter()
        .map(|b| csv_row("bull", b.bull.as_str(), &b.figures));
    let months = report
        .by_month
        .iter()
        .map(|m| csv_row("month", &m.month, &m.figures));
    crate::csv_export::csv_text(
        crate::csv_export::Dialect::Semicolon,
        CSV_HEADER,
        all.chain(bulls).chain(months),
    )
}
