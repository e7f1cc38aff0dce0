//! The building blocks screens are made of: buttons sized for gloves, list rows, status chips,
//! and the message shown next to a field.

use egui::{
    Align2, Button, Color32, CornerRadius, Response, RichText, Role, Sense, Stroke, StrokeKind,
    TextStyle, Ui, WidgetInfo, vec2,
};

use super::{GAP, LARGE_TARGET, MIN_TARGET, RADIUS};

fn pal(ui: &Ui) -> super::Palette {
    super::current_palette(ui.ctx())
}

/// A button as wide as the space it is in and a gloved thumb high.
pub fn big_button(ui: &mut Ui, text: &str) -> Response {
    let w = ui.available_width();
    ui.add(
        Button::new(RichText::new(text).text_style(TextStyle::Button))
            .min_size(vec2(w, LARGE_TARGET)),
    )
}

/// The screen's main action: filled with the accent colour.
pub fn primary_button(ui: &mut Ui, text: &str, enabled: bool) -> Response {
    let p = pal(ui);
    let w = ui.available_width();
    let text = RichText::new(text)
        .text_style(TextStyle::Button)
        .strong()
        .color(p.on_accent);
    ui.add_enabled(
        enabled,
        Button::new(text)
            .fill(p.accent)
            .stroke(Stroke::new(2.0, p.accent))
            .min_size(vec2(w, LARGE_TARGET)),
    )
}

/// The main action of a form that waits on the backend's answer: while `busy` it says
/// `busy_text` and cannot be tapped again.
pub fn waiting_button(ui: &mut Ui, text: &str, busy_text: &str, busy: bool) -> Response {
    primary_button(ui, if busy { busy_text } else { text }, !busy)
}

/// One of a few choices (first / repeat, fresh / frozen): shows whether it is selected, and
/// says so to screen readers and tests.
pub fn choice_button(ui: &mut Ui, selected: bool, text: &str) -> Response {
    let p = pal(ui);
    let rich = RichText::new(text).text_style(TextStyle::Button);
    let button = if selected {
        Button::selectable(true, rich.color(p.on_accent).strong())
            .fill(p.accent)
            .stroke(Stroke::new(3.0, p.accent))
    } else {
        Button::selectable(false, rich).stroke(p.outline)
    };
    ui.add(button.min_size(vec2(MIN_TARGET * 2.0, MIN_TARGET)))
}

/// A tab of the bottom navigation bar.
pub fn nav_button(ui: &mut Ui, selected: bool, text: &str, width: f32) -> Response {
    let p = pal(ui);
    let rich = RichText::new(text).text_style(TextStyle::Button);
    let button = if selected {
        Button::selectable(true, rich.strong().color(p.on_accent)).fill(p.accent)
    } else {
        Button::selectable(false, rich).frame(false)
    };
    ui.add(button.min_size(vec2(width, LARGE_TARGET)))
}

/// A section title inside a screen.
pub fn section_heading(ui: &mut Ui, text: &str) -> Response {
    ui.add_space(GAP / 2.0);
    ui.label(RichText::new(text).text_style(TextStyle::Heading).strong())
}

/// A small coloured label saying where something stands ("À faire", "Urgent").
pub fn status_chip(ui: &mut Ui, text: &str, color: Color32) -> Response {
    egui::Frame::new()
        .stroke(Stroke::new(2.0, color))
        .corner_radius(CornerRadius::same(RADIUS))
        .inner_margin(egui::Margin::symmetric(10, 4))
        .show(ui, |ui| ui.label(RichText::new(text).color(color).strong()))
        .inner
}

/// What a list row shows: a title, a line under it, and on the right a status.
#[derive(Debug, Clone, Default)]
pub struct RowContent {
    pub title: String,
    pub subtitle: String,
    /// A third line (what was asked, the acts done).
    pub detail: Option<String>,
    /// The status on the right, in its colour.
    pub status: Option<(String, Color32)>,
    /// A mark on the left edge (urgent), in its colour.
    pub flag: Option<(String, Color32)>,
}

/// A row of a list that opens something when tapped: at least [`LARGE_TARGET`] high, with its
/// title as its accessible label (the texts are painted, so the row is one node to a screen
/// reader, not four).
pub fn list_row(ui: &mut Ui, row: &RowContent) -> Response {
    let p = pal(ui);
    let width = ui.available_width();
    let pad = 14.0;
    let body = TextStyle::Body.resolve(ui.style());
    let small = TextStyle::Small.resolve(ui.style());
    let status_galley = row.status.as_ref().map(|(text, color)| {
        ui.painter()
            .layout_no_wrap(text.clone(), small.clone(), *color)
    });
    let status_w = status_galley
        .as_ref()
        .map_or(0.0, |g| g.size().x + 2.0 * pad);
    let flag_galley = row.flag.as_ref().map(|(text, color)| {
        ui.painter()
            .layout_no_wrap(text.clone(), small.clone(), *color)
    });
    let flag_w = flag_galley.as_ref().map_or(0.0, |g| g.size().x + pad);
    let text_w = (width - status_w - flag_w - 2.0 * pad).max(40.0);
    let title = ui
        .painter()
        .layout(row.title.clone(), body.clone(), p.text, text_w);
    let subtitle = ui
        .painter()
        .layout(row.subtitle.clone(), small.clone(), p.weak_text, text_w);
    let detail = row
        .detail
        .as_ref()
        .map(|d| ui.painter().layout(d.clone(), body.clone(), p.text, text_w));
    let text_h = title.size().y
        + subtitle.size().y
        + detail.as_ref().map_or(0.0, |d| d.size().y + 2.0)
        + 4.0;
    let height = (text_h + 2.0 * pad).max(LARGE_TARGET + 8.0);

    let (rect, response) = ui.allocate_exact_size(vec2(width, height), Sense::click());
    response.widget_info(|| WidgetInfo::labeled(Role::Button, true, &row.title));
    if ui.is_rect_visible(rect) {
        let painter = ui.painter();
        let fill = if response.is_pointer_button_down_on() {
            ui.visuals().widgets.active.bg_fill
        } else {
            p.surface
        };
        painter.rect(
            rect,
            CornerRadius::same(RADIUS),
            fill,
            p.outline,
            StrokeKind::Inside,
        );
        let mut x = rect.left() + pad;
        if let Some(g) = flag_galley {
            if let Some((_, color)) = &row.flag {
                painter.rect_filled(
                    egui::Rect::from_min_size(rect.left_top(), vec2(6.0, rect.height())),
                    CornerRadius::same(RADIUS),
                    *color,
                );
            }
            painter.galley(
                egui::pos2(x, rect.center().y - g.size().y / 2.0),
                g.clone(),
                p.text,
            );
            x += g.size().x + pad;
        }
        let mut y = rect.top() + pad;
        let th = title.size().y;
        painter.galley(egui::pos2(x, y), title, p.text);
        y += th + 2.0;
        let sh = subtitle.size().y;
        painter.galley(egui::pos2(x, y), subtitle, p.weak_text);
        y += sh + 2.0;
        if let Some(d) = detail {
            painter.galley(egui::pos2(x, y), d, p.text);
        }
        if let (Some(g), Some((_, color))) = (status_galley, &row.status) {
            let r = Align2::RIGHT_CENTER.anchor_size(
                rect.right_center() - vec2(pad, 0.0),
                g.size() + vec2(16.0, 8.0),
            );
            painter.rect_stroke(
                r,
                CornerRadius::same(RADIUS),
                Stroke::new(2.0, *color),
                StrokeKind::Inside,
            );
            painter.galley(r.min + vec2(8.0, 4.0), g, *color);
        }
    }
    response
}

/// What to say next to a field: a hint while typing, that the value is good, or why it is
/// refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldMessage {
    Hint(String),
    Ok(String),
    Error(String),
}

/// Shows a field's message in its colour, after a drawn mark (a tick, a cross) so the meaning
/// does not rest on colour alone. The message's text is its accessible label.
pub fn field_message(ui: &mut Ui, message: &FieldMessage) -> Response {
    let p = pal(ui);
    let (text, color) = match message {
        FieldMessage::Hint(t) => (t, p.weak_text),
        FieldMessage::Ok(t) => (t, p.ok),
        FieldMessage::Error(t) => (t, p.error),
    };
    ui.horizontal(|ui| {
        if !matches!(message, FieldMessage::Hint(_)) {
            let size = TextStyle::Body.resolve(ui.style()).size;
            let (rect, _) = ui.allocate_exact_size(vec2(size, size), Sense::hover());
            let painter = ui.painter();
            painter.circle_filled(rect.center(), size / 2.0, color);
            let stroke = Stroke::new(size / 8.0, p.on_accent);
            let r = rect.shrink(size * 0.28);
            if matches!(message, FieldMessage::Ok(_)) {
                painter.line(
                    vec![
                        egui::pos2(r.left(), r.center().y),
                        egui::pos2(r.left() + r.width() * 0.4, r.bottom()),
                        r.right_top(),
                    ],
                    stroke,
                );
            } else {
                painter.line_segment([r.left_top(), r.right_bottom()], stroke);
                painter.line_segment([r.right_top(), r.left_bottom()], stroke);
            }
        }
        let rich = RichText::new(text.as_str()).color(color);
        let rich = if matches!(message, FieldMessage::Error(_)) {
            rich.strong()
        } else {
            rich
        };
        ui.add(egui::Label::new(rich).wrap())
    })
    .inner
}

/// A one-line text field with its label above, as wide as the space and a finger high. The
/// label is the field's accessible name. For names, reasons and codes: numbers go through the
/// in-app keypad instead.
pub fn text_field(ui: &mut Ui, label: &str, value: &mut String, hint: &str) -> Response {
    labelled_edit(
        ui,
        label,
        egui::TextEdit::singleline(value),
        hint,
        MIN_TARGET,
    )
}

/// A field for a printed code, typed or scanned: true on the frame its text differs from what
/// was last read (`read`), which it then becomes, so the caller reads the code once.
pub fn code_field(
    ui: &mut Ui,
    label: &str,
    value: &mut String,
    hint: &str,
    read: &mut String,
) -> bool {
    text_field(ui, label, value, hint);
    if *value == *read {
        return false;
    }
    read.clone_from(value);
    true
}

/// A text edit under its label (its accessible name), as wide as the space, `height` high.
fn labelled_edit(
    ui: &mut Ui,
    label: &str,
    edit: egui::TextEdit<'_>,
    hint: &str,
    height: f32,
) -> Response {
    let label = ui.label(RichText::new(label).strong());
    let width = ui.available_width();
    ui.add(
        edit.hint_text(hint)
            .font(TextStyle::Body)
            .desired_width(width)
            .min_size(vec2(width, height))
            .margin(egui::Margin::symmetric(12, 10)),
    )
    .labelled_by(label.id)
}

/// A text of a few lines (advice, a comment) with its label above, as wide as the space: the
/// label is the field's accessible name.
pub fn text_area(ui: &mut Ui, label: &str, value: &mut String, hint: &str) -> Response {
    let edit = egui::TextEdit::multiline(value).desired_rows(4);
    labelled_edit(ui, label, edit, hint, LARGE_TARGET * 2.0)
}

/// A [`text_field`] with, under it, why its last value was refused (if it was).
pub fn checked_text_field(
    ui: &mut Ui,
    label: &str,
    value: &mut String,
    hint: &str,
    refused: Option<&str>,
) -> Response {
    let response = text_field(ui, label, value, hint);
    if let Some(r) = refused {
        field_message(ui, &FieldMessage::Error(r.to_owned()));
    }
    response
}

/// A framed group on the screen's background (a panel that opens under a row).
pub fn card<R>(ui: &mut Ui, add: impl FnOnce(&mut Ui) -> R) -> R {
    let p = pal(ui);
    egui::Frame::new()
        .fill(p.surface)
        .stroke(Stroke::new(p.outline.width.max(2.0), p.accent))
        .corner_radius(CornerRadius::same(RADIUS))
        .inner_margin(egui::Margin::same(14))
        .show(ui, |ui| {
            ui.set_min_width(ui.available_width());
            ui.spacing_mut().item_spacing.y = GAP;
            add(ui)
        })
        .inner
}

/// A count changed with − and + buttons a finger wide (what a farmer asks for: a few
/// animals). The buttons are named "− {name}" and "+ {name}" for screen readers and tests.
/// Returns whether the count changed.
pub fn stepper(ui: &mut Ui, name: &str, value: &mut u32, max: u32) -> bool {
    let mut changed = false;
    ui.horizontal(|ui| {
        let key = vec2(MIN_TARGET * 1.5, MIN_TARGET);
        let minus = ui.add_enabled(
            *value > 0,
            Button::new(RichText::new("−").text_style(TextStyle::Heading)).min_size(key),
        );
        let minus_name = format!("− {name}");
        minus.widget_info(|| WidgetInfo::labeled(Role::Button, *value > 0, &minus_name));
        if minus.clicked() {
            *value = value.saturating_sub(1);
            changed = true;
        }
        ui.add_sized(
            vec2(MIN_TARGET, MIN_TARGET),
            egui::Label::new(RichText::new(value.to_string()).text_style(TextStyle::Heading)),
        );
        let plus = ui.add_enabled(
            *value < max,
            Button::new(RichText::new("+").text_style(TextStyle::Heading)).min_size(key),
        );
        let plus_name = format!("+ {name}");
        plus.widget_info(|| WidgetInfo::labeled(Role::Button, *value < max, &plus_name));
        if plus.clicked() {
            *value = (*value + 1).min(max);
            changed = true;
        }
        ui.label(RichText::new(name).text_style(TextStyle::Button));
    });
    changed
}
