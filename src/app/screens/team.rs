//! The supervisor's team: one row per technician and week (this week and the last), flags in
//! colour, the review status. A row opens to the week's figures, the chart of the last twelve
//! weeks against the limits, approve / send back with a comment, and the technician's coming
//! visits, which can be moved one by one or a whole day to another technician of the team.
//!
//! Only a tablet enrolled as a supervisor shows this screen; the backend and the server check
//! it again.

use egui::{RichText, Ui};

use super::{Form, Out, Show};
use crate::app::i18n::I18n;
use crate::app::kit::{self, FieldMessage, RowContent};
use crate::app::model::{Command, Outcome, TeamMember, TeamView, Ticket, WeekTime};
use crate::app::widgets::week_chart;
use crate::domain::{ReviewDecision, TechnicianId, VisitId, Week};

/// Weeks listed for review per technician, the newest first.
const ROWS_PER_MEMBER: usize = 2;

/// What the screen remembers: the row opened, the comment typed, where visits go.
#[derive(Debug, Clone, Default)]
pub struct TeamForm {
    pub open: Option<(TechnicianId, Week)>,
    pub comment: String,
    pub reassign_to: Option<TechnicianId>,
    awaiting: Option<Ticket>,
    message: Option<FieldMessage>,
}

impl Form for TeamForm {
    type View = TeamView;
    const SHOW: Show<Self> = show;
}

pub fn show(ui: &mut Ui, i18n: &I18n, view: Option<&TeamView>, form: &mut TeamForm, out: &mut Out) {
    let Some(view) = view else {
        ui.label(RichText::new(i18n.t("team.loading")).weak());
        return;
    };
    let Some(supervisor) = &view.supervisor else {
        kit::field_message(
            ui,
            &FieldMessage::Hint(i18n.t("team.not_supervisor").to_owned()),
        );
        return;
    };
    if let Some(outcome) = out.answer(&mut form.awaiting) {
        form.message = Some(match outcome {
            Outcome::Saved { .. } => {
                form.comment.clear();
                FieldMessage::Ok(i18n.t("team.saved").to_owned())
            }
            Outcome::Refused(r) => FieldMessage::Error(super::refusal_text(i18n, &r)),
        });
    }
    ui.label(RichText::new(i18n.tf("team.of", &[("supervisor", supervisor)])).weak());
    refused(ui, i18n, view);
    if view.members.is_empty() {
        ui.label(RichText::new(i18n.t("team.empty")).weak());
    }
    for member in &view.members {
        kit::section_heading(ui, &member.name);
        if let Some(e) = &member.error {
            kit::field_message(
                ui,
                &FieldMessage::Error(i18n.tf("my_time.error", &[("error", e)])),
            );
            continue;
        }
        for week in member.weeks.iter().rev().take(ROWS_PER_MEMBER) {
            let key = (member.technician.clone(), week.week);
            let open = form.open.as_ref() == Some(&key);
            if kit::list_row(ui, &row(ui, i18n, member, week)).clicked() {
                form.open = if open { None } else { Some(key) };
                form.message = None;
                form.comment.clear();
            }
            if open {
                kit::card(ui, |ui| opened(ui, i18n, view, member, week, form, out));
            }
        }
    }
    if let Some(fertility) = &view.fertility {
        super::fertility::team(ui, i18n, fertility);
    }
}

/// The team's tablets whose events the server refuses, first: they wait until the technician
/// takes them over under a new identity (a copied store) or the supervisor sorts out the right.
fn refused(ui: &mut Ui, i18n: &I18n, view: &TeamView) {
    if view.refused.is_empty() {
        return;
    }
    kit::section_heading(ui, i18n.t("team.refused"));
    for r in &view.refused {
        let why = if r.forked {
            i18n.t("team.refused_forked")
        } else {
            i18n.t("team.refused_forbidden")
        };
        let text = i18n.tf(
            "team.refused_row",
            &[
                ("name", &r.name),
                ("label", &r.label),
                ("device", &r.device),
                ("when", &super::server::when(i18n, r.at)),
                ("why", why),
            ],
        );
        kit::field_message(ui, &FieldMessage::Error(text));
        ui.label(RichText::new(&r.reason).weak().small());
    }
}

fn row(ui: &Ui, i18n: &I18n, member: &TeamMember, week: &WeekTime) -> RowContent {
    let p = kit::current_palette(ui.ctx());
    let (status, color) = match &week.review {
        None => (i18n.t("review.to_review"), p.warning),
        Some(r) if r.decision == ReviewDecision::Approved => {
            (i18n.t("review.approved_short"), p.ok)
        }
        Some(_) => (i18n.t("review.sent_back_short"), p.error),
    };
    RowContent {
        title: i18n.tf(
            "team.row",
            &[
                ("name", &member.name),
                ("week", &week.week.week.to_string()),
            ],
        ),
        subtitle: i18n.tf(
            "team.row_figures",
            &[
                ("total", &i18n.duration(week.total_seconds)),
                ("average", &i18n.duration(week.average_seconds)),
            ],
        ),
        detail: (!week.flags.is_empty()).then(|| {
            week.flags
                .iter()
                .map(|f| i18n.t_dyn(&format!("flag.{f}")))
                .collect::<Vec<_>>()
                .join(" · ")
        }),
        status: Some((status.to_owned(), color)),
        flag: (!week.flags.is_empty()).then(|| ("!".to_owned(), p.error)),
    }
}

fn opened(
    ui: &mut Ui,
    i18n: &I18n,
    view: &TeamView,
    member: &TeamMember,
    week: &WeekTime,
    form: &mut TeamForm,
    out: &mut Out,
) {
    ui.label(i18n.tf("team.week_of", &[("monday", &i18n.date_long(week.monday))]));
    super::my_time::parts(
        ui,
        i18n,
        [
            week.forfait_seconds,
            week.travel_seconds,
            week.other_seconds,
        ],
    );
    super::my_time::flags(ui, i18n, &week.flags);
    super::my_time::review_line(ui, i18n, week.review.as_ref());
    let id = format!("{}-{}", member.technician, week.week.week);
    week_chart(ui, i18n, &id, &member.weeks, view.limits);

    let waiting = form.awaiting.is_some();
    if kit::primary_button(ui, i18n.t("team.approve"), !waiting).clicked() {
        form.awaiting = Some(out.send(Command::ReviewWeek {
            technician: member.technician.clone(),
            week: week.week,
            decision: ReviewDecision::Approved,
        }));
    }
    kit::text_field(
        ui,
        i18n.t("team.comment"),
        &mut form.comment,
        i18n.t("team.comment_hint"),
    );
    if kit::big_button(ui, i18n.t("team.send_back")).clicked() && !waiting {
        form.awaiting = Some(out.send(Command::ReviewWeek {
            technician: member.technician.clone(),
            week: week.week,
            decision: ReviewDecision::SentBack {
                comment: form.comment.clone(),
            },
        }));
    }
    if let Some(m) = &form.message {
        kit::field_message(ui, m);
    }
    reassignment(ui, i18n, view, member, form, out);
}

/// The technician's coming visits, to move to another technician of the team.
fn reassignment(
    ui: &mut Ui,
    i18n: &I18n,
    view: &TeamView,
    member: &TeamMember,
    form: &mut TeamForm,
    out: &mut Out,
) {
    kit::section_heading(ui, i18n.t("team.reassign"));
    if member.days.is_empty() {
        ui.label(RichText::new(i18n.t("team.no_visits")).weak());
        return;
    }
    let others: Vec<&TeamMember> = view
        .members
        .iter()
        .filter(|m| m.technician != member.technician)
        .collect();
    if others.is_empty() {
        ui.label(RichText::new(i18n.t("team.nobody_else")).weak());
        return;
    }
    if form
        .reassign_to
        .as_ref()
        .is_none_or(|t| !others.iter().any(|m| &m.technician == t))
    {
        form.reassign_to = None;
    }
    ui.label(i18n.t("team.reassign_to"));
    ui.horizontal_wrapped(|ui| {
        for m in &others {
            let selected = form.reassign_to.as_ref() == Some(&m.technician);
            let label = i18n.tf("team.give_to", &[("name", &m.name)]);
            if kit::choice_button(ui, selected, &label).clicked() {
                form.reassign_to = Some(m.technician.clone());
            }
        }
    });
    let Some(to) = form.reassign_to.clone() else {
        return;
    };
    let waiting = form.awaiting.is_some();
    for (day, visits) in &member.days {
        ui.separator();
        let day_text = super::today::capitalise(&i18n.date_long(*day));
        ui.label(
            RichText::new(format!(
                "{day_text} · {}",
                i18n.tn("today.count", visits.len() as u64)
            ))
            .strong(),
        );
        let day_words = i18n.date_long(*day);
        if kit::big_button(ui, &i18n.tf("team.reassign_day", &[("day", &day_words)])).clicked()
            && !waiting
        {
            send_reassign(
                form,
                out,
                visits.iter().map(|v| v.id.clone()).collect(),
                &to,
            );
        }
        for v in visits {
            ui.horizontal(|ui| {
                ui.label(&v.farm_name);
                let label = i18n.tf(
                    "team.reassign_visit",
                    &[("farm", &v.farm_name), ("day", &day_text)],
                );
                if ui
                    .add(egui::Button::new(label).min_size(egui::vec2(0.0, kit::MIN_TARGET)))
                    .clicked()
                    && !waiting
                {
                    send_reassign(form, out, vec![v.id.clone()], &to);
                }
            });
        }
    }
}

fn send_reassign(form: &mut TeamForm, out: &mut Out, visits: Vec<VisitId>, to: &TechnicianId) {
    form.awaiting = Some(out.send(Command::Reassign {
        visits,
        to: to.clone(),
    }));
}
