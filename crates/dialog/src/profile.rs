//! Dialog profiles (OpenSIPS `create_profile_*`, Kamailio `dlg_manage` profiles): named sets of
//! dialogs, with or without a value, whose size is a (cluster-wide) count.

use std::fmt;

/// A profile, optionally keyed by a value: `caller` / `alice`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct ProfileKey {
    pub name: String,
    pub value: Option<String>,
}

impl ProfileKey {
    /// A profile with a value.
    pub fn with_value(name: impl Into<String>, value: impl Into<String>) -> ProfileKey {
        ProfileKey {
            name: name.into(),
            value: Some(value.into()),
        }
    }

    /// A profile without value.
    pub fn plain(name: impl Into<String>) -> ProfileKey {
        ProfileKey {
            name: name.into(),
            value: None,
        }
    }
}

impl fmt::Display for ProfileKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "{}/{}", self.name, v),
            None => f.write_str(&self.name),
        }
    }
}

/// A dialog's membership in a profile with the limit to enforce when it is admitted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProfileMembership {
    pub key: ProfileKey,
    /// Admission fails if the profile already holds this many dialogs.
    pub limit: Option<u32>,
}
