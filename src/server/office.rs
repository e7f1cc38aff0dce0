//! The server's administration requests (what `tournee-server` subcommands ask, directly or
//! through the admin socket): accounts, and the declarations office.
//!
//! The office exports the insemination declarations ready to send, as CSV or JSON, and records
//! which batch was sent and what the national system answered (`DeclarationsSent`,
//! `DeclarationsAcknowledged`). It works as a device of a supervisor's account whose store and
//! key the server holds (`DATA/office/SUPERVISOR/`): it pulls the team's records through the
//! sync service and builds the declarations with the same projection as the tablets, so a
//! record corrected after it was sent comes back as a correction (or a cancellation) to send,
//! never as a silent change. Not for sending to the national system itself.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::service::{ApiError, Service};
use crate::declare::{self, DeclarationStatus};
use crate::domain::{ActId, DeclarationRefusal, Payload, SupervisorId};
use crate::log::Store;
use crate::sync::Role;

/// How the export is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportFormat {
    Csv,
    Json,
}

/// What an administrator asks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AdminRequest {
    /// Creates (or finds) an account; prints a one-time enrolment token.
    AddAccount(Role),
    /// The declarations ready to send of a supervisor's team: those due since `day`, or all.
    ExportDeclarations {
        supervisor: SupervisorId,
        day: Option<NaiveDate>,
        format: ExportFormat,
    },
    /// A batch of declarations was sent to the national system.
    DeclarationsSent {
        supervisor: SupervisorId,
        batch: String,
        acts: Vec<ActId>,
    },
    /// The national system answered a batch: every record accepted but those refused.
    DeclarationsAcknowledged {
        supervisor: SupervisorId,
        batch: String,
        refused: Vec<DeclarationRefusal>,
    },
    /// The messages to farmers and where each stands (`notices.rs`).
    Outbox,
}

/// What a request prints: its result, and remarks for the administrator.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminOutput {
    pub stdout: String,
    pub stderr: String,
}

/// Answers administration requests.
pub struct Admin {
    service: Arc<Service>,
    dir: PathBuf,
    /// The office stores open, one per supervisor; held during a request, so one request at a
    /// time works on them.
    stores: tokio::sync::Mutex<HashMap<SupervisorId, Store>>,
}

fn bad(reason: impl Into<String>) -> ApiError {
    ApiError::new(400, reason)
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(500, e.to_string())
}

/// Runs blocking work (stores, sync client) off the runtime's threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(internal)?
}

fn sync_error(e: crate::sync::SyncError) -> ApiError {
    match e {
        crate::sync::SyncError::Transport(crate::sync::TransportError::Refused {
            status,
            reason,
            ..
        }) => ApiError::new(status, reason),
        e => internal(e),
    }
}

impl Admin {
    /// `dir` holds the office stores (`DATA/office`).
    pub fn new(service: Arc<Service>, dir: PathBuf) -> Admin {
        Admin {
            service,
            dir,
            stores: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    pub async fn run(&self, request: AdminRequest) -> Result<AdminOutput, ApiError> {
        match request {
            AdminRequest::AddAccount(role) => Ok(AdminOutput {
                stdout: self.service.add_account(&role).await?,
                stderr: String::new(),
            }),
            AdminRequest::ExportDeclarations {
                supervisor,
                day,
                format,
            } => {
                let mut stores = self.stores.lock().await;
                let store = self.office(&mut stores, &supervisor).await?;
                blocking(move || export(&store, day, format)).await
            }
            AdminRequest::DeclarationsSent {
                supervisor,
                batch,
                acts,
            } => {
                let mut stores = self.stores.lock().await;
                let store = self.office(&mut stores, &supervisor).await?;
                let client = super::local::client(&self.service);
                let count = acts.len();
                let payload = Payload::DeclarationsSent {
                    batch: batch.trim().to_owned(),
                    acts,
                };
                blocking(move || {
                    store
                        .append(vec![payload])
                        .map_err(|e| bad(e.to_string()))?;
                    client.sync_once(&store).map_err(sync_error)?;
                    Ok(AdminOutput {
                        stdout: format!("batch {}: {count} declarations sent\n", batch.trim()),
                        stderr: String::new(),
                    })
                })
                .await
            }
            AdminRequest::DeclarationsAcknowledged {
                supervisor,
                batch,
                refused,
            } => {
                let mut stores = self.stores.lock().await;
                let store = self.office(&mut stores, &supervisor).await?;
                let client = super::local::client(&self.service);
                let batch = batch.trim().to_owned();
                blocking(move || acknowledge(&store, &client, batch, refused)).await
            }
            AdminRequest::Outbox => {
                let messages = super::notices::messages(self.service.backend().as_ref())
                    .await
                    .map_err(internal)?;
                let mut stdout = String::new();
                for m in &messages {
                    stdout.push_str(&super::notices::json_line(m));
                    stdout.push('\n');
                }
                Ok(AdminOutput {
                    stdout,
                    stderr: String::new(),
                })
            }
        }
    }

    /// The office store of a supervisor's account, enrolled on first use, synced.
    async fn office(
        &self,
        stores: &mut HashMap<SupervisorId, Store>,
        supervisor: &SupervisorId,
    ) -> Result<Store, ApiError> {
        let store = match stores.get(supervisor) {
            Some(s) => s.clone(),
            None => {
                let dir = self.dir.join(supervisor.as_str());
                let store = blocking(move || Store::open(&dir).map_err(internal)).await?;
                if crate::sync::credentials(&store)
                    .map_err(internal)?
                    .is_none()
                {
                    self.enroll(&store, supervisor).await?;
                }
                stores.insert(supervisor.clone(), store.clone());
                store
            }
        };
        let client = super::local::client(&self.service);
        let synced = store.clone();
        blocking(move || client.sync_once(&synced).map(|_| ()).map_err(sync_error)).await?;
        Ok(store)
    }

    async fn enroll(&self, store: &Store, supervisor: &SupervisorId) -> Result<(), ApiError> {
        let id = Role::Supervisor {
            id: supervisor.clone(),
            team: Vec::new(),
        }
        .account_id();
        let role = self.service.backend().account(&id).await?.ok_or_else(|| {
            bad(format!(
                "--supervisor: {supervisor} has no account: create it with add-supervisor"
            ))
        })?;
        let token = self.service.add_account(&role).await?;
        let client = super::local::client(&self.service);
        let store = store.clone();
        blocking(move || {
            client
                .enroll(&store, "local", &token, "bureau des déclarations")
                .map(|_| ())
                .map_err(sync_error)
        })
        .await
    }
}

/// The declarations ready to send (never sent, or corrections and cancellations of sent
/// ones), due since `day` or all; those whose record lacks a field are left out of the CSV and
/// named on stderr (and listed under `incomplete` in JSON).
pub(crate) fn export(
    store: &Store,
    day: Option<NaiveDate>,
    format: ExportFormat,
) -> Result<AdminOutput, ApiError> {
    let mut ready = Vec::new();
    let mut incomplete = Vec::new();
    for d in store.open_declarations(None).map_err(internal)? {
        if d.status != DeclarationStatus::ToSend || day.is_some_and(|day| d.since != day) {
            continue;
        }
        let record = match store.act(&d.act).map_err(internal)? {
            Some(view) => crate::record::record_of(store, &view.act).map_err(internal)?,
            None => Err(crate::domain::DomainError::invalid(
                "act",
                d.act.as_str(),
                "an act the office received",
            )),
        };
        match record {
            Ok(r) => ready.push((d, r)),
            Err(e) => incomplete.push((d, e)),
        }
    }
    let mut stderr = String::new();
    for (d, e) in &incomplete {
        stderr.push_str(&format!(
            "act {} (technician {}): not exported, {e}\n",
            d.act,
            d.technician.as_ref().map_or("?", |t| t.as_str())
        ));
    }
    let stdout = match format {
        ExportFormat::Csv => {
            declare::to_csv(ready.iter().map(|(d, r)| (&d.kind, r))).map_err(internal)?
        }
        ExportFormat::Json => {
            let company = store.company().map_err(internal)?;
            let declarations: Vec<serde_json::Value> = ready
                .iter()
                .map(|(d, r)| {
                    serde_json::json!({
                        "act": d.act,
                        "kind": d.kind,
                        "date": d.date,
                        "since": d.since,
                        "deadline": d.deadline(),
                        "record": r,
                    })
                })
                .collect();
            let missing: Vec<serde_json::Value> = incomplete
                .iter()
                .map(|(d, e)| {
                    serde_json::json!({
                        "act": d.act,
                        "visit": d.visit,
                        "technician": d.technician,
                        "missing": e.field,
                        "expected": e.expected,
                    })
                })
                .collect();
            let doc = serde_json::json!({
                "format": "tournee/declarations/v1",
                "day": day,
                "company": company.map(|c| serde_json::json!({
                    "name": c.name,
                    "approval": c.approval,
                })),
                "declarations": declarations,
                "incomplete": missing,
            });
            let mut text = serde_json::to_string_pretty(&doc).map_err(internal)?;
            text.push('\n');
            text
        }
    };
    Ok(AdminOutput { stdout, stderr })
}

fn acknowledge(
    store: &Store,
    client: &crate::sync::SyncClient<super::local::Local>,
    batch: String,
    refused: Vec<DeclarationRefusal>,
) -> Result<AdminOutput, ApiError> {
    let sent = DeclarationStatus::Sent {
        batch: batch.clone(),
    };
    for (i, r) in refused.iter().enumerate() {
        let status = store
            .declaration(&r.act)
            .map_err(internal)?
            .map(|d| d.status);
        if status.as_ref() != Some(&sent) {
            return Err(bad(format!(
                "refused[{i}].act: {} is not a record of batch {batch} waiting for its answer",
                r.act
            )));
        }
    }
    let count = refused.len();
    store
        .append(vec![Payload::DeclarationsAcknowledged {
            batch: batch.clone(),
            refused,
        }])
        .map_err(|e| bad(e.to_string()))?;
    client.sync_once(store).map_err(sync_error)?;
    Ok(AdminOutput {
        stdout: format!("batch {batch}: acknowledged, {count} refused\n"),
        stderr: String::new(),
    })
}
