//! My time: today's and this week's flat-rate time, travel and total, as `worktime` counts
//! them from the log with the company's rules (the same figures the supervisor and the
//! statements see). The full work-time screens (day sheets, limits, review) are the work-time
//! issue's.

use egui::{RichText, Ui};

use super::Out;
use crate::app::i18n::I18n;
use crate::app::kit::{self, FieldMessage};
use crate::app::model::{DayTime, MyTimeView};

pub fn show(ui: &mut Ui, i18n: &I18n, view: Option<&MyTimeView>, _out: &mut Out) {
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
    let Some(today) = view.today() else {
        ui.label(RichText::new(i18n.t("my_time.empty")).weak());
        return;
    };
    kit::section_heading(ui, i18n.t("my_time.today"));
    kit::card(ui, |ui| {
        ui.label(
            RichText::new(i18n.tf(
                "my_time.forfait",
                &[("time", &i18n.duration(today.forfait_seconds))],
            ))
            .text_style(egui::TextStyle::Heading),
        );
        ui.label(i18n.tn("my_time.acts", today.acts as u64));
        day_details(ui, i18n, today);
    });

    kit::section_heading(ui, i18n.t("my_time.week"));
    kit::card(ui, |ui| {
        ui.label(
            RichText::new(i18n.tf(
                "my_time.forfait",
                &[("time", &i18n.duration(view.week_forfait_seconds))],
            ))
            .text_style(egui::TextStyle::Heading),
        );
        ui.label(i18n.tf(
            "my_time.total",
            &[("time", &i18n.duration(view.week_total_seconds))],
        ));
    });
    for d in view.days.iter().rev() {
        ui.label(RichText::new(super::today::capitalise(&i18n.date_long(d.day))).strong());
        ui.label(format!(
            "{} · {} · {}",
            i18n.tf(
                "my_time.forfait",
                &[("time", &i18n.duration(d.forfait_seconds))]
            ),
            i18n.tf(
                "my_time.total",
                &[("time", &i18n.duration(d.total_seconds))]
            ),
            i18n.tn("my_time.acts", d.acts as u64),
        ));
        flags(ui, i18n, d);
    }
    ui.label(RichText::new(i18n.t("my_time.source")).weak());
}

fn day_details(ui: &mut Ui, i18n: &I18n, d: &DayTime) {
    ui.label(i18n.tf(
        "my_time.travel",
        &[("time", &i18n.duration(d.travel_seconds))],
    ));
    if d.other_seconds > 0 {
        ui.label(i18n.tf(
            "my_time.other",
            &[("time", &i18n.duration(d.other_seconds))],
        ));
    }
    ui.label(
        RichText::new(i18n.tf(
            "my_time.total",
            &[("time", &i18n.duration(d.total_seconds))],
        ))
        .strong(),
    );
    flags(ui, i18n, d);
}

fn flags(ui: &mut Ui, i18n: &I18n, d: &DayTime) {
    for f in &d.flags {
        kit::field_message(ui, &FieldMessage::Error(i18n.t_dyn(&format!("flag.{f}"))));
    }
}
