//! The app's design system: sizes, spacing, colours and the few building blocks every screen
//! uses (big buttons, list rows, status chips, field messages, toasts), so screens look alike
//! without copying styling code.
//!
//! Made for a tablet in a barn: every control at least [`MIN_TARGET`] logical pixels high, with
//! spacing a gloved finger does not bridge; a light theme and a high-contrast one for
//! sunlight; text that scales. Not for screen logic: screens decide what to show, the kit only
//! how it looks.

mod blocks;
mod theme;
mod toast;

pub use blocks::{
    FieldMessage, RowContent, big_button, card, checked_text_field, choice_button, code_field,
    field_message, list_row, nav_button, primary_button, section_heading, status_chip, stepper,
    text_area, text_field, waiting_button,
};
pub use theme::{
    Contrast, Palette, TextSize, UiPrefs, apply, bold, current_palette, install_fonts, palette,
};
pub use toast::{Toast, ToastKind, Toasts};

/// The smallest height (and width) of anything a finger must hit, in logical pixels. Touch
/// guidelines ask 48; gloves ask more, so the main actions use [`LARGE_TARGET`].
pub const MIN_TARGET: f32 = 48.0;

/// The height of main actions and list rows: a gloved thumb's width.
pub const LARGE_TARGET: f32 = 64.0;

/// Space between two controls, so a glove does not press both.
pub const GAP: f32 = 12.0;

/// Space around a screen's content.
pub const MARGIN: f32 = 16.0;

/// Corner radius of buttons and cards.
pub const RADIUS: u8 = 10;
