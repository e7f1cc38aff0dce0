//! The declarations office of the real `tournee-server` (sled): `export-declarations` prints
//! the records ready to send of a supervisor's team (CSV or JSON), `declarations-sent` and
//! `declarations-acknowledged` record the batch and the national system's answer as events the
//! supervisor's tablet receives, and a record corrected after it was accepted comes back as a
//! correction to declare.

#![cfg(feature = "server")]

mod sync_common;

use sync_common::*;
use tournee::declare::DeclarationStatus;
use tournee::domain::{Act, ActId, AnimalId, Company, Payload, Technician};

const HEADER: &str = "type;acte;corrige;date;entreprise_agrement;technicien;technicien_licence;ede;espece;femelles;nombre;taureau;nom_taureau;race;centre;lot;rang";

fn line(kind: &str, act: &str, of: &str, cow: &str) -> String {
    format!(
        "{kind};{act};{of};2026-11-24;FR-53-IA-01;T01;IA-53-0042;53161001;bovine;{cow};1;\
         FR2934119912;Jocko;66;FR53001;2025-03-11;IA1"
    )
}

fn ok(server: &Server, args: &[&str]) -> (String, String) {
    let (code, out, err) = server.admin(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    (out, err)
}

fn export(server: &Server, more: &[&str]) -> (String, String) {
    let mut args = vec!["export-declarations"];
    args.extend_from_slice(more);
    ok(server, &args)
}

/// `declarations-sent` of one act in a batch.
fn sent<'a>(batch: &'a str, act: &'a str) -> [&'a str; 7] {
    [
        "declarations-sent",
        "--supervisor",
        "S01",
        "--batch",
        batch,
        "--acts",
        act,
    ]
}

/// The exit code and stderr of a refused command (it prints nothing on stdout).
fn refused(server: &Server, args: &[&str]) -> (i32, String) {
    let (code, out, err) = server.admin(args);
    assert_eq!(out, "", "{args:?}");
    (code, err)
}

#[test]
fn the_office_exports_marks_sent_and_acknowledged_and_a_correction_comes_back() {
    let mut server = Server::start(Kind::Sled);
    let url = server.url();
    let (tablet, _, sup) = team(&server);
    tablet.append(vec![
        Payload::TechnicianRecorded(Technician {
            id: tid("T01"),
            name: "Julie Moreau".into(),
            home: None,
            licence: Some("IA-53-0042".into()),
        }),
        farm(1),
        visit("V1", "T01", 1),
        complete_insemination("A11", "V1", "FR5300000011"),
        // No straw: the record lacks its dose reference.
        insemination("A12", "V1", 12),
    ]);
    tablet.sync(&url);
    sup.append(vec![Payload::CompanyRecorded(Company {
        name: "Coop Élevage 53".into(),
        approval: "FR-53-IA-01".into(),
        agreement: None,
    })]);
    sup.sync(&url);

    let day = ["--supervisor", "S01", "--day", "2026-11-24"];
    let (csv, err) = export(&server, &[&day[..], &["--format", "csv"]].concat());
    assert_eq!(
        csv,
        format!(
            "{HEADER}\n{}\n",
            line("initiale", "A11", "", "FR5300000011")
        )
    );
    assert!(
        err.contains("act A12 (technician T01): not exported, act.straw"),
        "{err}"
    );
    let (json, _) = export(&server, &[&day[..], &["--format", "json"]].concat());
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["format"], "tournee/declarations/v1");
    assert_eq!(json["day"], "2026-11-24");
    assert_eq!(json["company"]["approval"], "FR-53-IA-01");
    assert_eq!(json["declarations"].as_array().unwrap().len(), 1);
    assert_eq!(json["declarations"][0]["act"], "A11");
    assert_eq!(json["declarations"][0]["kind"], "initial");
    assert_eq!(json["declarations"][0]["deadline"], "2026-12-08");
    assert_eq!(
        json["declarations"][0]["record"]["females"][0],
        "FR5300000011"
    );
    assert_eq!(json["incomplete"][0]["act"], "A12");
    assert_eq!(json["incomplete"][0]["missing"], "act.straw");
    let (other_day, _) = export(&server, &["--supervisor", "S01", "--day", "2026-11-25"]);
    assert_eq!(other_day, format!("{HEADER}\n"));

    // Bad input: the field, the value, what was expected; exit 2, nothing printed.
    for (args, said) in [
        (
            vec![
                "export-declarations",
                "--supervisor",
                "S01",
                "--format",
                "xml",
            ],
            "--format: \"xml\": expected csv or json",
        ),
        (
            vec![
                "export-declarations",
                "--supervisor",
                "S01",
                "--day",
                "24/11/2026",
            ],
            "--day: \"24/11/2026\" is not a date: expected YYYY-MM-DD",
        ),
        (
            vec!["export-declarations", "--supervisor", "S09"],
            "--supervisor: S09 has no account",
        ),
        (
            vec![
                "declarations-sent",
                "--supervisor",
                "S01",
                "--batch",
                "B1",
                "--acts",
                "A99",
            ],
            "A99",
        ),
        (
            vec![
                "declarations-acknowledged",
                "--supervisor",
                "S01",
                "--batch",
                "B7",
            ],
            "batch",
        ),
        (
            vec![
                "declarations-acknowledged",
                "--supervisor",
                "S01",
                "--batch",
                "B1",
                "--refused",
                "A11",
            ],
            "--refused[0]: \"A11\": expected ACT=REASON",
        ),
    ] {
        let (code, err) = refused(&server, &args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(said), "{args:?}: {err}");
    }

    // Sent: no longer ready; the same batch name twice is refused.
    let (out, _) = ok(&server, &sent("B1", "A11"));
    assert_eq!(out, "batch B1: 1 declarations sent\n");
    assert_eq!(export(&server, &day).0, format!("{HEADER}\n"));
    let (code, err) = refused(&server, &sent("B1", "A12"));
    assert_eq!(code, 2);
    assert!(err.contains("batch"), "{err}");
    // A refusal must name a record of the batch.
    let acknowledged = [
        "declarations-acknowledged",
        "--supervisor",
        "S01",
        "--batch",
        "B1",
        "--refused",
        "A12=numéro inconnu",
    ];
    let (code, err) = refused(&server, &acknowledged);
    assert_eq!(code, 2);
    assert!(
        err.contains("refused[0].act: A12 is not a record of batch B1"),
        "{err}"
    );
    let (out, _) = ok(&server, &acknowledged[..5]);
    assert_eq!(out, "batch B1: acknowledged, 0 refused\n");
    // The supervisor's tablet receives the office's events.
    sup.sync(&url);
    assert_eq!(
        sup.store
            .declaration(&ActId::parse("a", "A11").unwrap())
            .unwrap()
            .unwrap()
            .status,
        DeclarationStatus::Accepted { batch: "B1".into() }
    );

    // The technician corrects the accepted record's cow: a correction to declare.
    let Payload::ActRecorded(a11) = complete_insemination("A11", "V1", "FR5300000011") else {
        unreachable!()
    };
    tablet.append(vec![Payload::ActCorrected {
        act: a11.id.clone(),
        replacement: Some(Act {
            id: ActId::parse("a", "A11b").unwrap(),
            animals: vec![AnimalId::parse("a", "FR5300000099").unwrap()],
            ..a11
        }),
        reason: "mauvais numéro de vache".into(),
    }]);
    tablet.sync(&url);
    let (csv, _) = export(&server, &["--supervisor", "S01"]);
    assert_eq!(
        csv,
        format!(
            "{HEADER}\n{}\n",
            line("correction", "A11b", "A11", "FR5300000099")
        )
    );
    let (json, _) = export(&server, &["--supervisor", "S01", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["declarations"][0]["kind"]["correction"]["of"], "A11");

    // Without a running server, the command works on the store itself.
    server.kill();
    let (again, _) = export(&server, &["--supervisor", "S01"]);
    assert_eq!(again, csv);
}
