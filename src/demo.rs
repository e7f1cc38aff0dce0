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
    /// Days before this one are history: fewer visits on weekdays, none on Saturday (the
    /// months behind a demo week, for the herds' reproduction figures).
    pub quiet_before: Option<NaiveDate>,
    pub quiet_visits_per_day: u32,
    /// Cows in a dairy herd: at least `herd_min`, up to `herd_min + herd_spread - 1`. A pace
    /// of many services needs many cows, else every cow is served again and again.
    pub herd_min: u64,
    pub herd_spread: u64,
}

/// Days of history behind the demo week: twelve months of services, returns and checks, so
/// the farm screens' figures mean something on first start.
pub const HISTORY_DAYS: i64 = 365;

/// A demo week: the six days before `today` done and signed, and `today` planned (a full
/// working day even on a Sunday or a holiday), behind twelve quieter months of history.
pub fn week(today: NaiveDate) -> Records {
    let week_start = today - Duration::days(7);
    generate(
        week_start - Duration::days(HISTORY_DAYS),
        today,
        Pace {
            visits_per_day: 15,
            acts_per_visit: 1.5,
            first_start: 7 * 60,
            last_start: 18 * 60,
            full_saturday: false,
            quiet_before: Some(week_start),
            quiet_visits_per_day: 6,
            herd_min: 40,
            herd_spread: 80,
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
            quiet_before: None,
            quiet_visits_per_day: 0,
            // About 27,000 services a year: some 15,000 cows, for each to be served about
            // as often as a real cow is (1.5 to 2 services a conception, one calf a year).
            herd_min: 160,
            herd_spread: 320,
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
        // The straws the past months used were received then: the tank holds what it did.
        let mut received = tank();
        for line in store.stock(&technician)? {
            let straw = BULLS
                .iter()
                .find(|b| b.0 == line.bull.as_str())
                .and_then(straw);
            if let (Some(straw), Ok(count @ 1..)) = (straw, u32::try_from(line.used)) {
                received.push(Payload::DosesReceived {
                    technician: technician.clone(),
                    straw,
                    count,
                });
            }
        }
        store.append(received)?;
    }
    declare_history(store, today)?;
    plan_today(store, &technician, today)?;
    Ok(summary)
}

/// The inseminations of the months before the demo week were declared in time and accepted:
/// only the week's wait in the queue.
fn declare_history(store: &Store, today: NaiveDate) -> Result<(), LogError> {
    let week_start = today - Duration::days(7);
    let acts: Vec<ActId> = store
        .open_declarations(None)?
        .into_iter()
        .filter(|d| d.date < week_start && d.status == crate::declare::DeclarationStatus::ToSend)
        .map(|d| d.act)
        .collect();
    if acts.is_empty() {
        return Ok(());
    }
    let batch = format!("DEMO-{}", week_start.format("%Y%m%d"));
    store.append(vec![
        Payload::DeclarationsSent {
            batch: batch.clone(),
            acts,
        },
        Payload::DeclarationsAcknowledged {
            batch,
            refused: Vec::new(),
        },
    ])?;
    Ok(())
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
    /// Where each cow of `herd` is in her cycle.
    cows: Vec<Cow>,
    species: Species,
    /// Seeds the farmer's own hand (see [`signature`]).
    hand: u64,
}

/// Where a demo cow is in her cycle: what the next act on her will be.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cow {
    /// Not in calf, waiting for a heat: her next service is an IA1.
    Open,
    /// Served on `on`, her `services`-th insemination since she was last open; back in heat
    /// on `back` (a return), or not (`None`: she conceived, or went to the farm's bull).
    Served {
        on: NaiveDate,
        back: Option<NaiveDate>,
        checked: bool,
        services: u32,
    },
}

/// An urgent call's window opens this many hours before the generator's own arrival...
const WINDOW_BEFORE_HOURS: i64 = 2;
/// ... and lasts this long.
const WINDOW_HOURS: u32 = 5;

/// A cow in calf calves and is served again about this long after her service.
const CALVING_INTERVAL_DAYS: i64 = 360;
/// A heat the farmer saw lasts this long: the technician comes within it.
const HEAT_DAYS: i64 = 2;

impl DemoFarm {
    /// Moves the herd to `day`: a heat nobody saw comes back three weeks later, a cow in calf
    /// calves and is open again.
    fn advance(&mut self, day: NaiveDate) {
        for cow in &mut self.cows {
            match cow {
                Cow::Served {
                    back: Some(back), ..
                } => {
                    while *back + Duration::days(HEAT_DAYS) < day {
                        *back += Duration::days(21);
                    }
                }
                Cow::Served { on, back: None, .. }
                    if (day - *on).num_days() > CALVING_INTERVAL_DAYS =>
                {
                    *cow = Cow::Open;
                }
                _ => {}
            }
        }
    }

    /// The first cow in heat on `day` (a return the farmer calls about).
    fn in_heat(&self, day: NaiveDate) -> Option<usize> {
        self.cows.iter().position(|c| {
            matches!(c, Cow::Served { back: Some(b), .. } if *b <= day && day <= *b + Duration::days(HEAT_DAYS))
        })
    }

    /// A cow served 30 to 90 days ago and not checked since, from a random place in the herd.
    fn due_for_check(&self, rng: &mut Rng, day: NaiveDate) -> Option<usize> {
        let n = self.cows.len();
        let start = rng.below(n as u64) as usize;
        (0..n).map(|k| (start + k) % n).find(|&i| {
            matches!(self.cows[i], Cow::Served { on, checked: false, .. }
                if (30..=90).contains(&(day - on).num_days()))
        })
    }

    /// A service of cow `i` on `day`: her fate is drawn now (conceived, or back in heat
    /// later), and her rank follows her state.
    fn serve(&mut self, rng: &mut Rng, i: usize, day: NaiveDate) -> InseminationRank {
        let (rank, services) = match self.cows[i] {
            Cow::Served { services, .. } => (InseminationRank::Repeat, services + 1),
            Cow::Open => (InseminationRank::First, 1),
        };
        // As in a herd of fair fertility: nearly four in ten conceive; a fifth come back at the next
        // heat, 18 to 24 days later; some at the one after or after a loss, 39 to 48 days; a
        // quarter only after two months (heats nobody saw): no return by day 56, yet found
        // empty at the check. This is why NR56 reads higher than conception.
        let mut back = match rng.below(100) {
            0..=37 => None,
            38..=57 => Some(day + Duration::days(18 + rng.below(7) as i64)),
            58..=73 => Some(day + Duration::days(39 + rng.below(10) as i64)),
            _ => Some(day + Duration::days(60 + rng.below(16) as i64)),
        };
        let mut checked = false;
        // After a second insemination that did not take, many farmers turn the cow to their
        // bull (the "taureau de rattrapage"): no more IA on her this time.
        if back.is_some() && services >= 2 && rng.chance(0.5) {
            back = None;
            checked = true;
        }
        self.cows[i] = Cow::Served {
            on: day,
            back,
            checked,
            services,
        };
        rank
    }
}

fn farms(rng: &mut Rng, home: Location, pace: Pace) -> Vec<DemoFarm> {
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
                Species::Bovine => pace.herd_min + rng.below(pace.herd_spread),
                _ => 0,
            };
            let herd: Vec<AnimalId> = (0..herd_size)
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
            let cows = vec![Cow::Open; herd.len()];
            out.push(DemoFarm {
                cows,
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
    farm: &mut DemoFarm,
    visit: &VisitId,
    pace: Pace,
    day: NaiveDate,
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
            Species::Bovine if farm.herd.is_empty() => continue,
            Species::Bovine => {
                let roll = rng.below(100);
                let in_heat = farm.in_heat(day);
                let any_open = farm.cows.contains(&Cow::Open);
                // With no cow to serve, the service asked for becomes a check if one is due.
                let nobody = roll < 62 && in_heat.is_none() && !any_open;
                let check = if (62..92).contains(&roll) || nobody {
                    farm.due_for_check(rng, day)
                } else {
                    None
                };
                if let Some(c) = check {
                    let kind = if rng.chance(0.6) {
                        ActKind::EchoBovine
                    } else {
                        ActKind::GestationPalpation
                    };
                    let Cow::Served { back, checked, .. } = &mut farm.cows[c] else {
                        continue;
                    };
                    // A doubtful result leaves her to check again.
                    let result = if rng.chance(0.05) {
                        PregnancyResult::Doubtful
                    } else if back.is_none() {
                        PregnancyResult::Pregnant
                    } else {
                        PregnancyResult::Empty
                    };
                    *checked = result != PregnancyResult::Doubtful;
                    Act {
                        kind,
                        animals: vec![farm.herd[c].clone()],
                        result: Some(result),
                        ..base
                    }
                } else if roll < 92 {
                    // A cow in heat is the farmer's call; else an open cow's first service.
                    let open: Vec<usize> = (0..farm.cows.len())
                        .filter(|&c| farm.cows[c] == Cow::Open)
                        .collect();
                    let c = match in_heat {
                        Some(c) => c,
                        None if !open.is_empty() => *rng.pick(&open),
                        // Every cow in calf or yet to come back: nobody to serve today.
                        None => continue,
                    };
                    let rank = farm.serve(rng, c, day);
                    let straw = sire_for(rng, Species::Bovine);
                    Act {
                        animals: vec![farm.herd[c].clone()],
                        bull: straw.as_ref().map(|s| s.bull.clone()),
                        straw,
                        rank: Some(rank),
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
                    let cow = rng.pick(&farm.herd).clone();
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
    let mut farms = farms(&mut rng, home, pace);
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
        advice: vec![],
        closed_hours: vec![],
    };
    let mut day = from;
    while day <= today {
        let quiet = pace.quiet_before.is_some_and(|q| day < q);
        let n = match day.weekday() {
            // Today is a working day whatever the calendar says: the demo shows a full round.
            _ if day == today => pace.visits_per_day - 1 + rng.below(3) as u32,
            Weekday::Sun => u32::from(day.iso_week().week().is_multiple_of(3)),
            Weekday::Sat if quiet => 0,
            Weekday::Sat if !pace.full_saturday => pace.visits_per_day / 3,
            _ if quiet => pace.quiet_visits_per_day,
            _ => pace.visits_per_day - 2 + rng.below(5) as u32,
        };
        for f in &mut farms {
            f.advance(day);
        }
        // Farms with a cow in heat call first (in no set order); the rest are the usual calls.
        let mut calling: Vec<usize> = (0..farms.len())
            .filter(|&i| farms[i].in_heat(day).is_some())
            .collect();
        let mut chosen: Vec<usize> = Vec::new();
        while chosen.len() < n as usize && !calling.is_empty() {
            let k = rng.below(calling.len() as u64) as usize;
            chosen.push(calling.swap_remove(k));
        }
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
            let farm = &mut farms[i];
            let id = VisitId::parse("visit", &format!("V{}-{:02}", day.format("%Y%m%d"), k + 1))
                .unwrap_or_else(|_| unreachable!());
            let road_km = (km(here, farm.farm.location) * 1.3 * 10.0).round() / 10.0;
            clock += (road_km / 50.0 * 60.0).round() as i64 + 1;
            let arrival = clock;
            here = farm.farm.location;
            let done = day < today;
            let arrived = if done { at(day, clock) } else { None };
            let acts = acts_for(&mut rng, farm, &id, pace, day, arrived);
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
            // The farmer's window is around when this order arrives (a round the planner
            // can keep: no window of the demo's first screen is missed).
            let window = if urgent && !done {
                let start = (arrival / 60 - WINDOW_BEFORE_HOURS).clamp(7, 15) as u32;
                NaiveTime::from_hms_opt(start, 0, 0).zip(NaiveTime::from_hms_opt(
                    start + WINDOW_HOURS,
                    0,
                    0,
                ))
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

    /// The acts of demo records as the figures read them.
    fn dated(records: &Records) -> Vec<crate::advice::Dated> {
        records
            .visits
            .iter()
            .flat_map(|v| {
                v.acts.iter().map(|a| crate::advice::Dated {
                    day: v.visit.day,
                    farm: v.visit.farm.clone(),
                    technician: v.visit.technician.clone(),
                    act: a.clone(),
                })
            })
            .collect()
    }

    #[test]
    fn the_demo_week_has_months_of_returns_checks_goats_and_ewes() {
        let records = week(today());
        let herd = crate::advice::Herd::new(&dated(&records));
        // Gaps between a cow's services: returns at 18 to 24 days and at 40 to 48 are there.
        let gaps: Vec<i64> = herd
            .females
            .values()
            .flat_map(|f| {
                f.services
                    .windows(2)
                    .map(|w| (w[1].day - w[0].day).num_days())
            })
            .collect();
        let short = gaps.iter().filter(|g| (18..=24).contains(*g)).count();
        let late = gaps.iter().filter(|g| (40..=48).contains(*g)).count();
        assert!(
            short >= 20 && late >= 5,
            "{short} returns at 18-24, {late} at 40-48"
        );
        // Checks of one cow each, pregnant and empty.
        let checks: Vec<_> = herd.females.values().flat_map(|f| &f.checks).collect();
        assert!(checks.iter().any(|c| c.pregnant) && checks.iter().any(|c| !c.pregnant));
        // The figures of the twelve months before the week are measurable.
        let from = today() - Duration::days(7 + HISTORY_DAYS);
        let f = herd.figures(&Default::default(), from, today(), today());
        assert!(f.nr56.eligible >= 100, "{f:?}");
        assert!(f.nr56.rate.is_some_and(|r| r > 0.2 && r < 0.9), "{f:?}");
        assert!(f.conception_first.checked >= 30, "{f:?}");
        assert!(f.three_or_more.with_three_or_more > 0, "{f:?}");
        // Goat and ewe lots are inseminated in the months behind.
        let lots = |kind| {
            records
                .visits
                .iter()
                .flat_map(|v| &v.acts)
                .filter(|a| a.kind == kind)
                .count()
        };
        assert!(lots(ActKind::IaCaprineFrozen) > 10 && lots(ActKind::IaOvineFresh) > 5);
    }

    #[test]
    fn today_is_a_full_working_day_on_a_sunday_and_a_holiday() {
        // 29 November 2026 is a Sunday, 25 December a Friday.
        for day in [(2026, 11, 29), (2026, 12, 25)] {
            let today = NaiveDate::from_ymd_opt(day.0, day.1, day.2).unwrap();
            let records = week(today);
            let planned = records
                .visits
                .iter()
                .filter(|v| v.visit.day == today)
                .count();
            assert!(planned >= 13, "{planned} visits on {today}");
        }
    }

    #[test]
    fn the_demo_round_of_today_keeps_every_window() {
        // A week of "todays", a Sunday and a holiday among them.
        for offset in 0..8 {
            let today = today() + Duration::days(offset);
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(dir.path()).unwrap();
            load(&store, today).unwrap();
            let technician = TechnicianId::parse("t", TECHNICIAN).unwrap();
            let (grid, settings) =
                crate::worktime::company_rules(store.company().unwrap().as_ref()).unwrap();
            let round = crate::tour::day::day_round(&store, &technician, today, &grid, &settings)
                .unwrap()
                .unwrap();
            let windows = round
                .problem
                .visits
                .iter()
                .filter(|v| v.window.is_some())
                .count();
            let plan = crate::tour::plan(&round.problem).unwrap();
            assert!(windows > 0, "{today}: no window to keep");
            assert_eq!(plan.late_seconds(), 0, "{today}: {:?}", plan.violations);
            assert!(plan.unplanned.is_empty(), "{today}: {:?}", plan.unplanned);
        }
    }

    #[test]
    fn loading_the_demo_declares_the_past_months_and_stocks_the_tank() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        load(&store, today()).unwrap();
        let open = store.open_declarations(None).unwrap();
        let week_start = today() - Duration::days(7);
        assert!(!open.is_empty());
        assert!(open.iter().all(|d| d.date >= week_start), "{:?}", open[0]);
        let technician = TechnicianId::parse("t", TECHNICIAN).unwrap();
        for line in store.stock(&technician).unwrap() {
            assert!(line.left() >= 0, "{line:?}");
        }
        // Loading again adds nothing.
        let again = load(&store, today()).unwrap();
        assert_eq!(again, crate::log::ImportSummary::default(), "{again:?}");
    }

    /// The herds' figures over the twelve months before `today()`, as `tournee fertility`
    /// prints them for the whole store.
    fn figures_of_the_year_behind(records: &Records) -> crate::advice::Figures {
        let herd = crate::advice::Herd::new(&dated(records));
        let from = today() - Duration::days(365);
        herd.figures(&Default::default(), from, today(), today())
    }

    /// Rates in the ranges of a herd of fair fertility: NR56 60 to 70 %, conception at IA1
    /// 45 to 60 %, three services or more 10 to 20 % of the cows served, on enough IA1 for the
    /// rate to be the herd's and not chance.
    fn assert_plausible(f: &crate::advice::Figures, what: &str) {
        let rate = |r: Option<f64>| r.unwrap_or(f64::NAN);
        assert!(f.nr56.eligible >= 500, "{what}: {f:?}");
        assert!(f.conception_first.checked >= 200, "{what}: {f:?}");
        assert!(
            (0.60..=0.70).contains(&rate(f.nr56.rate)),
            "{what}: NR56 {f:?}"
        );
        assert!(
            (0.45..=0.60).contains(&rate(f.conception_first.rate)),
            "{what}: conception {f:?}"
        );
        assert!(
            (0.10..=0.20).contains(&rate(f.three_or_more.rate)),
            "{what}: three or more {f:?}"
        );
        // Returns not seen at the first heat make NR56 read above conception, as on farms.
        assert!(
            rate(f.nr56.rate) > rate(f.conception_first.rate),
            "{what}: {f:?}"
        );
    }

    #[test]
    fn the_demo_year_and_the_months_behind_the_week_tell_a_plausible_story() {
        let year = figures_of_the_year_behind(&year(today()));
        // the year serves some 14,000 cows, each about as often as a real cow is served
        assert!(year.three_or_more.females >= 10_000, "{year:?}");
        assert_plausible(&year, "demo --year");
        assert_plausible(&figures_of_the_year_behind(&week(today())), "demo");
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
