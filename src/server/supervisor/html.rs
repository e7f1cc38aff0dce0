//! The office's pages as plain HTML strings, in French: tables a desk's screen reads at a
//! glance, forms that work with no script. Every exact figure is also in a `<data>` element's
//! value (seconds), so what the page shows can be checked against `tournee worktime`. Nothing
//! here reads storage.

use std::fmt::Write;

use chrono::NaiveDate;

use super::team::{Member, WeekRow, week_text};
use crate::declare::{Declaration, DeclarationKind, DeclarationStatus, DueState};
use crate::domain::{ReviewDecision, TechnicianId, Visit, Week};
use crate::log::Review;
use crate::server::web::html::{date, esc, kind, page_with};
use crate::worktime::statement::hours_minutes;
use crate::worktime::{DaySheet, Flag, Source, TripEnd, YearCounters};

/// The office's own styles, after the shared sheet: wider, tables, flags in colour.
const HEAD: &str = "<style>body{max-width:72em}table{border-collapse:collapse;width:100%;\
margin:.6em 0}th,td{border-bottom:1px solid #bbb;padding:.35em .5em;text-align:left;\
vertical-align:top}td.n,th.n{text-align:right;white-space:nowrap}.red{color:#a00;font-weight:bold}\
.orange{color:#8a4b00;font-weight:bold}.ok{color:#16621f;font-weight:bold}\
nav a{margin-right:1em}select{font:inherit;min-height:48px}form.inline{display:inline}\
</style>";

/// A page of the office: its title, the navigation and the logout button.
pub fn office(title: &str, csrf: &str, body: &str) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<nav><a href=\"/bureau\">Semaines de l'équipe</a>\
<a href=\"/bureau/declarations\">Déclarations</a>\
<form class=\"inline\" method=\"post\" action=\"/bureau/deconnexion\">\
<input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">Se déconnecter</button>\
</form></nav><h1>{}</h1>{body}",
        esc(csrf),
        esc(title)
    );
    page_with(title, HEAD, &out)
}

/// A duration as a timesheet reads it, with its exact seconds for a machine.
fn time(seconds: u64) -> String {
    format!(
        "<data value=\"{seconds}\">{}</data>",
        hours_minutes(seconds)
    )
}

fn flag_class(f: Flag) -> &'static str {
    match f {
        Flag::Sunday | Flag::PublicHoliday => "orange",
        _ => "red",
    }
}

fn flags(list: &[Flag]) -> String {
    let mut out = String::new();
    for f in list {
        let _ = write!(
            out,
            "<span class=\"{}\" data-flag=\"{}\">{}</span><br>",
            flag_class(*f),
            f.id(),
            esc(f.label_fr())
        );
    }
    out
}

/// Where a week's review stands, in colour.
pub fn review(r: Option<&Review>) -> String {
    match r {
        None => "<span class=\"orange\">À valider</span>".into(),
        Some(r) => match &r.decision {
            ReviewDecision::Approved => {
                format!(
                    "<span class=\"ok\">Validée par {}</span>",
                    esc(r.supervisor.as_str())
                )
            }
            ReviewDecision::SentBack { comment } => format!(
                "<span class=\"red\">Renvoyée par {} : « {} »</span>",
                esc(r.supervisor.as_str()),
                esc(comment)
            ),
        },
    }
}

pub fn week_path(t: &TechnicianId, w: Week) -> String {
    format!("/bureau/semaines/{}/{}", esc(t.as_str()), week_text(w))
}

fn week_label(w: Week, monday: NaiveDate) -> String {
    format!("semaine {} (du {})", w.week, date(monday))
}

/// What the main page shows.
pub struct Overview<'a> {
    pub supervisor: &'a str,
    pub members: &'a [Member],
    /// The weeks offered, newest first, and the one chosen if any.
    pub offered: &'a [(Week, NaiveDate)],
    pub chosen: Option<Week>,
    /// The months offered for statements, newest first, and the one chosen.
    pub months: &'a [NaiveDate],
    pub month: NaiveDate,
    pub flash: Option<&'a str>,
    pub csrf: &'a str,
}

fn month_text(m: NaiveDate) -> String {
    m.format("%Y-%m").to_string()
}

/// `/bureau`: the team's weeks, the year's counters, the statements.
pub fn overview(o: &Overview<'_>) -> String {
    let mut b = String::new();
    if let Some(f) = o.flash {
        let _ = write!(b, "<p class=\"msg\" role=\"status\">{}</p>", esc(f));
    }
    b.push_str(
        "<form method=\"get\" action=\"/bureau\"><label for=\"semaine\">Semaine</label>\
<select id=\"semaine\" name=\"semaine\"><option value=\"\">Cette semaine et la précédente</option>",
    );
    for (w, monday) in o.offered {
        let selected = if o.chosen == Some(*w) {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            b,
            "<option value=\"{}\"{selected}>{}</option>",
            week_text(*w),
            week_label(*w, *monday)
        );
    }
    b.push_str("</select> <button type=\"submit\">Afficher</button></form>");
    b.push_str(
        "<h2>Semaines</h2><table id=\"semaines\"><thead><tr><th>Technicien</th><th>Semaine</th>\
<th class=\"n\">Forfaits</th><th class=\"n\">Trajets</th><th class=\"n\">Autre</th>\
<th class=\"n\">Total</th><th class=\"n\">Moyenne 12 sem.</th><th>Alertes</th><th>Revue</th>\
</tr></thead><tbody>",
    );
    for m in o.members {
        if let Some(e) = &m.error {
            let _ = write!(
                b,
                "<tr><td>{}</td><td colspan=\"8\" class=\"red\">Temps non calculé : {}.</td></tr>",
                esc(&m.name),
                esc(e)
            );
        }
        for WeekRow {
            sheet,
            flags: f,
            review: r,
        } in &m.weeks
        {
            let path = week_path(&m.technician, sheet.week);
            let _ = write!(
                b,
                "<tr data-technician=\"{}\" data-week=\"{}\"><td><a href=\"{path}\">{}</a></td>\
<td><a href=\"{path}\">{}</a></td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
<td class=\"n\">{}</td><td class=\"n total\">{}</td><td class=\"n average\">{}</td><td>{}</td>\
<td>{}</td></tr>",
                esc(m.technician.as_str()),
                week_text(sheet.week),
                esc(&m.name),
                week_label(sheet.week, sheet.monday),
                time(sheet.forfait_seconds),
                time(sheet.travel_seconds),
                time(sheet.other_seconds),
                time(sheet.total_seconds),
                time(sheet.average_seconds),
                flags(f),
                review(r.as_ref()),
            );
        }
    }
    b.push_str("</tbody></table>");

    b.push_str(
        "<h2>Compteurs de l'année</h2><table id=\"annee\"><thead><tr><th>Technicien</th>\
<th>Au</th><th class=\"n\">Travaillé / 1 607 h</th><th class=\"n\">Heures supplémentaires / 180 h</th>\
<th class=\"n\">Dimanches et fériés</th><th class=\"n\">Récupération due</th></tr></thead><tbody>",
    );
    for m in o.members {
        if let Some(y) = &m.year {
            year_row(&mut b, &m.name, y);
        }
    }
    b.push_str("</tbody></table>");

    b.push_str(
        "<h2>Relevés du mois</h2><form method=\"get\" action=\"/bureau\">\
<label for=\"mois\">Mois</label><select id=\"mois\" name=\"mois\">",
    );
    for m in o.months {
        let selected = if *m == o.month { " selected" } else { "" };
        let _ = write!(
            b,
            "<option value=\"{}\"{selected}>{}</option>",
            month_text(*m),
            m.format("%m/%Y")
        );
    }
    let month = month_text(o.month);
    let _ = write!(
        b,
        "</select> <button type=\"submit\">Choisir</button></form><ul>\
<li><a href=\"/bureau/paie/{month}\">Fichier de paie de l'équipe, {} (CSV)</a></li>",
        o.month.format("%m/%Y")
    );
    for m in o.members {
        let _ = write!(
            b,
            "<li><a href=\"/bureau/releve/{}/{month}\">Relevé de {} (PDF)</a> — \
<a href=\"/bureau/techniciens/{}\">visites à venir, réaffecter</a></li>",
            esc(m.technician.as_str()),
            esc(&m.name),
            esc(m.technician.as_str()),
        );
    }
    b.push_str("</ul>");
    office(&format!("Bureau — {}", o.supervisor), o.csrf, &b)
}

fn year_row(b: &mut String, name: &str, y: &YearCounters) {
    let over = |on: bool| {
        if on {
            " class=\"n red\""
        } else {
            " class=\"n\""
        }
    };
    let _ = write!(
        b,
        "<tr><td>{}</td><td>{}</td><td{}>{}</td><td{}>{}</td><td class=\"n\">{}</td>\
<td class=\"n\">{}</td></tr>",
        esc(name),
        date(y.as_of),
        over(y.worked_seconds > y.annual_ceiling_seconds),
        time(y.worked_seconds),
        over(y.over_overtime_allowance),
        time(y.overtime_seconds),
        time(y.sunday_holiday_seconds),
        time(y.recovery_owed_seconds),
    );
}

fn weekday(d: NaiveDate) -> &'static str {
    use chrono::Datelike;
    [
        "Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche",
    ][d.weekday().num_days_from_monday() as usize]
}

fn other_kind(k: crate::domain::OtherTimeKind) -> &'static str {
    use crate::domain::OtherTimeKind::*;
    match k {
        Stock => "cuve et matériel",
        Admin => "administratif",
        Meeting => "réunion",
        Training => "formation",
        Other => "autre",
    }
}

fn source(s: Source) -> &'static str {
    match s {
        Source::FlatRate => "forfait",
        Source::Recorded => "heures relevées",
        Source::KmEstimate => "km relevés à la vitesse moyenne",
        Source::DistanceEstimate => "distance estimée à la vitesse moyenne",
        Source::Declared => "déclaré",
        Source::Missing => "rien pour le calculer (0)",
    }
}

/// What a week's page shows.
pub struct WeekPage<'a> {
    pub technician: &'a TechnicianId,
    pub name: &'a str,
    pub row: &'a WeekRow,
    pub days: Vec<&'a DaySheet>,
    pub farm_name: &'a dyn Fn(&crate::domain::Ede) -> String,
    pub flash: Option<&'a str>,
    pub error: Option<&'a str>,
    pub comment: &'a str,
    pub csrf: &'a str,
}

fn end(
    e: &TripEnd,
    days: &[&DaySheet],
    farm_name: &dyn Fn(&crate::domain::Ede) -> String,
) -> String {
    match e {
        TripEnd::Home => "domicile".into(),
        TripEnd::Visit(id) => days
            .iter()
            .flat_map(|d| &d.visits)
            .find(|v| &v.visit == id)
            .map_or_else(|| id.to_string(), |v| farm_name(&v.farm)),
    }
}

/// `/bureau/semaines/T/W`: the week's days, each day's visits, acts and trips, with where each
/// figure comes from; approve, or send back with a comment.
pub fn week(p: &WeekPage<'_>) -> String {
    let s = &p.row.sheet;
    let mut b = String::new();
    if let Some(f) = p.flash {
        let _ = write!(b, "<p class=\"msg\" role=\"status\">{}</p>", esc(f));
    }
    if let Some(e) = p.error {
        let _ = write!(b, "<p class=\"err\" role=\"alert\">{}</p>", esc(e));
    }
    let _ = write!(
        b,
        "<p id=\"totaux\">Forfaits {} · trajets {} · autre {} · <strong>total {}</strong> · \
moyenne sur 12 semaines {}</p><div>{}</div><p id=\"revue\">Revue : {}</p>",
        time(s.forfait_seconds),
        time(s.travel_seconds),
        time(s.other_seconds),
        time(s.total_seconds),
        time(s.average_seconds),
        flags(&p.row.flags),
        review(p.row.review.as_ref()),
    );
    let action = week_path(p.technician, s.week);
    let _ = write!(
        b,
        "<form method=\"post\" action=\"{action}/valider\"><input type=\"hidden\" name=\"csrf\" \
value=\"{csrf}\"><button type=\"submit\">Valider la semaine</button></form>\
<form method=\"post\" action=\"{action}/renvoyer\"><input type=\"hidden\" name=\"csrf\" \
value=\"{csrf}\"><label for=\"commentaire\">Commentaire (obligatoire pour renvoyer)</label>\
<textarea id=\"commentaire\" name=\"commentaire\" rows=\"3\" required>{}</textarea>\
<button type=\"submit\">Renvoyer avec ce commentaire</button></form>",
        esc(p.comment),
        csrf = esc(p.csrf)
    );
    for d in &p.days {
        let _ = write!(
            b,
            "<h2 id=\"jour-{}\">{} {}</h2><p>Forfaits {} · trajets {} · autre {} · \
<strong>total <span class=\"day-total\">{}</span></strong>{}</p><div>{}</div>",
            d.date,
            weekday(d.date),
            date(d.date),
            time(d.forfait_seconds),
            time(d.travel_seconds),
            time(d.other_seconds),
            time(d.total_seconds),
            d.span.as_ref().map_or(String::new(), |sp| format!(
                " · de {} à {}",
                crate::domain::paris_time(&sp.start).format("%H:%M"),
                crate::domain::paris_time(&sp.end).format("%H:%M")
            )),
            flags(&d.flags),
        );
        if d.visits.is_empty() && d.travel.is_empty() && d.declared.is_empty() {
            b.push_str("<p>Rien d'enregistré.</p>");
            continue;
        }
        b.push_str(
            "<table><thead><tr><th>Quoi</th><th class=\"n\">Compté</th><th>D'où vient le chiffre</th>\
</tr></thead><tbody>",
        );
        for v in &d.visits {
            let _ = write!(
                b,
                "<tr><td><strong>{}</strong> (visite {})</td><td class=\"n\">{}</td><td>{}</td></tr>",
                esc(&(p.farm_name)(&v.farm)),
                esc(v.visit.as_str()),
                time(v.counted_seconds),
                source(v.source)
            );
            for a in &v.acts {
                let _ = write!(
                    b,
                    "<tr><td>&nbsp;&nbsp;{} × {}</td><td class=\"n\">{}</td><td>forfait de l'acte</td></tr>",
                    a.count,
                    esc(kind(a.kind)),
                    time(u64::from(a.seconds))
                );
            }
        }
        for l in &d.travel {
            let km = l.km.map_or(String::new(), |k| {
                format!(", {} km", format!("{k:.1}").replace('.', ","))
            });
            let _ = write!(
                b,
                "<tr><td>Trajet {} → {}{km}</td><td class=\"n\">{}</td><td>{}{}</td></tr>",
                esc(&end(&l.from, &p.days, p.farm_name)),
                esc(&end(&l.to, &p.days, p.farm_name)),
                time(if l.counted { l.seconds } else { 0 }),
                source(l.source),
                if l.counted {
                    ""
                } else {
                    " (non compté : trajet domicile)"
                }
            );
        }
        for l in &d.declared {
            let _ = write!(
                b,
                "<tr><td>Temps déclaré : {}{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                other_kind(l.kind),
                l.note
                    .as_deref()
                    .map_or(String::new(), |n| format!(" — {}", esc(n))),
                time(l.seconds),
                source(l.source)
            );
        }
        b.push_str("</tbody></table>");
    }
    office(
        &format!("{} — {}", p.name, week_label(s.week, s.monday)),
        p.csrf,
        &b,
    )
}

/// `/bureau/techniciens/T`: the visits still to do over the coming days, each (or each day)
/// given to another technician of the team.
pub fn coming(
    name: &str,
    technician: &TechnicianId,
    days: &[(NaiveDate, Vec<Visit>)],
    others: &[(TechnicianId, String)],
    farm_name: &dyn Fn(&crate::domain::Ede) -> String,
    flash: Option<&str>,
    csrf: &str,
) -> String {
    let mut b = String::new();
    if let Some(f) = flash {
        let _ = write!(b, "<p class=\"msg\" role=\"status\">{}</p>", esc(f));
    }
    let select = |id: &str| {
        let mut s =
            format!("<label for=\"{id}\">Donner à</label><select id=\"{id}\" name=\"vers\">");
        for (t, n) in others {
            let _ = write!(
                s,
                "<option value=\"{}\">{}</option>",
                esc(t.as_str()),
                esc(n)
            );
        }
        s.push_str("</select>");
        s
    };
    if days.is_empty() {
        b.push_str("<p>Aucune visite à faire dans les 7 jours.</p>");
    }
    for (day, visits) in days {
        let _ = write!(
            b,
            "<h2>{}</h2><form method=\"post\" action=\"/bureau/reaffecter\">\
<input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"technicien\" \
value=\"{}\"><input type=\"hidden\" name=\"jour\" value=\"{day}\">{}\
<button type=\"submit\">Donner toute la journée</button></form><ul>",
            date(*day),
            esc(csrf),
            esc(technician.as_str()),
            select(&format!("vers-{day}"))
        );
        for v in visits {
            let _ = write!(
                b,
                "<li>{} (visite {})<form method=\"post\" action=\"/bureau/reaffecter\">\
<input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"visite\" \
value=\"{}\">{}<button type=\"submit\">Donner cette visite</button></form></li>",
                esc(&farm_name(&v.farm)),
                esc(v.id.as_str()),
                esc(csrf),
                esc(v.id.as_str()),
                select(&format!("vers-{}", esc(v.id.as_str())))
            );
        }
        b.push_str("</ul>");
    }
    office(&format!("{name} — visites à venir"), csrf, &b)
}

/// `/bureau/declarations`: the team's queue, late first.
pub fn declarations(
    rows: &[(Declaration, String, Option<String>)],
    today: NaiveDate,
    csrf: &str,
) -> String {
    let mut b = String::from(
        "<p><a href=\"/bureau/declarations/export\">Télécharger les déclarations prêtes \
(CSV)</a></p><table id=\"declarations\"><thead><tr><th>Acte</th><th>Technicien</th>\
<th>Insémination</th><th>À déclarer avant le</th><th>État</th><th>Type</th></tr></thead><tbody>",
    );
    for (d, name, incomplete) in rows {
        let state = match (&d.status, d.due_state(today)) {
            (DeclarationStatus::Refused { reason, .. }, _) => {
                format!("<span class=\"red\">Refusée : {}</span>", esc(reason))
            }
            (DeclarationStatus::Sent { batch }, _) => {
                format!("Envoyée (lot {}), en attente de réponse", esc(batch))
            }
            (_, DueState::Late) => "<span class=\"red\">En retard</span>".into(),
            (_, DueState::DueSoon) => "<span class=\"orange\">À envoyer sous 3 jours</span>".into(),
            _ => "À envoyer".into(),
        };
        let state = match incomplete {
            Some(field) => format!(
                "{state}<br><span class=\"red\">Incomplète : {}</span>",
                esc(field)
            ),
            None => state,
        };
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{state}</td><td>{}</td></tr>",
            esc(d.act.as_str()),
            esc(name),
            date(d.date),
            date(d.deadline()),
            match d.kind {
                DeclarationKind::Initial => "première déclaration",
                DeclarationKind::Correction { .. } => "correction",
                DeclarationKind::Cancellation => "annulation",
            }
        );
    }
    b.push_str("</tbody></table>");
    office("Déclarations de l'équipe", csrf, &b)
}
