//! The farmer's web pages, served by `tournee-server` under `/eleveur`: the farm's visits
//! (date, technician, acts, bulls, pregnancy results), a confirmation or a dispute with a
//! comment, and the visit's insemination certificate as PDF.
//!
//! A farmer logs in with the one-time code of a link (`tournee-server add-farmer --farm EDE
//! --link URL`). The page is a device of the farmer's account whose store and key the server
//! holds (`DATA/farmers/account-EDE/`), enrolled at the first login and kept for every later
//! one. It pulls the farm's events
//! through the sync service like a tablet would, and writes a confirmation or a dispute as an
//! event of its own chain, pushed through the same checks (`rights.rs`: a farmer writes only
//! confirmations and disputes of their own farm's visits). So a farm never reads another's
//! data, and the technician's tablet receives the farmer's answer by its ordinary sync.
//!
//! The session, CSRF token and origin checks are the web pages' (`web/`): an HttpOnly,
//! SameSite=Strict cookie kept in the backend, so a farmer stays logged in across a restart of
//! the server. Not for technicians (their tablets) or supervisors (`supervisor/`, `/bureau`).

mod html;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::{get, post};
use chrono::Datelike;

use super::backend::Scope;
use super::service::{ApiError, Service};
use super::web::forms::form;
use super::web::login;
use super::web::respond::{
    Answer, Refused, failure, flatten, harden, page, pdf_download, refusal, see_other, store_error,
};
use super::web::session::{self, Account, Kind, Sessions};
use crate::domain::{
    Company, Confirmation, Ede, Family, Payload, Technician, TechnicianId, VisitId,
};
use crate::log::{Event, EventId, Store};
use crate::sync::{Cursor, Role};

/// The longest comment accepted, far above what a farmer types on a phone.
const MAX_COMMENT: usize = 2_000;

/// What a farmer's session holds besides its store: the farm, and the staff it names.
pub struct Farmer {
    farm: Ede,
    /// Technicians' records and the company's, read from the server once per session.
    staff: tokio::sync::Mutex<HashMap<TechnicianId, Staff>>,
}

impl Account for Farmer {
    const KIND: Kind = Kind {
        cookie: "tournee_eleveur",
        path: "/eleveur",
        key: "farmer-session/",
        device: "page web de l'éleveur",
        lifetime: Duration::from_secs(12 * 3600),
        title: "Espace éleveur",
        not_this_page: "Ce code n'est pas celui d'un éleveur : il ne donne pas accès à cet espace.",
    };

    fn of_role(role: &Role) -> Option<String> {
        match role {
            Role::Farmer { farm } => Some(farm.as_str().to_owned()),
            _ => None,
        }
    }

    fn restore(account: &str, _store: &Store) -> Option<Farmer> {
        Some(Farmer {
            farm: Ede::parse("farm", account).ok()?,
            staff: tokio::sync::Mutex::new(HashMap::new()),
        })
    }
}

type Session = session::Session<Farmer>;

/// The farmer pages' state: the service and the farmers' sessions.
pub struct FarmerWeb {
    service: Arc<Service>,
    sessions: Sessions<Farmer>,
}

#[derive(Clone, Default)]
struct Staff {
    technician: Option<Technician>,
    company: Option<Company>,
}

impl FarmerWeb {
    /// The pages over `service`, keeping the farmers' stores in `dir`.
    pub fn new(service: Arc<Service>, dir: PathBuf) -> FarmerWeb {
        FarmerWeb {
            sessions: Sessions::new(service.clone(), dir),
            service,
        }
    }

    /// Moves the stores of the first layout (one per login) to one per account: at start.
    pub async fn tidy(&self) -> Vec<String> {
        self.sessions.tidy().await
    }

    async fn reader(&self, headers: &HeaderMap) -> Result<Arc<Session>, Refused> {
        self.sessions.reader(headers).await
    }

    async fn writer(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(Arc<Session>, HashMap<String, String>), Refused> {
        self.sessions.writer(headers, body).await
    }

    async fn sync(&self, session: &Arc<Session>) -> Result<(), Refused> {
        self.sessions.sync(session).await
    }

    /// The technician's record and the company's, as the server holds them: a farmer's
    /// device does not read them, but the certificate and the page name them.
    async fn staff(&self, session: &Session, t: &TechnicianId) -> Result<Staff, ApiError> {
        let mut cache = session.account.staff.lock().await;
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

async fn login(State(web): State<Arc<FarmerWeb>>, headers: HeaderMap, body: Bytes) -> Answer {
    login::login(&web.sessions, headers, body).await
}

async fn logout(State(web): State<Arc<FarmerWeb>>, headers: HeaderMap, body: Bytes) -> Answer {
    login::logout(&web.sessions, headers, body).await
}

async fn visits(State(web): State<Arc<FarmerWeb>>, headers: HeaderMap) -> Answer {
    let session = web.reader(&headers).await?;
    web.sync(&session).await?;
    let store = &session.store;
    let mut visits = store
        .visits_of_farm(&session.account.farm)
        .map_err(store_error)?;
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
    let farm = store.farm(&session.account.farm).map_err(store_error)?;
    let name = farm
        .as_ref()
        .map(|f| f.name.as_str())
        .unwrap_or(session.account.farm.as_str());
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
    let opt_in = super::notices::opt_in(web.service.backend().as_ref(), &session.account.farm)
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
    Ok(page(
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
                .farm(&session.account.farm)
                .map_err(store_error)?
                .map(|f| f.name)
                .unwrap_or_else(|| session.account.farm.as_str().to_owned());
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
    super::notices::set_opt_in(backend, &session.account.farm, choice)
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
        Some(v) if v.farm == session.account.farm => Ok(v),
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
    let shown_page = html::VisitPage {
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
    Ok(page(status, html::visit(&shown_page)))
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
        .farm(&session.account.farm)
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

/// The farmer's routes, under `/eleveur`.
pub fn router(web: Arc<FarmerWeb>) -> Router {
    Router::new()
        .route(
            "/eleveur/connexion",
            get(login::form_page::<Farmer>)
                .post(|s, h, b| async move { flatten(login(s, h, b).await) }),
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
