//! Whole-binary tests of `tournee declarations` and `tournee certificate` on the demo store.

mod cli_common;

use std::path::Path;
use std::process::Output;

fn tournee(data: &Path, args: &[&str]) -> Output {
    cli_common::tournee_on(data, args)
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn demo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    json(&tournee(dir.path(), &["demo", "--today", "2026-11-24"]));
    dir
}

#[test]
fn the_demo_weeks_inseminations_are_pending_then_late_after_their_deadline() {
    let dir = demo();
    let all = json(&tournee(
        dir.path(),
        &["declarations", "--today", "2026-11-24"],
    ));
    let items = all["declarations"].as_array().unwrap();
    assert!(items.len() > 20, "{} declarations", items.len());
    // the demo week runs from 17 to 23 November: nothing is late on the 24th
    for d in items {
        assert_eq!(d["status"], "to_send");
        assert!(d["record"]["company_approval"].is_string(), "{d}");
        let date =
            chrono::NaiveDate::parse_from_str(d["date"].as_str().unwrap(), "%Y-%m-%d").unwrap();
        let deadline =
            chrono::NaiveDate::parse_from_str(d["deadline"].as_str().unwrap(), "%Y-%m-%d").unwrap();
        assert_eq!((deadline - date).num_days(), 14);
    }
    let late = json(&tournee(
        dir.path(),
        &["declarations", "--late", "--today", "2026-11-24"],
    ));
    assert_eq!(late["declarations"].as_array().unwrap().len(), 0);
    // on 2 December, the records of 17 November (deadline 1 December) are late, not the others
    let late = json(&tournee(
        dir.path(),
        &["declarations", "--late", "--today", "2026-12-02"],
    ));
    let late = late["declarations"].as_array().unwrap();
    assert!(!late.is_empty());
    let from_17th = items.iter().filter(|d| d["date"] == "2026-11-17").count();
    assert_eq!(late.len(), from_17th);
}

#[test]
fn the_csv_has_one_line_per_record_to_send() {
    let dir = demo();
    let all = json(&tournee(
        dir.path(),
        &["declarations", "--today", "2026-11-24"],
    ));
    let n = all["declarations"].as_array().unwrap().len();
    let out = tournee(
        dir.path(),
        &[
            "declarations",
            "--pending",
            "--format",
            "csv",
            "--today",
            "2026-11-24",
        ],
    );
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("type;acte;corrige;date"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), n);
    assert!(
        rows.iter()
            .all(|r| r.starts_with("initiale;") && r.split(';').count() == 17)
    );
}

#[test]
fn the_certificate_of_a_visit_is_a_pdf_with_its_records() {
    let dir = demo();
    let all = json(&tournee(
        dir.path(),
        &["declarations", "--today", "2026-11-24"],
    ));
    let first = &all["declarations"][0];
    let visit = first["visit"].as_str().unwrap();
    let pdf = dir.path().join("certificate.pdf");
    let out = tournee(
        dir.path(),
        &["certificate", visit, "--out", pdf.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = pdf_extract::extract_text_from_mem(&std::fs::read(&pdf).unwrap()).unwrap();
    assert!(
        text.contains(first["record"]["farm_name"].as_str().unwrap()),
        "{text}"
    );
    assert!(
        text.contains(first["record"]["sire"].as_str().unwrap()),
        "{text}"
    );
    assert!(
        text.contains(first["record"]["females"][0].as_str().unwrap()),
        "{text}"
    );
}

#[test]
fn bad_arguments_exit_with_2_and_name_the_value() {
    let dir = demo();
    let out = tournee(dir.path(), &["certificate", "NO-SUCH-VISIT"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("NO-SUCH-VISIT"));
    let out = tournee(dir.path(), &["declarations", "--technician", "T 01"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--technician"));
}
