//! The pages' answers: a page, a refusal said in a page, a redirect after a form, a download,
//! and the headers every page carries (`harden`). A handler returns an [`Answer`]: its `?`
//! turns any refusal into the page that says it.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::html;

/// A page or a refusal (boxed: a response is large, and most calls succeed).
pub type Answer = Result<Response, Refused>;

pub struct Refused(pub Box<Response>);

impl From<Response> for Refused {
    fn from(r: Response) -> Refused {
        Refused(Box::new(r))
    }
}

/// The response of an answer, refused or not.
pub fn flatten(answer: Answer) -> Response {
    answer.unwrap_or_else(|r| *r.0)
}

/// An HTML page, never cached.
pub fn page(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// A page that says why nothing was done.
pub fn refusal(status: StatusCode, title: &str, text: &str) -> Response {
    page(status, html::message(title, text))
}

pub fn not_found(title: &str, text: &str) -> Refused {
    refusal(StatusCode::NOT_FOUND, title, text).into()
}

/// Where a form sends the browser once it is done (so a reload does not post it again).
pub fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, location.to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response()
}

/// The server's own failure: logged, and said without its details.
pub fn failure(e: impl std::fmt::Display) -> Response {
    eprintln!("tournee-server: web page: {e}");
    refusal(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Erreur du serveur",
        "Le serveur n'a pas pu répondre. Réessayez dans un moment.",
    )
}

pub fn store_error(e: crate::log::LogError) -> Response {
    failure(e)
}

/// A file the browser saves as `name` (ASCII letters, digits and `-._` only) and never caches.
pub fn download(content_type: &'static str, name: &str, bytes: Vec<u8>) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// A PDF the browser saves as `name`.
pub fn pdf_download(name: &str, pdf: Vec<u8>) -> Response {
    download("application/pdf", name, pdf)
}

/// Headers every page carries: no framing, no scripts, no referrer to other sites (the login
/// link holds a code; `no-referrer` would make browsers send `Origin: null`, which the origin
/// check refuses), no caching of an account's data.
pub async fn harden(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
