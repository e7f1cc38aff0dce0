//! Whole-binary tests of `tournee fertility` on a hand-made herd (`tests/data/fertility-herd.json`).
//!
//! The herd, at GAEC du Bocage (53161001), from 5 January 2026:
//! - cow 1: IA1 on 5 January with Ulysse, a second dose on the 6th (the same heat), found
//!   pregnant on 20 February (day 46);
//! - cow 2: IA1 on 5 January with Ottawa, back on the 25th (day 20, a return), a doubtful check
//!   on 20 February (ignored);
//! - cow 4: IA1 on 20 October with Ulysse; cow 3: IA1 on 4 November with Ottawa.

mod cli_common;

use cli_common::{json, refused, tournee_on};

fn herd() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/fertility-herd.json"
    );
    json(&tournee_on(dir.path(), &["import", file]));
    dir
}

const FIRST_QUARTER: [&str; 6] = [
    "--from",
    "2026-01-01",
    "--to",
    "2026-03-31",
    "--today",
    "2026-11-24",
];

fn fertility(dir: &tempfile::TempDir, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["fertility"];
    args.extend_from_slice(&FIRST_QUARTER);
    args.extend_from_slice(extra);
    tournee_on(dir.path(), &args)
}

#[test]
fn the_figures_of_a_farm_count_one_service_per_heat_and_give_their_counts() {
    let dir = herd();
    let r = json(&fertility(&dir, &["--farm", "53161001"]));
    // Services in the first quarter: cow 1 once (two doses, one heat), cow 2 twice = 3; IA1 2.
    assert_eq!(r["services"], 3);
    assert_eq!(r["first_services"], 2);
    // NR56 and NR90: both IA1 are old enough on 24 November; cow 2 came back on day 20.
    for nr in ["nr56", "nr90"] {
        assert_eq!(r[nr]["eligible"], 2, "{nr}");
        assert_eq!(r[nr]["non_returns"], 1, "{nr}");
        assert_eq!(r[nr]["rate"], 0.5, "{nr}");
    }
    // Conception at IA1: cow 1's check on day 46 (pregnant); cow 2's doubtful one is ignored.
    assert_eq!(r["conception_first"]["checked"], 1);
    assert_eq!(r["conception_first"]["pregnant"], 1);
    assert_eq!(r["conception_first"]["rate"], 1.0);
    // Two females served, none three times.
    assert_eq!(r["three_or_more"]["females"], 2);
    assert_eq!(r["three_or_more"]["with_three_or_more"], 0);
    assert_eq!(r["three_or_more"]["rate"], 0.0);
    // By bull: Ulysse (cow 1, no return), Ottawa (cow 2, returned).
    let bulls: Vec<(String, u64)> = r["by_bull"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["name"].as_str().unwrap().to_owned(),
                b["nr56"]["non_returns"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(bulls, vec![("Ulysse".into(), 1), ("Ottawa".into(), 0)]);
    // By month: January has both IA1, February and March none (their rates are absent).
    let months = r["by_month"].as_array().unwrap();
    assert_eq!(months.len(), 3);
    assert_eq!(months[0]["month"], "2026-01");
    assert_eq!(months[0]["first_services"], 2);
    assert_eq!(months[1]["first_services"], 0);
    assert!(months[1]["nr56"]["rate"].is_null());
}

#[test]
fn a_bull_or_a_technician_selects_the_services() {
    let dir = herd();
    let ulysse = json(&fertility(&dir, &["--bull", "FR2934119912"]));
    assert_eq!(ulysse["first_services"], 1);
    assert_eq!(ulysse["nr56"]["non_returns"], 1);
    let t01 = json(&fertility(&dir, &["--technician", "T01"]));
    assert_eq!(t01["first_services"], 2);
    let nobody = json(&fertility(&dir, &["--technician", "T02"]));
    assert_eq!(nobody["first_services"], 0);
    assert!(nobody["nr56"]["rate"].is_null());
}

#[test]
fn csv_has_one_row_per_group() {
    let dir = herd();
    let out = fertility(&dir, &["--format", "csv"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    // header, the selection, 2 bulls, 3 months
    assert_eq!(rows.len(), 7, "{text}");
    assert!(rows[0].starts_with("group;key;services;first_services;nr56_eligible"));
    assert!(rows[1].starts_with("all;;3;2;2;1;0.5000;2;1;0.5000;1;1;1.0000;2;0;0.0000"));
    assert!(rows[2].starts_with("bull;FR2934119912;"));
    assert!(rows[4].starts_with("month;2026-01;3;2;"));
}

#[test]
fn the_yearly_report_reads_back_in_plain_words() {
    let dir = herd();
    let out = fertility(&dir, &["--farm", "53161001", "--format", "pdf"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = pdf_extract::extract_text_from_mem(&out.stdout).unwrap();
    let text = text.replace(['\u{a0}', '\u{202f}'], " ");
    assert!(text.contains("Bilan de reproduction du troupeau"), "{text}");
    assert!(text.contains("GAEC du Bocage"), "{text}");
    assert!(
        text.contains("Non-retour à 56 jours : 50 % (1 sur 2)"),
        "{text}"
    );
    assert!(text.contains("Réussite en IA1 : 100 % (1 sur 1)"), "{text}");
    assert!(text.contains("janvier 2026"), "{text}");
    assert!(text.contains("Ulysse (FR2934119912)"), "{text}");
    // Judged on 24 November: cow 3 (IA1 on 4 November, 20 days) is a heat to watch.
    assert!(
        text.contains("chaleur à surveiller (IA il y a 20 jours)"),
        "{text}"
    );
}

#[test]
fn bad_arguments_exit_2_naming_the_field() {
    let dir = herd();
    let cases: [(&[&str], &str); 6] = [
        (&["--from", "2026-13-01", "--to", "2026-03-31"], "--from"),
        (&["--from", "2026-04-01", "--to", "2026-03-31"], "--to"),
        (
            &[
                "--from",
                "2026-01-01",
                "--to",
                "2026-03-31",
                "--farm",
                "123",
            ],
            "--farm",
        ),
        (
            &[
                "--from",
                "2026-01-01",
                "--to",
                "2026-03-31",
                "--format",
                "xml",
            ],
            "--format",
        ),
        (
            &[
                "--from",
                "2026-01-01",
                "--to",
                "2026-03-31",
                "--format",
                "pdf",
            ],
            "--farm",
        ),
        (
            &[
                "--from",
                "2026-01-01",
                "--to",
                "2026-03-31",
                "--bull",
                "FR12",
            ],
            "--bull",
        ),
    ];
    for (args, field) in cases {
        let mut all = vec!["fertility"];
        all.extend_from_slice(args);
        let err = refused(&tournee_on(dir.path(), &all));
        assert!(
            err.starts_with(&format!("tournee: {field}: ")),
            "{args:?}: {err}"
        );
    }
    let err = refused(&tournee_on(
        dir.path(),
        &[
            "fertility",
            "--from",
            "2026-01-01",
            "--to",
            "2026-03-31",
            "--farm",
            "53999001",
        ],
    ));
    assert!(err.contains("53999001"), "{err}");
}
