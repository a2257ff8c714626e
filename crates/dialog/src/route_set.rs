//! [`RouteSet`]: the Route values of the requests the proxy itself sends to one leg (RFC 3261
//! §12.1.1, §12.1.2, §16.12.1.2), computed once when the dialog is set up and never changed by
//! re-INVITEs (§12.2).
//!
//! From where the proxy sits in the chain `caller ── P1 ── us ── P2 ── P3 ── callee`:
//!
//! | towards | source | order as received | route set (nearest first) |
//! |---|---|---|---|
//! | caller | Record-Route of the INVITE as received (before ours is added) | `P1` | `P1` |
//! | callee | Record-Route of the confirming 2xx **above ours** | `P3, P2, us` | `P2, P3` |
//!
//! The 2xx's Record-Route lists the proxies from the callee's end down to the caller's, so the
//! part above ours is reversed. The proxy finds "ours" (the element carrying our `did`) and
//! passes only the elements above it ([`crate::ResponseFacts::record_route_above`]). Elements
//! are kept verbatim (`<sip:p2.example.com;lr>`); loose routing is assumed, as every proxy
//! since RFC 3261 does.

/// Route values towards one leg, nearest hop first.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RouteSet(Vec<String>);

impl RouteSet {
    /// Towards the caller: the INVITE's Record-Route elements as received, top first.
    pub fn towards_caller(invite_record_route: Vec<String>) -> RouteSet {
        RouteSet(invite_record_route)
    }

    /// Towards the callee: the 2xx's Record-Route elements above ours (top first), reversed.
    pub fn towards_callee(mut record_route_above_ours: Vec<String>) -> RouteSet {
        record_route_above_ours.reverse();
        RouteSet(record_route_above_ours)
    }

    /// A route set as replicated ([`crate::LegRecord::route_set`]): nearest hop first already.
    pub(crate) fn nearest_first(routes: Vec<String>) -> RouteSet {
        RouteSet(routes)
    }

    /// The Route values, nearest hop first.
    pub fn routes(&self) -> &[String] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn route_sets_are_nearest_first_in_both_directions() {
        // (INVITE's Record-Route, 2xx's above ours, towards caller, towards callee)
        type Row<'a> = (&'a [&'a str], &'a [&'a str], &'a [&'a str], &'a [&'a str]);
        let table: &[Row] = &[
            (&[], &[], &[], &[]),
            (&["<sip:p1;lr>"], &[], &["<sip:p1;lr>"], &[]),
            (
                &[],
                &["<sip:p3;lr>", "<sip:p2;lr>"],
                &[],
                &["<sip:p2;lr>", "<sip:p3;lr>"],
            ),
            (
                &["<sip:p1;lr>", "<sip:p0;lr>"],
                &["<sip:p2;lr;x=1>"],
                &["<sip:p1;lr>", "<sip:p0;lr>"],
                &["<sip:p2;lr;x=1>"],
            ),
        ];
        for (invite_rr, above, caller, callee) in table {
            assert_eq!(
                RouteSet::towards_caller(v(invite_rr)).routes(),
                v(caller).as_slice()
            );
            let towards_callee = RouteSet::towards_callee(v(above));
            assert_eq!(towards_callee.routes(), v(callee).as_slice());
            assert_eq!(towards_callee.is_empty(), callee.is_empty());
        }
    }
}
