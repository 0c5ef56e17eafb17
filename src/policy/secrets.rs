//! Which secret stores and remote keys an app may read into its preview (`secrets` of the
//! policy). A store reads whatever its credentials can, so a pull request may only name the
//! stores the platform lists, and only keys under its app's prefixes. Without a policy entry,
//! nothing is allowed.

use std::fmt;

use super::model::Policy;
use crate::fault::{Fault, HasFault};

/// Why the platform refuses a secret store or a remote key to an app: the spec asks for what
/// the policy does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretRefusal {
    /// A store the policy does not list.
    #[error("`{store}` is not a secret store previews may use (app `{app}`): {entry} decides, and {accepted}")]
    Store {
        /// The store.
        store: String,
        /// The app.
        app: String,
        /// How messages name the policy entry.
        entry: String,
        /// What it accepts.
        accepted: Accepted,
    },
    /// A key with a segment a backend with path semantics would resolve elsewhere.
    #[error("`{key}` has an empty, `.` or `..` segment; {entry} allows keys by prefix only")]
    Segment {
        /// The remote key.
        key: String,
        /// How messages name the policy entry.
        entry: String,
    },
    /// A key under none of the app's prefixes.
    #[error("`{key}` is not a remote key app `{app}` may read: {entry} decides, and {accepted}")]
    Key {
        /// The remote key.
        key: String,
        /// The app.
        app: String,
        /// How messages name the policy entry.
        entry: String,
        /// What it accepts.
        accepted: Accepted,
    },
}

impl HasFault for SecretRefusal {
    fn fault(&self) -> Fault {
        Fault::Input
    }
}

/// What a policy entry accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// Nothing (for this app, when `for_app`); `hint` says how to give a platform policy when
    /// none was given.
    Nothing {
        /// Whether the entry is the app's own.
        for_app: bool,
        /// How to give a policy, or empty.
        hint: &'static str,
    },
    /// These stores.
    Stores(Vec<String>),
    /// Keys under these prefixes.
    KeysUnder(Vec<String>),
}

impl fmt::Display for Accepted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Nothing { for_app, hint } => {
                write!(f, "it lists none{}{hint}", if *for_app { " for this app" } else { "" })
            }
            Self::Stores(stores) => write!(f, "accepted: {}", ticked(stores)),
            Self::KeysUnder(prefixes) => write!(f, "accepted: keys under {}", ticked(prefixes)),
        }
    }
}

impl Policy {
    /// Whether `app`'s previews may use the secret store `store`; the refusal names the entry.
    pub fn may_use_store(&self, app: &str, store: &str) -> Result<(), SecretRefusal> {
        if self.secrets.stores.iter().any(|s| s == store) {
            return Ok(());
        }
        let accepted = match self.secrets.stores.as_slice() {
            [] => Accepted::Nothing { for_app: false, hint: self.no_policy_hint() },
            stores => Accepted::Stores(stores.to_vec()),
        };
        Err(SecretRefusal::Store {
            store: store.to_owned(),
            app: app.to_owned(),
            entry: self.entry("secrets.stores"),
            accepted,
        })
    }

    /// Whether `app`'s previews may read the remote key `key`: it must lie under one of the app's
    /// prefixes (`shop/preview/` allows `shop/preview/env`; `shop/stripe` allows `shop/stripe` and
    /// `shop/stripe/…`, not `shop/stripe-live`), with no `.` or `..` segment that a backend with
    /// path semantics would resolve elsewhere.
    pub fn may_use_key(&self, app: &str, key: &str) -> Result<(), SecretRefusal> {
        let entry = self.entry(&format!("secrets.keys.{app}"));
        if has_dot_segment(key) || key.contains("//") {
            return Err(SecretRefusal::Segment { key: key.to_owned(), entry });
        }
        let prefixes = self.secrets.keys.get(app).map(Vec::as_slice).unwrap_or_default();
        if prefixes.iter().any(|p| under(key, p)) {
            return Ok(());
        }
        let accepted = match prefixes {
            [] => Accepted::Nothing { for_app: true, hint: self.no_policy_hint() },
            p => Accepted::KeysUnder(p.to_vec()),
        };
        Err(SecretRefusal::Key { key: key.to_owned(), app: app.to_owned(), entry, accepted })
    }
}

impl Policy {
    /// Where no platform policy was given, how to give one: the built-in policy allows no secret
    /// store, so a spec with `secrets` needs the platform's.
    fn no_policy_hint(&self) -> &'static str {
        if self.source == super::builtin::SOURCE {
            " (no platform policy was given: `--policy FILE` or `KPREVIEW_POLICY` names the platform's)"
        } else {
            ""
        }
    }
}

fn under(key: &str, prefix: &str) -> bool {
    if prefix.ends_with('/') {
        return key.starts_with(prefix) && key.len() > prefix.len();
    }
    key == prefix || key.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'))
}

/// Whether `path` has a `.` or `..` segment.
pub(crate) fn has_dot_segment(path: &str) -> bool {
    path.split('/').any(|s| s == "." || s == "..")
}

fn ticked(items: &[String]) -> String {
    items.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use crate::policy::builtin;
    use crate::policy::model::Policy;

    fn policy() -> Policy {
        let mut p = builtin::policy();
        p.secrets.stores = vec!["preview-secrets".into()];
        p.secrets.keys.insert("shop".into(), vec!["shop/preview/".into(), "shop/stripe".into()]);
        p
    }

    #[test]
    fn stores_are_allowed_by_name_only() {
        let p = policy();
        assert!(p.may_use_store("shop", "preview-secrets").is_ok());
        let refused = p.may_use_store("shop", "production").unwrap_err().to_string();
        assert!(refused.contains("`secrets.stores`") && refused.contains("`preview-secrets`"), "{refused}");
        let refused = builtin::policy().may_use_store("shop", "preview-secrets").unwrap_err().to_string();
        assert!(refused.contains("lists none"));
    }

    #[test]
    fn keys_are_allowed_under_the_app_s_prefixes() {
        let p = policy();
        for ok in ["shop/preview/env", "shop/preview/a/b", "shop/stripe", "shop/stripe/live"] {
            assert!(p.may_use_key("shop", ok).is_ok(), "{ok}");
        }
        for refused in ["shop/preview/", "shop/preview", "shop/stripe-live", "shop/prod/db", "billing/preview/x"] {
            assert!(p.may_use_key("shop", refused).is_err(), "{refused}");
        }
        for sneaky in ["shop/preview/../prod/db", "shop/preview/./x", "shop/preview//x"] {
            assert!(p.may_use_key("shop", sneaky).unwrap_err().to_string().contains("segment"), "{sneaky}");
        }
        let refused = p.may_use_key("billing", "shop/preview/x").unwrap_err().to_string();
        assert!(refused.contains("`secrets.keys.billing`"));
    }
}
