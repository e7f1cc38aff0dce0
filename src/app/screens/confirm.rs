//! The farmer's confirmation at the end of a visit: the certificate of the visit's
//! inseminations shown above the pad (the farmer signs the certificate), then a signature on
//! the screen (strokes sealed into the event), or "farmer absent, instructions left", which
//! leaves the visit awaiting the farmer's confirmation.

use egui::{RichText, Ui};

use super::{Nav, Out, animal_text, refusal_text};
use crate::app::Screen;
use crate::app::i18n::I18n;
use crate::app::kit::{self, FieldMessage, GAP};
use crate::app::model::{Command, Refusal, VisitView};
use crate::app::widgets::{SignatureState, signature_pad};
use crate::declare::InseminationRecord;
use crate::domain::{Confirmation, VisitStatus};

#[derive(Debug, Clone, Default)]
pub struct ConfirmForm {
    pub signature: SignatureState,
    pub refused: Option<String>,
}

pub fn show(ui: &mut Ui, i18n: &I18n, view: &VisitView, form: &mut ConfirmForm, out: &mut Out) {
    let id = &view.row.id;
    ui.heading(RichText::new(&view.row.farm_name).strong());
    certificate(ui, i18n, view);
    kit::section_heading(ui, i18n.t("confirm.acts_heading"));
    ui.label(i18n.tn("confirm.acts", view.acts.len() as u64));
    for row in &view.acts {
        ui.label(super::visit::act_line(i18n, row));
    }
    if matches!(
        view.row.status,
        VisitStatus::Confirmed | VisitStatus::Disputed
    ) {
        let p = kit::current_palette(ui.ctx());
        let (text, color) = super::today::status(i18n, &p, view.row.status);
        kit::status_chip(ui, &text, color);
        return;
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
            out.send(Command::Confirm {
                visit: id.clone(),
                confirmation: Confirmation::Signed {
                    // The backend dates it when it records it.
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
        out.send(Command::Confirm {
            visit: id.clone(),
            confirmation: Confirmation::InstructionsLeft {
                at: crate::domain::time::now(),
            },
        });
        out.nav = Some(Nav::Tab(Screen::Today));
    }
}

/// The certificate of the visit's inseminations as the farmer reads it before signing: the
/// same fields the PDF prints (`declare::certificate`).
fn certificate(ui: &mut Ui, i18n: &I18n, view: &VisitView) {
    if view.records.is_empty() {
        return;
    }
    kit::section_heading(ui, i18n.t("confirm.certificate"));
    kit::card(ui, |ui| {
        let first = view.records.iter().find_map(|r| r.as_ref().ok());
        if let Some(r) = first {
            header(ui, i18n, r);
        }
        for (n, record) in view.records.iter().enumerate() {
            ui.label(
                RichText::new(i18n.tf("confirm.insemination_n", &[("n", &(n + 1).to_string())]))
                    .strong(),
            );
            match record {
                Ok(r) => record_lines(ui, i18n, r),
                Err(e) => {
                    kit::field_message(
                        ui,
                        &FieldMessage::Error(refusal_text(i18n, &Refusal::Invalid(e.clone()))),
                    );
                }
            }
        }
    });
}

fn header(ui: &mut Ui, i18n: &I18n, r: &InseminationRecord) {
    ui.label(i18n.tf(
        "confirm.company",
        &[("name", &r.company_name), ("approval", &r.company_approval)],
    ));
    ui.label(i18n.tf(
        "confirm.technician",
        &[
            ("name", &r.technician_name),
            ("licence", &r.technician_licence),
        ],
    ));
    ui.label(i18n.tf(
        "confirm.farm",
        &[("name", &r.farm_name), ("ede", r.ede.as_str())],
    ));
    ui.label(i18n.tf("confirm.date", &[("date", &i18n.date_short(r.date))]));
}

fn record_lines(ui: &mut Ui, i18n: &I18n, r: &InseminationRecord) {
    let females = if r.females.is_empty() {
        i18n.tn("visit.animals", u64::from(r.count))
    } else {
        r.females
            .iter()
            .map(|a| animal_text(a, r.species))
            .collect::<Vec<_>>()
            .join(", ")
    };
    ui.label(i18n.tf("confirm.females", &[("females", &females)]));
    ui.label(i18n.tf(
        "confirm.sire",
        &[
            ("name", &r.sire_name),
            ("number", r.sire.as_str()),
            ("breed", &crate::domain::breed::breed_label(&r.breed)),
        ],
    ));
    ui.label(i18n.tf(
        "confirm.dose",
        &[("centre", &r.centre), ("batch", &r.batch)],
    ));
    if let Some(rank) = r.rank {
        ui.label(super::visit::rank_text(i18n, rank));
    }
}
