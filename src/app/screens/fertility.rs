//! Reproduction figures as the farm and team screens show them: each rate with its counts
//! (a farmer checks them by hand), a month-by-month trend drawn as bars, the females to watch,
//! and on the farm screen the technician's advice for the year to come and the yearly report.

use egui::{Color32, RichText, Sense, Ui, vec2};

use super::{Out, animal_text};
use crate::advice::{Figures, MonthFigures, Reason, ToWatch};
use crate::app::i18n::I18n;
use crate::app::kit::{self, FieldMessage};
use crate::app::model::{Command, FarmFertility, Outcome, TeamFertility, Ticket};
use crate::domain::{Ede, Species};

/// What the farm screen's advice form remembers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdviceForm {
    pub farm: Option<Ede>,
    pub text: String,
    awaiting: Option<Ticket>,
    message: Option<String>,
    failed: Option<String>,
}

/// `62 %`, or a dash when there is nothing to divide.
pub fn percent(i18n: &I18n, rate: Option<f64>) -> String {
    match rate {
        Some(r) => format!("{}\u{202f}%", i18n.decimal(r * 100.0, 0)),
        None => "—".to_owned(),
    }
}

/// `62 % (52 sur 84)`.
fn rate_counts(i18n: &I18n, rate: Option<f64>, part: u32, whole: u32) -> String {
    i18n.tf(
        "fertility.rate_counts",
        &[
            ("rate", &percent(i18n, rate)),
            ("part", &part.to_string()),
            ("whole", &whole.to_string()),
        ],
    )
}

/// The four figures, one line each, large: the line is its own accessible label.
pub fn figure_lines(i18n: &I18n, f: &Figures) -> Vec<String> {
    vec![
        i18n.tf(
            "fertility.services",
            &[
                ("services", &f.services.to_string()),
                ("first", &f.first_services.to_string()),
            ],
        ),
        i18n.tf(
            "fertility.nr56",
            &[(
                "value",
                &rate_counts(i18n, f.nr56.rate, f.nr56.non_returns, f.nr56.eligible),
            )],
        ),
        i18n.tf(
            "fertility.nr90",
            &[(
                "value",
                &rate_counts(i18n, f.nr90.rate, f.nr90.non_returns, f.nr90.eligible),
            )],
        ),
        i18n.tf(
            "fertility.conception",
            &[(
                "value",
                &rate_counts(
                    i18n,
                    f.conception_first.rate,
                    f.conception_first.pregnant,
                    f.conception_first.checked,
                ),
            )],
        ),
        i18n.tf(
            "fertility.three_or_more",
            &[(
                "value",
                &rate_counts(
                    i18n,
                    f.three_or_more.rate,
                    f.three_or_more.with_three_or_more,
                    f.three_or_more.females,
                ),
            )],
        ),
    ]
}

fn figures_block(ui: &mut Ui, i18n: &I18n, f: &Figures) {
    for line in figure_lines(i18n, f) {
        ui.label(
            RichText::new(line).size(ui.style().text_styles[&egui::TextStyle::Body].size * 1.15),
        );
    }
}

/// The month's label, e.g. `nov. 2026`.
fn month_label(i18n: &I18n, month: &str) -> String {
    let year = month.get(..4).unwrap_or_default();
    match month.get(5..7).and_then(|m| m.parse::<u32>().ok()) {
        Some(m) => format!("{} {year}", i18n.month(m)),
        None => month.to_owned(),
    }
}

/// One month of the trend: a bar as long as the month's NR56 (a dash when not measurable yet),
/// then its figures in words.
fn month_row(ui: &mut Ui, i18n: &I18n, m: &MonthFigures, color: Color32, track: Color32) {
    let f = &m.figures;
    let text = i18n.tf(
        "fertility.month",
        &[
            ("month", &month_label(i18n, &m.month)),
            ("first", &f.first_services.to_string()),
            (
                "nr56",
                &rate_counts(i18n, f.nr56.rate, f.nr56.non_returns, f.nr56.eligible),
            ),
            (
                "conception",
                &rate_counts(
                    i18n,
                    f.conception_first.rate,
                    f.conception_first.pregnant,
                    f.conception_first.checked,
                ),
            ),
        ],
    );
    ui.horizontal(|ui| {
        let (rect, _) = ui.allocate_exact_size(vec2(120.0, 18.0), Sense::hover());
        let painter = ui.painter();
        painter.rect_filled(rect, 4.0, track);
        if let Some(r) = f.nr56.rate {
            let mut bar = rect;
            bar.set_width(rect.width() * r.clamp(0.0, 1.0) as f32);
            painter.rect_filled(bar, 4.0, color);
        }
        ui.label(text);
    });
}

fn watch_line(i18n: &I18n, w: &ToWatch) -> String {
    let animal = animal_text(&w.animal, Species::Bovine);
    let days = w.days_since.to_string();
    match w.reason {
        Reason::HeatToWatch | Reason::CheckDue => i18n.tf(
            "fertility.watch_days",
            &[("animal", &animal), ("days", &days)],
        ),
        Reason::ThreeOrMore => i18n.tf(
            "fertility.watch_services",
            &[
                ("animal", &animal),
                ("services", &w.services.to_string()),
                ("days", &days),
            ],
        ),
    }
}

fn watch_block(ui: &mut Ui, i18n: &I18n, watch: &[ToWatch]) {
    kit::section_heading(ui, i18n.t("fertility.to_watch"));
    if watch.is_empty() {
        ui.label(RichText::new(i18n.t("fertility.nothing_to_watch")).weak());
    }
    for (reason, key) in [
        (Reason::HeatToWatch, i18n.t("fertility.heat_to_watch")),
        (Reason::CheckDue, i18n.t("fertility.check_due")),
        (Reason::ThreeOrMore, i18n.t("fertility.three_services")),
    ] {
        let of_reason: Vec<&ToWatch> = watch.iter().filter(|w| w.reason == reason).collect();
        if of_reason.is_empty() {
            continue;
        }
        ui.label(RichText::new(key).strong());
        for w in of_reason {
            ui.label(watch_line(i18n, w));
        }
    }
}

/// The period the figures cover, and how services count.
fn period(ui: &mut Ui, i18n: &I18n, from: chrono::NaiveDate, to: chrono::NaiveDate) {
    let text = i18n.tf(
        "fertility.period",
        &[
            ("from", &i18n.date_short(from)),
            ("to", &i18n.date_short(to)),
        ],
    );
    ui.label(RichText::new(text).weak());
}

/// The farm screen's reproduction part.
pub fn farm(
    ui: &mut Ui,
    i18n: &I18n,
    ede: &Ede,
    f: &FarmFertility,
    form: &mut AdviceForm,
    out: &mut Out,
) {
    if form.farm.as_ref() != Some(ede) {
        *form = AdviceForm {
            farm: Some(ede.clone()),
            text: f.advice.clone().unwrap_or_default(),
            ..AdviceForm::default()
        };
    }
    let p = kit::current_palette(ui.ctx());
    kit::section_heading(ui, i18n.t("fertility.title"));
    period(ui, i18n, f.from, f.to);
    figures_block(ui, i18n, &f.figures);
    kit::section_heading(ui, i18n.t("fertility.trend"));
    for m in &f.by_month {
        month_row(ui, i18n, m, p.accent, p.surface);
    }
    watch_block(ui, i18n, &f.watch);

    kit::section_heading(
        ui,
        &i18n.tf("fertility.report", &[("year", &f.year.to_string())]),
    );
    if let Some(outcome) = out.answer(&mut form.awaiting) {
        match outcome {
            Outcome::Saved { .. } => {
                form.failed = None;
            }
            Outcome::Refused(r) => {
                form.message = None;
                form.failed = Some(super::refusal_text(i18n, &r));
            }
        }
    }
    let label = i18n.tf("fertility.advice", &[("year", &(f.year + 1).to_string())]);
    kit::text_area(ui, &label, &mut form.text, i18n.t("fertility.advice_hint"));
    let waiting = form.awaiting.is_some();
    if kit::big_button(ui, i18n.t("fertility.save_advice")).clicked() && !waiting {
        form.message = Some(i18n.t("fertility.advice_saved").to_owned());
        form.awaiting = Some(out.send(Command::WriteAdvice {
            farm: ede.clone(),
            year: f.year,
            text: form.text.clone(),
        }));
    }
    if kit::primary_button(ui, i18n.t("fertility.hand_report"), !waiting).clicked() {
        form.message = None;
        form.awaiting = Some(out.send(Command::SaveYearReport {
            farm: ede.clone(),
            year: f.year,
        }));
    }
    if let Some(e) = &form.failed {
        kit::field_message(ui, &FieldMessage::Error(e.clone()));
    } else if let Some(m) = form.message.as_ref().filter(|_| !waiting) {
        kit::field_message(ui, &FieldMessage::Ok(m.clone()));
    }
    if let Some(file) = &f.report_file {
        kit::field_message(
            ui,
            &FieldMessage::Ok(i18n.tf("fertility.report_saved", &[("file", file)])),
        );
    }
}

/// The team screen's reproduction part: per technician, then per bull.
pub fn team(ui: &mut Ui, i18n: &I18n, f: &TeamFertility) {
    kit::section_heading(ui, i18n.t("fertility.team_title"));
    period(ui, i18n, f.from, f.to);
    for (name, figures) in &f.technicians {
        ui.label(RichText::new(name).strong());
        figures_block(ui, i18n, figures);
    }
    kit::section_heading(ui, i18n.t("fertility.by_bull"));
    if f.bulls.is_empty() {
        ui.label(RichText::new(i18n.t("farm.none")).weak());
    }
    for b in &f.bulls {
        let name = match &b.name {
            Some(n) => format!("{n} ({})", b.bull),
            None => b.bull.to_string(),
        };
        ui.label(RichText::new(name).strong());
        figures_block(ui, i18n, &b.figures);
    }
}
