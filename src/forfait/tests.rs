//! Tests of the flat-rate engine. Expected values are computed by hand from
//! `assets/annexe-i.toml`; each comment shows the arithmetic.

use proptest::prelude::*;

use super::*;
use crate::domain::ActKind::*;

fn annexe() -> Grid {
    Grid::annexe_i().unwrap()
}

#[test]
fn act_kind_indexes_follow_the_list_of_kinds() {
    // The grid indexes rates by `kind as usize`: it must be the position in ActKind::ALL.
    for (i, k) in ActKind::ALL.iter().enumerate() {
        assert_eq!(*k as usize, i, "{k}");
    }
}

#[test]
fn flat_annexe_values_multiply_by_the_lot() {
    let g = annexe();
    // ia_bovine: 390 s (6 min 30 s) per female; 3 cows = 3 × 390 = 1,170 s.
    assert_eq!(g.seconds(IaBovine, 3).unwrap(), 1_170);
    // echo_bovine: 180 s; the average lot of 12 = 12 × 180 = 2,160 s.
    assert_eq!(g.seconds(EchoBovine, 12).unwrap(), 2_160);
    // gestation_palpation: 150 s; 1 cow = 150 s.
    assert_eq!(g.seconds(GestationPalpation, 1).unwrap(), 150);
    // sync_bovine_implant: 240 s; 7 heifers = 1,680 s.
    assert_eq!(g.seconds(SyncBovineImplant, 7).unwrap(), 1_680);
    // echo_caprine: 90 s; echo_ovine: 120 s; echo_porcine: 90 s; 20 of each.
    assert_eq!(g.seconds(EchoCaprine, 20).unwrap(), 1_800);
    assert_eq!(g.seconds(EchoOvine, 20).unwrap(), 2_400);
    assert_eq!(g.seconds(EchoPorcine, 20).unwrap(), 1_800);
    // sync spiral 180 s, prostaglandin 120 s; 5 cows each.
    assert_eq!(g.seconds(SyncBovineSpiral, 5).unwrap(), 900);
    assert_eq!(g.seconds(SyncBovineProstaglandin, 5).unwrap(), 600);
}

#[test]
fn annexe_tiers_are_marginal_brackets() {
    let g = annexe();
    // ia_caprine_frozen: 150 s for goats 1–20, 120 s for 21–40, 90 s from 41.
    // 20 goats: 20 × 150 = 3,000 s.
    assert_eq!(g.seconds(IaCaprineFrozen, 20).unwrap(), 3_000);
    // 21 goats: 3,000 + 1 × 120 = 3,120 s.
    assert_eq!(g.seconds(IaCaprineFrozen, 21).unwrap(), 3_120);
    // 40 goats: 3,000 + 20 × 120 = 5,400 s.
    assert_eq!(g.seconds(IaCaprineFrozen, 40).unwrap(), 5_400);
    // 50 goats (the table's own example): 20 × 150 + 20 × 120 + 10 × 90 = 3,000 + 2,400 + 900.
    assert_eq!(g.seconds(IaCaprineFrozen, 50).unwrap(), 6_300);
    // ia_caprine_fresh, 45 goats: 20 × 120 + 20 × 90 + 5 × 60 = 2,400 + 1,800 + 300 = 4,500 s.
    assert_eq!(g.seconds(IaCaprineFresh, 45).unwrap(), 4_500);
    // ia_ovine_frozen, 7 ewes: 7 × 150 = 1,050 s.
    assert_eq!(g.seconds(IaOvineFrozen, 7).unwrap(), 1_050);
    // ia_ovine_fresh, 40 ewes (its max_lot): 20 × 120 + 20 × 90 = 4,200 s.
    assert_eq!(g.seconds(IaOvineFresh, 40).unwrap(), 4_200);
}

#[test]
fn breakdown_says_which_tier_gave_what() {
    let b = annexe().breakdown(IaCaprineFrozen, 50).unwrap();
    assert_eq!(b.origin, Origin::AnnexeI);
    let parts: Vec<(u32, u32, u32, u32, u32)> = b
        .parts
        .iter()
        .map(|p| (p.from, p.to, p.animals, p.seconds_each, p.seconds))
        .collect();
    assert_eq!(
        parts,
        vec![
            (1, 20, 20, 150, 3_000),
            (21, 40, 20, 120, 2_400),
            (41, 50, 10, 90, 900)
        ]
    );
    assert_eq!(b.seconds, 6_300);
    assert_eq!(b.annexe_i_seconds, Some(6_300));
    // A lot that stops inside the first tier uses that tier only.
    let b = annexe().breakdown(IaCaprineFrozen, 3).unwrap();
    assert_eq!(b.parts.len(), 1);
    assert_eq!((b.parts[0].to, b.seconds), (3, 450));
}

#[test]
fn a_lot_beyond_max_lot_needs_a_company_value() {
    let e = annexe().seconds(IaOvineFresh, 41).unwrap_err();
    assert_eq!(
        e,
        ForfaitError::BeyondTable {
            kind: IaOvineFresh,
            count: 41,
            max_lot: 40
        }
    );
    let text = e.to_string();
    assert!(text.contains("ia_ovine_fresh") && text.contains("41") && text.contains("40"));
}

#[test]
fn acts_without_national_minimum_need_a_company_value() {
    let g = annexe();
    for kind in [
        GestationBloodSample,
        SampleGenotyping,
        SampleOther,
        EmbryoTransfer,
        Scoring,
    ] {
        let e = g.seconds(kind, 1).unwrap_err();
        assert_eq!(e, ForfaitError::NoValue { kind });
        assert!(e.to_string().contains(kind.id()));
    }
}

#[test]
fn empty_or_oversized_lots_are_refused() {
    let g = annexe();
    assert!(matches!(
        g.seconds(IaBovine, 0),
        Err(ForfaitError::Count { count: 0, .. })
    ));
    assert!(matches!(
        g.seconds(IaBovine, MAX_LOT + 1),
        Err(ForfaitError::Count { .. })
    ));
    assert!(g.seconds(IaBovine, MAX_LOT).is_ok());
}

#[test]
fn company_flat_values_replace_annexe_values() {
    let g = Grid::company("[forfait_seconds]\nia_bovine = 420\nembryo_transfer = 1800\n").unwrap();
    // 3 cows at the company's 420 s = 1,260 s.
    assert_eq!(g.seconds(IaBovine, 3).unwrap(), 1_260);
    // 2 embryo transfers at 1,800 s = 3,600 s (no national minimum).
    assert_eq!(g.seconds(EmbryoTransfer, 2).unwrap(), 3_600);
    // Kinds the company does not name keep Annexe I: echo_bovine 4 × 180 = 720 s.
    assert_eq!(g.seconds(EchoBovine, 4).unwrap(), 720);
    let b = g.breakdown(IaBovine, 3).unwrap();
    assert_eq!(
        (b.origin, b.seconds, b.annexe_i_seconds),
        (Origin::Company, 1_260, Some(1_170))
    );
    assert_eq!(
        g.breakdown(EmbryoTransfer, 1).unwrap().annexe_i_seconds,
        None
    );
}

#[test]
fn company_tiers_replace_annexe_tiers() {
    let g = Grid::company(
        "[forfait_tiers]\nia_caprine_frozen = [\n  { from = 1, to = 20, seconds = 160 },\n  { from = 21, to = 40, seconds = 120 },\n  { from = 41, seconds = 90 },\n]\n",
    )
    .unwrap();
    // 50 goats: 20 × 160 + 20 × 120 + 10 × 90 = 3,200 + 2,400 + 900 = 6,500 s.
    assert_eq!(g.seconds(IaCaprineFrozen, 50).unwrap(), 6_500);
}

#[test]
fn a_company_value_extends_a_row_beyond_its_max_lot() {
    // Flat 120 s per ewe: never below Annexe I (120 s then 90 s), and covers any lot.
    let g = Grid::company("[forfait_seconds]\nia_ovine_fresh = 120\n").unwrap();
    // 60 ewes × 120 s = 7,200 s.
    assert_eq!(g.seconds(IaOvineFresh, 60).unwrap(), 7_200);
    // Annexe I's own tiers with the last one left open.
    let g = Grid::company(
        "[forfait_tiers]\nia_ovine_fresh = [{ from = 1, to = 20, seconds = 120 }, { from = 21, seconds = 90 }]\n",
    )
    .unwrap();
    // 50 ewes: 20 × 120 + 30 × 90 = 2,400 + 2,700 = 5,100 s.
    assert_eq!(g.seconds(IaOvineFresh, 50).unwrap(), 5_100);
    // Breakdown of a lot beyond Annexe I: no Annexe I figure to compare with.
    assert_eq!(
        g.breakdown(IaOvineFresh, 50).unwrap().annexe_i_seconds,
        None
    );
}

#[test]
fn refuses_company_value_below_annexe_minimum() {
    let e = Grid::company("[forfait_seconds]\nia_bovine = 389\n").unwrap_err();
    // A lot of one cow: 389 s against Annexe I's 390 s.
    assert_eq!(
        e,
        ForfaitError::BelowMinimum {
            kind: IaBovine,
            lot: 1,
            company: 389,
            minimum: 390
        }
    );
    let text = e.to_string();
    assert!(
        text.contains("ia_bovine") && text.contains("389") && text.contains("390"),
        "{text}"
    );
    // Equal to the minimum is allowed.
    assert!(Grid::company("[forfait_seconds]\nia_bovine = 390\n").is_ok());
}

#[test]
fn refuses_company_tiers_below_annexe_for_some_lot() {
    // 200 s for goats 1–10, then 100 s. Lots up to 20 are fine: a lot of 20 gives
    // 10 × 200 + 10 × 100 = 3,000 s = Annexe I's 20 × 150. A lot of 21 gives 3,100 s against
    // Annexe I's 3,000 + 120 = 3,120 s: refused there.
    let e = Grid::company(
        "[forfait_tiers]\nia_caprine_frozen = [{ from = 1, to = 10, seconds = 200 }, { from = 11, seconds = 100 }]\n",
    )
    .unwrap_err();
    assert_eq!(
        e,
        ForfaitError::BelowMinimum {
            kind: IaCaprineFrozen,
            lot: 21,
            company: 3_100,
            minimum: 3_120
        }
    );
    // A flat value below the first tier is refused on a lot of 1: 140 s < 150 s.
    let e = Grid::company("[forfait_seconds]\nia_caprine_frozen = 140\n").unwrap_err();
    assert!(matches!(
        e,
        ForfaitError::BelowMinimum {
            lot: 1,
            company: 140,
            minimum: 150,
            ..
        }
    ));
    // A flat 100 s for fresh ewes: 100 < 120 on a lot of 1.
    assert!(Grid::company("[forfait_seconds]\nia_ovine_fresh = 100\n").is_err());
}

#[test]
fn accepts_front_loaded_tiers_that_beat_annexe_on_every_lot() {
    // 300 s for goats 1–5, then 130 s. The 6th to 20th goats are each worth less than
    // Annexe I's 150 s, but every lot total is higher: lot n ≤ 5: 300n ≥ 150n; 6 ≤ n ≤ 20:
    // 1,500 + 130(n − 5) − 150n = 850 − 20n > 0; lot 40: 1,500 + 35 × 130 = 6,050 ≥ 5,400;
    // beyond 40 the company adds 130 s per goat, Annexe I 90 s. Accepted (module doc: lots,
    // not ranks, are compared).
    let g = Grid::company(
        "[forfait_tiers]\nia_caprine_frozen = [{ from = 1, to = 5, seconds = 300 }, { from = 6, seconds = 130 }]\n",
    )
    .unwrap();
    // A lot of 20: 5 × 300 + 15 × 130 = 1,500 + 1,950 = 3,450 s.
    assert_eq!(g.seconds(IaCaprineFrozen, 20).unwrap(), 3_450);
}

fn invalid_key(text: &str) -> String {
    match Grid::company(text) {
        Err(ForfaitError::Invalid { key, .. }) => key,
        other => panic!("expected a refusal naming a key, got {other:?}"),
    }
}

#[test]
fn refuses_unknown_kinds_and_bad_values_naming_the_key() {
    assert_eq!(
        invalid_key("[forfait_seconds]\nia_bovin = 400\n"),
        "forfait_seconds.ia_bovin"
    );
    assert_eq!(
        invalid_key("[forfait_seconds]\nia_bovine = 0\n"),
        "forfait_seconds.ia_bovine"
    );
    assert_eq!(
        invalid_key("[forfait_seconds]\nscoring = -60\n"),
        "forfait_seconds.scoring"
    );
    assert_eq!(
        invalid_key("[forfait_seconds]\nia_bovine = 400.5\n"),
        "forfait_seconds.ia_bovine"
    );
    assert_eq!(
        invalid_key("[forfait_seconds]\nia_bovine = \"400\"\n"),
        "forfait_seconds.ia_bovine"
    );
    assert_eq!(
        invalid_key("[forfait_seconds]\nia_bovine = 86401\n"),
        "forfait_seconds.ia_bovine"
    );
    assert_eq!(invalid_key("forfait_seconds = 3\n"), "forfait_seconds");
    assert_eq!(
        invalid_key("[forfait_second]\nia_bovine = 400\n"),
        "forfait_second"
    );
    assert_eq!(
        invalid_key(
            "[forfait_seconds]\nia_bovine = 400\n[forfait_tiers]\nia_bovine = [{ from = 1, seconds = 400 }]\n"
        ),
        "forfait_tiers.ia_bovine"
    );
    let e = Grid::company("[forfait_seconds]\nia_bovin = 400\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("ia_bovine") && e.contains("\"ia_bovin\""), "{e}");
}

#[test]
fn refuses_malformed_tiers_naming_the_key() {
    let t = |tiers: &str| invalid_key(&format!("[forfait_tiers]\nia_caprine_fresh = {tiers}\n"));
    // Must start at animal 1.
    assert_eq!(
        t("[{ from = 2, seconds = 150 }]"),
        "forfait_tiers.ia_caprine_fresh[0].from"
    );
    // A gap between 20 and 22.
    assert_eq!(
        t("[{ from = 1, to = 20, seconds = 150 }, { from = 22, seconds = 120 }]"),
        "forfait_tiers.ia_caprine_fresh[1].from"
    );
    // An overlap.
    assert_eq!(
        t("[{ from = 1, to = 20, seconds = 150 }, { from = 20, seconds = 120 }]"),
        "forfait_tiers.ia_caprine_fresh[1].from"
    );
    // The last tier must stay open.
    assert_eq!(
        t("[{ from = 1, to = 20, seconds = 150 }]"),
        "forfait_tiers.ia_caprine_fresh[0].to"
    );
    // Only the last tier may be open.
    assert_eq!(
        t("[{ from = 1, seconds = 150 }, { from = 21, seconds = 120 }]"),
        "forfait_tiers.ia_caprine_fresh[0].to"
    );
    // `to` before `from`.
    assert_eq!(
        t("[{ from = 1, to = 0, seconds = 150 }, { from = 1, seconds = 120 }]"),
        "forfait_tiers.ia_caprine_fresh[0].to"
    );
    assert_eq!(
        t("[{ from = 1, seconds = 0 }]"),
        "forfait_tiers.ia_caprine_fresh[0].seconds"
    );
    assert_eq!(
        t("[{ from = 1 }]"),
        "forfait_tiers.ia_caprine_fresh[0].seconds"
    );
    assert_eq!(
        t("[{ from = 1, secs = 150 }]"),
        "forfait_tiers.ia_caprine_fresh[0].secs"
    );
    assert_eq!(t("[]"), "forfait_tiers.ia_caprine_fresh");
    assert_eq!(t("150"), "forfait_tiers.ia_caprine_fresh");
}

#[test]
fn malformed_toml_is_refused_with_its_line() {
    let e = Grid::company("[forfait_seconds]\nia_bovine = 400\nia_bovine 420\n").unwrap_err();
    assert!(matches!(e, ForfaitError::Syntax { line: 3, .. }), "{e:?}");
}

#[test]
fn a_worktime_table_in_the_same_file_is_left_to_worktime() {
    let g = Grid::company("[forfait_seconds]\nia_bovine = 400\n[worktime]\ndaily_max_hours = 9\n")
        .unwrap();
    assert_eq!(g.seconds(IaBovine, 1).unwrap(), 400);
    // An empty file is Annexe I itself.
    assert_eq!(Grid::company("").unwrap(), annexe());
}

/// Kinds with a value in Annexe I, to draw from.
fn annexe_kind() -> impl Strategy<Value = ActKind> {
    prop::sample::select(
        ActKind::ALL
            .iter()
            .copied()
            .filter(|k| k.in_annexe_i())
            .collect::<Vec<_>>(),
    )
}

/// Company tiers: 1 to 4 contiguous tiers from animal 1, the last open, values near Annexe
/// I's (60 to 450 s) so that both accepted and refused grids come up.
fn company_tiers() -> impl Strategy<Value = Vec<Tier>> {
    prop::collection::vec((1u32..40, 60u32..450), 1..=4).prop_map(|spans| {
        let mut from = 1;
        let n = spans.len();
        spans
            .into_iter()
            .enumerate()
            .map(|(i, (width, seconds))| {
                let to = (i + 1 < n).then(|| from + width - 1);
                let t = Tier { from, to, seconds };
                from += width;
                t
            })
            .collect()
    })
}

fn toml_of(kind: ActKind, tiers: &[Tier]) -> String {
    let items: Vec<String> = tiers
        .iter()
        .map(|t| match t.to {
            Some(to) => format!(
                "{{ from = {}, to = {to}, seconds = {} }}",
                t.from, t.seconds
            ),
            None => format!("{{ from = {}, seconds = {} }}", t.from, t.seconds),
        })
        .collect();
    format!("[forfait_tiers]\n{} = [{}]\n", kind.id(), items.join(", "))
}

proptest! {
    #[test]
    fn total_grows_with_the_lot(kind in annexe_kind(), n in 1u32..MAX_LOT) {
        let g = annexe();
        if let (Ok(a), Ok(b)) = (g.seconds(kind, n), g.seconds(kind, n + 1)) {
            prop_assert!(b > a, "{kind}: {n} -> {a} s, {} -> {b} s", n + 1);
        }
    }

    #[test]
    fn company_total_grows_with_the_lot(tiers in company_tiers(), n in 1u32..200) {
        let g = Grid::company(&toml_of(Scoring, &tiers)).unwrap();
        prop_assert!(g.seconds(Scoring, n + 1).unwrap() > g.seconds(Scoring, n).unwrap());
    }

    #[test]
    fn an_accepted_company_grid_never_gives_less_than_annexe_i(
        kind in annexe_kind(),
        tiers in company_tiers(),
    ) {
        let minimum = annexe();
        match Grid::company(&toml_of(kind, &tiers)) {
            Ok(g) => {
                for n in 1..=minimum.minimum(kind).unwrap().max_lot().unwrap_or(MAX_LOT) {
                    prop_assert!(g.seconds(kind, n).unwrap() >= minimum.seconds(kind, n).unwrap());
                }
            }
            Err(ForfaitError::BelowMinimum { lot, company, minimum: floor, .. }) => {
                // The refusal is true: that lot really is below.
                let by_hand: u32 = (1..=lot)
                    .map(|r| tiers.iter().find(|t| t.from <= r && t.to.is_none_or(|to| r <= to)).unwrap().seconds)
                    .sum();
                prop_assert_eq!(company, by_hand);
                prop_assert_eq!(floor, minimum.seconds(kind, lot).unwrap());
                prop_assert!(company < floor);
            }
            Err(e) => prop_assert!(false, "unexpected refusal {e}"),
        }
    }

    #[test]
    fn marginal_brackets_sum_to_the_total(tiers in company_tiers(), n in 1u32..300) {
        let g = Grid::company(&toml_of(Scoring, &tiers)).unwrap();
        let b = g.breakdown(Scoring, n).unwrap();
        prop_assert_eq!(b.seconds, g.seconds(Scoring, n).unwrap());
        prop_assert_eq!(b.parts.iter().map(|p| p.animals).sum::<u32>(), n);
        prop_assert_eq!(b.parts.iter().map(|p| p.seconds).sum::<u32>(), b.seconds);
        for (i, p) in b.parts.iter().enumerate() {
            prop_assert_eq!(p.seconds, p.animals * p.seconds_each);
            prop_assert_eq!(p.seconds_each, tiers[i].seconds);
            prop_assert_eq!(p.from, tiers[i].from);
        }
        // And by hand, animal by animal.
        let by_hand: u32 = (1..=n)
            .map(|r| tiers.iter().find(|t| t.from <= r && t.to.is_none_or(|to| r <= to)).unwrap().seconds)
            .sum();
        prop_assert_eq!(b.seconds, by_hand);
    }
}
