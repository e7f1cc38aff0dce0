//! The farmer's web pages, served by `tournee-server` under `/eleveur`: the farm's visits
//! (date, technician, acts, bulls, pregnancy results), a confirmation or a dispute with a
//! comment, and the visit's insemination certificate as PDF.
//!
//! A farmer logs in with the one-time code of a link (`tournee-server add-farmer --farm EDE
//! --link URL`). Logging in enrols a device for the farmer's account whose store and key the
//! server holds (in `DATA/farmers/`): the page is that device. It pulls the farm's events
//! through the sync service like a tablet would, and writes a confirmation or a dispute as an
//! event of its own chain, pushed through the same checks (`rights.rs`: a farmer writes only
//! confirmations and disputes of their own farm's visits). So a farm never reads another's
//! data, and the technician's tablet receives the farmer's answer by its ordinary sync.
//!
//! The session is an HttpOnly, SameSite=Strict cookie; every POST carries the session's CSRF
//! token and is refused from another origin. Sessions are kept in the backend (the hash of the
//! cookie, the farm and the folder of the page's store, never the cookie itself): a farmer stays
//! logged in across a restart of the server. Not for technicians or supervisors (their tablets).

mod html;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Datelike;

use super::backend::Scope;
use super::local::Local;
use super::service::{ApiError, Service, new_token};
use crate::domain::{
    Company, Confirmation, Ede, Family, Payload, Technician, TechnicianId, VisitId,
};
use crate::log::{Event, EventId, Store};
use crate::sync::{Cursor, Role, SyncClient, SyncError, TransportError};

/// How long a session lasts without a new link.
const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);
const COOKIE: &str = "tournee_eleveur";
const USED_LINK: &str =
    "Ce lien a déjà servi ou n'existe pas. Demandez un nouveau lien à votre coopérative.";
const NOT_A_FARMER: &str =
    "Ce code n'est pas celui d'un éleveur : il ne donne pas accès à cet espace.";
/// The longest comment accepted, far above what a farmer types on a phone.
const MAX_COMMENT: usize = 2_000;

/// The farmer pages' state: the service, the folder of the farmers' stores, the sessions.
pub struct FarmerWeb {
    service: Arc<Service>,
    dir: PathBuf,
    /// The sessions in use since start; the backend holds them all (see [`SavedSession`]).
    sessions: Mutex<HashMap<String, Arc<Session>>>,
    /// One session brought back from the backend at a time: its store opens once.
    restoring: tokio::sync::Mutex<()>,
}

/// What the backend keeps of a session, under the hash of its cookie.
#[derive(serde::Serialize, serde::Deserialize)]
struct SavedSession {
    farm: String,
    /// The folder of the page's store, in the farmers' folder.
    store: String,
    expires_ms: u64,
}

/// The backend's key of a session: the hash of its cookie, so the backend holds no session a
/// reader of the database could use.
fn session_key(id: &str) -> Vec<u8> {
    let mut key = b"farmer-session/".to_vec();
    key.extend_from_slice(&super::service::token_hash(id));
    key
}

/// A session's CSRF token, derived from its cookie: nothing more to keep, and a form made for
/// one session fails in another.
fn csrf_of(id: &str) -> String {
    super::service::token_hash(&format!("csrf:{id}"))[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

struct Session {
    farm: Ede,
    store: Store,
    csrf: String,
    expires: Instant,
    /// One sync at a time per store.
    syncing: Mutex<()>,
    /// Technicians' records and the company's, read from the server once per session.
    staff: tokio::sync::Mutex<HashMap<TechnicianId, Staff>>,
}

#[derive(Clone, Default)]
struct Staff {
    technician: Option<Technician>,
    company: Option<Company>,
}

/// A page or a refusal (boxed: a response is large, and most calls succeed).
type Answer = Result<Response, Refused>;

struct Refused(Box<Response>);

impl From<Response> for Refused {
    fn from(r: Response) -> Refused {
        Refused(Box::new(r))
    }
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

fn refusal(status: StatusCode, title: &str, text: &str) -> Response {
    html(status, html::message(title, text))
}

fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, location.to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response()
}

fn failure(e: impl std::fmt::Display) -> Response {
    eprintln!("tournee-server: farmer page: {e}");
    refusal(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Erreur du serveur",
        "Le serveur n'a pas pu répondre. Réessayez dans un moment.",
    )
}

/// Decodes an `application/x-www-form-urlencoded` body or query: `None` if it is not valid.
fn form(text: &str) -> Option<HashMap<String, String>> {
    let mut out = HashMap::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.insert(decode(k)?, decode(v)?);
    }
    Some(out)
}

fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// Compares secrets in a time that does not depend on where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    blake3::hash(a.as_bytes()) == blake3::hash(b.as_bytes())
}

/// A POST from another site is refused: its Origin must be this host, and a browser saying
/// the request is cross-site is believed.
fn same_origin(headers: &HeaderMap) -> bool {
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site" || v == "same-site")
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin.to_str().ok().and_then(|o| {
        o.strip_prefix("http://")
            .or_else(|| o.strip_prefix("https://"))
    });
    matches!((origin_host, host), (Some(o), Some(h)) if o == h)
}

impl FarmerWeb {
    /// The pages over `service`, keeping the farmers' stores in `dir`.
    pub fn new(service: Arc<Service>, dir: PathBuf) -> FarmerWeb {
        FarmerWeb {
            service,
            dir,
            sessions: Mutex::new(HashMap::new()),
            restoring: tokio::sync::Mutex::new(()),
        }
    }

    fn client(&self) -> SyncClient<Local> {
        super::local::client(&self.service)
    }

    fn live_session(&self, id: &str) -> Option<Arc<Session>> {
        let mut sessions = self
            .sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        sessions.retain(|_, s| s.expires > now);
        sessions.get(id).cloned()
    }

    async fn session(&self, headers: &HeaderMap) -> Result<Option<Arc<Session>>, Refused> {
        let Some(id) = cookie(headers) else {
            return Ok(None);
        };
        if let Some(s) = self.live_session(&id) {
            return Ok(Some(s));
        }
        // Not seen since the server started: the backend may hold it from before a restart.
        let _one = self.restoring.lock().await;
        if let Some(s) = self.live_session(&id) {
            return Ok(Some(s));
        }
        let now = super::service::now_ms();
        let saved = self
            .service
            .backend()
            .claimed(&session_key(&id), now)
            .await
            .map_err(failure)?;
        let Some(saved) = saved else {
            return Ok(None);
        };
        let Ok(saved) = postcard::from_bytes::<SavedSession>(&saved) else {
            return Ok(None);
        };
        // A folder name is one token: never a path leading elsewhere.
        if saved.store.is_empty() || !saved.store.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let Ok(farm) = Ede::parse("farm", &saved.farm) else {
            return Ok(None);
        };
        let dir = self.dir.join(&saved.store);
        let store = tokio::task::spawn_blocking(move || Store::open(&dir))
            .await
            .map_err(failure)?
            .map_err(store_error)?;
        let session = Arc::new(Session {
            farm,
            store,
            csrf: csrf_of(&id),
            expires: Instant::now() + Duration::from_millis(saved.expires_ms.saturating_sub(now)),
            syncing: Mutex::new(()),
            staff: tokio::sync::Mutex::new(HashMap::new()),
        });
        self.sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id, session.clone());
        Ok(Some(session))
    }

    /// The session of a page, or the page that says to log in again.
    async fn reader(&self, headers: &HeaderMap) -> Result<Arc<Session>, Refused> {
        Ok(self.session(headers).await?.ok_or_else(|| {
            refusal(
                StatusCode::UNAUTHORIZED,
                "Session terminée",
                "Votre session a expiré ou n'existe pas. Ouvrez le lien que votre coopérative \
                 vous a envoyé, ou demandez-en un nouveau.",
            )
        })?)
    }

    /// The session of a form, after the origin and CSRF checks, with the form's fields.
    async fn writer(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(Arc<Session>, HashMap<String, String>), Refused> {
        let forbidden = |text: &str| refusal(StatusCode::FORBIDDEN, "Action refusée", text);
        if !same_origin(headers) {
            return Err(forbidden(
                "Ce formulaire ne vient pas de cette page : rien n'a été enregistré.",
            )
            .into());
        }
        let session = self.reader(headers).await?;
        let fields = std::str::from_utf8(body)
            .ok()
            .and_then(form)
            .ok_or_else(|| {
                refusal(
                    StatusCode::BAD_REQUEST,
                    "Formulaire illisible",
                    "Le formulaire envoyé n'est pas lisible : rechargez la page et réessayez.",
                )
            })?;
        match fields.get("csrf") {
            Some(t) if same_secret(t, &session.csrf) => Ok((session, fields)),
            _ => Err(forbidden(
                "Ce formulaire a expiré ou ne vient pas de cette page : rechargez la page et \
                 réessayez. Rien n'a été enregistré.",
            )
            .into()),
        }
    }

    /// Pulls what changed for the farm (and pushes what the page wrote).
    async fn sync(&self, session: &Arc<Session>) -> Result<(), Refused> {
        let client = self.client();
        let session = session.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let _one = session
                .syncing
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            client.sync_once(&session.store)
        })
        .await;
        match outcome {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(failure(e).into()),
            Err(e) => Err(failure(e).into()),
        }
    }

    /// The technician's record and the company's, as the server holds them: a farmer's
    /// device does not read them, but the certificate and the page name them.
    async fn staff(&self, session: &Session, t: &TechnicianId) -> Result<Staff, ApiError> {
        let mut cache = session.staff.lock().await;
        if let Some(s) = cache.get(t) {
            return Ok(s.clone());
        }
        let scope = Scope {
            author: Role::Technician {
                id: t.clone(),
                name: String::new(),
            }
            .account_id(),
            technicians: vec![t.clone()],
            farm: None,
        };
        let mut found: Staff = Staff::default();
        let mut clocks = (None, None);
        let mut cursor = Cursor::default();
        loop {
            let page = self
                .service
                .backend()
                .read(&scope, cursor, session.store.device(), 5_000)
                .await?;
            for e in &page.events {
                let Ok(event) = Event::from_body(
                    EventId {
                        device: e.device,
                        seq: e.seq,
                    },
                    &e.body,
                ) else {
                    continue;
                };
                match event.payload {
                    Payload::TechnicianRecorded(r)
                        if &r.id == t && clocks.0.is_none_or(|c| c < event.clock) =>
                    {
                        clocks.0 = Some(event.clock);
                        found.technician = Some(r);
                    }
                    Payload::CompanyRecorded(c) if clocks.1.is_none_or(|k| k < event.clock) => {
                        clocks.1 = Some(event.clock);
                        found.company = Some(c);
                    }
                    _ => {}
                }
            }
            if !page.more {
                break;
            }
            cursor = page.next;
        }
        cache.insert(t.clone(), found.clone());
        Ok(found)
    }

    async fn technician_name(&self, session: &Session, t: &TechnicianId) -> String {
        match self.staff(session, t).await {
            Ok(Staff {
                technician: Some(r),
                ..
            }) => r.name,
            _ => t.as_str().to_owned(),
        }
    }
}

fn store_error(e: crate::log::LogError) -> Response {
    failure(e)
}

async fn login_form(uri: Uri) -> Response {
    let code = uri
        .query()
        .and_then(form)
        .and_then(|mut f| f.remove("jeton"))
        .unwrap_or_default();
    html(StatusCode::OK, html::login(&code, None))
}

async fn login(State(web): State<Arc<FarmerWeb>>, headers: HeaderMap, body: Bytes) -> Answer {
    if !same_origin(&headers) {
        return Err(refusal(
            StatusCode::FORBIDDEN,
            "Connexion refusée",
            "Cette demande de connexion ne vient pas de cette page.",
        )
        .into());
    }
    let code = std::str::from_utf8(&body)
        .ok()
        .and_then(form)
        .and_then(|mut f| f.remove("jeton"))
        .map(|c| c.trim().to_owned())
        .unwrap_or_default();
    let bad = |text: &str| html(StatusCode::FORBIDDEN, html::login(&code, Some(text)));
    if code.len() != 32 || !code.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad(
            "Ce code n'est pas valable : il compte 32 caractères (chiffres et lettres a à f).",
        )
        .into());
    }
    // Checked before enrolling: another account's token (a technician's) stays unused.
    match web
        .service
        .backend()
        .token_role(super::service::token_hash(&code))
        .await
    {
        Ok(Some(Role::Farmer { .. })) => {}
        Ok(Some(_)) => {
            return Err(bad(NOT_A_FARMER).into());
        }
        Ok(None) => {
            return Err(bad(USED_LINK).into());
        }
        Err(e) => return Err(failure(e).into()),
    }
    let dir_name = new_token();
    let dir = web.dir.join(&dir_name);
    let client = web.client();
    let token = code.clone();
    let enrolled = tokio::task::spawn_blocking(move || {
        let store = Store::open(&dir)?;
        match client.enroll(&store, "local", &token, "page web de l'éleveur") {
            Ok(role) => Ok((store, role)),
            Err(e) => {
                drop(store);
                let _ = std::fs::remove_dir_all(&dir);
                Err(e)
            }
        }
    })
    .await
    .map_err(failure)?;
    let (store, role) = match enrolled {
        Ok(x) => x,
        Err(SyncError::Transport(TransportError::Refused { status: 403, .. })) => {
            return Err(bad(USED_LINK).into());
        }
        Err(e) => return Err(failure(e).into()),
    };
    let Role::Farmer { farm } = role else {
        return Err(bad(NOT_A_FARMER).into());
    };
    let id = new_token() + &new_token();
    let store_name = dir_name.clone();
    let now = super::service::now_ms();
    let expires_ms = now + SESSION_LIFETIME.as_millis() as u64;
    let saved = SavedSession {
        farm: farm.as_str().to_owned(),
        store: store_name,
        expires_ms,
    };
    let saved = postcard::to_allocvec(&saved).map_err(failure)?;
    let key = session_key(&id);
    let claim = super::backend::Claim {
        key: &key,
        value: &saved,
        expires_ms,
    };
    let claimed = web
        .service
        .backend()
        .claim(claim, now)
        .await
        .map_err(failure)?;
    if !claimed {
        // Two random 128-bit tokens met: not worth more than a retry by the farmer.
        return Err(failure("a session id already in use").into());
    }
    let session = Arc::new(Session {
        farm,
        store,
        csrf: csrf_of(&id),
        expires: Instant::now() + SESSION_LIFETIME,
        syncing: Mutex::new(()),
        staff: tokio::sync::Mutex::new(HashMap::new()),
    });
    web.sessions
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(id.clone(), session);
    let mut answer = see_other("/eleveur");
    let cookie = format!(
        "{COOKIE}={id}; Path=/eleveur; HttpOnly; SameSite=Strict; Max-Age={}",
        SESSION_LIFETIME.as_secs()
    );
    answer.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(failure)?,
    );
    Ok(answer)
}

async fn logout(State(web): State<Arc<FarmerWeb>>, headers: HeaderMap, body: Bytes) -> Answer {
    web.writer(&headers, &body).await?;
    if let Some(id) = cookie(&headers) {
        web.sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&id);
        web.service
            .backend()
            .release(&session_key(&id))
            .await
            .map_err(failure)?;
    }
    let mut answer = refusal(
        StatusCode::OK,
        "Déconnecté",
        "Vous êtes déconnecté. Pour revenir, demandez un nouveau lien à votre coopérative.",
    );
    answer.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "tournee_eleveur=; Path=/eleveur; HttpOnly; SameSite=Strict; Max-Age=0",
        ),
    );
    Ok(answer)
}

async fn visits(State(web): State<Arc<FarmerWeb>>, headers: HeaderMap) -> Answer {
    let session = web.reader(&headers).await?;
    web.sync(&session).await?;
    let store = &session.store;
    let mut visits = store.visits_of_farm(&session.farm).map_err(store_error)?;
    visits.sort_by(|a, b| b.day.cmp(&a.day).then_with(|| a.id.cmp(&b.id)));
    let mut confirmations = Vec::with_capacity(visits.len());
    let mut lines = Vec::with_capacity(visits.len());
    for v in &visits {
        confirmations.push((
            store.confirmation(&v.id).map_err(store_error)?,
            store.acts_of(&v.id).map_err(store_error)?.len(),
            web.technician_name(&session, &v.technician).await,
        ));
    }
    for (v, (c, acts, technician)) in visits.iter().zip(&confirmations) {
        lines.push(html::VisitLine {
            visit: v,
            technician: technician.clone(),
            acts: *acts,
            confirmation: c.as_ref(),
        });
    }
    let farm = store.farm(&session.farm).map_err(store_error)?;
    let name = farm
        .as_ref()
        .map(|f| f.name.as_str())
        .unwrap_or(session.farm.as_str());
    // The yearly reports of the farm's last three years with visits, newest first.
    let mut years: Vec<i32> = visits.iter().map(|v| v.day.year()).collect();
    years.dedup();
    years.truncate(3);
    // Today's visits of this farm only: the page's store holds no other farm's window.
    let today = crate::domain::paris_day(&crate::domain::time::now());
    let mut arrivals = Vec::new();
    for (v, (_, _, technician)) in visits.iter().zip(&confirmations) {
        if v.day != today || store.cancellation(&v.id).map_err(store_error)?.is_some() {
            continue;
        }
        let window = store
            .arrivals(&v.id)
            .map_err(store_error)?
            .last()
            .map(|(_, w)| *w);
        let a = match (&v.arrived, &v.left, window) {
            (_, Some(_), _) => html::Arrival::Done,
            (Some(_), None, _) => html::Arrival::Here,
            (None, None, Some(w)) => html::Arrival::Window(w),
            (None, None, None) => html::Arrival::Planned,
        };
        arrivals.push((technician.clone(), a));
    }
    let refresh = arrivals
        .iter()
        .any(|(_, a)| !matches!(a, html::Arrival::Done));
    let opt_in = super::notices::opt_in(web.service.backend().as_ref(), &session.farm)
        .await
        .map_err(failure)?;
    let messages = html::Messages {
        to: opt_in.as_ref().map(|o| o.to.as_str()),
        suggested: farm
            .as_ref()
            .and_then(|f| f.phone.as_deref())
            .unwrap_or_default(),
        sending: web.service.sends_messages(),
    };
    let top = html::today(&arrivals, &messages, &session.csrf);
    Ok(html(
        StatusCode::OK,
        html::visits(name, &top, refresh, &lines, &years, &session.csrf),
    ))
}

/// `POST /eleveur/messages`: the farmer opts in (`choix=oui`, `adresse`) or out (`choix=non`).
async fn choose_messages(
    State(web): State<Arc<FarmerWeb>>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let (session, fields) = web.writer(&headers, &body).await?;
    let backend = web.service.backend().as_ref();
    let choice = match fields.get("choix").map(String::as_str) {
        Some("non") => None,
        Some("oui") => {
            let typed = fields
                .get("adresse")
                .map(String::as_str)
                .unwrap_or_default();
            let to = super::notices::check_address(typed).map_err(|e| {
                refusal(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Adresse non valable",
                    &format!("Adresse : {e}. Rien n'a été changé."),
                )
            })?;
            let farm_name = session
                .store
                .farm(&session.farm)
                .map_err(store_error)?
                .map(|f| f.name)
                .unwrap_or_else(|| session.farm.as_str().to_owned());
            Some(super::notices::OptIn { to, farm_name })
        }
        other => {
            return Err(refusal(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Choix non valable",
                &format!(
                    "Choix : « {} » n'est pas « oui » ou « non ». Rien n'a été changé.",
                    other.unwrap_or_default()
                ),
            )
            .into());
        }
    };
    super::notices::set_opt_in(backend, &session.farm, choice)
        .await
        .map_err(failure)?;
    Ok(see_other("/eleveur"))
}

/// The visit of the session's farm named in the URL; any other is "not found", whether it
/// exists elsewhere or not, so a farmer learns nothing of other farms.
fn own_visit(session: &Session, id: &str) -> Result<crate::domain::Visit, Refused> {
    let not_found = || {
        refusal(
            StatusCode::NOT_FOUND,
            "Visite introuvable",
            "Cette visite n'existe pas dans votre élevage.",
        )
    };
    let id = VisitId::parse("visit", id).map_err(|_| not_found())?;
    match session.store.visit(&id).map_err(store_error)? {
        Some(v) if v.farm == session.farm => Ok(v),
        _ => Err(not_found().into()),
    }
}

struct Shown<'a> {
    flash: Option<&'a str>,
    error: Option<&'a str>,
    comment: &'a str,
}

async fn render_visit(
    web: &FarmerWeb,
    session: &Session,
    id: &str,
    status: StatusCode,
    shown: Shown<'_>,
) -> Answer {
    let visit = own_visit(session, id)?;
    let store = &session.store;
    let acts = store.acts_of(&visit.id).map_err(store_error)?;
    let confirmation = store.confirmation(&visit.id).map_err(store_error)?;
    let notes = store.visit_notes(&visit.id).map_err(store_error)?;
    let farm = store.farm(&visit.farm).map_err(store_error)?;
    let technician = web.technician_name(session, &visit.technician).await;
    let page = html::VisitPage {
        farm: farm.as_ref(),
        visit: &visit,
        technician,
        acts: &acts,
        confirmation: confirmation.as_ref(),
        notes: &notes,
        inseminations: acts.iter().any(|a| a.kind.family() == Family::Insemination),
        csrf: &session.csrf,
        flash: shown.flash,
        error: shown.error,
        comment: shown.comment,
    };
    Ok(html(status, html::visit(&page)))
}

async fn visit(
    State(web): State<Arc<FarmerWeb>>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Answer {
    let session = web.reader(&headers).await?;
    web.sync(&session).await?;
    let flash = match uri
        .query()
        .and_then(form)
        .and_then(|mut f| f.remove("fait"))
    {
        Some(f) if f == "confirmee" => Some("Merci : la visite est confirmée."),
        Some(f) if f == "contestee" => {
            Some("Votre contestation est enregistrée : le technicien va la recevoir.")
        }
        _ => None,
    };
    let shown = Shown {
        flash,
        error: None,
        comment: "",
    };
    render_visit(&web, &session, &id, StatusCode::OK, shown).await
}

/// Writes the farmer's answer as an event of the page's device and pushes it at once.
async fn answer(
    web: &FarmerWeb,
    id: String,
    headers: HeaderMap,
    body: Bytes,
    dispute: bool,
) -> Answer {
    let (session, fields) = web.writer(&headers, &body).await?;
    let visit = own_visit(&session, &id)?;
    let comment = fields
        .get("commentaire")
        .map(|c| c.trim().to_owned())
        .unwrap_or_default();
    let invalid = |text: &str| (StatusCode::UNPROCESSABLE_ENTITY, text.to_owned());
    let checked = if comment.chars().count() > MAX_COMMENT {
        Err(invalid(&format!(
            "Le commentaire est trop long : {MAX_COMMENT} caractères au plus."
        )))
    } else if dispute && comment.is_empty() {
        Err(invalid(
            "Pour contester, dites ce qui ne va pas dans le commentaire.",
        ))
    } else {
        let at = crate::domain::time::now();
        let confirmation = if dispute {
            Confirmation::Disputed {
                at,
                comment: comment.clone(),
            }
        } else {
            Confirmation::ConfirmedLater {
                at,
                comment: (!comment.is_empty()).then(|| comment.clone()),
            }
        };
        let payload = Payload::VisitConfirmed {
            visit: visit.id.clone(),
            confirmation,
        };
        payload
            .validate()
            .map(|()| payload)
            .map_err(|e| invalid(&format!("Le commentaire n'est pas accepté : {e}")))
    };
    let payload = match checked {
        Ok(p) => p,
        Err((status, error)) => {
            let shown = Shown {
                flash: None,
                error: Some(&error),
                comment: &comment,
            };
            return render_visit(web, &session, &id, status, shown).await;
        }
    };
    session.store.append(vec![payload]).map_err(store_error)?;
    web.sync(&session).await?;
    let done = if dispute { "contestee" } else { "confirmee" };
    Ok(see_other(&format!(
        "{}?fait={done}",
        html::visit_path(&visit.id)
    )))
}

/// `POST /eleveur/visites/{id}/confirmer` or `.../contester`.
async fn answer_route(
    State(web): State<Arc<FarmerWeb>>,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let dispute = match action.as_str() {
        "confirmer" => false,
        "contester" => true,
        _ => {
            return Err(refusal(
                StatusCode::NOT_FOUND,
                "Page introuvable",
                "Cette adresse n'existe pas.",
            )
            .into());
        }
    };
    answer(&web, id, headers, body, dispute).await
}

async fn certificate(
    State(web): State<Arc<FarmerWeb>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let session = web.reader(&headers).await?;
    web.sync(&session).await?;
    let visit = own_visit(&session, &id)?;
    let store = &session.store;
    let incomplete = |text: String| {
        refusal(
            StatusCode::CONFLICT,
            "Certificat pas encore disponible",
            &text,
        )
    };
    let farm = store
        .farm(&visit.farm)
        .map_err(store_error)?
        .ok_or_else(|| incomplete("La fiche de votre élevage n'est pas encore arrivée.".into()))?;
    let staff = web
        .staff(&session, &visit.technician)
        .await
        .map_err(failure)?;
    let technician = staff.technician.ok_or_else(|| {
        incomplete("La fiche du technicien n'est pas encore arrivée au serveur.".into())
    })?;
    let mut records = Vec::new();
    for act in store.acts_of(&visit.id).map_err(store_error)? {
        if act.kind.family() != Family::Insemination {
            continue;
        }
        let record = crate::declare::InseminationRecord::build(
            &act,
            &visit,
            &farm,
            &technician,
            staff.company.as_ref(),
        )
        .map_err(|e| {
            incomplete(format!(
                "Le technicien n'a pas encore complété l'enregistrement ({e})."
            ))
        })?;
        records.push(record);
    }
    if records.is_empty() {
        return Err(refusal(
            StatusCode::NOT_FOUND,
            "Pas de certificat",
            "Cette visite ne compte aucune insémination.",
        )
        .into());
    }
    let confirmation = store.confirmation(&visit.id).map_err(store_error)?;
    let pdf = crate::declare::certificate(&records, confirmation.as_ref()).to_bytes();
    let name = format!(
        "certificat-{}.pdf",
        visit
            .id
            .as_str()
            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_")
    );
    Ok(pdf_download(&name, pdf))
}

/// A PDF the browser saves as `name` (ASCII letters, digits and `-._` only) and never caches.
fn pdf_download(name: &str, pdf: Vec<u8>) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        pdf,
    )
        .into_response()
}

/// The farm's yearly reproduction report as PDF: the same document the technician hands on
/// the tablet, with the advice written for the year to come.
async fn year_report(
    State(web): State<Arc<FarmerWeb>>,
    Path(year): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let session = web.reader(&headers).await?;
    let year = year
        .parse::<i32>()
        .ok()
        .filter(|y| crate::domain::event::ADVICE_YEARS.contains(y))
        .ok_or_else(|| {
            refusal(
                StatusCode::NOT_FOUND,
                "Bilan introuvable",
                "Cette année n'est pas une année de bilan.",
            )
        })?;
    web.sync(&session).await?;
    let store = &session.store;
    let farm = store
        .farm(&session.farm)
        .map_err(store_error)?
        .ok_or_else(|| {
            refusal(
                StatusCode::CONFLICT,
                "Bilan pas encore disponible",
                "La fiche de votre élevage n'est pas encore arrivée.",
            )
        })?;
    let today = crate::domain::paris_day(&crate::domain::time::now());
    let report =
        crate::advice::store::year_report(store, &farm.ede, year, today).map_err(store_error)?;
    let parts =
        crate::advice::store::report_parts(store, &farm.ede, &report).map_err(store_error)?;
    let (technician, company) = match &parts.technician {
        Some(t) => {
            let staff = web.staff(&session, t).await.map_err(failure)?;
            (
                staff.technician.map(|t| t.name),
                staff.company.map(|c| c.name),
            )
        }
        None => (None, None),
    };
    let pdf = crate::advice::report::yearly_report(
        &farm,
        company.as_deref().unwrap_or_default(),
        technician.as_deref(),
        &report,
        &parts.watch,
        parts.advice.as_ref().map(|a| a.text.as_str()),
    )
    .to_bytes();
    Ok(pdf_download(&format!("bilan-{year}.pdf"), pdf))
}

fn flatten(answer: Answer) -> Response {
    answer.unwrap_or_else(|r| *r.0)
}

/// Headers every farmer page carries: no framing, no scripts, no referrer to other sites (the
/// login link holds a code; `no-referrer` would make browsers send `Origin: null`, which the
/// origin check refuses), no caching of a farm's data.
async fn harden(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// The farmer's routes, under `/eleveur`.
pub fn router(web: Arc<FarmerWeb>) -> Router {
    Router::new()
        .route(
            "/eleveur/connexion",
            get(login_form).post(|s, h, b| async move { flatten(login(s, h, b).await) }),
        )
        .route(
            "/eleveur/deconnexion",
            post(|s, h, b| async move { flatten(logout(s, h, b).await) }),
        )
        .route(
            "/eleveur",
            get(|s, h| async move { flatten(visits(s, h).await) }),
        )
        .route(
            "/eleveur/messages",
            post(|s, h, b| async move { flatten(choose_messages(s, h, b).await) }),
        )
        .route(
            "/eleveur/visites/{id}",
            get(|s, p, u, h| async move { flatten(visit(s, p, u, h).await) }),
        )
        .route(
            "/eleveur/visites/{id}/{action}",
            post(|s, p, h, b| async move { flatten(answer_route(s, p, h, b).await) }),
        )
        .route(
            "/eleveur/visites/{id}/certificat.pdf",
            get(|s, p, h| async move { flatten(certificate(s, p, h).await) }),
        )
        .route(
            "/eleveur/bilan/{year}",
            get(|s, p, h| async move { flatten(year_report(s, p, h).await) }),
        )
        .with_state(web)
        .layer(axum::middleware::from_fn(harden))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_forms_and_refuses_broken_escapes() {
        let f = form("csrf=ab12&commentaire=Pas+de+retour+%C3%A0+l%27IA&x").unwrap();
        assert_eq!(f["commentaire"], "Pas de retour à l'IA");
        assert_eq!(f["csrf"], "ab12");
        assert_eq!(f["x"], "");
        assert!(form("a=%E").is_none());
        assert!(form("a=%ZZ").is_none());
        assert!(form("a=%FF").is_none(), "not UTF-8");
    }

    #[test]
    fn refuses_posts_from_another_origin() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("coop.example"));
        assert!(same_origin(&h), "no Origin: CSRF token and SameSite decide");
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://coop.example"),
        );
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(!same_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(!same_origin(&h));
        h.remove(header::ORIGIN);
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&h));
    }
}
