//! PostgreSQL backend (written next).
use super::backend::BackendError;
pub struct PgBackend;
impl PgBackend {
    pub async fn connect(_url: &str, _schema: &str) -> Result<PgBackend, BackendError> {
        Err(BackendError::Storage("not yet".into()))
    }
}
impl super::Backend for PgBackend {
    fn add_account<'a>(
        &'a self,
        _: &'a crate::sync::Role,
        _: crate::log::Hash,
    ) -> super::backend::Fut<'a, ()> {
        unimplemented!()
    }
    fn redeem<'a>(
        &'a self,
        _: crate::log::Hash,
        _: super::backend::DeviceRecord,
    ) -> super::backend::Fut<'a, Option<crate::sync::Role>> {
        unimplemented!()
    }
    fn device<'a>(
        &'a self,
        _: crate::log::DeviceId,
    ) -> super::backend::Fut<'a, Option<(super::backend::DeviceRecord, crate::sync::Role)>> {
        unimplemented!()
    }
    fn head<'a>(
        &'a self,
        _: crate::log::DeviceId,
    ) -> super::backend::Fut<'a, Option<(u64, crate::log::Hash)>> {
        unimplemented!()
    }
    fn hashes<'a>(
        &'a self,
        _: crate::log::DeviceId,
        _: u64,
        _: u64,
    ) -> super::backend::Fut<'a, Vec<(u64, crate::log::Hash)>> {
        unimplemented!()
    }
    fn signature<'a>(
        &'a self,
        _: crate::log::DeviceId,
        _: u64,
    ) -> super::backend::Fut<'a, Option<[u8; 64]>> {
        unimplemented!()
    }
    fn facts<'a>(
        &'a self,
        _: &'a super::backend::FactsQuery,
    ) -> super::backend::Fut<'a, super::backend::Facts> {
        unimplemented!()
    }
    fn ingest(
        &self,
        _: super::backend::Ingest,
    ) -> super::backend::Fut<'_, super::backend::IngestOutcome> {
        unimplemented!()
    }
    fn read<'a>(
        &'a self,
        _: &'a super::backend::Scope,
        _: crate::sync::Cursor,
        _: crate::log::DeviceId,
        _: usize,
    ) -> super::backend::Fut<'a, super::backend::Page> {
        unimplemented!()
    }
    fn new_grants<'a>(
        &'a self,
        _: &'a [crate::domain::TechnicianId],
        _: crate::sync::Cursor,
        _: crate::sync::Cursor,
    ) -> super::backend::Fut<'a, Vec<crate::domain::Ede>> {
        unimplemented!()
    }
    fn farm_events<'a>(
        &'a self,
        _: &'a [crate::domain::Ede],
        _: crate::sync::Cursor,
        _: crate::log::DeviceId,
    ) -> super::backend::Fut<'a, Vec<super::backend::StoredEvent>> {
        unimplemented!()
    }
    fn count_events(&self) -> super::backend::Fut<'_, u64> {
        unimplemented!()
    }
}
