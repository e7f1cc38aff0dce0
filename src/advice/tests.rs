//! Each definition on hand-made herds: the expected values are worked out by hand beside them.

use chrono::{Days, NaiveDate};

use super::fertility::{Dated, Herd, Selection};
use super::watch::{Reason, to_watch};
use crate::domain::{
    Act, ActId, ActKind, AnimalId, BullId, Ede, InseminationRank, PregnancyResult, TechnicianId,
    VisitId,
};

fn d0() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()
}

fn day(n: u64) -> NaiveDate {
    d0().checked_add_days(Days::new(n)).unwrap()
}

fn cow(n: u32) -> AnimalId {
    AnimalId::parse("animal", &format!("FR53000{n:05}")).unwrap()
}

const ULYSSE: &str = "FR2934119912";
const OTTAWA: &str = "FR5311820264";

/// Builds hand-made herds act by act.
#[derive(Default)]
struct Book {
    acts: Vec<Dated>,
}

impl Book {
    fn act(&mut self, at: u64, technician: &str, mut act: Act) -> &mut Book {
        let n = self.acts.len();
        act.id = ActId::parse("act", &format!("A{n}")).unwrap();
        self.acts.push(Dated {
            day: day(at),
            farm: Ede::parse("ede", "53161001").unwrap(),
            technician: TechnicianId::parse("t", technician).unwrap(),
            act,
        });
        self
    }

    fn service_by(
        &mut self,
        female: u32,
        at: u64,
        rank: InseminationRank,
        bull: &str,
        technician: &str,
    ) -> &mut Book {
        let visit = VisitId::parse("visit", "V1").unwrap();
        let mut a = Act::new(
            ActId::parse("act", "A").unwrap(),
            visit,
            ActKind::IaBovine,
            1,
        );
        a.animals = vec![cow(female)];
        a.bull = Some(BullId::parse("bull", bull).unwrap());
        a.rank = Some(rank);
        self.act(at, technician, a)
    }

    fn ia1(&mut self, female: u32, at: u64) -> &mut Book {
        self.service_by(female, at, InseminationRank::First, ULYSSE, "T01")
    }

    fn repeat(&mut self, female: u32, at: u64) -> &mut Book {
        self.service_by(female, at, InseminationRank::Repeat, ULYSSE, "T01")
    }

    fn check(&mut self, female: u32, at: u64, kind: ActKind, result: PregnancyResult) -> &mut Book {
        let visit = VisitId::parse("visit", "V1").unwrap();
        let mut a = Act::new(ActId::parse("act", "A").unwrap(), visit, kind, 1);
        a.animals = vec![cow(female)];
        a.result = Some(result);
        self.act(at, "T01", a)
    }

    fn herd(&self) -> Herd {
        Herd::new(&self.acts)
    }
}

fn all() -> Selection {
    Selection::default()
}

#[test]
fn doses_of_one_heat_count_as_one_service() {
    // Cow 1: IA1 on day 0 and a second dose on day 1 (the same heat), then day 3 (still within
    // 3 days of the heat's first dose). One service, one IA1.
    // Cow 2: IA1 on day 0, a dose on day 4: 4 days apart, two services (day 4 is a return).
    let mut b = Book::default();
    b.ia1(1, 0).repeat(1, 1).repeat(1, 3).ia1(2, 0).repeat(2, 4);
    let herd = b.herd();
    assert_eq!(herd.females[&cow(1)].services.len(), 1);
    assert_eq!(herd.females[&cow(2)].services.len(), 2);
    let f = herd.figures(&all(), day(0), day(30), day(200));
    // services: cow 1 once, cow 2 twice = 3; IA1: one each = 2
    assert_eq!((f.services, f.first_services), (3, 2));
    // NR56: both eligible (day 0 + 56 <= day 200); cow 1 never came back, cow 2 did on day 4
    assert_eq!((f.nr56.eligible, f.nr56.non_returns), (2, 1));
    assert_eq!(f.nr56.rate, Some(0.5));
}

#[test]
fn returns_on_day_3_4_56_and_57_count_by_the_non_return_windows() {
    // Four cows inseminated (IA1) on day 0, each served again on day 3, 4, 56 or 57.
    // Day 3: same heat, no return for NR56 nor NR90.
    // Day 4: a return within 56 and within 90 days.
    // Day 56: a return within 56 (the window ends on day 56 included) and within 90.
    // Day 57: after NR56's window (a non-return at 56 days), within NR90's (a return).
    let mut b = Book::default();
    for (cow, again) in [(1, 3), (2, 4), (3, 56), (4, 57)] {
        b.ia1(cow, 0).repeat(cow, again);
    }
    let f = b.herd().figures(&all(), day(0), day(0), day(365));
    assert_eq!(f.first_services, 4);
    // NR56: 4 eligible, non-returns: cows 1 and 4 = 2, rate 2/4
    assert_eq!((f.nr56.eligible, f.nr56.non_returns), (4, 2));
    assert_eq!(f.nr56.rate, Some(0.5));
    // NR90: 4 eligible, non-returns: cow 1 only, rate 1/4
    assert_eq!((f.nr90.eligible, f.nr90.non_returns), (4, 1));
    assert_eq!(f.nr90.rate, Some(0.25));
    // The period [day 0, day 0] holds the IA1 only: 4 services, no cow served three times.
    assert_eq!(f.services, 4);
    assert_eq!(
        (f.three_or_more.females, f.three_or_more.with_three_or_more),
        (4, 0)
    );
}

#[test]
fn an_ia1_too_recent_is_not_eligible_and_its_rate_is_absent() {
    // Judged on day 100: cow 1's IA1 on day 45 is 55 days old (45 + 56 = 101 > 100): not yet
    // eligible for NR56. Cow 2's IA1 on day 44 is exactly 56 days old: eligible.
    let mut b = Book::default();
    b.ia1(1, 45);
    let only_recent = b.herd().figures(&all(), day(0), day(60), day(100));
    assert_eq!(only_recent.first_services, 1);
    assert_eq!(
        (only_recent.nr56.eligible, only_recent.nr56.non_returns),
        (0, 0)
    );
    assert_eq!(only_recent.nr56.rate, None);
    assert_eq!(only_recent.nr90.rate, None);
    assert_eq!(only_recent.conception_first.rate, None);
    b.ia1(2, 44);
    let f = b.herd().figures(&all(), day(0), day(60), day(100));
    assert_eq!((f.nr56.eligible, f.nr56.non_returns), (1, 1));
    assert_eq!(f.nr56.rate, Some(1.0));
    // NR90 needs 44 + 90 = 134 <= today: neither is eligible.
    assert_eq!(f.nr90.eligible, 0);
}

#[test]
fn a_check_counts_from_day_28_before_the_next_service_and_a_doubtful_one_is_ignored() {
    use ActKind::{EchoBovine, GestationBloodSample, GestationPalpation};
    use PregnancyResult::{Doubtful, Empty, Pregnant};
    let mut b = Book::default();
    // Cow 1: pregnant on day 27 (too early, ignored), empty on day 28: checked, not pregnant.
    b.ia1(1, 0)
        .check(1, 27, EchoBovine, Pregnant)
        .check(1, 28, EchoBovine, Empty);
    // Cow 2: only a check on day 27: not checked.
    b.ia1(2, 0).check(2, 27, EchoBovine, Empty);
    // Cow 3: doubtful on day 30 (ignored), pregnant by palpation on day 45: checked, pregnant.
    b.ia1(3, 0)
        .check(3, 30, EchoBovine, Doubtful)
        .check(3, 45, GestationPalpation, Pregnant);
    // Cow 4: came back on day 21, then pregnant on day 60: that check is after her next
    // service, so it tells about the repeat, not the IA1: not checked.
    b.ia1(4, 0)
        .repeat(4, 21)
        .check(4, 60, GestationBloodSample, Pregnant);
    // Cow 5: a check on day 121, past the 120 days: not checked.
    b.ia1(5, 0).check(5, 121, EchoBovine, Pregnant);
    // Cow 6: pregnant on day 120 (the last day of the window), empty on day 130: the first
    // check in the window decides, pregnant.
    b.ia1(6, 0)
        .check(6, 120, EchoBovine, Pregnant)
        .check(6, 130, EchoBovine, Empty);
    let f = b.herd().figures(&all(), day(0), day(0), day(400));
    // checked: cows 1, 3, 6 = 3; pregnant: cows 3, 6 = 2; rate 2/3
    assert_eq!(f.first_services, 6);
    assert_eq!(
        (f.conception_first.checked, f.conception_first.pregnant),
        (3, 2)
    );
    assert_eq!(f.conception_first.rate, Some(2.0 / 3.0));
}

#[test]
fn a_check_of_a_lot_names_no_female_and_tells_nothing() {
    let mut b = Book::default();
    b.ia1(1, 0);
    let visit = VisitId::parse("visit", "V1").unwrap();
    let mut lot = Act::new(
        ActId::parse("act", "A").unwrap(),
        visit,
        ActKind::EchoBovine,
        2,
    );
    lot.animals = vec![cow(1), cow(2)];
    lot.result = Some(PregnancyResult::Pregnant);
    b.act(40, "T01", lot);
    let f = b.herd().figures(&all(), day(0), day(0), day(400));
    assert_eq!(f.conception_first.checked, 0);
}

#[test]
fn three_or_more_counts_the_services_of_the_period() {
    let mut b = Book::default();
    // Cow 1: served on days 0, 21 and 44: three services in [0, 60].
    b.ia1(1, 0).repeat(1, 21).repeat(1, 44);
    // Cow 2: days 0, 1 (same heat) and 22: two services.
    b.ia1(2, 0).repeat(2, 1).repeat(2, 22);
    // Cow 3: days 0, 21 and 70: two services in [0, 60], the third after the period.
    b.ia1(3, 0).repeat(3, 21).repeat(3, 70);
    let f = b.herd().figures(&all(), day(0), day(60), day(400));
    // females 3, with three or more: cow 1 = 1, rate 1/3
    assert_eq!(
        (f.three_or_more.females, f.three_or_more.with_three_or_more),
        (3, 1)
    );
    assert_eq!(f.three_or_more.rate, Some(1.0 / 3.0));
    // services: 3 + 2 + 2 = 7, IA1: 3
    assert_eq!((f.services, f.first_services), (7, 3));
}

#[test]
fn a_selection_chooses_the_services_but_returns_count_whoever_served() {
    let mut b = Book::default();
    // Cow 1: IA1 by T01 with Ulysse, back on day 20 served by T02 with Ottawa.
    b.service_by(1, 0, InseminationRank::First, ULYSSE, "T01")
        .service_by(1, 20, InseminationRank::Repeat, OTTAWA, "T02");
    // Cow 2: IA1 by T02 with Ottawa, no return.
    b.service_by(2, 0, InseminationRank::First, OTTAWA, "T02");
    let herd = b.herd();
    let t01 = Selection {
        technician: Some(TechnicianId::parse("t", "T01").unwrap()),
        ..Selection::default()
    };
    // T01: one IA1 (cow 1), which came back: NR56 0 of 1.
    let f = herd.figures(&t01, day(0), day(60), day(200));
    assert_eq!((f.nr56.eligible, f.nr56.non_returns), (1, 0));
    assert_eq!(f.nr56.rate, Some(0.0));
    // By bull over everyone: Ottawa has cow 2's IA1 (no return) and cow 1's repeat (not an
    // IA1): NR56 1 of 1; Ulysse cow 1's IA1: 0 of 1.
    let by_bull = herd.by_bull(&all(), day(0), day(60), day(200));
    let nr: Vec<(&str, u32, u32)> = by_bull
        .iter()
        .map(|(b, f)| (b.as_str(), f.nr56.eligible, f.nr56.non_returns))
        .collect();
    assert_eq!(nr, vec![(ULYSSE, 1, 0), (OTTAWA, 1, 1)]);
}

#[test]
fn by_month_splits_the_period_at_month_ends() {
    let mut b = Book::default();
    // day 0 = 5 January; day 27 = 1 February; day 30 = 4 February.
    b.ia1(1, 0).ia1(2, 27).ia1(3, 30);
    let months = b.herd().by_month(&all(), day(0), day(40), day(300));
    let counts: Vec<(String, u32)> = months
        .iter()
        .map(|(m, f)| (m.format("%Y-%m").to_string(), f.first_services))
        .collect();
    assert_eq!(
        counts,
        vec![("2026-01".to_owned(), 1), ("2026-02".to_owned(), 2)]
    );
}

#[test]
fn females_to_watch_by_heat_check_and_services() {
    use PregnancyResult::{Empty, Pregnant};
    let mut b = Book::default();
    // Judged on day 100.
    b.ia1(1, 82); // 18 days ago: heat to watch
    b.ia1(2, 76); // 24 days ago: heat to watch
    b.ia1(3, 83); // 17 days ago: nothing yet
    b.ia1(4, 75); // 25 days ago: nothing
    b.ia1(5, 70); // 30 days ago, never checked: check due
    b.ia1(6, 60).check(6, 95, ActKind::EchoBovine, Empty); // checked since: not due
    // Cow 7: pregnant on day 10 (an older cycle), then served on days 20, 41 and 62: three
    // services since, the last 38 days ago: three or more, and her check is due.
    b.ia1(7, 0)
        .check(7, 10, ActKind::EchoBovine, Pregnant)
        .repeat(7, 20)
        .repeat(7, 41)
        .repeat(7, 62);
    let watch = to_watch(&b.herd(), None, day(100));
    let got: Vec<(u32, Reason, i64)> = watch
        .iter()
        .map(|w| {
            let n: u32 = w.animal.as_str()[7..].parse().unwrap();
            (n, w.reason, w.days_since)
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (2, Reason::HeatToWatch, 24),
            (1, Reason::HeatToWatch, 18),
            (7, Reason::CheckDue, 38),
            (5, Reason::CheckDue, 30),
            (7, Reason::ThreeOrMore, 38),
        ]
    );
    assert_eq!(watch.last().unwrap().services, 3);
}

#[test]
fn a_report_gives_the_figures_by_bull_and_month_and_one_csv_row_per_group() {
    let mut b = Book::default();
    b.ia1(1, 0)
        .service_by(2, 30, InseminationRank::First, OTTAWA, "T01");
    let r = super::report(&b.herd(), &all(), day(0), day(40), day(300));
    assert_eq!(r.figures.first_services, 2);
    assert_eq!(r.by_bull.len(), 2);
    assert_eq!(r.by_month.len(), 2);
    let csv = super::to_csv(&r).unwrap();
    // header, the selection, 2 bulls, 2 months
    assert_eq!(csv.lines().count(), 6);
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with("all;;2;2;2;2;1.0000;")
    );
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["nr56"]["eligible"], 2);
    assert_eq!(json["nr56"]["non_returns"], 2);
    assert_eq!(json["conception_first"]["rate"], serde_json::Value::Null);
    assert_eq!(json["by_bull"][0]["bull"], ULYSSE);
    assert_eq!(json["by_month"][1]["month"], "2026-02");
}
