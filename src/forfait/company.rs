//! Reads a company grid (TOML) and checks it against Annexe I.
//!
//! Not for applying the grid (`Grid` in the parent module). Values are read from the TOML
//! tree by hand rather than through serde so that every refusal names the exact key
//! (`forfait_tiers.ia_caprine_frozen[1].seconds`) and the value found there.

use toml::Value;

use super::{ForfaitError, MAX_LOT, MAX_SECONDS_PER_ANIMAL, Origin, Rate, Tier, check_tiers};
use crate::domain::ActKind;

/// The top-level table `worktime` reads from the same file (its settings).
const WORKTIME_TABLE: &str = "worktime";

fn invalid(key: &str, value: impl Into<String>, expected: impl Into<String>) -> ForfaitError {
    ForfaitError::Invalid {
        key: key.to_owned(),
        value: value.into(),
        expected: expected.into(),
    }
}

/// How a TOML value reads in an error: its text, cut short.
fn shown(value: &Value) -> String {
    let text = match value {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    let cut: String = text.chars().take(60).collect();
    if cut.len() < text.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// The line (from 1) of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(0, |t| t.matches('\n').count()) + 1
}

/// The act kinds and company rates the grid sets, in file order of the tables.
pub(super) fn parse(text: &str) -> Result<Vec<(ActKind, Rate)>, ForfaitError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| ForfaitError::Syntax {
        line: e.span().map_or(1, |s| line_of(text, s.start)),
        message: e.message().trim().to_owned(),
    })?;
    let mut out: Vec<(ActKind, Rate)> = Vec::new();
    let mut set = |key: &str, kind: ActKind, tiers: Vec<Tier>| {
        if out.iter().any(|(k, _)| *k == kind) {
            return Err(invalid(
                key,
                "a second value",
                format!(
                    "one value per act: {kind} appears in both [forfait_seconds] and [forfait_tiers]"
                ),
            ));
        }
        out.push((
            kind,
            Rate {
                origin: Origin::Company,
                tiers,
            },
        ));
        Ok(())
    };
    for (name, value) in &table {
        match name.as_str() {
            "forfait_seconds" => {
                for (k, v, key) in acts_of(name, value)? {
                    let kind = act_kind(&key, k)?;
                    let seconds = seconds(&key, v)?;
                    let flat = vec![Tier {
                        from: 1,
                        to: None,
                        seconds,
                    }];
                    set(&key, kind, flat)?;
                }
            }
            "forfait_tiers" => {
                for (k, v, key) in acts_of(name, value)? {
                    let kind = act_kind(&key, k)?;
                    let tiers = tiers(&key, v)?;
                    check_tiers(&key, &tiers, true)?;
                    set(&key, kind, tiers)?;
                }
            }
            WORKTIME_TABLE => {}
            other => {
                return Err(invalid(
                    other,
                    "an unknown key",
                    "[forfait_seconds], [forfait_tiers] (or the [worktime] settings)",
                ));
            }
        }
    }
    Ok(out)
}

/// The entries of `[forfait_seconds]` or `[forfait_tiers]`, each with its full key.
fn acts_of<'a>(
    name: &str,
    value: &'a Value,
) -> Result<Vec<(&'a str, &'a Value, String)>, ForfaitError> {
    let Value::Table(t) = value else {
        return Err(invalid(
            name,
            shown(value),
            format!("a table [{name}] of act kind = value"),
        ));
    };
    Ok(t.iter()
        .map(|(k, v)| (k.as_str(), v, format!("{name}.{k}")))
        .collect())
}

fn act_kind(key: &str, id: &str) -> Result<ActKind, ForfaitError> {
    ActKind::parse(key, id).map_err(|_| {
        let known: Vec<&str> = ActKind::ALL.iter().map(|k| k.id()).collect();
        invalid(
            key,
            format!("{id:?}"),
            format!("an act kind, one of {}", known.join(", ")),
        )
    })
}

fn whole(key: &str, value: &Value, max: u32, what: &str) -> Result<u32, ForfaitError> {
    match value {
        Value::Integer(n) if (1..=i64::from(max)).contains(n) => Ok(*n as u32),
        _ => Err(invalid(
            key,
            shown(value),
            format!("{what} from 1 to {max}"),
        )),
    }
}

fn seconds(key: &str, value: &Value) -> Result<u32, ForfaitError> {
    whole(
        key,
        value,
        MAX_SECONDS_PER_ANIMAL,
        "a whole number of seconds per animal",
    )
}

fn tiers(key: &str, value: &Value) -> Result<Vec<Tier>, ForfaitError> {
    let expected = "a list of tiers such as [{ from = 1, to = 20, seconds = 160 }, { from = 21, seconds = 120 }]";
    let Value::Array(items) = value else {
        return Err(invalid(key, shown(value), expected));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("{key}[{i}]");
        let Value::Table(t) = item else {
            return Err(invalid(&at, shown(item), "a tier { from, to, seconds }"));
        };
        if let Some(k) = t
            .keys()
            .find(|k| !matches!(k.as_str(), "from" | "to" | "seconds"))
        {
            return Err(invalid(
                &format!("{at}.{k}"),
                "an unknown key",
                "only from, to and seconds in a tier",
            ));
        }
        let field = |name: &str| {
            t.get(name)
                .ok_or_else(|| invalid(&format!("{at}.{name}"), "(missing)", "a value"))
        };
        let from = whole(
            &format!("{at}.from"),
            field("from")?,
            MAX_LOT,
            "an animal rank",
        )?;
        let to = match t.get("to") {
            Some(v) => Some(whole(&format!("{at}.to"), v, MAX_LOT, "an animal rank")?),
            None => None,
        };
        let seconds = seconds(&format!("{at}.seconds"), field("seconds")?)?;
        out.push(Tier { from, to, seconds });
    }
    Ok(out)
}

/// Refuses a company rate whose total for some lot covered by Annexe I is below Annexe I's
/// total for that lot (see the module documentation for why lots, not ranks, are compared).
pub(super) fn check_floor(
    kind: ActKind,
    company: &Rate,
    minimum: &Rate,
) -> Result<(), ForfaitError> {
    let last = minimum.max_lot().unwrap_or(MAX_LOT);
    let (mut ours, mut floor) = (0u32, 0u32);
    for lot in 1..=last {
        // Both cover every lot up to `last`: a company rate is open-ended, and `last` is
        // within Annexe I's cover. Totals stay far below u32::MAX (see MAX_SECONDS_PER_ANIMAL).
        ours = ours.saturating_add(company.per_animal(lot).unwrap_or(0));
        floor = floor.saturating_add(minimum.per_animal(lot).unwrap_or(0));
        if ours < floor {
            return Err(ForfaitError::BelowMinimum {
                kind,
                lot,
                company: ours,
                minimum: floor,
            });
        }
    }
    Ok(())
}
