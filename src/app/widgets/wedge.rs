//! A hand-held barcode scanner in keyboard mode ("keyboard wedge"): it types what it read, a
//! burst of characters, then Enter. When a text field has the focus the burst lands in it
//! like typing; otherwise this collects it, so a straw's code can be scanned on a screen
//! without first tapping a field.

use egui::{Event, Key, Ui};

/// The longest burst kept: a straw's code is a few dozen characters; more is a key held down.
const MAX_BURST: usize = 80;

/// Collects the characters typed while no field has the focus; returns the burst when Enter
/// ends it (trimmed, not empty). Call once per frame.
pub fn wedge_burst(ui: &Ui, buffer: &mut String) -> Option<String> {
    if ui.ctx().memory(|m| m.focused().is_some()) {
        buffer.clear();
        return None;
    }
    let mut burst = None;
    ui.input(|i| {
        for event in &i.events {
            match event {
                Event::Text(t) if buffer.chars().count() + t.chars().count() <= MAX_BURST => {
                    buffer.push_str(t);
                }
                Event::Key {
                    key: Key::Enter,
                    pressed: true,
                    ..
                } => {
                    let text = std::mem::take(buffer);
                    let text = text.trim();
                    if !text.is_empty() {
                        burst = Some(text.to_owned());
                    }
                }
                Event::Key {
                    key: Key::Escape,
                    pressed: true,
                    ..
                } => buffer.clear(),
                _ => {}
            }
        }
    });
    burst
}
