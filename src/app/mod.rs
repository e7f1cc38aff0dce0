//! The technician's app (feature `gui`): the `eframe::App` shell, one enum of screens, one
//! state.
//!
//! Laid out like egui's demo app and rerun's viewer: this file is the shell (top bar, bottom
//! navigation, the current screen, toasts); `screens/` has one file per screen, each with its
//! page (its state, its last view, how it draws: `screens::Page`); `kit/` is the design
//! system; `widgets/` our own input widgets; `i18n` every word and format; `model` the views
//! screens draw and the commands they emit; `backend` the worker thread that owns the store;
//! `prefs` the tablet's settings file. Screens never touch the store: they read views and send
//! commands, which the backend carries out off the UI thread.
//!
//! The shell knows no screen by name: [`Screen`] is the route, `screens::Pages` maps it to its
//! page, and every view the backend sends goes to the page of the screen it was built for.
//! Where a new screen goes: the README's Architecture section.

pub mod backend;
pub mod eid;
pub mod i18n;
pub mod kit;
pub mod model;
pub mod prefs;
pub mod screens;
pub mod widgets;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use egui::{RichText, TextStyle, Ui};

use crate::domain::{Ede, VisitId};
use backend::{BackendConfig, Job, WorkerHandle, WorkerReply};
use i18n::I18n;
use kit::{GAP, LARGE_TARGET, MARGIN, ToastKind, Toasts, UiPrefs};
use model::{Command, DamageView, Outcome, Refusal, SyncBadge, SyncInfo, Ticket};

/// Where the technician is in the app.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Screen {
    /// Today's round.
    #[default]
    Today,
    /// A farmer's call, added to today's round.
    Call,
    /// One visit: record acts.
    Visit(VisitId),
    /// The farmer's confirmation at the end of a visit.
    Confirm(VisitId),
    /// The dose tank.
    Tank,
    /// A farm's history.
    Farm(Ede),
    /// The technician's work time: day, week, year.
    MyTime,
    /// The declaration queue.
    Declarations,
    /// The supervisor's team: weeks to review, visits to reassign.
    Team,
    Settings,
}

impl Screen {
    /// The key of the screen's title in the top bar.
    pub fn title_key(&self) -> &'static str {
        match self {
            Screen::Today => "today.title",
            Screen::Call => "call.title",
            Screen::Visit(_) => "visit.title",
            Screen::Confirm(_) => "confirm.title",
            Screen::Tank => "tank.title",
            Screen::Farm(_) => "farm.title",
            Screen::MyTime => "my_time.title",
            Screen::Declarations => "declarations.title",
            Screen::Team => "team.title",
            Screen::Settings => "settings.title",
        }
    }

    /// The tab of the bottom bar the screen belongs to.
    pub fn tab(&self) -> Tab {
        match self {
            Screen::Today
            | Screen::Call
            | Screen::Visit(_)
            | Screen::Confirm(_)
            | Screen::Farm(_)
            | Screen::Declarations => Tab::Today,
            Screen::Tank => Tab::Tank,
            Screen::MyTime => Tab::MyTime,
            Screen::Team => Tab::Team,
            Screen::Settings => Tab::Settings,
        }
    }
}

/// A tab of the bottom bar: every screen belongs to one ([`Screen::tab`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Today,
    Tank,
    MyTime,
    Team,
    Settings,
}

/// What the backend last said of the store as a whole, whatever the screen: where sync
/// stands, and whether the store opened. (Each screen's own view is its page's.)
#[derive(Debug, Clone, Default)]
pub struct StoreStatus {
    pub sync: SyncBadge,
    /// Where the tablet is enrolled, its last sync and last failure.
    pub sync_info: SyncInfo,
    /// The store could not be opened or read: why.
    pub failed: Option<String>,
    /// The store is damaged: what is intact, and the way out.
    pub damaged: Option<DamageView>,
}

/// Everything the app remembers between frames.
#[derive(Debug, Default)]
pub struct AppState {
    pub screen: Screen,
    /// Screens to go back to (the back button pops).
    pub back: Vec<Screen>,
    pub prefs: UiPrefs,
    pub i18n: I18n,
    pub toasts: Toasts,
    pub store: StoreStatus,
    /// Every screen's state and last view.
    pub pages: screens::Pages,
    /// Commands emitted by the screens, for the backend (kept here when there is none).
    pub outbox: Vec<(Ticket, Command)>,
    pub next_ticket: u64,
    /// The recovery of a damaged store under way.
    pub recovering: Option<Ticket>,
    /// The backend's answers, until the form that asked reads them.
    pub outcomes: screens::Outcomes,
    /// Commands whose success needs no notice (preferences).
    silent: Vec<Ticket>,
    /// The tag reader: where it stands, the last tag, the reads not yet taken.
    pub reader: eid::ReaderState,
    /// A barcode scanner's burst being typed while no field has the focus.
    pub wedge: String,
}

/// How the app is started.
#[derive(Debug, Clone, Default)]
pub struct AppConfig {
    /// The store's folder; `None`: no store (the screens' own tests drive views by hand).
    pub data_dir: Option<PathBuf>,
    pub prefs: UiPrefs,
    /// The settings file as read from the data folder.
    pub file: prefs::PrefsFile,
    /// A fixed "today" (tests, screenshots, benchmarks); `None`: today in Europe/Paris.
    pub today: Option<NaiveDate>,
    /// When the background sync runs, once the tablet is enrolled.
    pub sync: backend::sync::SyncTiming,
    /// Where the automatic search looks for a tag reader (the port and speed chosen in the
    /// settings file apply over it); `None`: none is looked for (tests, screenshots).
    pub reader: Option<crate::eid::reader::ReaderConfig>,
}

impl AppConfig {
    /// The app on the store in `dir`, with the preferences its settings file holds. Reads
    /// that small file now, before any frame.
    pub fn for_dir(dir: &Path) -> AppConfig {
        let file = prefs::load(dir);
        AppConfig {
            data_dir: Some(dir.to_path_buf()),
            prefs: file.ui,
            file,
            today: None,
            sync: backend::sync::SyncTiming::default(),
            reader: None,
        }
    }
}

/// The app: state, the backend that owns the store, and the last preferences applied to
/// egui's style.
pub struct TourneeApp {
    pub state: AppState,
    pub config: AppConfig,
    applied: Option<UiPrefs>,
    /// The preferences as last saved to the settings file.
    saved_prefs: UiPrefs,
    backend: Option<WorkerHandle>,
    /// The screen the backend was last told is on display.
    shown: Option<Screen>,
    /// The tag reader's thread, when one is looked for.
    reader: Option<eid::ReaderLink>,
    /// The reader's port and speed as the thread was last told, and as last saved.
    reader_applied: crate::eid::reader::ReaderChoice,
    reader_saved: crate::eid::reader::ReaderChoice,
}

impl TourneeApp {
    pub fn new(config: AppConfig) -> TourneeApp {
        let mut state = AppState {
            prefs: config.prefs,
            i18n: I18n::new(config.prefs.lang),
            ..AppState::default()
        };
        let choice = config.file.reader_choice();
        state.reader.choice = choice.clone();
        let reader = config
            .reader
            .as_ref()
            .and_then(|auto| eid::ReaderLink::start(auto.chosen(&choice)));
        if reader.is_some() {
            state.reader.status = eid::ReaderStatus::Searching;
            state.reader.auto = config.reader.as_ref().map(|c| c.search.clone());
        }
        let backend = config.data_dir.as_ref().map(|dir| {
            WorkerHandle::start_with(
                BackendConfig {
                    dir: dir.clone(),
                    prefs: prefs::PrefsFile {
                        ui: config.prefs,
                        ..config.file.clone()
                    },
                    today: config.today,
                },
                config.sync,
            )
        });
        TourneeApp {
            state,
            saved_prefs: config.prefs,
            config,
            applied: None,
            backend,
            shown: None,
            reader,
            reader_applied: choice.clone(),
            reader_saved: choice,
        }
    }

    /// Has the reader's thread look where the technician chose, at the chosen speed, as soon
    /// as the choice changes: no restart.
    fn apply_reader_choice(&mut self) {
        let choice = self.state.reader.choice.clone();
        if choice == self.reader_applied {
            return;
        }
        if let (Some(link), Some(auto)) = (&mut self.reader, &self.config.reader) {
            link.reconfigure(auto.chosen(&choice), &mut self.state.reader);
        }
        self.reader_applied = choice;
    }

    /// Whether every command and screen change has been carried out and its result is on
    /// screen: what tests and benchmarks wait for. Always true without a backend.
    pub fn is_idle(&self) -> bool {
        match &self.backend {
            None => true,
            Some(b) => {
                b.pending() == 0
                    && self.state.outbox.is_empty()
                    && self.shown.as_ref() == Some(&self.state.screen)
            }
        }
    }

    /// Applies what the backend sent since the last frame.
    fn receive(&mut self) {
        let Some(backend) = &mut self.backend else {
            return;
        };
        let state = &mut self.state;
        while let Some(reply) = backend.try_recv() {
            match reply {
                WorkerReply::View(view) => state.pages.receive(*view),
                WorkerReply::Sync(s) => state.store.sync = s,
                WorkerReply::SyncInfo(s) => state.store.sync_info = *s,
                WorkerReply::Failed(e) => state.store.failed = Some(e),
                WorkerReply::Damaged(d) => state.store.damaged = *d,
                WorkerReply::Done(_, None) => {}
                WorkerReply::Done(ticket, Some(outcome)) => {
                    let silent = state.silent.contains(&ticket);
                    state.silent.retain(|t| *t != ticket);
                    let i = &state.i18n;
                    match &outcome {
                        Outcome::Saved { .. } if silent => {}
                        Outcome::Saved {
                            forfait_seconds: Some(s),
                        } => state.toasts.push(
                            ToastKind::Saved,
                            i.tf("toast.saved_act", &[("time", &i.duration(u64::from(*s)))]),
                        ),
                        Outcome::Saved { .. } => {
                            state.toasts.push(ToastKind::Saved, i.t("toast.saved"))
                        }
                        Outcome::Refused(r @ (Refusal::Storage(_) | Refusal::NoTechnician)) => {
                            state
                                .toasts
                                .push(ToastKind::Error, screens::refusal_text(i, r))
                        }
                        Outcome::Refused(_) => {
                            state.toasts.push(ToastKind::Error, i.t("toast.not_saved"))
                        }
                    }
                    state.outcomes.insert(ticket, outcome);
                    // Answers no form came for (it was closed) are dropped, oldest first.
                    while state.outcomes.len() > 32 {
                        state.outcomes.pop_first();
                    }
                }
            }
        }
    }

    /// Tells the backend the screen on display, and hands it the screens' commands.
    fn dispatch(&mut self) {
        let Some(backend) = &mut self.backend else {
            return;
        };
        let state = &mut self.state;
        if state.prefs != self.saved_prefs {
            self.saved_prefs = state.prefs;
            state.next_ticket += 1;
            let ticket = Ticket(state.next_ticket);
            state.silent.push(ticket);
            state.outbox.push((ticket, Command::SavePrefs(state.prefs)));
        }
        if state.reader.choice != self.reader_saved {
            self.reader_saved = state.reader.choice.clone();
            state.next_ticket += 1;
            let ticket = Ticket(state.next_ticket);
            state.silent.push(ticket);
            let command = Command::SaveReaderChoice(self.reader_saved.clone());
            state.outbox.push((ticket, command));
        }
        if self.shown.as_ref() != Some(&state.screen) {
            state.next_ticket += 1;
            if backend.send(Ticket(state.next_ticket), Job::Show(state.screen.clone())) {
                self.shown = Some(state.screen.clone());
            }
        }
        for (ticket, command) in state.outbox.drain(..) {
            if !backend.send(ticket, Job::Do(Box::new(command))) {
                state.outcomes.insert(
                    ticket,
                    Outcome::Refused(Refusal::Storage("the backend stopped".to_owned())),
                );
            }
        }
    }

    /// Draws one frame. `eframe::App::ui` calls this; so do the tests, through kittest.
    pub fn ui(&mut self, ui: &mut Ui) {
        if let Some(b) = &self.backend {
            b.set_context(ui.ctx());
        }
        if let Some(r) = &self.reader {
            r.set_context(ui.ctx());
            r.receive(&mut self.state.reader);
        }
        self.receive();
        if self.applied.is_none() {
            kit::install_fonts(ui.ctx());
        }
        if self.applied != Some(self.state.prefs) {
            kit::apply(ui.ctx(), &self.state.prefs);
            self.state.i18n.set_lang(self.state.prefs.lang);
            self.applied = Some(self.state.prefs);
        }
        let state = &mut self.state;
        let mut nav = None;
        let (title, tab) = (state.screen.title_key(), state.screen.tab());

        egui::Panel::top("tournee.top")
            .frame(
                egui::Frame::side_top_panel(ui.style())
                    .inner_margin(egui::Margin::symmetric(MARGIN as i8, 8)),
            )
            .show(ui, |ui| top_bar(ui, state, title, &mut nav));
        let nav_height = LARGE_TARGET + 2.0 * 8.0;
        egui::Panel::bottom("tournee.nav")
            .frame(egui::Frame::side_top_panel(ui.style()).inner_margin(egui::Margin::same(8)))
            .show(ui, |ui| bottom_bar(ui, state, tab, &mut nav));
        egui::CentralPanel::default()
            .frame(
                egui::Frame::central_panel(ui.style())
                    .inner_margin(egui::Margin::same(MARGIN as i8)),
            )
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt(("tournee.screen", state.screen.clone()))
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        ui.spacing_mut().item_spacing.y = GAP;
                        screen(ui, state, &mut nav);
                    });
            });
        state.toasts.show(ui.ctx(), nav_height + GAP);

        if let Some(nav) = nav {
            state.navigate(nav);
        }
        self.apply_reader_choice();
        self.dispatch();
    }
}

impl AppState {
    fn navigate(&mut self, nav: screens::Nav) {
        match nav {
            screens::Nav::To(next) => {
                if next != self.screen {
                    let previous = std::mem::replace(&mut self.screen, next);
                    self.back.push(previous);
                    // A long walk through farms should not keep a long trail.
                    if self.back.len() > 20 {
                        self.back.remove(0);
                    }
                }
            }
            screens::Nav::Tab(next) => {
                self.back.clear();
                self.screen = next;
            }
            screens::Nav::Back => {
                if let Some(previous) = self.back.pop() {
                    self.screen = previous;
                }
            }
        }
    }
}

/// The back button, the title of the screen on display (`title`, a key), where sync stands.
fn top_bar(ui: &mut Ui, state: &AppState, title: &str, nav: &mut Option<screens::Nav>) {
    let i = &state.i18n;
    ui.horizontal(|ui| {
        ui.set_min_height(LARGE_TARGET);
        if !state.back.is_empty()
            && ui
                .add(
                    egui::Button::new(RichText::new(i.t("nav.back")).text_style(TextStyle::Button))
                        .min_size(egui::vec2(LARGE_TARGET * 1.5, LARGE_TARGET)),
                )
                .clicked()
        {
            *nav = Some(screens::Nav::Back);
        }
        ui.heading(RichText::new(i.t(title)).strong());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            // "Everything is on the server" / "N acts waiting", then when the last sync was.
            let status = screens::server::status_text(i, state.store.sync);
            ui.label(RichText::new(status).weak());
            if let Some((text, failed)) = screens::server::last_sync(i, &state.store.sync_info) {
                let p = kit::current_palette(ui.ctx());
                let text = RichText::new(text);
                ui.label(if failed {
                    text.color(p.warning)
                } else {
                    text.weak()
                });
            }
        });
    });
}

/// The tabs; `current` is the one of the screen on display.
fn bottom_bar(ui: &mut Ui, state: &AppState, current: Tab, nav: &mut Option<screens::Nav>) {
    let i = &state.i18n;
    let mut tabs = vec![
        (Tab::Today, i.t("nav.today"), Screen::Today),
        (Tab::Tank, i.t("nav.tank"), Screen::Tank),
        (Tab::MyTime, i.t("nav.my_time"), Screen::MyTime),
    ];
    // The team is a supervisor's: only a tablet enrolled as one shows it.
    if matches!(
        state.store.sync_info.account,
        Some(crate::sync::Role::Supervisor { .. })
    ) {
        tabs.push((Tab::Team, i.t("nav.team"), Screen::Team));
    }
    tabs.push((Tab::Settings, i.t("nav.settings"), Screen::Settings));
    ui.horizontal(|ui| {
        let w = (ui.available_width() - GAP * (tabs.len() as f32 - 1.0)) / tabs.len() as f32;
        for (tab, label, target) in tabs {
            let selected = tab == current;
            if kit::nav_button(ui, selected, label, w).clicked()
                && (!selected || state.screen != target)
            {
                *nav = Some(screens::Nav::Tab(target));
            }
        }
    });
}

/// The screen on display, drawn by its page; or, instead of any, why the store did not open.
fn screen(ui: &mut Ui, state: &mut AppState, nav: &mut Option<screens::Nav>) {
    if let Some(damage) = &state.store.damaged {
        let mut out = screens::Out::new(
            &mut state.outbox,
            &mut state.next_ticket,
            &mut state.outcomes,
        );
        screens::damaged::show(ui, &state.i18n, damage, &mut state.recovering, &mut out);
        return;
    }
    if let Some(e) = &state.store.failed {
        kit::field_message(
            ui,
            &kit::FieldMessage::Error(state.i18n.tf("app.store_failed", &[("error", e)])),
        );
        return;
    }
    let AppState {
        screen,
        prefs,
        i18n,
        toasts,
        store,
        pages,
        outbox,
        next_ticket,
        outcomes,
        reader,
        wedge,
        ..
    } = state;
    // Tags read and a scanner's burst go to the screen on display, or nowhere.
    let reads = std::mem::take(&mut reader.reads);
    let scanned = widgets::wedge_burst(ui, wedge);
    let mut ctx = screens::PageCtx {
        i18n,
        out: screens::Out::new(outbox, next_ticket, outcomes),
        prefs,
        reader,
        reads,
        scanned,
        sync: store.sync,
        sync_info: &store.sync_info,
    };
    pages.page(screen).show(ui, screen, &mut ctx);
    for (kind, text) in ctx.out.toasts.drain(..) {
        toasts.push(kind, text);
    }
    if ctx.out.nav.is_some() {
        *nav = ctx.out.nav;
    }
}

impl eframe::App for TourneeApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.ui(ui);
    }
}

/// Opens the app's window; returns when it is closed.
pub fn run(config: AppConfig) -> Result<(), eframe::Error> {
    let title = I18n::new(config.prefs.lang)
        .t("app.window_title")
        .to_owned();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(title.clone())
            .with_inner_size([1024.0, 768.0])
            .with_min_inner_size([480.0, 600.0]),
        ..Default::default()
    };
    eframe::run_native(
        &title,
        options,
        Box::new(move |_cc| Ok(Box::new(TourneeApp::new(config)))),
    )
}

#[cfg(test)]
mod tests {
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    use super::model::{ScreenView, TodayView, VisitRow, VisitView};
    use super::{AppConfig, Screen, TourneeApp};
    use crate::domain::{Ede, TechnicianId, Visit, VisitId};

    fn visit_view(id: &VisitId) -> VisitView {
        let visit = Visit::planned(
            id.clone(),
            TechnicianId::parse("technician", "T01").unwrap(),
            Ede::parse("farm", "53161001").unwrap(),
            chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
        );
        let mut row = VisitRow::build(&visit, None, 0, None);
        row.farm_name = "GAEC du Bocage".to_owned();
        VisitView {
            row,
            species: Vec::new(),
            farm_note: None,
            acts: Vec::new(),
            corrected: Vec::new(),
            bulls: Vec::new(),
            confirmation: None,
            anomalies: Vec::new(),
            records: Vec::new(),
            answers: Vec::new(),
            history: Vec::new(),
        }
    }

    /// The backend answers for the screen that was on display when it built the view; the
    /// technician may have moved on. The view waits in its screen's page and is drawn as soon
    /// as that screen opens, without asking the backend again; the visit's view serves its
    /// confirmation too.
    #[test]
    fn a_view_for_a_screen_not_on_display_is_kept_and_drawn_when_it_opens() {
        let mut app = TourneeApp::new(AppConfig::default());
        app.state.screen = Screen::Tank;
        let mut h = Harness::builder()
            .with_size([800.0, 1280.0])
            .build_ui_state(|ui, app: &mut TourneeApp| app.ui(ui), app);
        h.run();
        let id = VisitId::parse("visit", "V1").unwrap();
        let pages = &mut h.state_mut().state.pages;
        pages.receive(ScreenView::Today(Box::new(TodayView {
            technician: Some("Julie Moreau".to_owned()),
            ..TodayView::default()
        })));
        pages.receive(ScreenView::Visit(Box::new(visit_view(&id))));
        h.run();
        // The tank is on display, still waiting for its own view.
        h.get_by_label("Chargement de la cuve…");
        assert!(h.query_by_label("Julie Moreau").is_none());

        h.get_by_label("Aujourd'hui").click();
        h.run();
        assert_eq!(h.state().state.screen, Screen::Today);
        h.get_by_label("Julie Moreau");
        assert!(h.query_by_label("Chargement de la tournée…").is_none());

        h.state_mut().state.screen = Screen::Confirm(id.clone());
        h.run();
        h.get_by_label("Confirmation de l'éleveur");
        h.get_by_label("GAEC du Bocage");
        assert!(h.query_by_label("Chargement de la visite…").is_none());
    }
}
