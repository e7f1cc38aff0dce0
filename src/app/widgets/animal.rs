//! The animal number field: the digits typed on the in-app keypad, shown as the ear tag prints
//! them (`FR 53 1234 5678`, work number in bold), with what is wrong said next to the field
//! while typing and when the technician tries to record.
//!
//! The domain (`AnimalId::parse`, `check_species`) has the last word; this module only turns
//! digits into its input and its refusals into the technician's language.

use egui::{RichText, Ui};

use crate::app::i18n::I18n;
use crate::app::kit::{FieldMessage, current_palette, field_message};
use crate::domain::{AnimalId, Species};

use super::keypad::keypad;

/// The longest number typed: an electronic tag's 15 digits.
const MAX_DIGITS: usize = 15;

/// The digits typed so far and the refusal of the last attempt to record, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnimalEntry {
    pub digits: String,
    /// Set when recording was refused; cleared by the next key press.
    pub refused: Option<String>,
}

impl AnimalEntry {
    pub fn clear(&mut self) {
        self.digits.clear();
        self.refused = None;
    }
}

/// How many digits follow `FR` on a French tag of this species.
fn national_digits(species: Species) -> usize {
    match species {
        Species::Caprine | Species::Ovine => 11,
        Species::Bovine | Species::Porcine => 10,
    }
}

/// The animal number the digits make, or the reason (in the user's language) they make none.
/// `final_check` is true when the technician asks to record: an incomplete number is then an
/// error, not a hint.
pub fn check_animal(
    i18n: &I18n,
    digits: &str,
    species: Species,
    final_check: bool,
) -> Result<AnimalId, FieldMessage> {
    let expected = national_digits(species);
    let n = digits.chars().count();
    let n_text = n.to_string();
    let expected_text = expected.to_string();
    if n == 0 {
        let msg = i18n.tf("field.animal.hint", &[("expected", &expected_text)]);
        return Err(if final_check {
            FieldMessage::Error(i18n.t("field.animal.empty").to_owned())
        } else {
            FieldMessage::Hint(msg)
        });
    }
    if n < expected {
        let args = [("n", n_text.as_str()), ("expected", expected_text.as_str())];
        return Err(if final_check {
            FieldMessage::Error(i18n.tf("field.animal.incomplete", &args))
        } else {
            FieldMessage::Hint(i18n.tf("field.animal.progress", &args))
        });
    }
    let text = if n == MAX_DIGITS {
        digits.to_owned()
    } else if n == expected {
        format!("FR{digits}")
    } else {
        let args = [("n", n_text.as_str()), ("expected", expected_text.as_str())];
        return Err(if n < MAX_DIGITS && !final_check {
            // Typing on towards the 15 digits of an electronic tag.
            FieldMessage::Hint(i18n.tf("field.animal.progress_electronic", &args))
        } else {
            FieldMessage::Error(i18n.tf("field.animal.wrong_length", &args))
        });
    };
    let id = AnimalId::parse("animal", &text)
        .map_err(|_| FieldMessage::Error(i18n.t("field.animal.malformed").to_owned()))?;
    id.check_species("animal", species).map_err(|_| {
        FieldMessage::Error(i18n.tf(
            "field.animal.wrong_species",
            &[("expected", &expected_text)],
        ))
    })?;
    Ok(id)
}

/// How the digits read on a tag: `FR 53 1234 5678` for cattle, `FR 530123 12345` for sheep and
/// goats, the electronic number as typed.
pub fn display_number(digits: &str, species: Species) -> String {
    let expected = national_digits(species);
    if digits.len() > expected {
        return digits.to_owned();
    }
    let groups: &[usize] = if expected == 10 { &[2, 4, 4] } else { &[6, 5] };
    let mut out = String::from("FR");
    let mut rest = digits;
    for g in groups {
        if rest.is_empty() {
            break;
        }
        let (head, tail) = rest.split_at((*g).min(rest.len()));
        out.push(' ');
        out.push_str(head);
        rest = tail;
    }
    out
}

/// The field, its message and the keypad. Returns the number when the digits make a valid one
/// (the caller records it when its own button is pressed, and calls [`refuse`] otherwise).
pub fn animal_number_field(
    ui: &mut Ui,
    i18n: &I18n,
    entry: &mut AnimalEntry,
    species: Species,
) -> Option<AnimalId> {
    let p = current_palette(ui.ctx());
    let label = ui.label(RichText::new(i18n.t("field.animal.label")).strong());
    let shown = if entry.digits.is_empty() {
        "FR …".to_owned()
    } else {
        display_number(&entry.digits, species)
    };
    let checked = check_animal(i18n, &entry.digits, species, false);
    let border = match (&entry.refused, &checked) {
        (Some(_), _) => p.error,
        (None, Ok(_)) => p.ok,
        (None, Err(_)) => p.outline.color,
    };
    super::keypad::typed_value(ui, &shown, border, label.id);
    let message = match (&entry.refused, &checked) {
        (Some(r), _) => FieldMessage::Error(r.clone()),
        (None, Ok(_)) => FieldMessage::Ok(i18n.t("field.animal.complete").to_owned()),
        (None, Err(m)) => m.clone(),
    };
    field_message(ui, &message);
    if keypad(ui, i18n, &mut entry.digits, MAX_DIGITS).changed {
        entry.refused = None;
    }
    check_animal(i18n, &entry.digits, species, false).ok()
}

/// Marks the entry refused with the final check's reason; nothing is recorded.
pub fn refuse(i18n: &I18n, entry: &mut AnimalEntry, species: Species) {
    if let Err(FieldMessage::Error(m) | FieldMessage::Hint(m) | FieldMessage::Ok(m)) =
        check_animal(i18n, &entry.digits, species, true)
    {
        entry.refused = Some(m);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::i18n::Lang;

    #[test]
    fn ten_digits_make_a_cattle_number() {
        let i = I18n::new(Lang::Fr);
        let id = check_animal(&i, "5312345678", Species::Bovine, true).unwrap();
        assert_eq!(id.as_str(), "FR5312345678");
        assert_eq!(
            display_number("5312345678", Species::Bovine),
            "FR 53 1234 5678"
        );
        assert_eq!(display_number("531", Species::Bovine), "FR 53 1");
    }

    #[test]
    fn an_incomplete_number_is_a_hint_while_typing_and_an_error_when_recording() {
        let i = I18n::new(Lang::Fr);
        assert_eq!(
            check_animal(&i, "5312345", Species::Bovine, false).unwrap_err(),
            FieldMessage::Hint("7 chiffres sur 10".to_owned())
        );
        assert_eq!(
            check_animal(&i, "5312345", Species::Bovine, true).unwrap_err(),
            FieldMessage::Error(
                "Numéro incomplet : 7 chiffres tapés, 10 attendus après FR".to_owned()
            )
        );
        let en = I18n::new(Lang::En);
        assert_eq!(
            check_animal(&en, "5312345", Species::Bovine, true).unwrap_err(),
            FieldMessage::Error(
                "Incomplete number: 7 digits typed, 10 expected after FR".to_owned()
            )
        );
    }

    #[test]
    fn sheep_numbers_have_eleven_digits_and_tags_fifteen() {
        let i = I18n::new(Lang::Fr);
        assert_eq!(
            check_animal(&i, "53012312345", Species::Ovine, true)
                .unwrap()
                .as_str(),
            "FR53012312345"
        );
        assert!(check_animal(&i, "250153012312345", Species::Bovine, true).is_ok());
        assert!(matches!(
            check_animal(&i, "531234567890", Species::Bovine, true),
            Err(FieldMessage::Error(_))
        ));
    }
}
