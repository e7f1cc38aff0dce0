//! The pages' shell as plain HTML strings, in French: small (no script, one inline style
//! sheet) so they open fast on a cheap phone on a slow link or an old office PC, with
//! `lang="fr"`, labels and large targets. Every text from the data goes through `esc`.

use chrono::NaiveDate;

use crate::domain::ActKind;

/// Escapes text for HTML content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:18px/1.5 sans-serif;margin:0 auto;max-width:40em;padding:0 .8em;\
color:#111}h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.5em}a{color:#0645ad}\
ul{padding-left:1.2em}li{margin:.5em 0}.visit,.report{display:block;padding:.8em;border:1px solid #999;\
border-radius:6px;margin:.6em 0;text-decoration:none;color:#111}\
button,input,textarea{font:inherit}button{min-height:48px;min-width:48px;padding:.4em 1.2em;\
margin:.4em 0}textarea,input[type=text]{width:100%;box-sizing:border-box;min-height:48px}\
label{display:block;font-weight:bold;margin-top:.6em}.msg{background:#e6f4ea;padding:.6em}\
.err{background:#fde8e8;padding:.6em}";

/// A whole page around `body`.
pub fn page(title: &str, body: &str) -> String {
    page_with(title, "", body)
}

/// A whole page, with more in its head after the shared style sheet (a refresh, a page's
/// own styles, which win over the shared ones: the page has no script).
pub fn page_with(title: &str, head: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{} — Tournée</title><style>{STYLE}</style>{head}</head><body>{body}</body></html>\n",
        esc(title)
    )
}

/// The login form of a page: the code from the link, sent by POST so that a link preview (a
/// messaging app fetching the URL) does not spend the one-time code.
pub fn login(kind: &super::session::Kind, code: &str, error: Option<&str>) -> String {
    let mut body = format!("<h1>{}</h1>", esc(kind.title));
    if let Some(e) = error {
        body.push_str(&format!("<p class=\"err\" role=\"alert\">{}</p>", esc(e)));
    }
    body.push_str(&format!(
        "<p>Ce lien vous a été envoyé par votre coopérative. Il ne sert qu'une fois.</p>\
<form method=\"post\" action=\"{}/connexion\">\
<label for=\"jeton\">Code de connexion</label>\
<input type=\"text\" id=\"jeton\" name=\"jeton\" value=\"{}\" autocomplete=\"off\" required>\
<button type=\"submit\">Se connecter</button></form>",
        kind.path,
        esc(code)
    ));
    page("Connexion", &body)
}

/// A page with one message (an error, an expired session).
pub fn message(title: &str, text: &str) -> String {
    page(
        title,
        &format!("<h1>{}</h1><p>{}</p>", esc(title), esc(text)),
    )
}

/// 24/11/2026.
pub fn date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// The act kind as the farmer says it.
pub fn kind(k: ActKind) -> &'static str {
    match k {
        ActKind::IaBovine => "Insémination (vache)",
        ActKind::IaCaprineFrozen => "Insémination chèvre, semence congelée",
        ActKind::IaCaprineFresh => "Insémination chèvre, semence fraîche",
        ActKind::IaOvineFrozen => "Insémination brebis, semence congelée",
        ActKind::IaOvineFresh => "Insémination brebis, semence fraîche",
        ActKind::EchoBovine | ActKind::EchoCaprine | ActKind::EchoOvine | ActKind::EchoPorcine => {
            "Échographie"
        }
        ActKind::SyncBovineSpiral => "Synchronisation (spirale)",
        ActKind::SyncBovineProstaglandin => "Synchronisation (prostaglandine)",
        ActKind::SyncBovineImplant => "Synchronisation (implant)",
        ActKind::GestationPalpation => "Constat de gestation (palper)",
        ActKind::GestationBloodSample => "Constat de gestation (prise de sang)",
        ActKind::SampleGenotyping => "Prélèvement (génotypage)",
        ActKind::SampleOther => "Prélèvement",
        ActKind::EmbryoTransfer => "Transfert embryonnaire",
        ActKind::Scoring => "Pointage",
    }
}
