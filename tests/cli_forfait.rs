//! `tournee forfait` as a user runs it: the built binary, files and standard input.
//! Expected seconds are computed by hand from `assets/annexe-i.toml`.

mod cli_common;

use cli_common::{file, json, refused, tournee};

#[test]
fn prices_acts_by_annexe_i_from_standard_input() {
    let out = tournee(
        &["forfait", "-"],
        r#"{"acts":[{"kind":"ia_bovine","count":3},{"kind":"ia_caprine_frozen","count":50}]}"#,
    );
    let v = json(&out);
    // ia_bovine: 3 × 390 = 1,170 s. ia_caprine_frozen, 50 goats: 20 × 150 + 20 × 120 + 10 × 90
    // = 6,300 s. Total 7,470 s.
    assert_eq!(
        v,
        serde_json::json!({
            "acts": [
                {"kind": "ia_bovine", "count": 3, "seconds": 1170},
                {"kind": "ia_caprine_frozen", "count": 50, "seconds": 6300}
            ],
            "total_seconds": 7470
        })
    );
}

#[test]
fn prices_acts_by_a_company_grid_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let grid = file(
        &dir,
        "grid.toml",
        "[forfait_seconds]\nia_bovine = 420\nembryo_transfer = 1800\n\n[forfait_tiers]\nia_ovine_fresh = [{ from = 1, to = 20, seconds = 120 }, { from = 21, seconds = 90 }]\n",
    );
    let acts = file(
        &dir,
        "acts.json",
        r#"{"acts":[{"kind":"ia_bovine","count":2},{"kind":"embryo_transfer","count":1},{"kind":"ia_ovine_fresh","count":45},{"kind":"echo_bovine","count":10}]}"#,
    );
    let v = json(&tournee(&["forfait", "--grid", &grid, &acts], ""));
    // 2 × 420 = 840; 1 × 1,800; 20 × 120 + 25 × 90 = 2,400 + 2,250 = 4,650 (beyond Annexe I's
    // 40, allowed by the company value); echo_bovine keeps Annexe I: 10 × 180 = 1,800.
    // Total 840 + 1,800 + 4,650 + 1,800 = 9,090 s.
    let seconds: Vec<u64> = v["acts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["seconds"].as_u64().unwrap())
        .collect();
    assert_eq!(seconds, vec![840, 1_800, 4_650, 1_800]);
    assert_eq!(v["total_seconds"], 9_090);
}

#[test]
fn an_empty_list_is_zero() {
    let v = json(&tournee(&["forfait", "-"], r#"{"acts":[]}"#));
    assert_eq!(v["total_seconds"], 0);
}

#[test]
fn refuses_a_company_grid_below_annexe_i() {
    let dir = tempfile::tempdir().unwrap();
    let grid = file(&dir, "grid.toml", "[forfait_seconds]\nia_bovine = 300\n");
    let err = refused(&tournee(
        &["forfait", "--grid", &grid, "-"],
        r#"{"acts":[{"kind":"ia_bovine","count":1}]}"#,
    ));
    assert!(
        err.contains("ia_bovine") && err.contains("300") && err.contains("390"),
        "{err}"
    );
}

#[test]
fn refuses_bad_input_with_one_line_and_status_2() {
    let cases: &[(&str, &[&str])] = &[
        // An act kind that does not exist.
        (
            r#"{"acts":[{"kind":"ia_bovin","count":1}]}"#,
            &["acts[0].kind"],
        ),
        // A lot of no animal.
        (
            r#"{"acts":[{"kind":"ia_bovine","count":0}]}"#,
            &["acts[0]", "count"],
        ),
        // A negative count.
        (
            r#"{"acts":[{"kind":"ia_bovine","count":-1}]}"#,
            &["acts[0].count"],
        ),
        // Beyond Annexe I's max_lot with no company value.
        (
            r#"{"acts":[{"kind":"ia_bovine","count":1},{"kind":"ia_ovine_fresh","count":41}]}"#,
            &["acts[1]", "ia_ovine_fresh", "40"],
        ),
        // No national minimum and no company value.
        (r#"{"acts":[{"kind":"scoring","count":1}]}"#, &["scoring"]),
        // Not JSON, an unknown field, trailing text, a missing list.
        (r#"{"acts":[{"kind":"ia_bovine","count":1}"#, &[]),
        (
            r#"{"acts":[{"kind":"ia_bovine","count":1,"bull":"x"}]}"#,
            &["bull"],
        ),
        (r#"{"acts":[]} {"acts":[]}"#, &[]),
        (r#"{}"#, &["acts"]),
    ];
    for (input, words) in cases {
        let err = refused(&tournee(&["forfait", "-"], input));
        for w in *words {
            assert!(err.contains(w), "{input}: {err}");
        }
    }
}

#[test]
fn refuses_unreadable_or_malformed_files() {
    let dir = tempfile::tempdir().unwrap();
    let acts = file(&dir, "acts.json", r#"{"acts":[]}"#);
    let missing = dir.path().join("nope.toml");
    let err = refused(&tournee(
        &["forfait", "--grid", missing.to_str().unwrap(), &acts],
        "",
    ));
    assert!(err.contains("nope.toml"), "{err}");
    let bad = file(&dir, "bad.toml", "[forfait_seconds]\nia_bovine = = 3\n");
    let err = refused(&tournee(&["forfait", "--grid", &bad, &acts], ""));
    assert!(err.contains("line 2"), "{err}");
    let unknown = file(&dir, "unknown.toml", "[forfait_seconds]\nia_bovin = 400\n");
    let err = refused(&tournee(&["forfait", "--grid", &unknown, &acts], ""));
    assert!(err.contains("forfait_seconds.ia_bovin"), "{err}");
    refused(&tournee(
        &["forfait", dir.path().join("none.json").to_str().unwrap()],
        "",
    ));
}
