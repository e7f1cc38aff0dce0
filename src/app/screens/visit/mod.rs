//! A visit: what was asked, the acts recorded so far with their flat-rate time, and the forms
//! that record new ones in a few taps, per family: insemination (a cow: animal number on the
//! keypad, bull from the tank most used first, first or repeat; a goat or sheep lot: count,
//! fresh or frozen semen), pregnancy check (palpation, ultrasound, blood sample; pregnant,
//! empty or doubtful), synchronisation (coil, prostaglandin, implant; count), sample
//! (genotyping, other). An act is corrected (replaced or withdrawn, with a reason), an anomaly
//! noted; the visit starts with the arrival and ends with the departure and the farmer's
//! confirmation.
//!
//! The animals can be read rather than typed: a tag read by the stick reader fills the
//! animal's number, or joins the lot (a second read of one tag is refused and said); a
//! straw's printed code, scanned or typed, chooses the bull.
//!
//! A refused value is said next to its field and nothing is recorded: the command is only sent
//! once every field checks here, and what only the backend can check (the tank, the animal's
//! past inseminations, the insemination record) comes back next to its field too.
//!
//! One sub-form a file: `act.rs` the act form, `recent.rs` an insemination too soon after
//! another, `correction.rs` correcting an act, `anomaly.rs`, `cancel.rs` calling the visit off,
//! `dispute.rs` answering the farmer; `reads.rs` the tag reader and the straw code.

mod act;
mod anomaly;
mod cancel;
mod correction;
mod dispute;
mod reads;
mod recent;

use egui::{RichText, Ui};

use super::confirm::ConfirmForm;
use super::{Out, Page, PageCtx, PerVisit, animal_text, current_visit, refusal_text};
use crate::app::Screen;
use crate::app::eid::ReaderStatus;
use crate::app::i18n::I18n;
use crate::app::kit::{self, FieldMessage, GAP};
use crate::app::model::{ActRow, Command, Outcome, Refusal, Ticket, VisitView};
use crate::app::widgets::AnimalEntry;
use crate::domain::{
    Act, ActKind, AnimalId, BullId, Family, InseminationRank, PregnancyResult, Species, VisitStatus,
};
use crate::eid::reader::ReadLine;

use act::act_form;
use anomaly::anomaly_form;
use cancel::cancel;
use correction::correction_panel;
use dispute::dispute;

pub use anomaly::{AnomalyForm, anomaly_label};
pub use cancel::CancelForm;
pub use correction::Correction;
pub use dispute::DisputeForm;
pub use reads::straw_choice;
pub use recent::RecentPrompt;

/// The visit and the farmer's confirmation at its end: the view of the visit last built
/// (both draw it, so going from one to the other never shows an older one), and each one's
/// form, kept for one visit at a time.
#[derive(Debug, Clone, Default)]
pub struct VisitPage {
    pub view: Option<VisitView>,
    pub form: PerVisit<VisitForm>,
    pub confirm: PerVisit<ConfirmForm>,
}

impl Page for VisitPage {
    fn show(&mut self, ui: &mut Ui, screen: &Screen, ctx: &mut PageCtx) {
        let i18n = ctx.i18n;
        match screen {
            Screen::Visit(id) => {
                if let Some(view) = current_visit(ui, i18n, self.view.as_ref(), id) {
                    let barn = Barn {
                        reads: &ctx.reads,
                        reader: &ctx.reader.status,
                        scanned: ctx.scanned.take(),
                    };
                    show(ui, i18n, view, self.form.for_visit(id), &barn, &mut ctx.out);
                }
            }
            Screen::Confirm(id) => {
                if let Some(view) = current_visit(ui, i18n, self.view.as_ref(), id) {
                    let form = self.confirm.for_visit(id);
                    super::confirm::show(ui, i18n, view, form, &mut ctx.out);
                }
            }
            // `Pages::page` brings only these two routes here.
            _ => {}
        }
    }
}

/// What the barn's devices brought this frame: the tag reader's lines and where it stands,
/// and a barcode scanner's burst typed while no field had the focus.
pub struct Barn<'a> {
    pub reads: &'a [ReadLine],
    pub reader: &'a ReaderStatus,
    pub scanned: Option<String>,
}

/// The visit screen's form state, kept while the technician moves between fields.
#[derive(Debug, Clone, Default)]
pub struct VisitForm {
    pub family: Option<Family>,
    pub kind: Option<ActKind>,
    pub species: Option<Species>,
    pub animal: AnimalEntry,
    pub count: String,
    pub count_refused: Option<String>,
    pub bull: Option<BullId>,
    pub bull_refused: Option<String>,
    /// Whether every bull of the tank is shown, not only the likely ones.
    pub all_bulls: bool,
    pub rank: Option<InseminationRank>,
    pub result: Option<PregnancyResult>,
    pub result_refused: Option<String>,
    /// A refusal that belongs to no one field (the technician's licence...).
    pub refused: Option<String>,
    pub recent: Option<RecentPrompt>,
    pub correcting: Option<Correction>,
    pub anomaly: AnomalyForm,
    pub dispute: DisputeForm,
    pub cancel: CancelForm,
    /// The act command in flight, and the act it carries.
    pub awaiting: Option<Ticket>,
    pub sent: Option<Act>,
    pub visit_awaiting: Option<Ticket>,
    /// The lot's animals read by the tag reader, in the order read.
    pub lot: Vec<AnimalId>,
    /// What the last read did (a double read, an unknown format).
    pub read_message: Option<FieldMessage>,
    /// A straw's printed code, scanned or typed, and what it chose.
    pub straw_code: String,
    pub straw_code_read: String,
    pub straw_message: Option<FieldMessage>,
}

/// The families a farm's species have acts of, in the order of the tabs.
fn families(species: Species) -> &'static [Family] {
    match species {
        Species::Bovine => &[
            Family::Insemination,
            Family::PregnancyCheck,
            Family::Synchronisation,
            Family::Sample,
        ],
        Species::Caprine | Species::Ovine => {
            &[Family::Insemination, Family::PregnancyCheck, Family::Sample]
        }
        Species::Porcine => &[Family::PregnancyCheck],
    }
}

/// The act kinds of a family for a species, the usual one first.
pub fn kinds(family: Family, species: Species) -> &'static [ActKind] {
    use ActKind::*;
    match (family, species) {
        (Family::Insemination, Species::Bovine) => &[IaBovine],
        (Family::Insemination, Species::Caprine) => &[IaCaprineFrozen, IaCaprineFresh],
        (Family::Insemination, Species::Ovine) => &[IaOvineFrozen, IaOvineFresh],
        (Family::PregnancyCheck, Species::Bovine) => {
            &[EchoBovine, GestationPalpation, GestationBloodSample]
        }
        (Family::PregnancyCheck, Species::Caprine) => &[EchoCaprine, GestationBloodSample],
        (Family::PregnancyCheck, Species::Ovine) => &[EchoOvine, GestationBloodSample],
        (Family::PregnancyCheck, Species::Porcine) => &[EchoPorcine],
        (Family::Synchronisation, Species::Bovine) => {
            &[SyncBovineSpiral, SyncBovineProstaglandin, SyncBovineImplant]
        }
        (Family::Sample, _) => &[SampleGenotyping, SampleOther],
        _ => &[],
    }
}

/// Whether an act of this kind is recorded per animal (its number on the keypad) rather than
/// per lot (a count on the keypad): cattle are numbered one by one, but a synchronisation is
/// a batch.
fn per_animal(kind: ActKind, species: Species) -> bool {
    species == Species::Bovine && kind.family() != Family::Synchronisation
}

/// Whether the result of a pregnancy check is asked (per animal; a lot's scan is counted).
fn asks_result(kind: ActKind, species: Species) -> bool {
    kind.family() == Family::PregnancyCheck && per_animal(kind, species)
}

pub fn show(
    ui: &mut Ui,
    i18n: &I18n,
    view: &VisitView,
    form: &mut VisitForm,
    barn: &Barn,
    out: &mut Out,
) {
    read_answers(i18n, form, out);
    header(ui, i18n, view, form, out);
    dispute(ui, i18n, view, &mut form.dispute, out);
    acts(ui, i18n, view, form, out);
    if view.row.status != VisitStatus::Confirmed {
        act_form(ui, i18n, view, form, barn, out);
    }
    anomaly_form(ui, i18n, view, form, out);
    ui.add_space(GAP);
    match view.row.status {
        VisitStatus::Confirmed | VisitStatus::Disputed => {}
        VisitStatus::Done | VisitStatus::AwaitingConfirmation => {
            if kit::primary_button(ui, i18n.t("visit.get_signature"), true).clicked() {
                out.go(Screen::Confirm(view.row.id.clone()));
            }
        }
        VisitStatus::ToDo | VisitStatus::InProgress => {
            if kit::primary_button(ui, i18n.t("visit.finish"), true).clicked() {
                out.send(Command::FinishVisit(view.row.id.clone()));
                out.go(Screen::Confirm(view.row.id.clone()));
            }
        }
    }
    if view.row.status == VisitStatus::ToDo && view.acts.is_empty() {
        cancel(ui, i18n, view, &mut form.cancel, out);
    }
    history(ui, i18n, view);
}

/// Who did what on this visit, oldest first.
fn history(ui: &mut Ui, i18n: &I18n, view: &VisitView) {
    if view.history.is_empty() {
        return;
    }
    kit::section_heading(ui, i18n.t("history.title"));
    for line in &view.history {
        let mut args: Vec<(&str, String)> = line.args.clone();
        if line.what == "history.act"
            && let Some(i) = args.iter().position(|(k, _)| *k == "act")
        {
            let count: u64 = args
                .iter()
                .find(|(k, _)| *k == "count")
                .and_then(|(_, c)| c.parse().ok())
                .unwrap_or(1);
            args[i].1 = i18n.tn(&format!("act_count.{}", args[i].1), count);
        }
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        ui.label(format!(
            "{} {} · {}",
            i18n.date_short(crate::domain::paris_day(&line.at)),
            i18n.time(crate::domain::paris_time(&line.at)),
            i18n.tf(line.what, &args)
        ));
    }
}

/// The backend's answers to this form's commands.
fn read_answers(i18n: &I18n, form: &mut VisitForm, out: &mut Out) {
    let _ = out.answer(&mut form.visit_awaiting);
    if let Some(outcome) = out.answer(&mut form.anomaly.awaiting) {
        match outcome {
            Outcome::Saved { .. } => form.anomaly = AnomalyForm::default(),
            Outcome::Refused(r) => form.anomaly.refused = Some(refusal_text(i18n, &r)),
        }
    }
    let Some(outcome) = out.answer(&mut form.awaiting) else {
        return;
    };
    let sent = form.sent.take();
    match outcome {
        Outcome::Saved { .. } => {
            // Ready for the next animal: same family, kind and bull; a new number.
            form.animal.clear();
            form.count.clear();
            form.result = None;
            form.rank = None;
            form.recent = None;
            form.correcting = None;
            form.refused = None;
            form.lot.clear();
            form.read_message = None;
        }
        Outcome::Refused(Refusal::RecentlyInseminated { animal, on }) => {
            if let Some(act) = sent {
                form.recent = Some(RecentPrompt {
                    animal,
                    on,
                    act,
                    reason: String::new(),
                    refused: None,
                });
            }
        }
        Outcome::Refused(r) => {
            let text = refusal_text(i18n, &r);
            let field = r.field().unwrap_or_default();
            if let Some(recent) = &mut form.recent
                && field == "reason"
            {
                recent.refused = Some(text);
            } else if let Some(c) = &mut form.correcting
                && field == "reason"
            {
                c.refused = Some(text);
            } else if field.starts_with("act.animals") {
                form.animal.refused = Some(text);
            } else if field == "act.count" && form.kind.is_some_and(|k| k.uses_dose()) {
                form.bull_refused = Some(text);
            } else if field.starts_with("act.count") {
                form.count_refused = Some(text);
            } else if field.starts_with("act.bull") || field.starts_with("act.straw") {
                form.bull_refused = Some(text);
            } else {
                form.refused = Some(text);
            }
        }
    }
}

fn header(ui: &mut Ui, i18n: &I18n, view: &VisitView, form: &mut VisitForm, out: &mut Out) {
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
    if view.row.status == VisitStatus::ToDo {
        let busy = form.visit_awaiting.is_some();
        if kit::primary_button(ui, i18n.t("visit.start"), !busy).clicked() {
            form.visit_awaiting = Some(out.send(Command::StartVisit(view.row.id.clone())));
        }
    }
}

fn acts(ui: &mut Ui, i18n: &I18n, view: &VisitView, form: &mut VisitForm, out: &mut Out) {
    kit::section_heading(ui, i18n.t("visit.acts"));
    if view.acts.is_empty() {
        ui.label(RichText::new(i18n.t("visit.no_acts")).weak());
    }
    let editable = view.row.status != VisitStatus::Confirmed;
    for (n, row) in view.acts.iter().enumerate() {
        ui.label(act_line(i18n, row));
        if !editable {
            continue;
        }
        let open = form
            .correcting
            .as_ref()
            .is_some_and(|c| c.act == row.act.id);
        if !open {
            let label = i18n.tf("visit.correct_act", &[("n", &(n + 1).to_string())]);
            if kit::big_button(ui, &label).clicked() {
                form.correcting = Some(Correction {
                    act: row.act.id.clone(),
                    reason: String::new(),
                    refused: None,
                    replacing: false,
                });
            }
        } else {
            correction_panel(ui, i18n, row, form, out);
        }
    }
    if !view.acts.is_empty() {
        ui.label(
            RichText::new(i18n.tf(
                "visit.forfait_total",
                &[("time", &i18n.duration(view.forfait_seconds()))],
            ))
            .strong(),
        );
    }
    for c in &view.corrected {
        ui.label(
            RichText::new(i18n.tf(
                "visit.corrected_line",
                &[("act", &act_line(i18n, &c.row)), ("reason", &c.reason)],
            ))
            .weak()
            .strikethrough(),
        );
    }
}

/// "IA · FR 53 1234 5678 · Urbain · IA1 · 6 min 30 s"
pub fn act_line(i18n: &I18n, row: &ActRow) -> String {
    let act = &row.act;
    let mut parts = vec![i18n.t_dyn(&format!("act_kind.{}", act.kind.id()))];
    // A lot read tag by tag says how many numbers it holds rather than listing forty.
    let listed = act.animals.len() <= 3;
    if act.animals.is_empty() || act.count as usize > act.animals.len() || !listed {
        parts.push(i18n.tn("visit.animals", u64::from(act.count)));
    }
    let species = act.kind.species().unwrap_or(Species::Bovine);
    if listed {
        for a in &act.animals {
            parts.push(animal_text(a, species));
        }
    } else {
        parts.push(i18n.tn("eid.numbers", act.animals.len() as u64));
    }
    if let Some(name) = &row.bull_name {
        parts.push(name.clone());
    } else if let Some(b) = &act.bull {
        parts.push(b.to_string());
    }
    if let Some(rank) = act.rank {
        parts.push(rank_text(i18n, rank).to_owned());
    }
    if let Some(result) = act.result {
        parts.push(result_text(i18n, result).to_owned());
    }
    if let Some(s) = row.forfait_seconds {
        parts.push(i18n.duration(u64::from(s)));
    }
    parts.join(" · ")
}

pub fn rank_text(i18n: &I18n, rank: InseminationRank) -> &str {
    match rank {
        InseminationRank::First => i18n.t("visit.rank_first"),
        InseminationRank::Repeat => i18n.t("visit.rank_repeat"),
    }
}

pub fn result_text(i18n: &I18n, result: PregnancyResult) -> &str {
    match result {
        PregnancyResult::Pregnant => i18n.t("result.pregnant"),
        PregnancyResult::Empty => i18n.t("result.empty"),
        PregnancyResult::Doubtful => i18n.t("result.doubtful"),
    }
}

fn family_label(i18n: &I18n, family: Family) -> &str {
    match family {
        Family::Insemination => i18n.t("family.insemination"),
        Family::PregnancyCheck => i18n.t("family.pregnancy_check"),
        Family::Synchronisation => i18n.t("family.synchronisation"),
        Family::Sample => i18n.t("family.sample"),
        Family::EmbryoTransfer => i18n.t("family.embryo_transfer"),
        Family::Scoring => i18n.t("family.scoring"),
    }
}
