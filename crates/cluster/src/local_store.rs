//! [`LocalStore`]: the profile store of a single node — exact counts under one lock, so
//! "check every limit, then insert every membership" is atomic, the same contract the Raft
//! state machine keeps cluster-wide.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;

use dialogd_dialog::{
    Admission, AdmitError, AdmitRequest, BoxFuture, DialogId, EndCause, ProfileKey,
    ProfileMembership,
};

#[derive(Debug, Default)]
struct Inner {
    /// Dialog → its profiles.
    dialogs: HashMap<DialogId, Vec<ProfileKey>>,
    /// Profile (name, value) → member dialogs.
    members: BTreeMap<ProfileKey, BTreeSet<DialogId>>,
}

impl Inner {
    fn size(&self, key: &ProfileKey) -> u64 {
        self.members.get(key).map_or(0, |s| s.len() as u64)
    }

    fn check(&self, m: &ProfileMembership) -> Result<(), AdmitError> {
        if let Some(limit) = m.limit
            && self.size(&m.key) >= u64::from(limit)
        {
            return Err(AdmitError::LimitReached {
                key: m.key.clone(),
                limit,
            });
        }
        Ok(())
    }

    fn insert(&mut self, did: DialogId, key: ProfileKey) {
        let keys = self.dialogs.entry(did).or_default();
        if !keys.contains(&key) {
            keys.push(key.clone());
            self.members.entry(key).or_default().insert(did);
        }
    }

    fn remove(&mut self, did: DialogId, key: &ProfileKey) {
        if let Some(set) = self.members.get_mut(key) {
            set.remove(&did);
            if set.is_empty() {
                self.members.remove(key);
            }
        }
    }

    fn range(
        &self,
        name: &str,
        value: Option<&str>,
    ) -> impl Iterator<Item = (&ProfileKey, &BTreeSet<DialogId>)> {
        self.members.iter().filter(move |(k, _)| {
            k.name == name && (value.is_none() || k.value.as_deref() == value)
        })
    }
}

/// Exact in-memory profile store for a cluster of one node.
#[derive(Debug, Default)]
pub struct LocalStore {
    inner: Mutex<Inner>,
}

impl LocalStore {
    /// An empty store.
    pub fn new() -> LocalStore {
        LocalStore::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave counts half-updated (every mutation
        // completes before any call that could panic), so a poisoned lock is still consistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Number of admitted dialogs (for tests and stats).
    pub fn dialog_count(&self) -> usize {
        self.lock().dialogs.len()
    }
}

impl Admission for LocalStore {
    fn admit(&self, req: AdmitRequest) -> BoxFuture<'_, Result<(), AdmitError>> {
        let result = (|| {
            let mut inner = self.lock();
            if inner.dialogs.contains_key(&req.did) {
                return Err(AdmitError::Duplicate(req.did));
            }
            for m in &req.profiles {
                inner.check(m)?;
            }
            inner.dialogs.insert(req.did, Vec::new());
            for m in req.profiles {
                inner.insert(req.did, m.key);
            }
            Ok(())
        })();
        Box::pin(async move { result })
    }

    fn release(&self, did: DialogId, _cause: EndCause) -> BoxFuture<'_, Result<(), AdmitError>> {
        {
            let mut inner = self.lock();
            if let Some(keys) = inner.dialogs.remove(&did) {
                for k in &keys {
                    inner.remove(did, k);
                }
            }
        }
        Box::pin(async { Ok(()) })
    }

    fn add_profile(
        &self,
        did: DialogId,
        m: ProfileMembership,
    ) -> BoxFuture<'_, Result<(), AdmitError>> {
        let result = (|| {
            let mut inner = self.lock();
            let Some(keys) = inner.dialogs.get(&did) else {
                return Err(AdmitError::Unknown(did));
            };
            if keys.contains(&m.key) {
                return Ok(());
            }
            inner.check(&m)?;
            inner.insert(did, m.key);
            Ok(())
        })();
        Box::pin(async move { result })
    }

    fn remove_profile(
        &self,
        did: DialogId,
        key: ProfileKey,
    ) -> BoxFuture<'_, Result<(), AdmitError>> {
        let result = (|| {
            let mut inner = self.lock();
            let Some(keys) = inner.dialogs.get_mut(&did) else {
                return Err(AdmitError::Unknown(did));
            };
            keys.retain(|k| *k != key);
            inner.remove(did, &key);
            Ok(())
        })();
        Box::pin(async move { result })
    }

    fn profile_size(
        &self,
        name: &str,
        value: Option<&str>,
    ) -> BoxFuture<'_, Result<u64, AdmitError>> {
        let n = self
            .lock()
            .range(name, value)
            .map(|(_, s)| s.len() as u64)
            .sum();
        Box::pin(async move { Ok(n) })
    }

    fn profile_dialogs(
        &self,
        name: &str,
        value: Option<&str>,
    ) -> BoxFuture<'_, Result<Vec<DialogId>, AdmitError>> {
        let ids: BTreeSet<DialogId> = self
            .lock()
            .range(name, value)
            .flat_map(|(_, s)| s.iter().copied())
            .collect();
        Box::pin(async move { Ok(ids.into_iter().collect()) })
    }

    fn profile_values(
        &self,
        name: &str,
    ) -> BoxFuture<'_, Result<Vec<(Option<String>, u64)>, AdmitError>> {
        let values = self
            .lock()
            .range(name, None)
            .map(|(k, s)| (k.value.clone(), s.len() as u64))
            .collect();
        Box::pin(async move { Ok(values) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block<T>(f: BoxFuture<'_, T>) -> T {
        // The store's futures are ready at once: poll them without a runtime.
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut f = f;
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("LocalStore future was not ready"),
        }
    }

    fn req(id: u64, profiles: &[(&str, Option<&str>, Option<u32>)]) -> AdmitRequest {
        AdmitRequest {
            did: DialogId(id),
            profiles: crate::test_fixtures::memberships(profiles),
            record: None,
        }
    }

    #[test]
    fn limit_is_exact_and_admission_is_all_or_nothing() {
        let s = LocalStore::new();
        for i in 0..5 {
            block(s.admit(req(
                i,
                &[("caller", Some("alice"), Some(5)), ("all", None, Some(6))],
            )))
            .unwrap();
        }
        let full = block(s.admit(req(
            9,
            &[("all", None, Some(6)), ("caller", Some("alice"), Some(5))],
        )));
        assert!(matches!(
            full,
            Err(AdmitError::LimitReached { limit: 5, .. })
        ));
        // The failed admission left "all" untouched.
        assert_eq!(block(s.profile_size("all", None)).unwrap(), 5);
        block(s.admit(req(
            10,
            &[("all", None, Some(6)), ("caller", Some("bob"), Some(5))],
        )))
        .unwrap();
        assert!(block(s.admit(req(11, &[("all", None, Some(6))]))).is_err());
        assert_eq!(block(s.profile_size("caller", None)).unwrap(), 6);
        assert_eq!(block(s.profile_size("caller", Some("alice"))).unwrap(), 5);
        assert_eq!(
            block(s.profile_values("caller")).unwrap(),
            vec![(Some("alice".into()), 5), (Some("bob".into()), 1)]
        );
        assert!(matches!(
            block(s.admit(req(1, &[]))),
            Err(AdmitError::Duplicate(_))
        ));
    }

    #[test]
    fn release_is_idempotent_and_frees_slots() {
        let s = LocalStore::new();
        block(s.admit(req(1, &[("p", Some("v"), Some(1))]))).unwrap();
        block(s.release(DialogId(1), EndCause::ByeCaller)).unwrap();
        block(s.release(DialogId(1), EndCause::ByeCaller)).unwrap();
        assert_eq!(block(s.profile_size("p", Some("v"))).unwrap(), 0);
        assert!(block(s.profile_values("p")).unwrap().is_empty());
        block(s.admit(req(2, &[("p", Some("v"), Some(1))]))).unwrap();
        assert_eq!(s.dialog_count(), 1);
    }

    #[test]
    fn live_profile_changes_respect_limits() {
        let s = LocalStore::new();
        block(s.admit(req(1, &[("a", None, Some(1))]))).unwrap();
        block(s.admit(req(2, &[]))).unwrap();
        let m = ProfileMembership {
            key: ProfileKey::plain("a"),
            limit: Some(1),
        };
        assert!(block(s.add_profile(DialogId(2), m.clone())).is_err());
        block(s.remove_profile(DialogId(1), ProfileKey::plain("a"))).unwrap();
        block(s.add_profile(DialogId(2), m)).unwrap();
        assert_eq!(
            block(s.profile_dialogs("a", None)).unwrap(),
            vec![DialogId(2)]
        );
        assert!(
            block(s.add_profile(
                DialogId(3),
                ProfileMembership {
                    key: ProfileKey::plain("a"),
                    limit: None
                }
            ))
            .is_err()
        );
    }
}
