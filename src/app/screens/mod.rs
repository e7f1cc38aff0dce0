//! One file per screen. A screen is a function of (i18n, view, its own form state) that draws
//! and fills an [`Out`]: where to go next, commands for the backend, notices to show. A form
//! that sent a command keeps its [`Ticket`] and reads the backend's [`Outcome`] through
//! [`Out::outcome`] on a later frame: cleared when saved, the refusal next to its field
//! otherwise.

pub mod call;
pub mod closed_hours;
pub mod confirm;
pub mod damaged;
pub mod declarations;
pub mod farm;
pub mod fertility;
pub mod my_time;
pub mod server;
pub mod settings;
pub mod tank;
pub mod team;
pub mod today;
pub mod visit;

use std::collections::BTreeMap;

use egui::{RichText, Ui};

use super::Screen;
use super::i18n::I18n;
use super::kit::ToastKind;
use super::model::{Command, Outcome, Refusal, Ticket, VisitView};
use crate::domain::{Species, VisitId};

/// A move between screens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Nav {
    /// Open a screen on top of this one (back returns here).
    To(Screen),
    /// Switch tab: the back trail starts again.
    Tab(Screen),
    Back,
}

/// The backend's answers not yet read by the form that asked.
pub type Outcomes = BTreeMap<Ticket, Outcome>;

/// What a screen's frame produced, and its access to the backend's answers.
pub struct Out<'a> {
    pub nav: Option<Nav>,
    pub toasts: Vec<(ToastKind, String)>,
    outbox: &'a mut Vec<(Ticket, Command)>,
    next_ticket: &'a mut u64,
    outcomes: &'a mut Outcomes,
}

impl<'a> Out<'a> {
    pub fn new(
        outbox: &'a mut Vec<(Ticket, Command)>,
        next_ticket: &'a mut u64,
        outcomes: &'a mut Outcomes,
    ) -> Out<'a> {
        Out {
            nav: None,
            toasts: Vec::new(),
            outbox,
            next_ticket,
            outcomes,
        }
    }

    pub fn go(&mut self, screen: Screen) {
        self.nav = Some(Nav::To(screen));
    }

    /// Queues a command for the backend; its ticket finds the answer later.
    pub fn send(&mut self, command: Command) -> Ticket {
        *self.next_ticket += 1;
        let ticket = Ticket(*self.next_ticket);
        self.outbox.push((ticket, command));
        ticket
    }

    /// The backend's answer to a command, once (`None` while it is not back).
    pub fn outcome(&mut self, ticket: Ticket) -> Option<Outcome> {
        self.outcomes.remove(&ticket)
    }

    /// For a form waiting on `awaiting`: takes the answer if it is back, and stops waiting.
    pub fn answer(&mut self, awaiting: &mut Option<Ticket>) -> Option<Outcome> {
        let outcome = self.outcome((*awaiting)?)?;
        *awaiting = None;
        Some(outcome)
    }
}

/// A form that belongs to one visit: opening another visit starts a clean one, so a number
/// half typed at one farm never lands at the next.
#[derive(Debug, Clone, Default)]
pub struct PerVisit<T> {
    visit: Option<VisitId>,
    form: T,
}

impl<T: Default> PerVisit<T> {
    /// The form of this visit (a clean one if the last was another visit's).
    pub fn for_visit(&mut self, id: &VisitId) -> &mut T {
        if self.visit.as_ref() != Some(id) {
            self.visit = Some(id.clone());
            self.form = T::default();
        }
        &mut self.form
    }
}

/// The view of visit `id` if the backend has sent it; otherwise says it is loading.
pub fn current_visit<'a>(
    ui: &mut Ui,
    i18n: &I18n,
    view: Option<&'a VisitView>,
    id: &VisitId,
) -> Option<&'a VisitView> {
    let view = view.filter(|v| &v.row.id == id);
    if view.is_none() {
        ui.label(RichText::new(i18n.t("visit.loading")).weak());
    }
    view
}

/// An animal number as the tag prints it (`FR 53 1234 5678`).
pub fn animal_text(animal: &crate::domain::AnimalId, species: Species) -> String {
    match animal.as_str().strip_prefix("FR") {
        Some(digits) => crate::app::widgets::display_number(digits, species),
        None => animal.to_string(),
    }
}

/// Why the backend refused, in the user's language: the fields a technician can act on are
/// said in words, with where to fix them; anything else names the field and what was expected.
pub fn refusal_text(i18n: &I18n, refusal: &Refusal) -> String {
    match refusal {
        Refusal::RecentlyInseminated { animal, on } => i18n.tf(
            "refusal.recently_inseminated",
            &[
                ("animal", &animal_text(animal, Species::Bovine)),
                ("date", &i18n.date_short(*on)),
            ],
        ),
        Refusal::NoTechnician => i18n.t("refusal.no_technician").to_owned(),
        Refusal::Storage(m) => i18n.tf("refusal.storage", &[("error", m)]),
        Refusal::Sync(p) => server::problem_text(i18n, p),
        Refusal::Invalid(e) if e.field.starts_with("closed") => closed_hours::refusal_text(i18n, e),
        Refusal::Invalid(e) => {
            let text = match e.field.as_str() {
                "act.bull" => i18n.t("visit.bull_not_in_tank"),
                "act.count" => i18n.t("refusal.not_enough_doses"),
                "act.straw" => i18n.t("refusal.straw_missing"),
                "act.straw.centre" => i18n.t("refusal.straw_centre"),
                "act.straw.batch" => i18n.t("refusal.straw_batch"),
                "act.straw.breed" => i18n.t("refusal.straw_breed"),
                "act.animals" => i18n.t("refusal.animal_missing"),
                "technician.licence" => i18n.t("refusal.licence"),
                "company.approval" => i18n.t("refusal.company"),
                "visit.farm" | "farm" => i18n.t("refusal.farm_unknown"),
                "reason" => i18n.t("field.reason.empty"),
                "note" => i18n.t("field.note.empty"),
                "counted" => i18n.t("tank.count_unchanged"),
                "comment" => i18n.t("team.comment_empty"),
                "supervisor" => i18n.t("team.not_supervisor"),
                "technician.name" => i18n.t("settings.name_empty"),
                _ => {
                    return i18n.tf(
                        "refusal.other",
                        &[("field", &e.field), ("expected", &e.expected)],
                    );
                }
            };
            text.to_owned()
        }
    }
}
