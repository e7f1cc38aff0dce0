//! The farmer's yearly reproduction report as PDF, in French and in plain words: the year's
//! figures with their counts, month by month and bull by bull, the females to watch, and the
//! technician's comments for the year to come. The same document on the tablet and on the
//! farmer's page.

use super::{FertilityReport, ToWatch, fertility::Figures, watch::Reason};
use crate::domain::Farm;
use crate::pdf::{Document, Writer};

/// `62 %`, or a dash when there is nothing to divide.
pub fn percent(rate: Option<f64>) -> String {
    match rate {
        Some(r) => format!("{:.0}\u{202f}%", r * 100.0),
        None => "—".to_owned(),
    }
}

/// `62 % (52 sur 84)`.
fn with_counts(rate: Option<f64>, part: u32, whole: u32) -> String {
    format!("{} ({part} sur {whole})", percent(rate))
}

/// The year's figures said in sentences a farmer can check with a pencil.
pub fn plain_words(f: &Figures) -> Vec<String> {
    let mut out = vec![format!(
        "Inséminations comptées (une par chaleur) : {}, dont premières inséminations (IA1) : {}.",
        f.services, f.first_services
    )];
    out.push(match f.nr56.rate {
        Some(_) => format!(
            "Non-retour à 56 jours : {}. Sur {} IA1 d'au moins 56 jours, {} vaches n'ont pas été réinséminées entre le 4e et le 56e jour.",
            with_counts(f.nr56.rate, f.nr56.non_returns, f.nr56.eligible),
            f.nr56.eligible,
            f.nr56.non_returns
        ),
        None => "Non-retour à 56 jours : pas encore mesurable (aucune IA1 de plus de 56 jours).".to_owned(),
    });
    out.push(match f.nr90.rate {
        Some(_) => format!(
            "Non-retour à 90 jours : {}.",
            with_counts(f.nr90.rate, f.nr90.non_returns, f.nr90.eligible)
        ),
        None => "Non-retour à 90 jours : pas encore mesurable.".to_owned(),
    });
    out.push(match f.conception_first.rate {
        Some(_) => format!(
            "Réussite en IA1 : {}. Sur {} vaches dont la gestation a été constatée entre 28 et 120 jours après l'IA1, {} étaient pleines.",
            with_counts(
                f.conception_first.rate,
                f.conception_first.pregnant,
                f.conception_first.checked
            ),
            f.conception_first.checked,
            f.conception_first.pregnant
        ),
        None => "Réussite en IA1 : aucun constat de gestation après une IA1.".to_owned(),
    });
    out.push(format!(
        "Vaches inséminées 3 fois ou plus : {}.",
        with_counts(
            f.three_or_more.rate,
            f.three_or_more.with_three_or_more,
            f.three_or_more.females
        )
    ));
    out
}

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

fn month_name(month: &str) -> String {
    let m: usize = month
        .get(5..7)
        .and_then(|m| m.parse().ok())
        .unwrap_or_default();
    match MONTHS.get(m.wrapping_sub(1)) {
        Some(name) => format!("{name} {}", month.get(..4).unwrap_or_default()),
        None => month.to_owned(),
    }
}

/// The tables' columns, for B612 at [`TABLE_SIZE`]: a bull's name and number, `120 / 80`,
/// then four `100 % (10 sur 10)`, within the page's 483 points.
const COLS: [f32; 6] = [0.0, 122.0, 160.0, 241.0, 322.0, 403.0];
const TABLE_SIZE: f32 = 8.5;

fn table_header(w: &mut Writer, first: &str) {
    let head = [
        first,
        "IA / IA1",
        "NR56",
        "NR90",
        "Réussite IA1",
        "3 IA et plus",
    ];
    let cells: Vec<(f32, &str)> = COLS.iter().copied().zip(head).collect();
    w.columns(&cells, TABLE_SIZE, true);
}

fn table_row(w: &mut Writer, first: &str, f: &Figures) {
    let values = [
        first.to_owned(),
        format!("{} / {}", f.services, f.first_services),
        with_counts(f.nr56.rate, f.nr56.non_returns, f.nr56.eligible),
        with_counts(f.nr90.rate, f.nr90.non_returns, f.nr90.eligible),
        with_counts(
            f.conception_first.rate,
            f.conception_first.pregnant,
            f.conception_first.checked,
        ),
        with_counts(
            f.three_or_more.rate,
            f.three_or_more.with_three_or_more,
            f.three_or_more.females,
        ),
    ];
    let cells: Vec<(f32, &str)> = COLS
        .iter()
        .copied()
        .zip(values.iter().map(String::as_str))
        .collect();
    w.columns(&cells, TABLE_SIZE, false);
}

/// What the farmer reads for a reason to watch a female.
pub fn reason_fr(w: &ToWatch) -> String {
    match w.reason {
        Reason::HeatToWatch => format!("chaleur à surveiller (IA il y a {} jours)", w.days_since),
        Reason::CheckDue => format!(
            "constat de gestation à faire (IA il y a {} jours)",
            w.days_since
        ),
        Reason::ThreeOrMore => format!("{} IA sans gestation constatée", w.services),
    }
}

/// The yearly report of a farm. `comment` is the technician's advice for the year to come.
pub fn yearly_report(
    farm: &Farm,
    company: &str,
    technician: Option<&str>,
    report: &FertilityReport,
    watch: &[ToWatch],
    comment: Option<&str>,
) -> Document {
    let mut w = Writer::new("Bilan de reproduction", report.today);
    w.line("Bilan de reproduction du troupeau", 16.0, true);
    w.line(
        &format!(
            "{} — EDE {}{} — du {} au {}",
            farm.name,
            farm.ede,
            farm.village
                .as_ref()
                .map(|v| format!(" ({v})"))
                .unwrap_or_default(),
            report.from.format("%d/%m/%Y"),
            report.to.format("%d/%m/%Y"),
        ),
        10.0,
        false,
    );
    w.line(
        &format!(
            "{company}{} — chiffres arrêtés au {}",
            technician
                .map(|t| format!(" — technicien : {t}"))
                .unwrap_or_default(),
            report.today.format("%d/%m/%Y")
        ),
        9.0,
        false,
    );
    w.rule();
    w.line("L'année en quelques mots", 11.0, true);
    for sentence in plain_words(&report.figures) {
        w.line(&sentence, 9.5, false);
    }
    w.gap(4.0);
    w.line(
        "Une insémination compte une fois par chaleur (les doses à moins de 4 jours d'écart sont la même chaleur). Entre parenthèses : le nombre de vaches qui réussissent sur le nombre de vaches comptées.",
        8.0,
        false,
    );
    w.rule();
    w.line("Mois par mois", 11.0, true);
    table_header(&mut w, "Mois");
    for m in &report.by_month {
        table_row(&mut w, &month_name(&m.month), &m.figures);
    }
    w.rule();
    w.line("Taureau par taureau", 11.0, true);
    table_header(&mut w, "Taureau");
    if report.by_bull.is_empty() {
        w.line("Aucune insémination sur la période.", 9.0, false);
    }
    for b in &report.by_bull {
        let name = match &b.name {
            Some(n) => format!("{n} ({})", b.bull),
            None => b.bull.to_string(),
        };
        table_row(&mut w, &name, &b.figures);
    }
    w.rule();
    w.line("Vaches à surveiller", 11.0, true);
    if watch.is_empty() {
        w.line("Aucune pour le moment.", 9.0, false);
    }
    for t in watch {
        w.line(
            &format!(
                "{} (n° de travail {}) : {}",
                t.animal,
                t.animal.work_number(),
                reason_fr(t)
            ),
            9.0,
            false,
        );
    }
    w.rule();
    w.line("Nos axes pour l'année à venir", 11.0, true);
    match comment {
        Some(c) if !c.trim().is_empty() => w.line(c, 10.0, false),
        _ => w.line("(pas de commentaire du technicien)", 9.0, false),
    }
    w.finish()
}
