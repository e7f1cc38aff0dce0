//! The farmer's web page against the real `tournee-server` (sled): in a real headless Chromium
//! driven over WebDriver (Debian's `chromium` and `chromium-driver`, installed by `.ci/run`),
//! a farmer logs in with the link of `add-farmer --link`, sees their farm's visits only,
//! confirms one and disputes another; the technician's tablet receives both by its sync.
//! Then, over plain HTTP, every way to reach another farm's data or act without the page's
//! session and CSRF token is refused, and nothing reaches the technician.

#![cfg(feature = "server")]

mod browser_common;
mod sync_common;

use browser_common::*;
use chrono::Datelike;
use fantoccini::{Client, Locator};
use std::net::TcpListener;
use sync_common::*;
use tournee::domain::{
    Act, ActId, ActKind, AnimalId, Company, Confirmation, Payload, PregnancyResult, Technician,
};

const TECHNICIAN: &str = "T01";

fn pregnancy_check(id: &str, visit: &str, cow: &str) -> Payload {
    Payload::ActRecorded(Act {
        id: ActId::parse("a", id).unwrap(),
        visit: vid(visit),
        kind: ActKind::EchoBovine,
        count: 1,
        animals: vec![AnimalId::parse("a", cow).unwrap()],
        bull: None,
        straw: None,
        rank: None,
        result: Some(PregnancyResult::Pregnant),
        at: None,
        note: None,
    })
}

/// A technician's tablet that pushed visits of two farms: V1 (an insemination) and V2 (a
/// pregnancy check) at farm 1, whose name needs escaping; V3 at farm 2.
fn technician_with_two_farms(server: &Server) -> Device {
    let url = server.url();
    let tablet = enrolled(
        server,
        &["add-technician", TECHNICIAN, "--name", "Julie Moreau"],
    );
    tablet.append(vec![
        Payload::TechnicianRecorded(Technician {
            id: tid(TECHNICIAN),
            name: "Julie Moreau".into(),
            home: None,
            licence: Some("IA-53-0042".into()),
        }),
        Payload::CompanyRecorded(Company {
            name: "Coop Élevage 53".into(),
            approval: "FR-53-IA-01".into(),
            agreement: None,
        }),
        farm_named(1, "GAEC <Le Pré> & Fils"),
        farm_named(2, "EARL Voisine"),
        visit("V1", TECHNICIAN, 1),
        visit("V2", TECHNICIAN, 1),
        visit("V3", TECHNICIAN, 2),
        complete_insemination("A11", "V1", "FR5300000011"),
        pregnancy_check("A21", "V2", "FR5300000021"),
        complete_insemination("A31", "V3", "FR5300000031"),
        signed("V1"),
    ]);
    tablet.sync(&url);
    tablet
}

/// Fills the comment of a visit page's form (`confirmer` or `contester`), sends it and waits
/// for the page it leads to.
async fn answer(c: &Client, form: &str, comment: &str, path: &str) {
    let field = c
        .find(Locator::Id(&format!("commentaire-{form}")))
        .await
        .unwrap();
    field.send_keys(comment).await.unwrap();
    click_to(
        c,
        &format!("form[action$='/{form}'] button[type=submit]"),
        path,
    )
    .await;
}

#[test]
fn a_farmer_confirms_and_disputes_in_a_browser_and_the_tablet_receives_both() {
    let server = Server::start(Kind::Sled);
    let url = server.url();
    let tablet = technician_with_two_farms(&server);
    let link = server.token(&["add-farmer", "--farm", ede(1).as_str(), "--link", &url]);
    assert!(
        link.starts_with(&format!("{url}/eleveur/connexion?jeton=")),
        "{link}"
    );
    let driver = Driver::start();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let cookie = runtime.block_on(async {
        let c = browser(&driver).await;
        // The link opens a login form with the code filled in; logging in shows the visits.
        c.goto(&link).await.unwrap();
        let html = c.source().await.unwrap();
        assert!(html.contains("<html lang=\"fr\">"), "{html}");
        assert!(html.contains("<label for=\"jeton\">Code de connexion</label>"));
        click_to(&c, "button[type=submit]", "/eleveur").await;
        let list = body_text(&c).await;
        assert!(list.contains("Visites — GAEC <Le Pré> & Fils"), "{list}");
        assert!(list.contains("24/11/2026 — Julie Moreau"), "{list}");
        assert!(!list.contains("EARL Voisine"), "{list}");
        let html = c.source().await.unwrap();
        assert!(html.contains("GAEC &lt;Le Pré&gt; &amp; Fils"), "escaped: {html}");
        let mut links = Vec::new();
        for a in c.find_all(Locator::Css("a.visit")).await.unwrap() {
            links.push(a.attr("href").await.unwrap().unwrap());
        }
        links.sort();
        assert_eq!(links, ["/eleveur/visites/V1", "/eleveur/visites/V2"]);
        // Above them, the yearly report of the year of the visits.
        let report = c.find(Locator::Css("a.report")).await.unwrap();
        assert_eq!(
            report.attr("href").await.unwrap().unwrap(),
            "/eleveur/bilan/2026"
        );
        assert!(list.contains("Bilan de reproduction 2026 (PDF)"), "{list}");

        // V1: the insemination, its bull, the tablet's status; confirmed with a comment.
        click_to(&c, "a[href='/eleveur/visites/V1']", "/eleveur/visites/V1").await;
        let page = body_text(&c).await;
        assert!(page.contains("Insémination (vache) — 1 animal (FR5300000011) ; taureau FR2934119912 (Jocko, Prim'Holstein (66)) ; IA1"), "{page}");
        assert!(page.contains("Consignes laissées"), "{page}");
        assert!(page.contains("Télécharger le certificat d'insémination (PDF)"));
        answer(
            &c,
            "confirmer",
            "Merci, rien à redire",
            "/eleveur/visites/V1?fait=confirmee",
        )
        .await;
        let page = body_text(&c).await;
        assert!(page.contains("Merci : la visite est confirmée."), "{page}");
        assert!(page.contains("Confirmée par vous (« Merci, rien à redire »)"), "{page}");

        // V2: the pregnancy result; disputed with a comment.
        c.goto(&format!("{url}/eleveur/visites/V2")).await.unwrap();
        let page = body_text(&c).await;
        assert!(page.contains("Échographie — 1 animal (FR5300000021) ; résultat : pleine"), "{page}");
        assert!(!page.contains("certificat"), "no insemination, no certificate: {page}");
        answer(
            &c,
            "contester",
            "Pas d'échographie <ce jour-là> & pas de passage",
            "/eleveur/visites/V2?fait=contestee",
        )
        .await;
        let page = body_text(&c).await;
        assert!(
            page.contains("Contestée par vous : « Pas d'échographie <ce jour-là> & pas de passage »"),
            "{page}"
        );
        let cookie = c
            .get_named_cookie("tournee_eleveur")
            .await
            .unwrap()
            .value()
            .to_owned();
        c.close().await.unwrap();
        cookie
    });

    // The tablet syncs: both answers are in its projections.
    tablet.sync(&url);
    match tablet.store.confirmation(&vid("V1")).unwrap() {
        Some(Confirmation::ConfirmedLater { comment, .. }) => {
            assert_eq!(comment.as_deref(), Some("Merci, rien à redire"))
        }
        other => panic!("V1: {other:?}"),
    }
    match tablet.store.confirmation(&vid("V2")).unwrap() {
        Some(Confirmation::Disputed { comment, .. }) => {
            assert_eq!(comment, "Pas d'échographie <ce jour-là> & pas de passage")
        }
        other => panic!("V2: {other:?}"),
    }
    assert_eq!(tablet.store.confirmation(&vid("V3")).unwrap(), None);

    // The certificate of V1, with the session the browser held: every record's field.
    let text = pdf_text(
        &agent(),
        &format!("{url}/eleveur/visites/V1/certificat.pdf"),
        &format!("tournee_eleveur={cookie}"),
    );
    for field in [
        "FR5300000011",
        "FR2934119912",
        "Julie Moreau",
        "IA-53-0042",
        "FR-53-IA-01",
    ] {
        assert!(text.contains(field), "{field} in {text}");
    }
}

/// The text of the PDF at `url`, fetched with the session `cookie` (`name=value`).
fn pdf_text(agent: &ureq::Agent, url: &str, cookie: &str) -> String {
    let mut answer = agent.get(url).header("cookie", cookie).call().unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.headers().get("content-type").unwrap(),
        "application/pdf"
    );
    let pdf = answer.body_mut().read_to_vec().unwrap();
    pdf_extract::extract_text_from_mem(&pdf).unwrap()
}

#[test]
fn a_farmer_cannot_see_or_answer_another_farms_visits_nor_post_without_the_page() {
    let server = Server::start(Kind::Sled);
    let url = server.url();
    let tablet = technician_with_two_farms(&server);
    let agent = agent();
    let link1 = server.token(&["add-farmer", "--farm", ede(1).as_str(), "--link", &url]);
    let link2 = server.token(&["add-farmer", "--farm", ede(2).as_str(), "--link", &url]);
    let (cookie1, csrf1) = login(&agent, &url, &link1);
    let (cookie2, csrf2) = login(&agent, &url, &link2);
    assert_ne!(csrf1, csrf2);

    // A link serves once; a technician's token opens nothing.
    let code = link1.rsplit_once("jeton=").unwrap().1;
    let again = format!("jeton={code}");
    let login_page = format!("{url}/eleveur/connexion");
    assert_eq!(post(&agent, &login_page, None, None, &again), 403);
    let technician = server.token(&["add-technician", "T02", "--name", "Paul Hamon"]);
    let mut refused = agent
        .post(&login_page)
        .header("content-type", "application/x-www-form-urlencoded")
        .send(format!("jeton={technician}"))
        .unwrap();
    assert_eq!(refused.status(), 403);
    let page = refused.body_mut().read_to_string().unwrap();
    assert!(
        page.contains("n&#39;est pas celui d&#39;un éleveur"),
        "{page}"
    );
    // ... and stays unused: the technician's tablet enrols with it.
    Device::new().enroll(&url, &technician);

    // The list of farm 1: its two visits, and not a word of farm 2.
    let (status, list) = get(&agent, &format!("{url}/eleveur"), Some(&cookie1));
    assert_eq!(status, 200);
    eprintln!("the visits page of farm 1 weighs {} bytes", list.len());
    assert!(list.contains("/eleveur/visites/V1") && list.contains("/eleveur/visites/V2"));
    assert!(
        !list.contains("V3") && !list.contains("EARL Voisine"),
        "{list}"
    );
    let (_, list2) = get(&agent, &format!("{url}/eleveur"), Some(&cookie2));
    assert!(
        list2.contains("/eleveur/visites/V3") && !list2.contains("V1"),
        "{list2}"
    );

    // URL tampering: another farm's visit, its certificate, an id that is no visit id.
    for path in [
        "/eleveur/visites/V3",
        "/eleveur/visites/V3/certificat.pdf",
        "/eleveur/visites/..%2F..%2Fv1%2Fhealth",
        "/eleveur/visites/NOPE",
    ] {
        let (status, page) = get(&agent, &format!("{url}{path}"), Some(&cookie1));
        assert_eq!(status, 404, "{path}: {page}");
        assert!(
            !page.contains("FR5300000031") && !page.contains("EARL"),
            "{page}"
        );
    }
    // Without a session: nothing.
    let (status, _) = get(&agent, &format!("{url}/eleveur/visites/V1"), None);
    assert_eq!(status, 401);
    let (status, _) = get(
        &agent,
        &format!("{url}/eleveur"),
        Some("tournee_eleveur=0123456789abcdef0123456789abcdef"),
    );
    assert_eq!(status, 401);

    // Forged posts.
    let confirm = |v: &str| format!("{url}/eleveur/visites/{v}/confirmer");
    let dispute = |v: &str| format!("{url}/eleveur/visites/{v}/contester");
    let ok_body = |csrf: &str| format!("csrf={csrf}&commentaire=forg%C3%A9");
    // What is tried, the URL, the cookie, the Origin, the body, the status expected.
    type Case<'a> = (
        &'a str,
        String,
        Option<&'a str>,
        Option<&'a str>,
        String,
        u16,
    );
    let cases: Vec<Case> = vec![
        (
            "no CSRF token",
            confirm("V1"),
            Some(&cookie1),
            None,
            "commentaire=x".into(),
            403,
        ),
        (
            "a wrong token",
            confirm("V1"),
            Some(&cookie1),
            None,
            ok_body("00ff"),
            403,
        ),
        (
            "farm 2's token",
            dispute("V1"),
            Some(&cookie1),
            None,
            ok_body(&csrf2),
            403,
        ),
        (
            "farm 1's token, farm 2's session",
            confirm("V1"),
            Some(&cookie2),
            None,
            ok_body(&csrf1),
            403,
        ),
        (
            "another site",
            confirm("V1"),
            Some(&cookie1),
            Some("https://evil.example"),
            ok_body(&csrf1),
            403,
        ),
        (
            "no session",
            confirm("V1"),
            None,
            None,
            ok_body(&csrf1),
            401,
        ),
        (
            "another farm's visit",
            confirm("V3"),
            Some(&cookie1),
            None,
            ok_body(&csrf1),
            404,
        ),
        (
            "another farm's visit, disputed",
            dispute("V3"),
            Some(&cookie1),
            None,
            ok_body(&csrf1),
            404,
        ),
        (
            "a dispute without a comment",
            dispute("V1"),
            Some(&cookie1),
            None,
            format!("csrf={csrf1}&commentaire=+"),
            422,
        ),
        (
            "a broken form",
            confirm("V1"),
            Some(&cookie1),
            None,
            format!("csrf={csrf1}&commentaire=%E2%28"),
            400,
        ),
    ];
    for (what, target, cookie, origin, body, expected) in cases {
        assert_eq!(
            post(&agent, &target, cookie, origin, &body),
            expected,
            "{what}"
        );
    }
    // Nothing of it reached the tablet: V1 is as the tablet left it, V3 unanswered.
    tablet.sync(&url);
    assert!(matches!(
        tablet.store.confirmation(&vid("V1")).unwrap(),
        Some(Confirmation::InstructionsLeft { .. })
    ));
    assert_eq!(tablet.store.confirmation(&vid("V3")).unwrap(), None);

    // The same form from the page (same origin, its token) is taken.
    let origin = url.clone();
    assert_eq!(
        post(
            &agent,
            &confirm("V1"),
            Some(&cookie1),
            Some(&origin),
            &ok_body(&csrf1)
        ),
        303
    );
    tablet.sync(&url);
    assert!(matches!(
        tablet.store.confirmation(&vid("V1")).unwrap(),
        Some(Confirmation::ConfirmedLater { comment: Some(c), .. }) if c == "forgé"
    ));
    // Logging out ends the session.
    assert_eq!(
        post(
            &agent,
            &format!("{url}/eleveur/deconnexion"),
            Some(&cookie1),
            None,
            &format!("csrf={csrf1}")
        ),
        200
    );
    let (status, _) = get(&agent, &format!("{url}/eleveur"), Some(&cookie1));
    assert_eq!(status, 401);
}

fn a_session_survives_a_restart(kind: Kind) {
    let mut server = Server::start(kind);
    let url = server.url();
    let tablet = technician_with_two_farms(&server);
    let agent = agent();
    let link = server.token(&["add-farmer", "--farm", ede(1).as_str(), "--link", &url]);
    let (cookie, csrf) = login(&agent, &url, &link);

    // SIGKILL: nothing is written on the way out.
    server.restart();
    let url = server.url();
    let (status, list) = get(&agent, &format!("{url}/eleveur"), Some(&cookie));
    assert_eq!(status, 200, "{list}");
    assert!(list.contains("/eleveur/visites/V1"), "{list}");
    assert!(list.contains(&format!("value=\"{csrf}\"")), "{list}");
    // The form of the page before the restart is still taken: same session, same token.
    assert_eq!(
        post(
            &agent,
            &format!("{url}/eleveur/visites/V1/confirmer"),
            Some(&cookie),
            Some(&url),
            &format!("csrf={csrf}&commentaire=apr%C3%A8s+red%C3%A9marrage")
        ),
        303
    );
    tablet.sync(&url);
    assert!(matches!(
        tablet.store.confirmation(&vid("V1")).unwrap(),
        Some(Confirmation::ConfirmedLater { comment: Some(c), .. }) if c == "après redémarrage"
    ));

    // A second login spends its link on the farm's one device: none enrolled, one store,
    // both sessions open.
    let account = format!("farmer:{}", ede(1).as_str());
    let devices = server.account_devices(&account);
    assert_eq!(devices.len(), 1);
    let url = server.url();
    let second = server.token(&["add-farmer", "--farm", ede(1).as_str(), "--link", &url]);
    let (other, _) = login(&agent, &url, &second);
    assert_eq!(server.account_devices(&account), devices);
    let stores: Vec<String> = std::fs::read_dir(server.dir.path().join("farmers"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(stores, [format!("account-{}", ede(1).as_str())]);
    let url = server.url();
    for c in [&cookie, &other] {
        let (status, list) = get(&agent, &format!("{url}/eleveur"), Some(c));
        assert_eq!(status, 200, "{list}");
        assert!(list.contains("/eleveur/visites/V1"), "{list}");
    }

    // A logout is kept too: the cookie opens nothing after the next restart.
    logout_holds_across_a_restart(&mut server, &agent, "/eleveur", &cookie, &csrf);
}

#[test]
fn a_farmer_session_survives_a_server_restart_on_sled() {
    a_session_survives_a_restart(Kind::Sled);
}

#[test]
fn a_farmer_session_survives_a_server_restart_on_postgres() {
    a_session_survives_a_restart(Kind::Postgres);
}

#[test]
fn a_farmer_downloads_the_yearly_report_with_the_technicians_advice_and_no_other_farms() {
    let server = Server::start(Kind::Sled);
    let url = server.url();
    let tablet = technician_with_two_farms(&server);
    let year = day().year();
    let advice = |farm: u32, text: &str| Payload::AdviceWritten {
        farm: ede(farm),
        year,
        technician: tid(TECHNICIAN),
        text: text.into(),
    };
    tablet.append(vec![
        advice(1, "Détecter les chaleurs matin et soir"),
        advice(2, "Conseil de la ferme voisine"),
    ]);
    tablet.sync(&url);
    let agent = agent();
    let link = server.token(&["add-farmer", "--farm", ede(1).as_str(), "--link", &url]);
    let (cookie, _) = login(&agent, &url, &link);
    let (status, list) = get(&agent, &format!("{url}/eleveur"), Some(&cookie));
    assert_eq!(status, 200);
    let href = format!("/eleveur/bilan/{year}");
    assert!(list.contains(&href), "{list}");

    let text = pdf_text(&agent, &format!("{url}{href}"), &cookie);
    // Farm 1's one insemination (V1, on the helper's day) is its one IA1 of the year.
    for part in [
        "Bilan de reproduction du troupeau",
        "dont premières inséminations (IA1) : 1",
        "Détecter les chaleurs matin et soir",
        "technicien : Julie Moreau",
        "Coop Élevage 53",
    ] {
        assert!(text.contains(part), "{part} in {text}");
    }
    assert!(!text.contains("ferme voisine"), "{text}");
    // A year that is not one, or no session: nothing.
    let (status, _) = get(&agent, &format!("{url}/eleveur/bilan/deux"), Some(&cookie));
    assert_eq!(status, 404);
    let (status, _) = get(&agent, &format!("{url}{href}"), None);
    assert_eq!(status, 401);
}

// ---- arrival windows and messages (issue 21)

/// A local test gateway: an HTTP receiver on loopback that keeps every request (its
/// `Idempotency-Key` and JSON body) and answers the statuses of `plan` in turn, then 200.
struct TestGateway {
    port: u16,
    received: Arc<Mutex<Vec<(String, serde_json::Value)>>>,
}

impl TestGateway {
    fn start(plan: Vec<u16>) -> TestGateway {
        TestGateway::start_on(TcpListener::bind("127.0.0.1:0").unwrap(), plan)
    }

    fn start_on(listener: TcpListener, plan: Vec<u16>) -> TestGateway {
        let port = listener.local_addr().unwrap().port();
        let received: Arc<Mutex<Vec<(String, serde_json::Value)>>> = Arc::default();
        let kept = received.clone();
        std::thread::spawn(move || {
            let mut plan = plan.into_iter();
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let Some((key, body)) = read_request(&mut stream) else {
                    continue;
                };
                kept.lock().unwrap().push((key, body));
                let status = plan.next().unwrap_or(200);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
            }
        });
        TestGateway { port, received }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/envoi", self.port)
    }

    fn received(&self) -> Vec<(String, serde_json::Value)> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (a bounded number of times) until `n` requests came.
    fn wait_for(&self, n: usize) -> Vec<(String, serde_json::Value)> {
        for _ in 0..600 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!(
            "the gateway received {:?}, not {n} requests",
            self.received()
        );
    }
}

/// One HTTP request: its idempotency key and its JSON body.
fn read_request(stream: &mut std::net::TcpStream) -> Option<(String, serde_json::Value)> {
    let mut reader = std::io::BufReader::new(stream.try_clone().ok()?);
    let mut key = String::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            match name.to_ascii_lowercase().as_str() {
                "idempotency-key" => key = value.trim().to_owned(),
                "content-length" => length = value.trim().parse().ok()?,
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((key, serde_json::from_slice(&body).ok()?))
}

use std::io::{BufRead, Read, Write};
use std::sync::{Arc, Mutex};
use tournee::domain::{ArrivalWindow, Farm, Location, Request, Species, Urgency, Visit};
use tournee::tour::arrival;

fn today() -> chrono::NaiveDate {
    tournee::domain::paris_day(&tournee::domain::time::now())
}

/// Today at `h:m` in Europe/Paris.
fn at(h: u32, m: u32) -> tournee::domain::Instant {
    use chrono::TimeZone;
    chrono_tz::Europe::Paris
        .from_local_datetime(&today().and_hms_opt(h, m, 0).unwrap())
        .earliest()
        .unwrap()
        .fixed_offset()
}

fn farm_at(n: u32, name: &str, lat: f64, lon: f64) -> Payload {
    Payload::FarmRecorded(Farm {
        ede: ede(n),
        name: name.into(),
        village: Some("Montsûrs".into()),
        location: Location { lat, lon },
        species: vec![Species::Bovine],
        phone: Some(format!("06 12 34 56 {n:02}")),
        note: None,
    })
}

fn visit_today(id: &str, farm: u32, cows: u32, urgent: bool) -> Visit {
    Visit {
        id: vid(id),
        technician: tid(TECHNICIAN),
        farm: ede(farm),
        day: today(),
        requested: vec![Request {
            kind: ActKind::IaBovine,
            count: cows,
        }],
        urgency: if urgent {
            Urgency::Urgent
        } else {
            Urgency::Normal
        },
        window: urgent.then(|| {
            (
                chrono::NaiveTime::from_hms_opt(7, 30, 0).unwrap(),
                chrono::NaiveTime::from_hms_opt(7, 45, 0).unwrap(),
            )
        }),
        arrived: None,
        left: None,
        travel_km: None,
        note: None,
    }
}

/// The tablet's round of today around Montsûrs: V1 at farm 1 (the farmer we watch), V2 at
/// farm 2; farm 3 lies between home and farm 1 (the urgent call comes from there).
fn technician_with_a_round(server: &Server) -> Device {
    let tablet = enrolled(
        server,
        &["add-technician", TECHNICIAN, "--name", "Julie Moreau"],
    );
    tablet.append(vec![
        Payload::TechnicianRecorded(Technician {
            id: tid(TECHNICIAN),
            name: "Julie Moreau".into(),
            home: Some(Location {
                lat: 48.1357,
                lon: -0.5517,
            }),
            licence: None,
        }),
        farm_at(1, "GAEC du Bocage", 48.18, -0.47),
        farm_at(2, "EARL Voisine", 48.10, -0.62),
        farm_at(3, "GAEC de l'Urgence", 48.16, -0.50),
        Payload::VisitRecorded(visit_today("V1", 1, 2, false)),
        Payload::VisitRecorded(visit_today("V2", 2, 2, false)),
    ]);
    tablet.sync(&server.url());
    tablet
}

/// What the tablet does when it plans (as the app's backend does after each change): plans
/// today's round from the order so far, records it and the windows that changed, at `now`
/// (seconds after midnight).
fn plan_and_record(tablet: &Device, now: u32) -> tournee::tour::Plan {
    let (grid, settings) = tournee::worktime::company_rules(None).unwrap();
    let round =
        tournee::tour::day::day_round(&tablet.store, &tid(TECHNICIAN), today(), &grid, &settings)
            .unwrap()
            .unwrap();
    let previous = round.recorded.clone().unwrap_or_default();
    let plan = tournee::tour::replan(&round.problem, &round.progress, &previous).unwrap();
    let mut payloads = vec![Payload::RoundOrdered {
        technician: tid(TECHNICIAN),
        day: today(),
        order: plan.order().iter().map(|v| vid(v)).collect(),
    }];
    payloads.extend(arrival::to_record(&tablet.store, &plan, &round.visits, now).unwrap());
    tablet.append(payloads);
    plan
}

/// The window the tablet last recorded for a visit.
fn window_of(tablet: &Device, visit: &str) -> ArrivalWindow {
    tablet
        .store
        .arrivals(&vid(visit))
        .unwrap()
        .last()
        .unwrap()
        .1
}

/// What the tablet shows as told to the farmer ("prévenu : …"), from what the server holds.
fn told_on_tablet(tablet: &Device, visit: &str) -> Option<ArrivalWindow> {
    let status = tournee::sync::client::status(&tablet.store).unwrap();
    let head = tablet
        .store
        .head(tablet.store.device())
        .unwrap()
        .map_or(0, |(s, _)| s);
    arrival::told_in_store(&tablet.store, &vid(visit), head - status.waiting_events).unwrap()
}

async fn arrival_text(c: &Client) -> String {
    c.find(Locator::Id("arrivee"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

const H: u32 = 3_600;

#[test]
fn the_farmer_sees_the_window_and_is_told_once_when_an_urgent_call_moves_it() {
    let gateway = TestGateway::start(vec![]);
    let server = Server::start_with(Kind::Sled, &["--sms-gateway", &gateway.url()]);
    let url = server.url();
    let tablet = technician_with_a_round(&server);
    let link = server.token(&["add-farmer", "--farm", ede(1).as_str(), "--link", &url]);
    let driver = Driver::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let c = browser(&driver).await;
        c.goto(&link).await.unwrap();
        click_to(&c, "button[type=submit]", "/eleveur").await;
        // No window yet: the visit of the day is there, its time not known.
        assert!(
            arrival_text(&c).await.contains("horaire pas encore connu"),
            "{}",
            body_text(&c).await
        );
        // The farmer opts in with the farm's phone, offered in the field.
        let field = c.find(Locator::Id("adresse")).await.unwrap();
        assert_eq!(
            field.prop("value").await.unwrap().unwrap(),
            "06 12 34 56 01"
        );
        click_to(&c, "#messages button[type=submit]", "/eleveur").await;
        assert!(
            body_text(&c)
                .await
                .contains("prévenu(e) de l'heure de passage à : 0612345601")
        );

        // The tablet plans at 7:00 and syncs: the page shows the window, the farmer is told.
        plan_and_record(&tablet, 7 * H);
        tablet.sync(&url);
        let first = window_of(&tablet, "V1");
        c.goto(&format!("{url}/eleveur")).await.unwrap();
        arrive(&c, "/eleveur").await;
        let text = arrival_text(&c).await;
        assert!(
            text.contains(&format!(
                "Passage prévu aujourd'hui {}",
                arrival::between(&first)
            )),
            "{text}"
        );
        assert_eq!(
            text.lines().count(),
            1,
            "farm 2's window is not shown: {text}"
        );
        let got = gateway.wait_for(1);
        assert_eq!(got[0].1["to"], "0612345601");
        assert!(
            got[0].1["text"]
                .as_str()
                .unwrap()
                .contains(&arrival::between(&first)),
            "{got:?}"
        );
        assert_eq!(told_on_tablet(&tablet, "V1"), Some(first));

        // An urgent call at farm 3 (ten cows, before 7:45): the round is planned again.
        tablet.append(vec![Payload::VisitRecorded(visit_today("V3", 3, 10, true))]);
        let plan = plan_and_record(&tablet, 7 * H + 10 * 60);
        assert_eq!(plan.order()[..2], ["V3", "V1"], "the urgent call first");
        let moved = window_of(&tablet, "V1");
        assert!(
            moved.from.abs_diff(first.from) > arrival::MARGIN_MINUTES,
            "{first:?} -> {moved:?}: the call moves the window beyond the margin"
        );
        // Not told before the server has it.
        assert_eq!(told_on_tablet(&tablet, "V1"), Some(first));
        tablet.sync(&url);
        c.goto(&format!("{url}/eleveur")).await.unwrap();
        arrive(&c, "/eleveur").await;
        let text = arrival_text(&c).await;
        assert!(text.contains(&arrival::between(&moved)), "{text}");
        let got = gateway.wait_for(2);
        assert!(
            got[1].1["text"]
                .as_str()
                .unwrap()
                .contains(&arrival::between(&moved)),
            "{got:?}"
        );
        assert_ne!(got[0].0, got[1].0, "each message its own key");
        assert_eq!(told_on_tablet(&tablet, "V1"), Some(moved));

        // Syncing again, and a re-plan that moves nothing, tell the farmer nothing more.
        tablet.sync(&url);
        plan_and_record(&tablet, 7 * H + 10 * 60);
        tablet.sync(&url);

        // The technician leaves farm 3 at 9:40: on the way to farm 1.
        let mut done = visit_today("V3", 3, 10, true);
        done.arrived = Some(at(8, 0));
        done.left = Some(at(9, 40));
        tablet.append(vec![Payload::VisitRecorded(done)]);
        plan_and_record(&tablet, 9 * H + 40 * 60);
        let going = window_of(&tablet, "V1");
        assert!(going.on_the_way, "{going:?}");
        tablet.sync(&url);
        c.goto(&format!("{url}/eleveur")).await.unwrap();
        arrive(&c, "/eleveur").await;
        let text = arrival_text(&c).await;
        assert!(
            text.contains(&format!(
                "En route : Julie Moreau a quitté l'élevage précédent, arrivée {}",
                arrival::between(&going)
            )),
            "{text}"
        );
        let got = gateway.wait_for(3);
        assert!(
            got[2].1["text"]
                .as_str()
                .unwrap()
                .contains("a quitté l'élevage précédent"),
            "{got:?}"
        );
        assert_eq!(told_on_tablet(&tablet, "V1"), Some(going));
        c.close().await.unwrap();
    });
    // Once each: three windows told, no request sent twice.
    let got = gateway.received();
    assert_eq!(got.len(), 3, "{got:?}");
    let moved_text = arrival::between(&tablet.store.arrivals(&vid("V1")).unwrap()[1].1);
    assert_eq!(
        got.iter()
            .filter(|(_, b)| b["text"].as_str().unwrap().contains(&moved_text))
            .count(),
        1,
        "{got:?}"
    );
    // Farm 2's farmer did not opt in: nothing for them.
    assert!(got.iter().all(|(_, b)| b["to"] == "0612345601"), "{got:?}");
    // The server kept each message as sent, at the first attempt.
    let outbox = outbox_when(&server, |o| {
        o.len() == 3 && o.iter().all(|m| m["status"]["state"] == "sent")
    });
    assert!(
        outbox
            .iter()
            .all(|m| m["status"]["attempts"] == 1 && m["farm"] == ede(1).as_str())
    );
}

/// The outbox as `tournee-server outbox` prints it, once `done` holds (the status is written
/// after the gateway's answer), a bounded number of times.
fn outbox_when(
    server: &Server,
    done: impl Fn(&[serde_json::Value]) -> bool,
) -> Vec<serde_json::Value> {
    let mut last = Vec::new();
    for _ in 0..400 {
        let (code, out, err) = server.admin(&["outbox"]);
        assert_eq!(code, 0, "{err}");
        last = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        if done(&last) {
            return last;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("the outbox stayed {last:?}");
}

/// A server with a gateway, a round planned and synced, farm 1's farmer opted in over HTTP.
fn opted_in_round(kind: Kind, gateway_url: &str) -> (Server, Device) {
    let server = Server::start_with(kind, &["--sms-gateway", gateway_url]);
    let url = server.url();
    let tablet = technician_with_a_round(&server);
    let link = server.token(&["add-farmer", "--farm", ede(1).as_str(), "--link", &url]);
    let agent = agent();
    let (cookie, csrf) = login(&agent, &url, &link);
    let status = post(
        &agent,
        &format!("{url}/eleveur/messages"),
        Some(&cookie),
        None,
        &format!("csrf={csrf}&choix=oui&adresse=06+12+34+56+01"),
    );
    assert_eq!(status, 303);
    plan_and_record(&tablet, 7 * H);
    tablet.sync(&url);
    (server, tablet)
}

#[test]
fn a_message_refused_by_the_gateway_is_sent_again_with_the_same_key_until_it_passes() {
    let gateway = TestGateway::start(vec![500, 503]);
    let (_server, tablet) = opted_in_round(Kind::Sled, &gateway.url());
    let got = gateway.wait_for(3);
    let window = window_of(&tablet, "V1");
    assert!(got.iter().all(|(key, _)| key == &got[0].0), "{got:?}");
    assert!(
        got.iter().all(|(_, b)| b["text"]
            .as_str()
            .unwrap()
            .contains(&arrival::between(&window))),
        "{got:?}"
    );
    // Sent at the third attempt, and kept so: the next sync (nothing new) sends nothing more.
    let outbox = outbox_when(&_server, |o| {
        o.len() == 1 && o[0]["status"]["state"] == "sent"
    });
    assert_eq!(outbox[0]["status"]["attempts"], 3);
    assert_eq!(outbox[0]["id"], got[0].0.as_str());
    assert_eq!(outbox[0]["to"], "0612345601");
    tablet.sync(&_server.url());
    assert_eq!(gateway.received().len(), 3);
}

/// The gateway does not answer: the page still shows the window; the message waits in the
/// outbox through a `kill -9` of the server and goes, once, when the gateway is back.
fn gateway_down_then_back(kind: Kind) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let down = format!("http://127.0.0.1:{port}/envoi");
    let (mut server, tablet) = opted_in_round(kind, &down);
    let window = window_of(&tablet, "V1");
    let link = server.token(&[
        "add-farmer",
        "--farm",
        ede(1).as_str(),
        "--link",
        &server.url(),
    ]);
    let agent = agent();
    let (cookie, _) = login(&agent, &server.url(), &link);
    let (status, page) = get(&agent, &format!("{}/eleveur", server.url()), Some(&cookie));
    assert_eq!(status, 200);
    assert!(page.contains(&arrival::between(&window)), "{page}");
    // The message waits, with why.
    let outbox = outbox_when(&server, |o| {
        o.len() == 1 && o[0]["status"]["attempts"].as_u64() >= Some(1)
    });
    assert_eq!(outbox[0]["status"]["state"], "pending", "{outbox:?}");
    assert!(
        outbox[0]["status"]["last_error"]
            .as_str()
            .unwrap()
            .contains(&format!("127.0.0.1:{port}")),
        "{outbox:?}"
    );
    // The server is killed with the message still waiting, and started again.
    server.restart();
    let url = server.url();
    // The gateway comes back on its address: the message waiting goes, once.
    let gateway = TestGateway::start_on(TcpListener::bind(("127.0.0.1", port)).unwrap(), vec![]);
    let got = gateway.wait_for(1);
    assert!(
        got[0].1["text"]
            .as_str()
            .unwrap()
            .contains(&arrival::between(&window)),
        "{got:?}"
    );
    outbox_when(&server, |o| {
        o.len() == 1 && o[0]["status"]["state"] == "sent"
    });
    tablet.sync(&url);
    let (status, page) = get(&agent, &format!("{url}/eleveur"), Some(&cookie));
    assert_eq!(status, 200, "the session outlived the restart");
    assert!(page.contains(&arrival::between(&window)), "{page}");
    assert_eq!(gateway.received().len(), 1);
}

#[test]
fn with_the_gateway_down_the_page_works_and_the_message_goes_once_it_is_back_on_sled() {
    gateway_down_then_back(Kind::Sled);
}

#[test]
fn with_the_gateway_down_the_page_works_and_the_message_goes_once_it_is_back_on_postgres() {
    gateway_down_then_back(Kind::Postgres);
}

#[test]
fn without_a_gateway_nothing_is_sent_and_the_page_still_shows_the_window() {
    let server = Server::start(Kind::Sled);
    let url = server.url();
    let tablet = technician_with_a_round(&server);
    plan_and_record(&tablet, 7 * H);
    tablet.sync(&url);
    let link = server.token(&["add-farmer", "--farm", ede(2).as_str(), "--link", &url]);
    let agent = agent();
    let (cookie, csrf) = login(&agent, &url, &link);
    let (_, page) = get(&agent, &format!("{url}/eleveur"), Some(&cookie));
    // Farm 2 sees its own window, not farm 1's.
    assert!(
        page.contains(&arrival::between(&window_of(&tablet, "V2"))),
        "{page}"
    );
    assert!(
        !page.contains(&arrival::between(&window_of(&tablet, "V1")))
            || window_of(&tablet, "V1") == window_of(&tablet, "V2"),
        "{page}"
    );
    assert!(page.contains("n'envoie pas encore de messages"), "{page}");
    // A bad address is refused, naming it, and changes nothing.
    let status = post(
        &agent,
        &format!("{url}/eleveur/messages"),
        Some(&cookie),
        None,
        &format!("csrf={csrf}&choix=oui&adresse=06+12"),
    );
    assert_eq!(status, 422);
    let (_, page) = get(&agent, &format!("{url}/eleveur"), Some(&cookie));
    assert!(
        page.contains("id=\"adresse\""),
        "still not opted in: {page}"
    );
}
