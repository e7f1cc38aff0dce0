//! A farm's history: past visits and acts, animals inseminated with dates and bulls, pregnancy
//! results, read before entering the barn.

use egui::{RichText, Ui};

use super::Out;
use crate::app::i18n::I18n;
use crate::domain::Ede;

pub fn show(ui: &mut Ui, i18n: &I18n, ede: &Ede, _out: &mut Out) {
    ui.label(i18n.tf("farm.ede", &[("ede", ede.as_str())]));
    ui.label(RichText::new(i18n.t("farm.empty")).weak());
}
