//! The farmer's pages as plain HTML strings, in French: small (no script, one inline style
//! sheet) so they open fast on a cheap phone on a slow link, with labels, `lang="fr"` and
//! large targets. Every text from the data goes through `esc`; nothing here reads storage.

use std::fmt::Write;

use crate::domain::{
    Act, ArrivalWindow, Confirmation, Farm, InseminationRank, PregnancyResult, Visit, VisitId,
};
use crate::log::VisitNote;
use crate::tour::arrival::between;

pub use crate::server::web::html::{date, esc, kind, page, page_with};

/// How often the visits page reloads itself while a visit of the day is to come, so a
/// farmer waiting in the barn sees the window move without touching the phone.
pub const REFRESH_SECONDS: u32 = 60;

fn result(r: PregnancyResult) -> &'static str {
    match r {
        PregnancyResult::Pregnant => "pleine",
        PregnancyResult::Empty => "vide",
        PregnancyResult::Doubtful => "douteux",
    }
}

/// Where the farmer's confirmation stands.
pub fn status(c: Option<&Confirmation>) -> String {
    match c {
        None => "Pas encore confirmée".into(),
        Some(Confirmation::Signed { signer, .. }) => {
            format!("Signée sur la tablette par {}", esc(signer))
        }
        Some(Confirmation::InstructionsLeft { .. }) => {
            "Consignes laissées : en attente de votre confirmation".into()
        }
        Some(Confirmation::ConfirmedLater { comment, .. }) => match comment {
            Some(c) => format!("Confirmée par vous (« {} »)", esc(c)),
            None => "Confirmée par vous".into(),
        },
        Some(Confirmation::Disputed { comment, .. }) => {
            format!("Contestée par vous : « {} »", esc(comment))
        }
    }
}

/// One line of the visits list.
pub struct VisitLine<'a> {
    pub visit: &'a Visit,
    pub technician: String,
    pub acts: usize,
    pub confirmation: Option<&'a Confirmation>,
}

/// Where one of today's visits stands, for the farmer.
pub enum Arrival {
    /// Planned, no window sent by the tablet yet.
    Planned,
    Window(ArrivalWindow),
    Here,
    Done,
}

/// The farmer's choice of messages, as the page shows it.
pub struct Messages<'a> {
    /// Where messages go now, if the farmer opted in.
    pub to: Option<&'a str>,
    /// What the address field offers when not opted in (the farm's phone).
    pub suggested: &'a str,
    /// Whether the cooperative's server has a gateway to send them.
    pub sending: bool,
}

/// Today's visits: when the technician comes, on the way, here or done; then the choice of
/// messages. Shown above the visits list.
pub fn today(arrivals: &[(String, Arrival)], messages: &Messages, csrf: &str) -> String {
    let mut body = String::new();
    if !arrivals.is_empty() {
        body.push_str("<section id=\"arrivee\" class=\"msg\" aria-label=\"Aujourd'hui\">");
        for (technician, a) in arrivals {
            let who = esc(technician);
            let line = match a {
                Arrival::Planned => {
                    format!("Visite prévue aujourd'hui avec {who} : horaire pas encore connu.")
                }
                Arrival::Window(w) if w.on_the_way => format!(
                    "En route : {who} a quitté l'élevage précédent, arrivée {}.",
                    between(w)
                ),
                Arrival::Window(w) => format!("Passage prévu aujourd'hui {} ({who}).", between(w)),
                Arrival::Here => format!("{who} est arrivé(e) chez vous."),
                Arrival::Done => format!("Visite du jour terminée ({who})."),
            };
            let _ = write!(body, "<p><strong>{line}</strong></p>");
        }
        body.push_str("</section>");
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/eleveur/messages\" id=\"messages\">\
<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(csrf)
    );
    match messages.to {
        Some(to) => {
            let _ = write!(
                body,
                "<p>Vous êtes prévenu(e) de l'heure de passage à : <strong>{}</strong>.</p>\
<input type=\"hidden\" name=\"choix\" value=\"non\">\
<button type=\"submit\">Ne plus être prévenu(e)</button>",
                esc(to)
            );
        }
        None => {
            let _ = write!(
                body,
                "<label for=\"adresse\">Être prévenu(e) de l'heure de passage (SMS ou e-mail)</label>\
<input type=\"text\" id=\"adresse\" name=\"adresse\" value=\"{}\" inputmode=\"tel\" \
autocomplete=\"tel\" required>\
<input type=\"hidden\" name=\"choix\" value=\"oui\">\
<button type=\"submit\">Être prévenu(e)</button>",
                esc(messages.suggested)
            );
        }
    }
    if !messages.sending {
        body.push_str(
            "<p>La coopérative n'envoie pas encore de messages : l'horaire reste affiché ici.</p>",
        );
    }
    body.push_str("</form>");
    body
}

/// The farm's visits, newest first, under `top` (today's arrival and the messages' choice).
pub fn visits(
    farm: &str,
    top: &str,
    refresh: bool,
    lines: &[VisitLine],
    years: &[i32],
    csrf: &str,
) -> String {
    let mut body = format!("<h1>Visites — {}</h1>{top}", esc(farm));
    if !years.is_empty() {
        body.push_str("<nav aria-label=\"Bilans de reproduction\">");
        for y in years {
            let _ = write!(
                body,
                "<a class=\"report\" href=\"/eleveur/bilan/{y}\">Bilan de reproduction {y} (PDF)</a>"
            );
        }
        body.push_str("</nav>");
    }
    if lines.is_empty() {
        body.push_str("<p>Aucune visite pour l'instant.</p>");
    }
    body.push_str("<nav aria-label=\"Visites\">");
    for l in lines {
        let _ = write!(
            body,
            "<a class=\"visit\" href=\"/eleveur/visites/{}\"><strong>{}</strong> — {}<br>\
{} acte{}<br>{}</a>",
            esc(l.visit.id.as_str()),
            date(l.visit.day),
            esc(&l.technician),
            l.acts,
            if l.acts > 1 { "s" } else { "" },
            status(l.confirmation)
        );
    }
    body.push_str("</nav>");
    body.push_str(&logout(csrf));
    let head = if refresh {
        format!("<meta http-equiv=\"refresh\" content=\"{REFRESH_SECONDS}\">")
    } else {
        String::new()
    };
    page_with("Visites", &head, &body)
}

fn logout(csrf: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/eleveur/deconnexion\">\
<input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">Se déconnecter</button>\
</form>",
        esc(csrf)
    )
}

/// What a visit page shows.
pub struct VisitPage<'a> {
    pub farm: Option<&'a Farm>,
    pub visit: &'a Visit,
    pub technician: String,
    pub acts: &'a [Act],
    pub confirmation: Option<&'a Confirmation>,
    pub notes: &'a [VisitNote],
    pub inseminations: bool,
    pub csrf: &'a str,
    pub flash: Option<&'a str>,
    pub error: Option<&'a str>,
    pub comment: &'a str,
}

fn act_line(a: &Act) -> String {
    let mut s = format!("{} — {} animal", kind(a.kind), a.count);
    if a.count > 1 {
        s.push('s');
    }
    if !a.animals.is_empty() {
        let numbers: Vec<&str> = a.animals.iter().map(|x| x.as_str()).collect();
        let _ = write!(s, " ({})", numbers.join(", "));
    }
    if let Some(b) = &a.bull {
        let _ = write!(s, " ; taureau {}", b.as_str());
        if let Some(straw) = &a.straw {
            let breed = crate::domain::breed::breed_label(&straw.breed);
            let _ = write!(s, " ({}, {breed})", straw.bull_name);
        }
    }
    match a.rank {
        Some(InseminationRank::First) => s.push_str(" ; IA1"),
        Some(InseminationRank::Repeat) => s.push_str(" ; IA de retour"),
        None => {}
    }
    if let Some(r) = a.result {
        let _ = write!(s, " ; résultat : {}", result(r));
    }
    if let Some(n) = &a.note {
        let _ = write!(s, " ; note : {n}");
    }
    esc(&s)
}

pub fn visit(p: &VisitPage) -> String {
    let v = p.visit;
    let id = esc(v.id.as_str());
    let farm = p.farm.map(|f| f.name.as_str()).unwrap_or(v.farm.as_str());
    let mut body = format!(
        "<p><a href=\"/eleveur\">← Toutes les visites</a></p><h1>Visite du {}</h1>\
<p>{} ({})<br>Technicien : {}</p>",
        date(v.day),
        esc(farm),
        esc(v.farm.as_str()),
        esc(&p.technician)
    );
    if let Some(f) = p.flash {
        let _ = write!(body, "<p class=\"msg\" role=\"status\">{}</p>", esc(f));
    }
    if let Some(e) = p.error {
        let _ = write!(body, "<p class=\"err\" role=\"alert\">{}</p>", esc(e));
    }
    body.push_str("<h2>Actes</h2>");
    if p.acts.is_empty() {
        body.push_str("<p>Aucun acte enregistré.</p>");
    } else {
        body.push_str("<ul>");
        for a in p.acts {
            let _ = write!(body, "<li>{}</li>", act_line(a));
        }
        body.push_str("</ul>");
    }
    let _ = write!(
        body,
        "<h2>Confirmation</h2><p id=\"etat\">{}</p>",
        status(p.confirmation)
    );
    for n in p.notes {
        if let VisitNote::DisputeAnswer { note } = n {
            let _ = write!(body, "<p>Réponse du technicien : « {} »</p>", esc(note));
        }
    }
    if p.inseminations {
        let _ = write!(
            body,
            "<p><a href=\"/eleveur/visites/{id}/certificat.pdf\">Télécharger le certificat \
d'insémination (PDF)</a></p>"
        );
    }
    let csrf = esc(p.csrf);
    let comment = esc(p.comment);
    let _ = write!(
        body,
        "<h2>Confirmer la visite</h2>\
<form method=\"post\" action=\"/eleveur/visites/{id}/confirmer\">\
<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<label for=\"commentaire-confirmer\">Commentaire (facultatif)</label>\
<textarea id=\"commentaire-confirmer\" name=\"commentaire\" rows=\"2\"></textarea>\
<button type=\"submit\">Confirmer la visite</button></form>\
<h2>Contester la visite</h2>\
<form method=\"post\" action=\"/eleveur/visites/{id}/contester\">\
<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<label for=\"commentaire-contester\">Ce qui ne va pas (obligatoire)</label>\
<textarea id=\"commentaire-contester\" name=\"commentaire\" rows=\"3\" required>{comment}</textarea>\
<button type=\"submit\">Contester la visite</button></form>"
    );
    body.push_str(&logout(p.csrf));
    page(&format!("Visite du {}", date(v.day)), &body)
}

/// The visit's id as it appears in the page's links.
pub fn visit_path(id: &VisitId) -> String {
    format!("/eleveur/visites/{}", id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }
}
