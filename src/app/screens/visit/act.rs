//! The act form: species, family and kind, the bull from the tank (or the straw's code),
//! rank or result, the animal's number or the lot's count, checked here before the command
//! goes.

use egui::{RichText, Ui};

use crate::app::i18n::I18n;
use crate::app::kit::{self, FieldMessage};
use crate::app::model::{BullChoice, Command, VisitView};
use crate::app::screens::Out;
use crate::app::widgets::{animal, animal_number_field, count_field, parse_count};
use crate::domain::act::MAX_LOT;
use crate::domain::{Act, ActId, ActKind, Family, InseminationRank, PregnancyResult, Species};

use super::reads::{lot_list, reader_line, straw_code_field, take_reads};
use super::recent::recent_prompt;
use super::{
    Barn, VisitForm, asks_result, families, family_label, kinds, per_animal, rank_text, result_text,
};

pub(super) fn act_form(
    ui: &mut Ui,
    i18n: &I18n,
    view: &VisitView,
    form: &mut VisitForm,
    barn: &Barn,
    out: &mut Out,
) {
    let replacing = form.correcting.as_ref().is_some_and(|c| c.replacing);
    kit::section_heading(
        ui,
        if replacing {
            i18n.t("visit.replacement_heading")
        } else {
            i18n.t("visit.new_act")
        },
    );
    let species_list = if view.species.is_empty() {
        vec![Species::Bovine]
    } else {
        view.species.clone()
    };
    if species_list.len() > 1 {
        ui.horizontal_wrapped(|ui| {
            for s in &species_list {
                let selected = form.species.unwrap_or(species_list[0]) == *s;
                if kit::choice_button(ui, selected, &i18n.t_dyn(&format!("species.{}", s.id())))
                    .clicked()
                {
                    form.species = Some(*s);
                    form.kind = None;
                }
            }
        });
    }
    let species = form
        .species
        .filter(|s| species_list.contains(s))
        .unwrap_or(species_list[0]);
    let fams = families(species);
    let family = form.family.filter(|f| fams.contains(f)).unwrap_or(fams[0]);
    ui.horizontal_wrapped(|ui| {
        for f in fams {
            if kit::choice_button(ui, family == *f, family_label(i18n, *f)).clicked() {
                form.family = Some(*f);
                form.kind = None;
                form.result = None;
            }
        }
    });
    let choices = kinds(family, species);
    let Some(&first) = choices.first() else {
        return;
    };
    let kind = form.kind.filter(|k| choices.contains(k)).unwrap_or(first);
    if choices.len() > 1 {
        ui.horizontal_wrapped(|ui| {
            for k in choices {
                let label = i18n.t_dyn(&format!("kind_choice.{}", k.id()));
                if kit::choice_button(ui, kind == *k, &label).clicked() {
                    form.kind = Some(*k);
                }
            }
        });
    }

    if kind.uses_dose() {
        straw_code_field(ui, i18n, view, form, barn.scanned.clone());
        bull_choice(ui, i18n, view, species, form);
    }
    if kind == ActKind::IaBovine {
        ui.horizontal(|ui| {
            for rank in [InseminationRank::First, InseminationRank::Repeat] {
                let selected = form.rank.unwrap_or(InseminationRank::First) == rank;
                if kit::choice_button(ui, selected, rank_text(i18n, rank)).clicked() {
                    form.rank = Some(rank);
                }
            }
        });
    }
    if asks_result(kind, species) {
        ui.label(RichText::new(i18n.t("visit.result")).strong());
        ui.horizontal_wrapped(|ui| {
            for r in [
                PregnancyResult::Pregnant,
                PregnancyResult::Empty,
                PregnancyResult::Doubtful,
            ] {
                if kit::choice_button(ui, form.result == Some(r), result_text(i18n, r)).clicked() {
                    form.result = Some(r);
                    form.result_refused = None;
                }
            }
        });
        if let Some(r) = &form.result_refused {
            kit::field_message(ui, &FieldMessage::Error(r.clone()));
        }
    }

    if let Some(recent) = &mut form.recent {
        // The number is the one refused: it is corrected on the keypad, or kept with a reason.
        recent_prompt(ui, i18n, recent, &mut form.awaiting, &mut form.sent, out);
        if kit::big_button(ui, i18n.t("visit.recent_fix_number")).clicked() {
            form.recent = None;
        }
        return;
    }

    take_reads(i18n, barn.reads, form, per_animal(kind, species), species);
    reader_line(ui, i18n, barn.reader, form);
    if let Some(m) = &form.read_message {
        kit::field_message(ui, m);
    }
    if per_animal(kind, species) {
        animal_number_field(ui, i18n, &mut form.animal, species);
    } else {
        lot_list(ui, i18n, form, species);
        count_field(
            ui,
            i18n,
            i18n.t("visit.count"),
            &mut form.count,
            &mut form.count_refused,
            MAX_LOT,
        );
    }
    if let Some(r) = &form.refused {
        kit::field_message(ui, &FieldMessage::Error(r.clone()));
    }
    let busy = form.awaiting.is_some();
    let label = if busy {
        i18n.t("visit.saving")
    } else if replacing {
        i18n.t("visit.record_replacement")
    } else {
        match kind.family() {
            Family::Insemination => i18n.t("visit.record_ia"),
            Family::PregnancyCheck => i18n.t("visit.record_check"),
            Family::Synchronisation => i18n.t("visit.record_sync"),
            _ => i18n.t("visit.record_sample"),
        }
    };
    if kit::primary_button(ui, label, !busy).clicked() {
        record(i18n, view, form, kind, species, out);
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

/// Bulls shown before "other bulls": the ones a thumb needs most days.
const BULLS_SHOWN: usize = 6;

fn bull_choice(ui: &mut Ui, i18n: &I18n, view: &VisitView, species: Species, form: &mut VisitForm) {
    ui.label(RichText::new(i18n.t("visit.bull")).strong());
    if view.bulls.is_empty() {
        ui.label(RichText::new(i18n.t("visit.no_doses")).weak());
    }
    // The backend lists the farm's species' straws first, most used first, empty ones last;
    // a farm of several species puts the chosen one's first.
    let mut bulls: Vec<&BullChoice> = view.bulls.iter().collect();
    bulls.sort_by_key(|b| !crate::app::model::straw_fits(&b.straw.breed, species));
    let shown = if form.all_bulls {
        bulls.len()
    } else {
        BULLS_SHOWN
    };
    ui.horizontal_wrapped(|ui| {
        for (n, b) in bulls.iter().enumerate() {
            let selected = form.bull.as_ref() == Some(&b.straw.bull);
            if n >= shown && !selected {
                continue;
            }
            if kit::choice_button(ui, selected, &bull_label(i18n, b)).clicked() {
                form.bull = Some(b.straw.bull.clone());
                form.bull_refused = None;
            }
        }
    });
    if bulls.len() > shown {
        let label = i18n.tf(
            "visit.other_bulls",
            &[("n", &(bulls.len() - shown).to_string())],
        );
        if kit::big_button(ui, &label).clicked() {
            form.all_bulls = true;
        }
    }
    if let Some(r) = &form.bull_refused {
        kit::field_message(ui, &FieldMessage::Error(r.clone()));
    }
}

/// Checks every field; sends the command only if all pass, otherwise marks the fields.
pub(super) fn record(
    i18n: &I18n,
    view: &VisitView,
    form: &mut VisitForm,
    kind: ActKind,
    species: Species,
    out: &mut Out,
) {
    form.refused = None;
    let mut ok = true;
    let (animals, count) = if per_animal(kind, species) {
        match animal::check_animal(i18n, &form.animal.digits, species, true) {
            Ok(a) => (vec![a], 1),
            Err(_) => {
                animal::refuse(i18n, &mut form.animal, species);
                ok = false;
                (Vec::new(), 1)
            }
        }
    } else {
        // Tags read make the count, unless one was typed (some tags did not read).
        let count = if form.count.is_empty() && !form.lot.is_empty() {
            Ok(form.lot.len() as u32)
        } else {
            parse_count(i18n, &form.count, MAX_LOT)
        };
        let count = count.and_then(|n| {
            if (n as usize) < form.lot.len() {
                Err(i18n.tf("eid.count_below_lot", &[("n", &form.lot.len().to_string())]))
            } else {
                Ok(n)
            }
        });
        match count {
            Ok(n) => (form.lot.clone(), n),
            Err(e) => {
                form.count_refused = Some(e);
                ok = false;
                (Vec::new(), 1)
            }
        }
    };
    let straw = if kind.uses_dose() {
        let bull = match &form.bull {
            None => Err(i18n.t("visit.bull_missing").to_owned()),
            Some(b) => match view.bulls.iter().find(|c| &c.straw.bull == b) {
                None => Err(i18n.t("visit.bull_not_in_tank").to_owned()),
                Some(c) if c.left <= 0 => Err(i18n.t("visit.bull_no_dose_left").to_owned()),
                Some(c) if c.left < i64::from(count) => Err(i18n.tf(
                    "visit.bull_too_few",
                    &[("doses", &i18n.tn("tank.doses", c.left as u64))],
                )),
                Some(c) => Ok(c.straw.clone()),
            },
        };
        form.bull_refused = bull.as_ref().err().cloned();
        ok &= bull.is_ok();
        bull.ok()
    } else {
        None
    };
    let result = if asks_result(kind, species) {
        if form.result.is_none() {
            form.result_refused = Some(i18n.t("visit.result_missing").to_owned());
            ok = false;
        }
        form.result
    } else {
        None
    };
    if !ok {
        return;
    }
    let act = Act {
        // The backend numbers the act and stamps its time.
        id: ActId::nth_of(&view.row.id, view.acts.len()),
        visit: view.row.id.clone(),
        kind,
        count,
        animals,
        bull: straw.as_ref().map(|s| s.bull.clone()),
        // The straw as received: the dose reference the insemination record needs.
        straw,
        rank: (kind == ActKind::IaBovine).then(|| form.rank.unwrap_or(InseminationRank::First)),
        result,
        at: None,
        note: None,
    };
    let command = match &form.correcting {
        Some(c) if c.replacing => Command::CorrectAct {
            act: c.act.clone(),
            replacement: Some(act.clone()),
            reason: c.reason.trim().to_owned(),
        },
        _ => Command::RecordAct {
            act: act.clone(),
            reason: None,
        },
    };
    form.awaiting = Some(out.send(command));
    form.sent = Some(act);
}
