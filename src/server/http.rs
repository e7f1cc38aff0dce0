//! The server's HTTP face (axum): thin handlers that pass bytes to the service, and the
//! limits as tower layers (body size and rate, concurrency, time). Limits on connections
//! (per address, headers' time) are the accept loop's (`listen.rs`).
//!
//! Routes: `POST /v1/enroll`, `POST /v1/sync` (frames of `sync::wire`), `GET /v1/health`.
//! Errors are plain text, one line, with a 4xx status saying whose fault it is. The farmer's
//! web pages (`farmer/`) and the supervisor's office (`supervisor/`: HTML, login, CSRF tokens)
//! are other routers merged in `router`, with their own sessions; the sync routes never take cookies, so CSRF cannot reach them.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::BodyExt;
use tower_http::limit::RequestBodyLimitLayer;

use super::service::{ApiError, Service};
use crate::sync::Endpoint;

/// The largest request body: a push batch of a few thousand events compresses to far less.
pub const MAX_BODY: usize = 16 << 20;
/// Requests handled at once, once their body is in; more wait their turn.
pub const MAX_CONCURRENT: usize = 512;
/// The slowest a body may arrive, after [`BODY_GRACE`], in bytes per second: a GPRS link
/// carries 5 KB/s or more; a client slower than this is holding the connection, not sending.
pub const MIN_BODY_RATE: u64 = 2_048;
/// The time a body has before its rate counts.
pub const BODY_GRACE: Duration = Duration::from_secs(10);
/// The longest a body may take, whatever its rate.
pub const MAX_BODY_TIME: Duration = Duration::from_secs(300);

/// Reads a request's body whole, at [`MIN_BODY_RATE`] at least, before the request takes one
/// of the [`MAX_CONCURRENT`] places: a client trickling its body holds its own connection,
/// never a place a real device needs.
async fn whole_body(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    match read_at_rate(body).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(e) => e.into_response(),
    }
}

async fn read_at_rate(mut body: Body) -> Result<Bytes, ApiError> {
    let start = tokio::time::Instant::now();
    let mut got: Vec<u8> = Vec::new();
    loop {
        // By this time the next byte must be in: the rate is counted over the whole body.
        let allowed =
            BODY_GRACE + Duration::from_millis((got.len() as u64 + 1) * 1_000 / MIN_BODY_RATE);
        let deadline = start + allowed.min(MAX_BODY_TIME);
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => {
                return Err(ApiError::new(
                    408,
                    format!(
                        "the request's body came too slowly ({} bytes in {} s; at least {MIN_BODY_RATE} bytes a second after the first {} s, at most {} s in all)",
                        got.len(),
                        start.elapsed().as_secs(),
                        BODY_GRACE.as_secs(),
                        MAX_BODY_TIME.as_secs()
                    ),
                ));
            }
            Ok(None) => return Ok(Bytes::from(got)),
            Ok(Some(frame)) => frame,
        };
        match frame {
            Ok(frame) => {
                if let Ok(data) = frame.into_data() {
                    got.extend_from_slice(&data);
                }
            }
            Err(e) => {
                let too_large = e
                    .into_inner()
                    .downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some();
                return Err(if too_large {
                    ApiError::new(413, format!("the request's body is over {MAX_BODY} bytes"))
                } else {
                    ApiError::new(400, "the request's body was cut")
                });
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("{}\n", self.reason),
        )
            .into_response()
    }
}

async fn call(service: &Service, endpoint: Endpoint, body: Bytes) -> Response {
    match service.handle(endpoint, &body).await {
        Ok(frame) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/x-tournee")],
            frame,
        )
            .into_response(),
        Err(e) => {
            if e.status >= 500 {
                eprintln!("tournee-server: {}: {}", endpoint.path(), e.reason);
            }
            e.into_response()
        }
    }
}

async fn enroll(State(service): State<Arc<Service>>, body: Bytes) -> Response {
    call(&service, Endpoint::Enroll, body).await
}

async fn sync(State(service): State<Arc<Service>>, body: Bytes) -> Response {
    call(&service, Endpoint::Sync, body).await
}

async fn refusals(State(service): State<Arc<Service>>, body: Bytes) -> Response {
    call(&service, Endpoint::Refusals, body).await
}

async fn health() -> &'static str {
    "ok\n"
}

/// Every route of the server, with its limits; the farmer's pages when `farmers` is given,
/// the supervisor's office when `office` is.
pub fn router(
    service: Arc<Service>,
    farmers: Option<Arc<super::farmer::FarmerWeb>>,
    office: Option<Arc<super::supervisor::OfficeWeb>>,
) -> Router {
    let mut router = Router::new()
        .route(Endpoint::Enroll.path(), post(enroll))
        .route(Endpoint::Sync.path(), post(sync))
        .route(Endpoint::Refusals.path(), post(refusals))
        .route("/v1/health", get(health))
        .with_state(service);
    if let Some(web) = farmers {
        router = router.merge(super::farmer::router(web));
    }
    if let Some(web) = office {
        router = router.merge(super::supervisor::router(web));
    }
    // Outermost last: the size limit, then the body read whole at its minimum rate, and only
    // then a place among those worked on at once, for a bounded time.
    router
        .layer(DefaultBodyLimit::disable())
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(300),
        ))
        .layer(tower::limit::ConcurrencyLimitLayer::new(MAX_CONCURRENT))
        .layer(axum::middleware::from_fn(whole_body))
        .layer(RequestBodyLimitLayer::new(MAX_BODY))
}
