//! Correcting a recorded act: replaced (the act form takes its values) or withdrawn, with a
//! reason.

use egui::{RichText, Ui};

use crate::app::i18n::I18n;
use crate::app::kit;
use crate::app::model::{ActRow, Command};
use crate::app::screens::Out;
use crate::domain::ActId;

use super::VisitForm;

/// An act being corrected.
#[derive(Debug, Clone)]
pub struct Correction {
    pub act: ActId,
    pub reason: String,
    pub refused: Option<String>,
    /// The act form below records the replacement.
    pub replacing: bool,
}

pub(super) fn correction_panel(
    ui: &mut Ui,
    i18n: &I18n,
    row: &ActRow,
    form: &mut VisitForm,
    out: &mut Out,
) {
    let Some(c) = &mut form.correcting else {
        return;
    };
    let (mut replace, mut withdraw, mut cancel) = (false, false, false);
    kit::card(ui, |ui| {
        kit::checked_text_field(
            ui,
            i18n.t("visit.correction_reason"),
            &mut c.reason,
            i18n.t("visit.correction_reason_hint"),
            c.refused.as_deref(),
        );
        if c.replacing {
            ui.label(RichText::new(i18n.t("visit.replacing_hint")).weak());
        } else if kit::big_button(ui, i18n.t("visit.replace")).clicked() {
            replace = true;
        }
        withdraw = kit::big_button(ui, i18n.t("visit.withdraw")).clicked();
        cancel = kit::big_button(ui, i18n.t("visit.cancel_correction")).clicked();
    });
    if (replace || withdraw) && c.reason.trim().is_empty() {
        c.refused = Some(i18n.t("field.reason.empty").to_owned());
        return;
    }
    if withdraw {
        form.awaiting = Some(out.send(Command::CorrectAct {
            act: c.act.clone(),
            replacement: None,
            reason: c.reason.trim().to_owned(),
        }));
        form.sent = None;
    } else if cancel {
        form.correcting = None;
    } else if replace {
        // The act form below takes the act's values, ready to change what was wrong.
        c.replacing = true;
        let a = &row.act;
        form.family = Some(a.kind.family());
        form.kind = Some(a.kind);
        form.species = a.kind.species();
        form.animal.digits = a
            .animals
            .first()
            .map(|x| x.as_str().trim_start_matches("FR").to_owned())
            .unwrap_or_default();
        form.count = a.count.to_string();
        form.lot = if a.animals.len() > 1 || a.count > 1 {
            a.animals.clone()
        } else {
            Vec::new()
        };
        form.bull = a.bull.clone();
        form.rank = a.rank;
        form.result = a.result;
    }
}
