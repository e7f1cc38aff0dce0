//! Calling off a visit not started, with the reason.

use egui::Ui;

use crate::app::Screen;
use crate::app::i18n::I18n;
use crate::app::kit::{self, GAP};
use crate::app::model::{Command, Outcome, Ticket, VisitView};
use crate::app::screens::{Out, refusal_text};

/// A visit being called off, with why.
#[derive(Debug, Clone, Default)]
pub struct CancelForm {
    pub open: bool,
    pub reason: String,
    pub refused: Option<String>,
    pub awaiting: Option<Ticket>,
}

/// Calling off a visit not started (the farmer called, a duplicate call): recorded with the
/// reason, the visit leaves the round and the round is planned again without it.
pub(super) fn cancel(
    ui: &mut Ui,
    i18n: &I18n,
    view: &VisitView,
    form: &mut CancelForm,
    out: &mut Out,
) {
    if let Some(outcome) = out.answer(&mut form.awaiting) {
        match outcome {
            Outcome::Saved { .. } => {
                *form = CancelForm::default();
                out.nav = Some(crate::app::screens::Nav::Tab(Screen::Today));
                return;
            }
            Outcome::Refused(r) => form.refused = Some(refusal_text(i18n, &r)),
        }
    }
    ui.add_space(GAP);
    if !form.open {
        if kit::big_button(ui, i18n.t("visit.cancel")).clicked() {
            form.open = true;
        }
        return;
    }
    kit::checked_text_field(
        ui,
        i18n.t("visit.cancel_reason"),
        &mut form.reason,
        i18n.t("visit.cancel_reason_hint"),
        form.refused.as_deref(),
    );
    if kit::primary_button(ui, i18n.t("visit.cancel_confirm"), form.awaiting.is_none()).clicked() {
        if form.reason.trim().is_empty() {
            form.refused = Some(i18n.t("field.reason.empty").to_owned());
        } else {
            form.refused = None;
            form.awaiting = Some(out.send(Command::CancelVisit {
                visit: view.row.id.clone(),
                reason: form.reason.trim().to_owned(),
            }));
        }
    }
}
