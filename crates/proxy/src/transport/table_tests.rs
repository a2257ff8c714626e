//! Unit tests of [`super::ConnectionTable`]: the admission rules as tables of connections in,
//! verdicts out.

use tokio_util::sync::CancellationToken;

use super::*;

fn config(max: usize, reserve: usize, per_ip: usize) -> TransportConfig {
    TransportConfig {
        max_connections: max,
        tcp_outbound_reserve: reserve,
        tcp_max_connections_per_ip: per_ip,
        ..Default::default()
    }
}

fn conn(id: u64, peer: &str, origin: Origin) -> Arc<Connection> {
    let peer = peer.parse().unwrap();
    Arc::new(Connection::new(
        id,
        peer,
        origin,
        1024,
        CancellationToken::new(),
    ))
}

#[test]
fn admission_follows_limit_reserve_and_per_ip() {
    use Origin::{Accepted, Opened};
    // max 4, reserve 1, 2 accepted per IP. Each row: a connection and the verdict.
    let rows: &[(&str, Origin, Result<(), Refusal>)] = &[
        ("10.0.0.1:1000", Accepted, Ok(())),
        ("10.0.0.1:1001", Accepted, Ok(())),
        ("10.0.0.1:1002", Accepted, Err(Refusal::PerIp)),
        ("10.0.0.2:1000", Accepted, Ok(())),
        // Three in the table: the last slot is for connections we open.
        ("10.0.0.3:1000", Accepted, Err(Refusal::Reserve)),
        ("10.0.0.9:5060", Opened, Ok(())),
        ("10.0.0.8:5060", Opened, Err(Refusal::Limit)),
        ("10.0.0.4:1000", Accepted, Err(Refusal::Limit)),
    ];
    let mut table = ConnectionTable::new(&config(4, 1, 2));
    for (id, (peer, origin, verdict)) in rows.iter().enumerate() {
        let got = table.insert(conn(id as u64, peer, *origin));
        assert_eq!(got, *verdict, "{peer} {origin:?}");
    }
    assert_eq!(table.len(), 4);
}

#[test]
fn removing_frees_the_slot_and_the_per_ip_count() {
    let mut table = ConnectionTable::new(&config(10, 0, 1));
    let first = conn(1, "10.0.0.1:1000", Origin::Accepted);
    table.insert(Arc::clone(&first)).unwrap();
    let second = conn(2, "10.0.0.1:1001", Origin::Accepted);
    assert_eq!(table.insert(Arc::clone(&second)), Err(Refusal::PerIp));
    table.remove(&first);
    assert_eq!(table.len(), 0);
    assert_eq!(table.insert(second), Ok(()));
}

#[test]
fn an_accepted_connection_replaces_and_closes_a_stale_one_from_the_same_address() {
    let mut table = ConnectionTable::new(&config(10, 0, 1));
    let old = conn(1, "10.0.0.1:1000", Origin::Accepted);
    table.insert(Arc::clone(&old)).unwrap();
    let new = conn(2, "10.0.0.1:1000", Origin::Accepted);
    assert_eq!(
        table.insert(Arc::clone(&new)),
        Ok(()),
        "the per-IP cap counts the old one out"
    );
    assert!(old.is_closed());
    assert!(matches!(old.close_reason(), Some(CloseReason::Replaced)));
    // The old connection's end does not remove the new one.
    table.remove(&old);
    assert_eq!(table.get(new.peer).map(|c| c.id), Some(2));
    table.remove(&new);
    assert_eq!(
        table.insert(conn(3, "10.0.0.1:2000", Origin::Accepted)),
        Ok(())
    );
}

#[test]
fn closed_connections_are_not_found() {
    let mut table = ConnectionTable::new(&config(10, 0, 10));
    let c = conn(1, "10.0.0.1:5060", Origin::Opened);
    table.insert(Arc::clone(&c)).unwrap();
    assert!(table.get(c.peer).is_some());
    c.close(CloseReason::Eof);
    assert!(table.get(c.peer).is_none());
}
