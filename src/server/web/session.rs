//! Sessions of a web page: login by the one-time code of a link, then an `HttpOnly;
//! SameSite=Strict` cookie. Logging in enrols a device for the account, whose store the server
//! keeps in the page's folder: the session is that device, syncing through the service like a
//! tablet. The backend keeps each session (under the hash of its cookie, never the cookie
//! itself: the account and the folder of its store), so a session survives a restart.
//!
//! Which accounts a page opens, and what it keeps of one, is the page's [`Account`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, StatusCode};

use super::forms::{cookie, csrf_of, form, same_origin, same_secret};
use super::respond::{Refused, failure, refusal, store_error};
use crate::log::Store;
use crate::server::service::{Service, new_token};
use crate::sync::{Role, SyncClient, SyncError, TransportError};

/// A page's cookie, where it is sent, how it is kept.
pub struct Kind {
    /// The cookie's name (`tournee_eleveur`).
    pub cookie: &'static str,
    /// The pages' path (`/eleveur`): the cookie goes nowhere else.
    pub path: &'static str,
    /// The prefix of the sessions' keys in the backend.
    pub key: &'static str,
    /// The name the page's device is enrolled under.
    pub device: &'static str,
    /// How long a session lasts without a new link.
    pub lifetime: Duration,
    /// The login page's title.
    pub title: &'static str,
    /// What a code of another kind of account is told.
    pub not_this_page: &'static str,
}

/// The accounts a page opens and what a session of it holds besides its store.
pub trait Account: Sized + Send + Sync + 'static {
    const KIND: Kind;
    /// The account a role opens on this page, as the backend keeps it; `None` if it is not
    /// this page's (a technician's code opens no farmer's page).
    fn of_role(role: &Role) -> Option<String>;
    /// The session's data from the account kept and the page's store; `None` if it no longer
    /// reads (the session is then unknown).
    fn restore(account: &str, store: &Store) -> Option<Self>;
}

/// One logged-in page: its store, its CSRF token, the account's data.
pub struct Session<A> {
    pub store: Store,
    pub csrf: String,
    pub account: A,
    expires: Instant,
    /// One sync at a time per store.
    syncing: Mutex<()>,
}

/// What the backend keeps of a session, under the hash of its cookie. The first field was
/// named `farm` when only farmers had a page: postcard does not keep names, the bytes are the
/// same.
#[derive(serde::Serialize, serde::Deserialize)]
struct SavedSession {
    account: String,
    /// The folder of the page's store, in the pages' folder.
    store: String,
    expires_ms: u64,
}

/// Why a login was refused.
pub enum LoginRefused {
    /// The form came from another site.
    Origin,
    /// Not 32 hexadecimal digits.
    Malformed,
    /// Another kind of account's code.
    NotThisPage,
    /// Spent, or never given.
    Used,
    /// The server's fault, already said as a page.
    Failure(Refused),
}

/// A page's sessions: the ones in use since start, and the way back for the others.
pub struct Sessions<A> {
    service: Arc<Service>,
    /// The folder of the pages' stores, one folder a session.
    dir: PathBuf,
    live: Mutex<HashMap<String, Arc<Session<A>>>>,
    /// One session brought back from the backend at a time: its store opens once.
    restoring: tokio::sync::Mutex<()>,
}

impl<A: Account> Sessions<A> {
    pub fn new(service: Arc<Service>, dir: PathBuf) -> Sessions<A> {
        Sessions {
            service,
            dir,
            live: Mutex::new(HashMap::new()),
            restoring: tokio::sync::Mutex::new(()),
        }
    }

    pub fn service(&self) -> &Arc<Service> {
        &self.service
    }

    /// A sync client over the service, for the pages' own devices.
    pub fn client(&self) -> SyncClient<crate::server::local::Local> {
        crate::server::local::client(&self.service)
    }

    /// The backend's key of a session: the hash of its cookie, so the backend holds no
    /// session a reader of the database could use.
    fn key(id: &str) -> Vec<u8> {
        let mut key = A::KIND.key.as_bytes().to_vec();
        key.extend_from_slice(&crate::server::service::token_hash(id));
        key
    }

    fn live_session(&self, id: &str) -> Option<Arc<Session<A>>> {
        let mut live = self
            .live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        live.retain(|_, s| s.expires > now);
        live.get(id).cloned()
    }

    /// The request's session, if it has one.
    pub async fn session(&self, headers: &HeaderMap) -> Result<Option<Arc<Session<A>>>, Refused> {
        let Some(id) = cookie(headers, A::KIND.cookie) else {
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
        let now = crate::server::service::now_ms();
        let saved = self
            .service
            .backend()
            .claimed(&Self::key(&id), now)
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
        let dir = self.dir.join(&saved.store);
        let store = tokio::task::spawn_blocking(move || Store::open(&dir))
            .await
            .map_err(failure)?
            .map_err(store_error)?;
        let Some(account) = A::restore(&saved.account, &store) else {
            return Ok(None);
        };
        let session = Arc::new(Session {
            store,
            csrf: csrf_of(&id),
            account,
            expires: Instant::now() + Duration::from_millis(saved.expires_ms.saturating_sub(now)),
            syncing: Mutex::new(()),
        });
        self.live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id, session.clone());
        Ok(Some(session))
    }

    /// The session of a page, or the page that says to log in again.
    pub async fn reader(&self, headers: &HeaderMap) -> Result<Arc<Session<A>>, Refused> {
        self.session(headers).await?.ok_or_else(|| {
            refusal(
                StatusCode::UNAUTHORIZED,
                "Session terminée",
                "Votre session a expiré ou n'existe pas. Ouvrez le lien que votre coopérative \
                 vous a envoyé, ou demandez-en un nouveau.",
            )
            .into()
        })
    }

    /// The session of a form, after the origin and CSRF checks, with the form's fields.
    pub async fn writer(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(Arc<Session<A>>, HashMap<String, String>), Refused> {
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

    /// Pulls what changed in the account's scope (and pushes what the page wrote).
    pub async fn sync(&self, session: &Arc<Session<A>>) -> Result<(), Refused> {
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

    /// Logs in with the code of a login form (`code` from its field): the new session's
    /// `Set-Cookie` value.
    pub async fn login(
        &self,
        headers: &HeaderMap,
        code: &str,
    ) -> Result<HeaderValue, LoginRefused> {
        if !same_origin(headers) {
            return Err(LoginRefused::Origin);
        }
        if code.len() != 32 || !code.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(LoginRefused::Malformed);
        }
        let fail = |e: &dyn std::fmt::Display| LoginRefused::Failure(failure(e).into());
        // Checked before enrolling: another kind of account's token stays unused.
        match self
            .service
            .backend()
            .token_role(crate::server::service::token_hash(code))
            .await
        {
            Ok(Some(role)) if A::of_role(&role).is_some() => {}
            Ok(Some(_)) => return Err(LoginRefused::NotThisPage),
            Ok(None) => return Err(LoginRefused::Used),
            Err(e) => return Err(fail(&e)),
        }
        let dir_name = new_token();
        let dir = self.dir.join(&dir_name);
        let client = self.client();
        let token = code.to_owned();
        let enrolled = tokio::task::spawn_blocking(move || {
            let store = Store::open(&dir)?;
            match client.enroll(&store, "local", &token, A::KIND.device) {
                Ok(role) => Ok((store, role)),
                Err(e) => {
                    drop(store);
                    let _ = std::fs::remove_dir_all(&dir);
                    Err(e)
                }
            }
        })
        .await
        .map_err(|e| fail(&e))?;
        let (store, role) = match enrolled {
            Ok(x) => x,
            Err(SyncError::Transport(TransportError::Refused { status: 403, .. })) => {
                return Err(LoginRefused::Used);
            }
            Err(e) => return Err(fail(&e)),
        };
        let Some(name) = A::of_role(&role) else {
            return Err(LoginRefused::NotThisPage);
        };
        let Some(account) = A::restore(&name, &store) else {
            return Err(LoginRefused::NotThisPage);
        };
        let id = new_token() + &new_token();
        let lifetime = A::KIND.lifetime;
        let now = crate::server::service::now_ms();
        let expires_ms = now + lifetime.as_millis() as u64;
        let saved = SavedSession {
            account: name,
            store: dir_name,
            expires_ms,
        };
        let saved = postcard::to_allocvec(&saved).map_err(|e| fail(&e))?;
        let key = Self::key(&id);
        let claim = crate::server::backend::Claim {
            key: &key,
            value: &saved,
            expires_ms,
        };
        let claimed = self
            .service
            .backend()
            .claim(claim, now)
            .await
            .map_err(|e| fail(&e))?;
        if !claimed {
            // Two random 128-bit tokens met: not worth more than a retry.
            return Err(fail(&"a session id already in use"));
        }
        let session = Arc::new(Session {
            store,
            csrf: csrf_of(&id),
            account,
            expires: Instant::now() + lifetime,
            syncing: Mutex::new(()),
        });
        self.live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id.clone(), session);
        let cookie = format!(
            "{}={id}; Path={}; HttpOnly; SameSite=Strict; Max-Age={}",
            A::KIND.cookie,
            A::KIND.path,
            lifetime.as_secs()
        );
        HeaderValue::from_str(&cookie).map_err(|e| fail(&e))
    }

    /// Ends the session of a logout form (checked as any form): the `Set-Cookie` value that
    /// clears it in the browser. The backend forgets it too, so it stays ended after a restart.
    pub async fn logout(&self, headers: &HeaderMap, body: &[u8]) -> Result<HeaderValue, Refused> {
        self.writer(headers, body).await?;
        if let Some(id) = cookie(headers, A::KIND.cookie) {
            self.live
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(&id);
            self.service
                .backend()
                .release(&Self::key(&id))
                .await
                .map_err(failure)?;
        }
        let cookie = format!(
            "{}=; Path={}; HttpOnly; SameSite=Strict; Max-Age=0",
            A::KIND.cookie,
            A::KIND.path
        );
        HeaderValue::from_str(&cookie).map_err(|e| failure(e).into())
    }
}
