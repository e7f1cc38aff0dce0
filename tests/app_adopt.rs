//! The way out for a copied tablet, in the app, against the real `tournee-server`: a store
//! copied to a second tablet is refused as a forked chain; Settings says so in words and offers
//! to take the acts over under a new identity; confirmed with a new token, the tablet enrols
//! that identity in place (same folder, nothing re-typed), the server receives the copy's acts,
//! and the copy's folder is kept aside unchanged, its acts readable and exportable there.

#![cfg(all(feature = "gui", feature = "server"))]

mod common;
mod sync_common;

use std::time::Duration;

use common::{settle, shows, shows_containing, syncing_app, tap, type_into, until};
use sync_common::{Device, Kind, Server, insemination, tablet_and_copy, visit};
use tournee::domain::ActId;
use tournee::log::Store;

fn act(id: &str) -> ActId {
    ActId::parse("act", id).unwrap()
}

#[test]
fn a_copied_tablet_takes_its_refused_acts_over_under_a_new_identity_from_settings() {
    let server = Server::start(Kind::Sled);
    let url = server.url();
    // The store copied to a second tablet (the app's folder); both record.
    let parent = tempfile::tempdir().unwrap();
    let folder = parent.path().join("tournee");
    let first = tablet_and_copy(&server, &folder);
    first.append(vec![insemination("A3", "V1", 3)]);
    first.sync(&url);
    let copied = {
        let copy = Store::open(&folder).unwrap();
        copy.append(vec![
            insemination("A9", "V1", 9),
            visit("V2", "T01", 1),
            insemination("A10", "V2", 10),
        ])
        .unwrap();
        copy.device()
    };

    // A yearly report handed on this tablet goes along with the app.
    std::fs::create_dir_all(folder.join("bilans")).unwrap();
    std::fs::write(
        folder.join("bilans/bilan-53161001-2026.pdf"),
        b"%PDF-1.7 handed",
    )
    .unwrap();

    // The app on the copy: its first sync is refused, and Settings says why and the way out.
    let mut app = syncing_app(&folder, Duration::from_millis(200));
    tap(&mut app, "Réglages");
    until(&mut app, "the forked chain said on Settings", |h| {
        shows_containing(
            h,
            "il a déjà reçu d'autres actes sous le même numéro de tablette",
        )
    });
    assert!(shows_containing(
        &app,
        "touchez « Reprendre ces actes sous une nouvelle identité »"
    ));
    tap(&mut app, "Reprendre ces actes sous une nouvelle identité");
    assert!(shows_containing(&app, "Rien n'est perdu."));
    // Confirmed without a token: refused next to the field, nothing done.
    tap(&mut app, "Confirmer : nouvelle identité");
    assert!(shows(&app, "Tapez ou collez le jeton d'inscription"));
    // A token already used: the server says so, and the tablet goes on as it was.
    let used = server.token(&["add-technician", "T01", "--name", "Julie Moreau"]);
    Device::new().enroll(&url, &used);
    type_into(&mut app, "Nouveau jeton d'inscription", &used);
    tap(&mut app, "Confirmer : nouvelle identité");
    settle(&mut app);
    assert!(shows_containing(
        &app,
        "Ce jeton d'inscription est inconnu ou a déjà servi"
    ));
    let beside: Vec<_> = std::fs::read_dir(parent.path())
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(
        beside.len(),
        1,
        "nothing left beside the folder after a refusal"
    );

    // With a new token: the new identity is enrolled in place and takes the copy's acts over.
    let token = server.token(&["add-technician", "T01", "--name", "Julie Moreau"]);
    type_into(&mut app, "Nouveau jeton d'inscription", &token);
    tap(&mut app, "Confirmer : nouvelle identité");
    settle(&mut app);
    // technician, farm and V1 were on the server; A9, V2 and A10 were refused.
    let said = "Nouvelle identité inscrite : 3 enregistrements repris de la copie (3 enregistrements déjà sur le serveur).";
    assert!(shows_containing(&app, said));
    let adoption = app.state().state.store.sync_info.adopted.clone().unwrap();
    let aside = std::path::PathBuf::from(&adoption.copy);
    assert_eq!(aside.parent(), Some(parent.path()));
    assert!(shows_containing(&app, &adoption.copy));
    until(&mut app, "everything on the server", |h| {
        shows(h, "Synchro : tout est sur le serveur")
    });
    assert!(!shows_containing(&app, "il a déjà reçu d'autres actes"));
    drop(app);

    // The server has the copy's acts: the first tablet receives them.
    first.sync(&url);
    for id in ["A3", "A9", "A10"] {
        assert!(first.store.act(&act(id)).unwrap().is_some(), "{id}");
    }
    let report = std::fs::read(folder.join("bilans/bilan-53161001-2026.pdf")).unwrap();
    assert_eq!(report, b"%PDF-1.7 handed");
    // The app's folder holds the new identity, with every act.
    let tablet = Store::open(&folder).unwrap();
    assert_ne!(tablet.device(), copied);
    for id in ["A3", "A9", "A10"] {
        assert!(tablet.act(&act(id)).unwrap().is_some(), "{id}");
    }
    let status = tournee::sync::status(&tablet).unwrap();
    assert!(status.everything_on_server(), "{status:?}");
    // The copy is kept aside as it was: its own identity, its acts readable there.
    let copy = Store::inspect(&aside).unwrap();
    assert_eq!(copy.device(), copied);
    assert!(copy.act(&act("A9")).unwrap().is_some());
    assert!(copy.act(&act("A3")).unwrap().is_none());
}
