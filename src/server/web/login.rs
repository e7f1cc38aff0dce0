//! Logging in and out of a web page: the form a one-time link opens (the code filled in, sent
//! by POST so that a link preview does not spend it), the code posted, the logout. What each
//! refusal says is the same on every page; which accounts a page opens is its [`Account`].

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::Response;

use super::forms::form;
use super::html;
use super::respond::{Answer, page, refusal, see_other};
use super::session::{Account, LoginRefused, Sessions};

const USED_LINK: &str =
    "Ce lien a déjà servi ou n'existe pas. Demandez un nouveau lien à votre coopérative.";

/// `GET PATH/connexion?jeton=CODE`: the form, the code filled in.
pub async fn form_page<A: Account>(uri: Uri) -> Response {
    let code = uri
        .query()
        .and_then(form)
        .and_then(|mut f| f.remove("jeton"))
        .unwrap_or_default();
    page(StatusCode::OK, html::login(&A::KIND, &code, None))
}

/// `POST PATH/connexion` (`jeton`): the session's cookie and the page's home, or the form
/// again with why the code opens nothing.
pub async fn login<A: Account>(sessions: &Sessions<A>, headers: HeaderMap, body: Bytes) -> Answer {
    let code = std::str::from_utf8(&body)
        .ok()
        .and_then(form)
        .and_then(|mut f| f.remove("jeton"))
        .map(|c| c.trim().to_owned())
        .unwrap_or_default();
    let bad = |text: &str| {
        page(
            StatusCode::FORBIDDEN,
            html::login(&A::KIND, &code, Some(text)),
        )
    };
    let cookie = match sessions.login(&headers, &code).await {
        Ok(c) => c,
        Err(LoginRefused::Origin) => {
            return Err(refusal(
                StatusCode::FORBIDDEN,
                "Connexion refusée",
                "Cette demande de connexion ne vient pas de cette page.",
            )
            .into());
        }
        Err(LoginRefused::Malformed) => {
            return Err(bad(
                "Ce code n'est pas valable : il compte 32 caractères (chiffres et lettres a à f).",
            )
            .into());
        }
        Err(LoginRefused::NotThisPage) => return Err(bad(A::KIND.not_this_page).into()),
        Err(LoginRefused::Used) => return Err(bad(USED_LINK).into()),
        Err(LoginRefused::Failure(r)) => return Err(r),
    };
    let mut answer = see_other(A::KIND.path);
    answer.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(answer)
}

/// `POST PATH/deconnexion` (a form like any other): the session ends here and in the backend.
pub async fn logout<A: Account>(sessions: &Sessions<A>, headers: HeaderMap, body: Bytes) -> Answer {
    let cookie = sessions.logout(&headers, &body).await?;
    let mut answer = refusal(
        StatusCode::OK,
        "Déconnecté",
        "Vous êtes déconnecté. Pour revenir, demandez un nouveau lien à votre coopérative.",
    );
    answer.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(answer)
}
