//! Today's round: the day's visits in round order, each with its farm, village, what was
//! asked, urgency and status; a tap opens the visit. A new call is added from here. On a store
//! with nothing in it, the first thing offered is the demo data.

use egui::{RichText, Ui};

use super::{Form, Nav, Out, Show};
use crate::app::Screen;
use crate::app::i18n::I18n;
use crate::app::kit::{self, FieldMessage, Palette, RowContent};
use crate::app::model::{Command, Improving, RestDay, RoundView, Ticket, TodayView, VisitRow};
use crate::app::widgets::round_map;
use crate::domain::{Request, Urgency, VisitId, VisitStatus};

/// The Today screen's own state: the demo being loaded, the order being edited by hand.
#[derive(Debug, Clone, Default)]
pub struct TodayForm {
    pub loading_demo: Option<Ticket>,
    pub editing: bool,
}

impl Form for TodayForm {
    type View = TodayView;
    const SHOW: Show<Self> = show;
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
        if let Some(rest) = view.rest_day {
            kit::field_message(ui, &FieldMessage::Hint(rest_day_text(i18n, day, rest)));
        }
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
        round(ui, i18n, view, form, out);
    }
    follow_ups(ui, i18n, view, out);
    to_follow(ui, i18n, view, out);
}

/// Says that today is a Sunday or a holiday: a day of rest that is worked (recovery is owed),
/// or on the demo's data, a day the demo keeps as a working day.
fn rest_day_text(i18n: &I18n, day: chrono::NaiveDate, rest: RestDay) -> String {
    let name = match rest.holiday {
        Some(h) if i18n.lang() == crate::app::i18n::Lang::Fr => h.label_fr().to_owned(),
        Some(h) => h.label_en().to_owned(),
        None => capitalise(&i18n.weekday(chrono::Datelike::weekday(&day))),
    };
    if rest.demo {
        i18n.tf("today.rest_day_demo", &[("day", &name)])
    } else {
        i18n.tf("today.rest_day", &[("day", &name)])
    }
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

fn round(ui: &mut Ui, i18n: &I18n, view: &TodayView, form: &mut TodayForm, out: &mut Out) {
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
    if let Some(r) = &view.round {
        plan_summary(ui, i18n, view, r, form, out);
    }
    if let Some(e) = &view.round_failed {
        kit::field_message(
            ui,
            &FieldMessage::Error(i18n.tf("today.round_failed", &[("id", &e.value)])),
        );
    }
    let new_calls: Vec<&VisitId> = view
        .round
        .iter()
        .flat_map(|r| r.new_calls.iter().map(|c| &c.visit))
        .collect();
    // The order the technician moves visits in: the placed ones, as shown.
    let placed: Vec<VisitId> = view
        .visits
        .iter()
        .map(|v| v.id.clone())
        .filter(|id| !new_calls.contains(&id))
        .collect();
    let p = kit::current_palette(ui.ctx());
    for (n, row) in view.visits.iter().enumerate() {
        if kit::list_row(ui, &row_content(i18n, &p, n + 1, row)).clicked() {
            out.go(Screen::Visit(row.id.clone()));
        }
        if form.editing
            && row.status == VisitStatus::ToDo
            && let Some(i) = placed.iter().position(|id| id == &row.id)
        {
            move_buttons(ui, i18n, &row.farm_name, &placed, i, out);
        }
    }
}

/// Up, down, first: the order by hand, recorded at once (and its cost shown above).
fn move_buttons(ui: &mut Ui, i18n: &I18n, farm: &str, placed: &[VisitId], i: usize, out: &mut Out) {
    let farm = [("farm", farm)];
    let button = |ui: &mut Ui, text: &str, enabled: bool| {
        ui.add_enabled(
            enabled,
            egui::Button::new(RichText::new(text).text_style(egui::TextStyle::Button))
                .min_size(egui::vec2(kit::MIN_TARGET * 2.5, kit::MIN_TARGET)),
        )
        .clicked()
    };
    ui.horizontal(|ui| {
        let mut order = placed.to_vec();
        if button(ui, &i18n.tf("today.first", &farm), i > 0) {
            let v = order.remove(i);
            order.insert(0, v);
            out.send(Command::OrderRound(order));
        } else if button(ui, &i18n.tf("today.up", &farm), i > 0) {
            order.swap(i, i - 1);
            out.send(Command::OrderRound(order));
        } else if button(ui, &i18n.tf("today.down", &farm), i + 1 < placed.len()) {
            order.swap(i, i + 1);
            out.send(Command::OrderRound(order));
        }
    });
}

/// The round's cost, what it misses, the map, a hand order's cost against the planner's, new
/// calls with where they fit best, and the follow-ups due.
fn plan_summary(
    ui: &mut Ui,
    i18n: &I18n,
    view: &TodayView,
    r: &RoundView,
    form: &mut TodayForm,
    out: &mut Out,
) {
    let name = |id: &VisitId| {
        view.visits
            .iter()
            .find(|v| &v.id == id)
            .map_or_else(|| id.to_string(), |v| v.farm_name.clone())
    };
    kit::card(ui, |ui| {
        ui.label(
            RichText::new(i18n.tf(
                "today.plan",
                &[
                    ("km", &i18n.km(r.km)),
                    ("drive", &i18n.duration(r.drive_seconds)),
                    ("back", &i18n.time(r.back_at)),
                ],
            ))
            .strong(),
        );
        // The round above may still change by itself: say so, so that a technician does not
        // read it out to a farmer as final. Still text, not a spinner: an animation would
        // keep the tablet redrawing (and its battery draining) for a second or two per call.
        if let Some(improving) = r.improving {
            let key = match improving {
                Improving::Shows => "today.improving",
                Improving::Proposes => "today.improving_proposed",
            };
            kit::field_message(ui, &FieldMessage::Hint(i18n.t(key).to_owned()));
            // How long to wait: the bar moves a step a slice of work, never by itself.
            ui.add(
                egui::ProgressBar::new(r.improving_done)
                    .desired_height(2.0 * kit::GAP)
                    .show_percentage(),
            );
        }
        if r.late_seconds > 0 {
            kit::field_message(
                ui,
                &FieldMessage::Error(i18n.tf(
                    "today.late_total",
                    &[("time", &i18n.duration(r.late_seconds))],
                )),
            );
        }
        if !r.unplanned.is_empty() {
            let farms: Vec<String> = r.unplanned.iter().map(name).collect();
            kit::field_message(
                ui,
                &FieldMessage::Error(i18n.tf("today.unplanned", &[("farms", &farms.join(", "))])),
            );
        }
        if let Some((km, drive, late)) = r.best {
            kit::field_message(
                ui,
                &FieldMessage::Hint(i18n.tf(
                    "today.by_hand",
                    &[
                        ("km", &i18n.km((r.km - km).max(0.0))),
                        (
                            "drive",
                            &i18n.duration(r.drive_seconds.saturating_sub(drive)),
                        ),
                        ("late", &i18n.duration(r.late_seconds.saturating_sub(late))),
                    ],
                )),
            );
            if kit::big_button(ui, i18n.t("today.optimise")).clicked() {
                out.send(Command::PlanRound);
            }
        }
        let edit = if form.editing {
            i18n.t("today.edit_done")
        } else {
            i18n.t("today.edit")
        };
        if kit::big_button(ui, edit).clicked() {
            form.editing = !form.editing;
        }
    });
    round_map(ui, i18n, &r.map);
    for call in &r.new_calls {
        kit::section_heading(
            ui,
            &i18n.tf("today.new_call_place", &[("farm", &call.farm_name)]),
        );
        for o in &call.options {
            let mut cost = i18n.tf(
                "today.placement_cost",
                &[
                    ("km", &signed_km(i18n, o.added_meters)),
                    ("drive", &signed_duration(i18n, o.added_drive_seconds)),
                ],
            );
            if o.added_late_seconds > 0 {
                cost.push_str(&i18n.tf(
                    "today.placement_late",
                    &[("time", &i18n.duration(o.added_late_seconds.unsigned_abs()))],
                ));
            }
            if !o.fits_day {
                cost.push_str(i18n.t("today.placement_too_long"));
            }
            let label = match &o.after {
                None => i18n.tf("today.place_first", &[("cost", &cost)]),
                Some(after) => i18n.tf("today.place_after", &[("farm", after), ("cost", &cost)]),
            };
            if kit::big_button(ui, &label).clicked() {
                out.send(Command::OrderRound(o.order.clone()));
            }
        }
    }
}

/// Follow-ups due today (pregnancy checks, protocol steps) at farms not in the round.
fn follow_ups(ui: &mut Ui, i18n: &I18n, view: &TodayView, out: &mut Out) {
    if !view.follow_ups.is_empty() {
        kit::section_heading(ui, i18n.t("today.follow_ups"));
        for f in &view.follow_ups {
            kit::card(ui, |ui| {
                ui.label(RichText::new(&f.farm_name).strong());
                ui.label(format!(
                    "{} · {}",
                    asked(i18n, &f.requested),
                    i18n.t_dyn(&format!("follow_up.{}", f.reason))
                ));
                let label = i18n.tf("today.add_follow_up", &[("farm", &f.farm_name)]);
                if kit::big_button(ui, &label).clicked() {
                    out.send(Command::AddCall {
                        farm: f.farm.clone(),
                        requested: f.requested.clone(),
                        urgency: Urgency::Normal,
                    });
                }
            });
        }
    }
}

fn signed_km(i18n: &I18n, meters: i64) -> String {
    let sign = if meters < 0 { "−" } else { "+" };
    format!("{sign}{}", i18n.km(meters.unsigned_abs() as f64 / 1000.0))
}

fn signed_duration(i18n: &I18n, seconds: i64) -> String {
    let sign = if seconds < 0 { "−" } else { "+" };
    format!("{sign}{}", i18n.duration(seconds.unsigned_abs()))
}

fn first_start(ui: &mut Ui, i18n: &I18n, form: &mut TodayForm, out: &mut Out) {
    kit::section_heading(ui, i18n.t("today.welcome"));
    ui.label(i18n.t("today.empty_store"));
    let busy = form.loading_demo.is_some();
    if kit::waiting_button(
        ui,
        i18n.t("today.load_demo"),
        i18n.t("today.loading_demo"),
        busy,
    )
    .clicked()
    {
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
    if let Some(at) = row.arrival {
        subtitle.push_str(" · ");
        subtitle.push_str(&i18n.tf("today.arrival", &[("time", &i18n.time(at))]));
    }
    if let Some((from, to)) = row.window {
        subtitle.push_str(&format!(" · {}–{}", i18n.time(from), i18n.time(to)));
    }
    if row.late_seconds > 0 {
        subtitle.push_str(" · ");
        subtitle.push_str(&i18n.tf(
            "today.late",
            &[("time", &i18n.duration(u64::from(row.late_seconds)))],
        ));
    }
    if let Some(w) = &row.told {
        // Said as the farmer's message says it ("entre 10 h 10 et 10 h 40").
        let key = if w.on_the_way {
            "today.told_on_the_way"
        } else {
            "today.told"
        };
        let (fh, fm) = ((w.from / 60).to_string(), format!("{:02}", w.from % 60));
        let (th, tm) = ((w.to / 60).to_string(), format!("{:02}", w.to % 60));
        subtitle.push_str(" · ");
        subtitle.push_str(&i18n.tf(key, &[("fh", &fh), ("fm", &fm), ("th", &th), ("tm", &tm)]));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::i18n::Lang;
    use crate::domain::{ArrivalWindow, Ede, TechnicianId, Visit};

    #[test]
    fn a_visit_row_says_what_the_farmer_was_told_in_both_languages() {
        let visit = Visit::planned(
            VisitId::parse("visit", "V1").unwrap(),
            TechnicianId::parse("technician", "T01").unwrap(),
            Ede::parse("farm", "53161001").unwrap(),
            chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
        );
        let mut row = VisitRow::build(&visit, None, 0, None);
        row.told = Some(ArrivalWindow {
            from: 10 * 60 + 10,
            to: 10 * 60 + 40,
            on_the_way: false,
        });
        let p = kit::palette(kit::Contrast::Normal);
        let fr = row_content(&I18n::new(Lang::Fr), &p, 1, &row).subtitle;
        assert!(
            fr.ends_with(" · prévenu : entre 10 h 10 et 10 h 40"),
            "{fr}"
        );
        let en = row_content(&I18n::new(Lang::En), &p, 1, &row).subtitle;
        assert!(
            en.ends_with(" · farmer told: between 10:10 and 10:40"),
            "{en}"
        );
        row.told = row.told.map(|w| ArrivalWindow {
            on_the_way: true,
            ..w
        });
        let fr = row_content(&I18n::new(Lang::Fr), &p, 1, &row).subtitle;
        assert!(
            fr.ends_with("prévenu : en route, entre 10 h 10 et 10 h 40"),
            "{fr}"
        );
    }
}
