//! What a form posted to a page must carry, and how it reads: the session cookie, the same
//! origin, the session's CSRF token; `application/x-www-form-urlencoded` decoded strictly (a
//! broken escape or bytes that are not UTF-8 make the whole form unreadable, never a guess).

use std::collections::HashMap;

use axum::http::{HeaderMap, header};

/// Decodes an `application/x-www-form-urlencoded` body or query: `None` if it is not valid.
pub fn form(text: &str) -> Option<HashMap<String, String>> {
    let mut out = HashMap::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.insert(decode(k)?, decode(v)?);
    }
    Some(out)
}

fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The value of the cookie `name`, if the request carries it.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_owned())
}

/// Compares secrets in a time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    blake3::hash(a.as_bytes()) == blake3::hash(b.as_bytes())
}

/// A session's CSRF token, derived from its cookie: nothing more to keep, and a form made for
/// one session fails in another.
pub fn csrf_of(id: &str) -> String {
    crate::server::service::token_hash(&format!("csrf:{id}"))[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A POST from another site is refused: its Origin must be this host, and a browser saying
/// the request is cross-site is believed.
pub fn same_origin(headers: &HeaderMap) -> bool {
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site" || v == "same-site")
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin.to_str().ok().and_then(|o| {
        o.strip_prefix("http://")
            .or_else(|| o.strip_prefix("https://"))
    });
    matches!((origin_host, host), (Some(o), Some(h)) if o == h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn decodes_forms_and_refuses_broken_escapes() {
        let f = form("csrf=ab12&commentaire=Pas+de+retour+%C3%A0+l%27IA&x").unwrap();
        assert_eq!(f["commentaire"], "Pas de retour à l'IA");
        assert_eq!(f["csrf"], "ab12");
        assert_eq!(f["x"], "");
        assert!(form("a=%E").is_none());
        assert!(form("a=%ZZ").is_none());
        assert!(form("a=%FF").is_none(), "not UTF-8");
    }

    #[test]
    fn refuses_posts_from_another_origin() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("coop.example"));
        assert!(same_origin(&h), "no Origin: CSRF token and SameSite decide");
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://coop.example"),
        );
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(!same_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(!same_origin(&h));
        h.remove(header::ORIGIN);
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&h));
    }

    #[test]
    fn finds_the_named_cookie_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; tournee_bureau=xyz; b=2"),
        );
        assert_eq!(cookie(&h, "tournee_bureau").as_deref(), Some("xyz"));
        assert_eq!(cookie(&h, "tournee_eleveur"), None);
    }
}
