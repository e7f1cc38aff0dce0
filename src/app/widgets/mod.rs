//! Input widgets of our own, where egui's stock ones do not fit a gloved hand in a barn: the
//! numeric keypad, the animal number field built on it, the signature pad, the chart of weekly
//! hours against the limits, the round's map, and a barcode scanner's burst of keys.

pub mod animal;
pub mod keypad;
pub mod round_map;
pub mod signature;
pub mod wedge;
pub mod week_chart;

pub use animal::{AnimalEntry, animal_number_field, check_animal, display_number};
pub use keypad::{KEY_SIZE, KeypadOutput, count_field, keypad, parse_count};
pub use round_map::round_map;
pub use signature::{SignatureState, signature_pad};
pub use wedge::wedge_burst;
pub use week_chart::week_chart;
