//! My time: today's and this week's flat-rate time, as `forfait` computes it from the acts.
//! The full work-time review (day sheets, limits) is the work-time screen's job.

use egui::{RichText, Ui};

use super::Out;
use crate::app::i18n::I18n;

pub fn show(ui: &mut Ui, i18n: &I18n, _out: &mut Out) {
    ui.label(RichText::new(i18n.t("my_time.empty")).weak());
}
