//! The cooperative's server, at the bottom of Settings: enrol the tablet (the server's address
//! and a one-time token, typed or pasted), then see where sync stands — everything on the
//! server or what waits, the last sync, the last failure in words — and sync now if need be.
//! Syncing itself runs in the background (`backend::sync`); this screen only shows it and asks.

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Paris;
use egui::{RichText, Ui};

use super::Out;
use crate::app::backend::sync::{server_address, token_text};
use crate::app::i18n::I18n;
use crate::app::kit::{self, FieldMessage};
use crate::app::model::{Command, Outcome, Refusal, SyncBadge, SyncInfo, SyncProblem, Ticket};
use crate::sync::Role;

/// The enrolment form.
#[derive(Debug, Clone, Default)]
pub struct ServerForm {
    pub server: String,
    pub server_refused: Option<String>,
    pub token: String,
    pub token_refused: Option<String>,
    pub awaiting: Option<Ticket>,
    /// Why the server or the network refused, when it is about neither field alone.
    pub refused: Option<String>,
    /// Enrolment went through on this screen (said under the heading).
    pub enrolled: bool,
    /// The way out for a copied tablet, opened to be confirmed with a new token.
    pub adopt_open: bool,
    pub adopt_token: String,
    pub adopt_refused: Option<String>,
    pub adopt_awaiting: Option<Ticket>,
}

/// Where sync stands in a few words: "everything is on the server", "N acts waiting".
pub fn status_text(i18n: &I18n, status: SyncBadge) -> String {
    match status {
        SyncBadge::NotEnrolled => i18n.t("sync.not_enrolled").to_owned(),
        SyncBadge::UpToDate => i18n.t("sync.up_to_date").to_owned(),
        SyncBadge::Waiting { acts: 0, events } => i18n.tn("sync.waiting_events", events),
        SyncBadge::Waiting { acts, .. } => i18n.tn("sync.waiting_acts", acts),
        SyncBadge::Unknown => i18n.t("sync.unknown").to_owned(),
    }
}

/// Why sync failed, in the user's language.
pub fn problem_text(i18n: &I18n, problem: &SyncProblem) -> String {
    match problem {
        SyncProblem::Unreachable(_) => i18n.t("sync_problem.unreachable").to_owned(),
        SyncProblem::TokenRefused => i18n.t("sync_problem.token_refused").to_owned(),
        SyncProblem::AlreadyEnrolled => i18n.t("sync_problem.already_enrolled").to_owned(),
        SyncProblem::NotRecognised(r) => i18n.tf("sync_problem.not_recognised", &[("reason", r)]),
        SyncProblem::TooOld => i18n.t("sync_problem.too_old").to_owned(),
        SyncProblem::NotTournee(_) => i18n.t("sync_problem.not_tournee").to_owned(),
        SyncProblem::Forked(r) => i18n.tf("sync_problem.forked", &[("reason", r)]),
        SyncProblem::Gap(g) => i18n.tf(
            "sync_problem.gap",
            &[
                ("from", &g.from.to_string()),
                ("to", &g.to.to_string()),
                ("after", &g.held_after.to_string()),
            ],
        ),
        SyncProblem::EventsRefused(r) => i18n.tf("sync_problem.events_refused", &[("reason", r)]),
        SyncProblem::Refused { status, reason } => i18n.tf(
            "sync_problem.refused",
            &[("status", &status.to_string()), ("reason", reason)],
        ),
        SyncProblem::Storage(e) => i18n.tf("sync_problem.storage", &[("error", e)]),
        SyncProblem::Protocol(e) => i18n.tf("sync_problem.protocol", &[("error", e)]),
    }
}

/// The technical detail of a failure (for whoever helps on the phone), if there is one.
fn problem_detail(problem: &SyncProblem) -> Option<&str> {
    match problem {
        SyncProblem::Unreachable(d) | SyncProblem::NotTournee(d) => Some(d),
        _ => None,
    }
}

/// An instant as the technician reads it: "aujourd'hui à 14:32", or "le 23/11/2026 à 14:32".
pub fn when(i18n: &I18n, at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&Paris);
    let time = i18n.time(local.time());
    if local.date_naive() == Utc::now().with_timezone(&Paris).date_naive() {
        i18n.tf("server.when_today", &[("time", &time)])
    } else {
        i18n.tf(
            "server.when_day",
            &[
                ("date", &i18n.date_short(local.date_naive())),
                ("time", &time),
            ],
        )
    }
}

/// The top bar's word on the last sync, next to the status: under way, when it last went
/// through, or that the last attempt failed (`true`: say it as a warning). `None`: not enrolled.
pub fn last_sync(i18n: &I18n, info: &SyncInfo) -> Option<(String, bool)> {
    info.server.as_ref()?;
    if info.syncing {
        return Some((i18n.t("server.bar_syncing").to_owned(), false));
    }
    if let Some((_, p)) = &info.last_failure {
        let text = match p {
            SyncProblem::Unreachable(_) => i18n.t("server.bar_unreachable"),
            // Retrying changes nothing: the technician must read why, in Settings.
            SyncProblem::Forked(_) | SyncProblem::Gap(_) | SyncProblem::EventsRefused(_) => {
                i18n.t("server.bar_refused")
            }
            _ => i18n.t("server.bar_failed"),
        };
        return Some((text.to_owned(), true));
    }
    let at = info.last_success?;
    Some((
        i18n.tf("server.bar_synced", &[("when", &when(i18n, at))]),
        false,
    ))
}

fn account_text(i18n: &I18n, role: &Role) -> String {
    match role {
        Role::Technician { id, name } => i18n.tf(
            "server.account_technician",
            &[("id", id.as_str()), ("name", name)],
        ),
        Role::Supervisor { id, team } => {
            let team: Vec<&str> = team.iter().map(|t| t.as_str()).collect();
            i18n.tf(
                "server.account_supervisor",
                &[("id", id.as_str()), ("team", &team.join(", "))],
            )
        }
        Role::Farmer { farm } => i18n.tf("server.account_farmer", &[("ede", farm.as_str())]),
    }
}

pub fn show(
    ui: &mut Ui,
    i18n: &I18n,
    status: SyncBadge,
    info: &SyncInfo,
    form: &mut ServerForm,
    out: &mut Out,
) {
    if let Some(outcome) = out.answer(&mut form.awaiting) {
        match outcome {
            Outcome::Saved { .. } => {
                form.enrolled = true;
                form.token.clear();
            }
            Outcome::Refused(Refusal::Sync(p)) => {
                let text = problem_text(i18n, &p);
                match p {
                    SyncProblem::TokenRefused => form.token_refused = Some(text),
                    SyncProblem::Unreachable(_) | SyncProblem::NotTournee(_) => {
                        form.server_refused = Some(text)
                    }
                    _ => form.refused = Some(text),
                }
            }
            Outcome::Refused(r) => form.refused = Some(super::refusal_text(i18n, &r)),
        }
    }
    if let Some(outcome) = out.answer(&mut form.adopt_awaiting) {
        match outcome {
            Outcome::Saved { .. } => {
                form.adopt_open = false;
                form.adopt_token.clear();
                form.adopt_refused = None;
            }
            Outcome::Refused(Refusal::Sync(p)) => {
                // A token the server refused is spent or unknown: the next one is typed anew.
                if p == SyncProblem::TokenRefused {
                    form.adopt_token.clear();
                }
                form.adopt_refused = Some(problem_text(i18n, &p));
            }
            Outcome::Refused(r) => form.adopt_refused = Some(super::refusal_text(i18n, &r)),
        }
    }
    kit::section_heading(ui, i18n.t("server.heading"));
    match &info.server {
        None => enrolment(ui, i18n, form, out),
        Some(server) => standing(ui, i18n, status, info, server, form, out),
    }
}

fn enrolment(ui: &mut Ui, i18n: &I18n, form: &mut ServerForm, out: &mut Out) {
    ui.label(i18n.t("server.not_enrolled"));
    let mut edited = kit::checked_text_field(
        ui,
        i18n.t("server.address"),
        &mut form.server,
        i18n.t("server.address_hint"),
        form.server_refused.as_deref(),
    )
    .changed();
    edited |= kit::checked_text_field(
        ui,
        i18n.t("server.token"),
        &mut form.token,
        i18n.t("server.token_hint"),
        form.token_refused.as_deref(),
    )
    .changed();
    if edited {
        form.refused = None;
    }
    if let Some(r) = &form.refused {
        kit::field_message(ui, &FieldMessage::Error(r.clone()));
    }
    let busy = form.awaiting.is_some();
    if kit::waiting_button(
        ui,
        i18n.t("server.enroll"),
        i18n.t("server.enrolling"),
        busy,
    )
    .clicked()
    {
        enroll(i18n, form, out);
    }
}

fn enroll(i18n: &I18n, form: &mut ServerForm, out: &mut Out) {
    form.refused = None;
    let server = server_address(&form.server);
    form.server_refused = match (&server, form.server.trim().is_empty()) {
        (_, true) => Some(i18n.t("server.address_empty").to_owned()),
        (None, false) => Some(i18n.t("server.address_invalid").to_owned()),
        (Some(_), false) => None,
    };
    let token = token_text(&form.token);
    form.token_refused = token
        .is_none()
        .then(|| i18n.t("server.token_empty").to_owned());
    if let (Some(server), Some(token)) = (server, token) {
        form.server = server.clone();
        form.awaiting = Some(out.send(Command::Enroll { server, token }));
    }
}

fn standing(
    ui: &mut Ui,
    i18n: &I18n,
    status: SyncBadge,
    info: &SyncInfo,
    server: &str,
    form: &mut ServerForm,
    out: &mut Out,
) {
    if form.enrolled {
        kit::field_message(ui, &FieldMessage::Ok(i18n.t("server.enrolled").to_owned()));
    }
    ui.label(i18n.tf("server.server", &[("server", server)]));
    if let Some(role) = &info.account {
        ui.label(account_text(i18n, role));
    }
    ui.label(RichText::new(status_text(i18n, status)).strong());
    match info.last_success {
        Some(at) => {
            ui.label(i18n.tf("server.last_success", &[("when", &when(i18n, at))]));
            if let Some((sent, received)) = info.last_moved {
                ui.label(
                    RichText::new(i18n.tf(
                        "server.moved",
                        &[
                            ("sent", &i18n.tn("server.sent", sent)),
                            ("received", &i18n.tn("server.received", received)),
                        ],
                    ))
                    .weak(),
                );
            }
        }
        None => {
            ui.label(i18n.t("server.never"));
        }
    }
    if let Some((at, problem)) = &info.last_failure {
        kit::field_message(
            ui,
            &FieldMessage::Error(i18n.tf(
                "server.last_failure",
                &[
                    ("when", &when(i18n, *at)),
                    ("problem", &problem_text(i18n, problem)),
                ],
            )),
        );
        if let Some(d) = problem_detail(problem) {
            ui.label(RichText::new(d).weak().small());
        }
        ui.label(RichText::new(i18n.t("server.retries")).weak());
        if matches!(problem, SyncProblem::Forked(_) | SyncProblem::Gap(_))
            || form.adopt_awaiting.is_some()
        {
            adopt_offer(ui, i18n, form, out);
        }
    }
    if let Some(a) = &info.adopted {
        kit::field_message(
            ui,
            &FieldMessage::Ok(i18n.tf(
                "server.adopted",
                &[
                    ("adopted", &i18n.tn("server.adopted_events", a.adopted)),
                    ("held", &i18n.tn("server.adopted_events", a.already_held)),
                    ("copy", &a.copy),
                ],
            )),
        );
    }
    let label = if info.syncing {
        i18n.t("server.syncing")
    } else {
        i18n.t("server.sync_now")
    };
    if kit::primary_button(ui, label, !info.syncing).clicked() {
        out.send(Command::SyncNow);
    }
}

/// The way out for a copied tablet: a button, then what it does and a new token to confirm it
/// with (`Command::Adopt`); the backend answers once the new identity holds the copy's acts.
fn adopt_offer(ui: &mut Ui, i18n: &I18n, form: &mut ServerForm, out: &mut Out) {
    if !form.adopt_open {
        if kit::primary_button(ui, i18n.t("server.adopt"), true).clicked() {
            form.adopt_open = true;
        }
        return;
    }
    ui.label(i18n.t("server.adopt_explain"));
    if kit::checked_text_field(
        ui,
        i18n.t("server.adopt_token"),
        &mut form.adopt_token,
        i18n.t("server.token_hint"),
        form.adopt_refused.as_deref(),
    )
    .changed()
    {
        form.adopt_refused = None;
    }
    let busy = form.adopt_awaiting.is_some();
    if kit::waiting_button(
        ui,
        i18n.t("server.adopt_confirm"),
        i18n.t("server.adopting"),
        busy,
    )
    .clicked()
    {
        match token_text(&form.adopt_token) {
            None => form.adopt_refused = Some(i18n.t("server.token_empty").to_owned()),
            Some(token) => form.adopt_awaiting = Some(out.send(Command::Adopt { token })),
        }
    }
    if !busy && kit::big_button(ui, i18n.t("server.adopt_cancel")).clicked() {
        form.adopt_open = false;
        form.adopt_refused = None;
    }
}
