//! [`Branches`]: the To tags the initial INVITE was answered with — downstream forking
//! (RFC 3261 §12.1, §13.2.2.4). Every provisional with a new To tag opens an early dialog;
//! the first 2xx picks the branch the dialog follows; every other branch is "lost": its
//! requests (the caller's ACK and BYE to a second 2xx, PRACKs, a late 180's UPDATE) are
//! proxied but never touch the tracked dialog.
//!
//! ```text
//!  180 tag=b1 ─▶ early[b1]   183 tag=b2 ─▶ early[b1, b2]   200 tag=b2 ─▶ answered b2, lost [b1]
//!  200 tag=b3 (another branch, later) ─▶ lost [b1, b3]
//! ```
//!
//! Early dialogs keep their own CSeq order per side (each is its own dialog to the caller
//! and to its UAS, RFC 3261 §12.1.2); the answered branch's order becomes the dialog's. At
//! most [`MAX_BRANCHES`] tags are remembered, so a peer inventing tags cannot grow a dialog.
//! Tags only: the dialog's state and route sets are [`crate::Dialog`]'s.

use crate::cseq::CseqTracker;

/// Branches remembered per dialog (early plus lost); further new tags are not tracked.
pub const MAX_BRANCHES: usize = 16;

/// An early dialog: one To tag and the CSeq order of both sides within it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EarlyBranch {
    pub tag: String,
    pub caller: CseqTracker,
    pub callee: CseqTracker,
}

/// What a callee-side tag is to the dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BranchRole {
    /// The branch whose 2xx confirmed the dialog.
    Answered,
    /// An early dialog (index into the early branches), before any 2xx.
    Early(usize),
    /// A branch that lost to the answered one.
    Lost,
}

/// The branches of one dialog.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Branches {
    early: Vec<EarlyBranch>,
    answered: Option<String>,
    lost: Vec<String>,
}

impl Branches {
    fn is_full(&self) -> bool {
        self.early.len() + self.lost.len() >= MAX_BRANCHES
    }

    /// A provisional (or a later 2xx) with To tag `tag`: a new early branch before the answer,
    /// a lost one after. `caller` is the caller's order at the INVITE. True if the tag is new.
    pub fn note(&mut self, tag: &str, caller: CseqTracker) -> bool {
        if self.role(tag).is_some() || self.is_full() {
            return false;
        }
        if self.answered.is_some() {
            self.lost.push(tag.to_owned());
        } else {
            let callee = CseqTracker::default();
            self.early.push(EarlyBranch {
                tag: tag.to_owned(),
                caller,
                callee,
            });
        }
        true
    }

    /// The first 2xx, with To tag `tag`: every other early branch is lost. Returns the
    /// answered branch's early dialog, if it had one.
    pub fn answer(&mut self, tag: &str) -> Option<EarlyBranch> {
        let early = std::mem::take(&mut self.early);
        let mut answered = None;
        for branch in early {
            if branch.tag == tag {
                answered = Some(branch);
            } else {
                self.lost.push(branch.tag);
            }
        }
        self.answered = Some(tag.to_owned());
        answered
    }

    /// What `tag` is to the dialog, if it knows it.
    pub fn role(&self, tag: &str) -> Option<BranchRole> {
        if self.answered.as_deref() == Some(tag) {
            Some(BranchRole::Answered)
        } else if let Some(i) = self.early.iter().position(|b| b.tag == tag) {
            Some(BranchRole::Early(i))
        } else if self.lost.iter().any(|t| t == tag) {
            Some(BranchRole::Lost)
        } else {
            None
        }
    }

    /// The early branch at `index` (from [`BranchRole::Early`]).
    pub fn early_mut(&mut self, index: usize) -> Option<&mut EarlyBranch> {
        self.early.get_mut(index)
    }

    /// The To tag of the answered branch.
    pub fn answered(&self) -> Option<&str> {
        self.answered.as_deref()
    }

    /// Tags of the early dialogs, in arrival order.
    pub fn early_tags(&self) -> impl Iterator<Item = &str> {
        self.early.iter().map(|b| b.tag.as_str())
    }

    /// Tags of the lost branches.
    pub fn lost_tags(&self) -> &[String] {
        &self.lost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forking_life() {
        let base = CseqTracker::after_invite(1);
        let mut b = Branches::default();
        // (tag noted, is new, roles of b1, b2, b3 afterwards)
        assert!(b.note("b1", base));
        assert!(!b.note("b1", base));
        assert!(b.note("b2", base));
        assert_eq!(b.early_tags().collect::<Vec<_>>(), ["b1", "b2"]);
        assert_eq!(b.role("b2"), Some(BranchRole::Early(1)));
        assert_eq!(b.role("b3"), None);

        let won = b.answer("b2").unwrap();
        assert_eq!(won.tag, "b2");
        assert_eq!(won.caller, base);
        assert_eq!(b.answered(), Some("b2"));
        assert!(b.note("b3", base)); // a later 2xx of another branch
        let table = [
            ("b1", Some(BranchRole::Lost)),
            ("b2", Some(BranchRole::Answered)),
            ("b3", Some(BranchRole::Lost)),
            ("zz", None),
        ];
        for (tag, role) in table {
            assert_eq!(b.role(tag), role, "{tag}");
        }
        assert_eq!(b.early_tags().count(), 0);
        assert_eq!(b.lost_tags(), ["b1", "b3"]);
    }

    #[test]
    fn a_2xx_without_provisional_answers_directly() {
        let mut b = Branches::default();
        assert_eq!(b.answer("x"), None);
        assert_eq!(b.role("x"), Some(BranchRole::Answered));
    }

    #[test]
    fn tags_are_bounded() {
        let base = CseqTracker::default();
        let mut b = Branches::default();
        for i in 0..MAX_BRANCHES + 5 {
            b.note(&format!("t{i}"), base);
        }
        assert_eq!(b.early_tags().count(), MAX_BRANCHES);
        assert_eq!(b.role(&format!("t{MAX_BRANCHES}")), None);
    }
}
