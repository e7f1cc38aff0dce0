//! Reads the Annexe I table compiled into the binary (`assets/annexe-i.toml`) into typed rows.
//!
//! Not for company grids (`company`): this is the national table, read once and checked as
//! strictly as a company grid, so a slip in the asset is a loud test failure, not a wrong
//! figure.

use std::sync::OnceLock;

use serde::Deserialize;

use super::{ForfaitError, Tier, check_tiers};
use crate::domain::ActKind;

const ANNEXE_I: &str = include_str!("../../assets/annexe-i.toml");

/// One row of Annexe I: an act kind, its labels and conditions, and its minimum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnexeRow {
    pub kind: ActKind,
    pub label_fr: String,
    pub label_en: String,
    /// The situation the estimate assumes (animal restrained, farmer present, site prepared).
    pub conditions: String,
    pub(super) tiers: Vec<Tier>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[allow(dead_code)] // read so a renamed field is caught; the README cites it
    source: String,
    act: Vec<Row>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // descriptive fields are read so a renamed field is caught
struct Row {
    id: String,
    label_fr: String,
    label_en: String,
    species: String,
    family: String,
    unit: String,
    conditions: String,
    #[serde(default)]
    steps: Vec<String>,
    seconds: Option<u32>,
    tiers: Option<Vec<TierRow>>,
    max_lot: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TierRow {
    from: u32,
    to: Option<u32>,
    seconds: u32,
}

/// The table, read on first use.
pub(super) fn table() -> Result<&'static [AnnexeRow], ForfaitError> {
    static TABLE: OnceLock<Result<Vec<AnnexeRow>, ForfaitError>> = OnceLock::new();
    match TABLE.get_or_init(|| read(ANNEXE_I)) {
        Ok(rows) => Ok(rows),
        Err(e) => Err(e.clone()),
    }
}

fn damaged(e: impl std::fmt::Display) -> ForfaitError {
    ForfaitError::Annexe(e.to_string())
}

fn read(text: &str) -> Result<Vec<AnnexeRow>, ForfaitError> {
    let file: File = toml::from_str(text).map_err(|e| damaged(e.message()))?;
    let mut rows: Vec<AnnexeRow> = Vec::with_capacity(file.act.len());
    for (i, row) in file.act.into_iter().enumerate() {
        let kind = ActKind::parse(&format!("act[{i}].id"), &row.id).map_err(damaged)?;
        if !kind.in_annexe_i() {
            return Err(damaged(format!(
                "act[{i}]: {kind} is not an Annexe I act kind"
            )));
        }
        if rows.iter().any(|r| r.kind == kind) {
            return Err(damaged(format!("act[{i}]: {kind} appears twice")));
        }
        let tiers = match (row.seconds, row.tiers) {
            (Some(seconds), None) => vec![Tier {
                from: 1,
                to: None,
                seconds,
            }],
            (None, Some(tiers)) => tiers
                .into_iter()
                .map(|t| Tier {
                    from: t.from,
                    to: t.to,
                    seconds: t.seconds,
                })
                .collect(),
            _ => {
                return Err(damaged(format!(
                    "act[{i}] ({kind}): expected either `seconds` or `tiers`"
                )));
            }
        };
        check_tiers(&format!("act[{i}].tiers"), &tiers, false).map_err(damaged)?;
        let covered = tiers.last().and_then(|t| t.to);
        if covered != row.max_lot {
            return Err(damaged(format!(
                "act[{i}] ({kind}): max_lot {:?} disagrees with the tiers, which cover lots up to {:?}",
                row.max_lot, covered
            )));
        }
        rows.push(AnnexeRow {
            kind,
            label_fr: row.label_fr,
            label_en: row.label_en,
            conditions: row.conditions,
            tiers,
        });
    }
    if let Some(missing) = ActKind::ALL
        .iter()
        .find(|k| k.in_annexe_i() && !rows.iter().any(|r| r.kind == **k))
    {
        return Err(damaged(format!("no row for {missing}")));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_reads_with_its_thirteen_rows() {
        let rows = table().unwrap();
        assert_eq!(rows.len(), 13);
        let ovine_fresh = rows
            .iter()
            .find(|r| r.kind == ActKind::IaOvineFresh)
            .unwrap();
        assert_eq!(ovine_fresh.tiers.last().unwrap().to, Some(40));
    }

    #[test]
    fn a_damaged_table_is_reported_not_used() {
        let broken = ANNEXE_I.replace("max_lot = 40", "max_lot = 41");
        let e = read(&broken).unwrap_err();
        assert!(
            matches!(e, ForfaitError::Annexe(ref m) if m.contains("max_lot")),
            "{e}"
        );
        let doubled = format!(
            "{ANNEXE_I}\n[[act]]\nid = \"ia_bovine\"\nlabel_fr = \"x\"\nlabel_en = \"x\"\nspecies = \"bovine\"\nfamily = \"insemination\"\nunit = \"female\"\nconditions = \"x\"\nseconds = 1\n"
        );
        assert!(matches!(read(&doubled), Err(ForfaitError::Annexe(m)) if m.contains("twice")));
        let missing = ANNEXE_I.replace("id = \"echo_porcine\"", "id = \"scoring\"");
        assert!(matches!(read(&missing), Err(ForfaitError::Annexe(m)) if m.contains("scoring")));
    }
}
