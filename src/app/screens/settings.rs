//! Settings: language, text size, high contrast for sunlight (kept in the tablet's settings
//! file); the technician's identity, licence and home (recorded in the log, so the supervisor,
//! the insemination records and the round planner see the same).

use egui::{RichText, Ui};

use super::{Out, Page, PageCtx, refusal_text};
use crate::app::Screen;
use crate::app::i18n::{I18n, Lang};
use crate::app::kit::{self, Contrast, FieldMessage, TextSize, UiPrefs};
use crate::app::model::{Command, Outcome, SettingsView, Ticket};
use crate::domain::{Location, Technician, TechnicianId, check_text};

/// The identity form, filled from the store once, then as typed.
#[derive(Debug, Clone, Default)]
pub struct SettingsForm {
    /// Whether the fields were filled from the store's record.
    pub loaded: bool,
    pub id: String,
    pub id_refused: Option<String>,
    pub name: String,
    pub name_refused: Option<String>,
    pub licence: String,
    pub licence_refused: Option<String>,
    pub lat: String,
    pub lon: String,
    pub home_refused: Option<String>,
    pub awaiting: Option<Ticket>,
    pub saved: bool,
    pub refused: Option<String>,
}

/// The settings screen: the view last built for it, its form and the server's.
#[derive(Debug, Clone, Default)]
pub struct SettingsPage {
    pub view: Option<SettingsView>,
    pub form: SettingsForm,
    /// The cooperative's server, at the bottom.
    pub server: super::server::ServerForm,
}

impl Page for SettingsPage {
    fn show(&mut self, ui: &mut Ui, _: &Screen, ctx: &mut PageCtx) {
        let i18n = ctx.i18n;
        show(
            ui,
            i18n,
            ctx.prefs,
            self.view.as_ref(),
            &mut self.form,
            &mut ctx.out,
        );
        reader_section(ui, i18n, ctx.reader);
        let server = &mut self.server;
        super::server::show(ui, i18n, ctx.sync, ctx.sync_info, server, &mut ctx.out);
    }
}

pub fn show(
    ui: &mut Ui,
    i18n: &I18n,
    prefs: &mut UiPrefs,
    view: Option<&SettingsView>,
    form: &mut SettingsForm,
    out: &mut Out,
) {
    if let Some(outcome) = out.answer(&mut form.awaiting) {
        match outcome {
            Outcome::Saved { .. } => form.saved = true,
            Outcome::Refused(r) => form.refused = Some(refusal_text(i18n, &r)),
        }
    }
    kit::section_heading(ui, i18n.t("settings.language"));
    ui.horizontal_wrapped(|ui| {
        for lang in Lang::ALL {
            if kit::choice_button(ui, prefs.lang == lang, lang.native_name()).clicked() {
                prefs.lang = lang;
            }
        }
    });

    kit::section_heading(ui, i18n.t("settings.text_size"));
    ui.horizontal_wrapped(|ui| {
        for size in TextSize::ALL {
            let label = match size {
                TextSize::Normal => i18n.t("settings.text_normal"),
                TextSize::Large => i18n.t("settings.text_large"),
                TextSize::Larger => i18n.t("settings.text_larger"),
            };
            if kit::choice_button(ui, prefs.text_size == size, label).clicked() {
                prefs.text_size = size;
            }
        }
    });

    kit::section_heading(ui, i18n.t("settings.contrast"));
    ui.horizontal_wrapped(|ui| {
        for (contrast, label) in [
            (Contrast::Normal, i18n.t("settings.contrast_normal")),
            (Contrast::High, i18n.t("settings.contrast_high")),
        ] {
            if kit::choice_button(ui, prefs.contrast == contrast, label).clicked() {
                prefs.contrast = contrast;
            }
        }
    });
    ui.label(RichText::new(i18n.t("settings.contrast_hint")).weak());

    if let Some(view) = view {
        identity(ui, i18n, view, form, out);
    }
}

fn fill(i18n: &I18n, form: &mut SettingsForm, t: &Technician) {
    form.id = t.id.to_string();
    form.name = t.name.clone();
    form.licence = t.licence.clone().unwrap_or_default();
    if let Some(home) = t.home {
        // Written as the user writes decimals (48,1325 in French), without digit grouping.
        let decimal = |v: f64| {
            v.to_string()
                .replace('.', i18n.t("format.decimal_separator"))
        };
        form.lat = decimal(home.lat);
        form.lon = decimal(home.lon);
    }
}

/// A coordinate typed the French way (`48,1325`) or the English way.
fn coordinate(text: &str) -> Option<f64> {
    text.trim().replace(',', ".").parse().ok()
}

fn identity(ui: &mut Ui, i18n: &I18n, view: &SettingsView, form: &mut SettingsForm, out: &mut Out) {
    if !form.loaded {
        form.loaded = true;
        if let Some(t) = &view.technician {
            fill(i18n, form, t);
        }
    }
    kit::section_heading(ui, i18n.t("settings.identity"));
    if let Some(c) = &view.company {
        ui.label(RichText::new(i18n.tf("settings.company", &[("name", c)])).weak());
    }
    let mut edited = false;
    let mut field = |ui: &mut Ui, label: &str, value: &mut String, refused: &Option<String>| {
        edited |= kit::checked_text_field(ui, label, value, "", refused.as_deref()).changed();
    };
    field(
        ui,
        i18n.t("settings.technician_id"),
        &mut form.id,
        &form.id_refused,
    );
    field(
        ui,
        i18n.t("settings.name"),
        &mut form.name,
        &form.name_refused,
    );
    field(
        ui,
        i18n.t("settings.licence"),
        &mut form.licence,
        &form.licence_refused,
    );
    field(ui, i18n.t("settings.home_lat"), &mut form.lat, &None);
    field(
        ui,
        i18n.t("settings.home_lon"),
        &mut form.lon,
        &form.home_refused,
    );
    if edited {
        form.saved = false;
    }
    if let Some(r) = &form.refused {
        kit::field_message(ui, &FieldMessage::Error(r.clone()));
    }
    if form.saved {
        kit::field_message(
            ui,
            &FieldMessage::Ok(i18n.t("settings.identity_saved").to_owned()),
        );
    }
    let busy = form.awaiting.is_some();
    if kit::primary_button(ui, i18n.t("settings.save_identity"), !busy).clicked() {
        save(i18n, form, out);
    }
    ui.label(RichText::new(i18n.tf("settings.data_dir", &[("dir", &view.data_dir)])).weak());
}

fn save(i18n: &I18n, form: &mut SettingsForm, out: &mut Out) {
    form.refused = None;
    form.saved = false;
    let id = TechnicianId::parse("technician.id", form.id.trim());
    form.id_refused = id
        .is_err()
        .then(|| i18n.t("settings.id_invalid").to_owned());
    form.name_refused = check_text("name", form.name.trim(), 1)
        .is_err()
        .then(|| i18n.t("settings.name_empty").to_owned());
    let licence = Some(form.licence.trim().to_owned()).filter(|l| !l.is_empty());
    form.licence_refused = licence
        .as_deref()
        .is_some_and(|l| crate::domain::farm::check_code("licence", l).is_err())
        .then(|| i18n.t("settings.licence_invalid").to_owned());
    let home = match (form.lat.trim().is_empty(), form.lon.trim().is_empty()) {
        (true, true) => Ok(None),
        _ => match (coordinate(&form.lat), coordinate(&form.lon)) {
            (Some(lat), Some(lon)) => {
                let l = Location { lat, lon };
                l.validate("home").map(|()| Some(l)).map_err(|_| ())
            }
            _ => Err(()),
        },
    };
    form.home_refused = home
        .is_err()
        .then(|| i18n.t("settings.home_invalid").to_owned());
    if let (Ok(id), Ok(home), None, None) = (id, home, &form.name_refused, &form.licence_refused) {
        form.awaiting = Some(out.send(Command::SaveTechnician(Technician {
            id,
            name: form.name.trim().to_owned(),
            home,
            licence,
        })));
    }
}

/// The tag reader: the one found and its port, or that none answers, or that it was lost;
/// the last tag read and what it gives; the port and speed to use; and a test mode listing
/// every line read.
pub fn reader_section(ui: &mut Ui, i18n: &I18n, reader: &mut crate::app::eid::ReaderState) {
    use crate::app::eid::ReaderStatus;
    kit::section_heading(ui, i18n.t("eid.settings_heading"));
    match &reader.status {
        ReaderStatus::Off => {
            ui.label(RichText::new(i18n.t("eid.off")).weak());
        }
        // Every state says where it looks on a second line, so the buttons below do not move
        // under a finger as the reader comes and goes.
        ReaderStatus::Searching => {
            kit::field_message(ui, &FieldMessage::Hint(i18n.t("eid.searching").to_owned()));
            let port = match &reader.choice.port {
                Some(p) => p.display().to_string(),
                None => i18n.t("eid.port_auto").to_owned(),
            };
            ui.label(i18n.tf("eid.port", &[("port", &port)]));
        }
        ReaderStatus::Listening { ports } => {
            kit::field_message(
                ui,
                &FieldMessage::Hint(i18n.tf("eid.listening", &[("n", &ports.len().to_string())])),
            );
            let names: Vec<String> = ports
                .iter()
                .map(|p| {
                    let path = std::path::Path::new(p);
                    path.file_name()
                        .map_or_else(|| p.clone(), |n| n.to_string_lossy().into_owned())
                })
                .collect();
            ui.label(i18n.tf("eid.ports", &[("ports", &names.join(", "))]));
        }
        ReaderStatus::Connected { port, name } => {
            kit::field_message(
                ui,
                &FieldMessage::Ok(i18n.tf("eid.connected", &[("name", name)])),
            );
            ui.label(i18n.tf("eid.port", &[("port", port)]));
        }
        ReaderStatus::Lost { port, reason } => {
            kit::field_message(
                ui,
                &FieldMessage::Error(i18n.tf("eid.lost", &[("reason", reason)])),
            );
            ui.label(i18n.tf("eid.port", &[("port", port)]));
        }
    }
    match &reader.last {
        None => {
            ui.label(RichText::new(i18n.t("eid.none_read")).weak());
        }
        Some(line) => {
            ui.label(i18n.tf("eid.last", &[("read", &read_text(i18n, line))]));
        }
    }
    if reader.auto.is_some() {
        port_choice(ui, i18n, reader);
    }
    if kit::choice_button(ui, reader.test_mode, i18n.t("eid.test_mode")).clicked() {
        reader.test_mode = !reader.test_mode;
        reader.test_lines.clear();
    }
    if reader.test_mode {
        ui.label(RichText::new(i18n.t("eid.test_mode_on")).weak());
        for line in &reader.test_lines {
            ui.label(read_text(i18n, line));
        }
    }
}

/// The port to listen to ("automatic", or one of those found) and the reader's speed, in large
/// buttons; a choice takes effect at once (the app reopens the reader) and is kept.
fn port_choice(ui: &mut Ui, i18n: &I18n, reader: &mut crate::app::eid::ReaderState) {
    use crate::eid::reader::SPEEDS;
    reader.list_ports();
    ui.label(RichText::new(i18n.t("eid.port_heading")).strong());
    let name = |p: &std::path::Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| p.display().to_string())
    };
    let mut chosen = None;
    if kit::choice_button(ui, reader.choice.port.is_none(), i18n.t("eid.port_auto")).clicked() {
        chosen = Some(None);
    }
    let mut ports: Vec<(std::path::PathBuf, String)> =
        reader.ports.iter().map(|p| (p.clone(), name(p))).collect();
    if let Some(p) = &reader.choice.port
        && !reader.ports.contains(p)
    {
        let absent = i18n.tf("eid.port_absent", &[("name", &name(p))]);
        ports.push((p.clone(), absent));
    }
    for (path, label) in ports {
        let selected = reader.choice.port.as_ref() == Some(&path);
        if kit::choice_button(ui, selected, &label).clicked() {
            chosen = Some(Some(path));
        }
    }
    let hint = match &reader.choice.port {
        None if reader.ports.is_empty() => i18n.t("eid.no_ports").to_owned(),
        None => i18n.t("eid.port_auto_hint").to_owned(),
        Some(p) => i18n.tf(
            "eid.port_chosen_hint",
            &[("port", &p.display().to_string())],
        ),
    };
    ui.label(RichText::new(hint).weak());
    if let Some(port) = chosen {
        reader.choice.port = port;
    }

    ui.label(RichText::new(i18n.t("eid.speed_heading")).strong());
    ui.horizontal_wrapped(|ui| {
        for baud in SPEEDS {
            let label = i18n.tf("eid.speed", &[("baud", &baud.to_string())]);
            if kit::choice_button(ui, reader.choice.baud == baud, &label).clicked() {
                reader.choice.baud = baud;
            }
        }
    });
    ui.label(RichText::new(i18n.t("eid.speed_hint")).weak());
}

/// A line read and what it gives: `250 053012312345 → FR 530123 12345`, or why it gives
/// nothing.
pub fn read_text(i18n: &I18n, line: &crate::eid::reader::ReadLine) -> String {
    use crate::eid::National;
    let tag = match &line.tag {
        Ok(t) => t,
        Err(e) => return read_error_text(i18n, &line.raw, e),
    };
    let reading = tag.animal(None);
    let animal = match &reading.national {
        National::One(a) => shown(a),
        National::Ambiguous(c) if c.len() == 2 => i18n.tf(
            "eid.ambiguous",
            &[("cattle", &shown(&c[0])), ("small", &shown(&c[1]))],
        ),
        _ => i18n.t("eid.no_national").to_owned(),
    };
    i18n.tf(
        "eid.read_line",
        &[("code", &tag.display()), ("animal", &animal)],
    )
}

/// A national number written as its tag prints it (10 digits after FR: cattle; 11: sheep
/// and goats).
fn shown(a: &crate::domain::AnimalId) -> String {
    let species = if a.as_str().len() == 12 {
        crate::domain::Species::Bovine
    } else {
        crate::domain::Species::Caprine
    };
    super::animal_text(a, species)
}

/// Why a reader's line gives no tag, in the user's language.
pub fn read_error_text(i18n: &I18n, raw: &str, e: &crate::eid::EidError) -> String {
    use crate::eid::EidError;
    let why = match e {
        EidError::UnknownFormat(_) | EidError::Empty => i18n.t("eid.error_unknown"),
        EidError::Industrial(_) => i18n.t("eid.error_industrial"),
        EidError::NationalTooLarge { .. } | EidError::NoCountry(_) | EidError::AllZeros => {
            i18n.t("eid.error_invalid")
        }
    };
    let raw: String = raw.trim().chars().take(40).collect();
    i18n.tf("eid.unknown", &[("raw", &raw), ("why", why)])
}
