//! Scenario: the real `serve` on 127.0.0.1:0 over an in-memory backend; the `Dialogs` RPCs
//! that change dialogs' data (terminate by Call-ID, timeouts by profile, vars, flags,
//! profiles, triggers) are called through the typed client and their effect checked in the
//! backend.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod memory_backend;

use std::collections::BTreeMap;

use dialogd_api::{Client, EndSide};
use dialogd_dialog::{DialogState, EndCause, ProfileKey};
use memory_backend::{EndCall, id, start};

#[tokio::test]
async fn terminate_by_call_id_ends_the_confirmed_dialogs_with_the_headers() {
    let server = start().await;
    let client = Client::connect(&server.addr).await.unwrap();
    let ended = client
        .terminate_by_call_id("call-a@example.com", vec!["Reason: Q.850;cause=16".into()])
        .await
        .unwrap();
    assert_eq!(ended, vec![id(1, 1)]);
    let dialog = client.get(id(1, 1)).await.unwrap();
    assert_eq!(dialog.state, DialogState::Deleted);
    assert_eq!(dialog.end_cause, Some(EndCause::Api));
    assert_eq!(
        *server.backend.ended.lock().unwrap(),
        vec![EndCall {
            id: id(1, 1),
            side: EndSide::Both,
            headers: vec!["Reason: Q.850;cause=16".into()],
        }]
    );
}

#[tokio::test]
async fn set_timeout_by_profile_counts_the_dialogs_changed() {
    let server = start().await;
    let client = Client::connect(&server.addr).await.unwrap();
    let changed = client
        .set_timeout_by_profile("caller", Some("alice"), 90)
        .await
        .unwrap();
    assert_eq!(changed, 2);
    for did in [id(1, 1), id(1, 3)] {
        assert_eq!(client.get(did).await.unwrap().timeout_secs, 90);
    }
    assert_eq!(client.get(id(1, 2)).await.unwrap().timeout_secs, 3600);
    assert_eq!(
        client
            .set_timeout_by_profile("trunk", None, 5)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        client
            .set_timeout_by_profile("empty", None, 5)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn vars_are_set_read_one_or_all_and_unset() {
    let server = start().await;
    let client = Client::connect(&server.addr).await.unwrap();
    let did = id(1, 1);
    client.set_var(did, "route.id", "r-42").await.unwrap();
    client.set_var(did, "tier", "").await.unwrap();
    assert_eq!(
        client.get_vars(did, None).await.unwrap(),
        BTreeMap::from([
            ("account".to_owned(), "acme".to_owned()),
            ("route.id".to_owned(), "r-42".to_owned()),
            ("tier".to_owned(), String::new()),
        ])
    );
    assert_eq!(
        client.get_vars(did, Some("route.id")).await.unwrap(),
        BTreeMap::from([("route.id".to_owned(), "r-42".to_owned())])
    );
    client.unset_var(did, "route.id").await.unwrap();
    assert!(
        !client
            .get_vars(did, None)
            .await
            .unwrap()
            .contains_key("route.id")
    );
}

#[tokio::test]
async fn flags_are_set_and_reset_returning_all_flags() {
    let server = start().await;
    let client = Client::connect(&server.addr).await.unwrap();
    let did = id(1, 1);
    // The fixture holds flags 0 and 2.
    assert_eq!(client.set_flag(did, 31).await.unwrap(), 0x8000_0005);
    assert_eq!(client.set_flag(did, 31).await.unwrap(), 0x8000_0005);
    assert_eq!(client.reset_flag(did, 0).await.unwrap(), 0x8000_0004);
    assert_eq!(client.get(did).await.unwrap().flags, 0x8000_0004);
}

#[tokio::test]
async fn profiles_are_set_within_their_limit_and_unset() {
    let server = start().await;
    let client = Client::connect(&server.addr).await.unwrap();
    let vip = ProfileKey::with_value("class", "vip");
    client.set_profile(id(1, 2), &vip, Some(1)).await.unwrap();
    client
        .set_profile(id(1, 3), &ProfileKey::plain("trunk"), None)
        .await
        .unwrap();
    assert_eq!(
        client
            .profile_size("class", Some("vip"), false)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        client.profile_dialogs("trunk", None).await.unwrap(),
        vec![id(1, 1), id(1, 3), id(2, 1)]
    );
    client.unset_profile(id(1, 2), &vip).await.unwrap();
    assert_eq!(client.profile_size("class", None, false).await.unwrap(), 0);
}

#[tokio::test]
async fn triggers_are_replaced_and_cleared() {
    let server = start().await;
    let client = Client::connect(&server.addr).await.unwrap();
    let did = id(1, 1);
    client
        .set_triggers(did, vec!["prepaid".into(), "fraud.check".into()])
        .await
        .unwrap();
    assert_eq!(
        client.get(did).await.unwrap().triggers,
        vec!["prepaid".to_owned(), "fraud.check".to_owned()]
    );
    client.set_triggers(did, vec![]).await.unwrap();
    assert!(client.get(did).await.unwrap().triggers.is_empty());
}
