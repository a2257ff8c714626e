//! Conversions of the `CallControl` values between the API's plain types
//! (`types.rs`) and the `dialogd.v1` messages, both ways: domain → proto never
//! fails; proto → domain returns [`Error::BadReply`] for what the domain cannot hold. The
//! server's argument checks live in `validate.rs`, not here.

use dialogd_dialog::Leg;

use crate::call_control::types::{HoldMode, LegResult, LinkMode};
use crate::error::Error;
use crate::pb;

/// The call side of one leg.
pub fn side_of_leg(leg: Leg) -> pb::CallSide {
    match leg {
        Leg::Caller => pb::CallSide::Caller,
        Leg::Callee => pb::CallSide::Callee,
    }
}

/// The leg of a call side number; `None` for unspecified, both and unknown numbers.
pub fn leg_of_side(value: i32) -> Option<Leg> {
    match pb::CallSide::try_from(value).ok()? {
        pb::CallSide::Caller => Some(Leg::Caller),
        pb::CallSide::Callee => Some(Leg::Callee),
        pb::CallSide::Unspecified | pb::CallSide::Both => None,
    }
}

/// The proto enum value of a link mode.
pub fn link_mode_to_proto(mode: LinkMode) -> pb::LinkMode {
    match mode {
        LinkMode::Param => pb::LinkMode::Param,
        LinkMode::CallId => pb::LinkMode::Callid,
        LinkMode::Manual => pb::LinkMode::Manual,
    }
}

/// The proto enum value of a hold mode.
pub fn hold_mode_to_proto(mode: HoldMode) -> pb::HoldMode {
    match mode {
        HoldMode::SendOnly => pb::HoldMode::Sendonly,
        HoldMode::Inactive => pb::HoldMode::Inactive,
    }
}

impl From<LegResult> for pb::LegResult {
    fn from(o: LegResult) -> pb::LegResult {
        pb::LegResult {
            side: side_of_leg(o.leg) as i32,
            status: u32::from(o.status),
            error: o.error.unwrap_or_default(),
        }
    }
}

impl TryFrom<pb::LegResult> for LegResult {
    type Error = Error;

    fn try_from(r: pb::LegResult) -> Result<LegResult, Error> {
        let leg = leg_of_side(r.side).ok_or_else(|| Error::BadReply {
            field: "leg side",
            value: r.side.to_string(),
        })?;
        let status = u16::try_from(r.status).map_err(|_| Error::BadReply {
            field: "leg status",
            value: r.status.to_string(),
        })?;
        Ok(LegResult {
            leg,
            status,
            error: (!r.error.is_empty()).then_some(r.error),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leg_outcomes_round_trip_and_bad_sides_are_refused() {
        for o in [
            LegResult {
                leg: Leg::Caller,
                status: 200,
                error: None,
            },
            LegResult {
                leg: Leg::Callee,
                status: 0,
                error: Some("no answer within 4 s".into()),
            },
        ] {
            assert_eq!(
                LegResult::try_from(pb::LegResult::from(o.clone())).unwrap(),
                o
            );
        }
        for (side, status) in [(0, 200), (3, 200), (9, 200), (1, 70_000)] {
            let r = pb::LegResult {
                side,
                status,
                error: String::new(),
            };
            assert!(matches!(
                LegResult::try_from(r),
                Err(Error::BadReply { .. })
            ));
        }
    }

    #[test]
    fn modes_have_their_proto_numbers() {
        assert_eq!(link_mode_to_proto(LinkMode::Param) as i32, 1);
        assert_eq!(link_mode_to_proto(LinkMode::CallId) as i32, 2);
        assert_eq!(link_mode_to_proto(LinkMode::Manual) as i32, 3);
        assert_eq!(hold_mode_to_proto(HoldMode::SendOnly) as i32, 1);
        assert_eq!(hold_mode_to_proto(HoldMode::Inactive) as i32, 2);
        assert_eq!(
            leg_of_side(side_of_leg(Leg::Callee) as i32),
            Some(Leg::Callee)
        );
    }
}
