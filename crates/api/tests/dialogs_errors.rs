//! Scenario: the real `serve` on 127.0.0.1:0 over an in-memory backend; bad arguments come back
//! as INVALID_ARGUMENT naming the field and the value, backend errors keep their code and message.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod memory_backend;

use dialogd_api::pb::get_dialog_request::Key;
use dialogd_api::{Client, EndSide, pb};
use memory_backend::{id, start};
use tonic::Code;

/// Runs one raw RPC and returns its error status.
async fn status_of<T: std::fmt::Debug>(
    call: impl std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
) -> tonic::Status {
    call.await.expect_err("call should fail")
}

#[tokio::test]
async fn bad_arguments_are_invalid_argument_naming_field_and_value() {
    let server = start().await;
    let client = Client::connect(&server.addr).await.unwrap();
    let mut raw = client.raw();
    let cases: Vec<(tonic::Status, &str)> = vec![
        (
            status_of(raw.get_dialog(pb::GetDialogRequest {
                key: Some(Key::Id("xyz".into())),
            }))
            .await,
            "id: dialog id \"xyz\" is not 1 to 16 hex digits",
        ),
        (
            status_of(raw.get_dialog(pb::GetDialogRequest { key: None })).await,
            "key: give id, or call.call_id and call.from_tag",
        ),
        (
            status_of(raw.get_dialog(pb::GetDialogRequest {
                key: Some(Key::Call(pb::CallRef {
                    call_id: "c".into(),
                    from_tag: String::new(),
                })),
            }))
            .await,
            "call.from_tag: must not be empty",
        ),
        (
            status_of(raw.end_dialog(pb::EndDialogRequest {
                id: "12345678901234567".into(),
                ..Default::default()
            }))
            .await,
            "id: dialog id \"12345678901234567\" is not 1 to 16 hex digits",
        ),
        (
            status_of(raw.end_dialog(pb::EndDialogRequest {
                id: "1".into(),
                side: 9,
                extra_headers: vec![],
            }))
            .await,
            "side: 9 is not an end side (0 to 3)",
        ),
        (
            status_of(raw.end_dialog(pb::EndDialogRequest {
                id: "1".into(),
                side: 0,
                extra_headers: vec!["X-Ok: 1".into(), "X-Bad: a\r\nVia: evil".into()],
            }))
            .await,
            "extra_headers[1]: \"X-Bad: a\\r\\nVia: evil\" contains CR or LF",
        ),
        (
            status_of(raw.end_dialog(pb::EndDialogRequest {
                id: "1".into(),
                side: 0,
                extra_headers: vec!["NoColon".into()],
            }))
            .await,
            "extra_headers[0]: \"NoColon\" is not \"Name: value\"",
        ),
        (
            status_of(raw.list_dialogs(pb::ListDialogsRequest {
                page_size: 5000,
                ..Default::default()
            }))
            .await,
            "page_size: 5000 is above the maximum of 1000",
        ),
        (
            status_of(raw.list_dialogs(pb::ListDialogsRequest {
                page_token: "not-hex".into(),
                ..Default::default()
            }))
            .await,
            "page_token: \"not-hex\" is not a token from a previous page",
        ),
        (
            status_of(raw.list_dialogs(pb::ListDialogsRequest {
                state: 12,
                ..Default::default()
            }))
            .await,
            "state: 12 is not a dialog state (1 to 5)",
        ),
        (
            status_of(raw.profile_get_size(pb::ProfileGetSizeRequest::default())).await,
            "name: must not be empty",
        ),
        (
            status_of(raw.profile_list_dialogs(pb::ProfileListDialogsRequest {
                name: "caller".into(),
                value: Some(String::new()),
            }))
            .await,
            "value: must not be empty",
        ),
        (
            status_of(raw.profile_get_values(pb::ProfileGetValuesRequest::default())).await,
            "name: must not be empty",
        ),
    ];
    for (status, want) in cases {
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert_eq!(status.message(), want);
    }
    assert!(
        server.backend.ended.lock().unwrap().is_empty(),
        "no invalid end reached the backend"
    );
}

#[tokio::test]
async fn backend_errors_keep_their_code_and_message() {
    let server = start().await;
    let client = Client::connect(&server.addr).await.unwrap();
    let cases: Vec<(dialogd_api::Error, Code, &str)> = vec![
        (
            client.get(id(9, 9)).await.unwrap_err(),
            Code::NotFound,
            "dialog 0009000000000009 not found",
        ),
        (
            client.find("nope", "t").await.unwrap_err(),
            Code::NotFound,
            "no dialog with call_id \"nope\" and from_tag \"t\"",
        ),
        (
            client
                .end(id(9, 9), EndSide::Both, vec![])
                .await
                .unwrap_err(),
            Code::NotFound,
            "dialog 0009000000000009 not found",
        ),
        (
            client
                .end(id(1, 4), EndSide::Both, vec![])
                .await
                .unwrap_err(),
            Code::FailedPrecondition,
            "dialog 0001000000000004 is already deleted",
        ),
        (
            client.profile_size("down", None, false).await.unwrap_err(),
            Code::Unavailable,
            "profile store unavailable: no quorum",
        ),
    ];
    for (err, code, message) in cases {
        let dialogd_api::Error::Status(status) = &err else {
            panic!("not a status: {err:?}")
        };
        assert_eq!(status.code(), code, "{err}");
        assert_eq!(status.message(), message);
        assert_eq!(err.code(), code);
        assert!(err.to_string().ends_with(message), "{err}");
    }
}
