//! Scenario: `TriggersService` alone on 127.0.0.1:0 over a `TriggerHub`, with real
//! `TriggerController`s: the opening `Subscribe` is checked, `on_timeout` offers come back with
//! the controller's decision (or `NoAnswer` at the deadline, or at once when the controller
//! leaves), offers alternate between the controllers of one name, notifications carry the
//! dialog, bad decisions and server shutdown end the stream.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use dialogd_api::pb;
use dialogd_api::pb::triggers_client::TriggersClient;
use dialogd_api::{IncomingTrigger, Offer, TriggerController, TriggerHub, TriggersService};
use dialogd_dialog::{
    DialogId, DialogSnapshot, DialogState, EndCause, LegView, TimeoutDecision, TriggerKind,
};
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::Code;
use tonic::transport::server::TcpIncoming;

const NODE_ID: u64 = 4;

struct TestServer {
    addr: String,
    hub: Arc<TriggerHub>,
    stop: watch::Sender<bool>,
}

async fn start() -> TestServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let hub = TriggerHub::new(NODE_ID);
    let (stop, stopped) = watch::channel(false);
    let service = TriggersService::new(Arc::clone(&hub), stopped);
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(service.into_server())
            .serve_with_incoming(TcpIncoming::from(listener))
            .await
            .unwrap();
    });
    TestServer { addr, hub, stop }
}

fn dialog(seq: u64, call_id: &str) -> DialogSnapshot {
    DialogSnapshot {
        did: DialogId::new(4, seq),
        call_id: call_id.into(),
        state: DialogState::Confirmed,
        caller: LegView {
            uri: "sip:alice@atlanta.example.com".into(),
            tag: Some("a1".into()),
            ..LegView::default()
        },
        callee: LegView {
            uri: "sip:bob@biloxi.example.com".into(),
            tag: Some("b1".into()),
            ..LegView::default()
        },
        request_uri: "sip:bob@biloxi.example.com".into(),
        start_unix_ms: 1_700_000_000_000,
        answer_unix_ms: Some(1_700_000_001_000),
        timeout_secs: 5,
        timeout_left_secs: Some(0),
        bye_on_timeout: true,
        timeout_noreset: false,
        flags: 0,
        vars: BTreeMap::from([("account".to_owned(), "alice".to_owned())]),
        profiles: vec![],
        owner_node: NODE_ID,
        end_cause: None,
        triggers: vec!["prepaid".into()],
    }
}

fn in_secs(secs: f64) -> Option<SystemTime> {
    Some(SystemTime::now() + Duration::from_secs_f64(secs))
}

async fn controller(server: &TestServer, names: &[&str]) -> TriggerController {
    TriggerController::connect(&server.addr, Some("secret"), names)
        .await
        .unwrap()
}

async fn next(c: &mut TriggerController) -> IncomingTrigger {
    tokio::time::timeout(Duration::from_secs(5), c.next())
        .await
        .expect("a trigger within 5 s")
        .expect("stream still open")
        .expect("a valid trigger")
}

/// Offers `on_timeout` in the background, so the test can play the controller.
fn offer_timeout(
    server: &TestServer,
    call_id: &str,
    deadline: Option<SystemTime>,
) -> tokio::task::JoinHandle<Offer> {
    let hub = Arc::clone(&server.hub);
    let d = dialog(1, call_id);
    tokio::spawn(async move {
        hub.offer(TriggerKind::OnTimeout, "prepaid", d, deadline)
            .await
    })
}

/// A raw `Control` stream: the sender of controller messages and the node's replies.
async fn raw(
    server: &TestServer,
    first: pb::ControllerMessage,
) -> (
    mpsc::Sender<pb::ControllerMessage>,
    Result<tonic::Streaming<pb::TriggerMessage>, tonic::Status>,
) {
    let mut client = TriggersClient::connect(server.addr.clone()).await.unwrap();
    let (tx, rx) = mpsc::channel(8);
    tx.send(first).await.unwrap();
    let reply = client
        .control(ReceiverStream::new(rx))
        .await
        .map(tonic::Response::into_inner);
    (tx, reply)
}

fn decision(
    trigger_id: u64,
    action: Option<pb::timeout_decision::Action>,
) -> pb::ControllerMessage {
    pb::ControllerMessage {
        msg: Some(pb::controller_message::Msg::Decision(pb::TimeoutDecision {
            trigger_id,
            action,
        })),
    }
}

fn subscribe(names: &[&str]) -> pb::ControllerMessage {
    pb::ControllerMessage {
        msg: Some(pb::controller_message::Msg::Subscribe(pb::Subscribe {
            names: names.iter().map(|n| (*n).to_owned()).collect(),
        })),
    }
}

#[tokio::test]
async fn subscribe_must_come_first_with_valid_names() {
    let server = start().await;
    let expire = Some(pb::timeout_decision::Action::Expire(true));
    let (_tx, reply) = raw(&server, decision(1, expire)).await;
    let status = reply.expect_err("a decision first is refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().contains("first message must be subscribe"),
        "{status:?}"
    );

    for (names, says) in [
        (&[][..], "at least one"),
        (&["prepaid", "pre paid"][..], "\"pre paid\""),
        (&[""][..], "1 to 64"),
    ] {
        let err = TriggerController::connect(&server.addr, None, names)
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::InvalidArgument, "{names:?}: {err}");
        assert!(err.to_string().contains(says), "{names:?}: {err}");
    }
    assert_eq!(server.hub.controller_count(), 0);

    let c = controller(&server, &["prepaid", "billing", "prepaid"]).await;
    assert_eq!(c.names(), ["prepaid", "billing"]);
    assert_eq!(c.node_id(), NODE_ID);
    assert!(server.hub.serves("billing"));
}

#[tokio::test]
async fn timeout_offer_returns_the_controllers_extension() {
    let server = start().await;
    let mut c = controller(&server, &["prepaid"]).await;
    let offer = offer_timeout(&server, "call-1", in_secs(5.0));
    let t = next(&mut c).await;
    assert_eq!(t.kind, TriggerKind::OnTimeout);
    assert_eq!(t.name, "prepaid");
    assert_eq!(t.dialog.call_id, "call-1");
    assert!(t.deadline_unix_ms.is_some());
    let extend = TimeoutDecision::Extend(Duration::from_secs(5));
    c.decide(t.trigger_id, extend).await.unwrap();
    assert_eq!(offer.await.unwrap(), Offer::Delivered(Some(extend)));
}

#[tokio::test]
async fn offer_without_controller_is_no_controller() {
    let server = start().await;
    let _c = controller(&server, &["billing"]).await;
    assert!(!server.hub.serves("prepaid"));
    let offer = offer_timeout(&server, "call-1", in_secs(5.0));
    assert_eq!(offer.await.unwrap(), Offer::NoController);
    let hub = &server.hub;
    let answered = hub.offer(TriggerKind::OnAnswer, "prepaid", dialog(2, "c"), None);
    assert_eq!(answered.await, Offer::NoController);
}

#[tokio::test]
async fn silent_controller_is_no_answer_after_the_deadline() {
    let server = start().await;
    let mut c = controller(&server, &["prepaid"]).await;
    let started = Instant::now();
    let offer = offer_timeout(&server, "call-1", in_secs(0.3));
    let t = next(&mut c).await;
    assert_eq!(offer.await.unwrap(), Offer::NoAnswer);
    assert!(started.elapsed() >= Duration::from_millis(250));

    // A late decision is ignored; the stream goes on serving.
    c.decide(t.trigger_id, TimeoutDecision::Expire)
        .await
        .unwrap();
    let offer = offer_timeout(&server, "call-2", in_secs(5.0));
    let t2 = next(&mut c).await;
    assert_ne!(t2.trigger_id, t.trigger_id);
    c.decide(t2.trigger_id, TimeoutDecision::Expire)
        .await
        .unwrap();
    let expired = Offer::Delivered(Some(TimeoutDecision::Expire));
    assert_eq!(offer.await.unwrap(), expired);
}

#[tokio::test]
async fn two_controllers_of_one_name_alternate() {
    let server = start().await;
    let mut a = controller(&server, &["prepaid"]).await;
    let mut b = controller(&server, &["prepaid", "other"]).await;
    for i in 1..=4 {
        let d = dialog(i, &format!("call-{i}"));
        let offered = server.hub.offer(TriggerKind::OnAnswer, "prepaid", d, None);
        assert_eq!(offered.await, Offer::Delivered(None));
    }
    let a_calls = [next(&mut a).await, next(&mut a).await].map(|t| t.dialog.call_id);
    let b_calls = [next(&mut b).await, next(&mut b).await].map(|t| t.dialog.call_id);
    assert_eq!(a_calls, ["call-1", "call-3"]);
    assert_eq!(b_calls, ["call-2", "call-4"]);
}

#[tokio::test]
async fn a_controller_that_leaves_answers_no_answer_at_once_and_the_other_takes_over() {
    let server = start().await;
    let mut a = controller(&server, &["prepaid"]).await;
    let mut b = controller(&server, &["prepaid"]).await;
    let started = Instant::now();
    let offer = offer_timeout(&server, "call-1", in_secs(30.0));
    assert_eq!(next(&mut a).await.dialog.call_id, "call-1");
    drop(a);
    assert_eq!(offer.await.unwrap(), Offer::NoAnswer);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "waited for the deadline"
    );
    assert_eq!(server.hub.controller_count(), 1);

    for i in 2..=3 {
        let offer = offer_timeout(&server, &format!("call-{i}"), in_secs(5.0));
        let t = next(&mut b).await;
        assert_eq!(t.dialog.call_id, format!("call-{i}"));
        b.decide(t.trigger_id, TimeoutDecision::Expire)
            .await
            .unwrap();
        let expired = Offer::Delivered(Some(TimeoutDecision::Expire));
        assert_eq!(offer.await.unwrap(), expired);
    }
}

#[tokio::test]
async fn answer_and_hangup_carry_the_dialog() {
    let server = start().await;
    let mut c = controller(&server, &["prepaid"]).await;
    let answered = dialog(9, "call-9");
    let mut hung_up = answered.clone();
    hung_up.state = DialogState::Deleted;
    hung_up.end_cause = Some(EndCause::ByeCallee);
    let hub = &server.hub;
    let offered = hub.offer(TriggerKind::OnAnswer, "prepaid", answered.clone(), None);
    assert_eq!(offered.await, Offer::Delivered(None));
    let offered = hub.offer(TriggerKind::OnHangup, "prepaid", hung_up.clone(), None);
    assert_eq!(offered.await, Offer::Delivered(None));

    let t = next(&mut c).await;
    assert_eq!((t.kind, t.deadline_unix_ms), (TriggerKind::OnAnswer, None));
    assert_eq!(t.dialog, answered);
    let t = next(&mut c).await;
    assert_eq!((t.kind, t.deadline_unix_ms), (TriggerKind::OnHangup, None));
    assert_eq!(t.dialog, hung_up);
}

#[tokio::test]
async fn a_bad_decision_ends_the_stream_with_invalid_argument() {
    let server = start().await;
    for (action, says) in [
        (None, "no action"),
        (Some(pb::timeout_decision::Action::ExtendSecs(0)), "not 0"),
    ] {
        let (tx, reply) = raw(&server, subscribe(&["prepaid"])).await;
        let mut replies = reply.unwrap();
        let first = replies.message().await.unwrap().unwrap();
        assert!(matches!(
            first.msg,
            Some(pb::trigger_message::Msg::Subscribed(_))
        ));
        tx.send(decision(1, action)).await.unwrap();
        let status = replies.message().await.expect_err("stream ended in error");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().contains(says), "{status:?}");
    }
}

#[tokio::test]
async fn server_shutdown_ends_the_stream() {
    let server = start().await;
    let mut c = controller(&server, &["prepaid"]).await;
    server.stop.send(true).unwrap();
    let end = tokio::time::timeout(Duration::from_secs(5), c.next()).await;
    assert!(end.expect("ends within 5 s").is_none());
}
