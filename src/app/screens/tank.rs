//! The dose tank: doses per bull (number, name, breed, collection centre and batch), received,
//! used and left, with a warning when a bull runs low; straws received (identified once by the
//! code printed on them, typed or scanned: a barcode scanner's burst on this screen opens the
//! receipt with the code read), and the count corrected after counting by hand, with a reason.

use egui::{RichText, Ui};

use super::{Out, Page, PageCtx, Paged, refusal_text};
use crate::app::Screen;
use crate::app::i18n::I18n;
use crate::app::kit::{self, FieldMessage, RowContent};
use crate::app::model::{Command, LOW_STOCK, Outcome, TankLine, TankView, Ticket};
use crate::app::widgets::{count_field, parse_count};
use crate::domain::tank::MAX_DOSES;
use crate::domain::{BullId, PrintedCode, Straw};

/// Straws being received.
#[derive(Debug, Clone, Default)]
pub struct ReceiveForm {
    pub code: String,
    /// The code as last read into the fields (so typing in a field is not overwritten).
    pub code_read: String,
    pub code_message: Option<FieldMessage>,
    pub bull: String,
    pub bull_refused: Option<String>,
    pub name: String,
    pub name_refused: Option<String>,
    pub breed: String,
    pub breed_refused: Option<String>,
    pub centre: String,
    pub batch: String,
    pub count: String,
    pub count_refused: Option<String>,
}

/// A bull's doses being counted.
#[derive(Debug, Clone, Default)]
pub struct CountForm {
    pub bull: Option<BullId>,
    pub counted: String,
    pub counted_refused: Option<String>,
    pub reason: String,
    pub reason_refused: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct TankForm {
    pub receiving: Option<ReceiveForm>,
    pub counting: Option<CountForm>,
    pub awaiting: Option<Ticket>,
    pub refused: Option<String>,
}

/// The dose tank screen: the view last built for it, and its form.
pub type TankPage = Paged<TankView, TankForm>;

impl Page for TankPage {
    fn show(&mut self, ui: &mut Ui, _: &Screen, ctx: &mut PageCtx) {
        let scanned = ctx.scanned.take();
        show(
            ui,
            ctx.i18n,
            self.view.as_ref(),
            &mut self.form,
            scanned,
            &mut ctx.out,
        );
    }
}

pub fn show(
    ui: &mut Ui,
    i18n: &I18n,
    view: Option<&TankView>,
    form: &mut TankForm,
    scanned: Option<String>,
    out: &mut Out,
) {
    if let Some(outcome) = out.answer(&mut form.awaiting) {
        match outcome {
            Outcome::Saved { .. } => {
                form.receiving = None;
                form.counting = None;
                form.refused = None;
            }
            Outcome::Refused(r) => {
                let text = refusal_text(i18n, &r);
                match (r.field(), &mut form.counting) {
                    (Some("counted"), Some(c)) => c.counted_refused = Some(text),
                    (Some("reason"), Some(c)) => c.reason_refused = Some(text),
                    _ => form.refused = Some(text),
                }
            }
        }
    }
    let Some(view) = view else {
        ui.label(RichText::new(i18n.t("tank.loading")).weak());
        return;
    };
    if form.receiving.is_none() && kit::big_button(ui, i18n.t("tank.receive")).clicked() {
        form.receiving = Some(ReceiveForm::default());
        form.counting = None;
    }
    if let Some(code) = scanned {
        form.counting = None;
        form.receiving.get_or_insert_with(ReceiveForm::default).code = code;
    }
    if let Some(r) = &mut form.receiving {
        let mut cancel = false;
        let send = kit::card(ui, |ui| receive_panel(ui, i18n, view, r, &mut cancel));
        panel_done(&mut form.receiving, &mut form.awaiting, send, cancel, out);
    }
    if let Some(r) = &form.refused {
        kit::field_message(ui, &FieldMessage::Error(r.clone()));
    }

    kit::section_heading(ui, i18n.t("tank.doses_heading"));
    if view.lines.is_empty() {
        ui.label(RichText::new(i18n.t("tank.empty")).weak());
    }
    let total: i64 = view.lines.iter().map(|l| l.left.max(0)).sum();
    ui.label(RichText::new(i18n.tn("tank.total", total as u64)).weak());
    let p = kit::current_palette(ui.ctx());
    for line in &view.lines {
        let name = line
            .straw
            .as_ref()
            .map_or_else(|| line.bull.to_string(), |s| s.bull_name.clone());
        let mut subtitle = line.bull.to_string();
        if let Some(s) = &line.straw {
            subtitle.push_str(" · ");
            subtitle.push_str(&i18n.tf("tank.breed", &[("breed", &s.breed)]));
            if let Some(c) = &s.centre {
                subtitle.push_str(" · ");
                subtitle.push_str(&i18n.tf("tank.centre", &[("centre", c)]));
            }
            if let Some(b) = &s.batch {
                subtitle.push_str(" · ");
                subtitle.push_str(&i18n.tf("tank.batch", &[("batch", b)]));
            }
        }
        let mut detail = i18n.tf(
            "tank.movements",
            &[
                ("received", &i18n.integer(line.received)),
                ("used", &i18n.integer(line.used)),
            ],
        );
        if line.corrected != 0 {
            detail.push_str(" · ");
            detail.push_str(&i18n.tf("tank.corrected", &[("n", &i18n.signed(line.corrected))]));
        }
        let low = line.left <= LOW_STOCK;
        let status = if low {
            (
                i18n.tf(
                    "tank.low",
                    &[("doses", &i18n.tn("tank.doses", line.left.max(0) as u64))],
                ),
                p.warning,
            )
        } else {
            (i18n.tn("tank.doses", line.left.max(0) as u64), p.ok)
        };
        let row = RowContent {
            title: name,
            subtitle,
            detail: Some(detail),
            status: Some(status),
            flag: low.then(|| (String::new(), p.warning)),
        };
        if kit::list_row(ui, &row).clicked() {
            form.receiving = None;
            form.counting = Some(CountForm {
                bull: Some(line.bull.clone()),
                ..CountForm::default()
            });
        }
        if let Some(c) = &mut form.counting
            && c.bull.as_ref() == Some(&line.bull)
        {
            let mut cancel = false;
            let send = kit::card(ui, |ui| count_panel(ui, i18n, line, c, &mut cancel));
            panel_done(&mut form.counting, &mut form.awaiting, send, cancel, out);
        }
    }
}

/// After a panel's frame: its command sent (and awaited), or the panel closed.
fn panel_done<T>(
    panel: &mut Option<T>,
    awaiting: &mut Option<Ticket>,
    send: Option<Command>,
    cancel: bool,
    out: &mut Out,
) {
    if let Some(command) = send {
        *awaiting = Some(out.send(command));
    }
    if cancel {
        *panel = None;
    }
}

fn optional(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

fn receive_panel(
    ui: &mut Ui,
    i18n: &I18n,
    view: &TankView,
    r: &mut ReceiveForm,
    cancel: &mut bool,
) -> Option<Command> {
    kit::section_heading(ui, i18n.t("tank.receive_heading"));
    if kit::code_field(
        ui,
        i18n.t("tank.code"),
        &mut r.code,
        i18n.t("tank.code_hint"),
        &mut r.code_read,
    ) {
        r.code_message = if r.code.trim().is_empty() {
            None
        } else {
            match PrintedCode::parse("code", &r.code) {
                Ok(c) => {
                    r.bull = c.bull.to_string();
                    r.bull_refused = None;
                    // A bull already in the tank: its name is known.
                    if let Some(s) = view
                        .lines
                        .iter()
                        .find(|l| l.bull == c.bull)
                        .and_then(|l| l.straw.as_ref())
                    {
                        r.name = s.bull_name.clone();
                    }
                    r.breed = c.breed.unwrap_or_default();
                    r.centre = c.centre.unwrap_or_default();
                    r.batch = c.batch.unwrap_or_default();
                    Some(FieldMessage::Ok(i18n.t("tank.code_read").to_owned()))
                }
                Err(_) => Some(FieldMessage::Hint(i18n.t("tank.code_unread").to_owned())),
            }
        };
    }
    if let Some(m) = &r.code_message {
        kit::field_message(ui, m);
    }
    let field = |ui: &mut Ui, label: &str, value: &mut String, refused: &Option<String>| {
        kit::checked_text_field(ui, label, value, "", refused.as_deref());
    };
    field(ui, i18n.t("tank.bull_number"), &mut r.bull, &r.bull_refused);
    field(ui, i18n.t("tank.bull_name"), &mut r.name, &r.name_refused);
    field(
        ui,
        i18n.t("tank.breed_field"),
        &mut r.breed,
        &r.breed_refused,
    );
    field(ui, i18n.t("tank.centre_field"), &mut r.centre, &None);
    field(ui, i18n.t("tank.batch_field"), &mut r.batch, &None);
    count_field(
        ui,
        i18n,
        i18n.t("tank.received_count"),
        &mut r.count,
        &mut r.count_refused,
        MAX_DOSES,
    );
    let mut command = None;
    if kit::primary_button(ui, i18n.t("tank.record_receipt"), true).clicked() {
        let bull = BullId::parse("bull", &r.bull);
        r.bull_refused = bull
            .is_err()
            .then(|| i18n.t("tank.bull_number_invalid").to_owned());
        r.name_refused = r
            .name
            .trim()
            .is_empty()
            .then(|| i18n.t("tank.name_missing").to_owned());
        r.breed_refused = r
            .breed
            .trim()
            .is_empty()
            .then(|| i18n.t("tank.breed_missing").to_owned());
        let count = parse_count(i18n, &r.count, MAX_DOSES);
        r.count_refused = count.as_ref().err().cloned();
        if let (Ok(bull), Ok(count), None, None) = (bull, count, &r.name_refused, &r.breed_refused)
        {
            command = Some(Command::ReceiveDoses {
                straw: Straw {
                    bull,
                    bull_name: r.name.trim().to_owned(),
                    breed: r.breed.trim().to_owned(),
                    centre: optional(&r.centre),
                    batch: optional(&r.batch),
                },
                count,
            });
        }
    }
    if kit::big_button(ui, i18n.t("tank.cancel")).clicked() {
        *cancel = true;
    }
    command
}

fn count_panel(
    ui: &mut Ui,
    i18n: &I18n,
    line: &TankLine,
    c: &mut CountForm,
    cancel: &mut bool,
) -> Option<Command> {
    ui.label(i18n.tf(
        "tank.count_expected",
        &[("doses", &i18n.tn("tank.doses", line.left.max(0) as u64))],
    ));
    count_field(
        ui,
        i18n,
        i18n.t("tank.counted"),
        &mut c.counted,
        &mut c.counted_refused,
        MAX_DOSES,
    );
    kit::checked_text_field(
        ui,
        i18n.t("tank.count_reason"),
        &mut c.reason,
        i18n.t("tank.count_reason_hint"),
        c.reason_refused.as_deref(),
    );
    let mut command = None;
    if kit::primary_button(ui, i18n.t("tank.record_count"), true).clicked() {
        // Zero is a real count here (the bull's straws are all gone).
        let counted = if c.counted.is_empty() {
            Err(i18n.t("field.count.empty").to_owned())
        } else {
            match c.counted.parse::<u32>() {
                Ok(n) if n <= MAX_DOSES => Ok(n),
                _ => Err(i18n.tf(
                    "field.count.too_large",
                    &[("max", &i18n.integer(u64::from(MAX_DOSES)))],
                )),
            }
        };
        let counted = counted.and_then(|n| {
            if i64::from(n) == line.left {
                Err(i18n.t("tank.count_unchanged").to_owned())
            } else {
                Ok(n)
            }
        });
        c.counted_refused = counted.as_ref().err().cloned();
        c.reason_refused = c
            .reason
            .trim()
            .is_empty()
            .then(|| i18n.t("field.reason.empty").to_owned());
        if let (Ok(counted), None) = (counted, &c.reason_refused) {
            command = Some(Command::CountStock {
                bull: line.bull.clone(),
                counted,
                reason: c.reason.trim().to_owned(),
            });
        }
    }
    if kit::big_button(ui, i18n.t("tank.cancel_count")).clicked() {
        *cancel = true;
    }
    command
}
