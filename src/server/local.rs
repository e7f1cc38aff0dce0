//! The sync service called in the same process: the devices the server itself holds (the
//! farmer's web page, the declarations office) sync through it like a tablet, with the same
//! checks, without a network hop. Blocking, like the sync client: call it from a blocking task.

use std::sync::Arc;

use super::service::Service;
use crate::sync::{Endpoint, Reply, SyncClient, Transport, TransportError};

pub struct Local {
    service: Arc<Service>,
    runtime: tokio::runtime::Handle,
}

impl Transport for Local {
    fn post(&self, endpoint: Endpoint, frame: Vec<u8>) -> Result<Reply, TransportError> {
        match self.runtime.block_on(self.service.handle(endpoint, &frame)) {
            Ok(frame) => Ok(Reply {
                frame,
                server_ms: None,
            }),
            Err(e) => Err(TransportError::Refused {
                status: e.status,
                reason: e.reason,
                server_ms: None,
            }),
        }
    }
}

/// A sync client over the service, for a blocking task spawned from the server's runtime.
pub fn client(service: &Arc<Service>) -> SyncClient<Local> {
    SyncClient::new(Local {
        service: service.clone(),
        runtime: tokio::runtime::Handle::current(),
    })
}
