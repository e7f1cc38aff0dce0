//! The supervisor's office (`/bureau`) against the real `tournee-server`: in a real headless
//! Chromium, a supervisor logs in with the link of `add-supervisor --link`, reads the team's
//! weeks (the figures `tournee worktime` prints on the technician's own store), sends one week
//! back with a comment, approves another and gives a visit to another technician; the
//! technicians' tablets receive all three by their sync. The statement, the payroll file and
//! the declarations export are those of the command line. Then, over plain HTTP, on sled and
//! on PostgreSQL: another team's technician, a form without the CSRF token or from another
//! origin, a spent link, an empty comment are refused and write nothing; a session survives a
//! restart; a second login reuses the supervisor's one device and store (no device enrolled,
//! only what changed pulled), two sessions at once share it, and a session saved when each
//! login had its own store still opens. The browser's run is made on both backends too.

#![cfg(feature = "server")]

mod browser_common;
mod sync_common;

use std::path::Path;
use std::process::Command;

use browser_common::*;
use chrono::{Datelike, Duration, FixedOffset, NaiveDate, TimeZone};
use fantoccini::Locator;
use sync_common::*;
use tournee::domain::{
    Act, ActId, ActKind, Company, Payload, ReviewDecision, Technician, Urgency, Visit, Week,
};

fn today() -> NaiveDate {
    tournee::domain::paris_day(&tournee::domain::time::now())
}

fn monday(weeks_back: i64) -> NaiveDate {
    let t = today();
    t - Duration::days(i64::from(t.weekday().num_days_from_monday())) - Duration::weeks(weeks_back)
}

fn week_text(w: Week) -> String {
    format!("{}-W{:02}", w.year, w.week)
}

fn at(day: NaiveDate, h: u32, m: u32) -> tournee::domain::Instant {
    FixedOffset::east_opt(3_600)
        .unwrap()
        .from_local_datetime(&day.and_hms_opt(h, m, 0).unwrap())
        .unwrap()
}

/// A visit done on `day` from `from` to `to` (hours), or to do when `from` is 0.
fn visit_on(id: &str, technician: &str, farm: u32, day: NaiveDate, from: u32, to: u32) -> Payload {
    Payload::VisitRecorded(Visit {
        id: vid(id),
        technician: tid(technician),
        farm: ede(farm),
        day,
        requested: vec![],
        urgency: Urgency::Normal,
        window: None,
        arrived: (from > 0).then(|| at(day, from, 0)),
        left: (from > 0).then(|| at(day, to, 10)),
        travel_km: (from > 0).then_some(14.5),
        note: None,
    })
}

fn pregnancy_checks(id: &str, visit: &str, count: u32) -> Payload {
    Payload::ActRecorded(Act {
        id: ActId::parse("a", id).unwrap(),
        visit: vid(visit),
        kind: ActKind::EchoBovine,
        count,
        animals: vec![],
        bull: None,
        straw: None,
        rank: None,
        result: None,
        at: None,
        note: None,
    })
}

fn named(id: &str, name: &str) -> Payload {
    Payload::TechnicianRecorded(Technician {
        id: tid(id),
        name: name.into(),
        home: None,
        licence: Some(format!("IA-53-{id}")),
    })
}

/// The team S01 (T01 Julie Moreau, T02 Paul Hamon) and another team S02 (T03), each
/// technician on a tablet: T01 worked on the Monday two weeks ago, last week's and this
/// week's, and has a visit to do tomorrow; T03 has a visit of the other team.
struct Team {
    t01: Device,
    t02: Device,
    t03: Device,
}

fn team_with_weeks(server: &Server) -> Team {
    let url = server.url();
    let t01 = enrolled(server, &["add-technician", "T01", "--name", "Julie Moreau"]);
    let t02 = enrolled(server, &["add-technician", "T02", "--name", "Paul Hamon"]);
    let t03 = enrolled(server, &["add-technician", "T03", "--name", "Luc Autre"]);
    server.token(&["add-supervisor", "S02", "--team", "T03"]);
    let tomorrow = today() + Duration::days(1);
    t01.append(vec![
        named("T01", "Julie Moreau"),
        Payload::CompanyRecorded(Company {
            name: "Coop Élevage 53".into(),
            approval: "FR-53-IA-01".into(),
            agreement: None,
        }),
        farm_named(1, "GAEC <Le Pré> & Fils"),
        farm_named(2, "EARL des Noës"),
        visit_on("V0", "T01", 2, monday(2), 8, 11),
        pregnancy_checks("A01", "V0", 40),
        visit_on("V1", "T01", 1, monday(1), 8, 9),
        complete_insemination("A11", "V1", "FR5300000011"),
        pregnancy_checks("A12", "V1", 12),
        visit_on("V2", "T01", 2, monday(1), 10, 12),
        pregnancy_checks("A21", "V2", 30),
        visit_on("V4", "T01", 1, monday(0), 8, 10),
        pregnancy_checks("A41", "V4", 25),
        visit_on("V3", "T01", 2, tomorrow, 0, 0),
    ]);
    t01.sync(&url);
    t02.append(vec![named("T02", "Paul Hamon")]);
    t02.sync(&url);
    t03.append(vec![
        named("T03", "Luc Autre"),
        farm_named(3, "GAEC Ailleurs"),
        visit_on("V9", "T03", 3, monday(1), 8, 9),
        visit_on("V8", "T03", 3, tomorrow, 0, 0),
    ]);
    t03.sync(&url);
    Team { t01, t02, t03 }
}

/// The office's login link: the last word of the command's last line.
fn office_link(server: &Server, supervisor: &str, team: &str) -> String {
    let url = server.url();
    let out = server.token(&["add-supervisor", supervisor, "--team", team, "--link", &url]);
    let link = out
        .lines()
        .last()
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap()
        .to_owned();
    assert!(
        link.starts_with(&format!("{url}/bureau/connexion?jeton=")),
        "{link}"
    );
    link
}

/// `tournee worktime` on a copy of the technician's tablet store (sled lets one process open
/// a store): its JSON, or its raw output for `--format csv`.
fn cli_worktime(device: Device, from: NaiveDate, to: NaiveDate, format: &str) -> (Device, String) {
    let Device { dir, store } = device;
    drop(store);
    let copy = tempfile::tempdir().unwrap();
    copy_dir(dir.path(), copy.path());
    let device = Device {
        store: tournee::log::Store::open(dir.path()).unwrap(),
        dir,
    };
    let out = Command::new(env!("CARGO_BIN_EXE_tournee"))
        .arg("--data")
        .arg(copy.path())
        .args(["worktime", "--technician", "T01"])
        .args(["--from", &from.to_string(), "--to", &to.to_string()])
        .args(["--format", format])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (device, String::from_utf8(out.stdout).unwrap())
}

/// The exact seconds of the `<data>` elements of the table row of a technician and a week.
fn row_seconds(page: &str, technician: &str, week: Week) -> Vec<u64> {
    let marker = format!(
        "data-technician=\"{technician}\" data-week=\"{}\"",
        week_text(week)
    );
    let row = page
        .split(&marker)
        .nth(1)
        .unwrap_or_else(|| panic!("no row {marker}: {page}"))
        .split("</tr>")
        .next()
        .unwrap();
    data_values(row)
}

fn data_values(html: &str) -> Vec<u64> {
    html.split("<data value=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().parse().unwrap())
        .collect()
}

/// With `TOURNEE_SCREENSHOTS=write` (`.ci/screenshots`), the page in view is saved as
/// `assets/screenshots/NAME.png` for the README, once (on sled).
async fn picture(c: &fantoccini::Client, kind: Kind, name: &str) {
    if kind != Kind::Sled || std::env::var("TOURNEE_SCREENSHOTS").as_deref() != Ok("write") {
        return;
    }
    c.set_window_size(1280, 900).await.unwrap();
    let png = c.screenshot().await.unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("assets/screenshots/{name}.png"));
    std::fs::write(path, png).unwrap();
}

fn seconds(v: &serde_json::Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("{key} in {v}"))
}

fn a_supervisor_reviews_the_team_in_a_browser(kind: Kind) {
    let server = Server::start(kind);
    let url = server.url();
    let Team { t01, t02, t03: _ } = team_with_weeks(&server);
    let link = office_link(&server, "S01", "T01,T02");
    let (this_week, last_week) = (Week::of(monday(0)), Week::of(monday(1)));
    let driver = Driver::start();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let cookie = runtime.block_on(async {
        let c = browser(&driver).await;
        // The link opens a form with the code; logging in shows the team's weeks.
        c.goto(&link).await.unwrap();
        let html = c.source().await.unwrap();
        assert!(html.contains("<html lang=\"fr\">"), "{html}");
        assert!(html.contains("<label for=\"jeton\">Code de connexion</label>"));
        click_to(&c, "button[type=submit]", "/bureau").await;
        let text = body_text(&c).await;
        assert!(text.contains("Bureau — S01"), "{text}");
        assert!(text.contains("Julie Moreau"), "{text}");
        assert!(text.contains("Paul Hamon"), "{text}");
        assert!(!text.contains("Luc Autre"), "another team: {text}");
        assert!(text.contains("À valider"), "{text}");

        // Last week opens to its days, visits, acts and where each figure comes from.
        let path = format!("/bureau/semaines/T01/{}", week_text(last_week));
        click_to(&c, &format!("a[href='{path}']"), &path).await;
        let text = body_text(&c).await;
        assert!(text.contains("GAEC <Le Pré> & Fils (visite V1)"), "{text}");
        assert!(text.contains("12 × Échographie"), "{text}");
        assert!(text.contains("1 × Insémination (vache)"), "{text}");
        assert!(text.contains("forfait de l'acte"), "{text}");
        assert!(
            text.contains("heures relevées") || text.contains("forfait"),
            "{text}"
        );
        let html = c.source().await.unwrap();
        assert!(
            html.contains("GAEC &lt;Le Pré&gt; &amp; Fils"),
            "escaped: {html}"
        );

        // Sent back with a comment.
        c.find(Locator::Id("commentaire"))
            .await
            .unwrap()
            .send_keys("Lundi : il manque <le trajet> & la pause")
            .await
            .unwrap();
        click_to(
            &c,
            "form[action$='/renvoyer'] button[type=submit]",
            &format!("{path}?fait=renvoyee"),
        )
        .await;
        let text = body_text(&c).await;
        assert!(
            text.contains("Renvoyée par S01 : « Lundi : il manque <le trajet> & la pause »"),
            "{text}"
        );
        picture(&c, kind, "office-week").await;

        // This week approved.
        let path = format!("/bureau/semaines/T01/{}", week_text(this_week));
        c.goto(&format!("{url}{path}")).await.unwrap();
        click_to(
            &c,
            "form[action$='/valider'] button[type=submit]",
            &format!("{path}?fait=validee"),
        )
        .await;
        assert!(body_text(&c).await.contains("Validée par S01"));

        // The overview shows both reviews.
        c.goto(&format!("{url}/bureau")).await.unwrap();
        let text = body_text(&c).await;
        assert!(text.contains("Validée par S01"), "{text}");
        assert!(text.contains("Renvoyée par S01"), "{text}");
        picture(&c, kind, "office-weeks").await;

        // Tomorrow's visit V3 given to Paul Hamon.
        c.goto(&format!("{url}/bureau/techniciens/T01"))
            .await
            .unwrap();
        let text = body_text(&c).await;
        assert!(text.contains("EARL des Noës (visite V3)"), "{text}");
        click_to(
            &c,
            "li form button[type=submit]",
            "/bureau/techniciens/T01?fait=reaffecte",
        )
        .await;
        let text = body_text(&c).await;
        assert!(!text.contains("visite V3"), "{text}");
        let cookie = c
            .get_named_cookie("tournee_bureau")
            .await
            .unwrap()
            .value()
            .to_owned();
        c.close().await.unwrap();
        cookie
    });

    // The technicians' tablets sync: the reviews and the visit are theirs.
    t01.sync(&url);
    let sent_back = t01.store.review(&tid("T01"), last_week).unwrap().unwrap();
    assert_eq!(sent_back.supervisor.as_str(), "S01");
    assert_eq!(
        sent_back.decision,
        ReviewDecision::SentBack {
            comment: "Lundi : il manque <le trajet> & la pause".into()
        }
    );
    let approved = t01.store.review(&tid("T01"), this_week).unwrap().unwrap();
    assert_eq!(approved.decision, ReviewDecision::Approved);
    t02.sync(&url);
    let tomorrow = today() + Duration::days(1);
    let moved = t02.store.visits_on(&tid("T02"), tomorrow).unwrap();
    assert_eq!(
        moved.iter().map(|v| v.id.as_str()).collect::<Vec<_>>(),
        ["V3"]
    );

    // The figures are `tournee worktime`'s on the technician's own store.
    let cookie = format!("tournee_bureau={cookie}");
    let agent = agent();
    let (status, page) = get(&agent, &format!("{url}/bureau"), Some(&cookie));
    assert_eq!(status, 200);
    let (t01, json) = cli_worktime(t01, monday(1), today(), "json");
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let weeks = report["weeks"].as_array().unwrap();
    for week in [this_week, last_week] {
        let cli = weeks
            .iter()
            .find(|w| w["week"]["week"] == week.week && w["week"]["year"] == week.year)
            .unwrap_or_else(|| panic!("{week:?} in {json}"));
        let shown = row_seconds(&page, "T01", week);
        let expected: Vec<u64> = [
            "forfait_seconds",
            "travel_seconds",
            "other_seconds",
            "total_seconds",
            "average_seconds",
        ]
        .iter()
        .map(|k| seconds(cli, k))
        .collect();
        assert_eq!(shown, expected, "{week:?}");
    }
    assert!(
        seconds(&weeks[0], "total_seconds") > 0,
        "the weeks hold work: {json}"
    );
    // The year's counters, as of today.
    let year = report["years"].as_array().unwrap().last().unwrap();
    let annee = page.split("id=\"annee\"").nth(1).unwrap();
    let julie = annee
        .split("Julie Moreau")
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert_eq!(
        data_values(julie),
        [
            seconds(year, "worked_seconds"),
            seconds(year, "overtime_seconds"),
            seconds(year, "sunday_holiday_seconds"),
            seconds(year, "recovery_owed_seconds"),
        ]
    );
    // A week's days, as the command counts them.
    let (_, week_page) = get(
        &agent,
        &format!("{url}/bureau/semaines/T01/{}", week_text(last_week)),
        Some(&cookie),
    );
    for day in report["days"].as_array().unwrap() {
        let date: NaiveDate = day["date"].as_str().unwrap().parse().unwrap();
        if Week::of(date) != last_week {
            continue;
        }
        let section = week_page
            .split(&format!("id=\"jour-{date}\""))
            .nth(1)
            .unwrap_or_else(|| panic!("{date}: {week_page}"));
        let total = section.split("class=\"day-total\">").nth(1).unwrap();
        assert_eq!(
            data_values(total)[0],
            seconds(day, "total_seconds"),
            "{date}"
        );
    }

    // The month's payroll rows and statement, as the command writes them.
    let (first, last) = tournee::worktime::statement::month_of(today());
    let month = first.format("%Y-%m").to_string();
    let (_, csv) = cli_worktime(t01, first, last, "csv");
    let mut answer = agent
        .get(format!("{url}/bureau/paie/{month}"))
        .header("cookie", &cookie)
        .call()
        .unwrap();
    assert_eq!(answer.status(), 200);
    let team_csv = answer.body_mut().read_to_string().unwrap();
    let t01_rows: String = team_csv
        .split_inclusive("\r\n")
        .filter(|l| l.starts_with("technician,") || l.starts_with("T01,"))
        .collect();
    assert_eq!(t01_rows, csv);
    assert!(team_csv.contains("\r\nT02,"), "{team_csv}");
    let mut answer = agent
        .get(format!("{url}/bureau/releve/T01/{month}"))
        .header("cookie", &cookie)
        .call()
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.headers().get("content-type").unwrap(),
        "application/pdf"
    );
    let pdf = answer.body_mut().read_to_vec().unwrap();
    let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
    assert!(text.contains("Julie Moreau"), "{text}");

    // The declarations: the queue, and the export of `export-declarations`.
    let (status, queue) = get(&agent, &format!("{url}/bureau/declarations"), Some(&cookie));
    assert_eq!(status, 200);
    assert!(queue.contains("A11"), "{queue}");
    assert!(queue.contains("Julie Moreau"), "{queue}");
    let (status, export) = get(
        &agent,
        &format!("{url}/bureau/declarations/export"),
        Some(&cookie),
    );
    assert_eq!(status, 200);
    let (code, cli, _) = server.admin(&["export-declarations", "--supervisor", "S01"]);
    assert_eq!(code, 0);
    assert_eq!(export, cli);
    assert!(export.contains(";A11;"), "{export}");
}

#[test]
fn a_supervisor_reviews_the_team_in_a_browser_and_the_tablets_receive_it_on_sled() {
    a_supervisor_reviews_the_team_in_a_browser(Kind::Sled);
}

#[test]
fn a_supervisor_reviews_the_team_in_a_browser_and_the_tablets_receive_it_on_postgres() {
    a_supervisor_reviews_the_team_in_a_browser(Kind::Postgres);
}

fn tampering_is_refused_and_writes_nothing(kind: Kind) {
    let mut server = Server::start(kind);
    let url = server.url();
    let Team { t01, t02, t03 } = team_with_weeks(&server);
    let agent = agent();
    let week = week_text(Week::of(monday(1)));

    // A technician whose tablet never synced: said, in French, on the row.
    let (other, _) = login(&agent, &url, &office_link(&server, "S03", "T01,T05"));
    let (status, page) = get(&agent, &format!("{url}/bureau"), Some(&other));
    assert_eq!(status, 200);
    assert!(
        page.contains("Temps non calculé : la fiche du technicien n&#39;est pas encore arrivée"),
        "{page}"
    );
    assert!(page.contains("Julie Moreau"), "{page}");

    // Without a session, no team data.
    let (status, page) = get(&agent, &format!("{url}/bureau"), None);
    assert_eq!(status, 401);
    assert!(
        !page.contains("Julie") && !page.contains("semaines"),
        "{page}"
    );

    // A link serves once; a technician's or a farmer's code opens no office.
    let link = office_link(&server, "S01", "T01,T02");
    let (cookie, csrf) = login(&agent, &url, &link);
    let login_page = format!("{url}/bureau/connexion");
    let code = link.rsplit_once("jeton=").unwrap().1;
    assert_eq!(
        post(&agent, &login_page, None, None, &format!("jeton={code}")),
        403
    );
    let technician = server.token(&["add-technician", "T04", "--name", "Zoé Neuve"]);
    let mut refused = agent
        .post(&login_page)
        .header("content-type", "application/x-www-form-urlencoded")
        .send(format!("jeton={technician}"))
        .unwrap();
    assert_eq!(refused.status(), 403);
    let body = refused.body_mut().read_to_string().unwrap();
    assert!(body.contains("pas celui d&#39;un superviseur"), "{body}");
    let farmer = server.token(&["add-farmer", "--farm", ede(1).as_str()]);
    assert_eq!(
        post(&agent, &login_page, None, None, &format!("jeton={farmer}")),
        403
    );

    // Another team's technician: not found, and nothing written for them.
    let (status, page) = get(
        &agent,
        &format!("{url}/bureau/semaines/T03/{week}"),
        Some(&cookie),
    );
    assert_eq!(status, 404);
    assert!(!page.contains("Luc Autre"), "{page}");
    let (status, _) = get(
        &agent,
        &format!("{url}/bureau/techniciens/T03"),
        Some(&cookie),
    );
    assert_eq!(status, 404);
    let (_, overview) = get(&agent, &format!("{url}/bureau"), Some(&cookie));
    assert!(!overview.contains("Luc Autre") && !overview.contains("T03"));
    let good = format!("csrf={csrf}");
    let review =
        |technician: &str, action: &str| format!("/bureau/semaines/{technician}/{week}/{action}");
    // A form of the session, from this page unless `origin` says otherwise.
    let send = |path: &str, origin: &str, body: &str| {
        post(
            &agent,
            &format!("{url}{path}"),
            Some(&cookie),
            Some(origin),
            body,
        )
    };
    assert_eq!(send(&review("T03", "valider"), &url, &good), 404);
    // Their visit is not ours to move, nor ours to give them.
    let reassign = "/bureau/reaffecter";
    let (status, page) = post_page(
        &agent,
        &format!("{url}{reassign}"),
        Some(&cookie),
        Some(&url),
        &format!("{good}&visite=V8&vers=T01"),
    );
    assert_eq!(status, 422);
    assert!(
        page.contains("Visite : « V8 » n&#39;est pas une visite de votre équipe."),
        "{page}"
    );
    assert_eq!(
        send(reassign, &url, &format!("{good}&visite=V3&vers=T03")),
        422
    );

    // A form without the token, with another session's, from another origin, with no session.
    let approve = review("T01", "valider");
    assert_eq!(send(&approve, &url, ""), 403);
    assert_eq!(
        send(&approve, &url, "csrf=00112233445566778899aabbccddeeff"),
        403
    );
    assert_eq!(send(&approve, "https://evil.example", &good), 403);
    assert_eq!(
        post(&agent, &format!("{url}{approve}"), None, Some(&url), &good),
        401
    );
    // A send-back without a comment, a week that does not exist, a day that is not one.
    let blank = format!("{good}&commentaire=+++");
    let (status, page) = post_page(
        &agent,
        &format!("{url}{}", review("T01", "renvoyer")),
        Some(&cookie),
        Some(&url),
        &blank,
    );
    assert_eq!(status, 422);
    assert!(page.contains("écrivez ce qui ne va pas"), "{page}");
    assert_eq!(
        send("/bureau/semaines/T01/2026-W60/valider", &url, &good),
        404
    );
    let bad_day = format!("{good}&technicien=T01&jour=demain&vers=T02");
    assert_eq!(send(reassign, &url, &bad_day), 422);

    // Nothing reached anyone.
    for (device, technician) in [(&t01, "T01"), (&t03, "T03")] {
        device.sync(&url);
        assert_eq!(
            device
                .store
                .review(&tid(technician), Week::of(monday(1)))
                .unwrap(),
            None
        );
    }
    t02.sync(&url);
    assert!(
        t02.store
            .visits_on(&tid("T02"), today() + Duration::days(1))
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        t03.store.visit(&vid("V8")).unwrap().unwrap().technician,
        tid("T03")
    );

    // The session survives a restart (SIGKILL): same cookie, same token. A whole day given.
    server.restart();
    let url = server.url();
    let (status, page) = get(&agent, &format!("{url}/bureau"), Some(&cookie));
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Julie Moreau"), "{page}");
    let tomorrow = today() + Duration::days(1);
    assert_eq!(
        post(
            &agent,
            &format!("{url}/bureau/reaffecter"),
            Some(&cookie),
            Some(&url),
            &format!("{good}&technicien=T01&jour={tomorrow}&vers=T02")
        ),
        303
    );
    assert_eq!(
        post(
            &agent,
            &format!("{url}/bureau/semaines/T01/{week}/valider"),
            Some(&cookie),
            Some(&url),
            &good
        ),
        303
    );
    t01.sync(&url);
    assert_eq!(
        t01.store
            .review(&tid("T01"), Week::of(monday(1)))
            .unwrap()
            .map(|r| r.decision),
        Some(ReviewDecision::Approved)
    );
    t02.sync(&url);
    assert_eq!(t02.store.visits_on(&tid("T02"), tomorrow).unwrap().len(), 1);

    // A logout is kept too.
    logout_holds_across_a_restart(&mut server, &agent, "/bureau", &cookie, &csrf);
}

#[test]
fn tampering_with_the_office_is_refused_and_writes_nothing_on_sled() {
    tampering_is_refused_and_writes_nothing(Kind::Sled);
}

#[test]
fn tampering_with_the_office_is_refused_and_writes_nothing_on_postgres() {
    tampering_is_refused_and_writes_nothing(Kind::Postgres);
}

/// What the server holds of a supervisor's page, read with the server stopped (sled lets one
/// process open a store), then the server started again: the account's devices on the server,
/// and the page store's device, pull cursor and events.
struct Held {
    devices: Vec<tournee::log::DeviceId>,
    page_device: tournee::log::DeviceId,
    cursor: tournee::sync::Cursor,
    events: u64,
}

fn held_then_restart(server: &mut Server, supervisor: &str) -> Held {
    let devices = server.account_devices(&format!("supervisor:{supervisor}"));
    server.kill();
    let folder = server
        .dir
        .path()
        .join("bureau")
        .join(format!("account-{supervisor}"));
    let store = tournee::log::Store::open(&folder).unwrap();
    let events = store
        .devices()
        .unwrap()
        .iter()
        .map(|(d, _)| store.head(*d).unwrap().map_or(0, |(seq, _)| seq))
        .sum();
    let held = Held {
        devices,
        page_device: store.device(),
        cursor: tournee::sync::progress(&store).unwrap().cursor,
        events,
    };
    drop(store);
    server.restart();
    held
}

fn one_store_per_supervisor_across_logins_and_restarts(kind: Kind) {
    let mut server = Server::start(kind);
    let Team { t01, .. } = team_with_weeks(&server);
    let agent = agent();
    let first_link = office_link(&server, "S01", "T01,T02");
    let (first, _) = login(&agent, &server.url(), &first_link);
    let before = held_then_restart(&mut server, "S01");
    assert_eq!(
        before.devices,
        [before.page_device],
        "one device, the page's"
    );
    assert!(
        before.events > 0,
        "the first page pulled the team's history"
    );

    // The first session survives the restart; then the team works on.
    let url = server.url();
    let (status, page) = get(&agent, &format!("{url}/bureau"), Some(&first));
    assert_eq!(status, 200, "{page}");
    t01.append(vec![visit_on("V5", "T01", 1, today(), 0, 0)]);
    t01.sync(&url);

    // A second login: no new device, the same store, only the new event pulled (the pull
    // starts from the cursor the first session saved).
    let second_link = office_link(&server, "S01", "T01,T02");
    let (second, csrf) = login(&agent, &url, &second_link);
    let after = held_then_restart(&mut server, "S01");
    assert_eq!(after.devices, before.devices);
    assert_eq!(after.page_device, before.page_device);
    assert_eq!(
        after.events,
        before.events + 1,
        "T01's new visit, nothing twice"
    );
    assert!(after.cursor > before.cursor);

    // Both links are spent: neither logs in again, nor enrols a tablet.
    let url = server.url();
    for link in [&first_link, &second_link] {
        let code = link.rsplit_once("jeton=").unwrap().1;
        assert_eq!(
            post(
                &agent,
                &format!("{url}/bureau/connexion"),
                None,
                None,
                &format!("jeton={code}")
            ),
            403
        );
        let tablet = Device::new();
        assert!(
            tablet
                .client(&url)
                .enroll(&tablet.store, &url, code, "test")
                .is_err(),
            "a spent link enrols nothing"
        );
    }

    // One link posted twice at once: one login, one refusal.
    let third = office_link(&server, "S01", "T01,T02");
    let code = third.rsplit_once("jeton=").unwrap().1.to_owned();
    let mut statuses: Vec<u16> = std::thread::scope(|s| {
        let posts: Vec<_> = (0..2)
            .map(|_| {
                let (agent, url, code) = (agent.clone(), url.clone(), code.clone());
                s.spawn(move || {
                    post(
                        &agent,
                        &format!("{url}/bureau/connexion"),
                        None,
                        None,
                        &format!("jeton={code}"),
                    )
                })
            })
            .collect();
        posts.into_iter().map(|p| p.join().unwrap()).collect()
    });
    statuses.sort();
    assert_eq!(statuses, [303, 403]);

    // Both sessions at once, after the restart: four readers each, one writer; all share the
    // store and one sees what the other wrote.
    std::thread::scope(|s| {
        for cookie in [&first, &second].repeat(4) {
            let (agent, url) = (agent.clone(), url.clone());
            s.spawn(move || {
                let (status, page) = get(&agent, &format!("{url}/bureau"), Some(cookie));
                assert_eq!(status, 200, "{page}");
            });
        }
        let week = week_text(Week::of(monday(1)));
        assert_eq!(
            post(
                &agent,
                &format!("{url}/bureau/semaines/T01/{week}/valider"),
                Some(&second),
                Some(&url),
                &format!("csrf={csrf}")
            ),
            303
        );
    });
    let (status, page) = get(
        &agent,
        &format!(
            "{url}/bureau/semaines/T01/{}",
            week_text(Week::of(monday(1)))
        ),
        Some(&first),
    );
    assert_eq!(status, 200);
    assert!(page.contains("Validée par S01"), "{page}");
    let end = held_then_restart(&mut server, "S01");
    assert_eq!(end.devices, before.devices, "still the one device");
}

#[test]
fn a_second_login_reuses_the_supervisors_store_on_sled() {
    one_store_per_supervisor_across_logins_and_restarts(Kind::Sled);
}

#[test]
fn a_second_login_reuses_the_supervisors_store_on_postgres() {
    one_store_per_supervisor_across_logins_and_restarts(Kind::Postgres);
}

/// A session saved by the first layout (its own store, named by a random token) as the
/// backend holds it: postcard of (account, store folder, expiry).
#[derive(serde::Serialize)]
struct FirstLayoutSession {
    account: String,
    store: String,
    expires_ms: u64,
}

fn a_session_of_the_first_layout_keeps_working(kind: Kind) {
    let mut server = Server::start(kind);
    let url = server.url();
    let _team = team_with_weeks(&server);
    // Two logins of the first layout: each a device with its own store in `bureau/`, the
    // first one's session saved; and a login whose enrolment never finished.
    let bureau = server.dir.path().join("bureau");
    let old = |name: &str| {
        let dir = bureau.join(name);
        let store = tournee::log::Store::open(&dir).unwrap();
        let token = server.token(&["add-supervisor", "S01", "--team", "T01,T02"]);
        tournee::sync::SyncClient::new(tournee::sync::HttpTransport::new(&url))
            .enroll(&store, "local", &token, "bureau du superviseur (page web)")
            .unwrap();
        tournee::sync::SyncClient::new(tournee::sync::HttpTransport::new(&url))
            .sync_once(&store)
            .unwrap();
        store.device()
    };
    let kept = old("0a1b2c3d4e5f60718293a4b5c6d7e8f9");
    let _other = old("f0e1d2c3b4a5968778695a4b3c2d1e0f");
    drop(tournee::log::Store::open(&bureau.join("00000000000000000000000000000000")).unwrap());
    server.kill();
    let cookie_id = "5ab3c0ffee5ab3c0ffee5ab3c0ffee5ab3c0ffee5ab3c0ffee5ab3c0ffee5ab3";
    let mut key = b"office-session/".to_vec();
    key.extend_from_slice(&tournee::server::service::token_hash(cookie_id));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let saved = postcard::to_allocvec(&FirstLayoutSession {
        account: "S01".into(),
        store: "0a1b2c3d4e5f60718293a4b5c6d7e8f9".into(),
        expires_ms: now + 3_600_000,
    })
    .unwrap();
    let backend = server.backend();
    let claim = tournee::server::backend::Claim {
        key: &key,
        value: &saved,
        expires_ms: now + 3_600_000,
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    assert!(runtime.block_on(backend.claim(claim, now)).unwrap());
    drop(backend);

    // At start the first store becomes the account's, the others go; the session opens it.
    server.restart();
    let mut left: Vec<String> = std::fs::read_dir(&bureau)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["account-S01"]);
    let agent = agent();
    let cookie = format!("tournee_bureau={cookie_id}");
    let (status, page) = get(&agent, &format!("{}/bureau", server.url()), Some(&cookie));
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Julie Moreau"), "{page}");
    let held = held_then_restart(&mut server, "S01");
    assert_eq!(held.page_device, kept);
    // A new login spends its link on that same device.
    let (_, _) = login(
        &agent,
        &server.url(),
        &office_link(&server, "S01", "T01,T02"),
    );
    let after = held_then_restart(&mut server, "S01");
    assert_eq!(after.page_device, kept);
    assert_eq!(
        after.devices, held.devices,
        "no device enrolled by the login"
    );
}

#[test]
fn a_session_of_the_first_layout_keeps_working_on_sled() {
    a_session_of_the_first_layout_keeps_working(Kind::Sled);
}

#[test]
fn a_session_of_the_first_layout_keeps_working_on_postgres() {
    a_session_of_the_first_layout_keeps_working(Kind::Postgres);
}
