//! The server's storage in PostgreSQL, for a cooperative beyond one machine: the schema is
//! created (or migrated) on start, every batch is one transaction, and reads never skip an
//! event committed out of order.
//!
//! Why reading "after position N" is safe: positions come from a sequence, and transactions
//! commit in any order, so position 41 may become visible after 42 was read. Each row carries
//! the id of the transaction that wrote it (`xid8`), and the stream is ordered by
//! (transaction id, position). A read only takes rows whose transaction id is below the
//! oldest transaction still running (`pg_snapshot_xmin`): every such transaction has ended, so
//! no row can appear later before the cursor. Writers never wait for each other, except two
//! copies of the same device's batch, serialised by an advisory lock on the device.
//!
//! tokio-postgres (with deadpool for the pool) rather than sqlx: plain SQL with no macros and
//! no database at compile time, fewer dependencies, from the maintainer of rust-postgres.

use std::collections::BTreeSet;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;
use tokio_postgres::types::ToSql;

use super::backend::{
    Backend, BackendError, Claim, DeviceRecord, FactsAnswer, FactsQuery, Fut, Ingest,
    IngestOutcome, Page, Scope, StoredEvent,
};
use super::rights::VisitFacts;
use crate::domain::{ActId, Ede, TechnicianId, VisitId};
use crate::log::{DeviceId, Hash};
use crate::sync::{Cursor, Role};

/// The schema's version this build writes; older schemas are migrated on start.
const SCHEMA_VERSION: i32 = 3;

const SPEND_TOKEN: &str = "DELETE FROM tokens WHERE hash = $1 RETURNING account";

const SCHEMA_V1: &str = "
CREATE TABLE accounts (id text PRIMARY KEY, role bytea NOT NULL);
CREATE TABLE tokens (hash bytea PRIMARY KEY, account text NOT NULL REFERENCES accounts(id),
    created timestamptz NOT NULL DEFAULT now());
CREATE TABLE devices (device bytea PRIMARY KEY, public_key bytea NOT NULL,
    account text NOT NULL REFERENCES accounts(id), label text NOT NULL,
    enrolled timestamptz NOT NULL DEFAULT now());
CREATE TABLE events (
    device bytea NOT NULL, seq bigint NOT NULL, hash bytea NOT NULL, body bytea NOT NULL,
    author text NOT NULL, technician text, farm text, public boolean NOT NULL,
    staff boolean NOT NULL,
    tx xid8 NOT NULL DEFAULT pg_current_xact_id(), pos bigserial NOT NULL,
    received timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device, seq));
CREATE INDEX events_stream ON events (tx, pos);
CREATE INDEX events_author ON events (author, tx, pos);
CREATE INDEX events_technician ON events (technician, tx, pos) WHERE technician IS NOT NULL;
CREATE INDEX events_farm ON events (farm, tx, pos) WHERE farm IS NOT NULL;
CREATE INDEX events_staff ON events (tx, pos) WHERE staff;
CREATE TABLE signatures (device bytea NOT NULL, seq bigint NOT NULL, signature bytea NOT NULL,
    PRIMARY KEY (device, seq));
CREATE TABLE visits (visit text PRIMARY KEY, farm text NOT NULL);
CREATE INDEX visits_farm ON visits (farm);
CREATE TABLE assignments (visit text NOT NULL, technician text NOT NULL,
    PRIMARY KEY (visit, technician));
CREATE TABLE acts (act text PRIMARY KEY, visit text NOT NULL);
CREATE TABLE grants (technician text NOT NULL, farm text NOT NULL,
    tx xid8 NOT NULL DEFAULT pg_current_xact_id(), pos bigserial NOT NULL,
    PRIMARY KEY (technician, farm));
CREATE INDEX grants_stream ON grants (technician, tx, pos);
";

/// Version 2: short-lived records that outlive a restart (request nonces, farmers' sessions).
const SCHEMA_V2: &str = "
CREATE TABLE claims (key bytea PRIMARY KEY, value bytea NOT NULL, expires bigint NOT NULL);
CREATE INDEX claims_expires ON claims (expires);
";

/// Version 3: lasting records of the server's own work (arrival notices, the outbox).
const SCHEMA_V3: &str = "
CREATE TABLE records (key bytea PRIMARY KEY, value bytea NOT NULL);
";

impl From<tokio_postgres::Error> for BackendError {
    fn from(e: tokio_postgres::Error) -> BackendError {
        BackendError::Storage(match e.as_db_error() {
            Some(db) => format!("postgres: {}", db.message()),
            None => format!("postgres: {e}"),
        })
    }
}

impl From<deadpool_postgres::PoolError> for BackendError {
    fn from(e: deadpool_postgres::PoolError) -> BackendError {
        BackendError::Storage(format!("postgres pool: {e}"))
    }
}

/// The PostgreSQL backend.
pub struct PgBackend {
    pool: Pool,
}

fn corrupt(what: &str) -> BackendError {
    BackendError::Corrupt(what.to_owned())
}

fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn hash_of(b: &[u8]) -> Result<Hash, BackendError> {
    b.try_into()
        .map_err(|_| corrupt("a stored hash is not 32 bytes"))
}

fn cursor_of(tx: &str, pos: i64) -> Result<Cursor, BackendError> {
    Ok(Cursor {
        tx: tx.parse().map_err(|_| corrupt("a transaction id"))?,
        pos: u64_of(pos),
    })
}

fn ede(s: &str) -> Result<Ede, BackendError> {
    Ede::parse("farm", s).map_err(|_| corrupt("a stored farm number"))
}

fn technician(s: &str) -> Result<TechnicianId, BackendError> {
    TechnicianId::parse("technician", s).map_err(|_| corrupt("a stored technician id"))
}

fn strings<T>(v: &[T], text: impl Fn(&T) -> &str) -> Vec<String> {
    v.iter().map(|x| text(x).to_owned()).collect()
}

const EVENT_COLUMNS: &str = "device, seq, hash, body, tx::text, pos";

fn stored(row: &tokio_postgres::Row) -> Result<StoredEvent, BackendError> {
    let device: Vec<u8> = row.try_get(0)?;
    let hash: Vec<u8> = row.try_get(2)?;
    let tx: String = row.try_get(4)?;
    Ok(StoredEvent {
        device: DeviceId(
            device
                .as_slice()
                .try_into()
                .map_err(|_| corrupt("a device id"))?,
        ),
        seq: u64_of(row.try_get(1)?),
        hash: hash_of(&hash)?,
        body: row.try_get(3)?,
        cursor: cursor_of(&tx, row.try_get(5)?)?,
    })
}

impl PgBackend {
    /// Connects, creates the schema if absent and migrates it to this build's version.
    pub async fn connect(url: &str, schema: &str) -> Result<PgBackend, BackendError> {
        if schema.is_empty()
            || schema.len() > 60
            || !schema
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(BackendError::Storage(format!(
                "schema {schema:?}: expected lower-case letters, digits and '_'"
            )));
        }
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| BackendError::Storage(format!("database url: {e}")))?;
        config.options(format!("-c search_path={schema}"));
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(16)
            .build()
            .map_err(|e| BackendError::Storage(format!("postgres pool: {e}")))?;
        let backend = PgBackend { pool };
        backend.migrate(schema).await?;
        Ok(backend)
    }

    async fn migrate(&self, schema: &str) -> Result<(), BackendError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        // One server migrates at a time; the others wait, then find it done.
        tx.execute("SELECT pg_advisory_xact_lock(7305726)", &[])
            .await?;
        tx.batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {schema};
             CREATE TABLE IF NOT EXISTS {schema}.schema_version (version int NOT NULL);"
        ))
        .await?;
        let version: Option<i32> = tx
            .query_opt("SELECT max(version) FROM schema_version", &[])
            .await?
            .and_then(|r| r.get(0));
        match version {
            None => {
                tx.batch_execute(SCHEMA_V1).await?;
                tx.batch_execute(SCHEMA_V2).await?;
                tx.batch_execute(SCHEMA_V3).await?;
                tx.execute(
                    "INSERT INTO schema_version (version) VALUES ($1)",
                    &[&SCHEMA_VERSION],
                )
                .await?;
            }
            Some(v) if v == SCHEMA_VERSION => {}
            Some(v @ (1 | 2)) => {
                if v == 1 {
                    tx.batch_execute(SCHEMA_V2).await?;
                }
                tx.batch_execute(SCHEMA_V3).await?;
                tx.execute(
                    "INSERT INTO schema_version (version) VALUES ($1)",
                    &[&SCHEMA_VERSION],
                )
                .await?;
            }
            Some(v) if v > SCHEMA_VERSION => {
                return Err(BackendError::Storage(format!(
                    "the database schema is version {v}, newer than this server ({SCHEMA_VERSION}): upgrade the server"
                )));
            }
            // Later versions add their steps here, from v to SCHEMA_VERSION.
            Some(v) => {
                return Err(BackendError::Storage(format!(
                    "no migration from schema version {v}"
                )));
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn role(
        client: &impl deadpool_postgres::GenericClient,
        account: &str,
    ) -> Result<Option<Role>, BackendError> {
        match client
            .query_opt("SELECT role FROM accounts WHERE id = $1", &[&account])
            .await?
        {
            Some(row) => {
                let b: Vec<u8> = row.try_get(0)?;
                postcard::from_bytes(&b)
                    .map(Some)
                    .map_err(|e| BackendError::Corrupt(e.to_string()))
            }
            None => Ok(None),
        }
    }
}

impl PgBackend {
    /// The account of a token, by `query`: a SELECT that reads it, or a DELETE that spends it
    /// (`RETURNING account`).
    async fn token_account(
        client: &impl deadpool_postgres::GenericClient,
        query: &str,
        token_hash: &Hash,
    ) -> Result<Option<String>, BackendError> {
        match client.query_opt(query, &[&&token_hash[..]]).await? {
            Some(row) => Ok(Some(row.try_get(0)?)),
            None => Ok(None),
        }
    }
}

impl Backend for PgBackend {
    fn add_account<'a>(&'a self, role: &'a Role, token_hash: Hash) -> Fut<'a, ()> {
        Box::pin(async move {
            let mut client = self.pool.get().await?;
            let tx = client.transaction().await?;
            let id = role.account_id();
            let bytes =
                postcard::to_allocvec(role).map_err(|e| BackendError::Corrupt(e.to_string()))?;
            tx.execute(
                "INSERT INTO accounts (id, role) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&id, &bytes],
            )
            .await?;
            if Self::role(&tx, &id).await?.as_ref() != Some(role) {
                return Err(BackendError::Conflict(format!(
                    "account {id} exists with another role or team"
                )));
            }
            tx.execute(
                "INSERT INTO tokens (hash, account) VALUES ($1, $2)",
                &[&&token_hash[..], &id],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn token_role<'a>(&'a self, token_hash: Hash) -> Fut<'a, Option<Role>> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            let select = "SELECT account FROM tokens WHERE hash = $1";
            match Self::token_account(&client, select, &token_hash).await? {
                Some(account) => Self::role(&client, &account).await,
                None => Ok(None),
            }
        })
    }

    fn account<'a>(&'a self, id: &'a str) -> Fut<'a, Option<Role>> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            Self::role(&client, id).await
        })
    }

    fn redeem<'a>(&'a self, token_hash: Hash, device: DeviceRecord) -> Fut<'a, Option<Role>> {
        Box::pin(async move {
            let mut client = self.pool.get().await?;
            let tx = client.transaction().await?;
            let Some(account) = Self::token_account(&tx, SPEND_TOKEN, &token_hash).await? else {
                return Ok(None);
            };
            let inserted = tx
                .execute(
                    "INSERT INTO devices (device, public_key, account, label) VALUES ($1, $2, $3, $4)
                     ON CONFLICT DO NOTHING",
                    &[&&device.device.0[..], &&device.public_key[..], &account, &device.label],
                )
                .await?;
            if inserted == 0 {
                // Rolled back: the token stays unused.
                return Err(BackendError::Conflict(format!(
                    "device {} is already enrolled",
                    device.device
                )));
            }
            let role = Self::role(&tx, &account)
                .await?
                .ok_or_else(|| corrupt("a token of a missing account"))?;
            tx.commit().await?;
            Ok(Some(role))
        })
    }

    fn spend<'a>(&'a self, token_hash: Hash) -> Fut<'a, Option<Role>> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            // One statement: of two logins with the same code, one deletes the row.
            let Some(account) = Self::token_account(&client, SPEND_TOKEN, &token_hash).await?
            else {
                return Ok(None);
            };
            Self::role(&client, &account)
                .await?
                .ok_or_else(|| corrupt("a token of a missing account"))
                .map(Some)
        })
    }

    fn devices_of<'a>(&'a self, account: &'a str) -> Fut<'a, Vec<DeviceRecord>> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            let rows = client
                .query(
                    "SELECT device, public_key, label FROM devices WHERE account = $1",
                    &[&account],
                )
                .await?;
            rows.iter()
                .map(|row| {
                    let device: Vec<u8> = row.try_get(0)?;
                    let key: Vec<u8> = row.try_get(1)?;
                    Ok(DeviceRecord {
                        device: DeviceId(
                            device
                                .as_slice()
                                .try_into()
                                .map_err(|_| corrupt("a device id"))?,
                        ),
                        public_key: key
                            .as_slice()
                            .try_into()
                            .map_err(|_| corrupt("a public key"))?,
                        account: account.to_owned(),
                        label: row.try_get(2)?,
                    })
                })
                .collect()
        })
    }

    fn device<'a>(&'a self, device: DeviceId) -> Fut<'a, Option<(DeviceRecord, Role)>> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            let Some(row) = client
                .query_opt(
                    "SELECT d.public_key, d.account, d.label, a.role FROM devices d
                     JOIN accounts a ON a.id = d.account WHERE d.device = $1",
                    &[&&device.0[..]],
                )
                .await?
            else {
                return Ok(None);
            };
            let key: Vec<u8> = row.try_get(0)?;
            let role: Vec<u8> = row.try_get(3)?;
            Ok(Some((
                DeviceRecord {
                    device,
                    public_key: key
                        .as_slice()
                        .try_into()
                        .map_err(|_| corrupt("a public key"))?,
                    account: row.try_get(1)?,
                    label: row.try_get(2)?,
                },
                postcard::from_bytes(&role).map_err(|e| BackendError::Corrupt(e.to_string()))?,
            )))
        })
    }

    fn head<'a>(&'a self, device: DeviceId) -> Fut<'a, Option<(u64, Hash)>> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            match client
                .query_opt(
                    "SELECT seq, hash FROM events WHERE device = $1 ORDER BY seq DESC LIMIT 1",
                    &[&&device.0[..]],
                )
                .await?
            {
                None => Ok(None),
                Some(row) => {
                    let h: Vec<u8> = row.try_get(1)?;
                    Ok(Some((u64_of(row.try_get(0)?), hash_of(&h)?)))
                }
            }
        })
    }

    fn hashes<'a>(&'a self, device: DeviceId, from: u64, to: u64) -> Fut<'a, Vec<(u64, Hash)>> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            let rows = client
                .query(
                    "SELECT seq, hash FROM events WHERE device = $1 AND seq BETWEEN $2 AND $3
                     ORDER BY seq",
                    &[&&device.0[..], &i64_of(from), &i64_of(to)],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    let h: Vec<u8> = r.try_get(1)?;
                    Ok((u64_of(r.try_get(0)?), hash_of(&h)?))
                })
                .collect()
        })
    }

    fn bodies<'a>(&'a self, device: DeviceId, from: u64, to: u64) -> Fut<'a, Vec<Vec<u8>>> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            let rows = client
                .query(
                    "SELECT body FROM events WHERE device = $1 AND seq BETWEEN $2 AND $3
                     ORDER BY seq",
                    &[&&device.0[..], &i64_of(from), &i64_of(to)],
                )
                .await?;
            rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
        })
    }

    fn signature<'a>(&'a self, device: DeviceId, seq: u64) -> Fut<'a, Option<[u8; 64]>> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            Ok(client
                .query_opt(
                    "SELECT signature FROM signatures WHERE device = $1 AND seq = $2",
                    &[&&device.0[..], &i64_of(seq)],
                )
                .await?
                .and_then(|r| r.try_get::<_, Vec<u8>>(0).ok())
                .and_then(|b| b.as_slice().try_into().ok()))
        })
    }

    fn facts<'a>(&'a self, q: &'a FactsQuery) -> Fut<'a, FactsAnswer> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            let mut facts = FactsAnswer::default();
            let visits = strings(&q.visits, VisitId::as_str);
            for row in client
                .query(
                    "SELECT v.visit, v.farm, array_remove(array_agg(a.technician), NULL)
                     FROM visits v LEFT JOIN assignments a ON a.visit = v.visit
                     WHERE v.visit = ANY($1) GROUP BY v.visit, v.farm",
                    &[&visits],
                )
                .await?
            {
                let visit: String = row.try_get(0)?;
                let farm: String = row.try_get(1)?;
                let techs: Vec<String> = row.try_get(2)?;
                facts.visits.insert(
                    VisitId::parse("visit", &visit).map_err(|_| corrupt("a visit id"))?,
                    VisitFacts {
                        farm: ede(&farm)?,
                        technicians: techs
                            .iter()
                            .map(|t| technician(t))
                            .collect::<Result<BTreeSet<_>, _>>()?,
                    },
                );
            }
            let acts = strings(&q.acts, ActId::as_str);
            for row in client
                .query("SELECT act, visit FROM acts WHERE act = ANY($1)", &[&acts])
                .await?
            {
                let act: String = row.try_get(0)?;
                let visit: String = row.try_get(1)?;
                facts.acts.insert(
                    ActId::parse("act", &act).map_err(|_| corrupt("an act id"))?,
                    VisitId::parse("visit", &visit).map_err(|_| corrupt("a visit id"))?,
                );
            }
            let farms = strings(&q.farms, Ede::as_str);
            for row in client
                .query(
                    "SELECT DISTINCT farm FROM visits WHERE farm = ANY($1)",
                    &[&farms],
                )
                .await?
            {
                facts
                    .farms_with_visits
                    .push(ede(&row.try_get::<_, String>(0)?)?);
            }
            let techs = strings(&q.technicians, TechnicianId::as_str);
            for row in client
                .query(
                    "SELECT DISTINCT farm FROM grants WHERE farm = ANY($1) AND technician = ANY($2)",
                    &[&farms, &techs],
                )
                .await?
            {
                facts.granted.push(ede(&row.try_get::<_, String>(0)?)?);
            }
            Ok(facts)
        })
    }

    fn ingest(&self, batch: Ingest) -> Fut<'_, IngestOutcome> {
        Box::pin(async move {
            let Some(last) = batch.events.last() else {
                return Ok(IngestOutcome::Stored);
            };
            let last_seq = i64_of(last.seq);
            let mut client = self.pool.get().await?;
            let tx = client.transaction().await?;
            let device = &batch.device.0[..];
            let lock = i64::from_be_bytes(batch.device.0[..8].try_into().unwrap_or([0; 8]));
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock])
                .await?;
            let head: Option<i64> = tx
                .query_one("SELECT max(seq) FROM events WHERE device = $1", &[&device])
                .await?
                .try_get(0)?;
            if u64_of(head.unwrap_or(0)) != batch.expected_head {
                return Ok(IngestOutcome::HeadMoved(
                    batch.events.into_iter().map(|e| e.body).collect(),
                ));
            }
            let seqs: Vec<i64> = batch.events.iter().map(|e| i64_of(e.seq)).collect();
            let hashes: Vec<&[u8]> = batch.events.iter().map(|e| &e.hash[..]).collect();
            let bodies: Vec<&[u8]> = batch.events.iter().map(|e| &e.body[..]).collect();
            let techs: Vec<Option<&str>> = batch
                .events
                .iter()
                .map(|e| e.tags.technician.as_ref().map(|t| t.as_str()))
                .collect();
            let farms: Vec<Option<&str>> = batch
                .events
                .iter()
                .map(|e| e.tags.farm.as_ref().map(|f| f.as_str()))
                .collect();
            let public: Vec<bool> = batch.events.iter().map(|e| e.tags.public).collect();
            let staff: Vec<bool> = batch.events.iter().map(|e| e.tags.staff).collect();
            let params: [&(dyn ToSql + Sync); 9] = [
                &device,
                &seqs,
                &hashes,
                &bodies,
                &batch.author,
                &techs,
                &farms,
                &public,
                &staff,
            ];
            tx.execute(
                "INSERT INTO events (device, seq, hash, body, author, technician, farm, public, staff)
                 SELECT $1, s, h, b, $5, t, f, p, st
                 FROM unnest($2::int8[], $3::bytea[], $4::bytea[], $6::text[], $7::text[],
                             $8::bool[], $9::bool[])
                     WITH ORDINALITY AS u(s, h, b, t, f, p, st, n)
                 ORDER BY n",
                &params,
            )
            .await?;
            tx.execute(
                "INSERT INTO signatures (device, seq, signature) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
                &[&device, &last_seq, &&batch.signature[..]],
            )
            .await?;
            let fx = &batch.effects;
            if !fx.visits.is_empty() {
                let (v, f): (Vec<&str>, Vec<&str>) = fx
                    .visits
                    .iter()
                    .map(|(v, f)| (v.as_str(), f.as_str()))
                    .unzip();
                tx.execute(
                    "INSERT INTO visits (visit, farm) SELECT * FROM unnest($1::text[], $2::text[])
                     ON CONFLICT DO NOTHING",
                    &[&v, &f],
                )
                .await?;
            }
            if !fx.assignments.is_empty() {
                let (v, t): (Vec<&str>, Vec<&str>) = fx
                    .assignments
                    .iter()
                    .map(|(v, t)| (v.as_str(), t.as_str()))
                    .unzip();
                tx.execute(
                    "INSERT INTO assignments (visit, technician)
                     SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING",
                    &[&v, &t],
                )
                .await?;
            }
            if !fx.acts.is_empty() {
                let (a, v): (Vec<&str>, Vec<&str>) = fx
                    .acts
                    .iter()
                    .map(|(a, v)| (a.as_str(), v.as_str()))
                    .unzip();
                tx.execute(
                    "INSERT INTO acts (act, visit) SELECT * FROM unnest($1::text[], $2::text[])
                     ON CONFLICT DO NOTHING",
                    &[&a, &v],
                )
                .await?;
            }
            if !fx.grants.is_empty() {
                let mut seen = BTreeSet::new();
                let (t, f): (Vec<&str>, Vec<&str>) = fx
                    .grants
                    .iter()
                    .filter(|g| seen.insert((*g).clone()))
                    .map(|(t, f)| (t.as_str(), f.as_str()))
                    .unzip();
                tx.execute(
                    "INSERT INTO grants (technician, farm)
                     SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING",
                    &[&t, &f],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(IngestOutcome::Stored)
        })
    }

    fn read<'a>(
        &'a self,
        scope: &'a Scope,
        after: Cursor,
        exclude: DeviceId,
        limit: usize,
    ) -> Fut<'a, Page> {
        Box::pin(async move {
            let mut client = self.pool.get().await?;
            let tx = client
                .build_transaction()
                .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await?;
            let xmin: String = tx
                .query_one("SELECT pg_snapshot_xmin(pg_current_snapshot())::text", &[])
                .await?
                .try_get(0)?;
            let techs = strings(&scope.technicians, TechnicianId::as_str);
            let farm = scope.farm.as_ref().map(|f| f.as_str().to_owned());
            let rows = tx
                .query(
                    &format!(
                        "SELECT {EVENT_COLUMNS} FROM events
                         WHERE (tx, pos) > ($1::text::xid8, $2) AND tx < $3::text::xid8
                           AND device <> $4
                           AND (author = $5 OR technician = ANY($6)
                                OR farm IN (SELECT g.farm FROM grants g WHERE g.technician = ANY($6))
                                OR (farm = $7 AND public)
                                OR (staff AND $7::text IS NULL))
                         ORDER BY tx, pos LIMIT $8"
                    ),
                    &[
                        &after.tx.to_string(),
                        &i64_of(after.pos),
                        &xmin,
                        &&exclude.0[..],
                        &scope.author,
                        &techs,
                        &farm,
                        &i64_of(limit as u64 + 1),
                    ],
                )
                .await?;
            tx.commit().await?;
            let mut events = rows.iter().map(stored).collect::<Result<Vec<_>, _>>()?;
            let more = events.len() > limit;
            events.truncate(limit);
            let next = match (more, events.last()) {
                (true, Some(last)) => last.cursor,
                _ => Cursor {
                    tx: xmin.parse().map_err(|_| corrupt("xmin"))?,
                    pos: 0,
                }
                .max(after),
            };
            Ok(Page { events, next, more })
        })
    }

    fn new_grants<'a>(
        &'a self,
        technicians: &'a [TechnicianId],
        after: Cursor,
        upto: Cursor,
    ) -> Fut<'a, Vec<Ede>> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            let techs = strings(technicians, TechnicianId::as_str);
            let rows = client
                .query(
                    "SELECT DISTINCT farm FROM grants WHERE technician = ANY($1)
                       AND (tx, pos) > ($2::text::xid8, $3) AND (tx, pos) <= ($4::text::xid8, $5)",
                    &[
                        &techs,
                        &after.tx.to_string(),
                        &i64_of(after.pos),
                        &upto.tx.to_string(),
                        &i64_of(upto.pos),
                    ],
                )
                .await?;
            rows.iter()
                .map(|r| ede(&r.try_get::<_, String>(0)?))
                .collect()
        })
    }

    fn farm_events<'a>(
        &'a self,
        farms: &'a [Ede],
        upto: Cursor,
        exclude: DeviceId,
    ) -> Fut<'a, Vec<StoredEvent>> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            let farms = strings(farms, Ede::as_str);
            let rows = client
                .query(
                    &format!(
                        "SELECT {EVENT_COLUMNS} FROM events WHERE farm = ANY($1)
                           AND (tx, pos) <= ($2::text::xid8, $3) AND device <> $4
                         ORDER BY tx, pos"
                    ),
                    &[
                        &farms,
                        &upto.tx.to_string(),
                        &i64_of(upto.pos),
                        &&exclude.0[..],
                    ],
                )
                .await?;
            rows.iter().map(stored).collect()
        })
    }

    fn claim<'a>(&'a self, claim: Claim<'a>, now_ms: u64) -> Fut<'a, bool> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            // One statement: of two requests with the same nonce at once, one inserts, the
            // other finds the row and a live expiry, so updates nothing.
            let n = client
                .execute(
                    "INSERT INTO claims (key, value, expires) VALUES ($1, $2, $3)
                     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value,
                         expires = EXCLUDED.expires
                     WHERE claims.expires <= $4",
                    &[
                        &claim.key,
                        &claim.value,
                        &i64_of(claim.expires_ms),
                        &i64_of(now_ms),
                    ],
                )
                .await?;
            Ok(n == 1)
        })
    }

    fn claimed<'a>(&'a self, key: &'a [u8], now_ms: u64) -> Fut<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            let row = client
                .query_opt(
                    "SELECT value FROM claims WHERE key = $1 AND expires > $2",
                    &[&key, &i64_of(now_ms)],
                )
                .await?;
            Ok(match row {
                Some(r) => Some(r.try_get(0)?),
                None => None,
            })
        })
    }

    fn release<'a>(&'a self, key: &'a [u8]) -> Fut<'a, ()> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            client
                .execute("DELETE FROM claims WHERE key = $1", &[&key])
                .await?;
            Ok(())
        })
    }

    fn prune_claims(&self, now_ms: u64) -> Fut<'_, u64> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            let n = client
                .execute("DELETE FROM claims WHERE expires <= $1", &[&i64_of(now_ms)])
                .await?;
            Ok(n)
        })
    }

    fn put_record<'a>(&'a self, key: &'a [u8], value: &'a [u8]) -> Fut<'a, ()> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            client
                .execute(
                    "INSERT INTO records (key, value) VALUES ($1, $2)
                     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                    &[&key, &value],
                )
                .await?;
            Ok(())
        })
    }

    fn record<'a>(&'a self, key: &'a [u8]) -> Fut<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            let row = client
                .query_opt("SELECT value FROM records WHERE key = $1", &[&key])
                .await?;
            Ok(match row {
                Some(r) => Some(r.try_get(0)?),
                None => None,
            })
        })
    }

    fn remove_record<'a>(&'a self, key: &'a [u8]) -> Fut<'a, ()> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            client
                .execute("DELETE FROM records WHERE key = $1", &[&key])
                .await?;
            Ok(())
        })
    }

    fn records<'a>(&'a self, prefix: &'a [u8]) -> Fut<'a, Vec<(Vec<u8>, Vec<u8>)>> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            let n = i32::try_from(prefix.len())
                .map_err(|_| BackendError::Storage("a record prefix over 2 GB".into()))?;
            let rows = client
                .query(
                    "SELECT key, value FROM records WHERE substring(key FROM 1 FOR $2) = $1
                     ORDER BY key",
                    &[&prefix, &n],
                )
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push((r.try_get(0)?, r.try_get(1)?));
            }
            Ok(out)
        })
    }

    fn count_events(&self) -> Fut<'_, u64> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            let n: i64 = client
                .query_one("SELECT count(*) FROM events", &[])
                .await?
                .try_get(0)?;
            Ok(u64_of(n))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::backend::NewEvent;
    use crate::server::rights::Tags;

    const URL: &str = "postgres://postgres@127.0.0.1:5432/test";

    fn event(seq: u64, technician: &TechnicianId) -> NewEvent {
        NewEvent {
            seq,
            hash: [seq as u8; 32],
            body: vec![seq as u8],
            tags: Tags {
                technician: Some(technician.clone()),
                ..Tags::default()
            },
        }
    }

    fn ingest(device: DeviceId, technician: &TechnicianId) -> Ingest {
        Ingest {
            device,
            author: "technician:T01".into(),
            expected_head: 0,
            events: vec![event(1, technician)],
            signature: [0; 64],
            effects: Default::default(),
        }
    }

    /// Positions commit out of order: a transaction that took position 1 commits after the
    /// one that took position 2. A reader in between must not move its cursor past 1.
    #[tokio::test]
    async fn a_row_committed_after_a_later_position_is_not_skipped() {
        let schema = format!("t_pg_order_{}", std::process::id());
        let backend = PgBackend::connect(URL, &schema).await.unwrap();
        let t01 = TechnicianId::parse("t", "T01").unwrap();
        let scope = Scope {
            author: "technician:T01".into(),
            technicians: vec![t01.clone()],
            farm: None,
        };
        let (slow, fast, reader) = (DeviceId([1; 16]), DeviceId([2; 16]), DeviceId([9; 16]));

        // The slow writer takes position 1 and keeps its transaction open.
        let (client, connection) = tokio_postgres::connect(URL, NoTls).await.unwrap();
        let conn = tokio::spawn(connection);
        client
            .batch_execute(&format!("SET search_path TO {schema}; BEGIN"))
            .await
            .unwrap();
        client
            .execute(
                "INSERT INTO events (device, seq, hash, body, author, technician, public, staff)
                 VALUES ($1, 1, $2, $3, 'technician:T01', 'T01', false, false)",
                &[&&slow.0[..], &&[1u8; 32][..], &&[1u8][..]],
            )
            .await
            .unwrap();
        // The fast writer takes position 2 and commits.
        backend.ingest(ingest(fast, &t01)).await.unwrap();

        // A reader now sees nothing yet, rather than position 2 alone.
        let page = backend
            .read(&scope, Cursor::default(), reader, 100)
            .await
            .unwrap();
        assert!(page.events.is_empty(), "{:?}", page.events);
        let cursor = page.next;

        // The slow writer commits: the reader gets both, from where it stopped.
        client.batch_execute("COMMIT").await.unwrap();
        // Another test's transaction open on the same cluster holds the horizon back for a
        // moment: read on until both came (each once), as a device's next sync would.
        let (mut got, mut cursor) = (Vec::new(), cursor);
        for _ in 0..200 {
            let page = backend.read(&scope, cursor, reader, 100).await.unwrap();
            got.extend(page.events.iter().map(|e| (e.device, e.cursor.pos)));
            cursor = page.next;
            if got.len() >= 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        got.sort_by_key(|(_, pos)| *pos);
        assert_eq!(got, vec![(slow, 1), (fast, 2)]);
        // And nothing twice afterwards.
        let page = backend.read(&scope, cursor, reader, 100).await.unwrap();
        assert!(page.events.is_empty());

        client
            .batch_execute(&format!(
                "SET client_min_messages = warning; DROP SCHEMA {schema} CASCADE"
            ))
            .await
            .unwrap();
        drop(client);
        let _ = conn.await;
    }

    /// A database of schema 2 (before the lasting records) is migrated on start: its claims
    /// stay, and records are written and read back by prefix.
    #[tokio::test]
    async fn a_schema_2_database_gets_the_records_table_and_keeps_its_claims() {
        let schema = format!("t_pg_v2_{}", std::process::id());
        let (client, connection) = tokio_postgres::connect(URL, NoTls).await.unwrap();
        let conn = tokio::spawn(connection);
        client
            .batch_execute(&format!(
                "SET client_min_messages = warning; DROP SCHEMA IF EXISTS {schema} CASCADE;
                 CREATE SCHEMA {schema}; SET search_path TO {schema};
                 CREATE TABLE schema_version (version int NOT NULL);
                 {SCHEMA_V1} {SCHEMA_V2}
                 INSERT INTO schema_version VALUES (2);
                 INSERT INTO claims VALUES ('\\x6b'::bytea, '\\x76'::bytea, 9223372036854775807);"
            ))
            .await
            .unwrap();
        let backend = PgBackend::connect(URL, &schema).await.unwrap();
        assert_eq!(backend.claimed(b"k", 0).await.unwrap(), Some(b"v".to_vec()));
        backend.put_record(b"told/V1", b"1").await.unwrap();
        backend.put_record(b"told/V2", b"2").await.unwrap();
        backend.put_record(b"told/V1", b"3").await.unwrap();
        backend.put_record(b"outbox/x", b"4").await.unwrap();
        assert_eq!(
            backend.records(b"told/").await.unwrap(),
            vec![
                (b"told/V1".to_vec(), b"3".to_vec()),
                (b"told/V2".to_vec(), b"2".to_vec())
            ]
        );
        assert_eq!(
            backend.record(b"outbox/x").await.unwrap(),
            Some(b"4".to_vec())
        );
        backend.remove_record(b"told/V2").await.unwrap();
        assert_eq!(backend.records(b"told/V2").await.unwrap(), vec![]);
        let version: i32 = client
            .query_one(
                &format!("SELECT max(version) FROM {schema}.schema_version"),
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(version, SCHEMA_VERSION);
        client
            .batch_execute(&format!(
                "SET client_min_messages = warning; DROP SCHEMA {schema} CASCADE"
            ))
            .await
            .unwrap();
        drop(client);
        let _ = conn.await;
    }
}
