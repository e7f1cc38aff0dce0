//! The first screen when the tablet's data failed its check at open: what is intact, that
//! nothing was changed, and one way out (build a new store from what is intact, keep the
//! damaged folder aside). Nothing else of the app opens on a damaged store.

use egui::{RichText, Ui};

use super::Out;
use crate::app::i18n::I18n;
use crate::app::kit::{self, FieldMessage};
use crate::app::model::{Command, DamageView, Ticket};

pub fn show(
    ui: &mut Ui,
    i18n: &I18n,
    view: &DamageView,
    recovering: &mut Option<Ticket>,
    out: &mut Out,
) {
    // A failed recovery comes back as a new view saying why.
    if let Some(t) = *recovering
        && out.outcome(t).is_some()
    {
        *recovering = None;
    }
    kit::section_heading(ui, i18n.t("damaged.title"));
    kit::field_message(ui, &FieldMessage::Error(i18n.t("damaged.what").to_owned()));
    ui.label(i18n.t("damaged.unchanged"));
    ui.add_space(kit::GAP);
    for c in &view.chains {
        let who = if c.own {
            i18n.t("damaged.own").to_owned()
        } else {
            i18n.tf("damaged.other", &[("device", &c.device)])
        };
        let intact = i18n.tf(
            "damaged.intact",
            &[
                ("count", &c.intact.to_string()),
                ("last", &c.last.to_string()),
            ],
        );
        let line = match &c.damage {
            None => format!("{who} : {intact}"),
            Some(_) => format!(
                "{who} : {intact} ; {}",
                i18n.tf("damaged.after", &[("count", &c.after_damage.to_string())])
            ),
        };
        let message = if c.damage.is_some() {
            FieldMessage::Error(line)
        } else {
            FieldMessage::Ok(line)
        };
        kit::field_message(ui, &message);
    }
    ui.add_space(kit::GAP);
    ui.label(i18n.t("damaged.way_out"));
    if let Some(e) = &view.recovery_failed {
        kit::field_message(
            ui,
            &FieldMessage::Error(i18n.tf("damaged.recovery_failed", &[("error", e)])),
        );
    }
    let busy = recovering.is_some();
    if kit::waiting_button(
        ui,
        i18n.t("damaged.recover"),
        i18n.t("damaged.recovering"),
        busy,
    )
    .clicked()
    {
        *recovering = Some(out.send(Command::RecoverStore));
    }
    ui.add_space(kit::GAP);
    ui.collapsing(i18n.t("damaged.details"), |ui| {
        ui.label(RichText::new(&view.folder).monospace());
        for p in &view.problems {
            ui.label(p);
        }
        for c in &view.chains {
            if let Some(d) = &c.damage {
                ui.label(format!("{} : {d}", c.device));
            }
        }
    });
}
