//! Sessions of a web page: login by the one-time code of a link, then an `HttpOnly;
//! SameSite=Strict` cookie. Each account has one device of its own whose key and store the
//! server keeps in the page's folder (`account-ID/`): enrolled with the code of its first login,
//! it serves every later session of the account (a later code is spent, not enrolled), so a
//! login pulls only what changed since the last one. The store is opened once per server
//! process and shared by the account's sessions (two tabs, two PCs), one sync at a time. The
//! backend keeps each session (under the hash of its cookie, never the cookie itself: the
//! account), so a session survives a restart.
//!
//! Which accounts a page opens, and what it keeps of one, is the page's [`Account`]. Not for
//! the declarations office's device (`office.rs`, `DATA/office/`): admin commands open that
//! one, from another process on PostgreSQL, and sled lets one process open a store.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, StatusCode};

use super::forms::{cookie, csrf_of, form, same_origin, same_secret};
use super::respond::{Refused, failure, refusal, store_error};
use crate::log::Store;
use crate::server::service::{Service, new_token, token_hash};
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

/// An account's page device: its store, opened once, and the lock that makes its syncs one
/// at a time whichever session asks.
pub struct Device {
    store: Store,
    syncing: Mutex<()>,
}

/// One logged-in page: its account's store, its CSRF token, the account's data.
pub struct Session<A> {
    pub store: Store,
    pub csrf: String,
    pub account: A,
    expires: Instant,
    device: Arc<Device>,
}

/// What the backend keeps of a session, under the hash of its cookie. The first field was
/// named `farm` when only farmers had a page, `store` named each login's own store when every
/// login enrolled a device: postcard keeps no names, so sessions saved then still read; the
/// store is now the account's, whatever `store` says.
#[derive(serde::Serialize, serde::Deserialize)]
struct SavedSession {
    account: String,
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

/// A failure while opening or enrolling an account's device, already said as a page.
struct DeviceRefused(Refused);

impl DeviceRefused {
    fn failure(e: impl std::fmt::Display) -> DeviceRefused {
        DeviceRefused(failure(e).into())
    }
}

async fn open_store(dir: PathBuf) -> Result<Store, DeviceRefused> {
    tokio::task::spawn_blocking(move || Store::open(&dir))
        .await
        .map_err(DeviceRefused::failure)?
        .map_err(|e| DeviceRefused(store_error(e).into()))
}

/// The folder of an account's store in the pages' folder. The prefix keeps any identifier
/// (`.`, `..`, 32 hexadecimal digits like a store of the first layout) a plain name.
pub fn account_folder(account: &str) -> String {
    format!("account-{account}")
}

/// A folder of the first layout: one store per login, named by a random token.
fn per_login_folder(name: &str) -> bool {
    name.len() == 32
        && name
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A page's sessions: the ones in use since start, the way back for the others, and the
/// accounts' devices.
pub struct Sessions<A> {
    service: Arc<Service>,
    /// The folder of the accounts' stores, one folder an account.
    dir: PathBuf,
    live: Mutex<HashMap<String, Arc<Session<A>>>>,
    /// The accounts' devices open, by account: held while one opens or enrols, so each opens
    /// once and enrols once.
    devices: tokio::sync::Mutex<HashMap<String, Arc<Device>>>,
}

impl<A: Account> Sessions<A> {
    pub fn new(service: Arc<Service>, dir: PathBuf) -> Sessions<A> {
        Sessions {
            service,
            dir,
            live: Mutex::new(HashMap::new()),
            devices: tokio::sync::Mutex::new(HashMap::new()),
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
        key.extend_from_slice(&token_hash(id));
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

    /// The account's device, opened if it is not; enrolled with `code` if it never was (a
    /// first login). `Ok(None)`: not enrolled and no code to do it (a session from before a
    /// restart whose store is gone), or the code refused. The flag says the code was used.
    async fn device(
        &self,
        account: &str,
        code: Option<&str>,
    ) -> Result<Option<(Arc<Device>, bool)>, DeviceRefused> {
        let mut devices = self.devices.lock().await;
        // A device no session holds any more is closed: a page seen once a year keeps no
        // store open, and no flusher thread.
        devices.retain(|_, d| Arc::strong_count(d) > 1);
        if let Some(d) = devices.get(account) {
            return Ok(Some((d.clone(), false)));
        }
        let dir = self.dir.join(account_folder(account));
        let store = open_store(dir.clone()).await?;
        let enrolled_as = crate::sync::credentials(&store)
            .map_err(DeviceRefused::failure)?
            .map(|c| c.role);
        let store = match enrolled_as {
            None => store,
            Some(role) => {
                if A::of_role(&role).as_deref() != Some(account) {
                    return Err(DeviceRefused::failure(format!(
                        "{}: the store of another account ({})",
                        dir.display(),
                        role.account_id()
                    )));
                }
                let id = store.device();
                let known = self
                    .service
                    .backend()
                    .device(id)
                    .await
                    .map_err(DeviceRefused::failure)?;
                if known.is_some() || code.is_none() {
                    let d = Arc::new(Device {
                        store,
                        syncing: Mutex::new(()),
                    });
                    devices.insert(account.to_owned(), d.clone());
                    return Ok(Some((d, false)));
                }
                // The server forgot the device (its database replaced): no sync reaches that
                // store any more; the code enrols a new one.
                eprintln!(
                    "tournee-server: {}: device {id} unknown to the server, enrolled anew",
                    dir.display()
                );
                drop(store);
                let gone = dir.clone();
                tokio::task::spawn_blocking(move || std::fs::remove_dir_all(gone))
                    .await
                    .map_err(DeviceRefused::failure)?
                    .map_err(DeviceRefused::failure)?;
                open_store(dir).await?
            }
        };
        let Some(code) = code else {
            return Ok(None);
        };
        let client = self.client();
        let token = code.to_owned();
        let enrolled = tokio::task::spawn_blocking(move || {
            client
                .enroll(&store, "local", &token, A::KIND.device)
                .map(|_| store)
        })
        .await
        .map_err(DeviceRefused::failure)?;
        match enrolled {
            Ok(store) => {
                let d = Arc::new(Device {
                    store,
                    syncing: Mutex::new(()),
                });
                devices.insert(account.to_owned(), d.clone());
                Ok(Some((d, true)))
            }
            Err(SyncError::Transport(TransportError::Refused { status: 403, .. })) => Ok(None),
            Err(e) => Err(DeviceRefused::failure(e)),
        }
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
        let Some((device, _)) = self.device(&saved.account, None).await.map_err(|e| e.0)? else {
            return Ok(None);
        };
        let Some(account) = A::restore(&saved.account, &device.store) else {
            return Ok(None);
        };
        let session = Arc::new(Session {
            store: device.store.clone(),
            csrf: csrf_of(&id),
            account,
            expires: Instant::now() + Duration::from_millis(saved.expires_ms.saturating_sub(now)),
            device,
        });
        // Two requests of one session restored at once: the first one kept, the same store.
        Ok(Some(
            self.live
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .entry(id)
                .or_insert(session)
                .clone(),
        ))
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
                .device
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
        let hash = token_hash(code);
        // Checked before spending: another kind of account's token stays unused.
        let name = match self.service.backend().token_role(hash).await {
            Ok(Some(role)) => A::of_role(&role).ok_or(LoginRefused::NotThisPage)?,
            Ok(None) => return Err(LoginRefused::Used),
            Err(e) => return Err(fail(&e)),
        };
        let (device, enrolled) = match self.device(&name, Some(code)).await {
            Ok(Some(d)) => d,
            Ok(None) => return Err(LoginRefused::Used),
            Err(DeviceRefused(r)) => return Err(LoginRefused::Failure(r)),
        };
        if !enrolled {
            // The account's device exists: the code is spent, once, by one login only.
            match self.service.backend().spend(hash).await {
                Ok(Some(role)) if A::of_role(&role).as_deref() == Some(name.as_str()) => {}
                Ok(Some(_)) => return Err(LoginRefused::NotThisPage),
                Ok(None) => return Err(LoginRefused::Used),
                Err(e) => return Err(fail(&e)),
            }
        }
        let Some(account) = A::restore(&name, &device.store) else {
            return Err(LoginRefused::NotThisPage);
        };
        let id = new_token() + &new_token();
        let lifetime = A::KIND.lifetime;
        let now = crate::server::service::now_ms();
        let expires_ms = now + lifetime.as_millis() as u64;
        let saved = SavedSession {
            store: account_folder(&name),
            account: name,
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
            store: device.store.clone(),
            csrf: csrf_of(&id),
            account,
            expires: Instant::now() + lifetime,
            device,
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

    /// Brings the stores of the first layout into this one, at start (before serving): the
    /// first store of an account becomes the account's (its key, chain and pulled history
    /// kept, so its sessions and its next login pull only what is new), the others are
    /// removed once what they wrote is on the server. Returns what it did, a line each.
    pub async fn tidy(&self) -> Vec<String> {
        let dir = self.dir.clone();
        let shown = self.dir.display().to_string();
        let client = self.client();
        tokio::task::spawn_blocking(move || tidy::<A>(&dir, &client))
            .await
            .unwrap_or_else(|e| vec![format!("{shown}: not tidied: {e}")])
    }
}

/// The work of [`Sessions::tidy`], blocking. A store that does not open, or whose events
/// cannot reach the server now, is kept and said: never a record lost to tidy a folder.
fn tidy<A: Account>(dir: &Path, client: &SyncClient<crate::server::local::Local>) -> Vec<String> {
    let mut said = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return said;
    };
    let mut old: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| per_login_folder(n))
        .collect();
    old.sort();
    for name in old {
        let path = dir.join(&name);
        let store = match Store::open(&path) {
            Ok(s) => s,
            Err(e) => {
                said.push(format!("{}: kept, it does not open: {e}", path.display()));
                continue;
            }
        };
        let role = match crate::sync::credentials(&store) {
            Ok(c) => c.map(|c| c.role),
            Err(e) => {
                said.push(format!("{}: kept, unreadable: {e}", path.display()));
                continue;
            }
        };
        let Some(role) = role else {
            // A login whose enrolment failed: it holds nothing.
            drop(store);
            said.push(removed(&path, "never enrolled"));
            continue;
        };
        let Some(account) = A::of_role(&role) else {
            said.push(format!(
                "{}: kept, a device of {}, not of this page",
                path.display(),
                role.account_id()
            ));
            continue;
        };
        let waiting = crate::sync::status(&store).map_or(1, |s| s.waiting_events);
        if waiting > 0
            && let Err(e) = client.sync_once(&store)
        {
            said.push(format!(
                "{}: kept, {waiting} events of it not yet on the server: {e}",
                path.display()
            ));
            continue;
        }
        drop(store);
        let target = dir.join(account_folder(&account));
        if target.exists() {
            said.push(removed(
                &path,
                &format!("{} has its store", role.account_id()),
            ));
        } else {
            said.push(match std::fs::rename(&path, &target) {
                Ok(()) => format!(
                    "{}: now the store of {} ({})",
                    path.display(),
                    role.account_id(),
                    target.display()
                ),
                Err(e) => format!("{}: kept, not moved: {e}", path.display()),
            });
        }
    }
    said
}

fn removed(path: &Path, why: &str) -> String {
    match std::fs::remove_dir_all(path) {
        Ok(()) => format!("{}: removed ({why})", path.display()),
        Err(e) => format!("{}: not removed ({why}): {e}", path.display()),
    }
}
