//! [`ClusterOwnerLink`]: the proxy's [`OwnerLink`] over the node-to-node `NodeForward`
//! service — a member that received an in-dialog request for a dialog another member drives
//! asks that member's actor to judge it (`JudgeRequest`), and relays the SDP of the answer
//! (`NoteMedia`). Calls go through [`Owners::client`] (cluster secret, forwarded mark, the
//! cluster's mutual TLS when on).
//!
//! An owner that does not answer within [`JUDGE_TIMEOUT`] counts as unreachable, and the
//! proxy takes the dialog over ([`dialogd_proxy::message_path::in_dialog`]). A member found unreachable is
//! not asked again for [`DOWN_FOR`]: while it stays dead, each request of each of its
//! dialogs would otherwise wait for the timeout again (a host that vanished refuses nothing,
//! its connections just time out).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use dialogd_api::call_control::convert::{leg_of_side, side_of_leg};
use dialogd_api::pb::{self, JudgeOutcome};
use dialogd_dialog::{DialogId, Leg};
use dialogd_proxy::dialog_actor::DialogAnswer;
use dialogd_proxy::owner_link::{OwnerAnswer, OwnerLink, Unreachable};
use futures::future::BoxFuture;

use crate::owners::Owners;

/// How long the owner has to judge a request. The endpoint's transaction is running
/// meanwhile (its retransmissions are absorbed), so this bounds what a dead owner adds to a
/// request before the dialog is taken over; a live owner answers in a round trip.
pub const JUDGE_TIMEOUT: Duration = Duration::from_secs(1);

/// How long a member that did not answer is not asked again.
pub const DOWN_FOR: Duration = Duration::from_secs(2);

/// Asks owners over `NodeForward`.
pub struct ClusterOwnerLink {
    owners: Arc<Owners>,
    /// Members that did not answer, and when.
    down: Mutex<HashMap<u64, Instant>>,
}

impl ClusterOwnerLink {
    pub fn new(owners: Arc<Owners>) -> ClusterOwnerLink {
        ClusterOwnerLink {
            owners,
            down: Mutex::new(HashMap::new()),
        }
    }

    fn is_down(&self, node: u64) -> bool {
        let down = self.down.lock().unwrap_or_else(|e| e.into_inner());
        down.get(&node).is_some_and(|t| t.elapsed() < DOWN_FOR)
    }

    fn mark(&self, node: u64, up: bool) {
        let mut down = self.down.lock().unwrap_or_else(|e| e.into_inner());
        if up {
            down.remove(&node);
        } else {
            down.insert(node, Instant::now());
        }
    }

    async fn ask(
        &self,
        owner: u64,
        did: DialogId,
        request: Bytes,
    ) -> Result<pb::JudgeRequestResponse, String> {
        let mut client = self
            .owners
            .client(owner)
            .map_err(|e| e.to_string())?
            .raw_node_forward();
        let mut req = tonic::Request::new(pb::JudgeRequestRequest {
            from_node: self.owners.node_id(),
            did: did.0,
            request: request.to_vec(),
        });
        req.set_timeout(JUDGE_TIMEOUT);
        match tokio::time::timeout(JUDGE_TIMEOUT, client.judge_request(req)).await {
            Ok(Ok(resp)) => Ok(resp.into_inner()),
            Ok(Err(s)) => Err(format!("{:?}: {}", s.code(), s.message())),
            Err(_) => Err(format!("no answer within {JUDGE_TIMEOUT:?}")),
        }
    }
}

/// The owner's answer as the proxy takes it; `None` for an answer that makes no sense (an
/// owner of another version), treated as no answer.
fn answer_of(resp: &pb::JudgeRequestResponse) -> Option<OwnerAnswer> {
    let code = || {
        u16::try_from(resp.code)
            .ok()
            .filter(|c| (100..700).contains(c))
    };
    let answer = match JudgeOutcome::try_from(resp.outcome).ok()? {
        JudgeOutcome::Forward => DialogAnswer::Forward {
            rewrite_cseq: resp.rewrite_cseq,
            from: leg_of_side(resp.from)?,
        },
        JudgeOutcome::Reject => DialogAnswer::Reject {
            code: code()?,
            reason: resp.reason.clone(),
        },
        JudgeOutcome::Answer => DialogAnswer::Answer {
            code: code()?,
            reason: resp.reason.clone(),
        },
        JudgeOutcome::NotThisDialog => DialogAnswer::NotThisDialog,
        JudgeOutcome::NotDriving => return Some(OwnerAnswer::NotDriving),
        JudgeOutcome::Unspecified => return None,
    };
    Some(OwnerAnswer::Judged(answer))
}

/// The wire form of an owner's answer (the serving side).
pub fn answer_to_proto(answer: &OwnerAnswer) -> pb::JudgeRequestResponse {
    let mut resp = pb::JudgeRequestResponse::default();
    let outcome = match answer {
        OwnerAnswer::NotDriving => JudgeOutcome::NotDriving,
        OwnerAnswer::Judged(DialogAnswer::Forward { rewrite_cseq, from }) => {
            resp.rewrite_cseq = *rewrite_cseq;
            resp.from = side_of_leg(*from) as i32;
            JudgeOutcome::Forward
        }
        OwnerAnswer::Judged(DialogAnswer::Reject { code, reason }) => {
            resp.code = u32::from(*code);
            resp.reason.clone_from(reason);
            JudgeOutcome::Reject
        }
        OwnerAnswer::Judged(DialogAnswer::Answer { code, reason }) => {
            resp.code = u32::from(*code);
            resp.reason.clone_from(reason);
            JudgeOutcome::Answer
        }
        OwnerAnswer::Judged(DialogAnswer::NotThisDialog) => JudgeOutcome::NotThisDialog,
    };
    resp.outcome = outcome as i32;
    resp
}

impl OwnerLink for ClusterOwnerLink {
    fn judge(
        &self,
        owner: u64,
        did: DialogId,
        request: Bytes,
    ) -> BoxFuture<'_, Result<OwnerAnswer, Unreachable>> {
        Box::pin(async move {
            let unreachable = |reason: String| Unreachable {
                node: owner,
                reason,
            };
            if self.is_down(owner) {
                return Err(unreachable(format!(
                    "did not answer less than {DOWN_FOR:?} ago"
                )));
            }
            match self.ask(owner, did, request).await {
                Ok(resp) => {
                    self.mark(owner, true);
                    answer_of(&resp).ok_or_else(|| {
                        unreachable(format!("answered outcome {} it cannot mean", resp.outcome))
                    })
                }
                Err(reason) => {
                    self.mark(owner, false);
                    Err(unreachable(reason))
                }
            }
        })
    }

    fn note_media(&self, owner: u64, did: DialogId, leg: Leg, sdp: Bytes) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let Ok(client) = self.owners.client(owner) else {
                return;
            };
            let mut req = tonic::Request::new(pb::NoteMediaRequest {
                from_node: self.owners.node_id(),
                did: did.0,
                leg: side_of_leg(leg) as i32,
                sdp: sdp.to_vec(),
            });
            req.set_timeout(JUDGE_TIMEOUT);
            let mut forward = client.raw_node_forward();
            let call = forward.note_media(req);
            if let Ok(Err(s)) = tokio::time::timeout(JUDGE_TIMEOUT, call).await {
                tracing::debug!(%did, owner, error = %s, "SDP note not delivered to the owner");
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_survive_the_wire() {
        let answers = [
            OwnerAnswer::NotDriving,
            OwnerAnswer::Judged(DialogAnswer::Forward {
                rewrite_cseq: Some(1005),
                from: Leg::Callee,
            }),
            OwnerAnswer::Judged(DialogAnswer::Forward {
                rewrite_cseq: None,
                from: Leg::Caller,
            }),
            OwnerAnswer::Judged(DialogAnswer::Reject {
                code: 500,
                reason: "Server Internal Error".into(),
            }),
            OwnerAnswer::Judged(DialogAnswer::Answer {
                code: 200,
                reason: "OK".into(),
            }),
            OwnerAnswer::Judged(DialogAnswer::NotThisDialog),
        ];
        for a in answers {
            assert_eq!(answer_of(&answer_to_proto(&a)), Some(a));
        }
        // Nonsense from a peer is no answer, not a verdict.
        let bad = pb::JudgeRequestResponse {
            outcome: JudgeOutcome::Reject as i32,
            code: 70000,
            ..Default::default()
        };
        assert_eq!(answer_of(&bad), None);
        let bad = pb::JudgeRequestResponse {
            outcome: 99,
            ..Default::default()
        };
        assert_eq!(answer_of(&bad), None);
    }
}
