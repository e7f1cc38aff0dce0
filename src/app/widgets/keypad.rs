//! A numeric keypad drawn inside the app, for animal numbers and counts.
//!
//! Not the system keyboard: on a tablet it covers half the screen, offers letters a glove hits
//! by mistake, and may not come up at all in a kiosk session. Keys are [`KEY_SIZE`] high and
//! labelled for screen readers and tests ("1" … "0", "Effacer", "Tout effacer").

use egui::{Button, RichText, TextStyle, Ui, vec2};

use crate::app::i18n::I18n;
use crate::app::kit::{FieldMessage, GAP, LARGE_TARGET, current_palette, field_message};

/// Height of a key: larger than the general minimum, digits are typed many times a day.
pub const KEY_SIZE: f32 = LARGE_TARGET + 8.0;

/// What a keypad press did to the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeypadOutput {
    pub changed: bool,
}

/// Shows a 3 × 4 keypad editing `value` (digits only), at most `max_len` digits.
pub fn keypad(ui: &mut Ui, i18n: &I18n, value: &mut String, max_len: usize) -> KeypadOutput {
    let mut out = KeypadOutput::default();
    // Wide enough for "Tout effacer" on one key at the largest text size.
    let width = ui.available_width().min(540.0);
    let key_w = (width - 2.0 * GAP) / 3.0;
    let key = |ui: &mut Ui, text: &str, style: TextStyle| {
        ui.add(
            Button::new(RichText::new(text).text_style(style).strong())
                .min_size(vec2(key_w, KEY_SIZE)),
        )
    };
    let rows: [[&str; 3]; 3] = [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"]];
    ui.scope(|ui| {
        ui.spacing_mut().item_spacing = vec2(GAP, GAP);
        for row in rows {
            ui.horizontal(|ui| {
                for d in row {
                    if key(ui, d, TextStyle::Heading).clicked() && value.len() < max_len {
                        value.push_str(d);
                        out.changed = true;
                    }
                }
            });
        }
        ui.horizontal(|ui| {
            if key(ui, i18n.t("keypad.clear"), TextStyle::Button).clicked() && !value.is_empty() {
                value.clear();
                out.changed = true;
            }
            if key(ui, "0", TextStyle::Heading).clicked() && value.len() < max_len {
                value.push('0');
                out.changed = true;
            }
            if key(ui, i18n.t("keypad.backspace"), TextStyle::Button).clicked()
                && value.pop().is_some()
            {
                out.changed = true;
            }
        });
    });
    out
}

/// What has been typed on the keypad, large, in a box whose border says how it checks; its
/// accessible name is the field's label (`label`).
pub fn typed_value(ui: &mut Ui, text: &str, border: egui::Color32, label: egui::Id) {
    let p = current_palette(ui.ctx());
    egui::Frame::new()
        .stroke(egui::Stroke::new(3.0, border))
        .corner_radius(egui::CornerRadius::same(crate::app::kit::RADIUS))
        .inner_margin(egui::Margin::symmetric(16, 10))
        .fill(p.surface)
        .show(ui, |ui| {
            ui.set_min_width(ui.available_width());
            ui.label(RichText::new(text).text_style(TextStyle::Heading))
                .labelled_by(label);
        });
}

/// A count typed on the keypad: its label, the number as typed, the refusal of the last attempt
/// to record (cleared by the next key press), and the keypad under it.
pub fn count_field(
    ui: &mut Ui,
    i18n: &I18n,
    label: &str,
    digits: &mut String,
    refused: &mut Option<String>,
    max: u32,
) {
    let p = current_palette(ui.ctx());
    let label = ui.label(RichText::new(label).strong());
    let shown = if digits.is_empty() {
        "—"
    } else {
        digits.as_str()
    };
    let border = if refused.is_some() {
        p.error
    } else {
        p.outline.color
    };
    typed_value(ui, shown, border, label.id);
    if let Some(r) = refused.as_ref() {
        field_message(ui, &FieldMessage::Error(r.clone()));
    }
    if keypad(ui, i18n, digits, max.to_string().len()).changed {
        *refused = None;
    }
}

/// A count typed on the keypad: the number, or why it is refused.
pub fn parse_count(i18n: &I18n, digits: &str, max: u32) -> Result<u32, String> {
    if digits.is_empty() {
        return Err(i18n.t("field.count.empty").to_owned());
    }
    match digits.parse::<u64>() {
        Ok(0) => Err(i18n.t("field.count.zero").to_owned()),
        Ok(n) if n <= u64::from(max) => Ok(n as u32),
        _ => Err(i18n.tf(
            "field.count.too_large",
            &[("max", &i18n.integer(u64::from(max)))],
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::i18n::Lang;

    #[test]
    fn counts_refuse_zero_and_too_many_in_the_users_language() {
        let fr = I18n::new(Lang::Fr);
        assert_eq!(parse_count(&fr, "12", 5000), Ok(12));
        assert_eq!(
            parse_count(&fr, "0", 5000),
            Err("Le nombre doit être au moins 1".to_owned())
        );
        assert_eq!(
            parse_count(&fr, "6000", 5000),
            Err("Au plus 5\u{202f}000".to_owned())
        );
        let en = I18n::new(Lang::En);
        assert_eq!(parse_count(&en, "", 5000), Err("Type a number".to_owned()));
    }
}
