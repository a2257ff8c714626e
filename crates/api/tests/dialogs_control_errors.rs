//! Scenario: the real `serve` on 127.0.0.1:0 over an in-memory backend; every bad argument of
//! the `Dialogs` RPCs that change dialogs' data is INVALID_ARGUMENT naming the field and the
//! value and never reaches the backend, and the backend's refusals keep their code (NOT_FOUND,
//! RESOURCE_EXHAUSTED, FAILED_PRECONDITION) and message.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod memory_backend;

use dialogd_api::{Client, pb};
use dialogd_dialog::ProfileKey;
use memory_backend::{dialogs, id, start};
use tonic::Code;

async fn status_of<T: std::fmt::Debug>(
    call: impl std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
) -> tonic::Status {
    call.await.expect_err("call should fail")
}

const LIVE: &str = "0001000000000001";

#[tokio::test]
async fn bad_arguments_are_invalid_argument_naming_field_and_value() {
    let server = start().await;
    let mut raw = Client::connect(&server.addr).await.unwrap().raw();
    let long_name = "n".repeat(65);
    let cases: Vec<(tonic::Status, String)> = vec![
        (
            status_of(raw.terminate_by_call_id(pb::TerminateByCallIdRequest::default())).await,
            "call_id: must not be empty".into(),
        ),
        (
            status_of(raw.terminate_by_call_id(pb::TerminateByCallIdRequest {
                call_id: "call-a@example.com".into(),
                extra_headers: vec!["Via: SIP/2.0/UDP evil".into()],
            }))
            .await,
            "extra_headers[0]: header \"Via\" is written by the proxy".into(),
        ),
        (
            status_of(raw.set_timeout_by_profile(pb::SetTimeoutByProfileRequest {
                profile: "caller".into(),
                value: None,
                seconds: 0,
            }))
            .await,
            "seconds: 0 is not in 1..=2147483647".into(),
        ),
        (
            status_of(raw.set_timeout_by_profile(pb::SetTimeoutByProfileRequest {
                profile: String::new(),
                value: None,
                seconds: 5,
            }))
            .await,
            "profile: must not be empty".into(),
        ),
        (
            status_of(raw.set_timeout_by_profile(pb::SetTimeoutByProfileRequest {
                profile: "caller".into(),
                value: None,
                seconds: 2_147_483_648,
            }))
            .await,
            "seconds: 2147483648 is not in 1..=2147483647".into(),
        ),
        (
            status_of(raw.set_var(pb::SetVarRequest {
                id: "xyz".into(),
                name: "a".into(),
                value: "b".into(),
            }))
            .await,
            "id: dialog id \"xyz\" is not 1 to 16 hex digits".into(),
        ),
        (
            status_of(raw.set_var(pb::SetVarRequest {
                id: LIVE.into(),
                name: "bad name".into(),
                value: "b".into(),
            }))
            .await,
            "name: \"bad name\" holds ' '; only A-Z a-z 0-9 _ . - are allowed".into(),
        ),
        (
            status_of(raw.set_var(pb::SetVarRequest {
                id: LIVE.into(),
                name: long_name.clone(),
                value: "b".into(),
            }))
            .await,
            format!("name: {long_name:?} is longer than 64 characters"),
        ),
        (
            status_of(raw.set_var(pb::SetVarRequest {
                id: LIVE.into(),
                name: "a".into(),
                value: "x\r\nVia: evil".into(),
            }))
            .await,
            "value: \"x\\r\\nVia: evil\" contains CR or LF".into(),
        ),
        (
            status_of(raw.set_var(pb::SetVarRequest {
                id: LIVE.into(),
                name: "a".into(),
                value: "v".repeat(1025),
            }))
            .await,
            "value: 1025 bytes, at most 1024 allowed".into(),
        ),
        (
            status_of(raw.get_vars(pb::GetVarsRequest {
                id: LIVE.into(),
                name: Some(String::new()),
            }))
            .await,
            "name: must not be empty".into(),
        ),
        (
            status_of(raw.unset_var(pb::UnsetVarRequest {
                id: String::new(),
                name: "a".into(),
            }))
            .await,
            "id: dialog id \"\" is not 1 to 16 hex digits".into(),
        ),
        (
            status_of(raw.set_flag(pb::SetFlagRequest {
                id: LIVE.into(),
                flag: 32,
            }))
            .await,
            "flag: 32 is not in 0..=31".into(),
        ),
        (
            status_of(raw.reset_flag(pb::ResetFlagRequest {
                id: LIVE.into(),
                flag: 99,
            }))
            .await,
            "flag: 99 is not in 0..=31".into(),
        ),
        (
            status_of(raw.set_profile(pb::SetProfileRequest {
                id: LIVE.into(),
                name: String::new(),
                value: None,
                limit: None,
            }))
            .await,
            "name: must not be empty".into(),
        ),
        (
            status_of(raw.unset_profile(pb::UnsetProfileRequest {
                id: LIVE.into(),
                name: "caller".into(),
                value: Some("a\u{1}".into()),
            }))
            .await,
            "value: \"a\\u{1}\" holds control characters".into(),
        ),
        (
            status_of(raw.set_triggers(pb::SetTriggersRequest {
                id: LIVE.into(),
                names: vec!["prepaid".into(), "no/slash".into()],
            }))
            .await,
            "names[1]: \"no/slash\" holds '/'; only A-Z a-z 0-9 _ . - are allowed".into(),
        ),
    ];
    for (status, want) in cases {
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert_eq!(status.message(), want);
    }
    assert_eq!(
        *server.backend.dialogs.lock().unwrap(),
        dialogs(),
        "no invalid call reached the backend"
    );
}

#[tokio::test]
async fn backend_refusals_keep_their_code_and_message() {
    let server = start().await;
    let client = Client::connect(&server.addr).await.unwrap();
    let unknown = id(9, 9);
    let full = ProfileKey::with_value("caller", "alice");
    let cases: Vec<(dialogd_api::Error, Code, &str)> = vec![
        (
            client
                .terminate_by_call_id("nope", vec![])
                .await
                .unwrap_err(),
            Code::NotFound,
            "no confirmed dialog with call_id \"nope\"",
        ),
        (
            client.set_var(unknown, "a", "b").await.unwrap_err(),
            Code::NotFound,
            "dialog 0009000000000009 not found",
        ),
        (
            client.get_vars(unknown, None).await.unwrap_err(),
            Code::NotFound,
            "dialog 0009000000000009 not found",
        ),
        (
            client.get_vars(id(1, 1), Some("nope")).await.unwrap_err(),
            Code::NotFound,
            "dialog 0001000000000001: var \"nope\" is not set",
        ),
        (
            client.unset_var(id(1, 1), "nope").await.unwrap_err(),
            Code::NotFound,
            "dialog 0001000000000001: var \"nope\" is not set",
        ),
        (
            client.set_flag(unknown, 1).await.unwrap_err(),
            Code::NotFound,
            "dialog 0009000000000009 not found",
        ),
        (
            client.reset_flag(id(1, 4), 1).await.unwrap_err(),
            Code::FailedPrecondition,
            "dialog 0001000000000004 is already deleted",
        ),
        (
            client
                .set_profile(id(1, 2), &full, Some(2))
                .await
                .unwrap_err(),
            Code::ResourceExhausted,
            "profile \"caller\" is full: 2 dialogs, limit 2",
        ),
        (
            client
                .unset_profile(id(1, 2), &ProfileKey::plain("trunk"))
                .await
                .unwrap_err(),
            Code::NotFound,
            "dialog 0001000000000002 is not in profile \"trunk\"",
        ),
        (
            client
                .set_timeout_by_profile("down", None, 5)
                .await
                .unwrap_err(),
            Code::Unavailable,
            "profile store unavailable: no quorum",
        ),
        (
            client.set_triggers(unknown, vec![]).await.unwrap_err(),
            Code::NotFound,
            "dialog 0009000000000009 not found",
        ),
    ];
    for (err, code, message) in cases {
        let dialogd_api::Error::Status(status) = &err else {
            panic!("not a status: {err:?}")
        };
        assert_eq!((status.code(), status.message()), (code, message), "{err}");
    }
}
