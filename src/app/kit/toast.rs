//! Short notices at the bottom of the screen ("Enregistré"), shown a few seconds, never in the
//! way of the next tap.

use egui::{Align2, CornerRadius, Id, Order, RichText, vec2};

use super::{RADIUS, current_palette};

/// How long a notice stays, in seconds.
const SHOWN_FOR: f64 = 3.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    /// Something was recorded durably.
    Saved,
    /// Something went wrong that the technician must know about.
    Error,
    Info,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    pub kind: ToastKind,
    pub text: String,
    /// Set when first shown: the input time it goes away.
    until: Option<f64>,
}

/// The notices waiting or being shown.
#[derive(Debug, Clone, Default)]
pub struct Toasts {
    items: Vec<Toast>,
}

impl Toasts {
    pub fn push(&mut self, kind: ToastKind, text: impl Into<String>) {
        self.items.push(Toast {
            kind,
            text: text.into(),
            until: None,
        });
        // A burst of acts would stack notices over the screen: keep the latest few.
        if self.items.len() > 3 {
            self.items.remove(0);
        }
    }

    /// The notices currently listed (for tests and screen readers).
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.items.iter().map(|t| t.text.as_str())
    }

    /// Paints the notices above everything, bottom centre, `bottom_gap` above the screen edge.
    pub fn show(&mut self, ctx: &egui::Context, bottom_gap: f32) {
        let now = ctx.input(|i| i.time);
        for t in &mut self.items {
            t.until.get_or_insert(now + SHOWN_FOR);
        }
        self.items.retain(|t| t.until.is_some_and(|u| u > now));
        if self.items.is_empty() {
            return;
        }
        let p = current_palette(ctx);
        egui::Area::new(Id::unique("tournee.toasts"))
            .order(Order::Foreground)
            .anchor(Align2::CENTER_BOTTOM, vec2(0.0, -bottom_gap))
            .interactable(false)
            .show(ctx, |ui| {
                for t in &self.items {
                    let fill = match t.kind {
                        ToastKind::Saved => p.ok,
                        ToastKind::Error => p.error,
                        ToastKind::Info => p.accent,
                    };
                    egui::Frame::new()
                        .fill(fill)
                        .corner_radius(CornerRadius::same(RADIUS))
                        .inner_margin(egui::Margin::symmetric(20, 12))
                        .show(ui, |ui| {
                            ui.label(RichText::new(&t.text).color(p.on_accent).strong());
                        });
                }
            });
        let next = self
            .items
            .iter()
            .filter_map(|t| t.until)
            .fold(f64::INFINITY, f64::min);
        ctx.request_repaint_after(std::time::Duration::from_secs_f64((next - now).max(0.05)));
    }
}
