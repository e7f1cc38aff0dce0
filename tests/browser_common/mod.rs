//! What the web pages' tests share: a real headless Chromium driven over WebDriver (Debian's
//! `chromium` and `chromium-driver`, installed by `.ci/run`), and plain HTTP requests that
//! carry a session cookie or an origin, or leave them out.

#![allow(dead_code)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

use fantoccini::{Client, ClientBuilder, Locator};

/// chromedriver on a free loopback port, killed when dropped.
pub struct Driver {
    child: Child,
    pub port: u16,
}

impl Driver {
    pub fn start() -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (apt-get install chromium-driver; .ci/run does)");
        // chromedriver answers once it listens: wait for the port, a bounded number of times.
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Driver { child, port };
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("chromedriver never listened on {port}");
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a Chromium session")
}

pub async fn body_text(c: &Client) -> String {
    c.find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Waits until the browser shows `path` (with its query), after a click that navigates: the
/// click returns when the request is sent, not when the next page is there.
pub async fn arrive(c: &Client, path: &str) {
    let mut at = String::new();
    for _ in 0..400 {
        let url = c.current_url().await.unwrap();
        at = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let ready = c
            .execute("return document.readyState", vec![])
            .await
            .unwrap();
        if at == path && ready == "complete" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!(
        "the browser stayed at {at}, not {path}: {}",
        body_text(c).await
    );
}

/// Clicks what `css` finds and waits for the page it leads to.
pub async fn click_to(c: &Client, css: &str, path: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    arrive(c, path).await;
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build(),
    )
}

pub fn get(agent: &ureq::Agent, url: &str, cookie: Option<&str>) -> (u16, String) {
    let mut request = agent.get(url);
    if let Some(c) = cookie {
        request = request.header("cookie", c);
    }
    let mut answer = request.call().unwrap();
    (
        answer.status().as_u16(),
        answer.body_mut().read_to_string().unwrap_or_default(),
    )
}

pub fn post(
    agent: &ureq::Agent,
    url: &str,
    cookie: Option<&str>,
    origin: Option<&str>,
    body: &str,
) -> u16 {
    post_page(agent, url, cookie, origin, body).0
}

/// A form posted: the status and the page answered.
pub fn post_page(
    agent: &ureq::Agent,
    url: &str,
    cookie: Option<&str>,
    origin: Option<&str>,
    body: &str,
) -> (u16, String) {
    let mut request = agent
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        request = request.header("cookie", c);
    }
    if let Some(o) = origin {
        request = request.header("origin", o);
    }
    let mut answer = request.send(body.to_owned()).unwrap();
    (
        answer.status().as_u16(),
        answer.body_mut().read_to_string().unwrap_or_default(),
    )
}

/// Logs in over HTTP with a page's link (`URL/PAGE/connexion?jeton=CODE`): the session
/// cookie, checked for its attributes, and the page's CSRF token.
pub fn login(agent: &ureq::Agent, url: &str, link: &str) -> (String, String) {
    let (form, code) = link.rsplit_once("?jeton=").unwrap();
    let home = form.strip_suffix("/connexion").unwrap();
    let path = home.strip_prefix(url).unwrap();
    let answer = agent
        .post(form)
        .header("content-type", "application/x-www-form-urlencoded")
        .send(format!("jeton={code}"))
        .unwrap();
    assert_eq!(answer.status(), 303);
    let set = answer
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", &format!("Path={path}")] {
        assert!(set.contains(attribute), "{set}");
    }
    let cookie = set.split(';').next().unwrap().to_owned();
    let (status, page) = get(agent, home, Some(&cookie));
    assert_eq!(status, 200, "{page}");
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    (cookie, csrf)
}

/// Logs out with the page's form (`page`: `/eleveur`, `/bureau`) and restarts the server
/// (SIGKILL): the cookie still opens nothing.
pub fn logout_holds_across_a_restart(
    server: &mut crate::sync_common::Server,
    agent: &ureq::Agent,
    page: &str,
    cookie: &str,
    csrf: &str,
) {
    let url = server.url();
    let logout = format!("{url}{page}/deconnexion");
    let status = post(agent, &logout, Some(cookie), None, &format!("csrf={csrf}"));
    assert_eq!(status, 200);
    server.restart();
    let (status, _) = get(agent, &format!("{}{page}", server.url()), Some(cookie));
    assert_eq!(status, 401);
}
