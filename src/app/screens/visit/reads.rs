//! What the barn's devices bring to the act form: tags read by the stick reader (one
//! animal's number, or a lot read tag by tag) and a straw's printed code, scanned or typed.

use egui::{RichText, Ui};

use crate::app::eid::ReaderStatus;
use crate::app::i18n::I18n;
use crate::app::kit::{self, FieldMessage};
use crate::app::model::VisitView;
use crate::app::screens::animal_text;
use crate::domain::act::MAX_LOT;
use crate::domain::{BullId, Species};
use crate::eid::reader::ReadLine;

use super::VisitForm;

/// Takes the tags read since the last frame: one animal's number fills the field; a lot's
/// joins the list unless already in it. A line the parser does not know is said, never used.
pub(super) fn take_reads(
    i18n: &I18n,
    reads: &[ReadLine],
    form: &mut VisitForm,
    one_animal: bool,
    species: Species,
) {
    for line in reads {
        let tag = match &line.tag {
            Ok(t) => t,
            Err(e) => {
                form.read_message = Some(FieldMessage::Error(
                    crate::app::screens::settings::read_error_text(i18n, &line.raw, e),
                ));
                continue;
            }
        };
        let Some(animal) = tag.animal(Some(species)).animal else {
            continue;
        };
        let shown = animal_text(&animal, species);
        if one_animal {
            form.animal.digits = animal
                .as_str()
                .strip_prefix("FR")
                .unwrap_or(animal.as_str())
                .to_owned();
            form.animal.refused = None;
            form.read_message = Some(FieldMessage::Ok(
                i18n.tf("eid.read_one", &[("animal", &shown)]),
            ));
        } else if let Some(i) = form.lot.iter().position(|a| *a == animal) {
            form.read_message = Some(FieldMessage::Error(i18n.tf(
                "eid.already",
                &[("animal", &shown), ("n", &(i + 1).to_string())],
            )));
        } else if form.lot.len() < MAX_LOT as usize {
            form.lot.push(animal);
            form.count_refused = None;
            form.read_message = Some(FieldMessage::Ok(
                i18n.tf("eid.read_one", &[("animal", &shown)]),
            ));
        }
    }
}

/// The reader's state where it matters: ready, or lost with what the lot keeps.
pub(super) fn reader_line(ui: &mut Ui, i18n: &I18n, reader: &ReaderStatus, form: &VisitForm) {
    match reader {
        ReaderStatus::Off | ReaderStatus::Searching | ReaderStatus::Listening { .. } => {}
        ReaderStatus::Connected { name, .. } => {
            ui.label(RichText::new(i18n.tf("eid.ready", &[("name", name)])).weak());
        }
        ReaderStatus::Lost { .. } => {
            let text = if form.lot.is_empty() {
                i18n.t("eid.lost_visit").to_owned()
            } else {
                i18n.tf("eid.lost_mid_lot", &[("n", &form.lot.len().to_string())])
            };
            kit::field_message(ui, &FieldMessage::Error(text));
        }
    }
}

/// The lot's tags read so far, newest first, and the buttons to take back a wrong read.
pub(super) fn lot_list(ui: &mut Ui, i18n: &I18n, form: &mut VisitForm, species: Species) {
    if form.lot.is_empty() {
        return;
    }
    ui.label(RichText::new(i18n.tn("eid.lot", form.lot.len() as u64)).strong());
    let numbers: Vec<String> = form
        .lot
        .iter()
        .rev()
        .map(|a| animal_text(a, species))
        .collect();
    ui.label(numbers.join(" · "));
    ui.horizontal_wrapped(|ui| {
        if kit::big_button(ui, i18n.t("eid.remove_last")).clicked() {
            form.lot.pop();
            form.read_message = None;
        }
        if kit::big_button(ui, i18n.t("eid.clear_lot")).clicked() {
            form.lot.clear();
            form.read_message = None;
        }
    });
}

/// A straw's printed code, from the barcode scanner or typed: it chooses the bull of the tank
/// whose number it starts with, and says the batch.
pub(super) fn straw_code_field(
    ui: &mut Ui,
    i18n: &I18n,
    view: &VisitView,
    form: &mut VisitForm,
    scanned: Option<String>,
) {
    if let Some(code) = scanned {
        form.straw_code = code;
    }
    if kit::code_field(
        ui,
        i18n.t("straw.code"),
        &mut form.straw_code,
        i18n.t("straw.code_hint"),
        &mut form.straw_code_read,
    ) {
        form.straw_message = straw_choice(i18n, view, &form.straw_code).map(|(bull, message)| {
            if let Some(b) = bull {
                form.bull = Some(b);
                form.bull_refused = None;
                form.all_bulls = true;
            }
            message
        });
    }
    if let Some(m) = &form.straw_message {
        kit::field_message(ui, m);
    }
}

/// The bull a straw code picks from the tank, and what to say; `None` for an empty code.
pub fn straw_choice(
    i18n: &I18n,
    view: &VisitView,
    code: &str,
) -> Option<(Option<BullId>, FieldMessage)> {
    if code.trim().is_empty() {
        return None;
    }
    let Ok(printed) = crate::domain::PrintedCode::parse("code", code) else {
        return Some((None, FieldMessage::Error(i18n.t("straw.unread").to_owned())));
    };
    let Some(choice) = view.bulls.iter().find(|b| b.straw.bull == printed.bull) else {
        return Some((
            None,
            FieldMessage::Error(i18n.tf("straw.not_in_tank", &[("bull", printed.bull.as_str())])),
        ));
    };
    let name = &choice.straw.bull_name;
    let message = match (&printed.batch, &choice.straw.batch) {
        (Some(read), Some(received)) if read != received => FieldMessage::Hint(i18n.tf(
            "straw.other_batch",
            &[("name", name), ("batch", read), ("tank_batch", received)],
        )),
        (Some(batch), _) => {
            FieldMessage::Ok(i18n.tf("straw.read", &[("name", name), ("batch", batch)]))
        }
        (None, _) => FieldMessage::Ok(i18n.tf("straw.read_no_batch", &[("name", name)])),
    };
    Some((Some(choice.straw.bull.clone()), message))
}
