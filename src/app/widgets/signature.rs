//! The farmer's signature pad: strokes captured as vector points normalised to the pad (0..1
//! on both axes), the form `domain::Stroke` seals into the confirmation event.
//!
//! Vector points rather than an image: a few kilobytes on the wire, exact, and redrawn at any
//! size on the farmer's web page or a certificate. Not a handwriting check: any mark of at least
//! [`MIN_POINTS`] points counts as a signature, as on paper.

use egui::{
    Color32, CornerRadius, Pos2, Rect, Response, RichText, Role, Sense, Stroke as PenStroke,
    StrokeKind, Ui, WidgetInfo, vec2,
};

use crate::app::i18n::I18n;
use crate::app::kit::{GAP, RADIUS, big_button, current_palette};
use crate::domain::Stroke;

/// Fewer points than this is a tap, not a signature.
pub const MIN_POINTS: usize = 8;

/// The most points kept: the domain refuses more than 20,000 in a confirmation.
pub const MAX_POINTS: usize = 20_000;

/// A new point is kept only this far (in pad fractions) from the previous one: enough for a
/// faithful line, few enough points for the wire.
const MIN_STEP: f32 = 0.004;

/// The strokes drawn so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignatureState {
    pub strokes: Vec<Stroke>,
    /// Whether the pen is down (the last stroke is still being drawn).
    drawing: bool,
}

impl SignatureState {
    pub fn points(&self) -> usize {
        self.strokes.iter().map(Vec::len).sum()
    }

    /// Whether there is enough ink to count as a signature.
    pub fn is_signed(&self) -> bool {
        self.points() >= MIN_POINTS
    }

    pub fn clear(&mut self) {
        self.strokes.clear();
        self.drawing = false;
    }

    /// Adds a pointer position (in screen points) inside `pad`: starts a stroke when the pen
    /// goes down, extends it while it moves.
    pub fn pen_at(&mut self, pad: Rect, pos: Pos2, start: bool) {
        if self.points() >= MAX_POINTS || pad.width() <= 0.0 || pad.height() <= 0.0 {
            return;
        }
        // on the grid the event keeps, so the screen shows what is sealed
        let p = crate::domain::strokes::snap([
            ((pos.x - pad.left()) / pad.width()).clamp(0.0, 1.0),
            ((pos.y - pad.top()) / pad.height()).clamp(0.0, 1.0),
        ]);
        if start || !self.drawing || self.strokes.is_empty() {
            self.strokes.push(vec![p]);
            self.drawing = true;
            return;
        }
        if let Some(stroke) = self.strokes.last_mut() {
            let far_enough = stroke.last().is_none_or(|last| {
                (last[0] - p[0]).abs() >= MIN_STEP || (last[1] - p[1]).abs() >= MIN_STEP
            });
            if far_enough {
                stroke.push(p);
            }
        }
    }

    pub fn pen_up(&mut self) {
        self.drawing = false;
    }
}

/// Shows the pad (`height` high, full width) with a clear button under it.
pub fn signature_pad(
    ui: &mut Ui,
    i18n: &I18n,
    state: &mut SignatureState,
    height: f32,
) -> Response {
    let p = current_palette(ui.ctx());
    let size = vec2(ui.available_width(), height);
    let (rect, response) = ui.allocate_exact_size(size, Sense::drag());
    let label = i18n.t("signature.pad");
    response.widget_info(|| WidgetInfo::labeled(Role::Canvas, true, label));

    if let Some(pos) = response.interact_pointer_pos() {
        state.pen_at(rect, pos, response.drag_started());
    }
    if response.drag_stopped() {
        state.pen_up();
    }

    if ui.is_rect_visible(rect) {
        let painter = ui.painter_at(rect);
        painter.rect(
            rect,
            CornerRadius::same(RADIUS),
            p.surface,
            PenStroke::new(2.0, p.outline.color),
            StrokeKind::Inside,
        );
        // The line the farmer signs on, as on paper.
        let base_y = rect.top() + rect.height() * 0.75;
        painter.line_segment(
            [
                egui::pos2(rect.left() + 24.0, base_y),
                egui::pos2(rect.right() - 24.0, base_y),
            ],
            PenStroke::new(1.0, p.weak_text),
        );
        if state.strokes.is_empty() {
            painter.text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                i18n.t("signature.sign_here"),
                egui::TextStyle::Body.resolve(ui.style()),
                p.weak_text,
            );
        }
        let ink = PenStroke::new(3.0, ink_colour(p.text));
        for stroke in &state.strokes {
            let pts: Vec<Pos2> = stroke
                .iter()
                .map(|[x, y]| {
                    egui::pos2(
                        rect.left() + x * rect.width(),
                        rect.top() + y * rect.height(),
                    )
                })
                .collect();
            if pts.len() == 1 {
                painter.circle_filled(pts[0], 2.0, ink.color);
            } else {
                painter.line(pts, ink);
            }
        }
    }
    ui.add_space(GAP / 2.0);
    if big_button(ui, i18n.t("signature.clear")).clicked() {
        state.clear();
    }
    ui.label(RichText::new(i18n.t("signature.hint")).weak());
    response
}

fn ink_colour(text: Color32) -> Color32 {
    // Blue ink reads as a signature, as on paper; black in high contrast stays black.
    if text == Color32::BLACK {
        Color32::BLACK
    } else {
        Color32::from_rgb(0x12, 0x2E, 0x8A)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_normalised_to_the_pad_and_clamped() {
        let pad = Rect::from_min_size(egui::pos2(100.0, 50.0), vec2(400.0, 200.0));
        let mut s = SignatureState::default();
        s.pen_at(pad, egui::pos2(100.0, 50.0), true);
        s.pen_at(pad, egui::pos2(300.0, 150.0), false);
        s.pen_at(pad, egui::pos2(900.0, 0.0), false);
        s.pen_up();
        s.pen_at(pad, egui::pos2(500.0, 250.0), false);
        assert_eq!(
            s.strokes,
            vec![vec![[0.0, 0.0], [0.5, 0.5], [1.0, 0.0]], vec![[1.0, 1.0]],]
        );
    }

    #[test]
    fn a_tap_is_not_a_signature_and_tiny_moves_are_not_kept() {
        let pad = Rect::from_min_size(Pos2::ZERO, vec2(1000.0, 1000.0));
        let mut s = SignatureState::default();
        s.pen_at(pad, egui::pos2(10.0, 10.0), true);
        s.pen_at(pad, egui::pos2(11.0, 11.0), false);
        assert_eq!(s.points(), 1);
        assert!(!s.is_signed());
        for i in 0..10 {
            s.pen_at(pad, egui::pos2(20.0 + 10.0 * i as f32, 10.0), false);
        }
        assert!(s.is_signed());
    }
}
