//! The declaration queue: every insemination not yet accepted by the national genetic
//! information system, by deadline (14 days), late ones and those due within days in colour,
//! with what is sent and waiting for an answer and what was refused. The technician sees
//! theirs; a supervisor's tablet the team's.

use egui::{RichText, Ui};

use super::{Out, Page, PageCtx, Paged};
use crate::app::Screen;
use crate::app::i18n::I18n;
use crate::app::kit::{self, RowContent};
use crate::app::model::{DeclarationRow, DeclarationsView};
use crate::declare::{DeclarationKind, DeclarationStatus, DueState};

/// The declaration queue screen: the view last built for it, nothing else (it has no form).
pub type DeclarationsPage = Paged<DeclarationsView>;

impl Page for DeclarationsPage {
    fn show(&mut self, ui: &mut Ui, _: &Screen, ctx: &mut PageCtx) {
        show(ui, ctx.i18n, self.view.as_ref(), &mut ctx.out);
    }
}

pub fn show(ui: &mut Ui, i18n: &I18n, view: Option<&DeclarationsView>, _out: &mut Out) {
    let Some(view) = view else {
        ui.label(RichText::new(i18n.t("declarations.loading")).weak());
        return;
    };
    let count = |u: DueState| view.rows.iter().filter(|r| r.due_state == u).count() as u64;
    let p = kit::current_palette(ui.ctx());
    ui.horizontal_wrapped(|ui| {
        kit::status_chip(
            ui,
            &i18n.tn("declarations.late", count(DueState::Late)),
            p.error,
        );
        kit::status_chip(
            ui,
            &i18n.tn("declarations.due_soon", count(DueState::DueSoon)),
            p.warning,
        );
        kit::status_chip(
            ui,
            &i18n.tn("declarations.pending", count(DueState::Pending)),
            p.todo,
        );
    });
    if view.team {
        ui.label(RichText::new(i18n.t("declarations.team")).weak());
    }
    if view.rows.is_empty() {
        ui.label(RichText::new(i18n.t("declarations.none")).weak());
        return;
    }
    for r in &view.rows {
        kit::list_row(ui, &row(ui, i18n, r));
    }
    ui.label(RichText::new(i18n.t("declarations.rule")).weak());
}

fn row(ui: &Ui, i18n: &I18n, r: &DeclarationRow) -> RowContent {
    let p = kit::current_palette(ui.ctx());
    let d = &r.declaration;
    let deadline = i18n.tf(
        "declarations.deadline",
        &[("date", &i18n.date_short(d.deadline()))],
    );
    let (status, color) = match (&d.status, r.due_state) {
        (DeclarationStatus::Sent { .. }, _) => {
            (i18n.t("declarations.sent").to_owned(), p.in_progress)
        }
        (DeclarationStatus::Refused { reason, .. }, _) => (
            i18n.tf("declarations.refused", &[("reason", reason)]),
            p.error,
        ),
        (_, DueState::Late) => (i18n.t("declarations.status_late").to_owned(), p.error),
        (_, DueState::DueSoon) => (i18n.t("declarations.status_due_soon").to_owned(), p.warning),
        _ => (i18n.t("declarations.status_pending").to_owned(), p.todo),
    };
    let animals = if r.animals.is_empty() {
        i18n.tn("declarations.doses", u64::from(r.count))
    } else {
        r.animals
            .iter()
            .map(|a| super::animal_text(a, crate::domain::Species::Bovine))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let kind = match &d.kind {
        DeclarationKind::Initial => None,
        DeclarationKind::Correction { .. } => Some(i18n.t("declarations.correction")),
        DeclarationKind::Cancellation => Some(i18n.t("declarations.cancellation")),
    };
    let mut subtitle = format!("{} · {animals}", i18n.date_short(d.date));
    if let Some(bull) = &r.bull_name {
        subtitle.push_str(" · ");
        subtitle.push_str(bull);
    }
    if let Some(t) = &r.technician {
        subtitle.push_str(" · ");
        subtitle.push_str(t);
    }
    RowContent {
        title: format!("{} · {deadline}", r.farm_name),
        subtitle,
        detail: kind.map(str::to_owned),
        status: Some((status, color)),
        flag: matches!(r.due_state, DueState::Late | DueState::DueSoon).then(|| {
            (
                "!".to_owned(),
                if r.due_state == DueState::Late {
                    p.error
                } else {
                    p.warning
                },
            )
        }),
    }
}
