//! The anomalies of a visit (restraint not ready, sanitary issue, equipment fault, other)
//! and the form that notes one.

use egui::Ui;

use crate::app::i18n::I18n;
use crate::app::kit;
use crate::app::model::{Command, Ticket, VisitView};
use crate::app::screens::Out;
use crate::domain::AnomalyKind;

use super::VisitForm;

/// The anomaly being noted.
#[derive(Debug, Clone, Default)]
pub struct AnomalyForm {
    pub kind: Option<AnomalyKind>,
    pub note: String,
    pub refused: Option<String>,
    pub awaiting: Option<Ticket>,
}

pub fn anomaly_label(i18n: &I18n, kind: AnomalyKind) -> &str {
    match kind {
        AnomalyKind::RestraintNotReady => i18n.t("anomaly.restraint_not_ready"),
        AnomalyKind::SanitaryIssue => i18n.t("anomaly.sanitary_issue"),
        AnomalyKind::EquipmentFault => i18n.t("anomaly.equipment_fault"),
        AnomalyKind::Other => i18n.t("anomaly.other"),
    }
}

pub(super) fn anomaly_form(
    ui: &mut Ui,
    i18n: &I18n,
    view: &VisitView,
    form: &mut VisitForm,
    out: &mut Out,
) {
    kit::section_heading(ui, i18n.t("visit.anomalies"));
    for (kind, note) in &view.anomalies {
        let mut line = anomaly_label(i18n, *kind).to_owned();
        if !note.is_empty() {
            line.push_str(" · ");
            line.push_str(note);
        }
        ui.label(line);
    }
    let a = &mut form.anomaly;
    ui.horizontal_wrapped(|ui| {
        for kind in [
            AnomalyKind::RestraintNotReady,
            AnomalyKind::SanitaryIssue,
            AnomalyKind::EquipmentFault,
            AnomalyKind::Other,
        ] {
            if kit::choice_button(ui, a.kind == Some(kind), anomaly_label(i18n, kind)).clicked() {
                a.kind = Some(kind);
                a.refused = None;
            }
        }
    });
    let Some(kind) = a.kind else {
        return;
    };
    kit::checked_text_field(
        ui,
        i18n.t("visit.anomaly_note"),
        &mut a.note,
        i18n.t("visit.anomaly_note_hint"),
        a.refused.as_deref(),
    );
    let busy = a.awaiting.is_some();
    if kit::primary_button(ui, i18n.t("visit.note_anomaly"), !busy).clicked() {
        if kind == AnomalyKind::Other && a.note.trim().is_empty() {
            a.refused = Some(i18n.t("field.note.empty").to_owned());
        } else {
            a.awaiting = Some(out.send(Command::NoteAnomaly {
                visit: view.row.id.clone(),
                kind,
                note: a.note.trim().to_owned(),
            }));
        }
    }
}
