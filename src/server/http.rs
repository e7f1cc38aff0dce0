//! The server's HTTP face (axum): thin handlers that pass bytes to the service, and the
//! limits as tower layers (body size, concurrency, time).
//!
//! Routes: `POST /v1/enroll`, `POST /v1/sync` (frames of `sync::wire`), `GET /v1/health`.
//! Errors are plain text, one line, with a 4xx status saying whose fault it is. The farmer's
//! web pages (`farmer/`: HTML, login, CSRF tokens) are another router merged in `router`, with
//! their own session; the sync routes never take cookies, so CSRF cannot reach them.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::limit::RequestBodyLimitLayer;

use super::service::{ApiError, Service};
use crate::sync::Endpoint;

/// The largest request body: a push batch of a few thousand events compresses to far less.
pub const MAX_BODY: usize = 16 << 20;
/// Requests handled at once; more wait their turn.
pub const MAX_CONCURRENT: usize = 512;

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

async fn health() -> &'static str {
    "ok\n"
}

/// Every route of the server, with its limits; the farmer's pages when `farmers` is given.
pub fn router(service: Arc<Service>, farmers: Option<Arc<super::farmer::FarmerWeb>>) -> Router {
    let mut router = Router::new()
        .route(Endpoint::Enroll.path(), post(enroll))
        .route(Endpoint::Sync.path(), post(sync))
        .route("/v1/health", get(health))
        .with_state(service);
    if let Some(web) = farmers {
        router = router.merge(super::farmer::router(web));
    }
    router
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(MAX_BODY))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(300),
        ))
        .layer(tower::limit::ConcurrencyLimitLayer::new(MAX_CONCURRENT))
}
