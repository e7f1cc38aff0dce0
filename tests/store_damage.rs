//! Damage never destroys: for each kind of damage to a store's files (a flipped byte in
//! several places, a zeroed page, a truncated file, a deleted file, a deleted tree), `check`
//! and `export` exit 1 and leave every byte as it was, `check` names what is intact, and
//! `recover` builds a new store holding every event it could verify, each identical to the
//! original.

mod cli_common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use chrono::NaiveDate;
use tournee::domain::{ActId, Payload};
use tournee::log::Store;

fn tournee(data: &Path, args: &[&str]) -> Output {
    cli_common::tournee_on(data, args)
}

/// A store as a technician leaves it after a few days: the demo week imported at once, then
/// 400 acts recorded one by one (so it holds blocks of every size, and older copies of the
/// small ones that sled has not reclaimed).
struct Base {
    _dir: tempfile::TempDir,
    path: PathBuf,
    events: u64,
}

fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store");
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let week = tournee::demo::week(today);
        let store = Store::open(&path).unwrap();
        store.import(&week).unwrap();
        let template: Vec<_> = week.visits.iter().flat_map(|v| v.acts.clone()).collect();
        for n in 0..400 {
            let mut act = template[n % template.len()].clone();
            act.id = ActId::parse("act", &format!("more-{n}")).unwrap();
            store.append(vec![Payload::ActRecorded(act)]).unwrap();
        }
        let events = tournee::log::check(&store).unwrap().intact_events();
        drop(store);
        // Closed cleanly: `head` holds the checksum of sled's files (its byte 24 says so),
        // which is what finds a byte changed where sled does not look. On a very busy machine
        // the mark may wait for sled's threads: open and close again.
        for _ in 0..5 {
            if std::fs::read(path.join("head")).unwrap()[24] == 1 {
                break;
            }
            drop(Store::open(&path).unwrap());
        }
        assert_eq!(std::fs::read(path.join("head")).unwrap()[24], 1);
        Base {
            _dir: dir,
            path,
            events,
        }
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.insert(e.path(), std::fs::read(e.path()).unwrap());
            }
        }
    }
    out
}

/// Offsets of our blocks' magic in sled's data file.
fn blocks_in(db: &[u8]) -> Vec<usize> {
    db.windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"TrnB")
        .map(|(i, _)| i)
        .collect()
}

/// Damages a copy of the base store, then checks, exports and recovers it. Returns the
/// number of events `recover` kept.
fn damaged_store_is_never_changed(name: &str, damage: impl FnOnce(&Path)) -> u64 {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join(name);
    copy_dir(&base().path, &dir);
    damage(&dir);
    let before = snapshot(&dir);

    let check = tournee(&dir, &["check"]);
    assert_eq!(check.status.code(), Some(1), "{name}: check must fail");
    let report: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(report["intact"], false, "{name}: {report}");
    let said = report["problems"].as_array().unwrap().len()
        + report["chains"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| !c["damage"].is_null())
            .count();
    assert!(said > 0, "{name}: the report names no damage: {report}");
    assert!(
        report["advice"].as_str().unwrap().contains("recover"),
        "{name}: {report}"
    );
    let err = String::from_utf8_lossy(&check.stderr);
    assert!(err.contains("damaged"), "{name}: {err}");
    assert_eq!(snapshot(&dir), before, "{name}: check changed the store");

    let export = tournee(&dir, &["export"]);
    assert_eq!(export.status.code(), Some(1), "{name}: export must refuse");
    assert!(export.stdout.is_empty());
    assert_eq!(snapshot(&dir), before, "{name}: export changed the store");

    let opened = Store::open(&dir);
    assert!(
        matches!(opened, Err(tournee::log::LogError::Damaged(_))),
        "{name}: the store opened"
    );
    drop(opened);
    assert_eq!(snapshot(&dir), before, "{name}: opening changed the store");

    let to = work.path().join("recovered");
    let out = tournee(&dir, &["recover", "--to", to.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recovery: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(snapshot(&dir), before, "{name}: recover changed the store");
    let kept = recovery["kept"].as_u64().unwrap();
    assert!(kept <= base().events, "{name}: {recovery}");

    // The recovered store is whole, and every event in it is the original's.
    let check = tournee(&to, &["check"]);
    assert!(check.status.success(), "{name}: {:?}", check);
    let recovered = Store::open(&to).unwrap();
    // The original, opened from a copy of its own: opening the shared base would mark it "in
    // use" while another test copies it.
    let original_dir = work.path().join("original");
    copy_dir(&base().path, &original_dir);
    let original = Store::open(&original_dir).unwrap();
    let mut counted = 0;
    for (device, _) in recovered.devices().unwrap() {
        for e in recovered.events_after(device, 0, usize::MAX).unwrap() {
            assert_eq!(original.event(e.id).unwrap().as_ref(), Some(&e), "{name}");
            counted += 1;
        }
    }
    assert_eq!(counted, kept, "{name}");
    kept
}

/// The events of the block whose magic is at `at` (the next magic bounds it).
fn largest_block_events() -> u64 {
    // An import block holds at most 1,024 events, a block of appends at most 1,024 too.
    1024
}

#[test]
fn a_flipped_byte_inside_a_block_is_found_and_the_rest_recovered() {
    for which in ["first", "middle", "last"] {
        let kept = damaged_store_is_never_changed(&format!("flip-{which}"), |dir| {
            let path = dir.join("db");
            let mut db = std::fs::read(&path).unwrap();
            let blocks = blocks_in(&db);
            let at = match which {
                "first" => blocks[0],
                "middle" => blocks[blocks.len() / 2],
                _ => blocks[blocks.len() - 1],
            };
            db[at + 120] ^= 0x04;
            std::fs::write(&path, db).unwrap();
        });
        assert!(
            kept + largest_block_events() >= base().events,
            "{which}: kept {kept} of {}",
            base().events
        );
    }
}

#[test]
fn a_flipped_byte_in_sled_s_own_bytes_is_found() {
    damaged_store_is_never_changed("flip-header", |dir| {
        let path = dir.join("db");
        let mut db = std::fs::read(&path).unwrap();
        db[20] ^= 0x01;
        std::fs::write(&path, db).unwrap();
    });
}

#[test]
fn a_zeroed_page_is_found_and_the_rest_recovered() {
    let kept = damaged_store_is_never_changed("zeroed-page", |dir| {
        let path = dir.join("db");
        let mut db = std::fs::read(&path).unwrap();
        let blocks = blocks_in(&db);
        let page = blocks[blocks.len() / 2] / 4096 * 4096;
        let end = (page + 4096).min(db.len());
        db[page..end].fill(0);
        std::fs::write(&path, db).unwrap();
    });
    assert!(kept > 0);
}

#[test]
fn a_truncated_file_is_found_and_what_is_before_the_cut_recovered() {
    let kept = damaged_store_is_never_changed("truncated", |dir| {
        let path = dir.join("db");
        let db = std::fs::read(&path).unwrap();
        let blocks = blocks_in(&db);
        std::fs::write(&path, &db[..blocks[blocks.len() / 2]]).unwrap();
    });
    assert!(kept > 0);
}

#[test]
fn a_deleted_data_file_is_damage_not_an_empty_store() {
    damaged_store_is_never_changed("no-db", |dir| {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            if name == "db" || name.starts_with("snap.") {
                std::fs::remove_file(e.path()).unwrap();
            }
        }
    });
}

#[test]
fn a_deleted_head_or_device_file_is_damage_and_nothing_is_lost() {
    let kept = damaged_store_is_never_changed("no-head", |dir| {
        std::fs::remove_file(dir.join("head")).unwrap();
    });
    assert_eq!(kept, base().events);
    let kept = damaged_store_is_never_changed("no-device", |dir| {
        std::fs::remove_file(dir.join("device")).unwrap();
    });
    assert_eq!(kept, base().events);
}

#[test]
fn a_deleted_tree_is_found_and_its_blocks_recovered_from_the_file() {
    let kept = damaged_store_is_never_changed("dropped-tree", |dir| {
        let db = sled::open(dir).unwrap();
        db.drop_tree("blocks").unwrap();
        db.flush().unwrap();
    });
    assert!(kept > 0);
}
