//! Conversions between the `Cluster` domain view ([`ClusterView`], [`MemberView`], [`Role`])
//! and the `dialogd.v1` messages, both ways. Domain → proto never fails; proto → domain returns
//! [`Error::BadReply`] for a role the domain does not know. Argument checks live in
//! `validate.rs`, not here.

use crate::cluster::backend::{ClusterView, MemberView, Role};
use crate::error::Error;
use crate::pb;

/// The proto enum value of a role.
pub fn role_to_proto(role: Role) -> pb::Role {
    match role {
        Role::Voter => pb::Role::Voter,
        Role::Learner => pb::Role::Learner,
    }
}

/// The role of a proto enum number; `None` for 0 (unspecified) and unknown numbers.
pub fn role_from_proto(value: i32) -> Option<Role> {
    match pb::Role::try_from(value).ok()? {
        pb::Role::Unspecified => None,
        pb::Role::Voter => Some(Role::Voter),
        pb::Role::Learner => Some(Role::Learner),
    }
}

impl From<&MemberView> for pb::Member {
    fn from(m: &MemberView) -> pb::Member {
        pb::Member {
            node_id: m.node_id,
            addr: m.addr.clone(),
            role: role_to_proto(m.role) as i32,
            leader: m.leader,
            reachable: m.reachable,
            last_seen_ms_ago: m.last_seen_ms_ago.unwrap_or(0),
            matched_index: m.matched_index,
        }
    }
}

impl TryFrom<pb::Member> for MemberView {
    type Error = Error;

    fn try_from(m: pb::Member) -> Result<MemberView, Error> {
        let role = role_from_proto(m.role).ok_or_else(|| Error::BadReply {
            field: "member role",
            value: m.role.to_string(),
        })?;
        Ok(MemberView {
            node_id: m.node_id,
            addr: m.addr,
            role,
            leader: m.leader,
            reachable: m.reachable,
            last_seen_ms_ago: (m.last_seen_ms_ago != 0).then_some(m.last_seen_ms_ago),
            matched_index: m.matched_index,
        })
    }
}

impl From<&ClusterView> for pb::ClusterView {
    fn from(v: &ClusterView) -> pb::ClusterView {
        pb::ClusterView {
            leader_id: v.leader_id.unwrap_or(0),
            term: v.term,
            this_node: v.this_node,
            members: v.members.iter().map(pb::Member::from).collect(),
        }
    }
}

impl TryFrom<pb::ClusterView> for ClusterView {
    type Error = Error;

    fn try_from(v: pb::ClusterView) -> Result<ClusterView, Error> {
        Ok(ClusterView {
            leader_id: (v.leader_id != 0).then_some(v.leader_id),
            term: v.term,
            this_node: v.this_node,
            members: v
                .members
                .into_iter()
                .map(MemberView::try_from)
                .collect::<Result<_, _>>()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> ClusterView {
        let member = |node_id: u64, role, leader, last_seen_ms_ago: Option<u64>| MemberView {
            node_id,
            addr: format!("http://10.0.0.{node_id}:50051"),
            role,
            leader,
            reachable: last_seen_ms_ago.is_some() || leader,
            last_seen_ms_ago,
            matched_index: 40 + node_id,
        };
        ClusterView {
            leader_id: Some(1),
            term: 3,
            this_node: 1,
            members: vec![
                member(1, Role::Voter, true, None),
                member(2, Role::Voter, false, Some(120)),
                member(3, Role::Learner, false, None),
            ],
        }
    }

    #[test]
    fn view_round_trips_through_proto() {
        let view = view();
        let proto = pb::ClusterView::from(&view);
        assert_eq!(proto.leader_id, 1);
        assert_eq!(proto.members[2].role, pb::Role::Learner as i32);
        assert_eq!(proto.members[0].last_seen_ms_ago, 0);
        assert_eq!(ClusterView::try_from(proto).ok(), Some(view));
    }

    #[test]
    fn unknown_leader_is_zero_on_the_wire() {
        let view = ClusterView {
            leader_id: None,
            members: vec![],
            ..view()
        };
        let proto = pb::ClusterView::from(&view);
        assert_eq!(proto.leader_id, 0);
        assert_eq!(ClusterView::try_from(proto).ok(), Some(view));
    }

    #[test]
    fn unspecified_or_unknown_role_is_a_bad_reply() {
        for role in [0, 9] {
            let mut proto = pb::ClusterView::from(&view());
            proto.members[1].role = role;
            let err = ClusterView::try_from(proto).err();
            assert!(
                matches!(err, Some(Error::BadReply { field: "member role", ref value }) if *value == role.to_string()),
                "{err:?}"
            );
        }
    }
}
