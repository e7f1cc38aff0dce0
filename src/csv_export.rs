//! The CSV text of the exports (declarations, payroll, fertility figures), written by the
//! `csv` crate: a field is quoted when it holds the separator, a quote or a line break (CR or
//! LF), its quotes doubled. Each export says its dialect: `;` and LF for the files French
//! spreadsheets open, `,` and CRLF for payroll's RFC 4180.
//! Not for reading CSV (the imports are JSON) nor for choosing the columns: each export has
//! its header and rows.

/// How an export separates its fields and ends its lines.
#[derive(Debug, Clone, Copy)]
pub enum Dialect {
    /// `;` between fields, LF at line ends: what a French spreadsheet opens as columns.
    Semicolon,
    /// RFC 4180: `,` between fields, CRLF at line ends.
    Rfc4180,
}

/// `header`, then `rows`, as CSV text. Every row has the header's `N` fields by its type.
pub fn csv_text<const N: usize>(
    dialect: Dialect,
    header: [&str; N],
    rows: impl IntoIterator<Item = [String; N]>,
) -> Result<String, csv::Error> {
    let mut builder = csv::WriterBuilder::new();
    match dialect {
        Dialect::Semicolon => builder.delimiter(b';'),
        Dialect::Rfc4180 => builder.terminator(csv::Terminator::CRLF),
    };
    let mut out = builder.from_writer(Vec::new());
    out.write_record(header)?;
    for row in rows {
        out.write_record(&row)?;
    }
    let bytes = out.into_inner().map_err(|e| e.into_error())?;
    // Every field was a str, so the bytes are UTF-8.
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_a_field_with_the_separator_a_quote_or_a_line_break() {
        let text = csv_text(
            Dialect::Semicolon,
            ["a", "b", "c", "d", "e"],
            [[
                "GAEC; du Bocage".to_owned(),
                "dit \"le Haut\"".to_owned(),
                "ligne\nsuite".to_owned(),
                "retour\rchariot".to_owned(),
                "a,b".to_owned(),
            ]],
        )
        .unwrap();
        assert_eq!(
            text,
            "a;b;c;d;e\n\"GAEC; du Bocage\";\"dit \"\"le Haut\"\"\";\"ligne\nsuite\";\"retour\rchariot\";a,b\n"
        );
        let text = csv_text(
            Dialect::Rfc4180,
            ["a", "b"],
            [["x,y".to_owned(), "z;".to_owned()]],
        )
        .unwrap();
        assert_eq!(text, "a,b\r\n\"x,y\",z;\r\n");
    }
}
