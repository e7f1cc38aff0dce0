//! Durability of the app as a whole: a real process records an insemination through its
//! screens, shows "saved", and is killed with SIGKILL right then; the act must be in the store
//! when it is opened again. "Saved" is only shown once the backend's append has returned, and
//! the append returns once the events are on disk: this test holds the app to that.
//!
//! The child is this same test binary, re-run on the ignored test `child_records_then_waits`
//! (the pattern of tests/crash.rs).

#![cfg(feature = "gui")]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{cattle_visit_today, inseminate, notice, store_harness, tap};
use egui_kittest::kittest::Queryable;
use tournee::log::Store;

const ROUNDS: usize = 3;

/// The child: on the store of `TOURNEE_APP_CRASH_DIR`, records an insemination of cow
/// `TOURNEE_APP_CRASH_COW` (10 digits), prints `SAVED` once the app says so, then waits to be
/// killed.
#[test]
#[ignore = "run by an_act_shown_saved_survives_a_kill as its child process"]
fn child_records_then_waits() {
    let (Ok(dir), Ok(cow)) = (
        std::env::var("TOURNEE_APP_CRASH_DIR"),
        std::env::var("TOURNEE_APP_CRASH_COW"),
    ) else {
        return;
    };
    let (_, farm) = cattle_visit_today();
    let mut h = store_harness(std::path::Path::new(&dir));
    if h.query_by_label("Charger les données de démonstration")
        .is_some()
    {
        tap(&mut h, "Charger les données de démonstration");
    }
    inseminate(&mut h, &farm.name, &cow);
    // The notice the technician sees: only shown once the backend answered "saved".
    assert!(notice(&h, "Enregistré · 7 min"));
    println!("SAVED {cow}");
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

#[test]
fn an_act_shown_saved_survives_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let (visit, _) = cattle_visit_today();
    for round in 0..ROUNDS {
        let cow = format!("53000000{round:02}");
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "child_records_then_waits",
                "--ignored",
                "--nocapture",
            ])
            .env("TOURNEE_APP_CRASH_DIR", dir.path())
            .env("TOURNEE_APP_CRASH_COW", &cow)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.starts_with("SAVED ") {
                    let _ = tx.send(line);
                }
            }
        });
        let saved = rx.recv_timeout(Duration::from_secs(120));
        // Killed the moment the app said "saved": nothing had the time to flush later.
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        assert_eq!(
            saved.as_deref().ok(),
            Some(format!("SAVED {cow}").as_str()),
            "round {round}: the child never showed the act saved"
        );

        let store = Store::open(dir.path())
            .unwrap_or_else(|e| panic!("round {round}: the store does not open: {e}"));
        let cows: Vec<String> = store
            .acts_of(&visit)
            .unwrap()
            .iter()
            .flat_map(|a| a.animals.iter().map(|x| x.to_string()))
            .collect();
        let expected: Vec<String> = (0..=round).map(|r| format!("FR53000000{r:02}")).collect();
        assert_eq!(cows, expected, "round {round}");
        assert!(tournee::log::check(&store).unwrap().is_intact());
    }
}
