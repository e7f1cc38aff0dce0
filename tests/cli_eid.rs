//! `tournee eid-parse` as a user runs it: reader lines on standard input (the frames of the
//! readers' manuals), one JSON per line out; and read live from a pseudo-terminal standing for
//! a stick reader, a line answered as soon as its frame ends.

mod cli_common;
mod eid_common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use cli_common::{refused, tournee};
use serde_json::{Value, json};

fn lines(out: &std::process::Output) -> Vec<Value> {
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn prints_one_json_per_reader_line() {
    let input = concat!(
        "LA 982 000001088420\r\n",         // Allflex RS320 manual, table 3
        "LA 00000 0 982 000001088420\r\n", // the same tag, TIRIS S2000 record
        "\u{2}250 053012312345\u{3}",      // ISO 24631-6 frame: a French goat
        "250005312345678\r\n",             // a French cow, or a sheep of the 05
        "3DD.003BA20748\n",                // Biomark HPR manual, hexadecimal
        "LR 0006 0000000018514243\r\n",    // Allflex industrial tag
        "\r\n",                            // nothing: no answer
        "tag?\n"
    );
    let out = lines(&tournee(&["eid-parse"], input));
    assert_eq!(out.len(), 7);
    assert_eq!(
        out[0],
        json!({"raw": "LA 982 000001088420", "country": "982", "national_id": null,
               "animal": "982000001088420", "format": "allflex_line"})
    );
    assert_eq!(out[1]["format"], "tiris");
    assert_eq!(out[1]["animal"], "982000001088420");
    assert_eq!(
        out[2],
        json!({"raw": "250 053012312345", "country": "250", "national_id": "FR53012312345",
               "animal": "FR53012312345", "format": "decimal"})
    );
    // Beginning 00: a cow of the 53 or a sheep of the 05; no species given, none chosen.
    assert_eq!(out[3]["national_id"], Value::Null);
    assert_eq!(out[3]["animal"], "250005312345678");
    assert_eq!(
        out[3]["candidates"],
        json!(["FR5312345678", "FR05312345678"])
    );
    assert_eq!(out[4]["country"], "989");
    assert_eq!(out[4]["animal"], "989001000474440");
    assert_eq!(out[5]["raw"], "LR 0006 0000000018514243");
    assert!(out[5]["error"].as_str().unwrap().contains("industrial"));
    assert_eq!(out[6]["raw"], "tag?");
    assert!(
        out[6]["error"]
            .as_str()
            .unwrap()
            .starts_with("unknown format")
    );
}

#[test]
fn the_species_settles_a_french_code_beginning_00() {
    let out = lines(&tournee(
        &["eid-parse", "--species", "bovine"],
        "250 005312345678\n",
    ));
    assert_eq!(out[0]["national_id"], "FR5312345678");
    assert_eq!(out[0]["animal"], "FR5312345678");
    let out = lines(&tournee(
        &["eid-parse", "--species", "ovine"],
        "250 005312345678\n",
    ));
    assert_eq!(out[0]["national_id"], "FR05312345678");
    let line = refused(&tournee(
        &["eid-parse", "--species", "cow"],
        "250 005312345678\n",
    ));
    assert!(
        line.contains("--species") && line.contains("\"cow\""),
        "{line}"
    );
}

#[test]
fn reads_a_reader_live_and_answers_each_frame_as_it_ends() {
    let dir = tempfile::tempdir().unwrap();
    let mut stick = eid_common::FakeReader::plug(dir.path());
    let port = std::fs::File::open(dir.path().join(eid_common::READER_NAME)).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tournee"))
        .arg("eid-parse")
        .stdin(Stdio::from(port))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    for n in [7, 8, 9] {
        stick.send_allflex(250, eid_common::goat(n));
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["national_id"], format!("FR5301230000{n}"));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}
