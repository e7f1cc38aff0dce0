//! My time: the day, the week and the year as `worktime` counts them from the log with the
//! company's rules (the same figures the supervisor and the statements see). Every day opens
//! to what makes it: the visits and their acts with their flat-rate time, the trips, the
//! declared time. The week says whether the supervisor approved it or sent it back, and why.

use chrono::NaiveDate;
use egui::{RichText, Ui};

use super::{Form, Out, Show};
use crate::app::i18n::I18n;
use crate::app::kit::{self, FieldMessage};
use crate::app::model::{DayTime, MyTimeView, ReviewView, WeekTime};
use crate::app::widgets::week_chart;
use crate::domain::ReviewDecision;

/// Which part of the time is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Period {
    #[default]
    Day,
    Week,
    Year,
}

/// What the screen remembers: the period shown and the day opened to its details.
#[derive(Debug, Clone, Default)]
pub struct MyTimeForm {
    pub period: Period,
    pub open: Option<NaiveDate>,
}

impl Form for MyTimeForm {
    type View = MyTimeView;
    const SHOW: Show<Self> = show;
}

pub fn show(
    ui: &mut Ui,
    i18n: &I18n,
    view: Option<&MyTimeView>,
    form: &mut MyTimeForm,
    _out: &mut Out,
) {
    let Some(view) = view else {
        ui.label(RichText::new(i18n.t("my_time.loading")).weak());
        return;
    };
    if let Some(e) = &view.error {
        kit::field_message(
            ui,
            &FieldMessage::Error(i18n.tf("my_time.error", &[("error", e)])),
        );
        return;
    }
    ui.horizontal_wrapped(|ui| {
        for (period, key) in [
            (Period::Day, "my_time.period_day"),
            (Period::Week, "my_time.period_week"),
            (Period::Year, "my_time.period_year"),
        ] {
            if kit::choice_button(ui, form.period == period, i18n.t(key)).clicked() {
                form.period = period;
            }
        }
    });
    if let Some(week) = view.this_week() {
        review_line(ui, i18n, week.review.as_ref());
    }
    match form.period {
        Period::Day => {
            let Some(today) = view.today() else {
                ui.label(RichText::new(i18n.t("my_time.empty")).weak());
                return;
            };
            kit::section_heading(ui, i18n.t("my_time.today"));
            kit::card(ui, |ui| {
                ui.label(
                    RichText::new(i18n.tf(
                        "my_time.total",
                        &[("time", &i18n.duration(today.total_seconds))],
                    ))
                    .text_style(egui::TextStyle::Heading),
                );
                day_figures(ui, i18n, today);
                day_details(ui, i18n, today);
            });
        }
        Period::Week => week(ui, i18n, view, form),
        Period::Year => year(ui, i18n, view),
    }
    ui.label(RichText::new(i18n.t("my_time.source")).weak());
}

/// Where this week's review stands, as the technician must see it.
pub fn review_line(ui: &mut Ui, i18n: &I18n, review: Option<&ReviewView>) {
    let message = match review {
        None => FieldMessage::Hint(i18n.t("review.pending").to_owned()),
        Some(ReviewView {
            supervisor,
            decision: ReviewDecision::Approved,
        }) => FieldMessage::Ok(i18n.tf("review.approved", &[("supervisor", supervisor)])),
        Some(ReviewView {
            supervisor,
            decision: ReviewDecision::SentBack { comment },
        }) => FieldMessage::Error(i18n.tf(
            "review.sent_back",
            &[("supervisor", supervisor), ("comment", comment)],
        )),
    };
    kit::field_message(ui, &message);
}

fn week(ui: &mut Ui, i18n: &I18n, view: &MyTimeView, form: &mut MyTimeForm) {
    kit::section_heading(ui, i18n.t("my_time.week"));
    kit::card(ui, |ui| {
        ui.label(
            RichText::new(i18n.tf(
                "my_time.total",
                &[("time", &i18n.duration(view.week_total_seconds))],
            ))
            .text_style(egui::TextStyle::Heading),
        );
        ui.label(i18n.tf(
            "my_time.forfait",
            &[("time", &i18n.duration(view.week_forfait_seconds))],
        ));
        if let Some(w) = view.this_week() {
            ui.label(i18n.tf(
                "my_time.average",
                &[("time", &i18n.duration(w.average_seconds))],
            ));
            flags(ui, i18n, &w.flags);
        }
    });
    for d in view.days.iter().rev() {
        let open = form.open == Some(d.day);
        let title = format!(
            "{} · {}",
            super::today::capitalise(&i18n.date_long(d.day)),
            i18n.duration(d.total_seconds)
        );
        if kit::big_button(ui, &title).clicked() {
            form.open = if open { None } else { Some(d.day) };
        }
        flags(ui, i18n, &d.flags);
        if open {
            kit::card(ui, |ui| {
                day_figures(ui, i18n, d);
                day_details(ui, i18n, d);
            });
        }
    }
    chart(ui, i18n, "week", view, 12);
}

fn year(ui: &mut Ui, i18n: &I18n, view: &MyTimeView) {
    let Some(y) = &view.year else {
        ui.label(RichText::new(i18n.t("my_time.empty")).weak());
        return;
    };
    kit::section_heading(
        ui,
        &i18n.tf(
            "my_time.year",
            &[
                ("from", &i18n.date_short(y.start)),
                ("to", &i18n.date_short(y.end)),
            ],
        ),
    );
    kit::card(ui, |ui| {
        ui.label(
            RichText::new(i18n.tf(
                "my_time.year_worked",
                &[
                    ("time", &i18n.duration(y.worked_seconds)),
                    ("ceiling", &i18n.duration(y.annual_ceiling_seconds)),
                ],
            ))
            .text_style(egui::TextStyle::Heading),
        );
        let overtime = i18n.tf(
            "my_time.overtime",
            &[
                ("time", &i18n.duration(y.overtime_seconds)),
                ("allowance", &i18n.duration(y.overtime_allowance_seconds)),
            ],
        );
        kit::field_message(
            ui,
            &if y.overtime_seconds > y.overtime_allowance_seconds {
                FieldMessage::Error(overtime)
            } else {
                FieldMessage::Hint(overtime)
            },
        );
        if y.sunday_holiday_seconds > 0 {
            ui.label(i18n.tf(
                "my_time.recovery",
                &[
                    ("worked", &i18n.duration(y.sunday_holiday_seconds)),
                    ("owed", &i18n.duration(y.recovery_owed_seconds)),
                ],
            ));
        }
    });
    chart(ui, i18n, "year", view, view.weeks.len());
}

fn chart(ui: &mut Ui, i18n: &I18n, id: &str, view: &MyTimeView, last: usize) {
    let weeks: &[WeekTime] = &view.weeks[view.weeks.len().saturating_sub(last)..];
    if weeks.is_empty() {
        return;
    }
    kit::section_heading(ui, i18n.t("chart.title"));
    week_chart(ui, i18n, id, weeks, view.limits);
}

fn day_figures(ui: &mut Ui, i18n: &I18n, d: &DayTime) {
    parts(
        ui,
        i18n,
        [d.forfait_seconds, d.travel_seconds, d.other_seconds],
    );
    ui.label(i18n.tn("my_time.acts", d.acts as u64));
    if let Some((from, to)) = d.span {
        ui.label(i18n.tf(
            "my_time.span",
            &[("from", &i18n.time(from)), ("to", &i18n.time(to))],
        ));
    }
    flags(ui, i18n, &d.flags);
}

/// The parts of a total: flat rate, travel, and declared time when there is some.
pub fn parts(ui: &mut Ui, i18n: &I18n, [forfait, travel, other]: [u64; 3]) {
    ui.label(i18n.tf("my_time.forfait", &[("time", &i18n.duration(forfait))]));
    ui.label(i18n.tf("my_time.travel", &[("time", &i18n.duration(travel))]));
    if other > 0 {
        ui.label(i18n.tf("my_time.other", &[("time", &i18n.duration(other))]));
    }
}

/// What the day is made of: each visit with its acts and their flat-rate time, the trips,
/// the declared time.
fn day_details(ui: &mut Ui, i18n: &I18n, d: &DayTime) {
    for v in &d.visits {
        ui.separator();
        ui.label(
            RichText::new(format!(
                "{} · {}",
                v.farm_name,
                i18n.duration(v.counted_seconds)
            ))
            .strong(),
        );
        ui.label(RichText::new(i18n.t_dyn(&format!("source.{}", v.source))).weak());
        for a in &v.acts {
            ui.label(format!(
                "{} · {}",
                i18n.tn(&format!("act_count.{}", a.kind.id()), u64::from(a.count)),
                i18n.duration(a.forfait_seconds)
            ));
        }
    }
    if !d.travel.is_empty() {
        ui.separator();
        let km: f64 = d.travel.iter().map(|(km, _)| km).sum();
        ui.label(i18n.tf(
            "my_time.trips",
            &[
                ("n", &d.travel.len().to_string()),
                ("km", &i18n.km(km)),
                ("time", &i18n.duration(d.travel_seconds)),
            ],
        ));
    }
    for (kind, seconds) in &d.declared {
        ui.label(format!(
            "{} · {}",
            i18n.t_dyn(&format!("other_time.{}", kind.id())),
            i18n.duration(*seconds)
        ));
    }
}

pub fn flags(ui: &mut Ui, i18n: &I18n, flags: &[&'static str]) {
    for f in flags {
        kit::field_message(ui, &FieldMessage::Error(i18n.t_dyn(&format!("flag.{f}"))));
    }
}
