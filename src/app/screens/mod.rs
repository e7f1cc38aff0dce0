//! One file per screen. Each screen's module has its page: the screen's state (its form, and
//! the last view the backend sent it; [`Paged`] for most) implementing [`Page`], which is how
//! the shell draws a screen. [`Pages`] holds every page and is the one place a [`Screen`]
//! route, or a view the backend sent, meets its page.
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

use super::Screen;
use super::eid::ReaderState;
use super::i18n::I18n;
use super::kit::{ToastKind, UiPrefs};
use super::model::{
    CallView, Command, MyTimeView, Outcome, Refusal, ScreenView, SyncBadge, SyncInfo, TeamView,
    Ticket, TodayView, VisitView,
};
use crate::domain::{Species, VisitId};
use crate::eid::reader::ReadLine;

/// What the shell needs of a screen (as egui's demo app needs of its apps): the screen's own
/// state behind it, drawn. (Its title and tab are the route's: [`Screen::title_key`].)
pub trait Page {
    /// Draws the screen `screen` routes to (a visit's or a farm's route says which one).
    fn show(&mut self, ui: &mut Ui, screen: &Screen, ctx: &mut PageCtx);
}

/// The page of a screen drawn from one view and one form (`()` for none): most of them.
#[derive(Debug, Clone)]
pub struct Paged<V, F = ()> {
    /// The view the backend last built for the screen (`None` while it is loading).
    pub view: Option<V>,
    pub form: F,
}

/// A screen's form whose screen draws from its view and itself alone, by one function: its
/// page is a [`Paged`] of the two, with nothing more to write.
pub trait Form: Sized {
    type View;
    const SHOW: Show<Self>;
}

/// How a [`Form`]'s screen is drawn.
pub type Show<F> = fn(&mut Ui, &I18n, Option<&<F as Form>::View>, &mut F, &mut Out);

impl<F: Form> Page for Paged<F::View, F> {
    fn show(&mut self, ui: &mut Ui, _: &Screen, ctx: &mut PageCtx) {
        (F::SHOW)(
            ui,
            ctx.i18n,
            self.view.as_ref(),
            &mut self.form,
            &mut ctx.out,
        );
    }
}

// By hand: a derive would ask the view for a default too.
impl<V, F: Default> Default for Paged<V, F> {
    fn default() -> Self {
        Paged {
            view: None,
            form: F::default(),
        }
    }
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
    pub today: Paged<TodayView, today::TodayForm>,
    pub call: Paged<CallView, call::CallForm>,
    /// The visit and the farmer's confirmation at its end: one view, read by both.
    pub visit: visit::VisitPage,
    pub tank: tank::TankPage,
    pub farm: farm::FarmPage,
    pub my_time: Paged<MyTimeView, my_time::MyTimeForm>,
    pub declarations: declarations::DeclarationsPage,
    pub team: Paged<TeamView, team::TeamForm>,
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

    /// Keeps a view in its screen's page, to draw when that screen is on display (now, or
    /// once the technician gets there): a view that arrives after the technician moved on
    /// waits in its own page.
    pub fn receive(&mut self, view: ScreenView) {
        match view {
            ScreenView::Today(v) => self.today.view = Some(*v),
            ScreenView::Call(v) => self.call.view = Some(v),
            ScreenView::Visit(v) => self.visit.view = Some(*v),
            ScreenView::Tank(v) => self.tank.view = Some(v),
            ScreenView::Farm(v) => self.farm.view = Some(*v),
            ScreenView::MyTime(v) => self.my_time.view = Some(v),
            ScreenView::Declarations(v) => self.declarations.view = Some(v),
            ScreenView::Team(v) => self.team.view = Some(v),
            ScreenView::Settings(v) => self.settings.view = Some(v),
        }
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
