//! The HTTP transport of the sync client: a small blocking client (ureq, rustls for https),
//! so the app runs sync on a background thread without an async runtime.

use std::time::Duration;

use super::client::{Reply, Transport, TransportError};
use super::protocol::Endpoint;

/// The largest answer read (a pull page is a few MB at most).
const MAX_ANSWER: u64 = 64 << 20;

/// POSTs frames to `{base}/v1/...`.
pub struct HttpTransport {
    base: String,
    agent: ureq::Agent,
}

impl HttpTransport {
    /// `base` is the server's address, e.g. `https://sync.coop.example` (no trailing path).
    pub fn new(base: &str) -> HttpTransport {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(20)))
            .timeout_global(Some(Duration::from_secs(180)))
            .build();
        HttpTransport {
            base: base.trim_end_matches('/').to_owned(),
            agent: ureq::Agent::new_with_config(config),
        }
    }
}

/// The server's clock from the `Date` header (HTTP-date, to the second).
fn server_ms(response: &ureq::http::Response<ureq::Body>) -> Option<u64> {
    let date = response.headers().get("date")?.to_str().ok()?;
    let t = chrono::DateTime::parse_from_rfc2822(date).ok()?;
    u64::try_from(t.timestamp_millis()).ok()
}

impl Transport for HttpTransport {
    fn post(&self, endpoint: Endpoint, frame: Vec<u8>) -> Result<Reply, TransportError> {
        let url = format!("{}{}", self.base, endpoint.path());
        let mut response = self
            .agent
            .post(&url)
            .header("content-type", "application/x-tournee")
            .send(&frame[..])
            .map_err(|e| TransportError::Unreachable(format!("{url}: {e}")))?;
        let server_ms = server_ms(&response);
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_vec()
            .map_err(|e| TransportError::Unreachable(format!("{url}: reading the answer: {e}")))?;
        if status == 200 {
            Ok(Reply {
                frame: body,
                server_ms,
            })
        } else if (400..500).contains(&status) {
            Err(TransportError::Refused {
                status,
                reason: String::from_utf8_lossy(&body).trim().to_owned(),
                server_ms,
            })
        } else {
            Err(TransportError::Unreachable(format!(
                "{url}: status {status}: {}",
                String::from_utf8_lossy(&body).trim()
            )))
        }
    }
}
