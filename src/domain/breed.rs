//! Breeds as a farmer reads them. A straw prints a cattle breed as its two-digit code (the
//! "types raciaux bovins" of the arrêté of 7 May 2018: `46`), which the legal record and the
//! declaration keep; documents for the farmer name the breed too ("Montbéliarde (46)").
//! Goat and sheep breeds are written by name on the straw and stay as written.
//! Not for checking a straw's breed against the species (`app::model::straw_fits`).

/// The cattle breed codes of the arrêté of 7 May 2018 (annex, "types raciaux bovins") up to 69,
/// the part of the annex this table was made from; a code not in it is shown as the code alone.
/// `39` stands for every cross (dairy, mixed or beef). Names as the breeds spell them, where
/// the annex has a slip ("Villars-de-lans", "allaitantes", "traits" for laitiers).
const CATTLE: &[(&str, &str)] = &[
    ("00", "Inconnue"),
    ("10", "Bison"),
    ("11", "Pirenaica"),
    ("12", "Abondance"),
    ("13", "Wagyu"),
    ("14", "Aubrac"),
    ("15", "Jersiaise"),
    ("17", "Angus"),
    ("18", "Ayrshire"),
    ("19", "Pie rouge"),
    ("20", "Buffle"),
    ("21", "Brune"),
    ("23", "Salers"),
    ("24", "Bazadaise"),
    ("25", "Blanc bleu"),
    ("26", "Bordelaise"),
    ("29", "Bretonne pie noire"),
    ("30", "Aurochs reconstitué"),
    ("31", "Tarentaise"),
    ("32", "Chianina"),
    ("33", "Lourdaise"),
    ("34", "Limousine"),
    ("35", "Simmental française"),
    ("36", "Corse"),
    ("37", "Raço di biou"),
    ("38", "Charolaise"),
    ("39", "Croisé"),
    ("41", "Rouge des prés"),
    ("42", "Dairy Shorthorn"),
    ("43", "Armoricaine"),
    ("44", "Autres types raciaux laitiers d'origine étrangère"),
    ("45", "South Devon"),
    ("46", "Montbéliarde"),
    ("48", "Autres types raciaux allaitants d'origine étrangère"),
    ("49", "Marchigiana"),
    ("51", "Brave"),
    ("52", "Bleue du Nord"),
    ("53", "Villard-de-Lans"),
    ("54", "N'Dama"),
    ("55", "Créole"),
    ("56", "Normande"),
    ("57", "Vosgienne"),
    ("58", "Maraîchine"),
    ("61", "Béarnaise"),
    ("63", "Rouge flamande"),
    ("65", "Ferrandaise"),
    ("66", "Prim'Holstein"),
    ("69", "Froment du Léon"),
];

/// The name of a cattle breed code (`46` → `Montbéliarde`), if the table has it.
pub fn cattle_breed_name(code: &str) -> Option<&'static str> {
    CATTLE
        .iter()
        .find(|(c, _)| *c == code.trim())
        .map(|(_, name)| *name)
}

/// A straw's breed as a farmer reads it: `Montbéliarde (46)` for a known cattle code, the
/// breed as written otherwise (`Alpine`, or a code the table lacks).
pub fn breed_label(breed: &str) -> String {
    match cattle_breed_name(breed) {
        Some(name) => format!("{name} ({})", breed.trim()),
        None => breed.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_a_cattle_code_and_leaves_a_name_or_an_unknown_code_as_written() {
        assert_eq!(breed_label("46"), "Montbéliarde (46)");
        assert_eq!(breed_label(" 66 "), "Prim'Holstein (66)");
        assert_eq!(breed_label("Alpine"), "Alpine");
        assert_eq!(breed_label("97"), "97");
    }

    #[test]
    fn the_table_has_each_code_once_in_order() {
        for pair in CATTLE.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{pair:?}");
        }
        assert!(CATTLE.iter().all(|(c, _)| c.len() == 2));
    }
}
