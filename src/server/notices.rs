//! Telling farmers when the technician comes: what each farmer was last told of a visit, the
//! farmers' choice to receive messages, and the outbox that sends them through the
//! cooperative's gateway (`--sms-gateway URL`).
//!
//! When a push carries arrival windows (`Payload::ArrivalExpected`), the service hands them
//! here after its checks and before storing them: each goes through `tour::arrival::notice`
//! against what the farmer was told before (kept per visit, whether or not a gateway is
//! configured, so the tablet's fold of the same rule agrees). A notice for a farm whose
//! farmer opted in becomes a message in the outbox, keyed by the event that caused it: a
//! push sent again finds the visit's record past that event and queues nothing.
//!
//! The sender sends each message with its key as `Idempotency-Key`, keeps its status
//! (`pending`, `sent`, `failed`, `replaced` by a newer notice of the same visit before it
//! went), retries with a doubling delay, and never sends a message marked sent. With several
//! servers on one database, a short claim on the message keeps two from sending at once.
//! Not for deciding the windows (`tour::arrival`) nor for the farmer's page (`farmer/`).

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::backend::{Backend, BackendError, Claim};
use super::service::now_ms;
use crate::domain::{ArrivalWindow, Ede, VisitId};
use crate::log::EventId;
use crate::tour::arrival;

/// Attempts before a message is marked failed (the delays double from one second: about
/// 17 minutes in all, past which the window it gives is stale anyway).
pub const MAX_ATTEMPTS: u32 = 10;
/// The first retry's delay; each next one doubles.
pub const FIRST_RETRY_MS: u64 = 1_000;
/// How long one server holds a message while sending it.
const LEASE_MS: u64 = 60_000;

/// What the farmer was told of a visit, and the last event looked at.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Told {
    window: Option<ArrivalWindow>,
    /// (device, seq) of the last window event handled: one replayed is skipped.
    last: Option<([u8; 16], u64)>,
}

/// A farmer's choice to receive messages, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptIn {
    /// A phone number or an address, as the farmer typed it.
    pub to: String,
    /// The farm's name, for the message.
    pub farm_name: String,
}

/// Where a message stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Pending {
        attempts: u32,
        next_ms: u64,
        last_error: Option<String>,
    },
    Sent {
        at_ms: u64,
        attempts: u32,
    },
    Failed {
        attempts: u32,
        reason: String,
    },
    /// A newer notice of the same visit came before this one was sent.
    Replaced,
}

/// A message of the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The idempotency key: the event that caused it, `device-seq` in hex.
    pub id: String,
    pub farm: String,
    pub visit: String,
    pub to: String,
    pub text: String,
    pub created_ms: u64,
    pub status: Status,
}

/// An arrival window pushed, with the farm of its visit (from the rights' facts).
#[derive(Debug, Clone)]
pub struct PushedWindow {
    pub event: EventId,
    pub farm: Ede,
    pub visit: VisitId,
    pub window: ArrivalWindow,
}

fn told_key(visit: &VisitId) -> Vec<u8> {
    format!("told/{visit}").into_bytes()
}

fn opt_in_key(farm: &Ede) -> Vec<u8> {
    format!("opt-in/{farm}").into_bytes()
}

/// Every message, with its status, kept.
const OUTBOX: &str = "outbox/";
/// The messages still to send, their visit as value: what the sender looks through, so its
/// work does not grow with the history.
const DUE: &str = "outbox-due/";

fn message_key(id: &str) -> Vec<u8> {
    format!("{OUTBOX}{id}").into_bytes()
}

fn due_key(id: &str) -> Vec<u8> {
    format!("{DUE}{id}").into_bytes()
}

/// Writes a message, and whether it is still due.
async fn save(backend: &dyn Backend, m: &Message) -> Result<(), BackendError> {
    backend.put_record(&message_key(&m.id), &encode(m)?).await?;
    if matches!(m.status, Status::Pending { .. }) {
        backend
            .put_record(&due_key(&m.id), m.visit.as_bytes())
            .await
    } else {
        backend.remove_record(&due_key(&m.id)).await
    }
}

/// The ids of the messages due, with their visits.
async fn due(backend: &dyn Backend) -> Result<Vec<(String, String)>, BackendError> {
    let mut out = Vec::new();
    for (k, v) in backend.records(DUE.as_bytes()).await? {
        let id = String::from_utf8_lossy(&k[DUE.len()..]).into_owned();
        out.push((id, String::from_utf8_lossy(&v).into_owned()));
    }
    Ok(out)
}

async fn message(backend: &dyn Backend, id: &str) -> Result<Option<Message>, BackendError> {
    match backend.record(&message_key(id)).await? {
        Some(b) => Ok(Some(decode(&b)?)),
        None => Ok(None),
    }
}

fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>, BackendError> {
    postcard::to_allocvec(v).map_err(|e| BackendError::Corrupt(e.to_string()))
}

fn decode<T: for<'de> Deserialize<'de>>(b: &[u8]) -> Result<T, BackendError> {
    postcard::from_bytes(b).map_err(|e| BackendError::Corrupt(format!("a notice record: {e}")))
}

/// Handles the windows of a push, in chain order: updates what each farmer was told and
/// queues a message for those who opted in, when `queue` (a gateway is configured).
pub async fn pushed(
    backend: &dyn Backend,
    items: &[PushedWindow],
    queue: bool,
) -> Result<(), BackendError> {
    for item in items {
        let key = told_key(&item.visit);
        let mut told: Told = match backend.record(&key).await? {
            Some(b) => decode(&b)?,
            None => Told::default(),
        };
        let here = (item.event.device.0, item.event.seq);
        if let Some((device, seq)) = told.last
            && device == here.0
            && seq >= here.1
        {
            continue;
        }
        let notice = arrival::notice(told.window.as_ref(), &item.window);
        told.last = Some(here);
        if let Some(n) = notice {
            told.window = Some(n.window());
            let id = format!(
                "{}-{}",
                item.event
                    .device
                    .0
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>(),
                item.event.seq
            );
            // Queued already when a crash came before `told` was written: not again.
            if queue
                && message(backend, &id).await?.is_none()
                && let Some(opt) = opt_in(backend, &item.farm).await?
            {
                replace_pending(backend, item.visit.as_str()).await?;
                let now = now_ms();
                let message = Message {
                    id: id.clone(),
                    farm: item.farm.as_str().to_owned(),
                    visit: item.visit.as_str().to_owned(),
                    to: opt.to,
                    text: arrival::message(&opt.farm_name, &n),
                    created_ms: now,
                    status: Status::Pending {
                        attempts: 0,
                        next_ms: now,
                        last_error: None,
                    },
                };
                save(backend, &message).await?;
            }
        }
        backend.put_record(&key, &encode(&told)?).await?;
    }
    Ok(())
}

/// Marks the visit's messages not sent yet as replaced: the farmer gets the newest only.
async fn replace_pending(backend: &dyn Backend, visit: &str) -> Result<(), BackendError> {
    for (id, of) in due(backend).await? {
        if of != visit {
            continue;
        }
        if let Some(mut m) = message(backend, &id).await?
            && matches!(m.status, Status::Pending { .. })
        {
            m.status = Status::Replaced;
            save(backend, &m).await?;
        }
    }
    Ok(())
}

/// Every message of the outbox, by key.
pub async fn messages(backend: &dyn Backend) -> Result<Vec<Message>, BackendError> {
    let mut out = Vec::new();
    for (_, v) in backend.records(OUTBOX.as_bytes()).await? {
        out.push(decode(&v)?);
    }
    Ok(out)
}

/// A message as one line of JSON, for the administrator (`tournee-server outbox`).
pub fn json_line(m: &Message) -> String {
    let status = match &m.status {
        Status::Pending {
            attempts,
            next_ms,
            last_error,
        } => serde_json::json!({"state": "pending", "attempts": attempts, "next_ms": next_ms,
            "last_error": last_error}),
        Status::Sent { at_ms, attempts } => {
            serde_json::json!({"state": "sent", "at_ms": at_ms, "attempts": attempts})
        }
        Status::Failed { attempts, reason } => {
            serde_json::json!({"state": "failed", "attempts": attempts, "reason": reason})
        }
        Status::Replaced => serde_json::json!({"state": "replaced"}),
    };
    serde_json::json!({"id": m.id, "farm": m.farm, "visit": m.visit, "to": m.to,
        "text": m.text, "created_ms": m.created_ms, "status": status})
    .to_string()
}

/// The farmer's choice, if they opted in.
pub async fn opt_in(backend: &dyn Backend, farm: &Ede) -> Result<Option<OptIn>, BackendError> {
    match backend.record(&opt_in_key(farm)).await? {
        Some(b) => decode::<Option<OptIn>>(&b),
        None => Ok(None),
    }
}

/// Records the farmer's choice: `Some` to receive messages there, `None` to stop.
pub async fn set_opt_in(
    backend: &dyn Backend,
    farm: &Ede,
    choice: Option<OptIn>,
) -> Result<(), BackendError> {
    backend
        .put_record(&opt_in_key(farm), &encode(&choice)?)
        .await
}

/// What the farmer of `farm` was last told of `visit`, if anything.
pub async fn told(
    backend: &dyn Backend,
    visit: &VisitId,
) -> Result<Option<ArrivalWindow>, BackendError> {
    match backend.record(&told_key(visit)).await? {
        Some(b) => Ok(decode::<Told>(&b)?.window),
        None => Ok(None),
    }
}

/// Checks an address the farmer typed: a French phone number or an e-mail address.
pub fn check_address(to: &str) -> Result<String, String> {
    let to = to.trim();
    let digits: String = to
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .collect();
    let phone = {
        let rest = digits.strip_prefix('+').unwrap_or(&digits);
        (9..=15).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_digit())
    };
    let mail = to.len() <= 254
        && !to.contains(char::is_whitespace)
        && to
            .split_once('@')
            .is_some_and(|(a, d)| !a.is_empty() && d.contains('.') && !d.starts_with('.'));
    if phone {
        Ok(digits)
    } else if mail {
        Ok(to.to_owned())
    } else {
        Err(format!(
            "« {to} » n'est ni un numéro de téléphone (10 chiffres, ou +33…) ni une adresse e-mail"
        ))
    }
}

/// The gateway: where messages are POSTed.
pub struct Gateway {
    url: String,
    agent: ureq::Agent,
}

/// What one attempt came to.
enum Attempt {
    Sent,
    /// Try again later (no answer, 5xx, 408, 429).
    Again(String),
    /// The gateway refused the message itself (another 4xx): sending it again will not help.
    Refused(String),
}

impl Gateway {
    pub fn new(url: &str) -> Gateway {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(15)))
            .build();
        Gateway {
            url: url.to_owned(),
            agent: ureq::Agent::new_with_config(config),
        }
    }

    /// POSTs `{"id", "to", "text"}` as JSON with the message's id as `Idempotency-Key`: a
    /// gateway that received it before (the answer lost) sends it once.
    fn send(&self, m: &Message) -> Attempt {
        let body = serde_json::json!({"id": m.id, "to": m.to, "text": m.text}).to_string();
        match self
            .agent
            .post(&self.url)
            .header("content-type", "application/json")
            .header("idempotency-key", &m.id)
            .send(body.as_bytes())
        {
            Err(e) => Attempt::Again(format!("{}: {e}", self.url)),
            Ok(r) => {
                let status = r.status().as_u16();
                match status {
                    200..=299 => Attempt::Sent,
                    408 | 429 | 500..=599 => {
                        Attempt::Again(format!("{}: status {status}", self.url))
                    }
                    _ => Attempt::Refused(format!("{}: status {status}", self.url)),
                }
            }
        }
    }
}

/// Sends what is due in the outbox once; returns how many messages were looked at.
pub async fn send_due(
    backend: &dyn Backend,
    gateway: &Arc<Gateway>,
) -> Result<usize, BackendError> {
    let now = now_ms();
    let mut looked = 0;
    for (id, _) in due(backend).await? {
        let Some(m) = message(backend, &id).await? else {
            backend.remove_record(&due_key(&id)).await?;
            continue;
        };
        let Status::Pending {
            attempts, next_ms, ..
        } = m.status
        else {
            continue;
        };
        if next_ms > now {
            continue;
        }
        let lease = format!("outbox-lease/{id}").into_bytes();
        let claim = Claim {
            key: &lease,
            value: b"",
            expires_ms: now + LEASE_MS,
        };
        if !backend.claim(claim, now).await? {
            continue;
        }
        // Read again under the lease: another server may have sent it meanwhile.
        let Some(mut m) = message(backend, &id).await? else {
            backend.release(&lease).await?;
            continue;
        };
        if !matches!(m.status, Status::Pending { .. }) {
            backend.release(&lease).await?;
            continue;
        }
        looked += 1;
        let g = gateway.clone();
        let sending = m.clone();
        let attempt = tokio::task::spawn_blocking(move || g.send(&sending))
            .await
            .unwrap_or_else(|e| Attempt::Again(e.to_string()));
        let attempts = attempts + 1;
        m.status = match attempt {
            Attempt::Sent => Status::Sent {
                at_ms: now_ms(),
                attempts,
            },
            Attempt::Refused(reason) => Status::Failed { attempts, reason },
            Attempt::Again(reason) if attempts >= MAX_ATTEMPTS => {
                Status::Failed { attempts, reason }
            }
            Attempt::Again(reason) => Status::Pending {
                attempts,
                next_ms: now_ms() + (FIRST_RETRY_MS << (attempts - 1).min(20)),
                last_error: Some(reason),
            },
        };
        if let Status::Failed { reason, .. } = &m.status {
            eprintln!("tournee-server: message {} not sent: {reason}", m.id);
        }
        save(backend, &m).await?;
        backend.release(&lease).await?;
    }
    Ok(looked)
}

/// Sends the outbox for as long as the server runs, looking every `every`.
pub async fn run_sender(backend: Arc<dyn Backend>, gateway: Arc<Gateway>, every: Duration) {
    loop {
        if let Err(e) = send_due(backend.as_ref(), &gateway).await {
            eprintln!("tournee-server: outbox: {e}");
        }
        tokio::time::sleep(every).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::DeviceId;

    fn item(seq: u64, from: u16, to: u16) -> PushedWindow {
        PushedWindow {
            event: EventId {
                device: DeviceId([7; 16]),
                seq,
            },
            farm: Ede::parse("farm", "53161001").unwrap(),
            visit: VisitId::parse("visit", "V1").unwrap(),
            window: ArrivalWindow {
                from,
                to,
                on_the_way: false,
            },
        }
    }

    fn states(messages: &[Message]) -> Vec<(String, &'static str)> {
        messages
            .iter()
            .map(|m| {
                let state = match m.status {
                    Status::Pending { .. } => "pending",
                    Status::Sent { .. } => "sent",
                    Status::Failed { .. } => "failed",
                    Status::Replaced => "replaced",
                };
                (m.text.clone(), state)
            })
            .collect()
    }

    #[tokio::test]
    async fn a_push_sent_again_queues_nothing_twice_and_a_newer_notice_replaces_one_not_sent() {
        let dir = tempfile::tempdir().unwrap();
        let backend = crate::server::SledBackend::open(dir.path()).unwrap();
        let farm = Ede::parse("farm", "53161001").unwrap();
        // Not opted in: what the farmer is told is still kept, nothing is queued.
        pushed(&backend, &[item(1, 600, 640)], true).await.unwrap();
        assert!(messages(&backend).await.unwrap().is_empty());
        let v1 = VisitId::parse("visit", "V1").unwrap();
        assert_eq!(
            told(&backend, &v1).await.unwrap().map(|w| w.from),
            Some(600)
        );
        let opt = OptIn {
            to: "0612345601".into(),
            farm_name: "GAEC du Bocage".into(),
        };
        set_opt_in(&backend, &farm, Some(opt)).await.unwrap();
        // A move within the margin: nothing; beyond it: one message; the same push again
        // (a retry after a lost answer): nothing more.
        pushed(&backend, &[item(2, 610, 650)], true).await.unwrap();
        assert!(messages(&backend).await.unwrap().is_empty());
        for _ in 0..2 {
            pushed(&backend, &[item(3, 630, 670)], true).await.unwrap();
        }
        let got = messages(&backend).await.unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].id, format!("{}-3", "07".repeat(16)));
        assert!(
            got[0].text.contains("entre 10 h 30 et 11 h 10"),
            "{}",
            got[0].text
        );
        // A newer notice before the first went: the farmer gets the newest only.
        pushed(&backend, &[item(4, 700, 740)], true).await.unwrap();
        let got = messages(&backend).await.unwrap();
        let s = states(&got);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].1, "replaced");
        assert_eq!(s[1].1, "pending");
        assert!(s[1].0.contains("entre 11 h 40 et 12 h 20"), "{s:?}");
        assert_eq!(due(&backend).await.unwrap().len(), 1);
        // Without a gateway (queue off), nothing is queued but the fold goes on.
        pushed(&backend, &[item(5, 800, 840)], false).await.unwrap();
        assert_eq!(messages(&backend).await.unwrap().len(), 2);
        assert_eq!(
            told(&backend, &v1).await.unwrap().map(|w| w.from),
            Some(800)
        );
    }

    #[test]
    fn an_address_is_a_phone_number_or_an_email() {
        assert_eq!(check_address(" 06 12 34 56 78 ").unwrap(), "0612345678");
        assert_eq!(check_address("+33 6 12 34 56 78").unwrap(), "+33612345678");
        assert_eq!(check_address("gaec@example.fr").unwrap(), "gaec@example.fr");
        for bad in [
            "",
            "06 12",
            "gaec@",
            "@x.fr",
            "gaec@localhost",
            "06 12 34 56 7a",
        ] {
            let e = check_address(bad).unwrap_err();
            assert!(e.contains(bad.trim()), "{e}");
        }
    }
}
