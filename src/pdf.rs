//! A small PDF writer for the documents Tournée hands out: the farmer's insemination
//! certificate and the monthly work-time statement. Text in Helvetica (regular and bold),
//! lines, and pen strokes (a signature), on A4 pages.
//!
//! Why not a PDF crate: the standard fonts every reader has need text in WinAnsiEncoding,
//! which printpdf 0.9 does not do for them (accents come out as mojibake), and embedding a
//! font for documents that are French text only costs more than these lines. WinAnsi covers
//! French completely; a character outside it is written as `?`.
//! Not for layout beyond lines of text: callers place their text.

use std::fmt::Write as _;

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
    pub pages: Vec<Vec<Mark>>,
}

/// Writes text down a page, starting a new page when the bottom margin is reached.
pub struct Writer {
    doc: Document,
    y: f32,
    pub margin: f32,
}

impl Writer {
    pub fn new(title: &str) -> Writer {
        Writer {
            doc: Document {
                title: title.to_owned(),
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

    /// A line of text at the left margin.
    pub fn line(&mut self, text: &str, size: f32, bold: bool) {
        self.columns(&[(0.0, text)], size, bold);
    }

    /// One line of text in columns, each at its offset from the left margin.
    pub fn columns(&mut self, cells: &[(f32, &str)], size: f32, bold: bool) {
        let height = size * 1.45;
        self.need(height);
        self.y -= height;
        let (x0, y) = (self.margin, self.y);
        for (dx, text) in cells {
            self.page().push(Mark::Text {
                x: x0 + dx,
                y,
                size,
                bold,
                text: (*text).to_owned(),
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

/// The WinAnsiEncoding byte of a character, if it has one.
fn win_ansi(c: char) -> Option<u8> {
    let code = c as u32;
    match code {
        0x20..=0x7e | 0xa0..=0xff => Some(code as u8),
        _ => Some(match c {
            '€' => 0x80,
            '‚' => 0x82,
            'ƒ' => 0x83,
            '„' => 0x84,
            '…' => 0x85,
            '†' => 0x86,
            '‡' => 0x87,
            'ˆ' => 0x88,
            '‰' => 0x89,
            'Š' => 0x8a,
            '‹' => 0x8b,
            'Œ' => 0x8c,
            'Ž' => 0x8e,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '˜' => 0x98,
            '™' => 0x99,
            'š' => 0x9a,
            '›' => 0x9b,
            'œ' => 0x9c,
            'ž' => 0x9e,
            'Ÿ' => 0x9f,
            '\u{202f}' => 0xa0, // narrow no-break space, as French formatting uses
            _ => return None,
        }),
    }
}

/// A PDF string literal of `text` in WinAnsiEncoding.
fn literal(text: &str, out: &mut Vec<u8>) {
    out.push(b'(');
    for c in text.chars() {
        let b = win_ansi(c).unwrap_or(b'?');
        if matches!(b, b'(' | b')' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b')');
}

fn content(marks: &[Mark]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in marks {
        match m {
            Mark::Text {
                x,
                y,
                size,
                bold,
                text,
            } => {
                let font = if *bold { "F2" } else { "F1" };
                out.extend_from_slice(
                    format!("BT /{font} {size:.1} Tf {x:.2} {y:.2} Td ").as_bytes(),
                );
                literal(text, &mut out);
                out.extend_from_slice(b" Tj ET\n");
            }
            Mark::Line { from, to, width } => {
                out.extend_from_slice(
                    format!(
                        "{width:.2} w {:.2} {:.2} m {:.2} {:.2} l S\n",
                        from.0, from.1, to.0, to.1
                    )
                    .as_bytes(),
                );
            }
            Mark::Stroke { points, width } => {
                let mut s = format!("1 J 1 j {width:.2} w ");
                for (i, (x, y)) in points.iter().enumerate() {
                    let op = if i == 0 { "m" } else { "l" };
                    let _ = write!(s, "{x:.2} {y:.2} {op} ");
                }
                s.push_str("S\n");
                out.extend_from_slice(s.as_bytes());
            }
        }
    }
    out
}

impl Document {
    /// The PDF file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let pages = if self.pages.is_empty() {
            vec![Vec::new()]
        } else {
            self.pages.clone()
        };
        // Objects: 1 catalog, 2 page tree, 3-4 fonts, 5 info, then per page: page, content.
        let n_pages = pages.len();
        let mut objects: Vec<Vec<u8>> = Vec::new();
        objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
        let kids: Vec<String> = (0..n_pages).map(|i| format!("{} 0 R", 6 + 2 * i)).collect();
        objects.push(
            format!(
                "<< /Type /Pages /Kids [{}] /Count {n_pages} >>",
                kids.join(" ")
            )
            .into_bytes(),
        );
        for font in ["Helvetica", "Helvetica-Bold"] {
            objects.push(
                format!(
                    "<< /Type /Font /Subtype /Type1 /BaseFont /{font} /Encoding /WinAnsiEncoding >>"
                )
                .into_bytes(),
            );
        }
        let mut info = b"<< /Producer (Tournee) /Title ".to_vec();
        literal(&self.title, &mut info);
        info.extend_from_slice(b" >>");
        objects.push(info);
        for (i, marks) in pages.iter().enumerate() {
            let content_id = 7 + 2 * i;
            objects.push(
                format!(
                    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] \
                     /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {content_id} 0 R >>"
                )
                .into_bytes(),
            );
            let stream = content(marks);
            let mut obj = format!("<< /Length {} >>\nstream\n", stream.len()).into_bytes();
            obj.extend_from_slice(&stream);
            obj.extend_from_slice(b"\nendstream");
            objects.push(obj);
        }
        let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
        let mut offsets = Vec::with_capacity(objects.len());
        for (i, obj) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
            out.extend_from_slice(obj);
            out.extend_from_slice(b"\nendobj\n");
        }
        let xref = out.len();
        out.extend_from_slice(
            format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
        );
        for o in offsets {
            out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                objects.len() + 1
            )
            .as_bytes(),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_text_reads_back_from_the_pdf() {
        let mut w = Writer::new("Certificat");
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
        let mut w = Writer::new("Relevé");
        for i in 0..200 {
            w.line(&format!("ligne {i}"), 10.0, false);
        }
        let doc = w.finish();
        assert!(doc.pages.len() >= 4, "{} pages", doc.pages.len());
        let text = pdf_extract::extract_text_from_mem(&doc.to_bytes()).unwrap();
        assert!(text.contains("ligne 0") && text.contains("ligne 199"));
    }

    #[test]
    fn parentheses_and_backslashes_are_escaped() {
        let mut w = Writer::new("t");
        w.line(r"a (b) \c", 10.0, false);
        let text = pdf_extract::extract_text_from_mem(&w.finish().to_bytes()).unwrap();
        assert!(text.contains(r"a (b) \c"), "{text}");
    }
}
