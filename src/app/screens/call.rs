//! A farmer's call, added to today's round in a few taps: find the farm (by name, village or
//! EDE number), say what is asked (a count per act), how urgent, and add.

use egui::{RichText, Ui};

use super::{Form, Nav, Out, Show};
use crate::app::Screen;
use crate::app::i18n::I18n;
use crate::app::kit::{self, FieldMessage, RowContent};
use crate::app::model::{CallView, Command, FarmChoice, Outcome, Ticket};
use crate::domain::{ActKind, Ede, Request, Species, Urgency};

/// Farms listed under the search field at most: more is scrolling, not finding.
const SHOWN: usize = 8;

/// The new call being typed.
#[derive(Debug, Clone, Default)]
pub struct CallForm {
    pub search: String,
    pub farm: Option<Ede>,
    pub farm_refused: Option<String>,
    /// How many animals of each kind are asked for.
    pub counts: Vec<(ActKind, u32)>,
    pub asked_refused: Option<String>,
    pub urgent: bool,
    pub awaiting: Option<Ticket>,
    pub refused: Option<String>,
}

/// What a farmer may ask for, by the farm's species.
pub fn kinds_for(species: &[Species]) -> Vec<ActKind> {
    let mut out = Vec::new();
    for s in species {
        let kinds: &[ActKind] = match s {
            Species::Bovine => &[
                ActKind::IaBovine,
                ActKind::EchoBovine,
                ActKind::GestationPalpation,
                ActKind::SyncBovineSpiral,
                ActKind::SyncBovineProstaglandin,
                ActKind::SyncBovineImplant,
                ActKind::SampleGenotyping,
            ],
            Species::Caprine => &[
                ActKind::IaCaprineFrozen,
                ActKind::IaCaprineFresh,
                ActKind::EchoCaprine,
            ],
            Species::Ovine => &[
                ActKind::IaOvineFrozen,
                ActKind::IaOvineFresh,
                ActKind::EchoOvine,
            ],
            Species::Porcine => &[ActKind::EchoPorcine],
        };
        for k in kinds {
            if !out.contains(k) {
                out.push(*k);
            }
        }
    }
    out
}

/// Lower case without the accents a gloved search will not type.
fn fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            '-' | '\'' => ' ',
            c => c,
        })
        .collect()
}

/// The farms matching every word of the search in their name, village or EDE number.
pub fn search<'a>(farms: &'a [FarmChoice], query: &str) -> Vec<&'a FarmChoice> {
    let words: Vec<String> = fold(query).split_whitespace().map(str::to_owned).collect();
    if words.is_empty() {
        return Vec::new();
    }
    farms
        .iter()
        .filter(|f| {
            let hay = fold(&format!(
                "{} {} {}",
                f.name,
                f.village.as_deref().unwrap_or(""),
                f.ede
            ));
            words.iter().all(|w| hay.contains(w.as_str()))
        })
        .take(SHOWN)
        .collect()
}

impl Form for CallForm {
    type View = CallView;
    const SHOW: Show<Self> = show;
}

pub fn show(ui: &mut Ui, i18n: &I18n, view: Option<&CallView>, form: &mut CallForm, out: &mut Out) {
    if let Some(outcome) = out.answer(&mut form.awaiting) {
        match outcome {
            Outcome::Saved { .. } => {
                *form = CallForm::default();
                out.nav = Some(Nav::Tab(Screen::Today));
                return;
            }
            Outcome::Refused(r) => form.refused = Some(super::refusal_text(i18n, &r)),
        }
    }
    let Some(view) = view else {
        ui.label(RichText::new(i18n.t("call.loading")).weak());
        return;
    };
    let chosen = form
        .farm
        .as_ref()
        .and_then(|ede| view.farms.iter().find(|f| &f.ede == ede));
    match chosen {
        None => farm_search(ui, i18n, view, form),
        Some(farm) => {
            kit::section_heading(ui, i18n.t("call.farm"));
            ui.label(RichText::new(&farm.name).strong());
            ui.label(
                RichText::new(format!(
                    "{} · EDE {}",
                    farm.village.as_deref().unwrap_or(""),
                    farm.ede
                ))
                .weak(),
            );
            if kit::big_button(ui, i18n.t("call.change_farm")).clicked() {
                form.farm = None;
                form.counts.clear();
            }
            asked(ui, i18n, &farm.species, form);
        }
    }
    if let Some(r) = &form.farm_refused {
        kit::field_message(ui, &FieldMessage::Error(r.clone()));
    }

    kit::section_heading(ui, i18n.t("call.urgency"));
    ui.horizontal_wrapped(|ui| {
        if kit::choice_button(ui, !form.urgent, i18n.t("call.normal")).clicked() {
            form.urgent = false;
        }
        if kit::choice_button(ui, form.urgent, i18n.t("call.urgent")).clicked() {
            form.urgent = true;
        }
    });
    if let Some(r) = &form.refused {
        kit::field_message(ui, &FieldMessage::Error(r.clone()));
    }
    let busy = form.awaiting.is_some();
    if kit::primary_button(ui, i18n.t("call.add"), !busy).clicked() {
        submit(i18n, form, out);
    }
}

fn farm_search(ui: &mut Ui, i18n: &I18n, view: &CallView, form: &mut CallForm) {
    kit::text_field(
        ui,
        i18n.t("call.search"),
        &mut form.search,
        i18n.t("call.search_hint"),
    );
    let found = search(&view.farms, &form.search);
    if !form.search.trim().is_empty() && found.is_empty() {
        ui.label(RichText::new(i18n.t("call.no_farm")).weak());
    }
    for f in found {
        let row = RowContent {
            title: f.name.clone(),
            subtitle: format!("{} · EDE {}", f.village.as_deref().unwrap_or(""), f.ede),
            ..RowContent::default()
        };
        if kit::list_row(ui, &row).clicked() {
            form.farm = Some(f.ede.clone());
            form.farm_refused = None;
            form.counts = kinds_for(&f.species).into_iter().map(|k| (k, 0)).collect();
        }
    }
}

fn asked(ui: &mut Ui, i18n: &I18n, species: &[Species], form: &mut CallForm) {
    kit::section_heading(ui, i18n.t("call.asked"));
    if form.counts.is_empty() {
        form.counts = kinds_for(species).into_iter().map(|k| (k, 0)).collect();
    }
    for (kind, count) in &mut form.counts {
        let name = i18n.t_dyn(&format!("act_kind.{}", kind.id()));
        if kit::stepper(ui, &name, count, 99) {
            form.asked_refused = None;
        }
    }
    if let Some(r) = &form.asked_refused {
        kit::field_message(ui, &FieldMessage::Error(r.clone()));
    }
}

fn submit(i18n: &I18n, form: &mut CallForm, out: &mut Out) {
    form.refused = None;
    let Some(farm) = form.farm.clone() else {
        form.farm_refused = Some(i18n.t("call.farm_missing").to_owned());
        return;
    };
    let requested: Vec<Request> = form
        .counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(kind, count)| Request {
            kind: *kind,
            count: *count,
        })
        .collect();
    if requested.is_empty() {
        form.asked_refused = Some(i18n.t("call.asked_missing").to_owned());
        return;
    }
    form.awaiting = Some(out.send(Command::AddCall {
        farm,
        requested,
        urgency: if form.urgent {
            Urgency::Urgent
        } else {
            Urgency::Normal
        },
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn farm(name: &str, village: &str, ede: &str) -> FarmChoice {
        FarmChoice {
            ede: Ede::parse("ede", ede).unwrap(),
            name: name.to_owned(),
            village: Some(village.to_owned()),
            species: vec![Species::Bovine],
        }
    }

    #[test]
    fn search_finds_by_name_village_or_ede_without_accents() {
        let farms = vec![
            farm("GAEC du Bocage", "Montsûrs", "53161001"),
            farm("EARL des Chênes", "Évron", "53097002"),
        ];
        let names =
            |q: &str| -> Vec<String> { search(&farms, q).iter().map(|f| f.name.clone()).collect() };
        assert_eq!(names("bocage"), vec!["GAEC du Bocage"]);
        assert_eq!(names("chenes"), vec!["EARL des Chênes"]);
        assert_eq!(names("evron"), vec!["EARL des Chênes"]);
        assert_eq!(names("53161"), vec!["GAEC du Bocage"]);
        assert_eq!(names("earl montsurs"), Vec::<String>::new());
        assert!(names("  ").is_empty());
    }
}
