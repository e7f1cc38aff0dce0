//! Demo data: one technician's rounds in Mayenne, on real commune coordinates.
//!
//! Deterministic (a fixed seed): the same call gives the same farms, visits and acts, so demo
//! screens, tests and benchmarks agree. Not a simulator of biology: cows are inseminated,
//! checked and synchronised at plausible rates, no more.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Weekday};
use chrono_tz::Europe::Paris;

use crate::domain::{
    Act, ActId, ActKind, AnimalId, BullId, Confirmation, Ede, Farm, InseminationRank, Instant,
    Location, PregnancyResult, Request, Species, Technician, TechnicianId, Urgency, Visit, VisitId,
};
use crate::domain::{Company, Payload, Straw};
use crate::exchange::{Records, VisitRecords};
use crate::log::{ImportSummary, LogError, Store};

const COMMUNES: &str = include_str!("../assets/communes-53-50.csv");

/// The technician of the demo.
pub const TECHNICIAN: &str = "T01";

/// How busy the generated days are.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// Visits on a weekday (Saturday gets a third, Sunday one on-call visit every third week).
    pub visits_per_day: u32,
    /// Average number of acts per visit.
    pub acts_per_visit: f64,
    /// The round leaves home at this many minutes past midnight...
    pub first_start: i64,
    /// ... and no visit starts after this many.
    pub last_start: i64,
    /// Whether Saturday is a full day rather than a morning.
    pub full_saturday: bool,
}

/// A demo week: the six days before `today` done and signed, and `today` planned.
pub fn week(today: NaiveDate) -> Records {
    generate(
        today - Duration::days(7),
        today,
        Pace {
            visits_per_day: 15,
            acts_per_visit: 1.5,
            first_start: 7 * 60,
            last_start: 18 * 60,
            full_saturday: false,
        },
    )
}

/// One technician's year up to the day before `today`, at a pace of about 9,000 visits and
/// 40,000 acts: the size the benchmarks use.
pub fn year(today: NaiveDate) -> Records {
    generate(
        today - Duration::days(365),
        today,
        Pace {
            visits_per_day: 34,
            acts_per_visit: 4.5,
            // Volume matters here, not the shape of the day.
            first_start: 3 * 60,
            last_start: 23 * 60 + 15,
            full_saturday: true,
        },
    )
}

/// A small deterministic generator (SplitMix64): demo data needs repeatability, not quality.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

struct Commune {
    insee: String,
    name: String,
    lat: f64,
    lon: f64,
}

fn communes() -> Vec<Commune> {
    COMMUNES
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            Some(Commune {
                insee: f.first()?.to_string(),
                name: f.get(1)?.to_string(),
                lat: f.get(3)?.parse().ok()?,
                lon: f.get(4)?.parse().ok()?,
            })
        })
        .collect()
}

fn km(a: Location, b: Location) -> f64 {
    // Haversine on a 6371 km sphere; `tour` does the real planning.
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let dla = la2 - la1;
    let dlo = (b.lon - a.lon).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

const HOLDING_PREFIXES: &[&str] = &["GAEC", "EARL", "SCEA", "Ferme", "GAEC", "EARL"];
const HOLDING_NAMES: &[&str] = &[
    "de la Fontaine",
    "du Bocage",
    "des Tilleuls",
    "de la Rivière",
    "du Grand Pré",
    "des Chênes",
    "de la Motte",
    "du Haut Bois",
    "des Landes",
    "de la Croix",
    "du Moulin",
    "des Vergers",
    "de Beauchêne",
    "de la Chapelle",
    "des Noës",
    "du Petit Val",
    "de la Touche",
    "des Rochers",
    "du Plessis",
    "de la Lande",
];

/// Sires of the demo tank: French numbers, the breed code of the arrêté of 7 May 2018 (cattle)
/// or the breed's name (goats, sheep), the sire's name, and the collection centre and batch
/// printed on the straws.
const BULLS: &[(&str, &str, &str, Species)] = &[
    ("FR2934119912", "66", "Ulysse", Species::Bovine),
    ("FR3520482215", "66", "Vitamine", Species::Bovine),
    ("FR5618321744", "66", "Raptor", Species::Bovine),
    ("FR2241193520", "66", "Sancerre", Species::Bovine),
    ("FR5311820264", "56", "Ottawa", Species::Bovine),
    ("FR5032914471", "56", "Roquefort", Species::Bovine),
    ("FR1439217730", "46", "Nectar", Species::Bovine),
    ("FR2549113862", "46", "Perceval", Species::Bovine),
    ("FR7121043095", "38", "Tonnerre", Species::Bovine),
    ("FR7910233041", "Alpine", "Galopin", Species::Caprine),
    ("FR7910255018", "Saanen", "Hercule", Species::Caprine),
    ("FR1220911407", "Lacaune", "Basile", Species::Ovine),
];

/// The straw of a demo sire, as printed.
fn straw(bull: &(&str, &str, &str, Species)) -> Option<Straw> {
    let (id, breed, name, _) = bull;
    Some(Straw {
        bull: BullId::parse("bull", id).ok()?,
        bull_name: (*name).to_owned(),
        breed: (*breed).to_owned(),
        centre: Some("FR 35 001".to_owned()),
        batch: Some(format!("L{}", &id[id.len() - 4..])),
    })
}

/// The company of the demo.
pub fn company() -> Company {
    Company {
        name: "Coopérative d'insémination du Maine".to_owned(),
        approval: "IA-53-001".to_owned(),
        agreement: Some(include_str!("../assets/demo-agreement.toml").to_owned()),
    }
}

/// The demo technician's tank: 30 straws of each cattle sire, 300 of each goat and sheep sire
/// (a lot of goats takes a dose per goat: the demo week alone uses over a hundred).
pub fn tank() -> Vec<Payload> {
    let Ok(technician) = TechnicianId::parse("technician", TECHNICIAN) else {
        return Vec::new();
    };
    BULLS
        .iter()
        .filter_map(|b| {
            let count = if b.3 == Species::Bovine { 30 } else { 300 };
            Some(Payload::DosesReceived {
                technician: technician.clone(),
                straw: straw(b)?,
                count,
            })
        })
        .collect()
}

/// Loads the demo week and the demo tank into a store; loading again adds nothing.
pub fn load(store: &Store, today: NaiveDate) -> Result<ImportSummary, LogError> {
    let summary = store.import(&week(today))?;
    let technician = TechnicianId::parse("technician", TECHNICIAN)?;
    // The week's inseminations already made stock lines (doses used): the tank is missing as
    // long as no straw was ever received.
    if store.stock(&technician)?.iter().all(|l| l.received == 0) {
        store.append(tank())?;
    }
    plan_today(store, &technician, today)?;
    Ok(summary)
}

/// Today's round as the technician planned it this morning (so a call that comes later is
/// offered its best places rather than silently reordering the day). Nothing when the day
/// has an order already, or the company's rules do not read.
fn plan_today(store: &Store, technician: &TechnicianId, today: NaiveDate) -> Result<(), LogError> {
    if store.round_order(technician, today)?.is_some() {
        return Ok(());
    }
    let Ok((grid, settings)) = crate::worktime::company_rules(store.company()?.as_ref()) else {
        return Ok(());
    };
    let Some(round) = crate::tour::day::day_round(store, technician, today, &grid, &settings)?
    else {
        return Ok(());
    };
    let Ok(plan) = crate::tour::plan(&round.problem) else {
        return Ok(());
    };
    let order = plan
        .order()
        .iter()
        .filter_map(|id| VisitId::parse("visit", id).ok())
        .collect();
    store.append(vec![Payload::RoundOrdered {
        technician: technician.clone(),
        day: today,
        order,
    }])?;
    Ok(())
}

fn sire_for(rng: &mut Rng, species: Species) -> Option<Straw> {
    let of_species: Vec<_> = BULLS.iter().filter(|b| b.3 == species).collect();
    if of_species.is_empty() {
        return None;
    }
    let chosen = *rng.pick(&of_species);
    straw(chosen)
}

struct DemoFarm {
    farm: Farm,
    herd: Vec<AnimalId>,
    species: Species,
    /// Seeds the farmer's own hand (see [`signature`]).
    hand: u64,
}

fn farms(rng: &mut Rng, home: Location) -> Vec<DemoFarm> {
    let mut near: Vec<Commune> = communes()
        .into_iter()
        .filter(|c| {
            c.insee.starts_with("53")
                && km(
                    home,
                    Location {
                        lat: c.lat,
                        lon: c.lon,
                    },
                ) < 18.0
        })
        .collect();
    near.sort_by(|a, b| a.insee.cmp(&b.insee));
    let mut out = Vec::new();
    for (i, c) in near.iter().enumerate() {
        for order in 1..=2u32 {
            if order == 2 && i % 3 != 0 {
                continue;
            }
            let species = match out.len() % 17 {
                5 | 12 => Species::Caprine,
                9 => Species::Ovine,
                _ => Species::Bovine,
            };
            let ede = format!("{}{:03}", c.insee, order);
            let Ok(ede) = Ede::parse("ede", &ede) else {
                continue;
            };
            // Farms are a few hundred metres to a few km from the town hall.
            let jitter = |r: &mut Rng| (r.below(2_000) as f64 - 1_000.0) / 40_000.0;
            let location = Location {
                lat: c.lat + jitter(rng),
                lon: c.lon + jitter(rng) * 1.5,
            };
            let name = format!("{} {}", rng.pick(HOLDING_PREFIXES), rng.pick(HOLDING_NAMES));
            let herd_size = match species {
                Species::Bovine => 40 + rng.below(80),
                _ => 0,
            };
            let herd = (0..herd_size)
                .filter_map(|_| {
                    AnimalId::parse("animal", &format!("FR53{:08}", rng.below(100_000_000))).ok()
                })
                .collect();
            // from the holding number, so the farms the demo draws do not change
            let hand = ede
                .as_str()
                .bytes()
                .fold(0xcbf2_9ce4_8422_2325, |h: u64, b| {
                    (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
                });
            out.push(DemoFarm {
                farm: Farm {
                    ede,
                    name,
                    village: Some(c.name.clone()),
                    location,
                    species: vec![species],
                    phone: Some(format!(
                        "02 43 {:02} {:02} {:02}",
                        rng.below(100),
                        rng.below(100),
                        rng.below(100)
                    )),
                    note: None,
                },
                herd,
                species,
                hand,
            });
        }
    }
    out
}

fn at(day: NaiveDate, minutes: i64) -> Option<Instant> {
    let naive = day.and_time(NaiveTime::MIN) + Duration::minutes(minutes);
    Paris
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.fixed_offset())
}

fn acts_for(
    rng: &mut Rng,
    farm: &DemoFarm,
    visit: &VisitId,
    pace: Pace,
    time: Option<Instant>,
) -> Vec<Act> {
    let n = 1 + rng.below((2.0 * pace.acts_per_visit - 1.0).max(1.0) as u64) as usize;
    let mut acts = Vec::with_capacity(n);
    for i in 0..n {
        let id = ActId::nth_of(visit, i);
        let base = Act {
            id,
            visit: visit.clone(),
            kind: ActKind::IaBovine,
            count: 1,
            animals: vec![],
            bull: None,
            straw: None,
            rank: None,
            result: None,
            at: time,
            note: None,
        };
        let act = match farm.species {
            Species::Bovine => {
                let cow = rng.pick(&farm.herd).clone();
                let roll = rng.below(100);
                if roll < 62 {
                    let straw = sire_for(rng, Species::Bovine);
                    Act {
                        animals: vec![cow],
                        bull: straw.as_ref().map(|s| s.bull.clone()),
                        straw,
                        rank: Some(if rng.chance(0.7) {
                            InseminationRank::First
                        } else {
                            InseminationRank::Repeat
                        }),
                        ..base
                    }
                } else if roll < 92 {
                    let kind = if rng.chance(0.6) {
                        ActKind::EchoBovine
                    } else {
                        ActKind::GestationPalpation
                    };
                    let result = match rng.below(20) {
                        0 => PregnancyResult::Doubtful,
                        1..=4 => PregnancyResult::Empty,
                        _ => PregnancyResult::Pregnant,
                    };
                    Act {
                        kind,
                        animals: vec![cow],
                        result: Some(result),
                        ..base
                    }
                } else if roll < 97 {
                    let kind = *rng.pick(&[
                        ActKind::SyncBovineImplant,
                        ActKind::SyncBovineProstaglandin,
                        ActKind::SyncBovineSpiral,
                    ]);
                    let count = 2 + rng.below(6) as u32;
                    let animals = (0..count).map(|_| rng.pick(&farm.herd).clone()).collect();
                    Act {
                        kind,
                        count,
                        animals,
                        ..base
                    }
                } else {
                    Act {
                        kind: ActKind::SampleGenotyping,
                        animals: vec![cow],
                        ..base
                    }
                }
            }
            Species::Caprine | Species::Ovine | Species::Porcine => {
                let (ia, echo, count) = if farm.species == Species::Caprine {
                    (
                        ActKind::IaCaprineFrozen,
                        ActKind::EchoCaprine,
                        8 + rng.below(25) as u32,
                    )
                } else {
                    (
                        ActKind::IaOvineFresh,
                        ActKind::EchoOvine,
                        8 + rng.below(20) as u32,
                    )
                };
                if rng.chance(0.5) {
                    let straw = sire_for(rng, farm.species);
                    Act {
                        kind: ia,
                        count,
                        bull: straw.as_ref().map(|s| s.bull.clone()),
                        straw,
                        ..base
                    }
                } else {
                    Act {
                        kind: echo,
                        count,
                        ..base
                    }
                }
            }
        };
        acts.push(act);
    }
    acts
}

/// A farmer's signature as a hand draws it: each farmer their own shape (from `hand`, the
/// farm's seed), each time a little different (from `rng`): a tremor of a few thousandths of the
/// pad on every point, and the whole drawn a little higher or lower, larger or smaller. 24
/// points, as the pad keeps for a short name and its underline.
fn signature(hand: u64, rng: &mut Rng) -> Vec<Vec<[f32; 2]>> {
    let mut shape = Rng(hand);
    let unit = |r: &mut Rng| (r.next() >> 11) as f32 / (1u64 << 53) as f32;
    let (loops, height, slant) = (
        2.0 + 3.0 * unit(&mut shape),
        0.12 + 0.15 * unit(&mut shape),
        0.02 + 0.06 * unit(&mut shape),
    );
    let phase = std::f32::consts::TAU * unit(&mut shape);
    let underline = 0.72 + 0.12 * unit(&mut shape);
    let mut this_time = Rng(rng.next());
    let (dy, scale) = (
        0.06 * unit(&mut this_time) - 0.03,
        0.92 + 0.16 * unit(&mut this_time),
    );
    let point = |x: f32, y: f32, r: &mut Rng| {
        let tremor = |r: &mut Rng| 0.008 * (unit(r) - 0.5);
        crate::domain::strokes::snap([
            (0.5 + (x - 0.5) * scale + tremor(r)).clamp(0.0, 1.0),
            (0.5 + (y - 0.5) * scale + dy + tremor(r)).clamp(0.0, 1.0),
        ])
    };
    let name = (0..18)
        .map(|i| {
            let t = i as f32 / 17.0;
            let a = phase + t * loops * std::f32::consts::TAU;
            point(
                0.1 + 0.6 * t + slant * a.cos(),
                0.45 + height * a.sin() * (1.0 - 0.4 * t),
                &mut this_time,
            )
        })
        .collect();
    let line = (0..6)
        .map(|i| {
            let t = i as f32 / 5.0;
            point(0.15 + 0.65 * t, underline - 0.04 * t, &mut this_time)
        })
        .collect();
    vec![name, line]
}

/// Visits from `from` (included) to `today` (excluded) done; `today` planned, not started.
fn generate(from: NaiveDate, today: NaiveDate, pace: Pace) -> Records {
    let mut rng = Rng(0x5EED_0053);
    let home = Location {
        lat: 48.1325,
        lon: -0.57073,
    }; // Montsûrs
    let farms = farms(&mut rng, home);
    let technician = Technician {
        id: TechnicianId::parse("technician", TECHNICIAN).unwrap_or_else(|_| unreachable!()),
        name: "Julie Moreau".into(),
        home: Some(home),
        licence: Some("53-0142".into()),
    };
    let mut records = Records {
        company: Some(company()),
        technicians: vec![technician.clone()],
        farms: farms.iter().map(|f| f.farm.clone()).collect(),
        visits: vec![],
    };
    let mut day = from;
    while day <= today {
        let n = match day.weekday() {
            Weekday::Sun => u32::from(day.iso_week().week().is_multiple_of(3)),
            Weekday::Sat if !pace.full_saturday => pace.visits_per_day / 3,
            _ => pace.visits_per_day - 2 + rng.below(5) as u32,
        };
        let mut chosen: Vec<usize> = Vec::new();
        while chosen.len() < n as usize && chosen.len() < farms.len() {
            let i = rng.below(farms.len() as u64) as usize;
            if !chosen.contains(&i) {
                chosen.push(i);
            }
        }
        // Nearest neighbour from home: a plausible order, not an optimised one.
        let mut here = home;
        let mut ordered = Vec::with_capacity(chosen.len());
        while !chosen.is_empty() {
            let (k, _) = chosen
                .iter()
                .enumerate()
                .map(|(k, &i)| (k, km(here, farms[i].farm.location)))
                .fold((0, f64::MAX), |best, c| if c.1 < best.1 { c } else { best });
            let i = chosen.swap_remove(k);
            here = farms[i].farm.location;
            ordered.push(i);
        }
        let mut clock = pace.first_start + rng.below(20) as i64; // minutes since midnight
        let mut lunch = false;
        let mut here = home;
        for (k, &i) in ordered.iter().enumerate() {
            if clock > pace.last_start {
                break; // the day is full: the remaining calls wait for tomorrow
            }
            let farm = &farms[i];
            let id = VisitId::parse("visit", &format!("V{}-{:02}", day.format("%Y%m%d"), k + 1))
                .unwrap_or_else(|_| unreachable!());
            let road_km = (km(here, farm.farm.location) * 1.3 * 10.0).round() / 10.0;
            clock += (road_km / 50.0 * 60.0).round() as i64 + 1;
            here = farm.farm.location;
            let done = day < today;
            let arrived = if done { at(day, clock) } else { None };
            let acts = acts_for(&mut rng, farm, &id, pace, arrived);
            let service: i64 = acts
                .iter()
                .map(|a| {
                    if a.kind == ActKind::IaBovine {
                        5
                    } else {
                        2 + i64::from(a.count) / 2
                    }
                })
                .sum::<i64>()
                + 4;
            clock += service;
            if clock >= 24 * 60 {
                break; // a visit ends on the day it started
            }
            let left = if done { at(day, clock) } else { None };
            if !lunch && clock >= 11 * 60 + 30 {
                lunch = true;
                clock += 45; // the lunch break, before the next drive
            }
            let mut requested: Vec<Request> = Vec::new();
            for a in &acts {
                match requested.iter_mut().find(|r| r.kind == a.kind) {
                    Some(r) => r.count += a.count,
                    None => requested.push(Request {
                        kind: a.kind,
                        count: a.count,
                    }),
                }
            }
            let urgent = acts.iter().any(|a| a.kind.uses_dose()) && rng.chance(0.3);
            let window = if urgent && !done {
                let start = 9 + rng.below(4) as u32;
                NaiveTime::from_hms_opt(start, 0, 0).zip(NaiveTime::from_hms_opt(start + 3, 0, 0))
            } else {
                None
            };
            let confirmation = if done {
                left.map(|t| {
                    if rng.chance(0.85) {
                        Confirmation::Signed {
                            at: t,
                            signer: farm.farm.name.clone(),
                            strokes: signature(farm.hand, &mut rng),
                        }
                    } else {
                        Confirmation::InstructionsLeft { at: t }
                    }
                })
            } else {
                None
            };
            records.visits.push(VisitRecords {
                visit: Visit {
                    id,
                    technician: technician.id.clone(),
                    farm: farm.farm.ede.clone(),
                    day,
                    requested,
                    urgency: if urgent {
                        Urgency::Urgent
                    } else {
                        Urgency::Normal
                    },
                    window,
                    arrived,
                    left,
                    travel_km: if done { Some(road_km) } else { None },
                    note: None,
                },
                acts: if done { acts } else { vec![] },
                confirmation,
            });
        }
        day += Duration::days(1);
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }

    #[test]
    fn demo_week_is_valid_and_deterministic() {
        let a = week(today());
        assert_eq!(a, week(today()));
        assert!(a.farms.len() >= 40, "{} farms", a.farms.len());
        for (i, f) in a.farms.iter().enumerate() {
            f.validate(&format!("farms[{i}]")).unwrap();
        }
        for v in &a.visits {
            v.visit.validate("visit").unwrap();
            for act in &v.acts {
                act.validate("act").unwrap();
            }
        }
        let planned_today = a.visits.iter().filter(|v| v.visit.day == today()).count();
        assert!(planned_today >= 14, "{planned_today} visits today");
        assert!(
            a.visits
                .iter()
                .any(|v| v.visit.urgency == Urgency::Urgent && v.visit.day == today())
        );
        let species: std::collections::BTreeSet<_> =
            a.farms.iter().flat_map(|f| f.species.clone()).collect();
        assert!(species.contains(&Species::Caprine) && species.contains(&Species::Ovine));
    }

    #[test]
    fn demo_year_has_the_size_of_a_technicians_year() {
        let y = year(today());
        let acts: usize = y.visits.iter().map(|v| v.acts.len()).sum();
        assert!(
            (8_000..11_000).contains(&y.visits.len()),
            "{} visits",
            y.visits.len()
        );
        assert!((35_000..48_000).contains(&acts), "{acts} acts");
    }
}
