//! Today's round: the day's visits in round order, each with its farm, village, what was
//! asked, urgency and status; a tap opens the visit.

use egui::{RichText, Ui};

use super::Out;
use crate::app::Screen;
use crate::app::i18n::I18n;
use crate::app::kit::{self, Palette, RowContent};
use crate::app::model::{TodayView, VisitRow};
use crate::domain::{Request, Urgency, VisitStatus};

pub fn show(ui: &mut Ui, i18n: &I18n, view: Option<&TodayView>, out: &mut Out) {
    let Some(view) = view else {
        ui.label(RichText::new(i18n.t("today.loading")).weak());
        return;
    };
    if let Some(day) = view.day {
        kit::section_heading(ui, &capitalise(&i18n.date_long(day)));
    }
    if view.visits.is_empty() {
        ui.label(i18n.t("today.empty"));
        return;
    }
    ui.label(RichText::new(i18n.tn("today.count", view.visits.len() as u64)).weak());
    let p = kit::current_palette(ui.ctx());
    for (n, row) in view.visits.iter().enumerate() {
        if kit::list_row(ui, &row_content(i18n, &p, n + 1, row)).clicked() {
            out.go(Screen::Visit(row.id.clone()));
        }
    }
}

/// "2 IA, 1 constat écho": what the farmer asked for, in a few words.
pub fn asked(i18n: &I18n, requested: &[Request]) -> String {
    requested
        .iter()
        .map(|r| i18n.tn(&format!("act_count.{}", r.kind.id()), u64::from(r.count)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A status in words and its colour.
pub fn status(i18n: &I18n, p: &Palette, status: VisitStatus) -> (String, egui::Color32) {
    let (key, color) = match status {
        VisitStatus::ToDo => ("status.to_do", p.todo),
        VisitStatus::InProgress => ("status.in_progress", p.in_progress),
        VisitStatus::Done => ("status.done", p.done),
        VisitStatus::AwaitingConfirmation => ("status.awaiting_confirmation", p.warning),
        VisitStatus::Confirmed => ("status.confirmed", p.confirmed),
        VisitStatus::Disputed => ("status.disputed", p.error),
    };
    (i18n.t_dyn(key), color)
}

fn row_content(i18n: &I18n, p: &Palette, n: usize, row: &VisitRow) -> RowContent {
    let mut subtitle = format!(
        "{n}. {}",
        row.village.as_deref().unwrap_or(row.farm.as_str())
    );
    if let Some((from, to)) = row.window {
        subtitle.push_str(&format!(" · {}–{}", i18n.time(from), i18n.time(to)));
    }
    RowContent {
        title: row.farm_name.clone(),
        subtitle,
        detail: Some(asked(i18n, &row.requested)).filter(|s| !s.is_empty()),
        status: Some(status(i18n, p, row.status)),
        flag: (row.urgency == Urgency::Urgent)
            .then(|| (i18n.t("today.urgent").to_owned(), p.urgent)),
    }
}

/// "mardi 24 novembre" starts a heading as "Mardi 24 novembre".
pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
