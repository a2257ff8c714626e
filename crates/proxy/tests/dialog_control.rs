//! Scenario: a live, answered dialog on a proxy bound to 127.0.0.1 is steered through the
//! `Proxy` handle — vars, flags, profiles (within a store-enforced limit) and trigger names,
//! each replicated — and its triggers reach the sink: `on_answer`, `on_timeout` (extended,
//! then expired) and `on_hangup`; without a sink a triggered timeout simply expires.

// Test helpers outside #[test] functions may panic too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dialogd_dialog::{
    Admission, AdmitError, AdmitRequest, BoxFuture, Dialog, DialogEvent, DialogId, DialogRecord,
    DialogSettings, DialogSnapshot, EndCause, EventKind, InitialInvite, ProfileKey,
    ProfileMembership, ProfileValues, RequestFacts, ResponseFacts, TimeoutDecision, TriggerKind,
    TriggerSink,
};
use dialogd_proxy::context::{MatchMode, ProxySettings};
use dialogd_proxy::dialog_actor;
use dialogd_proxy::message_path::routing::LocalIdentity;
use dialogd_proxy::policy::Policy;
use dialogd_proxy::proxy::{ControlError, Proxy};
use dialogd_sip::Method;
use dialogd_sip::transaction::TimerConfig;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{broadcast, mpsc};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(5);

/// A profile store that counts memberships and keeps every replicated record.
#[derive(Default)]
struct CountingStore {
    members: Mutex<HashMap<ProfileKey, BTreeSet<DialogId>>>,
    records: Mutex<Vec<DialogRecord>>,
    add_calls: Mutex<usize>,
}

impl CountingStore {
    fn last_record(&self) -> DialogRecord {
        self.records
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a record")
    }
    fn size(&self, key: &ProfileKey) -> usize {
        self.members
            .lock()
            .unwrap()
            .get(key)
            .map_or(0, BTreeSet::len)
    }
}

impl Admission for CountingStore {
    fn admit(&self, _req: AdmitRequest) -> BoxFuture<'_, Result<(), AdmitError>> {
        Box::pin(async { Ok(()) })
    }
    fn update(&self, record: DialogRecord) -> BoxFuture<'_, Result<(), AdmitError>> {
        self.records.lock().unwrap().push(record);
        Box::pin(async { Ok(()) })
    }
    fn release(&self, _did: DialogId, _cause: EndCause) -> BoxFuture<'_, Result<(), AdmitError>> {
        Box::pin(async { Ok(()) })
    }
    fn add_profile(
        &self,
        did: DialogId,
        m: ProfileMembership,
    ) -> BoxFuture<'_, Result<(), AdmitError>> {
        *self.add_calls.lock().unwrap() += 1;
        let mut members = self.members.lock().unwrap();
        let set = members.entry(m.key.clone()).or_default();
        let r = match m.limit {
            Some(limit) if set.len() >= limit as usize && !set.contains(&did) => {
                Err(AdmitError::LimitReached { key: m.key, limit })
            }
            _ => {
                set.insert(did);
                Ok(())
            }
        };
        Box::pin(async move { r })
    }
    fn remove_profile(
        &self,
        did: DialogId,
        key: ProfileKey,
    ) -> BoxFuture<'_, Result<(), AdmitError>> {
        if let Some(set) = self.members.lock().unwrap().get_mut(&key) {
            set.remove(&did);
        }
        Box::pin(async { Ok(()) })
    }
    fn profile_size(&self, _: &str, _: Option<&str>) -> BoxFuture<'_, Result<u64, AdmitError>> {
        Box::pin(async { Ok(0) })
    }
    fn profile_dialogs(
        &self,
        _: &str,
        _: Option<&str>,
    ) -> BoxFuture<'_, Result<Vec<DialogId>, AdmitError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn profile_values(&self, _: &str) -> BoxFuture<'_, Result<ProfileValues, AdmitError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

/// A sink that reports every trigger and answers `on_timeout` from a script (then `Expire`).
struct ScriptedSink {
    seen: mpsc::UnboundedSender<(TriggerKind, DialogSnapshot)>,
    decisions: Mutex<VecDeque<TimeoutDecision>>,
}

impl TriggerSink for ScriptedSink {
    fn notify(&self, kind: TriggerKind, dialog: DialogSnapshot) {
        let _ = self.seen.send((kind, dialog));
    }
    fn on_timeout(&self, dialog: DialogSnapshot) -> BoxFuture<'static, TimeoutDecision> {
        let _ = self.seen.send((TriggerKind::OnTimeout, dialog));
        let d = self.decisions.lock().unwrap().pop_front();
        Box::pin(async move { d.unwrap_or(TimeoutDecision::Expire) })
    }
}

type Seen = mpsc::UnboundedReceiver<(TriggerKind, DialogSnapshot)>;

fn sink(decisions: &[TimeoutDecision]) -> (Arc<ScriptedSink>, Seen) {
    let (seen, rx) = mpsc::unbounded_channel();
    let s = ScriptedSink {
        seen,
        decisions: Mutex::new(decisions.iter().copied().collect()),
    };
    (Arc::new(s), rx)
}

async fn start(store: Arc<CountingStore>) -> Proxy {
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = udp.local_addr().unwrap();
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let settings = ProxySettings {
        node_id: 1,
        local: LocalIdentity {
            host: addr.ip().to_string(),
            port: addr.port(),
            aliases: vec![addr],
            record_route: None,
        },
        timers: TimerConfig::default(),
        default_timeout: Duration::from_secs(3600),
        match_mode: MatchMode::default(),
        bye_on_timeout: false,
        bye_extra_headers: Vec::new(),
        limit_reject: (486, "Busy Here".into()),
        max_forwards: 70,
        limits: Default::default(),
        transport: Default::default(),
        parse: Default::default(),
        flood: Default::default(),
        dns: Default::default(),
        relay: Default::default(),
        passivate_after: None,
    };
    Proxy::start(
        settings,
        udp,
        tcp,
        store,
        Policy::default(),
        b"secret",
        1 << 8,
    )
    .unwrap()
}

/// An answered and ACKed dialog, its outputs not yet driven, so that its actor sees the
/// answer when it starts.
fn answered(proxy: &Proxy, settings: DialogSettings) -> Dialog {
    let did = proxy.context().registry.next_id();
    let invite = InitialInvite {
        call_id: format!("call-{did}"),
        from: "<sip:alice@127.0.0.1>;tag=a1".into(),
        from_tag: "a1".into(),
        from_uri: "sip:alice@127.0.0.1".into(),
        to: "<sip:bob@127.0.0.1>".into(),
        to_uri: "sip:bob@127.0.0.1".into(),
        request_uri: "sip:bob@127.0.0.1:9".into(),
        cseq: 1,
        contact: Some("sip:alice@127.0.0.1:9".into()),
        ..Default::default()
    };
    let now = dialogd_proxy::clock::now();
    let mut d = Dialog::new(did, now, 0, invite, settings, Duration::from_secs(3600));
    let ok = ResponseFacts {
        status: 200,
        to: "<sip:bob@127.0.0.1>;tag=b1".into(),
        to_tag: Some("b1".into()),
        contact: Some("sip:bob@127.0.0.1:9".into()),
        cseq: 1,
        cseq_method: Some(Method::Invite),
        ..Default::default()
    };
    d.handle_response(now, 0, &ok);
    let ack = RequestFacts {
        method: Method::Ack,
        call_id: d.call_id().to_owned(),
        from_tag: Some("a1".into()),
        to_tag: Some("b1".into()),
        cseq: 1,
        contact: None,
        matched_by_did: true,
    };
    d.handle_request(now, &ack);
    d
}

fn triggered(timeout_ms: u64) -> DialogSettings {
    DialogSettings {
        timeout: Some(Duration::from_millis(timeout_ms)),
        triggers: vec!["prepaid".into()],
        ..Default::default()
    }
}

async fn next_trigger(rx: &mut Seen) -> (TriggerKind, DialogSnapshot) {
    timeout(WAIT, rx.recv())
        .await
        .expect("a trigger in time")
        .unwrap()
}

async fn next_event(rx: &mut broadcast::Receiver<DialogEvent>, kind: EventKind) -> DialogEvent {
    timeout(WAIT, async {
        loop {
            let e = rx.recv().await.unwrap();
            if e.kind == kind {
                return e;
            }
        }
    })
    .await
    .expect("the event in time")
}

#[tokio::test]
async fn vars_flags_profiles_and_triggers_of_a_live_dialog_are_set_and_replicated() {
    let store = Arc::new(CountingStore::default());
    let proxy = start(store.clone()).await;
    let mut events = proxy.subscribe_events();
    let dialog = answered(&proxy, DialogSettings::default());
    let did = dialog.did();
    dialog_actor::spawn(proxy.context(), dialog).await.unwrap();

    proxy.set_var(did, "billing", "gold").await.unwrap();
    proxy.set_var(did, "tmp", "x").await.unwrap();
    assert_eq!(proxy.unset_var(did, "tmp").await, Ok(()));
    assert_eq!(
        proxy.unset_var(did, "tmp").await,
        Err(ControlError::VarNotSet(did, "tmp".into()))
    );
    assert!(matches!(
        proxy.set_var(did, "", "x").await,
        Err(ControlError::InvalidArgument(_))
    ));
    let vars = BTreeMap::from([("billing".to_owned(), "gold".to_owned())]);
    assert_eq!(proxy.vars(did).await, Ok(vars.clone()));
    for _ in 0..3 {
        next_event(&mut events, EventKind::VarsChanged).await;
    }

    assert_eq!(proxy.set_flag(did, 3).await, Ok(0b1000));
    assert_eq!(proxy.set_flag(did, 0).await, Ok(0b1001));
    assert_eq!(proxy.reset_flag(did, 3).await, Ok(0b0001));
    let err = proxy.set_flag(did, 32).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid argument: flag index 32 is out of range (0 to 31)"
    );

    // Another dialog holds the only slot of `trunk`.
    let trunk = ProfileKey::plain("trunk");
    let other = DialogId::new(1, 999);
    let slot = ProfileMembership {
        key: trunk.clone(),
        limit: Some(1),
    };
    store.add_profile(other, slot).await.unwrap();
    assert_eq!(
        proxy.add_profile(did, trunk.clone(), Some(1)).await,
        Err(ControlError::ProfileFull {
            key: trunk.clone(),
            limit: 1
        })
    );
    let caller = ProfileKey::with_value("caller", "alice");
    assert_eq!(
        proxy.add_profile(did, caller.clone(), Some(1)).await,
        Ok(())
    );
    let calls = *store.add_calls.lock().unwrap();
    assert_eq!(
        proxy.add_profile(did, caller.clone(), Some(1)).await,
        Ok(())
    );
    assert_eq!(*store.add_calls.lock().unwrap(), calls, "already in it");
    assert_eq!(proxy.add_profile(did, trunk.clone(), None).await, Ok(()));
    assert_eq!(proxy.remove_profile(did, trunk.clone()).await, Ok(()));
    assert_eq!(
        proxy.remove_profile(did, trunk.clone()).await,
        Err(ControlError::NotInProfile(did, trunk.clone()))
    );
    assert_eq!((store.size(&caller), store.size(&trunk)), (1, 1));

    let bad = proxy
        .set_triggers(did, vec!["ok".into(), "not ok".into()])
        .await;
    assert!(matches!(bad, Err(ControlError::InvalidArgument(m)) if m.contains("\"not ok\"")));
    let names = vec!["prepaid".into(), "audit".into(), "prepaid".into()];
    assert_eq!(proxy.set_triggers(did, names).await, Ok(()));

    let rec = store.last_record();
    assert_eq!(
        (rec.vars, rec.flags, rec.profiles, rec.triggers),
        (
            vars,
            0b1,
            vec![caller],
            vec!["prepaid".into(), "audit".into()]
        )
    );
    let snap = proxy.snapshot(did).await.unwrap();
    assert_eq!(snap.triggers, ["prepaid", "audit"]);

    let unknown = DialogId::new(1, 12345);
    assert_eq!(
        proxy.set_var(unknown, "a", "b").await,
        Err(ControlError::NotFound(unknown))
    );
    assert_eq!(
        proxy.vars(unknown).await,
        Err(ControlError::NotFound(unknown))
    );
    proxy.end(did, &[], Vec::new()).await.unwrap();
    next_event(&mut events, EventKind::Deleted).await;
    assert_eq!(
        proxy.set_flag(did, 1).await,
        Err(ControlError::NotFound(did))
    );
    proxy.shutdown();
}

#[tokio::test]
async fn answer_timeout_extension_expiry_and_hangup_reach_the_trigger_sink() {
    let store = Arc::new(CountingStore::default());
    let proxy = start(store.clone()).await;
    let (sink, mut seen) = sink(&[TimeoutDecision::Extend(Duration::from_millis(300))]);
    proxy.set_trigger_sink(sink);
    let mut events = proxy.subscribe_events();
    let dialog = answered(&proxy, triggered(200));
    let did = dialog.did();
    dialog_actor::spawn(proxy.context(), dialog).await.unwrap();

    let (kind, answered) = next_trigger(&mut seen).await;
    assert_eq!(
        (kind, answered.did, answered.end_cause),
        (TriggerKind::OnAnswer, did, None)
    );
    assert_eq!(answered.triggers, ["prepaid"]);

    let started = dialogd_proxy::clock::now();
    let (kind, _) = next_trigger(&mut seen).await;
    assert_eq!(kind, TriggerKind::OnTimeout, "first timeout");
    let changed = next_event(&mut events, EventKind::TimeoutChanged).await;
    assert_eq!(changed.timeout, Duration::from_millis(300), "extended");

    let (kind, _) = next_trigger(&mut seen).await;
    assert_eq!(kind, TriggerKind::OnTimeout, "second timeout: expired");
    assert!(started.elapsed() >= Duration::from_millis(300));
    let (kind, hung_up) = next_trigger(&mut seen).await;
    assert_eq!(
        (kind, hung_up.end_cause),
        (TriggerKind::OnHangup, Some(EndCause::Timeout))
    );
    let deleted = next_event(&mut events, EventKind::Deleted).await;
    assert_eq!(deleted.end_cause, Some(EndCause::Timeout));
    assert!(proxy.context().registry.get(did).is_none());
    assert_eq!(proxy.stats().expired, 1);
    proxy.shutdown();
}

#[tokio::test]
async fn without_a_sink_a_triggered_timeout_expires_and_plain_dialogs_notify_nobody() {
    let store = Arc::new(CountingStore::default());
    let proxy = start(store).await;
    let mut events = proxy.subscribe_events();
    let dialog = answered(&proxy, triggered(100));
    dialog_actor::spawn(proxy.context(), dialog).await.unwrap();
    let deleted = next_event(&mut events, EventKind::Deleted).await;
    assert_eq!(deleted.end_cause, Some(EndCause::Timeout));

    // A sink set now hears nothing of a dialog without trigger names.
    let (sink, mut seen) = sink(&[]);
    proxy.set_trigger_sink(sink);
    let plain = answered(
        &proxy,
        DialogSettings {
            timeout: Some(Duration::from_millis(100)),
            ..Default::default()
        },
    );
    dialog_actor::spawn(proxy.context(), plain).await.unwrap();
    let deleted = next_event(&mut events, EventKind::Deleted).await;
    assert_eq!(deleted.end_cause, Some(EndCause::Timeout));
    assert!(seen.try_recv().is_err(), "no trigger for a plain dialog");
    proxy.shutdown();
}
