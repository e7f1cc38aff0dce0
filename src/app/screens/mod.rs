//! One file per screen. A screen is a function of (i18n, view, its own form state) that draws
//! and fills an [`Out`]: where to go next, commands for the backend, notices to show.

pub mod confirm;
pub mod farm;
pub mod my_time;
pub mod settings;
pub mod tank;
pub mod today;
pub mod visit;

use egui::{RichText, Ui};

use super::Screen;
use super::i18n::I18n;
use super::kit::ToastKind;
use super::model::{Command, VisitView};
use crate::domain::VisitId;

/// A move between screens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Nav {
    /// Open a screen on top of this one (back returns here).
    To(Screen),
    /// Switch tab: the back trail starts again.
    Tab(Screen),
    Back,
}

/// What a screen's frame produced.
#[derive(Debug, Default)]
pub struct Out {
    pub nav: Option<Nav>,
    pub commands: Vec<Command>,
    pub toasts: Vec<(ToastKind, String)>,
}

impl Out {
    pub fn go(&mut self, screen: Screen) {
        self.nav = Some(Nav::To(screen));
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
