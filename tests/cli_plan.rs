//! `tournee plan` as a user runs it: a problem as JSON on standard input or in a file, the
//! round as JSON on stdout; bad input refused with status 2 and the field at fault.

mod cli_common;

use cli_common::{file, json, refused, tournee};
use serde_json::Value;

/// Five farms around Montsûrs (Mayenne); the far one must be seen before 09:00.
const PROBLEM: &str = r#"{
  "start": {"lat": 48.1357, "lon": -0.5517},
  "day": {"from": "07:30", "to": "19:00"},
  "speed_kmh": 50,
  "road_factor": 1.3,
  "visits": [
    {"id": "near1", "lat": 48.1457, "lon": -0.5517, "service_seconds": 1800},
    {"id": "near2", "lat": 48.1557, "lon": -0.5517, "service_seconds": 1800},
    {"id": "near3", "lat": 48.1357, "lon": -0.5317, "service_seconds": 1800},
    {"id": "far", "lat": 48.2357, "lon": -0.4517, "service_seconds": 1200,
     "window": {"from": "07:30", "to": "09:00"}},
    {"id": "cows", "lat": 48.1257, "lon": -0.5717,
     "acts": [{"kind": "ia_bovine", "count": 2}]}
  ]
}"#;

fn minutes(hhmm: &str) -> u32 {
    let (h, m) = hhmm.split_once(':').unwrap();
    h.parse::<u32>().unwrap() * 60 + m.parse::<u32>().unwrap()
}

/// The haversine distance in metres (mean Earth radius 6,371,008.8 m, as `geo` uses).
fn haversine(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().asin()
}

#[test]
fn plans_a_round_from_standard_input() {
    let v = json(&tournee(&["plan", "-"], PROBLEM));
    let order: Vec<&str> = v["order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(sorted, ["cows", "far", "near1", "near2", "near3"]);
    assert_eq!(v["unplanned"], Value::Array(vec![]));
    assert_eq!(v["violations"], Value::Array(vec![]));
    // The window is kept: the far farm is reached before 09:00.
    assert!(minutes(v["arrivals"]["far"].as_str().unwrap()) <= 9 * 60);
    // Service time of "cows" from Annexe I: 2 × 390 s = 13 min.
    let cows = minutes(v["departures"]["cows"].as_str().unwrap())
        - minutes(v["arrivals"]["cows"].as_str().unwrap());
    assert!((12..=14).contains(&cows), "{cows}");
    // km: the whole round, start and end included, haversine × 1.3, recomputed here.
    let problem: Value = serde_json::from_str(PROBLEM).unwrap();
    let at = |id: &str| {
        let p = if id == "start" {
            &problem["start"]
        } else {
            problem["visits"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["id"] == id)
                .unwrap()
        };
        (p["lat"].as_f64().unwrap(), p["lon"].as_f64().unwrap())
    };
    let stops: Vec<&str> = std::iter::once("start")
        .chain(order.iter().copied())
        .chain(std::iter::once("start"))
        .collect();
    let legs: Vec<f64> = stops
        .windows(2)
        .map(|w| (haversine(at(w[0]), at(w[1])) * 1.3).round())
        .collect();
    let km: f64 = legs.iter().sum::<f64>() / 1_000.0;
    assert!(
        (v["km"].as_f64().unwrap() - km).abs() < 0.011,
        "{v} vs {km}"
    );
    let drive: f64 = legs.iter().map(|m| (m / (50.0 / 3.6)).round()).sum();
    assert_eq!(v["drive_seconds"].as_f64().unwrap(), drive);
}

#[test]
fn a_file_gives_the_same_plan_as_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "round.json", PROBLEM);
    let from_file = tournee(&["plan", &path], "");
    let from_stdin = tournee(&["plan", "-"], PROBLEM);
    assert!(from_file.status.success());
    assert_eq!(from_file.stdout, from_stdin.stdout);
}

#[test]
fn missed_windows_and_visits_that_do_not_fit_are_said() {
    // Two farms 13 km apart both before 08:00; a third too far for a day ending at 09:30.
    let input = r#"{
      "start": {"lat": 48.1357, "lon": -0.5517},
      "end": {"lat": 48.1357, "lon": -0.5517},
      "day": {"from": "07:30", "to": "09:30"},
      "visits": [
        {"id": "a", "lat": 48.1357, "lon": -0.5417, "service_seconds": 2700,
         "window": {"from": "07:30", "to": "08:00"}},
        {"id": "b", "lat": 48.2557, "lon": -0.5417, "service_seconds": 600,
         "window": {"from": "07:30", "to": "08:00"}},
        {"id": "far", "lat": 48.9, "lon": -0.55, "service_seconds": 600}
      ]
    }"#;
    let v = json(&tournee(&["plan", "-"], input));
    assert_eq!(v["unplanned"], serde_json::json!(["far"]));
    let violations = v["violations"].as_array().unwrap();
    assert_eq!(violations.len(), 1, "{v}");
    let late = &violations[0];
    assert_eq!(late["kind"], "late");
    let id = late["visit"].as_str().unwrap();
    let arrival = minutes(v["arrivals"][id].as_str().unwrap());
    let by = late["by_seconds"].as_u64().unwrap() as u32;
    assert_eq!(arrival - 8 * 60, by / 60);
}

#[test]
fn refuses_numbers_no_round_can_have_with_a_clear_limit() {
    let start = r#""start": {"lat": 48.1, "lon": -0.5}, "day": {"from": "07:30", "to": "19:00}"#;
    let start = start.replace("19:00}", "19:00\"}");
    let visit = r#"{"id": "a", "lat": 48.2, "lon": -0.5, "service_seconds": 600}"#;
    let cases = [
        (
            format!(r#"{{{start}, "speed_kmh": 1e-300, "visits": [{visit}]}}"#),
            "tournee: -: speed_kmh: 0.",
            "expected an average speed in km/h from 5 to 130",
        ),
        (
            format!(r#"{{{start}, "road_factor": 40, "visits": [{visit}]}}"#),
            "tournee: -: road_factor: 40 is not valid",
            "from 1 to 3",
        ),
        (
            format!(
                r#"{{{start}, "visits": [{{"id": "a", "lat": 48.2, "lon": -0.5, "service_seconds": 50000}}]}}"#
            ),
            "tournee: -: visits[0].service_seconds: 50000 is not valid",
            "at most 43200 seconds",
        ),
        (
            format!(
                r#"{{{start}, "matrix": {{"meters": [[0,1,1],[1,0,1],[1,1,0]], "seconds": [[0,4294967295,1],[1,0,1],[1,1,0]]}}, "visits": [{visit}]}}"#
            ),
            "tournee: -: matrix.seconds[0][1]: 4294967295 is not valid",
            "seconds of driving from 0 to 21600",
        ),
        (
            format!(
                r#"{{{start}, "matrix": {{"meters": [[0,1,1],[1,0,1],[1,1,700000]], "seconds": [[0,1,1],[1,0,1],[1,1,0]]}}, "visits": [{visit}]}}"#
            ),
            "tournee: -: matrix.meters[2][2]: 700000 is not valid",
            "metres of road from 0 to 600000",
        ),
        (
            format!(
                r#"{{{start}, "visits": [{{"id": "a", "lat": 48.2, "lon": -0.5, "acts": [{{"kind": "ia_bovine", "count": 1}}, {{"kind": "ia_bovine", "count": 0}}]}}]}}"#
            ),
            "tournee: -: visits[0].acts[1].count: 0 is not valid",
            "expected a number of animals from 1 to 5000",
        ),
    ];
    for (input, start_of_line, expected) in cases {
        let err = refused(&tournee(&["plan", "-"], &input));
        assert!(err.starts_with(start_of_line), "{err}");
        assert!(err.contains(expected), "{err}");
        assert_eq!(err.matches("is not valid").count(), 1, "{err}");
    }
}

#[test]
fn refuses_bad_input_naming_the_field_and_value() {
    let visit = r#"{"id": "a", "lat": 48.1, "lon": -0.5, "service_seconds": 600}"#;
    let with = |day: &str, visits: &str| {
        format!(r#"{{"start": {{"lat": 48.1, "lon": -0.5}}, "day": {day}, "visits": [{visits}]}}"#)
    };
    let day = r#"{"from": "07:30", "to": "19:00"}"#;
    let cases = [
        (with(r#"{"from": "7h30", "to": "19:00"}"#, visit), "day.from"),
        (with(r#"{"from": "19:00", "to": "07:30"}"#, visit), "day"),
        (
            with(day, r#"{"id": "a", "lat": 91, "lon": -0.5, "service_seconds": 600}"#),
            "visits[0].lat",
        ),
        (with(day, &format!("{visit}, {visit}")), "visits[1].id"),
        (
            with(day, r#"{"id": "a", "lat": 48.1, "lon": -0.5}"#),
            "visits[0].service_seconds",
        ),
        (
            with(
                day,
                r#"{"id": "a", "lat": 48.1, "lon": -0.5, "service_seconds": 60, "window": {"from": "10:00", "to": "25:00"}}"#,
            ),
            "visits[0].window.to",
        ),
        (
            with(
                day,
                r#"{"id": "a", "lat": 48.1, "lon": -0.5, "service_seconds": 60, "colour": "red"}"#,
            ),
            "visits[0]",
        ),
        (
            with(
                day,
                r#"{"id": "a", "lat": 48.1, "lon": -0.5, "acts": [{"kind": "ia_bovin", "count": 1}]}"#,
            ),
            "visits[0].acts[0].kind",
        ),
        (
            r#"{"start": {"lat": 48.1, "lon": -0.5}, "day": {"from": "07:30", "to": "19:00"}, "speed_kmh": -5, "visits": []}"#.to_string(),
            "speed_kmh",
        ),
        (r#"{"day": {"from": "07:30", "to": "19:00"}, "visits": []}"#.to_string(), "start"),
        ("not json".to_string(), "(document)"),
    ];
    for (input, field) in cases {
        let err = refused(&tournee(&["plan", "-"], &input));
        assert!(
            err.starts_with("tournee: -: ") && err.contains(field),
            "{field}: {err}"
        );
    }
    let err = refused(&tournee(&["plan", "/nonexistent/round.json"], ""));
    assert!(err.contains("/nonexistent/round.json"), "{err}");
}

#[test]
fn replans_a_day_under_way_with_done_and_pinned_visits() {
    let mut problem: Value = serde_json::from_str(PROBLEM).unwrap();
    problem["done"] = serde_json::json!([{"id": "near3", "arrived": "07:35", "left": "08:20"}]);
    problem["pinned_first"] = serde_json::json!("near2");
    problem["now"] = serde_json::json!("08:30");
    let v = json(&tournee(&["plan", "-"], &problem.to_string()));
    assert_eq!(v["order"][0], "near3");
    assert_eq!(v["order"][1], "near2");
    assert_eq!(v["arrivals"]["near3"], "07:35");
    assert_eq!(v["departures"]["near3"], "08:20");
    // Nothing starts before "now".
    let order = v["order"].as_array().unwrap();
    for id in &order[1..] {
        assert!(minutes(v["arrivals"][id.as_str().unwrap()].as_str().unwrap()) >= 8 * 60 + 30);
    }
    assert_eq!(order.len(), 5);
    // A done visit the problem does not have is refused.
    problem["done"] = serde_json::json!([{"id": "ghost", "arrived": "07:35", "left": "08:20"}]);
    let err = refused(&tournee(&["plan", "-"], &problem.to_string()));
    assert!(err.contains("done[0].id") && err.contains("ghost"), "{err}");
}
