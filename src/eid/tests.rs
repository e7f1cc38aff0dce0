//! The parser on the frames the readers' documentation prints, and the French mapping on
//! numbers of each species.

use super::*;

fn fr(s: &str) -> AnimalId {
    AnimalId::parse("a", s).unwrap()
}

#[test]
fn reads_the_allflex_line_mode_frames_of_its_manual() {
    // Allflex RS320 user guide, table 3: HDX ISO and FDX-B ISO, CR LF ended.
    let t = parse_line("LA 982 000001088420\r\n").unwrap();
    assert_eq!((t.country, t.national), (982, 1_088_420));
    assert_eq!(t.format, LineFormat::AllflexLine);
    assert_eq!(t.code(), "982000001088420");
    assert_eq!(t.kind(), CodeKind::Manufacturer);
    let t = parse_line("LA 982 000000255895").unwrap();
    assert_eq!(t.national, 255_895);
    // Panel reader manual: the TIRIS S2000 record, reserved field and data-block flag first.
    let t = parse_line("LA 00000 0 982 000001088420\r\n").unwrap();
    assert_eq!(
        (t.country, t.national, t.format),
        (982, 1_088_420, LineFormat::Tiris)
    );
    // Digi-Star EZII "EIDVID": the same record after "A".
    let t = parse_line(" A 00000 0 982 000014722726").unwrap();
    assert_eq!(t.national, 14_722_726);
}

#[test]
fn refuses_an_industrial_tag_and_says_what_it_is() {
    // Allflex RS320 user guide, table 3: HDX Industrial.
    let e = parse_line("LR 0006 0000000018514243\r\n").unwrap_err();
    assert_eq!(
        e,
        EidError::Industrial("LR 0006 0000000018514243".to_owned())
    );
}

#[test]
fn reads_decimal_codes_with_or_without_separators_and_frames() {
    for line in [
        "250 053012312345",
        "250053012312345",
        "250_053012312345",
        "250-053012312345",
        "250.053012312345",
        "\u{2}250 053012312345\r\n",
        "\u{2}250053012312345\u{3}",
    ] {
        let t = parse_line(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        assert_eq!((t.country, t.national), (250, 53_012_312_345), "{line:?}");
        assert_eq!(t.format, LineFormat::Decimal);
        assert_eq!(t.display(), "250 053012312345");
    }
    // Biomark HPR decimal tag format.
    let t = parse_line("989.001000474440").unwrap();
    assert_eq!((t.country, t.national), (989, 1_000_474_440));
}

#[test]
fn reads_the_hexadecimal_forms() {
    // Biomark HPR user manual 5.4.1: 3DD.003BA20748 is the same tag as 989.001000474440.
    let hex = parse_line("3DD.003BA20748").unwrap();
    let dec = parse_line("989.001000474440").unwrap();
    assert_eq!((hex.country, hex.national), (dec.country, dec.national));
    assert_eq!(hex.format, LineFormat::DottedHex);
    let t = parse_line("3D6.000AC95916").unwrap();
    assert_eq!((t.country, t.national), (982, 0xAC9_5916));
    // The 64 bits of ISO 11784 (Trovan "Hexadecimal"): flag, 14 reserved bits, data block,
    // country (10 bits), national code (38 bits). Built here from its fields.
    let bits = (1u64 << 63) | (250u64 << 38) | 53_012_312_345;
    let t = parse_line(&format!("{bits:016X}")).unwrap();
    assert_eq!((t.country, t.national), (250, 53_012_312_345));
    assert_eq!((t.format, t.animal_flag), (LineFormat::Hex64, Some(true)));
    let t = parse_line(&format!("{:016x}", (982u64 << 38) | 1_088_420)).unwrap();
    assert_eq!(
        (t.country, t.national, t.animal_flag),
        (982, 1_088_420, Some(false))
    );
}

#[test]
fn an_unknown_format_is_said_never_guessed() {
    for line in [
        "hello",
        "250 0530123123",         // national code of 10 digits: not a format we know
        "25 0053012312345",       // country of 2 digits
        "0053012312345",          // 13 digits
        "LA 250",                 // cut short
        "250 053012312345 extra", // trailing word
        "GG0.0000000001",
    ] {
        match parse_line(line) {
            Err(EidError::UnknownFormat(l)) => assert_eq!(l, line.trim()),
            other => panic!("{line:?} gave {other:?}"),
        }
    }
    assert_eq!(parse_line("\r\n"), Err(EidError::Empty));
    assert_eq!(parse_line("250 000000000000"), Err(EidError::AllZeros));
    assert_eq!(
        parse_line("250 999999999999"),
        Err(EidError::NationalTooLarge {
            value: 999_999_999_999
        })
    );
    assert_eq!(parse_line("000 000012345678"), Err(EidError::NoCountry(0)));
    assert_eq!(parse_line("FFF.0000000001"), Err(EidError::NoCountry(4095)));
}

#[test]
fn a_french_goat_tag_gives_its_national_number() {
    let t = parse_line("250 053012312345").unwrap();
    let r = t.animal(Some(Species::Caprine));
    assert_eq!(r.national, National::One(fr("FR53012312345")));
    assert_eq!(r.animal, Some(fr("FR53012312345")));
    // Unknown species: only one shape fits (it does not begin 00).
    assert_eq!(t.animal(None).animal, Some(fr("FR53012312345")));
    // Read on a cow, it is no cattle number: the electronic number is recorded as such.
    let r = t.animal(Some(Species::Bovine));
    assert_eq!(r.national, National::NotNational);
    assert_eq!(r.animal, Some(fr("250053012312345")));
}

#[test]
fn a_french_cattle_tag_gives_its_number_and_the_species_settles_00() {
    let t = parse_line("250 005312345678").unwrap();
    assert_eq!(
        t.animal(Some(Species::Bovine)).national,
        National::One(fr("FR5312345678"))
    );
    // Without the species a code beginning 00 fits a cow of 53 and a sheep of 05.
    let r = t.animal(None);
    assert_eq!(
        r.national,
        National::Ambiguous(vec![fr("FR5312345678"), fr("FR05312345678")])
    );
    assert_eq!(r.animal, Some(fr("250005312345678")));
}

#[test]
fn other_countries_and_manufacturers_keep_their_electronic_number() {
    let t = parse_line("276 000012345678").unwrap();
    let r = t.animal(Some(Species::Ovine));
    assert_eq!(r.national, National::NoRule);
    assert_eq!(r.animal, Some(fr("276000012345678")));
    let t = parse_line("LA 982 000001088420").unwrap();
    assert_eq!(t.animal(None).animal, Some(fr("982000001088420")));
    // A French pet's chip (species code 26) is no farm animal's national number.
    let t = parse_line("250 268012345678").unwrap();
    assert_eq!(t.animal(None).national, National::NotNational);
}

#[test]
fn the_splitter_cuts_lines_across_reads_and_drops_broken_frames() {
    let mut s = LineSplitter::default();
    assert!(s.push(b"LA 982 0000").is_empty());
    assert_eq!(s.push(b"01088420\r\nLA 98"), vec!["LA 982 000001088420"]);
    // A frame cut by a new STX is dropped; ETX ends one too; empty lines are none.
    assert_eq!(
        s.push(b"\x02250 0530\x02250 053012312345\x03\r\n\r\n"),
        vec!["250 053012312345"]
    );
    let long = vec![b'9'; 300];
    let lines = s.push(&long);
    assert_eq!(lines.len(), 2);
    assert!(matches!(
        parse_line(&lines[0]),
        Err(EidError::UnknownFormat(_))
    ));
}
