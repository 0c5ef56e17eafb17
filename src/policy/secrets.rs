//! Which secret stores and remote keys an app may read into its preview (`secrets` of the
//! policy). A store reads whatever its credentials can, so a pull request may only name the
//! stores the platform lists, and only keys under its app's prefixes. Without a policy entry,
//! nothing is allowed.

use super::model::Policy;

impl Policy {
    /// Whether `app`'s previews may use the secret store `store`; the refusal names the entry.
    pub fn may_use_store(&self, app: &str, store: &str) -> Result<(), String> {
        if self.secrets.stores.iter().any(|s| s == store) {
            return Ok(());
        }
        let allowed = match self.secrets.stores.as_slice() {
            [] => format!("it lists none{}", self.no_policy_hint()),
            stores => format!("accepted: {}", ticked(stores)),
        };
        Err(format!(
            "`{store}` is not a secret store previews may use (app `{app}`): {} decides, and {allowed}",
            self.entry("secrets.stores")
        ))
    }

    /// Whether `app`'s previews may read the remote key `key`: it must lie under one of the app's
    /// prefixes (`shop/preview/` allows `shop/preview/env`; `shop/stripe` allows `shop/stripe` and
    /// `shop/stripe/…`, not `shop/stripe-live`), with no `.` or `..` segment that a backend with
    /// path semantics would resolve elsewhere.
    pub fn may_use_key(&self, app: &str, key: &str) -> Result<(), String> {
        let entry = self.entry(&format!("secrets.keys.{app}"));
        if has_dot_segment(key) || key.contains("//") {
            return Err(format!("`{key}` has an empty, `.` or `..` segment; {entry} allows keys by prefix only"));
        }
        let prefixes = self.secrets.keys.get(app).map(Vec::as_slice).unwrap_or_default();
        if prefixes.iter().any(|p| under(key, p)) {
            return Ok(());
        }
        let allowed = match prefixes {
            [] => format!("it lists none for this app{}", self.no_policy_hint()),
            p => format!("accepted: keys under {}", ticked(p)),
        };
        Err(format!("`{key}` is not a remote key app `{app}` may read: {entry} decides, and {allowed}"))
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
        let refused = p.may_use_store("shop", "production").unwrap_err();
        assert!(refused.contains("`secrets.stores`") && refused.contains("`preview-secrets`"), "{refused}");
        assert!(builtin::policy().may_use_store("shop", "preview-secrets").unwrap_err().contains("lists none"));
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
            assert!(p.may_use_key("shop", sneaky).unwrap_err().contains("segment"), "{sneaky}");
        }
        assert!(p.may_use_key("billing", "shop/preview/x").unwrap_err().contains("`secrets.keys.billing`"));
    }
}
