//! Today's round: the day's visits in round order, each with its farm, village, what was
//! asked, urgency and status; a tap opens the visit. A new call is added from here. On a store
//! with nothing in it, the first thing offered is the demo data.

use egui::{RichText, Ui};

use super::{Nav, Out};
use crate::app::Screen;
use crate::app::i18n::I18n;
use crate::app::kit::{self, Palette, RowContent};
use crate::app::model::{Command, Ticket, TodayView, VisitRow};
use crate::domain::{Request, Urgency, VisitStatus};

/// The Today screen's own state: the demo being loaded.
#[derive(Debug, Clone, Default)]
pub struct TodayForm {
    pub loading_demo: Option<Ticket>,
}

pub fn show(
    ui: &mut Ui,
    i18n: &I18n,
    view: Option<&TodayView>,
    form: &mut TodayForm,
    out: &mut Out,
) {
    let _ = out.answer(&mut form.loading_demo);
    let Some(view) = view else {
        ui.label(RichText::new(i18n.t("today.loading")).weak());
        return;
    };
    if view.store_empty {
        first_start(ui, i18n, form, out);
        return;
    }
    if let Some(day) = view.day {
        kit::section_heading(ui, &capitalise(&i18n.date_long(day)));
    }
    let Some(name) = &view.technician else {
        ui.label(i18n.t("today.no_technician"));
        if kit::big_button(ui, i18n.t("today.open_settings")).clicked() {
            out.nav = Some(Nav::Tab(Screen::Settings));
        }
        return;
    };
    ui.label(RichText::new(name).weak());
    if kit::big_button(ui, i18n.t("today.new_call")).clicked() {
        out.go(Screen::Call);
    }
    declarations_button(ui, i18n, view, out);
    if view.visits.is_empty() {
        ui.label(i18n.t("today.empty"));
    } else {
        round(ui, i18n, view, out);
    }
    to_follow(ui, i18n, view, out);
}

/// The declaration queue, with what is late or due within days said on the button.
fn declarations_button(ui: &mut Ui, i18n: &I18n, view: &TodayView, out: &mut Out) {
    let label = match (view.declarations_late, view.declarations_due_soon) {
        (0, 0) => i18n.t("today.declarations").to_owned(),
        (0, soon) => i18n.tn("today.declarations_due_soon", soon as u64),
        (late, _) => i18n.tn("today.declarations_late", late as u64),
    };
    let p = kit::current_palette(ui.ctx());
    let text = RichText::new(label).text_style(egui::TextStyle::Button);
    let text = match (view.declarations_late, view.declarations_due_soon) {
        (0, 0) => text,
        (0, _) => text.color(p.warning).strong(),
        _ => text.color(p.error).strong(),
    };
    let w = ui.available_width();
    if ui
        .add(egui::Button::new(text).min_size(egui::vec2(w, kit::LARGE_TARGET)))
        .clicked()
    {
        out.go(Screen::Declarations);
    }
}

/// Disputed visits and visits still waiting for the farmer, from the last weeks.
fn to_follow(ui: &mut Ui, i18n: &I18n, view: &TodayView, out: &mut Out) {
    let p = kit::current_palette(ui.ctx());
    if !view.disputes.is_empty() {
        kit::section_heading(ui, i18n.t("today.disputes"));
        for d in &view.disputes {
            let (status, color) = if d.answered {
                (i18n.t("today.answered"), p.done)
            } else {
                (i18n.t("status.disputed"), p.error)
            };
            let row = RowContent {
                title: d.row.farm_name.clone(),
                subtitle: i18n.date_short(d.day),
                detail: Some(i18n.tf("dispute.farmer_says", &[("comment", &d.comment)])),
                status: Some((status.to_owned(), color)),
                flag: (!d.answered).then(|| ("!".to_owned(), p.error)),
            };
            if kit::list_row(ui, &row).clicked() {
                out.go(Screen::Visit(d.row.id.clone()));
            }
        }
    }
    if !view.awaiting.is_empty() {
        kit::section_heading(ui, i18n.t("today.awaiting"));
        for (day, row) in &view.awaiting {
            let content = RowContent {
                title: row.farm_name.clone(),
                subtitle: i18n.date_short(*day),
                detail: None,
                status: Some((i18n.t("status.awaiting_confirmation").to_owned(), p.warning)),
                flag: None,
            };
            if kit::list_row(ui, &content).clicked() {
                out.go(Screen::Visit(row.id.clone()));
            }
        }
    }
}

fn round(ui: &mut Ui, i18n: &I18n, view: &TodayView, out: &mut Out) {
    let done = view
        .visits
        .iter()
        .filter(|v| !matches!(v.status, VisitStatus::ToDo | VisitStatus::InProgress))
        .count();
    ui.label(
        RichText::new(format!(
            "{} · {}",
            i18n.tn("today.count", view.visits.len() as u64),
            i18n.tn("today.done", done as u64)
        ))
        .weak(),
    );
    let p = kit::current_palette(ui.ctx());
    for (n, row) in view.visits.iter().enumerate() {
        if kit::list_row(ui, &row_content(i18n, &p, n + 1, row)).clicked() {
            out.go(Screen::Visit(row.id.clone()));
        }
    }
}

fn first_start(ui: &mut Ui, i18n: &I18n, form: &mut TodayForm, out: &mut Out) {
    kit::section_heading(ui, i18n.t("today.welcome"));
    ui.label(i18n.t("today.empty_store"));
    let busy = form.loading_demo.is_some();
    let label = if busy {
        i18n.t("today.loading_demo")
    } else {
        i18n.t("today.load_demo")
    };
    if kit::primary_button(ui, label, !busy).clicked() {
        form.loading_demo = Some(out.send(Command::LoadDemo));
    }
    if kit::big_button(ui, i18n.t("today.start_empty")).clicked() {
        out.nav = Some(Nav::Tab(Screen::Settings));
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
    let mut detail = asked(i18n, &row.requested);
    if row.acts > 0 {
        if !detail.is_empty() {
            detail.push_str(" · ");
        }
        detail.push_str(&i18n.tn("today.acts_done", row.acts as u64));
    }
    RowContent {
        title: row.farm_name.clone(),
        subtitle,
        detail: Some(detail).filter(|s| !s.is_empty()),
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
