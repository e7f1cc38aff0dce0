//! The technician's app (feature `gui`): the `eframe::App` shell, one enum of screens, one
//! state.
//!
//! Laid out like egui's demo app and rerun's viewer: this file is the shell (top bar, bottom
//! navigation, the current screen, toasts); `screens/` has one file per screen; `kit/` is the
//! design system; `widgets/` our own input widgets; `i18n` every word and format; `model`
//! the views screens draw and the commands they emit. Screens never touch the store: they read
//! views and push commands (see `model`).

pub mod i18n;
pub mod kit;
pub mod model;
pub mod screens;
pub mod widgets;

use std::path::PathBuf;

use egui::{RichText, TextStyle, Ui};

use crate::domain::{Ede, VisitId};
use i18n::I18n;
use kit::{GAP, LARGE_TARGET, MARGIN, Toasts, UiPrefs};
use model::{Command, TodayView, VisitView};

/// Where the technician is in the app.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Screen {
    /// Today's round.
    #[default]
    Today,
    /// One visit: record acts.
    Visit(VisitId),
    /// The farmer's confirmation at the end of a visit.
    Confirm(VisitId),
    /// The dose tank.
    Tank,
    /// A farm's history.
    Farm(Ede),
    /// Today's and this week's flat-rate time.
    MyTime,
    Settings,
}

impl Screen {
    /// The tab of the bottom bar this screen belongs to.
    fn tab(&self) -> Tab {
        match self {
            Screen::Today | Screen::Visit(_) | Screen::Confirm(_) | Screen::Farm(_) => Tab::Today,
            Screen::Tank => Tab::Tank,
            Screen::MyTime => Tab::MyTime,
            Screen::Settings => Tab::Settings,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Today,
    Tank,
    MyTime,
    Settings,
}

/// The views the screens draw, as the backend last sent them.
#[derive(Debug, Clone, Default)]
pub struct Views {
    pub today: Option<TodayView>,
    pub visit: Option<VisitView>,
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
    pub views: Views,
    /// Commands emitted by the screens, for the backend.
    pub outbox: Vec<Command>,
    pub visit_form: screens::PerVisit<screens::visit::VisitForm>,
    pub confirm_form: screens::PerVisit<screens::confirm::ConfirmForm>,
}

/// How the app is started.
#[derive(Debug, Clone, Default)]
pub struct AppConfig {
    /// The store's folder.
    pub data_dir: Option<PathBuf>,
    pub prefs: UiPrefs,
}

/// The app: state plus the last preferences applied to egui's style.
pub struct TourneeApp {
    pub state: AppState,
    pub config: AppConfig,
    applied: Option<UiPrefs>,
}

impl TourneeApp {
    pub fn new(config: AppConfig) -> TourneeApp {
        let state = AppState {
            prefs: config.prefs,
            i18n: I18n::new(config.prefs.lang),
            ..AppState::default()
        };
        TourneeApp {
            state,
            config,
            applied: None,
        }
    }

    /// Draws one frame. `eframe::App::ui` calls this; so do the tests, through kittest.
    pub fn ui(&mut self, ui: &mut Ui) {
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

        egui::Panel::top("tournee.top")
            .frame(
                egui::Frame::side_top_panel(ui.style())
                    .inner_margin(egui::Margin::symmetric(MARGIN as i8, 8)),
            )
            .show(ui, |ui| top_bar(ui, state, &mut nav));
        let nav_height = LARGE_TARGET + 2.0 * 8.0;
        egui::Panel::bottom("tournee.nav")
            .frame(egui::Frame::side_top_panel(ui.style()).inner_margin(egui::Margin::same(8)))
            .show(ui, |ui| bottom_bar(ui, state, &mut nav));
        egui::CentralPanel::default()
            .frame(
                egui::Frame::central_panel(ui.style())
                    .inner_margin(egui::Margin::same(MARGIN as i8)),
            )
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
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

fn top_bar(ui: &mut Ui, state: &AppState, nav: &mut Option<screens::Nav>) {
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
        let title = match &state.screen {
            Screen::Today => i.t("today.title").to_owned(),
            Screen::Visit(_) => i.t("visit.title").to_owned(),
            Screen::Confirm(_) => i.t("confirm.title").to_owned(),
            Screen::Tank => i.t("tank.title").to_owned(),
            Screen::Farm(_) => i.t("farm.title").to_owned(),
            Screen::MyTime => i.t("my_time.title").to_owned(),
            Screen::Settings => i.t("settings.title").to_owned(),
        };
        ui.heading(RichText::new(title).strong());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            // The seam for sync: "everything is on the server" / "N acts waiting" goes here.
            ui.label(RichText::new(i.t("sync.offline")).weak());
        });
    });
}

fn bottom_bar(ui: &mut Ui, state: &AppState, nav: &mut Option<screens::Nav>) {
    let i = &state.i18n;
    let tabs = [
        (Tab::Today, i.t("nav.today"), Screen::Today),
        (Tab::Tank, i.t("nav.tank"), Screen::Tank),
        (Tab::MyTime, i.t("nav.my_time"), Screen::MyTime),
        (Tab::Settings, i.t("nav.settings"), Screen::Settings),
    ];
    let current = state.screen.tab();
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

fn screen(ui: &mut Ui, state: &mut AppState, nav: &mut Option<screens::Nav>) {
    let mut out = screens::Out::default();
    match state.screen.clone() {
        Screen::Today => {
            screens::today::show(ui, &state.i18n, state.views.today.as_ref(), &mut out)
        }
        Screen::Visit(id) => {
            let i18n = &state.i18n;
            if let Some(view) = screens::current_visit(ui, i18n, state.views.visit.as_ref(), &id) {
                let form = state.visit_form.for_visit(&id);
                screens::visit::show(ui, i18n, view, form, &mut out);
            }
        }
        Screen::Confirm(id) => {
            let i18n = &state.i18n;
            if let Some(view) = screens::current_visit(ui, i18n, state.views.visit.as_ref(), &id) {
                let form = state.confirm_form.for_visit(&id);
                screens::confirm::show(ui, i18n, view, form, &mut out);
            }
        }
        Screen::Tank => screens::tank::show(ui, &state.i18n, &mut out),
        Screen::Farm(ede) => screens::farm::show(ui, &state.i18n, &ede, &mut out),
        Screen::MyTime => screens::my_time::show(ui, &state.i18n, &mut out),
        Screen::Settings => screens::settings::show(ui, &state.i18n, &mut state.prefs, &mut out),
    }
    for (kind, text) in out.toasts {
        state.toasts.push(kind, text);
    }
    state.outbox.extend(out.commands);
    if out.nav.is_some() {
        *nav = out.nav;
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
