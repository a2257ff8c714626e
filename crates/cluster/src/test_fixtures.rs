//! Values the crate's unit tests build alike. Compiled for tests only.

use dialogd_dialog::{ProfileKey, ProfileMembership};

/// Profile memberships from `(name, value, limit)` triples.
pub(crate) fn memberships(
    profiles: &[(&str, Option<&str>, Option<u32>)],
) -> Vec<ProfileMembership> {
    profiles
        .iter()
        .map(|(name, value, limit)| ProfileMembership {
            key: ProfileKey {
                name: (*name).into(),
                value: value.map(Into::into),
            },
            limit: *limit,
        })
        .collect()
}
