//! Whole-binary tests of the store subcommands: demo, import, export, check.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn tournee(data: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tournee"))
        .arg("--data")
        .arg(data)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn demo_loads_once_and_export_import_export_is_identical() {
    let a = tempfile::tempdir().unwrap();
    let first = json(&tournee(a.path(), &["demo", "--today", "2026-11-24"], None));
    assert_eq!(first["technicians"], 1);
    assert!(first["acts"].as_u64().unwrap() > 100, "{first}");
    let again = json(&tournee(a.path(), &["demo", "--today", "2026-11-24"], None));
    assert_eq!(again["acts"], 0);
    assert_eq!(again["visits"], 0);

    let exported = tournee(a.path(), &["export"], None);
    assert!(exported.status.success());
    let text = String::from_utf8(exported.stdout).unwrap();

    let b = tempfile::tempdir().unwrap();
    let imported = json(&tournee(b.path(), &["import", "-"], Some(&text)));
    assert_eq!(imported["acts"], first["acts"]);
    assert_eq!(imported["visits"], first["visits"]);
    let twice = json(&tournee(b.path(), &["import", "-"], Some(&text)));
    assert_eq!(twice["acts"], 0);
    assert_eq!(twice["confirmations"], 0);
    let back = tournee(b.path(), &["export"], None);
    assert_eq!(String::from_utf8(back.stdout).unwrap(), text);
}

const FILE: &str = r#"{"format":"tournee/v1",
  "technicians":[{"id":"T01","name":"Julie Moreau"}],
  "farms":[{"ede":"53161001","name":"GAEC du Bocage","lat":48.13,"lon":-0.57}],
  "visits":[{"id":"V1","technician":"T01","farm":"53161001",
    "arrived":"2026-11-24T08:10:00+01:00","left":"2026-11-24T08:32:00+01:00",
    "acts":[{"kind":"ia_bovine","count":1,"animals":["FR5312345678"],"bull":"FR2934119912"},
            {"kind":"echo_bovine","count":3,"result":"pregnant"}]}]}"#;

#[test]
fn a_bad_file_is_refused_whole_with_its_path_and_the_store_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    json(&tournee(dir.path(), &["import", "-"], Some(FILE)));
    let before = tournee(dir.path(), &["export"], None).stdout;

    // a new visit is fine, but the second act of it has a malformed cow number
    let bad = FILE
        .replace("\"V1\"", "\"V2\"")
        .replace("FR5312345678", "FR53123");
    let out = tournee(dir.path(), &["import", "-"], Some(&bad));
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("visits[0].acts[0].animals[0]"), "{err}");
    assert!(err.contains("FR53123"), "{err}");
    assert_eq!(tournee(dir.path(), &["export"], None).stdout, before);

    // an act id already recorded with another content
    let changed = FILE.replace("\"count\":3", "\"count\":4");
    let out = tournee(dir.path(), &["import", "-"], Some(&changed));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("visits[0].acts[1].id"), "{err}");
    assert_eq!(tournee(dir.path(), &["export"], None).stdout, before);

    // not JSON at all
    let out = tournee(dir.path(), &["import", "-"], Some("{\"format\": tournee"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("line 1"));
}

#[test]
fn closed_hours_are_imported_exported_and_changed_by_a_newer_file() {
    let dir = tempfile::tempdir().unwrap();
    let with = |closed: &str| {
        FILE.replace(
            r#""lat":48.13,"lon":-0.57}"#,
            &format!(r#""lat":48.13,"lon":-0.57,"closed":{closed}}}"#),
        )
    };
    let evening = r#"[{"from":"17:00","to":"18:30"}]"#;
    let first = json(&tournee(dir.path(), &["import", "-"], Some(&with(evening))));
    assert_eq!(first["closed_hours"], 1);
    let exported = json(&tournee(dir.path(), &["export"], None));
    assert_eq!(
        exported["farms"][0]["closed"],
        serde_json::json!([{"from": "17:00", "to": "18:30"}])
    );
    // the same hours again add nothing; a file without them leaves them as they are
    let again = json(&tournee(dir.path(), &["import", "-"], Some(&with(evening))));
    assert_eq!(again["closed_hours"], 0);
    let without = json(&tournee(dir.path(), &["import", "-"], Some(FILE)));
    assert_eq!(without["closed_hours"], 0);
    // newer hours replace them
    let both = r#"[{"from":"06:30","to":"08:00"},{"from":"17h00","to":"18h30"}]"#;
    let newer = json(&tournee(dir.path(), &["import", "-"], Some(&with(both))));
    assert_eq!(newer["closed_hours"], 1);
    let exported = json(&tournee(dir.path(), &["export"], None));
    assert_eq!(
        exported["farms"][0]["closed"],
        serde_json::json!([{"from": "06:30", "to": "08:00"}, {"from": "17:00", "to": "18:30"}])
    );
    // overlapping hours are refused with their path and value, nothing changes
    let before = tournee(dir.path(), &["export"], None).stdout;
    let overlap = r#"[{"from":"17:00","to":"18:30"},{"from":"18:00","to":"19:00"}]"#;
    let out = tournee(dir.path(), &["import", "-"], Some(&with(overlap)));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("farms[0].closed[1]") && err.contains("18:00–19:00"),
        "{err}"
    );
    assert_eq!(tournee(dir.path(), &["export"], None).stdout, before);
}

#[test]
fn a_visit_imported_again_with_another_farm_is_refused_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let two_farms = FILE.replace(
        "\"lat\":48.13,\"lon\":-0.57}]",
        "\"lat\":48.13,\"lon\":-0.57},{\"ede\":\"53161002\",\"name\":\"EARL des Prés\",\"lat\":48.2,\"lon\":-0.6}]",
    );
    json(&tournee(dir.path(), &["import", "-"], Some(&two_farms)));
    let before = tournee(dir.path(), &["export"], None).stdout;

    // the same visit id, moved to the other farm, with no acts: the signed visit must not move
    let moved = two_farms
        .replace("\"farm\":\"53161001\"", "\"farm\":\"53161002\"")
        .replace(
            "\"acts\":[{\"kind\":\"ia_bovine\",\"count\":1,\"animals\":[\"FR5312345678\"],\"bull\":\"FR2934119912\"},\n            {\"kind\":\"echo_bovine\",\"count\":3,\"result\":\"pregnant\"}]",
            "\"acts\":[]",
        );
    assert!(moved.contains("\"acts\":[]"), "{moved}");
    let out = tournee(dir.path(), &["import", "-"], Some(&moved));
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("tournee: visits[0].farm: \"53161002\" is not valid"),
        "{err}"
    );
    assert!(err.contains("(53161001)"), "{err}");
    assert_eq!(tournee(dir.path(), &["export"], None).stdout, before);

    // an arrival moved is refused the same way, naming its field
    let later = two_farms.replace("T08:10:00", "T08:11:00");
    let out = tournee(dir.path(), &["import", "-"], Some(&later));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("tournee: visits[0].arrived"), "{err}");

    // the same content again is fine and adds nothing
    let again = json(&tournee(dir.path(), &["import", "-"], Some(&two_farms)));
    assert_eq!(again["visits"], 0);
    assert_eq!(again["acts"], 0);
}

#[test]
fn absurd_values_are_refused_with_the_rule_and_a_byte_order_mark_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let refused = |text: &str| {
        let out = tournee(dir.path(), &["import", "-"], Some(text));
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(out.stdout.is_empty());
        String::from_utf8(out.stderr).unwrap()
    };
    let err = refused(&FILE.replace(
        "\"bull\":\"FR2934119912\"}",
        "\"bull\":\"FR2934119912\",\"at\":\"2031-11-24T08:20:00+01:00\"}",
    ));
    assert!(
        err.starts_with("tournee: visits[0].acts[0].at: \"2031-11-24T08:20:00+01:00\""),
        "{err}"
    );
    assert!(err.contains("within its visit"), "{err}");
    let err = refused(&FILE.replace("\"left\":\"2026-11-24T", "\"left\":\"2026-11-29T"));
    assert!(err.starts_with("tournee: visits[0].left"), "{err}");
    assert!(err.contains("at most 24 hours"), "{err}");
    let err = refused(&FILE.replace("2026-11-24T", "1900-11-24T"));
    assert!(
        err.starts_with("tournee: visits[0].arrived: \"1900-11-24\""),
        "{err}"
    );
    assert!(err.contains("ten years before today"), "{err}");
    let err = refused(&FILE.replace("FR5312345678", "FR0000000000"));
    assert!(
        err.starts_with("tournee: visits[0].acts[0].animals[0]: "),
        "{err}"
    );
    assert!(err.contains("\"FR0000000000\" is not valid"), "{err}");
    assert!(err.contains("a département, 01 to 95 or 97"), "{err}");
    let err = refused(&FILE.replace("Julie Moreau", "Julie \\u202Eeroom"));
    assert!(err.starts_with("tournee: technicians[0].name"), "{err}");
    assert!(err.contains("direction overrides"), "{err}");
    assert!(tournee(dir.path(), &["export"], None).status.success());

    let added = json(&tournee(
        dir.path(),
        &["import", "-"],
        Some(&format!("\u{feff}{FILE}")),
    ));
    assert_eq!(added["acts"], 2);
}

#[test]
fn a_missing_file_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = tournee(dir.path(), &["import", "/nonexistent/file.json"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("/nonexistent/file.json")
    );
}

#[test]
fn a_store_open_in_another_process_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let _open = tournee::log::Store::open(dir.path()).unwrap();
    let out = tournee(dir.path(), &["export"], None);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("already open"), "{err}");
}

#[test]
fn check_reports_an_intact_store() {
    let dir = tempfile::tempdir().unwrap();
    json(&tournee(dir.path(), &["import", "-"], Some(FILE)));
    let report = json(&tournee(dir.path(), &["check"], None));
    assert_eq!(report["intact"], true);
    assert_eq!(report["chains"][0]["events"], 5);
    // Damage of every kind is tested in tests/store_damage.rs.
}
