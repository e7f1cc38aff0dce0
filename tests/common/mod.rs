//! Fixtures shared by the UI tests: a harness around the whole app, and views built on the demo
//! week (the same data `tournee demo` loads).

#![allow(dead_code)]

use chrono::NaiveDate;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use tournee::app::model::{BullChoice, TodayView, VisitRow, VisitView};
use tournee::app::{AppConfig, Screen, TourneeApp};
use tournee::domain::{BullId, Species, Straw};

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
}

pub fn harness(app: TourneeApp) -> Harness<'static, TourneeApp> {
    Harness::builder()
        .with_size([900.0, 2000.0])
        .build_ui_state(|ui, app: &mut TourneeApp| app.ui(ui), app)
}

/// A visit of today's demo round at a cattle farm, with two bulls in the tank.
pub fn visit_view() -> VisitView {
    let records = tournee::demo::week(today());
    let v = records
        .visits
        .iter()
        .find(|v| {
            v.visit.day == today()
                && records
                    .farms
                    .iter()
                    .any(|f| f.ede == v.visit.farm && f.species.contains(&Species::Bovine))
        })
        .expect("a cattle visit today in the demo week");
    let farm = records
        .farms
        .iter()
        .find(|f| f.ede == v.visit.farm)
        .unwrap();
    VisitView {
        row: VisitRow::build(&v.visit, Some(farm), 0, None),
        species: farm.species.clone(),
        farm_note: None,
        acts: Vec::new(),
        bulls: vec![
            BullChoice {
                straw: straw("FR2934119912", "Urbain", "Prim'Holstein"),
                left: 12,
                used: 30,
            },
            BullChoice {
                straw: straw("FR5634110042", "Vaillant", "Normande"),
                left: 0,
                used: 8,
            },
        ],
        confirmation: None,
        anomalies: Vec::new(),
    }
}

pub fn app_on(screen: impl FnOnce(&VisitView) -> Screen) -> TourneeApp {
    let mut app = TourneeApp::new(AppConfig::default());
    let view = visit_view();
    app.state.screen = screen(&view);
    app.state.views.visit = Some(view);
    app
}

/// Today's round of the demo week, in the order the demo planned it.
pub fn today_view() -> TodayView {
    let records = tournee::demo::week(today());
    let visits = records
        .visits
        .iter()
        .filter(|v| v.visit.day == today())
        .map(|v| {
            let farm = records.farms.iter().find(|f| f.ede == v.visit.farm);
            VisitRow::build(&v.visit, farm, v.acts.len(), v.confirmation.as_ref())
        })
        .collect();
    TodayView {
        day: Some(today()),
        visits,
        store_empty: false,
    }
}

fn straw(bull: &str, name: &str, breed: &str) -> Straw {
    Straw {
        bull: BullId::parse("bull", bull).unwrap(),
        bull_name: name.to_owned(),
        breed: breed.to_owned(),
        centre: None,
        batch: None,
    }
}

/// Taps the one control with this accessible label and lets the app settle.
pub fn tap(h: &mut Harness<'static, TourneeApp>, label: &str) {
    h.get_by_label(label).click();
    h.run();
}
