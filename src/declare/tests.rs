//! Tests of insemination records, declaration deadlines and the queue, on a real store.

use chrono::{DateTime, NaiveDate};

use super::*;
use crate::domain::{Confirmation, Farm, Location, Payload, Straw, Urgency as VisitUrgency};
use crate::log::Store;

pub(crate) fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub(crate) fn company() -> Company {
    Company {
        name: "Coopérative d'insémination du Maine".into(),
        approval: "IA-53-001".into(),
        agreement: None,
    }
}

pub(crate) fn technician() -> Technician {
    Technician {
        id: TechnicianId::parse("t", "T01").unwrap(),
        name: "Julie Moreau".into(),
        home: None,
        licence: Some("53-0142".into()),
    }
}

pub(crate) fn farm() -> Farm {
    Farm {
        ede: Ede::parse("ede", "53161001").unwrap(),
        name: "GAEC du Bocage".into(),
        village: Some("Montsûrs".into()),
        location: Location {
            lat: 48.13,
            lon: -0.57,
        },
        species: vec![Species::Bovine],
        phone: None,
        note: None,
    }
}

pub(crate) fn visit(id: &str, day: NaiveDate) -> Visit {
    Visit {
        id: VisitId::parse("v", id).unwrap(),
        technician: technician().id,
        farm: farm().ede,
        day,
        requested: vec![],
        urgency: VisitUrgency::Normal,
        window: None,
        arrived: None,
        left: None,
        travel_km: None,
        note: None,
    }
}

pub(crate) fn straw() -> Straw {
    Straw {
        bull: BullId::parse("b", "FR2934119912").unwrap(),
        bull_name: "Ulysse".into(),
        breed: "66".into(),
        centre: Some("FR 35 001".into()),
        batch: Some("L9912".into()),
    }
}

/// The record of `act` at visit V1 on `day`, with the test's farm, technician and company.
fn record(act: &Act, day: NaiveDate) -> InseminationRecord {
    InseminationRecord::build(
        act,
        &visit("V1", day),
        &farm(),
        &technician(),
        Some(&company()),
    )
    .unwrap()
}

pub(crate) fn insemination(id: &str, visit: &str, cow: &str) -> Act {
    Act {
        id: ActId::parse("a", id).unwrap(),
        visit: VisitId::parse("v", visit).unwrap(),
        kind: crate::domain::ActKind::IaBovine,
        count: 1,
        animals: vec![AnimalId::parse("a", cow).unwrap()],
        bull: Some(straw().bull),
        straw: Some(straw()),
        rank: Some(InseminationRank::First),
        result: None,
        at: None,
        note: None,
    }
}

#[test]
fn a_complete_record_carries_every_field_of_article_10() {
    let act = insemination("A1", "V1", "FR5312345678");
    let r = record(&act, date(2026, 11, 24));
    assert_eq!(r.company_approval, "IA-53-001");
    assert_eq!(r.technician_licence, "53-0142");
    assert_eq!(r.sire.as_str(), "FR2934119912");
    assert_eq!(r.breed, "66");
    assert_eq!(r.females[0].as_str(), "FR5312345678");
    assert_eq!(
        (r.centre.as_str(), r.batch.as_str()),
        ("FR 35 001", "L9912")
    );
    assert_eq!(r.date, date(2026, 11, 24));
    assert_eq!(r.ede.as_str(), "53161001");
}

#[test]
fn a_record_lacking_a_field_is_refused_naming_it() {
    let v = visit("V1", date(2026, 11, 24));
    let full = insemination("A1", "V1", "FR5312345678");
    let field = |act: &Act, tech: &Technician, company: Option<&Company>| {
        InseminationRecord::build(act, &v, &farm(), tech, company)
            .unwrap_err()
            .field
    };
    assert_eq!(field(&full, &technician(), None), "company.approval");
    let unlicensed = Technician {
        licence: None,
        ..technician()
    };
    assert_eq!(
        field(&full, &unlicensed, Some(&company())),
        "technician.licence"
    );
    let no_bull = Act {
        bull: None,
        straw: None,
        ..full.clone()
    };
    assert_eq!(field(&no_bull, &technician(), Some(&company())), "act.bull");
    let no_straw = Act {
        straw: None,
        ..full.clone()
    };
    assert_eq!(
        field(&no_straw, &technician(), Some(&company())),
        "act.straw"
    );
    let no_centre = Act {
        straw: Some(Straw {
            centre: None,
            ..straw()
        }),
        ..full.clone()
    };
    assert_eq!(
        field(&no_centre, &technician(), Some(&company())),
        "act.straw.centre"
    );
    let no_batch = Act {
        straw: Some(Straw {
            batch: None,
            ..straw()
        }),
        ..full.clone()
    };
    assert_eq!(
        field(&no_batch, &technician(), Some(&company())),
        "act.straw.batch"
    );
    let no_cow = Act {
        animals: vec![],
        ..full
    };
    assert_eq!(
        field(&no_cow, &technician(), Some(&company())),
        "act.animals"
    );
}

#[test]
fn deadlines_are_fourteen_calendar_days_across_month_ends_and_clock_changes() {
    // 31 January + 14 days = 14 February; 20 February 2026 (not a leap year) -> 6 March.
    assert_eq!(deadline(date(2026, 1, 31)), date(2026, 2, 14));
    assert_eq!(deadline(date(2026, 2, 20)), date(2026, 3, 6));
    // Across the spring change (29 March 2026) and the autumn one (25 October 2026).
    assert_eq!(deadline(date(2026, 3, 20)), date(2026, 4, 3));
    assert_eq!(deadline(date(2026, 10, 20)), date(2026, 11, 3));
    // 23:30 UTC on 24 October is 01:30 on the 25th in Paris (summer time, UTC+2): the record's
    // day is the 25th, its deadline 8 November.
    let at = DateTime::parse_from_rfc3339("2026-10-24T23:30:00+00:00").unwrap();
    let act = Act {
        at: Some(at),
        ..insemination("A1", "V1", "FR5312345678")
    };
    let r = record(&act, date(2026, 10, 25));
    assert_eq!(r.date, date(2026, 10, 25));
    assert_eq!(deadline(r.date), date(2026, 11, 8));
    let d = Declaration {
        act: act.id.clone(),
        visit: act.visit.clone(),
        technician: None,
        date: r.date,
        since: r.date,
        kind: DeclarationKind::Initial,
        status: DeclarationStatus::ToSend,
    };
    assert_eq!(d.due_state(date(2026, 11, 4)), DueState::Pending); // 4 days left
    assert_eq!(d.due_state(date(2026, 11, 5)), DueState::DueSoon); // 3 days left
    assert_eq!(d.due_state(date(2026, 11, 8)), DueState::DueSoon); // the last day
    assert_eq!(d.due_state(date(2026, 11, 9)), DueState::Late);
    let sent = Declaration {
        status: DeclarationStatus::Sent { batch: "B1".into() },
        ..d
    };
    assert_eq!(sent.due_state(date(2026, 12, 31)), DueState::Done);
}

fn store_with_visit(dir: &std::path::Path) -> Store {
    let store = Store::open(dir).unwrap();
    store
        .append(vec![
            Payload::CompanyRecorded(company()),
            Payload::TechnicianRecorded(technician()),
            Payload::FarmRecorded(farm()),
            Payload::VisitRecorded(visit("V1", date(2026, 11, 20))),
            Payload::VisitRecorded(visit("V2", date(2026, 11, 22))),
            Payload::DosesReceived {
                technician: technician().id,
                straw: straw(),
                count: 5,
            },
        ])
        .unwrap();
    store
}

fn status(store: &Store, act: &str) -> (DeclarationKind, DeclarationStatus) {
    let d = store
        .declaration(&ActId::parse("a", act).unwrap())
        .unwrap()
        .unwrap();
    (d.kind, d.status)
}

#[test]
fn the_queue_follows_sending_acknowledgement_corrections_and_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_visit(dir.path());
    let a = |id: &str| ActId::parse("a", id).unwrap();
    store
        .append(vec![
            Payload::ActRecorded(insemination("A1", "V1", "FR5312345678")),
            Payload::ActRecorded(insemination("A2", "V1", "FR5312345679")),
            Payload::ActRecorded(insemination("A3", "V1", "FR5312345670")),
        ])
        .unwrap();
    let open = store.open_declarations(None).unwrap();
    assert_eq!(open.len(), 3);
    assert_eq!(open[0].deadline(), date(2026, 12, 4));

    // corrected before sending: the old record is withdrawn, the new one is an initial one
    store
        .append(vec![Payload::ActCorrected {
            act: a("A3"),
            replacement: Some(insemination("A3b", "V1", "FR5312345671")),
            reason: "wrong cow".into(),
        }])
        .unwrap();
    assert_eq!(status(&store, "A3").1, DeclarationStatus::Withdrawn);
    assert_eq!(
        status(&store, "A3b"),
        (DeclarationKind::Initial, DeclarationStatus::ToSend)
    );

    store
        .append(vec![Payload::DeclarationsSent {
            batch: "2026-11-21-1".into(),
            acts: vec![a("A1"), a("A2"), a("A3b")],
        }])
        .unwrap();
    // sending twice, or sending a record not in the queue, is refused
    assert!(
        store
            .append(vec![Payload::DeclarationsSent {
                batch: "2026-11-21-2".into(),
                acts: vec![a("A1")],
            }])
            .is_err()
    );
    store
        .append(vec![Payload::DeclarationsAcknowledged {
            batch: "2026-11-21-1".into(),
            refused: vec![crate::domain::DeclarationRefusal {
                act: a("A2"),
                reason: "taureau non agréé".into(),
            }],
        }])
        .unwrap();
    assert!(matches!(
        status(&store, "A1").1,
        DeclarationStatus::Accepted { .. }
    ));
    assert!(matches!(
        status(&store, "A2").1,
        DeclarationStatus::Refused { .. }
    ));
    let open: Vec<String> = store
        .open_declarations(None)
        .unwrap()
        .iter()
        .map(|d| d.act.to_string())
        .collect();
    assert_eq!(open, ["A2"]);

    // an accepted record corrected: a corrected declaration, never a silent change
    store
        .append(vec![Payload::ActCorrected {
            act: a("A1"),
            replacement: Some(insemination("A1b", "V1", "FR5312345600")),
            reason: "wrong cow".into(),
        }])
        .unwrap();
    assert_eq!(
        status(&store, "A1b"),
        (
            DeclarationKind::Correction { of: a("A1") },
            DeclarationStatus::ToSend
        )
    );
    // an accepted record withdrawn: a cancellation to declare
    store
        .append(vec![Payload::ActCorrected {
            act: a("A3b"),
            replacement: None,
            reason: "not done".into(),
        }])
        .unwrap();
    assert_eq!(
        status(&store, "A3b"),
        (DeclarationKind::Cancellation, DeclarationStatus::ToSend)
    );
}

#[test]
fn the_certificate_pdf_shows_every_field_and_the_signature() {
    let act = insemination("A1", "V1", "FR5312345678");
    let r = record(&act, date(2026, 11, 24));
    let signed = Confirmation::Signed {
        at: DateTime::parse_from_rfc3339("2026-11-24T08:31:00+01:00").unwrap(),
        signer: "M. Leroy".into(),
        strokes: vec![vec![[0.1, 0.5], [0.9, 0.5]]],
    };
    let pdf = certificate(std::slice::from_ref(&r), Some(&signed)).to_bytes();
    let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
    for expected in [
        "IA-53-001",
        "Coopérative d'insémination du Maine",
        "Julie Moreau",
        "53-0142",
        "GAEC du Bocage",
        "53161001",
        "24/11/2026",
        "FR5312345678",
        "FR2934119912",
        "Ulysse",
        "Prim'Holstein (66)",
        "FR 35 001",
        "L9912",
        "première insémination",
        "Signé par M. Leroy le 24/11/2026 à 08:31",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    // the same records and signature give the same document
    assert_eq!(pdf, certificate(&[r], Some(&signed)).to_bytes());
}

#[test]
fn the_declaration_csv_quotes_a_name_with_a_semicolon_or_quotes_and_reads_back() {
    let act = Act {
        straw: Some(Straw {
            bull_name: "Ulysse; dit \"le Grand\"".into(),
            ..straw()
        }),
        ..insemination("A1", "V1", "FR5312345678")
    };
    let r = record(&act, date(2026, 11, 24));
    let text = to_csv([(&DeclarationKind::Initial, &r)]).unwrap();
    assert_eq!(
        text.lines().nth(1),
        Some(
            "initiale;A1;;2026-11-24;IA-53-001;T01;53-0142;53161001;bovine;FR5312345678;1;FR2934119912;\"Ulysse; dit \"\"le Grand\"\"\";66;FR 35 001;L9912;IA1"
        )
    );
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    assert_eq!(header.iter().collect::<Vec<_>>(), CSV_HEADER);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][12], "Ulysse; dit \"le Grand\"");
    assert_eq!(&rows[0][13], "66");
}

/// The text of a PDF as poppler reads it (pdf-extract puts a space wherever the font changes,
/// and the certificate changes font for the characters B612 lacks).
fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("certificat.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils, which .ci/install-gui-deps installs)");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The XMP metadata stream of a PDF, as text.
fn xmp(pdf: &lopdf::Document) -> String {
    let catalog = pdf.catalog().unwrap();
    let id = catalog.get(b"Metadata").unwrap().as_reference().unwrap();
    let stream = pdf.get_object(id).unwrap().as_stream().unwrap();
    let bytes = stream
        .decompressed_content()
        .unwrap_or_else(|_| stream.content.clone());
    String::from_utf8(bytes).unwrap()
}

/// The value of an XMP property, written as an element or as an attribute.
fn xmp_property(xmp: &str, name: &str) -> Option<String> {
    let element = format!("<{name}>");
    if let Some(at) = xmp.find(&element) {
        let rest = &xmp[at + element.len()..];
        return Some(rest[..rest.find('<')?].to_owned());
    }
    let attribute = format!("{name}=\"");
    let at = xmp.find(&attribute)?;
    let rest = &xmp[at + attribute.len()..];
    Some(rest[..rest.find('"')?].to_owned())
}

#[test]
fn the_certificate_is_pdf_a_2u_with_its_fonts_embedded_and_every_name_reads_back() {
    // A farm, a technician and a signer whose names WinAnsi cannot write (ŝ, ő, Cyrillic) next
    // to those it can (œ, €), on a Montbéliarde.
    let act = Act {
        straw: Some(Straw {
            breed: "46".into(),
            bull_name: "Nectar".into(),
            ..straw()
        }),
        ..insemination("A1", "V1", "FR5312345678")
    };
    let farm = Farm {
        name: "GAEC Cœur de Bœuf — Ŝarĝo".into(),
        ..farm()
    };
    let technician = Technician {
        name: "Zoltán Erdős".into(),
        ..technician()
    };
    let r = InseminationRecord::build(
        &act,
        &visit("V1", date(2026, 11, 24)),
        &farm,
        &technician,
        Some(&company()),
    )
    .unwrap();
    let signed = Confirmation::Signed {
        at: DateTime::parse_from_rfc3339("2026-11-24T08:31:00+01:00").unwrap(),
        signer: "Олена Коваль (5 €)".into(),
        strokes: vec![vec![[0.1, 0.5], [0.5, 0.2], [0.9, 0.5]]],
    };
    let bytes = certificate(std::slice::from_ref(&r), Some(&signed)).to_bytes();
    assert!(bytes.starts_with(b"%PDF-1.7"), "{:?}", &bytes[..8]);

    let text = pdftotext(&bytes);
    for expected in [
        "GAEC Cœur de Bœuf — Ŝarĝo",
        "Zoltán Erdős",
        "Signé par Олена Коваль (5 €) le 24/11/2026 à 08:31",
        "Montbéliarde (46)",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }

    let pdf = lopdf::Document::load_mem(&bytes).unwrap();
    let xmp = xmp(&pdf);
    assert_eq!(
        xmp_property(&xmp, "pdfaid:part").as_deref(),
        Some("2"),
        "{xmp}"
    );
    assert_eq!(
        xmp_property(&xmp, "pdfaid:conformance").as_deref(),
        Some("U"),
        "{xmp}"
    );
    assert!(
        xmp.contains("Certificat d&apos;insémination</rdf:li>"),
        "{xmp}"
    );
    // dated the day of the visit, not the moment of writing: the same visit, the same file
    assert_eq!(
        xmp_property(&xmp, "xmp:CreateDate").as_deref(),
        Some("2026-11-24T00:00:00Z")
    );
    // PDF/A asks for an output intent (the colours' meaning) in the catalog.
    assert!(pdf.catalog().unwrap().get(b"OutputIntents").is_ok());

    // Every font is embedded (FontFile2 for TrueType, FontFile3 for CFF): B612, and DejaVu
    // Sans for what B612 lacks.
    let mut embedded = Vec::new();
    for object in pdf.objects.values() {
        let Ok(dict) = object.as_dict() else { continue };
        if dict.get(b"Type").and_then(|t| t.as_name()).ok() != Some(b"FontDescriptor") {
            continue;
        }
        let name = dict.get(b"FontName").unwrap().as_name().unwrap();
        let name = String::from_utf8_lossy(name).into_owned();
        assert!(
            [&b"FontFile"[..], b"FontFile2", b"FontFile3"]
                .iter()
                .any(|k| dict.has(k)),
            "{name} is not embedded"
        );
        embedded.push(name);
    }
    assert!(embedded.iter().any(|n| n.contains("B612")), "{embedded:?}");
    assert!(
        embedded.iter().any(|n| n.contains("DejaVu")),
        "{embedded:?}"
    );
}
