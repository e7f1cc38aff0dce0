//! One file per screen. Each screen's module has its page: a struct that owns the screen's
//! state (its form, and the last view the backend sent it) and implements [`Page`], which is
//! all the shell knows of a screen: its title, its tab, how it keeps a view and how it draws.
//! [`Pages`] holds every page and is the one place a [`Screen`] route meets its page.
//!
//! Drawing is a function of (i18n, view, form) that fills an [`Out`]: where to go next,
//! commands for the backend, notices to show. A form that sent a command keeps its [`Ticket`]
//! and reads the backend's [`Outcome`] through [`Out::outcome`] on a later frame: cleared when
//! saved, the refusal next to its field otherwise. Not for storage: a page never writes, it
//! sends commands.

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

use super::eid::ReaderState;
use super::i18n::I18n;
use super::kit::{ToastKind, UiPrefs};
use super::model::{Command, Outcome, Refusal, ScreenView, SyncBadge, SyncInfo, Ticket, VisitView};
use super::{Screen, Tab};
use crate::domain::{Species, VisitId};
use crate::eid::reader::ReadLine;

/// What the shell needs of a screen (as egui's demo app needs of its apps): the screen's own
/// state behind it.
pub trait Page {
    /// The key of the title of `screen` in the top bar (one page may draw more than one
    /// screen, as the visit and its confirmation).
    fn title(&self, screen: &Screen) -> &'static str;
    /// The tab of the bottom bar the screen belongs to.
    fn tab(&self) -> Tab;
    /// Keeps a view the backend built for this screen, on display or not (a view of
    /// another kind is not this page's and is dropped).
    fn receive(&mut self, view: ScreenView);
    /// Draws the screen `screen` routes to (a visit's or a farm's route says which one).
    fn show(&mut self, ui: &mut Ui, screen: &Screen, ctx: &mut PageCtx);
}

/// What a page draws with besides its own state: the words, the way to the backend, and what
/// the tablet's settings and devices bring this frame.
pub struct PageCtx<'a> {
    pub i18n: &'a I18n,
    pub out: Out<'a>,
    /// Language, text size, contrast (Settings changes them).
    pub prefs: &'a mut UiPrefs,
    /// The tag reader as the app sees it (Settings chooses it, the visit reads from it).
    pub reader: &'a mut ReaderState,
    /// The tags read since the last frame: the screen on display takes them, or nobody.
    pub reads: Vec<ReadLine>,
    /// A barcode scanner's burst typed while no field had the focus.
    pub scanned: Option<String>,
    /// Where sync stands, for the server section of Settings.
    pub sync: SyncBadge,
    pub sync_info: &'a SyncInfo,
}

/// Every screen's page: its state lives as long as the app, whichever screen is on display.
#[derive(Debug, Default)]
pub struct Pages {
    pub today: today::TodayPage,
    pub call: call::CallPage,
    /// The visit and the farmer's confirmation at its end: one view, read by both.
    pub visit: visit::VisitPage,
    pub tank: tank::TankPage,
    pub farm: farm::FarmPage,
    pub my_time: my_time::MyTimePage,
    pub declarations: declarations::DeclarationsPage,
    pub team: team::TeamPage,
    pub settings: settings::SettingsPage,
}

impl Pages {
    /// The page `screen` opens.
    pub fn page(&mut self, screen: &Screen) -> &mut dyn Page {
        match screen {
            Screen::Today => &mut self.today,
            Screen::Call => &mut self.call,
            Screen::Visit(_) | Screen::Confirm(_) => &mut self.visit,
            Screen::Tank => &mut self.tank,
            Screen::Farm(_) => &mut self.farm,
            Screen::MyTime => &mut self.my_time,
            Screen::Declarations => &mut self.declarations,
            Screen::Team => &mut self.team,
            Screen::Settings => &mut self.settings,
        }
    }

    /// Keeps the view the backend built for `screen` in its page, to draw when that screen is
    /// on display (now, or once the technician gets there).
    pub fn receive(&mut self, screen: &Screen, view: ScreenView) {
        self.page(screen).receive(view);
    }
}

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
