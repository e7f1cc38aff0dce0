//! Electronic identifiers (ISO 11784/11785 ear tags, boluses and pastern rings) as the
//! technician's stick reader sends them: one line per tag read, in the reader's own format.
//!
//! This module turns such a line into a [`Tag`] (country or manufacturer code and national
//! code), and a tag into the animal number the insemination record carries (`france`: the
//! French national number where the public rule gives it). It is plain Rust, used alike by the
//! app (through `reader`, the thread that listens to a serial port) and by
//! `tournee eid-parse`. It is not for writing tags, nor for the radio side (FDX-B, HDX): the
//! reader has decoded the transponder before a line reaches us.
//!
//! A line is read only when its format is one documented below; anything else is refused as
//! an unknown format, never guessed.
//!
//! Formats, with where each is documented:
//! - *Allflex line mode*: `LA 982 000001088420` (CR LF), and the TIRIS S2000 variant with the
//!   reserved field and data-block flag `LA 00000 0 982 000001088420`; `LR 0006 …` is an
//!   industrial (non-animal) tag. Allflex RS320 stick reader user guide, table 3 "Default serial
//!   data ID code formats"; Allflex panel reader user manual v2.4 (2006), "Interpreting tag ID
//!   code information".
//! - *ISO 24631-6 link*: a line framed by STX (0x02) and ended by CR LF or ETX (0x03); the
//!   same record without the `L` ("A 00000 0 982 000014722726") is what Digi-Star indicators
//!   print (EZII command set, format "EIDVID").
//! - *Decimal*: the 15 digits, country (3) then national code (12), with or without one
//!   separator (space, `_`, `-`, `.`): `250 000012345678`, `250000012345678`,
//!   `989.001000474440` (Biomark HPR "decimal" tag format).
//! - *Dotted hexadecimal*: `3DD.003BA20748`, country in 3 and national code in 10 hexadecimal
//!   digits (Biomark HPR user manual, 5.4.1 "Tag file format").
//! - *64-bit hexadecimal*: the 16 hexadecimal digits of the whole ISO 11784 code, flag bit
//!   first (Trovan ARE H5 operating instructions, 5.8 "Code format": "Hexadecimal").

pub mod france;
pub mod reader;

use serde::Serialize;

use crate::domain::{AnimalId, Species};

/// The largest national code ISO 11784 can carry: 38 bits.
pub const MAX_NATIONAL: u64 = (1 << 38) - 1;

/// How a reader wrote the line a tag came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineFormat {
    /// `LA 982 000001088420` (Allflex line mode).
    AllflexLine,
    /// `LA 00000 0 982 000001088420` or `A 00000 0 982 …` (TIRIS S2000, ISO 24631-6 record).
    Tiris,
    /// `250 000012345678`, `250000012345678`, `989.001000474440`.
    Decimal,
    /// `3DD.003BA20748`.
    DottedHex,
    /// `80003E82DFDB1839`: the 64 bits of ISO 11784.
    Hex64,
}

impl LineFormat {
    pub fn id(self) -> &'static str {
        match self {
            LineFormat::AllflexLine => "allflex_line",
            LineFormat::Tiris => "tiris",
            LineFormat::Decimal => "decimal",
            LineFormat::DottedHex => "dotted_hex",
            LineFormat::Hex64 => "hex64",
        }
    }
}

/// One tag as read: the ISO 11784 code and what the line said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// ISO 3166 numeric country (001–899), manufacturer (900–998) or test (999) code.
    pub country: u16,
    /// The national code, at most 38 bits.
    pub national: u64,
    pub format: LineFormat,
    /// The code's animal flag, when the line carries it (the 64-bit form only).
    pub animal_flag: Option<bool>,
}

/// What the first three digits of a code are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    Country,
    Manufacturer,
    Test,
}

/// Why a line gives no tag. Each says what was read and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EidError {
    #[error("empty line: expected one tag per line")]
    Empty,
    #[error(
        "unknown format {0:?}: expected a tag as `250 000012345678` (country and national code, separators optional), `LA 250 000012345678` (Allflex), `LA 00000 0 250 000012345678` (TIRIS), `3DD.003BA20748` or 16 hexadecimal digits"
    )]
    UnknownFormat(String),
    #[error("{0:?} is an industrial tag (Allflex LR), not an animal's")]
    Industrial(String),
    #[error(
        "national code {value} is above what ISO 11784 carries (at most 274877906943, 38 bits)"
    )]
    NationalTooLarge { value: u64 },
    #[error("country code {0} is not one: expected 001 to 999")]
    NoCountry(u16),
    #[error("the code is all zeros: no tag carries it")]
    AllZeros,
}

impl Tag {
    /// The 15 digits ISO 11784 animals are known by: country, then national code on 12.
    pub fn code(&self) -> String {
        format!("{:03}{:012}", self.country, self.national)
    }

    /// The code as readers print it: `250 000012345678`.
    pub fn display(&self) -> String {
        format!("{:03} {:012}", self.country, self.national)
    }

    pub fn kind(&self) -> CodeKind {
        match self.country {
            999 => CodeKind::Test,
            900..=998 => CodeKind::Manufacturer,
            _ => CodeKind::Country,
        }
    }

    /// The animal number the act records for a tag read on an animal of `species` (or of a
    /// species not known, `None`): the national number when the country's public rule gives
    /// exactly one ([`france`]), else the 15-digit electronic number itself, which the
    /// record accepts as such.
    pub fn animal(&self, species: Option<Species>) -> Reading {
        let national = match self.country {
            france::COUNTRY => france::national_number(self.national, species),
            _ => National::NoRule,
        };
        let animal = match &national {
            National::One(id) => id.clone(),
            // The code was checked when read: 15 digits, neither part all zeros.
            _ => match AnimalId::parse("animal", &self.code()) {
                Ok(id) => id,
                Err(_) => {
                    return Reading {
                        national,
                        animal: None,
                    };
                }
            },
        };
        Reading {
            national,
            animal: Some(animal),
        }
    }
}

/// A tag's national number, as far as a public rule gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum National {
    /// The rule gives this number.
    One(AnimalId),
    /// The rule gives two numbers, one per species, and the species is not known.
    Ambiguous(Vec<AnimalId>),
    /// The code does not have the shape the rule gives the country's numbers (or not for
    /// this species).
    NotNational,
    /// No rule is known for this country (or the code is a manufacturer's).
    NoRule,
}

/// A tag read as an animal: its national number (if any) and the number the act records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub national: National,
    pub animal: Option<AnimalId>,
}

/// Reads one line as a reader sent it (its CR, LF, STX and ETX included or not).
pub fn parse_line(raw: &str) -> Result<Tag, EidError> {
    let line: String = raw
        .chars()
        .filter(|c| !matches!(c, '\u{2}' | '\u{3}' | '\r' | '\n'))
        .collect();
    let line = line.trim();
    if line.is_empty() {
        return Err(EidError::Empty);
    }
    let unknown = || EidError::UnknownFormat(line.chars().take(80).collect());
    let tokens: Vec<&str> = line.split_whitespace().collect();
    let tag = match tokens.as_slice() {
        ["LR", ..] => return Err(EidError::Industrial(line.to_owned())),
        ["LA" | "A", country, national] => {
            decimal(country, national, LineFormat::AllflexLine).ok_or_else(unknown)?
        }
        ["LA" | "A", reserved, block, country, national]
            if digits(reserved, 5) && digits(block, 1) =>
        {
            decimal(country, national, LineFormat::Tiris).ok_or_else(unknown)?
        }
        [country, national] => {
            decimal(country, national, LineFormat::Decimal).ok_or_else(unknown)?
        }
        [one] => single(one).ok_or_else(unknown)?,
        _ => return Err(unknown()),
    };
    check(tag)
}

/// A line of one word: 15 digits with or without one separator, dotted hexadecimal, or the 64
/// bits in hexadecimal.
fn single(word: &str) -> Option<Tag> {
    for sep in ['_', '-', '.'] {
        if let Some((a, b)) = word.split_once(sep) {
            if let Some(tag) = decimal(a, b, LineFormat::Decimal) {
                return Some(tag);
            }
            if sep == '.' && a.len() == 3 && b.len() == 10 {
                let country = u16::from_str_radix(a, 16).ok()?;
                let national = u64::from_str_radix(b, 16).ok()?;
                return Some(Tag {
                    country,
                    national,
                    format: LineFormat::DottedHex,
                    animal_flag: None,
                });
            }
            return None;
        }
    }
    if digits(word, 15) {
        return decimal(&word[..3], &word[3..], LineFormat::Decimal);
    }
    if word.len() == 16 && word.bytes().all(|b| b.is_ascii_hexdigit()) {
        let bits = u64::from_str_radix(word, 16).ok()?;
        return Some(from_bits(bits));
    }
    None
}

/// The 64 bits of an ISO 11784 code, bit 1 (the animal flag) the most significant: 14
/// reserved bits and the data-block flag follow, then the country (10 bits) and the national
/// code (38 bits).
pub fn from_bits(bits: u64) -> Tag {
    Tag {
        country: ((bits >> 38) & 0x3FF) as u16,
        national: bits & MAX_NATIONAL,
        format: LineFormat::Hex64,
        animal_flag: Some(bits >> 63 == 1),
    }
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

fn decimal(country: &str, national: &str, format: LineFormat) -> Option<Tag> {
    if !digits(country, 3) || !digits(national, 12) {
        return None;
    }
    Some(Tag {
        country: country.parse().ok()?,
        national: national.parse().ok()?,
        format,
        animal_flag: None,
    })
}

fn check(tag: Tag) -> Result<Tag, EidError> {
    if tag.national > MAX_NATIONAL {
        return Err(EidError::NationalTooLarge {
            value: tag.national,
        });
    }
    // Ten bits carry up to 1023, but ISO 11784 codes stop at 999 (test transponders).
    if tag.country > 999 {
        return Err(EidError::NoCountry(tag.country));
    }
    if tag.country == 0 {
        return Err(if tag.national == 0 {
            EidError::AllZeros
        } else {
            EidError::NoCountry(0)
        });
    }
    if tag.national == 0 {
        return Err(EidError::AllZeros);
    }
    Ok(tag)
}

/// Cuts the bytes a reader sends into lines: CR, LF or ETX ends one, STX starts one (what came
/// before it without an end is a broken frame and is dropped). A line longer than any reader
/// sends is cut and reported as read, so the parser says what it is.
#[derive(Debug, Default)]
pub struct LineSplitter {
    buf: Vec<u8>,
}

/// No reader format is longer than this; a longer run without an end is noise.
const MAX_LINE: usize = 128;

impl LineSplitter {
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        for &b in bytes {
            match b {
                b'\r' | b'\n' | 0x03 => self.end(&mut lines),
                0x02 => self.buf.clear(),
                _ => {
                    self.buf.push(b);
                    if self.buf.len() >= MAX_LINE {
                        self.end(&mut lines);
                    }
                }
            }
        }
        lines
    }

    fn end(&mut self, lines: &mut Vec<String>) {
        if !self.buf.iter().all(|b| b.is_ascii_whitespace()) {
            lines.push(String::from_utf8_lossy(&self.buf).into_owned());
        }
        self.buf.clear();
    }
}

#[cfg(test)]
mod tests;
