//! The supervisor's office on the web, served by `tournee-server` under `/bureau`: the team's
//! weeks with their totals, 12-week averages, flags and reviews; a week opened to its days,
//! visits, acts and where each figure comes from; approve a week or send it back with a
//! comment; the month's statements (PDF) and the team's payroll file (CSV); the year's
//! counters; the team's declaration queue and the export of what is ready; visits or days
//! given to another technician of the team.
//!
//! A supervisor logs in with the one-time link of `tournee-server add-supervisor S01 --team
//! T01,T02 --link URL`. As for the farmer's page (`web/`: sessions kept in the backend, CSRF,
//! origin checks), the page is a device of the supervisor's account whose store the server
//! holds (`DATA/bureau/account-S01/`), enrolled at the first login and kept for every later
//! one: the page pulls the team's events through the sync service (at a login, only what
//! changed since the last) and writes reviews and reassignments as events of its own chain
//! through `record` (the same calls, so the same rules, as the supervisor's tablet), then
//! checked again by the server's rights on push. So a week approved here is the same `WeekReviewed` the technician's tablet receives,
//! and the figures are `worktime`'s, as `tournee worktime` prints them.

mod html;
pub mod team;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};

use super::service::Service;
use super::web::forms::form;
use super::web::login;
use super::web::respond::{
    Answer, Refused, download, failure, flatten, harden, not_found, page, pdf_download, refusal,
    see_other, store_error,
};
use super::web::session::{self, Account, Kind, Sessions};
use crate::domain::{
    DomainError, ReviewDecision, SupervisorId, TechnicianId, VisitId, Week, supervision,
};
use crate::log::Store;
use crate::record::RecordError;
use crate::sync::Role;

/// What a supervisor's session holds besides its store: who, and the team.
pub struct Supervisor {
    id: SupervisorId,
    team: Vec<TechnicianId>,
}

impl Account for Supervisor {
    const KIND: Kind = Kind {
        cookie: "tournee_bureau",
        path: "/bureau",
        key: "office-session/",
        device: "bureau du superviseur (page web)",
        lifetime: Duration::from_secs(10 * 3600),
        title: "Bureau du superviseur",
        not_this_page: "Ce code n'est pas celui d'un superviseur : il ne donne pas accès au bureau.",
    };

    fn of_role(role: &Role) -> Option<String> {
        match role {
            Role::Supervisor { id, .. } => Some(id.as_str().to_owned()),
            _ => None,
        }
    }

    /// The team is the one the page's device was enrolled with.
    fn restore(account: &str, store: &Store) -> Option<Supervisor> {
        match crate::sync::credentials(store).ok()??.role {
            Role::Supervisor { id, team } if id.as_str() == account => {
                Some(Supervisor { id, team })
            }
            _ => None,
        }
    }
}

type Session = session::Session<Supervisor>;

/// The office's state: the supervisors' sessions over the service.
pub struct OfficeWeb {
    sessions: Sessions<Supervisor>,
}

impl OfficeWeb {
    /// The office over `service`, keeping the pages' stores in `dir`.
    pub fn new(service: Arc<Service>, dir: PathBuf) -> OfficeWeb {
        OfficeWeb {
            sessions: Sessions::new(service, dir),
        }
    }

    /// Moves the stores of the first layout (one per login) to one per account: at start.
    pub async fn tidy(&self) -> Vec<String> {
        self.sessions.tidy().await
    }

    /// The session of a page, synced: what the team pushed is in.
    async fn reader(&self, headers: &HeaderMap) -> Result<Arc<Session>, Refused> {
        let session = self.sessions.reader(headers).await?;
        self.sessions.sync(&session).await?;
        Ok(session)
    }
}

fn today() -> NaiveDate {
    crate::domain::paris_day(&crate::domain::time::now())
}

/// A value refused, said in French with the field, the value and what was expected;
/// nothing written. The fields are those of the page's forms and of `domain::supervision`.
fn invalid(e: &DomainError) -> Refused {
    let v = &e.value;
    let text = match e.field.as_str() {
        "technician" | "technicien" | "vers" => {
            format!("Technicien : « {v} » n'est pas un technicien de votre équipe.")
        }
        "to" => format!("Technicien : la visite est déjà à « {v} » ; choisissez-en un autre."),
        "visit" | "visite" => format!("Visite : « {v} » n'est pas une visite de votre équipe."),
        "week" | "semaine" => format!(
            "Semaine : « {v} » n'est pas une semaine ; attendu AAAA-Wss, par exemple 2026-W48."
        ),
        "mois" => {
            format!("Mois : « {v} » n'est pas un mois ; attendu AAAA-MM, par exemple 2026-11.")
        }
        "jour" => format!(
            "Jour : « {v} » n'est pas un jour des 7 prochains avec des visites à faire \
             (attendu AAAA-MM-JJ)."
        ),
        "comment" => "Commentaire : pour renvoyer la semaine, écrivez ce qui ne va pas.".into(),
        field => format!(
            "{field} : « {v} » ne convient pas (attendu : {}).",
            e.expected
        ),
    };
    refusal(
        StatusCode::UNPROCESSABLE_ENTITY,
        "Valeur refusée",
        &format!("{text} Rien n'a été enregistré."),
    )
    .into()
}

/// A refusal of `record`: a value said as [`invalid`] does; the store's failure as the
/// server's own.
fn record_error(e: RecordError) -> Refused {
    match e {
        RecordError::Invalid(d) => invalid(&d),
        RecordError::Store(e) => store_error(e).into(),
        // Not a rule of the office's records (weeks and visits moved), but said if it were.
        e @ RecordError::RecentlyInseminated { .. } => failure(e).into(),
    }
}

/// A technician of the session's team named in the URL; any other is "not found", so the
/// office reads nothing of another team.
fn own_technician(session: &Session, id: &str) -> Result<TechnicianId, Refused> {
    match TechnicianId::parse("technician", id) {
        Ok(t) if session.account.team.contains(&t) => Ok(t),
        _ => Err(not_found(
            "Technicien introuvable",
            "Ce technicien n'est pas de votre équipe.",
        )),
    }
}

fn farm_names(store: &Store) -> Result<HashMap<crate::domain::Ede, String>, Refused> {
    Ok(store
        .farms()
        .map_err(store_error)?
        .into_iter()
        .map(|f| (f.ede, f.name))
        .collect())
}

async fn login(State(web): State<Arc<OfficeWeb>>, headers: HeaderMap, body: Bytes) -> Answer {
    login::login(&web.sessions, headers, body).await
}

async fn logout(State(web): State<Arc<OfficeWeb>>, headers: HeaderMap, body: Bytes) -> Answer {
    login::logout(&web.sessions, headers, body).await
}

/// What a redirect after a form says on the next page.
fn flash(uri: &Uri) -> Option<&'static str> {
    match uri
        .query()
        .and_then(form)
        .and_then(|mut f| f.remove("fait"))
    {
        Some(f) if f == "validee" => {
            Some("La semaine est validée : le technicien la verra validée.")
        }
        Some(f) if f == "renvoyee" => {
            Some("La semaine est renvoyée au technicien avec votre commentaire.")
        }
        Some(f) if f == "reaffecte" => {
            Some("C'est fait : la tournée du technicien la recevra à sa prochaine synchronisation.")
        }
        _ => None,
    }
}

/// `GET /bureau[?semaine=YYYY-Www][&mois=YYYY-MM]`.
async fn overview(State(web): State<Arc<OfficeWeb>>, uri: Uri, headers: HeaderMap) -> Answer {
    let session = web.reader(&headers).await?;
    let query = uri.query().and_then(form).unwrap_or_default();
    let today = today();
    let chosen = match query.get("semaine").filter(|s| !s.is_empty()) {
        Some(w) => Some(team::parse_week("semaine", w).map_err(|e| invalid(&e))?),
        None => None,
    };
    let (this_month, _) = crate::worktime::statement::month_of(today);
    let month = match query.get("mois").filter(|s| !s.is_empty()) {
        Some(m) => team::parse_month("mois", m).map_err(|e| invalid(&e))?,
        None => this_month,
    };
    let weeks = match chosen {
        Some(w) => vec![w],
        None => vec![
            Week::of(today),
            Week::of(today - chrono::Duration::weeks(1)),
        ],
    };
    let store = &session.store;
    let members =
        team::members(store, &session.account.team, &weeks, today).map_err(store_error)?;
    let offered: Vec<(Week, NaiveDate)> = team::weeks_of_year(today)
        .into_iter()
        .filter_map(|w| Some((w, w.monday("week").ok()?)))
        .collect();
    let months: Vec<NaiveDate> = (1..=this_month.month())
        .rev()
        .filter_map(|m| NaiveDate::from_ymd_opt(this_month.year(), m, 1))
        .collect();
    let o = html::Overview {
        supervisor: session.account.id.as_str(),
        members: &members,
        offered: &offered,
        chosen,
        months: &months,
        month,
        flash: flash(&uri),
        csrf: &session.csrf,
    };
    Ok(page(StatusCode::OK, html::overview(&o)))
}

struct Shown<'a> {
    flash: Option<&'a str>,
    error: Option<&'a str>,
    comment: &'a str,
}

fn render_week(
    session: &Session,
    technician: &TechnicianId,
    week: Week,
    status: StatusCode,
    shown: Shown<'_>,
) -> Answer {
    let store = &session.store;
    let report = team::report(store, technician, &[week], today()).map_err(|e| {
        refusal(
            StatusCode::CONFLICT,
            "Temps non calculé",
            &format!("Le temps de cette semaine ne peut pas être calculé : {e}."),
        )
    })?;
    let rows = team::rows(store, &report, &[week]).map_err(store_error)?;
    let row = rows
        .first()
        .ok_or_else(|| not_found("Semaine introuvable", "Cette semaine n'existe pas."))?;
    let names = farm_names(store)?;
    let farm_name = |e: &crate::domain::Ede| names.get(e).cloned().unwrap_or_else(|| e.to_string());
    let name = team::name_of(store, technician).map_err(store_error)?;
    let p = html::WeekPage {
        technician,
        name: &name,
        row,
        days: team::days_of(&report, week).collect(),
        farm_name: &farm_name,
        flash: shown.flash,
        error: shown.error,
        comment: shown.comment,
        csrf: &session.csrf,
    };
    Ok(page(status, html::week(&p)))
}

/// The technician and week of a URL, both the session's to see.
fn week_of_path(
    session: &Session,
    technician: &str,
    week: &str,
) -> Result<(TechnicianId, Week), Refused> {
    let technician = own_technician(session, technician)?;
    let week = team::parse_week("week", week)
        .map_err(|_| not_found("Semaine introuvable", "Cette semaine n'existe pas."))?;
    Ok((technician, week))
}

/// `GET /bureau/semaines/{technician}/{week}`.
async fn week(
    State(web): State<Arc<OfficeWeb>>,
    Path((technician, week)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Answer {
    let session = web.reader(&headers).await?;
    let (technician, week) = week_of_path(&session, &technician, &week)?;
    let shown = Shown {
        flash: flash(&uri),
        error: None,
        comment: "",
    };
    render_week(&session, &technician, week, StatusCode::OK, shown)
}

/// `POST /bureau/semaines/{technician}/{week}/valider` or `.../renvoyer` (`commentaire`).
async fn review(
    State(web): State<Arc<OfficeWeb>>,
    Path((technician, week, action)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let (session, fields) = web.sessions.writer(&headers, &body).await?;
    let (technician, week) = week_of_path(&session, &technician, &week)?;
    let comment = fields.get("commentaire").cloned().unwrap_or_default();
    let (decision, done) = match action.as_str() {
        "valider" => (ReviewDecision::Approved, "validee"),
        "renvoyer" => (
            ReviewDecision::SentBack {
                comment: comment.clone(),
            },
            "renvoyee",
        ),
        _ => return Err(not_found("Page introuvable", "Cette adresse n'existe pas.")),
    };
    let recorded = crate::record::review_week(
        &session.store,
        &session.account.id,
        &session.account.team,
        &technician,
        week,
        decision,
    );
    match recorded {
        Ok(_) => {}
        Err(RecordError::Invalid(e)) => {
            web.sessions.sync(&session).await?;
            if e.field != "comment" {
                return Err(invalid(&e));
            }
            let error = "Pour renvoyer la semaine, écrivez ce qui ne va pas dans le commentaire. \
                         Rien n'a été enregistré.";
            let shown = Shown {
                flash: None,
                error: Some(error),
                comment: &comment,
            };
            return render_week(
                &session,
                &technician,
                week,
                StatusCode::UNPROCESSABLE_ENTITY,
                shown,
            );
        }
        Err(e) => return Err(record_error(e)),
    }
    web.sessions.sync(&session).await?;
    Ok(see_other(&format!(
        "{}?fait={done}",
        html::week_path(&technician, week)
    )))
}

/// `GET /bureau/techniciens/{technician}`: the visits still to do, to give to another.
async fn coming(
    State(web): State<Arc<OfficeWeb>>,
    Path(technician): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Answer {
    let session = web.reader(&headers).await?;
    let technician = own_technician(&session, &technician)?;
    let store = &session.store;
    let days = team::coming_visits(store, &technician, today()).map_err(store_error)?;
    let mut others = Vec::new();
    for t in session.account.team.iter().filter(|t| **t != technician) {
        others.push((t.clone(), team::name_of(store, t).map_err(store_error)?));
    }
    let names = farm_names(store)?;
    let farm_name = |e: &crate::domain::Ede| names.get(e).cloned().unwrap_or_else(|| e.to_string());
    let name = team::name_of(store, &technician).map_err(store_error)?;
    Ok(page(
        StatusCode::OK,
        html::coming(
            &name,
            &technician,
            &days,
            &others,
            &farm_name,
            flash(&uri),
            &session.csrf,
        ),
    ))
}

/// `POST /bureau/reaffecter`: `visite` (one visit) or `technicien` and `jour` (the day's visits
/// still to do), given to `vers`.
async fn reassign(State(web): State<Arc<OfficeWeb>>, headers: HeaderMap, body: Bytes) -> Answer {
    let (session, fields) = web.sessions.writer(&headers, &body).await?;
    let store = &session.store;
    let team = &session.account.team;
    let field = |name: &str| fields.get(name).map(|s| s.trim()).unwrap_or_default();
    let to = TechnicianId::parse("vers", field("vers")).map_err(|e| invalid(&e))?;
    supervision::of_team(team, &to, "vers").map_err(|e| invalid(&e))?;
    let (visits, back) = if fields.contains_key("visite") {
        let id = VisitId::parse("visite", field("visite")).map_err(|e| invalid(&e))?;
        let visit = store.visit(&id).map_err(store_error)?.ok_or_else(|| {
            invalid(&DomainError::invalid(
                "visite",
                id.as_str(),
                "a visit of your team",
            ))
        })?;
        let back = visit.technician.clone();
        (vec![visit], back)
    } else {
        let from =
            TechnicianId::parse("technicien", field("technicien")).map_err(|e| invalid(&e))?;
        supervision::of_team(team, &from, "technicien").map_err(|e| invalid(&e))?;
        let day = NaiveDate::parse_from_str(field("jour"), "%Y-%m-%d").map_err(|_| {
            invalid(&DomainError::invalid(
                "jour",
                field("jour"),
                "a day written YYYY-MM-DD",
            ))
        })?;
        let coming = team::coming_visits(store, &from, today()).map_err(store_error)?;
        let visits = coming
            .into_iter()
            .find(|(d, _)| *d == day)
            .map(|(_, v)| v)
            .ok_or_else(|| {
                invalid(&DomainError::invalid(
                    "jour",
                    &day.to_string(),
                    "a day of the coming week with visits still to do",
                ))
            })?;
        (visits, from)
    };
    let ids: Vec<VisitId> = visits.iter().map(|v| v.id.clone()).collect();
    crate::record::reassign(store, &session.account.id, team, &ids, &to).map_err(record_error)?;
    web.sessions.sync(&session).await?;
    Ok(see_other(&format!(
        "/bureau/techniciens/{}?fait=reaffecte",
        back.as_str()
    )))
}

/// `GET /bureau/releve/{technician}/{month}`: the month's statement, as `tournee worktime
/// --format pdf` writes it.
async fn statement(
    State(web): State<Arc<OfficeWeb>>,
    Path((technician, month)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer {
    let session = web.reader(&headers).await?;
    let technician = own_technician(&session, &technician)?;
    let first = team::parse_month("mois", &month).map_err(|e| invalid(&e))?;
    let (from, to) = crate::worktime::statement::month_of(first);
    let store = &session.store;
    let report = month_report(store, &technician, from, to)?;
    let record = store
        .technician(&technician)
        .map_err(store_error)?
        .ok_or_else(|| {
            not_found(
                "Technicien introuvable",
                "Sa fiche n'est pas encore arrivée.",
            )
        })?;
    let company = store
        .company()
        .map_err(store_error)?
        .map(|c| c.name)
        .unwrap_or_default();
    let review = |w: &crate::worktime::WeekSheet| store.review(&technician, w.week).ok().flatten();
    let pdf = crate::worktime::statement::statement(&record, &company, &report, &review);
    Ok(pdf_download(
        &format!("releve-{}-{month}.pdf", file_part(technician.as_str())),
        pdf.to_bytes(),
    ))
}

fn file_part(s: &str) -> String {
    s.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_")
}

fn month_report(
    store: &Store,
    technician: &TechnicianId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<crate::worktime::Report, Refused> {
    team::period_report(store, technician, from, to).map_err(|e| {
        refusal(
            StatusCode::CONFLICT,
            "Temps non calculé",
            &format!("Le temps de ce mois ne peut pas être calculé : {e}."),
        )
        .into()
    })
}

/// `GET /bureau/paie/{month}`: the team's payroll rows of the month (one a day), as `tournee
/// worktime --format csv` writes each technician's, under one header.
async fn payroll(
    State(web): State<Arc<OfficeWeb>>,
    Path(month): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let session = web.reader(&headers).await?;
    let first = team::parse_month("mois", &month).map_err(|e| invalid(&e))?;
    let (from, to) = crate::worktime::statement::month_of(first);
    let store = &session.store;
    let mut csv = String::new();
    for technician in &session.account.team {
        if store.technician(technician).map_err(store_error)?.is_none() {
            continue;
        }
        let text = crate::worktime::to_csv(&month_report(store, technician, from, to)?)
            .map_err(failure)?;
        match csv.is_empty() {
            true => csv.push_str(&text),
            false => csv.push_str(text.split_once("\r\n").map_or("", |(_, rows)| rows)),
        }
    }
    Ok(download(
        "text/csv; charset=utf-8",
        &format!("paie-{month}.csv"),
        csv.into_bytes(),
    ))
}

/// `GET /bureau/declarations`: the team's queue.
async fn declarations(State(web): State<Arc<OfficeWeb>>, headers: HeaderMap) -> Answer {
    let session = web.reader(&headers).await?;
    let store = &session.store;
    let today = today();
    let mut rows = Vec::new();
    let mut queue = store.open_declarations(None).map_err(store_error)?;
    queue.retain(|d| {
        d.technician
            .as_ref()
            .is_none_or(|t| session.account.team.contains(t))
    });
    // Late first, then due soon, refused among them by their deadline.
    queue.sort_by_key(|d| std::cmp::Reverse(d.due_state(today)));
    for d in queue {
        let name = match &d.technician {
            Some(t) => team::name_of(store, t).map_err(store_error)?,
            None => String::new(),
        };
        let incomplete = match store.act(&d.act).map_err(store_error)? {
            Some(view) => crate::record::record_of(store, &view.act)
                .map_err(store_error)?
                .err()
                .map(|e| e.field),
            None => None,
        };
        rows.push((d, name, incomplete));
    }
    Ok(page(
        StatusCode::OK,
        html::declarations(&rows, today, &session.csrf),
    ))
}

/// `GET /bureau/declarations/export`: the declarations ready to send, as `tournee-server
/// export-declarations` prints them.
async fn export(State(web): State<Arc<OfficeWeb>>, headers: HeaderMap) -> Answer {
    let session = web.reader(&headers).await?;
    let store = session.store.clone();
    let output = tokio::task::spawn_blocking(move || {
        super::office::export(&store, None, super::office::ExportFormat::Csv)
    })
    .await
    .map_err(failure)?
    .map_err(|e| failure(e.reason))?;
    Ok(download(
        "text/csv; charset=utf-8",
        &format!("declarations-{}.csv", today()),
        output.stdout.into_bytes(),
    ))
}

/// The office's routes, under `/bureau`.
pub fn router(web: Arc<OfficeWeb>) -> Router {
    Router::new()
        .route(
            "/bureau/connexion",
            get(login::form_page::<Supervisor>)
                .post(|s, h, b| async move { flatten(login(s, h, b).await) }),
        )
        .route(
            "/bureau/deconnexion",
            post(|s, h, b| async move { flatten(logout(s, h, b).await) }),
        )
        .route(
            "/bureau",
            get(|s, u, h| async move { flatten(overview(s, u, h).await) }),
        )
        .route(
            "/bureau/semaines/{technician}/{week}",
            get(|s, p, u, h| async move { flatten(week(s, p, u, h).await) }),
        )
        .route(
            "/bureau/semaines/{technician}/{week}/{action}",
            post(|s, p, h, b| async move { flatten(review(s, p, h, b).await) }),
        )
        .route(
            "/bureau/techniciens/{technician}",
            get(|s, p, u, h| async move { flatten(coming(s, p, u, h).await) }),
        )
        .route(
            "/bureau/reaffecter",
            post(|s, h, b| async move { flatten(reassign(s, h, b).await) }),
        )
        .route(
            "/bureau/releve/{technician}/{month}",
            get(|s, p, h| async move { flatten(statement(s, p, h).await) }),
        )
        .route(
            "/bureau/paie/{month}",
            get(|s, p, h| async move { flatten(payroll(s, p, h).await) }),
        )
        .route(
            "/bureau/declarations",
            get(|s, h| async move { flatten(declarations(s, h).await) }),
        )
        .route(
            "/bureau/declarations/export",
            get(|s, h| async move { flatten(export(s, h).await) }),
        )
        .with_state(web)
        .layer(axum::middleware::from_fn(harden))
}
