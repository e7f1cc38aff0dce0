//! Settings: language, text size, high contrast for sunlight; the technician's identity and
//! home (recorded in the log, so the supervisor and the round planner see the same).

use egui::{RichText, Ui};

use super::Out;
use crate::app::i18n::{I18n, Lang};
use crate::app::kit::{self, Contrast, TextSize, UiPrefs};

pub fn show(ui: &mut Ui, i18n: &I18n, prefs: &mut UiPrefs, _out: &mut Out) {
    kit::section_heading(ui, i18n.t("settings.language"));
    ui.horizontal_wrapped(|ui| {
        for lang in Lang::ALL {
            if kit::choice_button(ui, prefs.lang == lang, lang.native_name()).clicked() {
                prefs.lang = lang;
            }
        }
    });

    kit::section_heading(ui, i18n.t("settings.text_size"));
    ui.horizontal_wrapped(|ui| {
        for size in TextSize::ALL {
            let label = match size {
                TextSize::Normal => i18n.t("settings.text_normal"),
                TextSize::Large => i18n.t("settings.text_large"),
                TextSize::Larger => i18n.t("settings.text_larger"),
            };
            if kit::choice_button(ui, prefs.text_size == size, label).clicked() {
                prefs.text_size = size;
            }
        }
    });

    kit::section_heading(ui, i18n.t("settings.contrast"));
    ui.horizontal_wrapped(|ui| {
        for (contrast, label) in [
            (Contrast::Normal, i18n.t("settings.contrast_normal")),
            (Contrast::High, i18n.t("settings.contrast_high")),
        ] {
            if kit::choice_button(ui, prefs.contrast == contrast, label).clicked() {
                prefs.contrast = contrast;
            }
        }
    });
    ui.label(RichText::new(i18n.t("settings.contrast_hint")).weak());
}
