//! The dose tank: doses per bull (number, name, breed), received and used, low-stock warning,
//! count corrections with a reason. Filled from the log's stock projection.

use egui::{RichText, Ui};

use super::Out;
use crate::app::i18n::I18n;

pub fn show(ui: &mut Ui, i18n: &I18n, _out: &mut Out) {
    ui.label(RichText::new(i18n.t("tank.empty")).weak());
}
