//! The PDFs' typefaces: which font draws each character, its glyph and how wide it is.
//!
//! B612 (the app's typeface) first; DejaVu Sans for what B612 lacks (B612 has Latin-1, `œ`,
//! `€` and Greek, but not `ŝ`, `ž`, `ő` nor Cyrillic). PDF/A forbids drawing a character with no glyph (`.notdef`), so one neither font has
//! is written `?`, and so are those PDF/A forbids mapping text to (U+FEFF, U+FFFE, private
//! use); control characters (a tab, a line break in a comment) become spaces.
//! Not for layout: `pdf` places the runs and wraps lines with [`width`].

use std::sync::LazyLock;

use krilla::text::{Font, GlyphId, KrillaGlyph};
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};
use unicode_normalization::UnicodeNormalization;

const REGULAR: [&[u8]; 2] = [
    include_bytes!("../../assets/fonts/B612-Regular.otf"),
    include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
];
const BOLD: [&[u8]; 2] = [
    include_bytes!("../../assets/fonts/B612-Bold.otf"),
    include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf"),
];

/// What a character nobody can draw becomes.
const REPLACEMENT: char = '?';

/// One font file, read once: krilla's handle to embed it, skrifa's to look glyphs up.
pub(super) struct Face {
    pub pdf: Font,
    charmap: skrifa::charmap::Charmap<'static>,
    metrics: GlyphMetrics<'static>,
}

impl Face {
    fn read(data: &'static [u8]) -> Option<Face> {
        let font = FontRef::new(data).ok()?;
        Some(Face {
            pdf: Font::new(data.into(), 0)?,
            charmap: font.charmap(),
            // Size 1: advances in ems, as krilla's glyphs want them.
            metrics: font.glyph_metrics(Size::new(1.0), LocationRef::default()),
        })
    }

    /// The glyph of `c` and its advance in ems, if this font has one.
    fn glyph(&self, c: char) -> Option<(GlyphId, f32)> {
        let id = self.charmap.map(c)?;
        if id.to_u32() == 0 {
            return None;
        }
        Some((
            GlyphId::new(id.to_u32()),
            self.metrics.advance_width(id).unwrap_or(0.0),
        ))
    }
}

/// The faces of one weight, in fallback order. A file that does not read is left out (the
/// fonts are compiled in and a test reads them all, so this is a guard, not a path).
struct Family(Vec<Face>);

static FAMILIES: LazyLock<[Family; 2]> = LazyLock::new(|| {
    let read =
        |files: [&'static [u8]; 2]| Family(files.into_iter().filter_map(Face::read).collect());
    [read(REGULAR), read(BOLD)]
});

fn family(bold: bool) -> &'static Family {
    &FAMILIES[usize::from(bold)]
}

/// A stretch of text drawn with one face: its glyphs index into `text`.
pub(super) struct Run {
    pub face: &'static Face,
    pub text: String,
    pub glyphs: Vec<KrillaGlyph>,
    /// The sum of the advances, in ems.
    pub advance: f32,
}

/// A character as it may be drawn: controls become spaces; what PDF/A forbids as text is `?`.
/// The spaces B612 lacks become its own (the narrow no-break space of `50 %` its no-break
/// space) rather than a switch to DejaVu for a blank.
fn drawable(c: char) -> char {
    match c {
        c if c.is_control() => ' ',
        '\u{202f}' | '\u{2007}' => '\u{a0}',
        '\u{2002}'..='\u{200a}' | '\u{205f}' | '\u{3000}' => ' ',
        '\u{feff}' | '\u{fffe}' | '\u{ffff}' => REPLACEMENT,
        '\u{e000}'..='\u{f8ff}' | '\u{f0000}'..='\u{10ffff}' => REPLACEMENT,
        c => c,
    }
}

/// `text` in runs of one face each, every character from the first face that has it.
pub(super) fn runs(text: &str, bold: bool) -> Vec<Run> {
    let faces = &family(bold).0;
    let mut runs: Vec<Run> = Vec::new();
    for c in text.nfc().map(drawable) {
        let found = faces.iter().find_map(|f| Some((f, f.glyph(c)?)));
        let (face, c, (id, advance)) = match found {
            Some((face, glyph)) => (face, c, glyph),
            None => match faces.first().and_then(|f| Some((f, f.glyph(REPLACEMENT)?))) {
                Some((face, glyph)) => (face, REPLACEMENT, glyph),
                None => continue,
            },
        };
        let same_face = runs.last().is_some_and(|r| std::ptr::eq(r.face, face));
        if !same_face {
            runs.push(Run {
                face,
                text: String::new(),
                glyphs: Vec::new(),
                advance: 0.0,
            });
        }
        let Some(run) = runs.last_mut() else { continue };
        let start = run.text.len();
        run.text.push(c);
        run.glyphs.push(KrillaGlyph::new(
            id,
            advance,
            0.0,
            0.0,
            0.0,
            start..run.text.len(),
            None,
        ));
        run.advance += advance;
    }
    runs
}

/// How wide `text` is drawn at `size` points.
pub(super) fn width(text: &str, size: f32, bold: bool) -> f32 {
    runs(text, bold).iter().map(|r| r.advance).sum::<f32>() * size
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_font_file_reads() {
        for bold in [false, true] {
            assert_eq!(family(bold).0.len(), 2, "bold: {bold}");
        }
    }

    #[test]
    fn b612_draws_french_and_dejavu_what_b612_lacks() {
        let faces: Vec<(String, bool)> = runs("Cœur 5\u{202f}€ ŝ ok", false)
            .iter()
            .map(|r| (r.text.clone(), std::ptr::eq(r.face, &family(false).0[0])))
            .collect();
        assert_eq!(
            faces,
            [
                ("Cœur 5\u{a0}€ ".to_owned(), true),
                ("ŝ".to_owned(), false),
                (" ok".to_owned(), true)
            ]
        );
    }

    #[test]
    fn combining_accents_become_the_letter_and_the_undrawable_a_question_mark() {
        let text: String = runs("s\u{302}\tx\u{feff}\u{e000}\u{1f404}", true)
            .iter()
            .map(|r| r.text.as_str())
            .collect();
        assert_eq!(text, "ŝ x???");
    }

    #[test]
    fn a_wider_text_measures_wider() {
        let one = width("Montbéliarde", 10.0, false);
        assert!(one > 0.0);
        assert!((width("Montbéliarde Montbéliarde", 10.0, false) - 2.0 * one) > 0.0);
        assert!(width("Montbéliarde", 20.0, false) > 1.9 * one);
    }
}
