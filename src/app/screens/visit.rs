//! A visit: what was asked, the acts recorded so far with their flat-rate time, and the forms
//! that record new ones in a few taps (cattle insemination: animal number on the keypad, bull
//! from the tank, most used first, first or repeat). Ends with the farmer's confirmation.
//!
//! A refused value is said next to its field and nothing is recorded: the command is only
//! emitted once every field checks.

use egui::{RichText, Ui};

use super::Out;
use crate::app::Screen;
use crate::app::i18n::I18n;
use crate::app::kit::{self, FieldMessage, GAP};
use crate::app::model::{ActRow, BullChoice, Command, VisitView};
use crate::app::widgets::{AnimalEntry, animal, animal_number_field};
use crate::domain::{Act, ActId, ActKind, BullId, InseminationRank, Species};

/// The visit screen's form state, kept while the technician moves between fields.
#[derive(Debug, Clone, Default)]
pub struct VisitForm {
    pub animal: AnimalEntry,
    pub bull: Option<BullId>,
    pub rank: Option<InseminationRank>,
    pub bull_refused: Option<String>,
}

pub fn show(ui: &mut Ui, i18n: &I18n, view: &VisitView, form: &mut VisitForm, out: &mut Out) {
    header(ui, i18n, view, out);
    acts(ui, i18n, view);
    if view.species.is_empty() || view.species.contains(&Species::Bovine) {
        insemination_form(ui, i18n, view, form, out);
    }
    ui.add_space(GAP);
    if kit::primary_button(ui, i18n.t("visit.finish"), true).clicked() {
        out.go(Screen::Confirm(view.row.id.clone()));
    }
}

fn header(ui: &mut Ui, i18n: &I18n, view: &VisitView, out: &mut Out) {
    let p = kit::current_palette(ui.ctx());
    ui.heading(RichText::new(&view.row.farm_name).strong());
    let mut line = view.row.village.clone().unwrap_or_default();
    if !line.is_empty() {
        line.push_str(" · ");
    }
    line.push_str(&i18n.tf("farm.ede", &[("ede", view.row.farm.as_str())]));
    ui.label(RichText::new(line).weak());
    ui.horizontal_wrapped(|ui| {
        let (text, color) = super::today::status(i18n, &p, view.row.status);
        kit::status_chip(ui, &text, color);
        if view.row.urgency == crate::domain::Urgency::Urgent {
            kit::status_chip(ui, i18n.t("today.urgent"), p.urgent);
        }
    });
    let asked = super::today::asked(i18n, &view.row.requested);
    if !asked.is_empty() {
        ui.label(i18n.tf("visit.asked", &[("asked", &asked)]));
    }
    if let Some(note) = &view.farm_note {
        ui.label(RichText::new(note).italics());
    }
    if kit::big_button(ui, i18n.t("visit.open_history")).clicked() {
        out.go(Screen::Farm(view.row.farm.clone()));
    }
}

fn acts(ui: &mut Ui, i18n: &I18n, view: &VisitView) {
    kit::section_heading(ui, i18n.t("visit.acts"));
    if view.acts.is_empty() {
        ui.label(RichText::new(i18n.t("visit.no_acts")).weak());
        return;
    }
    for row in &view.acts {
        ui.label(act_line(i18n, row));
    }
}

/// "IA · FR 53 1234 5678 · Urbain (66) · 1re IA · 6 min 30 s"
pub fn act_line(i18n: &I18n, row: &ActRow) -> String {
    let act = &row.act;
    let mut parts = vec![i18n.t_dyn(&format!("act_kind.{}", act.kind.id()))];
    if act.animals.is_empty() || act.count as usize > act.animals.len() {
        parts.push(i18n.tn("visit.animals", u64::from(act.count)));
    }
    for a in &act.animals {
        let digits = a.as_str().trim_start_matches("FR");
        let species = act.kind.species().unwrap_or(Species::Bovine);
        parts.push(if a.as_str().starts_with("FR") {
            animal::display_number(digits, species)
        } else {
            a.to_string()
        });
    }
    if let Some(name) = &row.bull_name {
        parts.push(name.clone());
    } else if let Some(b) = &act.bull {
        parts.push(b.to_string());
    }
    if let Some(rank) = act.rank {
        parts.push(
            match rank {
                InseminationRank::First => i18n.t("visit.rank_first"),
                InseminationRank::Repeat => i18n.t("visit.rank_repeat"),
            }
            .to_owned(),
        );
    }
    if let Some(result) = act.result {
        parts.push(i18n.t_dyn(&format!("result.{}", result_id(result))));
    }
    if let Some(s) = row.forfait_seconds {
        parts.push(i18n.duration(u64::from(s)));
    }
    parts.join(" · ")
}

fn result_id(r: crate::domain::PregnancyResult) -> &'static str {
    match r {
        crate::domain::PregnancyResult::Pregnant => "pregnant",
        crate::domain::PregnancyResult::Empty => "empty",
        crate::domain::PregnancyResult::Doubtful => "doubtful",
    }
}

fn bull_label(i18n: &I18n, b: &BullChoice) -> String {
    i18n.tf(
        "visit.bull_choice",
        &[
            ("name", &b.straw.bull_name),
            ("breed", &b.straw.breed),
            ("doses", &i18n.tn("tank.doses", b.left.max(0) as u64)),
        ],
    )
}

fn insemination_form(
    ui: &mut Ui,
    i18n: &I18n,
    view: &VisitView,
    form: &mut VisitForm,
    out: &mut Out,
) {
    kit::section_heading(ui, i18n.t("visit.ia_heading"));
    // Bull and rank first, then the number: the record button then sits right under the
    // keypad, where the thumb already is.
    ui.label(RichText::new(i18n.t("visit.bull")).strong());
    if view.bulls.is_empty() {
        ui.label(RichText::new(i18n.t("visit.no_doses")).weak());
    }
    ui.horizontal_wrapped(|ui| {
        for b in &view.bulls {
            let selected = form.bull.as_ref() == Some(&b.straw.bull);
            if kit::choice_button(ui, selected, &bull_label(i18n, b)).clicked() {
                form.bull = Some(b.straw.bull.clone());
                form.bull_refused = None;
            }
        }
    });
    if let Some(r) = &form.bull_refused {
        kit::field_message(ui, &FieldMessage::Error(r.clone()));
    }

    ui.horizontal(|ui| {
        for (rank, label) in [
            (InseminationRank::First, i18n.t("visit.rank_first")),
            (InseminationRank::Repeat, i18n.t("visit.rank_repeat")),
        ] {
            let selected = form.rank.unwrap_or(InseminationRank::First) == rank;
            if kit::choice_button(ui, selected, label).clicked() {
                form.rank = Some(rank);
            }
        }
    });

    animal_number_field(ui, i18n, &mut form.animal, Species::Bovine);

    if kit::primary_button(ui, i18n.t("visit.record_ia"), true).clicked() {
        record_insemination(i18n, view, form, out);
    }
}

/// Checks every field; emits the command only if all pass, otherwise marks the fields.
fn record_insemination(i18n: &I18n, view: &VisitView, form: &mut VisitForm, out: &mut Out) {
    let animal = animal::check_animal(i18n, &form.animal.digits, Species::Bovine, true);
    let bull = match &form.bull {
        None => Err(i18n.t("visit.bull_missing").to_owned()),
        Some(b) => match view.bulls.iter().find(|c| &c.straw.bull == b) {
            None => Err(i18n.t("visit.bull_not_in_tank").to_owned()),
            Some(c) if c.left <= 0 => Err(i18n.t("visit.bull_no_dose_left").to_owned()),
            Some(c) => Ok(c.straw.clone()),
        },
    };
    if animal.is_err() {
        animal::refuse(i18n, &mut form.animal, Species::Bovine);
    }
    form.bull_refused = bull.as_ref().err().cloned();
    if let (Ok(animal), Ok(straw)) = (animal, bull) {
        out.commands.push(Command::RecordAct(Act {
            // A proposal: the backend renumbers it if a correction already took the number.
            id: ActId::nth_of(&view.row.id, view.acts.len()),
            visit: view.row.id.clone(),
            kind: ActKind::IaBovine,
            count: 1,
            animals: vec![animal],
            bull: Some(straw.bull.clone()),
            // The straw as received: the dose reference the insemination record needs.
            straw: Some(straw),
            rank: Some(form.rank.unwrap_or(InseminationRank::First)),
            result: None,
            at: Some(crate::domain::time::now()),
            note: None,
        }));
        form.animal.clear();
        form.rank = None;
    }
}
