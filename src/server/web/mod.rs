//! What the server's web pages share: the farmer's page (`/eleveur`, `farmer/`) and the
//! supervisor's office (`/bureau`, `supervisor/`). Both are a device the server holds for the
//! account that logged in, pulling and pushing through the sync service like a tablet.
//!
//! One job a file: `session.rs` the one-time link login and the sessions kept in the backend
//! (so they survive a restart), `login.rs` the login form and logout, `forms.rs` what a POST must carry (same origin, the session's
//! CSRF token) and how its fields read, `respond.rs` the answers (pages, refusals, downloads,
//! the headers every page carries), `html.rs` the page shell and escaping.
//! Not for what a page shows: each page keeps its own handlers and HTML.

pub mod forms;
pub mod html;
pub mod login;
pub mod respond;
pub mod session;
