//! The PDFs Tournée hands out: the farmer's insemination certificate, the monthly work-time
//! statement and the farm's yearly report. Callers lay out lines of text, rules and pen strokes
//! (a signature) on A4 pages with a [`Writer`]; [`Document::to_bytes`] writes them with krilla
//! as PDF/A-2u, their fonts embedded.
//!
//! PDF/A because these are records kept for years (the certificate as long as the
//! insemination record, statements for as long as pay can be disputed): an archival PDF
//! carries its fonts, colours and metadata, so it reads the same decades on. Part 2 rather
//! than 1 (PDF 1.7, compressed objects); level u rather than b so that every glyph maps back
//! to its character and the text reads back (search, copy, a screen reader), which krilla
//! checks as it writes; not part 3, as nothing is attached to these documents.
//! The text is B612, with DejaVu Sans for the characters B612 lacks (`fonts`), both subset
//! to the characters used. Not for layout beyond lines of text: callers place their text; a
//! line longer than the page wraps between words.

mod fonts;

use chrono::{Datelike, NaiveDate};
use krilla::SerializeSettings;
use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::{DateTime, Metadata};
use krilla::page::PageSettings;
use krilla::paint::{Fill, LineCap, LineJoin, Stroke};
use krilla::surface::Surface;

/// A4 in PDF points (1/72 inch).
pub const PAGE_WIDTH: f32 = 595.28;
pub const PAGE_HEIGHT: f32 = 841.89;

/// One drawing instruction on a page. Coordinates in points from the bottom-left corner.
#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        text: String,
    },
    Line {
        from: (f32, f32),
        to: (f32, f32),
        width: f32,
    },
    /// A pen stroke through these points.
    Stroke { points: Vec<(f32, f32)>, width: f32 },
}

/// A document being written, page by page.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub title: String,
    /// The day the document is of (its PDF creation date): given by the caller rather than
    /// read from the clock, so the same facts always give the same file.
    pub date: NaiveDate,
    pub pages: Vec<Vec<Mark>>,
}

/// Writes text down a page, starting a new page when the bottom margin is reached.
pub struct Writer {
    doc: Document,
    y: f32,
    pub margin: f32,
}

impl Writer {
    /// A document titled `title`, of the day `date`.
    pub fn new(title: &str, date: NaiveDate) -> Writer {
        Writer {
            doc: Document {
                title: title.to_owned(),
                date,
                pages: vec![Vec::new()],
            },
            y: PAGE_HEIGHT - 56.0,
            margin: 56.0,
        }
    }

    fn page(&mut self) -> &mut Vec<Mark> {
        if self.doc.pages.is_empty() {
            self.doc.pages.push(Vec::new());
        }
        let last = self.doc.pages.len() - 1;
        &mut self.doc.pages[last]
    }

    /// Makes room for `height` points, starting a new page if needed.
    pub fn need(&mut self, height: f32) {
        if self.y - height < self.margin {
            self.doc.pages.push(Vec::new());
            self.y = PAGE_HEIGHT - self.margin;
        }
    }

    /// The current height on the page.
    pub fn y(&self) -> f32 {
        self.y
    }

    /// The width text may take on a line.
    fn text_width(&self) -> f32 {
        PAGE_WIDTH - 2.0 * self.margin
    }

    /// Text at the left margin, on as many lines as the page width needs (a line break in
    /// `text` starts a new line).
    pub fn line(&mut self, text: &str, size: f32, bold: bool) {
        for paragraph in text.split('\n') {
            for line in wrap(paragraph, self.text_width(), size, bold) {
                self.columns(&[(0.0, &line)], size, bold);
            }
        }
    }

    /// One line of text in columns, each at its offset from the left margin. A cell wider
    /// than the room before the next one (or the margin) is cut short with `…`, never drawn
    /// over its neighbour.
    pub fn columns(&mut self, cells: &[(f32, &str)], size: f32, bold: bool) {
        let height = size * 1.45;
        self.need(height);
        self.y -= height;
        let (x0, y) = (self.margin, self.y);
        for (i, (dx, text)) in cells.iter().enumerate() {
            let end = match cells.get(i + 1) {
                Some((next, _)) => next - COLUMN_GAP,
                None => self.text_width(),
            };
            self.page().push(Mark::Text {
                x: x0 + dx,
                y,
                size,
                bold,
                text: fit(text, end - dx, size, bold),
            });
        }
    }

    /// Vertical space.
    pub fn gap(&mut self, height: f32) {
        self.need(height);
        self.y -= height;
    }

    /// A horizontal rule across the text width.
    pub fn rule(&mut self) {
        self.gap(6.0);
        let (x0, x1, y) = (self.margin, PAGE_WIDTH - self.margin, self.y);
        self.page().push(Mark::Line {
            from: (x0, y),
            to: (x1, y),
            width: 0.6,
        });
        self.gap(4.0);
    }

    /// Draws pen strokes given in 0..1 pad coordinates (y down, as on a screen) into a box
    /// `width` × `height` points at the left margin, below the current line.
    pub fn strokes(&mut self, strokes: &[Vec<[f32; 2]>], width: f32, height: f32) {
        self.need(height);
        let (x0, top) = (self.margin, self.y);
        for s in strokes {
            let points = s
                .iter()
                .map(|[x, y]| (x0 + x * width, top - y * height))
                .collect();
            self.page().push(Mark::Stroke { points, width: 1.2 });
        }
        self.y -= height;
    }

    pub fn finish(self) -> Document {
        self.doc
    }
}

/// The least room between two columns, in points.
const COLUMN_GAP: f32 = 4.0;

/// `text`, or as much of it as fits in `width` points followed by `…`.
fn fit(text: &str, width: f32, size: f32, bold: bool) -> String {
    if fonts::width(text, size, bold) <= width {
        return text.to_owned();
    }
    let mut cut = text.to_owned();
    while cut.pop().is_some() {
        let shown = format!("{}…", cut.trim_end());
        if fonts::width(&shown, size, bold) <= width {
            return shown;
        }
    }
    "…".to_owned()
}

/// `text` cut into lines no wider than `width` points, between words where it can (a word
/// wider than a line is cut where it reaches the edge).
fn wrap(text: &str, width: f32, size: f32, bold: bool) -> Vec<String> {
    let fits = |s: &str| fonts::width(s, size, bold) <= width;
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let joined = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if fits(&joined) {
            line = joined;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for c in word.chars() {
            line.push(c);
            if !fits(&line) && line.chars().count() > 1 {
                line.pop();
                lines.push(std::mem::replace(&mut line, c.to_string()));
            }
        }
    }
    lines.push(line);
    lines
}

fn text(surface: &mut Surface, x: f32, y: f32, size: f32, bold: bool, text: &str) {
    surface.set_fill(Some(Fill::default()));
    surface.set_stroke(None);
    let mut x = x;
    for run in fonts::runs(text, bold) {
        // krilla's pages run top down; our marks bottom up, as PDF's do.
        surface.draw_glyphs(
            Point::from_xy(x, PAGE_HEIGHT - y),
            &run.glyphs,
            run.face.pdf.clone(),
            &run.text,
            size,
            false,
        );
        x += run.advance * size;
    }
}

fn path(surface: &mut Surface, points: &[(f32, f32)], width: f32) {
    let mut builder = PathBuilder::new();
    for (i, (x, y)) in points.iter().enumerate() {
        if i == 0 {
            builder.move_to(*x, PAGE_HEIGHT - y);
        } else {
            builder.line_to(*x, PAGE_HEIGHT - y);
        }
    }
    let Some(path) = builder.finish() else {
        return;
    };
    surface.set_fill(None);
    surface.set_stroke(Some(Stroke {
        width,
        line_cap: LineCap::Round,
        line_join: LineJoin::Round,
        ..Stroke::default()
    }));
    surface.draw_path(&path);
}

fn draw(surface: &mut Surface, marks: &[Mark]) {
    for m in marks {
        match m {
            Mark::Text {
                x,
                y,
                size,
                bold,
                text: t,
            } => text(surface, *x, *y, *size, *bold, t),
            Mark::Line { from, to, width } => path(surface, &[*from, *to], *width),
            Mark::Stroke { points, width } => path(surface, points, *width),
        }
    }
}

/// The settings of an archival document: PDF/A-2u, krilla validating as it writes.
fn archival() -> Option<SerializeSettings> {
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A2_U)
        .finish()
        .ok()?;
    Some(SerializeSettings {
        configuration,
        ..SerializeSettings::default()
    })
}

impl Document {
    /// The PDF/A-2u file. The same document gives the same bytes: its date is the one the
    /// caller gave, and krilla derives the file's identifiers from its content.
    ///
    /// Every character is drawn from an embedded font (`fonts`), so the archival checks have
    /// nothing to refuse in the text; were krilla to refuse the document all the same, it is
    /// written without the PDF/A claim rather than not handed out, and the reason goes to
    /// stderr.
    pub fn to_bytes(&self) -> Vec<u8> {
        let archived = match archival() {
            Some(settings) => self.write(settings),
            None => Err("the PDF/A-2u configuration was refused".to_owned()),
        };
        archived.unwrap_or_else(|reason| {
            eprintln!("tournee: {:?} not written as PDF/A: {reason}", self.title);
            self.write(SerializeSettings::default())
                .unwrap_or_else(|reason| {
                    eprintln!("tournee: {:?} not written: {reason}", self.title);
                    Vec::new()
                })
        })
    }

    fn write(&self, settings: SerializeSettings) -> Result<Vec<u8>, String> {
        let mut pdf = krilla::Document::new_with(settings);
        // The months and days of a NaiveDate fit a u8; a year beyond u16 is no date of ours.
        let date = DateTime::new(u16::try_from(self.date.year()).unwrap_or_default())
            .month(self.date.month() as u8)
            .day(self.date.day() as u8);
        pdf.set_metadata(
            Metadata::new()
                .title(self.title.clone())
                .language("fr".to_owned())
                .creator("Tournée".to_owned())
                .creation_date(date),
        );
        let size = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT);
        for marks in &self.pages {
            let mut page = match &size {
                Some(size) => pdf.start_page_with(size.clone()),
                None => pdf.start_page(),
            };
            let mut surface = page.surface();
            draw(&mut surface, marks);
            surface.finish();
            page.finish();
        }
        pdf.finish().map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }

    #[test]
    fn french_text_reads_back_from_the_pdf() {
        let mut w = Writer::new("Certificat", day());
        w.line(
            "Certificat d'insémination — élevage n° 53161001",
            14.0,
            true,
        );
        w.columns(
            &[(0.0, "Taureau"), (120.0, "FR2934119912 (66)")],
            10.0,
            false,
        );
        w.strokes(&[vec![[0.1, 0.5], [0.9, 0.4]]], 200.0, 60.0);
        let bytes = w.finish().to_bytes();
        let text = pdf_extract::extract_text_from_mem(&bytes).unwrap();
        assert!(
            text.contains("Certificat d'insémination — élevage n° 53161001"),
            "{text}"
        );
        assert!(text.contains("FR2934119912 (66)"), "{text}");
    }

    #[test]
    fn long_documents_go_on_to_new_pages() {
        let mut w = Writer::new("Relevé", day());
        for i in 0..200 {
            w.line(&format!("ligne {i}"), 10.0, false);
        }
        let doc = w.finish();
        assert!(doc.pages.len() >= 4, "{} pages", doc.pages.len());
        let text = pdf_extract::extract_text_from_mem(&doc.to_bytes()).unwrap();
        assert!(text.contains("ligne 0") && text.contains("ligne 199"));
    }

    #[test]
    fn parentheses_and_backslashes_read_back() {
        let mut w = Writer::new("t", day());
        w.line(r"a (b) \c", 10.0, false);
        let text = pdf_extract::extract_text_from_mem(&w.finish().to_bytes()).unwrap();
        assert!(text.contains(r"a (b) \c"), "{text}");
    }

    #[test]
    fn a_document_krilla_refuses_as_pdf_a_is_still_written_without_the_claim() {
        // PDF/A caps a string at 32,767 bytes: a title longer than that is refused.
        let mut w = Writer::new(&"t".repeat(40_000), day());
        w.line("Relevé", 10.0, false);
        let bytes = w.finish().to_bytes();
        assert!(bytes.starts_with(b"%PDF-"));
        assert!(!bytes.windows(6).any(|b| b == b"pdfaid"));
        let text = pdf_extract::extract_text_from_mem(&bytes).unwrap();
        assert!(text.contains("Relevé"), "{text}");
        // the same line under a short title is PDF/A
        let mut w = Writer::new("Relevé", day());
        w.line("Relevé", 10.0, false);
        assert!(w.finish().to_bytes().windows(6).any(|b| b == b"pdfaid"));
    }

    #[test]
    fn a_cell_wider_than_its_column_is_cut_short_and_the_next_one_kept() {
        let mut w = Writer::new("t", day());
        w.columns(
            &[
                (0.0, "Roquefort-sur-Soulzon des Grands Causses"),
                (60.0, "6 / 4"),
            ],
            9.0,
            false,
        );
        let texts: Vec<(f32, String)> = w.finish().pages[0]
            .iter()
            .filter_map(|m| match m {
                Mark::Text { x, text, .. } => Some((*x, text.clone())),
                _ => None,
            })
            .collect();
        assert!(
            texts[0].1.starts_with("Roq") && texts[0].1.ends_with('…'),
            "{texts:?}"
        );
        assert!(fonts::width(&texts[0].1, 9.0, false) <= 60.0 - COLUMN_GAP);
        assert_eq!(texts[1].1, "6 / 4");
    }

    #[test]
    fn a_line_wider_than_the_page_wraps_between_words() {
        let words = "Contesté par l'éleveur : la paillette n'était pas celle du taureau demandé";
        let long = format!("{words} {words} {words}");
        let lines = wrap(&long, 483.0, 10.0, false);
        assert!(lines.len() >= 2, "{lines:?}");
        assert_eq!(lines.join(" "), long);
        for line in &lines {
            assert!(fonts::width(line, 10.0, false) <= 483.0, "{line}");
        }
        // one word longer than a line is cut, nothing lost
        let word = "x".repeat(400);
        let lines = wrap(&word, 483.0, 10.0, false);
        assert!(lines.len() >= 2);
        assert_eq!(lines.concat(), word);
    }
}
