//! The farmer's confirmation at the end of a visit: a signature on the screen (strokes sealed
//! into the event), or "farmer absent, instructions left", which leaves the visit awaiting
//! the farmer's confirmation.

use egui::{RichText, Ui};

use super::{Nav, Out};
use crate::app::Screen;
use crate::app::i18n::I18n;
use crate::app::kit::{self, FieldMessage, GAP};
use crate::app::model::{Command, VisitView};
use crate::app::widgets::{SignatureState, signature_pad};
use crate::domain::Confirmation;

#[derive(Debug, Clone, Default)]
pub struct ConfirmForm {
    pub signature: SignatureState,
    pub refused: Option<String>,
}

pub fn show(ui: &mut Ui, i18n: &I18n, view: &VisitView, form: &mut ConfirmForm, out: &mut Out) {
    let id = &view.row.id;
    ui.heading(RichText::new(&view.row.farm_name).strong());
    ui.label(i18n.tn("confirm.acts", view.acts.len() as u64));
    for row in &view.acts {
        ui.label(super::visit::act_line(i18n, row));
    }
    kit::section_heading(ui, i18n.t("confirm.sign_heading"));
    if signature_pad(ui, i18n, &mut form.signature, 260.0).dragged() {
        form.refused = None;
    }
    if let Some(r) = &form.refused {
        kit::field_message(ui, &FieldMessage::Error(r.clone()));
    }
    ui.add_space(GAP);
    if kit::primary_button(ui, i18n.t("confirm.validate"), true).clicked() {
        if form.signature.is_signed() {
            out.commands.push(Command::Confirm {
                visit: id.clone(),
                confirmation: Confirmation::Signed {
                    at: crate::domain::time::now(),
                    signer: view.row.farm_name.clone(),
                    strokes: form.signature.strokes.clone(),
                },
            });
            form.signature.clear();
            out.nav = Some(Nav::Tab(Screen::Today));
        } else {
            form.refused = Some(i18n.t("confirm.not_signed").to_owned());
        }
    }
    if kit::big_button(ui, i18n.t("confirm.instructions_left")).clicked() {
        out.commands.push(Command::Confirm {
            visit: id.clone(),
            confirmation: Confirmation::InstructionsLeft {
                at: crate::domain::time::now(),
            },
        });
        out.nav = Some(Nav::Tab(Screen::Today));
    }
}
