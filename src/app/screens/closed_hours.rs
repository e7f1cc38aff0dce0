//! The farm screen's closed hours (milking): the spans recorded, each removed with one tap, the
//! evening and morning milkings added with one tap, and any span typed as from and to. The
//! planner keeps the farm's visits out of them (`tour::day`).
//!
//! A span is checked here as it is typed, so the technician reads in words what is wrong
//! (which time, what was expected) before anything is sent; the backend checks it again.

use egui::{RichText, Ui};

use super::Out;
use crate::app::i18n::I18n;
use crate::app::kit::{self, FieldMessage};
use crate::app::model::{Command, Outcome, Ticket};
use crate::domain::farm::{
    CLOSED_EXPECTED_APART, CLOSED_EXPECTED_FEW, CLOSED_EXPECTED_ORDER, check_closed, parse_hhmm,
};
use crate::domain::{ClosedSpan, DomainError, Ede};

/// The milkings a tap adds: what most herds keep (a morning, an evening).
const PRESETS: [(&str, ClosedSpan); 2] = [
    (
        "closed.preset_morning",
        ClosedSpan {
            from: 6 * 60 + 30,
            to: 8 * 60,
        },
    ),
    (
        "closed.preset_evening",
        ClosedSpan {
            from: 17 * 60,
            to: 18 * 60 + 30,
        },
    ),
];

/// The span being typed, and the answer to the last change sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedHoursForm {
    pub from: String,
    pub to: String,
    awaiting: Option<Ticket>,
    message: Option<String>,
    failed: Option<String>,
}

impl Default for ClosedHoursForm {
    /// The evening milking, ready to change: the span most often typed.
    fn default() -> ClosedHoursForm {
        let evening = PRESETS[1].1;
        ClosedHoursForm {
            from: crate::domain::farm::hhmm(evening.from),
            to: crate::domain::farm::hhmm(evening.to),
            awaiting: None,
            message: None,
            failed: None,
        }
    }
}

/// A refused span in words: which one, and what was expected.
pub fn refusal_text(i18n: &I18n, e: &DomainError) -> String {
    let key = if e.expected == CLOSED_EXPECTED_ORDER {
        "closed.refused_order"
    } else if e.expected.starts_with(CLOSED_EXPECTED_APART) {
        "closed.refused_overlap"
    } else if e.expected == CLOSED_EXPECTED_FEW {
        "closed.refused_few"
    } else if e.field.ends_with(".from") {
        "closed.refused_from"
    } else {
        "closed.refused_to"
    };
    i18n.tf(key, &[("value", &e.value)])
}

/// The spans with `new` added, by start, checked.
fn with_added(spans: &[ClosedSpan], new: ClosedSpan) -> Result<Vec<ClosedSpan>, DomainError> {
    let mut all = spans.to_vec();
    all.push(new);
    all.sort();
    check_closed("closed", &all)?;
    Ok(all)
}

pub fn show(
    ui: &mut Ui,
    i18n: &I18n,
    ede: &Ede,
    spans: &[ClosedSpan],
    form: &mut ClosedHoursForm,
    out: &mut Out,
) {
    kit::section_heading(ui, i18n.t("closed.title"));
    if let Some(Outcome::Refused(r)) = out.answer(&mut form.awaiting) {
        form.message = None;
        form.failed = Some(super::refusal_text(i18n, &r));
    }
    let waiting = form.awaiting.is_some();
    let mut send = |form: &mut ClosedHoursForm, closed: Vec<ClosedSpan>, message: String| {
        form.failed = None;
        form.message = Some(message);
        form.awaiting = Some(out.send(Command::SetClosedHours {
            farm: ede.clone(),
            closed,
        }));
    };
    if spans.is_empty() {
        ui.label(RichText::new(i18n.t("closed.none")).weak());
    }
    for (i, s) in spans.iter().enumerate() {
        let text = s.text();
        ui.label(RichText::new(i18n.tf("closed.span", &[("span", &text)])).strong());
        let remove = i18n.tf("closed.remove", &[("span", &text)]);
        if kit::big_button(ui, &remove).clicked() && !waiting {
            let mut rest = spans.to_vec();
            rest.remove(i);
            send(form, rest, i18n.tf("closed.removed", &[("span", &text)]));
        }
    }
    for (key, preset) in PRESETS {
        if spans.contains(&preset) || spans.len() >= crate::domain::farm::MAX_CLOSED_SPANS {
            continue;
        }
        let text = preset.text();
        if kit::big_button(ui, &i18n.tf(key, &[("span", &text)])).clicked() && !waiting {
            match with_added(spans, preset) {
                Ok(all) => send(form, all, i18n.tf("closed.saved", &[("span", &text)])),
                Err(e) => {
                    form.message = None;
                    form.failed = Some(refusal_text(i18n, &e));
                }
            }
        }
    }
    ui.horizontal(|ui| {
        let half = (ui.available_width() - ui.spacing().item_spacing.x) / 2.0;
        ui.vertical(|ui| {
            ui.set_width(half);
            kit::text_field(ui, i18n.t("closed.from"), &mut form.from, "17:00");
        });
        ui.vertical(|ui| {
            ui.set_width(half);
            kit::text_field(ui, i18n.t("closed.to"), &mut form.to, "18:30");
        });
    });
    if kit::big_button(ui, i18n.t("closed.add")).clicked() && !waiting {
        let typed = parse_hhmm("closed.from", &form.from)
            .and_then(|from| {
                Ok(ClosedSpan {
                    from,
                    to: parse_hhmm("closed.to", &form.to)?,
                })
            })
            .and_then(|span| with_added(spans, span).map(|all| (span, all)));
        match typed {
            Ok((span, all)) => send(
                form,
                all,
                i18n.tf("closed.saved", &[("span", &span.text())]),
            ),
            Err(e) => {
                form.message = None;
                form.failed = Some(refusal_text(i18n, &e));
            }
        }
    }
    if let Some(e) = &form.failed {
        kit::field_message(ui, &FieldMessage::Error(e.clone()));
    } else if let Some(m) = form.message.as_ref().filter(|_| !waiting) {
        kit::field_message(ui, &FieldMessage::Ok(m.clone()));
    }
}
