//! An insemination refused because the animal was inseminated days ago: the number is
//! corrected, or the act recorded with a reason.

use chrono::NaiveDate;
use egui::Ui;

use crate::app::i18n::I18n;
use crate::app::kit::{self, FieldMessage};
use crate::app::model::{Command, Refusal, Ticket};
use crate::app::screens::{Out, refusal_text};
use crate::domain::{Act, AnimalId};

/// An insemination refused because the animal was inseminated days ago: the act waits for a
/// reason (or for the number to be corrected).
#[derive(Debug, Clone)]
pub struct RecentPrompt {
    pub animal: AnimalId,
    pub on: NaiveDate,
    pub act: Act,
    pub reason: String,
    pub refused: Option<String>,
}

pub(super) fn recent_prompt(
    ui: &mut Ui,
    i18n: &I18n,
    recent: &mut RecentPrompt,
    awaiting: &mut Option<Ticket>,
    sent: &mut Option<Act>,
    out: &mut Out,
) {
    kit::field_message(
        ui,
        &FieldMessage::Error(refusal_text(
            i18n,
            &Refusal::RecentlyInseminated {
                animal: recent.animal.clone(),
                on: recent.on,
            },
        )),
    );
    kit::checked_text_field(
        ui,
        i18n.t("visit.recent_reason"),
        &mut recent.reason,
        i18n.t("visit.recent_reason_hint"),
        recent.refused.as_deref(),
    );
    let busy = awaiting.is_some();
    if kit::primary_button(ui, i18n.t("visit.recent_record"), !busy).clicked() {
        if recent.reason.trim().is_empty() {
            recent.refused = Some(i18n.t("field.reason.empty").to_owned());
        } else {
            *awaiting = Some(out.send(Command::RecordAct {
                act: recent.act.clone(),
                reason: Some(recent.reason.trim().to_owned()),
            }));
            *sent = Some(recent.act.clone());
        }
    }
}
