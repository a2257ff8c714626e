use dialogd_dialog::{DialogId, EndCause, ProfileKey, ProfileMembership};

use super::*;
use crate::command::{Command, CommandResult};

fn admit(did: u64, owner: u64, profiles: &[(&str, Option<&str>, Option<u32>)]) -> Command {
    Command::Admit {
        did: DialogId(did),
        owner,
        profiles: crate::test_fixtures::memberships(profiles),
        record: None,
    }
}

fn apply(s: &mut ClusterState, c: Command) -> CommandResult {
    let mut moved = Vec::new();
    let r = s.apply(c, &mut moved);
    s.check_invariants().unwrap();
    r
}

#[test]
fn admission_is_exact_and_all_or_nothing() {
    let mut s = ClusterState::default();
    for i in 0..3 {
        let r = apply(
            &mut s,
            admit(
                i,
                1,
                &[("caller", Some("alice"), Some(3)), ("all", None, Some(4))],
            ),
        );
        assert_eq!(r, CommandResult::Ok);
    }
    // caller/alice full: the whole admission fails, "all" is not touched.
    let r = apply(
        &mut s,
        admit(
            9,
            1,
            &[("all", None, Some(4)), ("caller", Some("alice"), Some(3))],
        ),
    );
    assert!(matches!(r, CommandResult::LimitReached { limit: 3, .. }));
    assert_eq!(s.profile_size("all", None), 3);
    assert_eq!(apply(&mut s, admit(1, 1, &[])), CommandResult::Duplicate);
    // another value has room
    assert_eq!(
        apply(&mut s, admit(10, 2, &[("caller", Some("bob"), Some(3))])),
        CommandResult::Ok
    );
    assert_eq!(s.profile_size("caller", None), 4);
    assert_eq!(s.profile_size("caller", Some("bob")), 1);
    assert_eq!(
        s.profile_values("caller"),
        vec![(Some("alice".into()), 3), (Some("bob".into()), 1)]
    );
}

#[test]
fn release_is_idempotent_and_counts() {
    let mut s = ClusterState::default();
    apply(&mut s, admit(1, 1, &[("p", None, Some(1))]));
    assert_eq!(
        apply(
            &mut s,
            Command::Release {
                did: DialogId(1),
                cause: EndCause::Failed(486)
            }
        ),
        CommandResult::Ok
    );
    assert_eq!(
        apply(
            &mut s,
            Command::Release {
                did: DialogId(1),
                cause: EndCause::Failed(486)
            }
        ),
        CommandResult::Unknown
    );
    assert_eq!(s.profile_size("p", None), 0);
    assert_eq!(s.counters().failed, 1);
    assert_eq!(s.dialog_count(), 0);
}

#[test]
fn profiles_on_live_dialogs_keep_limits() {
    let mut s = ClusterState::default();
    apply(&mut s, admit(1, 1, &[("p", None, Some(1))]));
    apply(&mut s, admit(2, 1, &[]));
    let add = |did| Command::AddProfile {
        did: DialogId(did),
        membership: ProfileMembership {
            key: ProfileKey::plain("p"),
            limit: Some(1),
        },
    };
    assert!(matches!(
        apply(&mut s, add(2)),
        CommandResult::LimitReached { .. }
    ));
    assert_eq!(apply(&mut s, add(1)), CommandResult::Ok, "already a member");
    assert_eq!(apply(&mut s, add(3)), CommandResult::Unknown);
    apply(
        &mut s,
        Command::RemoveProfile {
            did: DialogId(1),
            key: ProfileKey::plain("p"),
        },
    );
    assert_eq!(apply(&mut s, add(2)), CommandResult::Ok);
    assert_eq!(s.profile_dialogs("p", None), vec![DialogId(2)]);
}

#[test]
fn reassign_moves_only_dialogs_still_owned_by_the_old_node() {
    let mut s = ClusterState::default();
    apply(&mut s, admit(1, 1, &[]));
    apply(&mut s, admit(2, 2, &[]));
    let mut moved = Vec::new();
    let r = s.apply(
        Command::Reassign {
            moves: vec![
                (DialogId(1), 1, 3),
                (DialogId(2), 1, 3),
                (DialogId(7), 1, 3),
            ],
        },
        &mut moved,
    );
    assert_eq!(r, CommandResult::Moved(1));
    assert_eq!(
        moved,
        vec![OwnerChange {
            did: DialogId(1),
            from: 1,
            to: 3,
            ended: None,
        }]
    );
    assert_eq!(s.dialog(DialogId(1)).unwrap().owner, 3);
    assert_eq!(s.owned_by(2).count(), 1);
}

#[test]
fn snapshot_round_trip() {
    let mut s = ClusterState::default();
    apply(&mut s, admit(1, 1, &[("caller", Some("a"), Some(2))]));
    let bytes = serde_json::to_vec(&s).unwrap();
    let back: ClusterState = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(back, s);
}
