//! A farm's history, read before entering the barn: its closed hours for milking, editable
//! (`closed_hours.rs`), the herd's reproduction figures and the females to watch
//! (`fertility.rs`), animals inseminated with dates and bulls, pregnancy
//! results, anomalies, and the past visits with their acts, newest first.
//!
//! A farm seen every week for a year has hundreds of lines: each list shows its latest
//! entries and grows on demand, so a frame never lays out a year of text.

use egui::{RichText, Ui};

use super::{Out, Page, PageCtx, Paged, animal_text};
use crate::app::Screen;
use crate::app::i18n::I18n;
use crate::app::kit;
use crate::app::model::FarmView;
use crate::domain::{Ede, Species};

/// Entries of each list shown before "show more".
const PAGE: usize = 15;

/// How far each list of the farm's history is unfolded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FarmForm {
    pub farm: Option<Ede>,
    pub inseminations: usize,
    pub checks: usize,
    pub visits: usize,
    pub advice: super::fertility::AdviceForm,
    pub closed: super::closed_hours::ClosedHoursForm,
}

impl FarmForm {
    fn for_farm(&mut self, ede: &Ede) {
        if self.farm.as_ref() != Some(ede) {
            *self = FarmForm {
                farm: Some(ede.clone()),
                inseminations: PAGE,
                checks: PAGE,
                visits: PAGE,
                advice: Default::default(),
                closed: Default::default(),
            };
        }
    }
}

/// The farm's history screen: the view last built for it, and its form.
pub type FarmPage = Paged<FarmView, FarmForm>;

impl Page for FarmPage {
    fn show(&mut self, ui: &mut Ui, screen: &Screen, ctx: &mut PageCtx) {
        // The route names the farm: the view of another one is not drawn.
        if let Screen::Farm(ede) = screen {
            show(
                ui,
                ctx.i18n,
                ede,
                self.view.as_ref(),
                &mut self.form,
                &mut ctx.out,
            );
        }
    }
}

pub fn show(
    ui: &mut Ui,
    i18n: &I18n,
    ede: &Ede,
    view: Option<&FarmView>,
    form: &mut FarmForm,
    out: &mut Out,
) {
    let Some(view) = view.filter(|v| &v.farm.ede == ede) else {
        ui.label(RichText::new(i18n.t("farm.loading")).weak());
        return;
    };
    form.for_farm(ede);
    let farm = &view.farm;
    ui.heading(RichText::new(&farm.name).strong());
    let mut line = farm.village.clone().unwrap_or_default();
    if !line.is_empty() {
        line.push_str(" · ");
    }
    line.push_str(&i18n.tf("farm.ede", &[("ede", farm.ede.as_str())]));
    if let Some(phone) = &farm.phone {
        line.push_str(" · ");
        line.push_str(phone);
    }
    ui.label(RichText::new(line).weak());
    if let Some(note) = &farm.note {
        ui.label(RichText::new(note).italics());
    }
    let species = farm.species.first().copied().unwrap_or(Species::Bovine);
    super::closed_hours::show(ui, i18n, ede, &view.closed, &mut form.closed, out);
    if let Some(fertility) = &view.fertility {
        super::fertility::farm(ui, i18n, ede, fertility, &mut form.advice, out);
    }

    kit::section_heading(ui, i18n.t("farm.inseminations"));
    if view.inseminations.is_empty() {
        ui.label(RichText::new(i18n.t("farm.none")).weak());
    }
    for l in view.inseminations.iter().take(form.inseminations) {
        let mut parts = vec![i18n.date_short(l.day)];
        if l.animals.is_empty() {
            parts.push(i18n.tn("visit.animals", u64::from(l.count)));
        }
        parts.extend(l.animals.iter().map(|a| animal_text(a, species)));
        if let Some(name) = l
            .bull_name
            .clone()
            .or_else(|| l.bull.as_ref().map(|b| b.to_string()))
        {
            parts.push(name);
        }
        if let Some(rank) = l.rank {
            parts.push(super::visit::rank_text(i18n, rank).to_owned());
        }
        ui.label(parts.join(" · "));
    }
    more(
        ui,
        i18n,
        "farm.more_inseminations",
        &mut form.inseminations,
        view.inseminations.len(),
    );

    kit::section_heading(ui, i18n.t("farm.pregnancy_checks"));
    if view.pregnancy_checks.is_empty() {
        ui.label(RichText::new(i18n.t("farm.none")).weak());
    }
    for l in view.pregnancy_checks.iter().take(form.checks) {
        let mut parts = vec![
            i18n.date_short(l.day),
            i18n.t_dyn(&format!("act_kind.{}", l.kind.id())),
        ];
        if l.animals.is_empty() {
            parts.push(i18n.tn("visit.animals", u64::from(l.count)));
        }
        parts.extend(l.animals.iter().map(|a| animal_text(a, species)));
        if let Some(r) = l.result {
            parts.push(super::visit::result_text(i18n, r).to_owned());
        }
        ui.label(parts.join(" · "));
    }
    more(
        ui,
        i18n,
        "farm.more_checks",
        &mut form.checks,
        view.pregnancy_checks.len(),
    );

    kit::section_heading(ui, i18n.t("farm.anomalies"));
    if view.anomalies.is_empty() {
        ui.label(RichText::new(i18n.t("farm.none")).weak());
    }
    for (day, kind, note) in view.anomalies.iter().take(PAGE) {
        let mut line = format!(
            "{} · {}",
            i18n.date_short(*day),
            super::visit::anomaly_label(i18n, *kind)
        );
        if !note.is_empty() {
            line.push_str(" · ");
            line.push_str(note);
        }
        ui.label(line);
    }

    kit::section_heading(ui, i18n.t("farm.visits"));
    if view.visits.is_empty() {
        ui.label(RichText::new(i18n.t("farm.none")).weak());
    }
    let p = kit::current_palette(ui.ctx());
    for v in view.visits.iter().take(form.visits) {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(i18n.date_short(v.day)).strong());
            let (text, color) = super::today::status(i18n, &p, v.status);
            kit::status_chip(ui, &text, color);
        });
        for a in &v.acts {
            ui.label(format!("    {}", super::visit::act_line(i18n, a)));
        }
    }
    more(
        ui,
        i18n,
        "farm.more_visits",
        &mut form.visits,
        view.visits.len(),
    );
}

/// "Show 15 more" under a list that has more than it shows.
fn more(ui: &mut Ui, i18n: &I18n, key: &str, shown: &mut usize, total: usize) {
    if total > *shown {
        let label = i18n.tf(key, &[("n", &(total - *shown).min(PAGE).to_string())]);
        if kit::big_button(ui, &label).clicked() {
            *shown += PAGE;
        }
    }
}
