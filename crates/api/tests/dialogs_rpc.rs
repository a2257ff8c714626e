//! Scenario: the real `serve` on 127.0.0.1:0 over an in-memory backend; every `Dialogs` RPC is
//! called through the typed and the raw tonic client over TCP and its answer checked.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod memory_backend;

use dialogd_api::pb::get_dialog_request::Key;
use dialogd_api::{Client, DialogFilter, EndSide, pb};
use dialogd_dialog::{DialogId, DialogState, EndCause, ProfileKey};
use memory_backend::{EndCall, NODE_ID, dialogs, id, start, stats};

fn ids(dialogs: &[dialogd_dialog::DialogSnapshot]) -> Vec<DialogId> {
    dialogs.iter().map(|d| d.did).collect()
}

#[tokio::test]
async fn stats_returns_node_id_and_counters() {
    let server = start().await;
    let client = Client::connect(&server.addr).await.unwrap();
    assert_eq!(client.stats().await.unwrap(), (NODE_ID, stats()));
}

#[tokio::test]
async fn list_applies_each_filter() {
    let server = start().await;
    let client = Client::connect(&server.addr).await.unwrap();
    let cases: Vec<(DialogFilter, Vec<DialogId>)> = vec![
        (
            DialogFilter::default(),
            vec![id(1, 1), id(1, 2), id(1, 3), id(1, 4), id(2, 1)],
        ),
        (
            DialogFilter {
                call_id: Some("call-b@example.com".into()),
                ..Default::default()
            },
            vec![id(1, 2)],
        ),
        (
            DialogFilter {
                from_tag: Some("tc".into()),
                ..Default::default()
            },
            vec![id(1, 3)],
        ),
        (
            DialogFilter {
                state: Some(DialogState::Confirmed),
                ..Default::default()
            },
            vec![id(1, 1), id(1, 3)],
        ),
        (
            DialogFilter {
                profile: Some(ProfileKey::plain("caller")),
                ..Default::default()
            },
            vec![id(1, 1), id(1, 2), id(1, 3)],
        ),
        (
            DialogFilter {
                profile: Some(ProfileKey::with_value("caller", "alice")),
                ..Default::default()
            },
            vec![id(1, 1), id(1, 3)],
        ),
        (
            DialogFilter {
                owner_node: Some(2),
                ..Default::default()
            },
            vec![id(2, 1)],
        ),
        (
            DialogFilter {
                state: Some(DialogState::Confirmed),
                profile: Some(ProfileKey::plain("trunk")),
                ..Default::default()
            },
            vec![id(1, 1)],
        ),
        (
            DialogFilter {
                call_id: Some("nope".into()),
                ..Default::default()
            },
            vec![],
        ),
    ];
    for (filter, want) in cases {
        let got = client.list(&filter, None).await.unwrap();
        assert_eq!(ids(&got), want, "{filter:?}");
    }
}

#[tokio::test]
async fn list_pages_in_id_order_with_tokens() {
    let server = start().await;
    let mut raw = Client::connect(&server.addr).await.unwrap().raw();
    let mut token = String::new();
    let mut pages = vec![];
    loop {
        let req = pb::ListDialogsRequest {
            page_size: 2,
            page_token: token.clone(),
            ..Default::default()
        };
        let page = raw.list_dialogs(req).await.unwrap().into_inner();
        pages.push(
            page.dialogs
                .iter()
                .map(|d| d.id.clone())
                .collect::<Vec<_>>(),
        );
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(
        pages,
        vec![
            vec!["0001000000000001", "0001000000000002"],
            vec!["0001000000000003", "0001000000000004"],
            vec!["0002000000000001"],
        ]
    );

    // The typed client follows pages and stops at a limit.
    let client = Client::connect(&server.addr).await.unwrap();
    let three = client
        .list(&DialogFilter::default(), Some(3))
        .await
        .unwrap();
    assert_eq!(ids(&three), vec![id(1, 1), id(1, 2), id(1, 3)]);
    let page = client
        .list_page(&DialogFilter {
            limit: Some(4),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.dialogs.len(), 4);
    assert_eq!(page.next, Some(id(1, 4)));
    let rest = client
        .list_page(&DialogFilter {
            after: page.next,
            limit: Some(4),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(ids(&rest.dialogs), vec![id(2, 1)]);
    assert_eq!(rest.next, None);
}

#[tokio::test]
async fn get_by_id_or_call_returns_every_field() {
    let server = start().await;
    let client = Client::connect(&server.addr).await.unwrap();
    for want in dialogs() {
        assert_eq!(client.get(want.did).await.unwrap(), want);
        let tag = want.caller.tag.clone().unwrap();
        assert_eq!(client.find(&want.call_id, &tag).await.unwrap(), want);
    }
    // The wire form: hex id, OpenSIPS state number and name, end cause with its code.
    let mut raw = client.raw();
    let reply = raw
        .get_dialog(pb::GetDialogRequest {
            key: Some(Key::Id("1000000000004".into())),
        })
        .await
        .unwrap()
        .into_inner();
    let d = reply.dialog.unwrap();
    assert_eq!(d.id, "0001000000000004");
    assert_eq!((d.state, d.state_name.as_str()), (5, "deleted"));
    assert_eq!(
        (d.end_cause, d.end_code),
        (pb::EndCause::Failed as i32, 486)
    );
    assert_eq!(d.end_cause_name, "failed(486)");
}

#[tokio::test]
async fn end_passes_side_and_headers_to_the_backend() {
    let server = start().await;
    let client = Client::connect(&server.addr).await.unwrap();
    client
        .end(
            id(1, 1),
            EndSide::Callee,
            vec!["Reason: Q.850;cause=16".into(), " X-Why: ops ".into()],
        )
        .await
        .unwrap();
    client.end(id(1, 3), EndSide::Both, vec![]).await.unwrap();
    assert_eq!(
        *server.backend.ended.lock().unwrap(),
        vec![
            EndCall {
                id: id(1, 1),
                side: EndSide::Callee,
                headers: vec!["Reason: Q.850;cause=16".into(), "X-Why: ops".into()],
            },
            EndCall {
                id: id(1, 3),
                side: EndSide::Both,
                headers: vec![]
            },
        ]
    );
    let ended = client.get(id(1, 1)).await.unwrap();
    assert_eq!(
        (ended.state, ended.end_cause),
        (DialogState::Deleted, Some(EndCause::Api))
    );

    // Side 0 (unspecified) means both.
    let mut raw = client.raw();
    raw.end_dialog(pb::EndDialogRequest {
        id: id(1, 2).to_string(),
        side: 0,
        extra_headers: vec![],
    })
    .await
    .unwrap();
    assert_eq!(server.backend.ended.lock().unwrap()[2].side, EndSide::Both);
}

#[tokio::test]
async fn profile_size_list_and_values() {
    let server = start().await;
    let client = Client::connect(&server.addr).await.unwrap();
    let sizes = [
        ("caller", None, 3),
        ("caller", Some("alice"), 2),
        ("caller", Some("bob"), 1),
        ("caller", Some("carol"), 0),
        ("trunk", None, 2),
        ("unknown", None, 0),
    ];
    for (name, value, want) in sizes {
        assert_eq!(
            client.profile_size(name, value, false).await.unwrap(),
            want,
            "{name} {value:?}"
        );
    }
    assert_eq!(
        client
            .profile_dialogs("caller", Some("alice"))
            .await
            .unwrap(),
        vec![id(1, 1), id(1, 3)]
    );
    assert_eq!(
        client.profile_dialogs("trunk", None).await.unwrap(),
        vec![id(1, 1), id(2, 1)]
    );
    assert_eq!(
        client.profile_values("caller").await.unwrap(),
        vec![(Some("alice".into()), 2), (Some("bob".into()), 1)]
    );
    assert_eq!(
        client.profile_values("trunk").await.unwrap(),
        vec![(None, 2)]
    );

    let mut raw = client.raw();
    let reply = raw
        .profile_get_size(pb::ProfileGetSizeRequest {
            name: "caller".into(),
            value: Some("alice".into()),
            stale_ok: true,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        reply,
        pb::ProfileGetSizeResponse {
            name: "caller".into(),
            value: Some("alice".into()),
            size: 2
        }
    );
}
