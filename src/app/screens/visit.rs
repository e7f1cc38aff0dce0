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

use chrono::NaiveDate;
use egui::{RichText, Ui};

use super::{Out, animal_text, refusal_text};
use crate::app::Screen;
use crate::app::eid::ReaderStatus;
use crate::app::i18n::I18n;
use crate::app::kit::{self, FieldMessage, GAP};
use crate::app::model::{ActRow, BullChoice, Command, Outcome, Refusal, Ticket, VisitView};
use crate::app::widgets::{AnimalEntry, animal, animal_number_field, count_field, parse_count};
use crate::domain::act::MAX_LOT;
use crate::domain::{
    Act, ActId, ActKind, AnimalId, AnomalyKind, BullId, Family, InseminationRank, PregnancyResult,
    Species, VisitStatus,
};
use crate::eid::reader::ReadLine;

/// What the barn's devices brought this frame: the tag reader's lines and where it stands,
/// and a barcode scanner's burst typed while no field had the focus.
pub struct Barn<'a> {
    pub reads: &'a [ReadLine],
    pub reader: &'a ReaderStatus,
    pub scanned: Option<String>,
}

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

/// An act being corrected.
#[derive(Debug, Clone)]
pub struct Correction {
    pub act: ActId,
    pub reason: String,
    pub refused: Option<String>,
    /// The act form below records the replacement.
    pub replacing: bool,
}

/// The anomaly being noted.
#[derive(Debug, Clone, Default)]
pub struct AnomalyForm {
    pub kind: Option<AnomalyKind>,
    pub note: String,
    pub refused: Option<String>,
    pub awaiting: Option<Ticket>,
}

/// A visit being called off, with why.
#[derive(Debug, Clone, Default)]
pub struct CancelForm {
    pub open: bool,
    pub reason: String,
    pub refused: Option<String>,
    pub awaiting: Option<Ticket>,
}

/// The answer to a farmer's dispute being written.
#[derive(Debug, Clone, Default)]
pub struct DisputeForm {
    pub note: String,
    pub refused: Option<String>,
    pub awaiting: Option<Ticket>,
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

/// Calling off a visit not started (the farmer called, a duplicate call): recorded with the
/// reason, the visit leaves the round and the round is planned again without it.
fn cancel(ui: &mut Ui, i18n: &I18n, view: &VisitView, form: &mut CancelForm, out: &mut Out) {
    if let Some(outcome) = out.answer(&mut form.awaiting) {
        match outcome {
            Outcome::Saved { .. } => {
                *form = CancelForm::default();
                out.nav = Some(super::Nav::Tab(Screen::Today));
                return;
            }
            Outcome::Refused(r) => form.refused = Some(refusal_text(i18n, &r)),
        }
    }
    ui.add_space(GAP);
    if !form.open {
        if kit::big_button(ui, i18n.t("visit.cancel")).clicked() {
            form.open = true;
        }
        return;
    }
    kit::checked_text_field(
        ui,
        i18n.t("visit.cancel_reason"),
        &mut form.reason,
        i18n.t("visit.cancel_reason_hint"),
        form.refused.as_deref(),
    );
    if kit::primary_button(ui, i18n.t("visit.cancel_confirm"), form.awaiting.is_none()).clicked() {
        if form.reason.trim().is_empty() {
            form.refused = Some(i18n.t("field.reason.empty").to_owned());
        } else {
            form.refused = None;
            form.awaiting = Some(out.send(Command::CancelVisit {
                visit: view.row.id.clone(),
                reason: form.reason.trim().to_owned(),
            }));
        }
    }
}

/// The farmer's dispute, the answers given, and the form to answer (a correction of an act
/// is made with the act's own "correct" button).
fn dispute(ui: &mut Ui, i18n: &I18n, view: &VisitView, form: &mut DisputeForm, out: &mut Out) {
    let Some(crate::domain::Confirmation::Disputed { comment, .. }) = &view.confirmation else {
        return;
    };
    if let Some(outcome) = out.answer(&mut form.awaiting) {
        match outcome {
            Outcome::Saved { .. } => *form = DisputeForm::default(),
            Outcome::Refused(r) => form.refused = Some(refusal_text(i18n, &r)),
        }
    }
    kit::section_heading(ui, i18n.t("dispute.title"));
    kit::card(ui, |ui| {
        kit::field_message(
            ui,
            &FieldMessage::Error(i18n.tf("dispute.farmer_says", &[("comment", comment)])),
        );
        for a in &view.answers {
            kit::field_message(
                ui,
                &FieldMessage::Ok(i18n.tf("dispute.answered", &[("note", a)])),
            );
        }
        kit::text_field(
            ui,
            i18n.t("dispute.answer"),
            &mut form.note,
            i18n.t("dispute.answer_hint"),
        );
        if let Some(r) = &form.refused {
            kit::field_message(ui, &FieldMessage::Error(r.clone()));
        }
        if kit::primary_button(ui, i18n.t("dispute.send"), form.awaiting.is_none()).clicked() {
            form.refused = None;
            form.awaiting = Some(out.send(Command::AnswerDispute {
                visit: view.row.id.clone(),
                note: form.note.clone(),
            }));
        }
    });
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

fn correction_panel(ui: &mut Ui, i18n: &I18n, row: &ActRow, form: &mut VisitForm, out: &mut Out) {
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

fn act_form(
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

fn recent_prompt(
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

/// Checks every field; sends the command only if all pass, otherwise marks the fields.
fn record(
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

pub fn anomaly_label(i18n: &I18n, kind: AnomalyKind) -> &str {
    match kind {
        AnomalyKind::RestraintNotReady => i18n.t("anomaly.restraint_not_ready"),
        AnomalyKind::SanitaryIssue => i18n.t("anomaly.sanitary_issue"),
        AnomalyKind::EquipmentFault => i18n.t("anomaly.equipment_fault"),
        AnomalyKind::Other => i18n.t("anomaly.other"),
    }
}

fn anomaly_form(ui: &mut Ui, i18n: &I18n, view: &VisitView, form: &mut VisitForm, out: &mut Out) {
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

/// Takes the tags read since the last frame: one animal's number fills the field; a lot's
/// joins the list unless already in it. A line the parser does not know is said, never used.
fn take_reads(
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
                form.read_message = Some(FieldMessage::Error(super::settings::read_error_text(
                    i18n, &line.raw, e,
                )));
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
fn reader_line(ui: &mut Ui, i18n: &I18n, reader: &ReaderStatus, form: &VisitForm) {
    match reader {
        ReaderStatus::Off | ReaderStatus::Searching => {}
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
fn lot_list(ui: &mut Ui, i18n: &I18n, form: &mut VisitForm, species: Species) {
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
fn straw_code_field(
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
