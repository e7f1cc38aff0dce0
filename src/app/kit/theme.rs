//! The two themes (light, and high contrast for sunlight), text sizes, and applying them to
//! egui's style.

use egui::{Color32, FontFamily, FontId, Stroke, TextStyle, Theme, Visuals};
use serde::{Deserialize, Serialize};

use super::{GAP, MIN_TARGET, RADIUS};
use crate::app::i18n::Lang;

/// Light for indoors and shade; high contrast (pure black on white, thick outlines) for
/// sunlight on a glossy screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Contrast {
    #[default]
    Normal,
    High,
}

/// How large the text is, read at arm's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextSize {
    #[default]
    Normal,
    Large,
    Larger,
}

impl TextSize {
    pub const ALL: [TextSize; 3] = [TextSize::Normal, TextSize::Large, TextSize::Larger];

    pub fn factor(self) -> f32 {
        match self {
            TextSize::Normal => 1.0,
            TextSize::Large => 1.2,
            TextSize::Larger => 1.45,
        }
    }
}

/// What the technician chose in the settings that changes how every screen looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UiPrefs {
    pub lang: Lang,
    pub text_size: TextSize,
    pub contrast: Contrast,
}

/// Colours with a meaning (status, urgency, errors), per theme.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Palette {
    pub background: Color32,
    pub surface: Color32,
    pub text: Color32,
    pub weak_text: Color32,
    pub accent: Color32,
    pub on_accent: Color32,
    pub outline: Stroke,
    pub ok: Color32,
    pub warning: Color32,
    pub error: Color32,
    pub urgent: Color32,
    /// Status chips: to do, in progress, done, confirmed.
    pub todo: Color32,
    pub in_progress: Color32,
    pub done: Color32,
    pub confirmed: Color32,
}

/// The palette of a contrast setting. Colours are chosen for at least 4.5:1 against their
/// background (7:1 in high contrast), since a status that cannot be read is no status.
pub fn palette(contrast: Contrast) -> Palette {
    match contrast {
        Contrast::Normal => Palette {
            background: Color32::from_rgb(0xF4, 0xF5, 0xF2),
            surface: Color32::WHITE,
            text: Color32::from_rgb(0x1E, 0x23, 0x1F),
            weak_text: Color32::from_rgb(0x4F, 0x57, 0x52),
            accent: Color32::from_rgb(0x1F, 0x5F, 0x3F),
            on_accent: Color32::WHITE,
            outline: Stroke::new(1.0, Color32::from_rgb(0xB8, 0xBF, 0xB9)),
            ok: Color32::from_rgb(0x1E, 0x6B, 0x35),
            warning: Color32::from_rgb(0x8A, 0x4B, 0x00),
            error: Color32::from_rgb(0xB0, 0x1E, 0x1E),
            urgent: Color32::from_rgb(0xB0, 0x1E, 0x1E),
            todo: Color32::from_rgb(0x3D, 0x46, 0x50),
            in_progress: Color32::from_rgb(0x1B, 0x4F, 0x9C),
            done: Color32::from_rgb(0x6A, 0x3F, 0x9E),
            confirmed: Color32::from_rgb(0x1E, 0x6B, 0x35),
        },
        Contrast::High => Palette {
            background: Color32::WHITE,
            surface: Color32::WHITE,
            text: Color32::BLACK,
            weak_text: Color32::BLACK,
            accent: Color32::BLACK,
            on_accent: Color32::WHITE,
            outline: Stroke::new(3.0, Color32::BLACK),
            ok: Color32::from_rgb(0x00, 0x4D, 0x1A),
            warning: Color32::from_rgb(0x5C, 0x2E, 0x00),
            error: Color32::from_rgb(0x8B, 0x00, 0x00),
            urgent: Color32::from_rgb(0x8B, 0x00, 0x00),
            todo: Color32::BLACK,
            in_progress: Color32::from_rgb(0x00, 0x2E, 0x73),
            done: Color32::from_rgb(0x3B, 0x14, 0x66),
            confirmed: Color32::from_rgb(0x00, 0x4D, 0x1A),
        },
    }
}

/// The family of headings and strong text: egui draws "strong" text in a stronger colour,
/// not a heavier weight, and sunlight needs the weight.
pub fn bold() -> FontFamily {
    FontFamily::Name("bold".into())
}

/// Installs B612, the typeface Airbus drew for cockpit screens (legible in glare, at a
/// distance, with unambiguous digits: 0/O, 1/l), before egui's own fonts, which stay as
/// fallback for symbols. Call once per context.
pub fn install_fonts(ctx: &egui::Context) {
    use egui::{FontData, FontDefinitions};
    use std::sync::Arc;
    let mut fonts = FontDefinitions::default();
    fonts.font_data.insert(
        "B612".to_owned(),
        Arc::new(FontData::from_static(include_bytes!(
            "../../../assets/fonts/B612-Regular.otf"
        ))),
    );
    fonts.font_data.insert(
        "B612-Bold".to_owned(),
        Arc::new(FontData::from_static(include_bytes!(
            "../../../assets/fonts/B612-Bold.otf"
        ))),
    );
    let fallback = fonts
        .families
        .get(&FontFamily::Proportional)
        .cloned()
        .unwrap_or_default();
    let mut regular = vec!["B612".to_owned()];
    regular.extend(fallback.iter().cloned());
    let mut heavy = vec!["B612-Bold".to_owned()];
    heavy.extend(fallback);
    fonts.families.insert(FontFamily::Proportional, regular);
    fonts.families.insert(bold(), heavy);
    ctx.set_fonts(fonts);
}

/// Sets egui's style from the preferences: sizes, spacing, colours. Both of egui's themes get
/// the same style, so nothing the platform says about dark mode changes what a barn sees.
pub fn apply(ctx: &egui::Context, prefs: &UiPrefs) {
    let style = style(prefs);
    ctx.data_mut(|d| d.insert_temp(palette_id(), palette(prefs.contrast)));
    ctx.set_style_of(Theme::Light, style.clone());
    ctx.set_style_of(Theme::Dark, style);
    ctx.set_theme(Theme::Light);
}

fn palette_id() -> egui::Id {
    egui::Id::unique("tournee.palette")
}

/// The palette [`apply`] last set (the light one before any).
pub fn current_palette(ctx: &egui::Context) -> Palette {
    ctx.data(|d| d.get_temp(palette_id()))
        .unwrap_or_else(|| palette(Contrast::Normal))
}

fn style(prefs: &UiPrefs) -> egui::Style {
    let p = palette(prefs.contrast);
    let f = prefs.text_size.factor();
    let mut style = egui::Style {
        text_styles: [
            (
                TextStyle::Small,
                FontId::new(16.0 * f, FontFamily::Proportional),
            ),
            (
                TextStyle::Body,
                FontId::new(20.0 * f, FontFamily::Proportional),
            ),
            (
                TextStyle::Button,
                FontId::new(21.0 * f, FontFamily::Proportional),
            ),
            (TextStyle::Heading, FontId::new(27.0 * f, bold())),
            (
                TextStyle::Monospace,
                FontId::new(20.0 * f, FontFamily::Monospace),
            ),
        ]
        .into(),
        ..egui::Style::default()
    };

    let s = &mut style.spacing;
    s.interact_size = egui::vec2(MIN_TARGET, MIN_TARGET);
    s.item_spacing = egui::vec2(GAP, GAP);
    s.button_padding = egui::vec2(16.0, 10.0);
    s.icon_width = 28.0;
    s.icon_width_inner = 16.0;
    s.icon_spacing = 10.0;
    s.combo_height = 400.0;
    s.scroll.bar_width = 14.0;
    s.scroll.floating = false;
    s.text_edit_width = 320.0;
    s.menu_width = 320.0;

    let mut v = Visuals::light();
    v.override_text_color = Some(p.text);
    v.weak_text_color = Some(p.weak_text);
    v.panel_fill = p.background;
    v.window_fill = p.surface;
    v.window_stroke = p.outline;
    v.extreme_bg_color = p.surface;
    v.faint_bg_color = p.background;
    v.error_fg_color = p.error;
    v.warn_fg_color = p.warning;
    v.hyperlink_color = p.accent;
    v.selection.bg_fill = p.accent;
    v.selection.stroke = Stroke::new(2.0, p.on_accent);
    v.window_corner_radius = RADIUS.into();
    v.menu_corner_radius = RADIUS.into();
    let fg = Stroke::new(
        if prefs.contrast == Contrast::High {
            2.0
        } else {
            1.5
        },
        p.text,
    );
    for w in [
        &mut v.widgets.noninteractive,
        &mut v.widgets.inactive,
        &mut v.widgets.hovered,
        &mut v.widgets.active,
        &mut v.widgets.open,
    ] {
        w.corner_radius = RADIUS.into();
        w.fg_stroke = fg;
        w.expansion = 0.0;
    }
    v.widgets.noninteractive.bg_stroke = p.outline;
    v.widgets.noninteractive.bg_fill = p.surface;
    v.widgets.noninteractive.weak_bg_fill = p.surface;
    let button_fill = match prefs.contrast {
        Contrast::Normal => Color32::from_rgb(0xE3, 0xE8, 0xE2),
        Contrast::High => Color32::WHITE,
    };
    v.widgets.inactive.bg_fill = button_fill;
    v.widgets.inactive.weak_bg_fill = button_fill;
    v.widgets.inactive.bg_stroke = p.outline;
    let pressed = match prefs.contrast {
        Contrast::Normal => Color32::from_rgb(0xCF, 0xD8, 0xCE),
        Contrast::High => Color32::from_rgb(0xE0, 0xE0, 0xE0),
    };
    for w in [
        &mut v.widgets.hovered,
        &mut v.widgets.active,
        &mut v.widgets.open,
    ] {
        w.bg_fill = pressed;
        w.weak_bg_fill = pressed;
        w.bg_stroke = Stroke::new(p.outline.width.max(2.0), p.accent);
    }
    v.text_cursor.stroke = Stroke::new(3.0, p.text);
    style.visuals = v;
    // Text that selects under a finger steals the tap meant for the row around it.
    style.interaction.selectable_labels = false;
    // Animations cost frames and mean nothing in a barn.
    style.animation_time = 0.0;
    style
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative luminance and contrast ratio as WCAG 2 defines them.
    fn contrast_ratio(a: Color32, b: Color32) -> f32 {
        fn lum(c: Color32) -> f32 {
            let ch = |v: u8| {
                let s = v as f32 / 255.0;
                if s <= 0.04045 {
                    s / 12.92
                } else {
                    ((s + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * ch(c.r()) + 0.7152 * ch(c.g()) + 0.0722 * ch(c.b())
        }
        let (la, lb) = (lum(a), lum(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn status_colours_are_readable_on_their_background() {
        for (contrast, min) in [(Contrast::Normal, 4.5), (Contrast::High, 7.0)] {
            let p = palette(contrast);
            for (name, c) in [
                ("text", p.text),
                ("error", p.error),
                ("ok", p.ok),
                ("warning", p.warning),
                ("todo", p.todo),
                ("in_progress", p.in_progress),
                ("done", p.done),
                ("confirmed", p.confirmed),
            ] {
                for bg in [p.background, p.surface] {
                    let r = contrast_ratio(c, bg);
                    assert!(r >= min, "{contrast:?} {name}: {r:.2} < {min}");
                }
            }
            assert!(contrast_ratio(p.on_accent, p.accent) >= min);
        }
    }

    #[test]
    fn every_control_is_at_least_a_finger_high() {
        let s = style(&UiPrefs::default());
        assert!(s.spacing.interact_size.y >= MIN_TARGET);
        assert!(s.spacing.item_spacing.y >= GAP);
    }

    #[test]
    fn text_size_scales_body_text() {
        let small = style(&UiPrefs::default());
        let large = style(&UiPrefs {
            text_size: TextSize::Larger,
            ..UiPrefs::default()
        });
        let body = |s: &egui::Style| s.text_styles[&TextStyle::Body].size;
        assert!(body(&large) > body(&small) * 1.4);
    }
}
