//! The way out for a copied tablet, in the app: what `tournee adopt` does, in place. A store
//! copied to a second tablet carries the first one's identity, so the server refuses the
//! copy's events as a forked chain. Confirmed by the technician with a new one-time token, the
//! worker builds a new store beside the folder (a new identity), enrols it, pulls what the
//! server holds, adopts the copy's events the server lacks (`Store::adopt`), pushes them, then
//! moves the copy's folder aside unchanged (readable and exportable there) and puts the new
//! store in its place, so the app goes on in the same folder with nothing lost.
//!
//! Not for a 403 (events the account may not write: a new identity would be refused the same),
//! nor a merge of chains: the server keeps the first tablet's chain as it is.

use std::path::{Path, PathBuf};

use super::sync::{LABEL, Syncer, problem, save_last_success, token_text};
use super::{Worker, copy_app_files};
use crate::app::model::{Adoption, Outcome, Refusal};
use crate::log::Store;
use crate::sync::{HttpTransport, SyncClient};

/// Where the adoption's summary is kept in the new store (shown on Settings).
const ADOPTED: &str = "app/adopted";

/// What an adoption did, as kept in the store.
pub fn adoption(store: &Store) -> Option<Adoption> {
    let bytes = store.setting(ADOPTED).ok()??;
    serde_json::from_slice(&bytes).ok()
}

/// The folders of an adoption: the new store while it is built, and where the copy goes.
struct Folders {
    fresh: PathBuf,
    aside: PathBuf,
}

impl Folders {
    fn beside(dir: &Path) -> Folders {
        let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "tournee".into());
        Folders {
            fresh: dir.with_file_name(format!("{name}.adopting-{stamp}")),
            aside: dir.with_file_name(format!("{name}.copy-{stamp}")),
        }
    }
}

/// Carries out [`crate::app::model::Command::Adopt`]. Takes the worker whole, because its
/// store is closed and another opened in its folder; `restart` starts the sync thread again on
/// the store the worker ends with. On a refusal the worker goes on as it was, the copy in its
/// place. `Err`: neither the new store nor the copy opens any more in the folder (the disk
/// failed under the move), and the app cannot go on.
pub(super) fn adopt_in_place(
    mut worker: Worker,
    token: &str,
    restart: &dyn Fn(&Store) -> Syncer,
) -> Result<(Worker, Outcome), String> {
    let refuse = |r: Refusal| Outcome::Refused(r);
    let server = match crate::sync::credentials(&worker.store) {
        Ok(Some(c)) => c.server,
        Ok(None) => {
            let p = problem(&crate::sync::SyncError::NotEnrolled, false);
            return Ok((worker, refuse(Refusal::Sync(p))));
        }
        Err(e) => return Ok((worker, refuse(Refusal::Storage(e.to_string())))),
    };
    let Some(token) = token_text(token) else {
        let r = Refusal::Invalid(crate::domain::DomainError::invalid(
            "token",
            token,
            "the new enrolment token the supervisor gives",
        ));
        return Ok((worker, refuse(r)));
    };
    // The sync thread must not push the copy's events meanwhile (it holds the store too).
    worker.sync.syncer = None;
    let folders = Folders::beside(&worker.dir);
    if let Err(r) = build(&worker, &server, &token, &folders) {
        let _ = std::fs::remove_dir_all(&folders.fresh);
        worker.sync.syncer = Some(restart(&worker.store));
        return Ok((worker, refuse(r)));
    }
    let Worker {
        store,
        dir,
        prefs,
        today,
        shown,
        ..
    } = worker;
    // The copy's store closes here: its folder can move.
    drop(store);
    let (store, outcome) = match swap(&dir, &folders) {
        Ok(store) => (
            store,
            Outcome::Saved {
                forfait_seconds: None,
            },
        ),
        Err(e) => {
            let back = Store::open(&dir).map_err(|again| {
                format!(
                    "{}: {e}; the copy does not open again: {again}",
                    dir.display()
                )
            })?;
            (back, refuse(Refusal::Storage(e)))
        }
    };
    let mut worker = Worker::new(store, dir, prefs, today, shown);
    worker.sync.syncer = Some(restart(&worker.store));
    Ok((worker, outcome))
}

/// The new identity in `folders.fresh`: enrolled, up to date with the server, the copy's
/// events the server lacks adopted and pushed if the network allows (else they wait for the
/// next sync, as any act), and what was done kept in the store for Settings to say.
fn build(worker: &Worker, server: &str, token: &str, folders: &Folders) -> Result<(), Refusal> {
    let new = Store::open(&folders.fresh)?;
    copy_app_files(&worker.dir, &folders.fresh).map_err(Refusal::Storage)?;
    let client = SyncClient::new(HttpTransport::new(server));
    client
        .enroll(&new, server, token, LABEL)
        .map_err(|e| Refusal::Sync(problem(&e, true)))?;
    // First what the server holds, so none of it is recorded twice.
    client
        .sync_once(&new)
        .map_err(|e| Refusal::Sync(problem(&e, false)))?;
    let adopted = new.adopt(&worker.store)?;
    if client.sync_once(&new).is_ok() {
        save_last_success(&new, chrono::Utc::now())?;
    }
    let summary = Adoption {
        adopted: adopted.adopted,
        already_held: adopted.already_held,
        copy: folders.aside.display().to_string(),
    };
    let bytes = serde_json::to_vec(&summary).map_err(|e| Refusal::Storage(e.to_string()))?;
    new.set_setting(ADOPTED, &bytes)?;
    Ok(())
}

/// Moves the copy's folder aside and the new store into its place, and opens it. On an
/// error, the copy is back in its folder.
fn swap(dir: &Path, folders: &Folders) -> Result<Store, String> {
    let at = |e: std::io::Error, p: &Path| format!("{}: {e}", p.display());
    std::fs::rename(dir, &folders.aside).map_err(|e| at(e, dir))?;
    if let Err(e) = std::fs::rename(&folders.fresh, dir) {
        let _ = std::fs::rename(&folders.aside, dir);
        return Err(at(e, &folders.fresh));
    }
    Store::open(dir).map_err(|e| {
        let _ = std::fs::rename(dir, &folders.fresh);
        let _ = std::fs::rename(&folders.aside, dir);
        format!("{}: {e}", dir.display())
    })
}
