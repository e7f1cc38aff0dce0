//! A farmer's dispute of the visit, the answers given and the form to answer.

use egui::Ui;

use crate::app::i18n::I18n;
use crate::app::kit::{self, FieldMessage};
use crate::app::model::{Command, Outcome, Ticket, VisitView};
use crate::app::screens::{Out, refusal_text};

/// The answer to a farmer's dispute being written.
#[derive(Debug, Clone, Default)]
pub struct DisputeForm {
    pub note: String,
    pub refused: Option<String>,
    pub awaiting: Option<Ticket>,
}

/// The farmer's dispute, the answers given, and the form to answer (a correction of an act
/// is made with the act's own "correct" button).
pub(super) fn dispute(
    ui: &mut Ui,
    i18n: &I18n,
    view: &VisitView,
    form: &mut DisputeForm,
    out: &mut Out,
) {
    let Some(crate::domain::Confirmation::Disputed { comment, .. }) = &view.confirmation else {
        return;
    };
    if let Some(outcome) = out.answer(&mut form.awaiting) {
        match outcome {
            Outcome::Saved { .. } => *form = DisputeForm::default(),
            Outcome::Refused(r) => form.refused = Some(refusal_text(i18n, &r)),
        }
    }
    kit::section_heading(ui, i18n.t("dispute.title"));
    kit::card(ui, |ui| {
        kit::field_message(
            ui,
            &FieldMessage::Error(i18n.tf("dispute.farmer_says", &[("comment", comment)])),
        );
        for a in &view.answers {
            kit::field_message(
                ui,
                &FieldMessage::Ok(i18n.tf("dispute.answered", &[("note", a)])),
            );
        }
        kit::text_field(
            ui,
            i18n.t("dispute.answer"),
            &mut form.note,
            i18n.t("dispute.answer_hint"),
        );
        if let Some(r) = &form.refused {
            kit::field_message(ui, &FieldMessage::Error(r.clone()));
        }
        if kit::primary_button(ui, i18n.t("dispute.send"), form.awaiting.is_none()).clicked() {
            form.refused = None;
            form.awaiting = Some(out.send(Command::AnswerDispute {
                visit: view.row.id.clone(),
                note: form.note.clone(),
            }));
        }
    });
}
