//! `tournee worktime` as a user runs it: a store written through the log, then the built
//! binary. Expected figures are computed by hand from `assets/annexe-i.toml` and the default
//! settings (50 km/h; 10 h a day; +25 % on Sundays).

use std::path::Path;
use std::process::{Command, Output};

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Europe::Paris;
use tournee::domain::{
    Act, ActId, ActKind, Ede, Farm, Instant, Location, OtherTimeKind, Payload, Technician,
    TechnicianId, Urgency, Visit, VisitId,
};
use tournee::log::Store;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn at(day: NaiveDate, hm: &str) -> Instant {
    let t = chrono::NaiveTime::parse_from_str(hm, "%H:%M").unwrap();
    Paris
        .from_local_datetime(&day.and_time(t))
        .single()
        .unwrap()
        .fixed_offset()
}

fn tech() -> TechnicianId {
    TechnicianId::parse("t", "T01").unwrap()
}

fn farm(ede: &str) -> Farm {
    Farm {
        ede: Ede::parse("ede", ede).unwrap(),
        name: "GAEC du Bocage".into(),
        village: None,
        location: Location {
            lat: 48.1,
            lon: -0.7,
        },
        species: vec![],
        phone: None,
        note: None,
    }
}

fn visit(id: &str, day: NaiveDate, ede: &str, times: (&str, &str), km: f64) -> Visit {
    Visit {
        id: VisitId::parse("v", id).unwrap(),
        technician: tech(),
        farm: Ede::parse("ede", ede).unwrap(),
        day,
        requested: vec![],
        urgency: Urgency::Normal,
        window: None,
        arrived: Some(at(day, times.0)),
        left: Some(at(day, times.1)),
        travel_km: Some(km),
        note: None,
    }
}

fn act(visit: &str, n: usize, kind: ActKind, count: u32) -> Act {
    let v = VisitId::parse("v", visit).unwrap();
    Act {
        id: ActId::nth_of(&v, n),
        visit: v,
        kind,
        count,
        animals: vec![],
        bull: None,
        straw: None,
        rank: None,
        result: None,
        at: None,
        note: None,
    }
}

/// Tuesday 3 March 2026 and Sunday 8 March 2026 in a fresh store, then `extra`. One opening
/// of the store only: sled may hold its lock a moment after a drop.
fn store(dir: &Path, extra: Vec<Payload>) {
    let tue = d(2026, 3, 3);
    let sun = d(2026, 3, 8);
    let store = Store::open(dir).unwrap();
    let mut p = vec![Payload::TechnicianRecorded(Technician {
        id: tech(),
        name: "Julie Moreau".into(),
        home: None,
        licence: None,
    })];
    for ede in ["53130001", "53130002", "53130003"] {
        p.push(Payload::FarmRecorded(farm(ede)));
    }
    p.push(Payload::VisitRecorded(visit(
        "V1",
        tue,
        "53130001",
        ("08:00", "08:20"),
        10.0,
    )));
    p.push(Payload::ActRecorded(act("V1", 0, ActKind::IaBovine, 2)));
    p.push(Payload::VisitRecorded(visit(
        "V2",
        tue,
        "53130002",
        ("08:40", "10:10"),
        12.0,
    )));
    p.push(Payload::ActRecorded(act(
        "V2",
        0,
        ActKind::IaCaprineFrozen,
        50,
    )));
    // Recorded by mistake, then withdrawn: it must not count.
    p.push(Payload::ActRecorded(act("V2", 1, ActKind::EchoCaprine, 30)));
    p.push(Payload::VisitRecorded(visit(
        "V3",
        tue,
        "53130003",
        ("10:30", "11:00"),
        15.0,
    )));
    p.push(Payload::ActRecorded(act("V3", 0, ActKind::EchoBovine, 5)));
    p.push(Payload::ActRecorded(act(
        "V3",
        1,
        ActKind::GestationPalpation,
        2,
    )));
    p.push(Payload::TimeDeclared {
        technician: tech(),
        day: tue,
        kind: OtherTimeKind::Stock,
        seconds: 1_800,
        note: Some("remplissage de la cuve".into()),
    });
    p.push(Payload::VisitRecorded(visit(
        "V4",
        sun,
        "53130001",
        ("10:00", "10:15"),
        25.0,
    )));
    p.push(Payload::ActRecorded(act("V4", 0, ActKind::IaBovine, 1)));
    store.append(p).unwrap();
    store
        .append(vec![Payload::ActCorrected {
            act: ActId::nth_of(&VisitId::parse("v", "V2").unwrap(), 1),
            replacement: None,
            reason: "saisi par erreur".into(),
        }])
        .unwrap();
    if !extra.is_empty() {
        store.append(extra).unwrap();
    }
}

fn tournee(dir: &Path, args: &[&str]) -> Output {
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_tournee"))
            .arg("--data")
            .arg(dir)
            .arg("worktime")
            .args(args)
            .output()
            .unwrap()
    };
    // The test's own store was just dropped, and sled's I/O threads may hold the store's lock
    // a moment longer: wait for it rather than fail on the test's own leftovers.
    for _ in 0..100 {
        let out = run();
        let locked = out.status.code() == Some(1)
            && String::from_utf8_lossy(&out.stderr).contains("already open");
        if !locked {
            return out;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    run()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn refused(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    err
}

const WEEK: &[&str] = &[
    "--technician",
    "T01",
    "--from",
    "2026-03-02",
    "--to",
    "2026-03-08",
];

#[test]
fn prints_day_sheets_weeks_and_year_counters() {
    let dir = tempfile::tempdir().unwrap();
    store(dir.path(), vec![]);
    let v = json(&tournee(dir.path(), WEEK));
    let days = v["days"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    let tue = &days[1];
    assert_eq!(tue["date"], "2026-03-03");
    // Acts: 2 × 390 + (20 × 150 + 20 × 120 + 10 × 90) + 5 × 180 + 2 × 150 = 780 + 6,300 + 900
    // + 300 = 8,280 s (the withdrawn echo_caprine lot of 30 does not count).
    assert_eq!(tue["forfait_seconds"], 8_280);
    // Travel: 10 km from home at 50 km/h = 720 s; 08:20 -> 08:40 and 10:10 -> 10:30 recorded,
    // 1,200 s each; no home location for the trip back: 0. 3,120 s.
    assert_eq!(tue["travel_seconds"], 3_120);
    assert_eq!(tue["other_seconds"], 1_800);
    assert_eq!(tue["total_seconds"], 13_200);
    assert_eq!(tue["flags"], serde_json::json!([]));
    assert_eq!(tue["declared"][0]["note"], "remplissage de la cuve");
    // Sunday: 390 + 25 km at 50 km/h (1,800 s) = 2,190 s; recovery 2,190 × 1.25 -> 2,738 s.
    let sun = &days[6];
    assert_eq!(sun["total_seconds"], 2_190);
    assert_eq!(sun["flags"], serde_json::json!(["sunday"]));
    assert_eq!(sun["recovery_owed_seconds"], 2_738);
    // Week 10 of 2026: 13,200 + 2,190 = 15,390 s.
    assert_eq!(
        v["weeks"][0]["week"],
        serde_json::json!({"year": 2026, "week": 10})
    );
    assert_eq!(v["weeks"][0]["total_seconds"], 15_390);
    assert_eq!(v["years"][0]["worked_seconds"], 15_390);
    assert_eq!(v["years"][0]["recovery_owed_seconds"], 2_738);
}

#[test]
fn prints_csv_for_payroll() {
    let dir = tempfile::tempdir().unwrap();
    store(dir.path(), vec![]);
    let mut args = WEEK.to_vec();
    args.extend(["--format", "csv"]);
    let out = tournee(dir.path(), &args);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 8);
    assert_eq!(
        lines[2],
        "T01,2026-03-03,Tue,flat_rate,8280,3120,1800,13200,3.67,,0,0"
    );
    // 2,190 s = 0.61 h.
    assert_eq!(
        lines[7],
        "T01,2026-03-08,Sun,flat_rate,390,1800,0,2190,0.61,sunday,2738,0"
    );
}

#[test]
fn company_grid_and_settings_change_the_figures() {
    let dir = tempfile::tempdir().unwrap();
    store(dir.path(), vec![]);
    let files = tempfile::tempdir().unwrap();
    // One company-agreement file holding both the grid and the settings.
    let company = files.path().join("accord.toml");
    std::fs::write(
        &company,
        "[forfait_seconds]\nia_bovine = 420\n\n[worktime]\ncount_trip_from_home = false\nrecovery_majoration_percent = 50\n",
    )
    .unwrap();
    let company = company.to_str().unwrap();
    let mut args = WEEK.to_vec();
    args.extend(["--grid", company, "--settings", company]);
    let v = json(&tournee(dir.path(), &args));
    let tue = &v["days"][1];
    // ia_bovine at 420 s: 2 × 420 = 840 instead of 780: 8,340 s of flat rate.
    assert_eq!(tue["forfait_seconds"], 8_340);
    // The trip from home (720 s) no longer counts: 2,400 s of travel.
    assert_eq!(tue["travel_seconds"], 2_400);
    assert_eq!(tue["total_seconds"], 8_340 + 2_400 + 1_800);
    assert_eq!(tue["travel"][0]["counted"], false);
    // Sunday: 420 s, and its only trip is from home, not counted: 420 s, recovery 420 × 1.5.
    assert_eq!(v["days"][6]["total_seconds"], 420);
    assert_eq!(v["days"][6]["recovery_owed_seconds"], 630);
}

#[test]
fn refuses_bad_arguments_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    store(dir.path(), vec![]);
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "--technician",
                "T99",
                "--from",
                "2026-03-02",
                "--to",
                "2026-03-08",
            ],
            "T99",
        ),
        (
            &[
                "--technician",
                "T 1",
                "--from",
                "2026-03-02",
                "--to",
                "2026-03-08",
            ],
            "--technician",
        ),
        (
            &[
                "--technician",
                "T01",
                "--from",
                "2026-02-30",
                "--to",
                "2026-03-08",
            ],
            "--from",
        ),
        (
            &[
                "--technician",
                "T01",
                "--from",
                "2026-03-08",
                "--to",
                "2026-03-02",
            ],
            "period",
        ),
        (
            &[
                "--technician",
                "T01",
                "--from",
                "2026-03-02",
                "--to",
                "2026-03-08",
                "--format",
                "xml",
            ],
            "--format",
        ),
    ];
    for (args, word) in cases {
        let err = refused(&tournee(dir.path(), args));
        assert!(err.contains(word), "{args:?}: {err}");
    }
    let files = tempfile::tempdir().unwrap();
    let loose = files.path().join("loose.toml");
    std::fs::write(&loose, "[worktime]\ndaily_max_hours = 12\n").unwrap();
    let mut args = WEEK.to_vec();
    args.extend(["--settings", loose.to_str().unwrap()]);
    let err = refused(&tournee(dir.path(), &args));
    assert!(
        err.contains("daily_max_hours") && err.contains("L3121-18"),
        "{err}"
    );
}

#[test]
fn an_act_without_a_value_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let genotyping = act("V3", 2, ActKind::SampleGenotyping, 1);
    store(dir.path(), vec![Payload::ActRecorded(genotyping)]);
    let err = refused(&tournee(dir.path(), WEEK));
    assert!(
        err.contains("V3.3") && err.contains("sample_genotyping") && err.contains("--grid"),
        "{err}"
    );
}

#[test]
fn the_demo_store_is_priced_by_its_company_agreement_without_a_grid_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tournee"))
        .arg("--data")
        .arg(dir.path())
        .args(["demo", "--today", "2026-11-24"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = Command::new(env!("CARGO_BIN_EXE_tournee"))
        .arg("--data")
        .arg(dir.path())
        .args([
            "worktime",
            "--technician",
            "T01",
            "--from",
            "2026-11-17",
            "--to",
            "2026-11-23",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let days = report["days"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    // the demo agreement counts a cattle insemination 420 s (Annexe I: 390 s)
    let ia: Vec<&serde_json::Value> = days
        .iter()
        .flat_map(|d| d["visits"].as_array().unwrap())
        .flat_map(|v| v["acts"].as_array().unwrap())
        .filter(|a| a["kind"] == "ia_bovine")
        .collect();
    assert!(!ia.is_empty());
    assert!(
        ia.iter()
            .all(|a| a["seconds"] == 420 * a["count"].as_u64().unwrap())
    );
    assert!(
        days.iter()
            .any(|d| d["total_seconds"].as_u64().unwrap() > 3600)
    );
}

#[test]
fn the_monthly_statement_pdf_lists_days_totals_flags_and_the_review() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_tournee"))
            .arg("--data")
            .arg(dir.path())
            .args(args)
            .output()
            .unwrap()
    };
    assert!(run(&["demo", "--today", "2026-11-24"]).status.success());
    {
        let store = Store::open(dir.path()).unwrap();
        store
            .append(vec![tournee::domain::Payload::WeekReviewed {
                technician: tech(),
                week: tournee::domain::Week {
                    year: 2026,
                    week: 47,
                },
                supervisor: tournee::domain::SupervisorId::parse("s", "S01").unwrap(),
                decision: tournee::domain::ReviewDecision::Approved,
            }])
            .unwrap();
    }
    let json = run(&[
        "worktime",
        "--technician",
        "T01",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let out = run(&[
        "worktime",
        "--technician",
        "T01",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--format",
        "pdf",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = pdf_extract::extract_text_from_mem(&out.stdout).unwrap();
    assert!(
        text.contains("Relevé mensuel du temps de travail"),
        "{text}"
    );
    assert!(text.contains("Julie Moreau (T01)"), "{text}");
    assert!(text.contains("Semaine 47 (du 16/11)"), "{text}");
    assert!(text.contains("approuvée par S01"), "{text}");
    assert!(text.contains("Semaine 48 (du 23/11)"), "{text}");
    // each worked day's total, as the JSON report has it
    for day in report["days"].as_array().unwrap() {
        let total = day["total_seconds"].as_u64().unwrap();
        if total > 0 {
            let minutes = total / 60;
            let shown = format!("{} h {:02}", minutes / 60, minutes % 60);
            assert!(text.contains(&shown), "{shown} missing for {}", day["date"]);
        }
        for flag in day["flags"].as_array().unwrap() {
            if flag == "over_daily_max" {
                assert!(text.contains("Durée quotidienne maximale dépassée"));
            }
        }
    }
}
