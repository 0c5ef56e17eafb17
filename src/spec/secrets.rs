//! Validation of `spec.secrets` (External Secrets) and of every reference a service makes to a
//! Secret or ConfigMap: a Secret the spec neither makes nor names as a store's credentials is a
//! warning, since it must exist already and the preview waits on it otherwise.

use std::collections::BTreeSet;

use super::defaults;
use super::model::{ExternalSecret, RemoteKey, Store, StoreKind};
use super::problem::key_path;
use super::types::PreviewSpec;
use super::validate::Ctx;

/// The ExternalSecrets of `spec.secrets`.
pub(crate) fn validate(ctx: &mut Ctx<'_>, spec: &PreviewSpec) -> Vec<ExternalSecret> {
    let mut out = Vec::new();
    for (name, written) in &spec.secrets {
        let path = key_path("spec.secrets", name);
        ctx.subdomain(&path, name);
        if let Some(store) = &written.store {
            ctx.subdomain(&format!("{path}.store"), store);
        } else {
            ctx.problems.error(format!("{path}.store"), "missing: name the secret store to read from");
        }
        let store = written.store.clone().unwrap_or_default();
        let store_kind =
            ctx.choose_or(&format!("{path}.kind"), written.kind.as_deref(), StoreKind::VALUES, defaults::STORE_KIND);
        if written.data.is_empty() && written.data_from.is_empty() {
            ctx.problems.error(&path, "give `data` (keys from remote secrets) or `dataFrom` (whole remote secrets)");
        }
        let mut data = Vec::new();
        for (secret_key, remote) in &written.data {
            let at = key_path(&format!("{path}.data"), secret_key);
            if !is_secret_key(secret_key) {
                ctx.problems.error(
                    &at,
                    format!("`{secret_key}` is not a Secret key: letters, digits, `-`, `_` and `.`, at most 253"),
                );
            }
            let Some(key) = remote.key.clone().filter(|k| !k.trim().is_empty()) else {
                ctx.problems.error(format!("{at}.key"), "missing: the remote secret's key (its name or path)");
                continue;
            };
            data.push(RemoteKey { secret_key: secret_key.clone(), key, property: remote.property.clone() });
        }
        for (i, key) in written.data_from.iter().enumerate() {
            if key.trim().is_empty() {
                ctx.problems.error(format!("{path}.dataFrom[{i}]"), "an empty remote key");
            }
        }
        let interval = written.refresh_interval.as_deref();
        let Some(refresh_interval) =
            ctx.duration(&format!("{path}.refreshInterval"), interval, defaults::refresh_interval)
        else {
            continue;
        };
        if let Some(store_kind) = store_kind {
            out.push(ExternalSecret {
                name: name.clone(),
                store,
                store_kind,
                data,
                data_from: written.data_from.clone(),
                refresh_interval,
            });
        }
    }
    out
}

/// A key of a Secret or ConfigMap (`[-._a-zA-Z0-9]+`).
pub(crate) fn is_secret_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 253
        && key != "."
        && key != ".."
        && key.chars().all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
}

/// The Secrets a preview can rely on: those it makes and its stores' credentials.
pub(crate) fn known_secrets(spec: &PreviewSpec, stores: &[Store]) -> BTreeSet<String> {
    spec.secrets
        .keys()
        .cloned()
        .chain(stores.iter().filter_map(|s| s.credentials.as_ref().map(|c| c.name.clone())))
        .collect()
}

/// A warning unless the Secret `name` is one the spec makes or names as credentials.
pub(crate) fn check_reference(ctx: &mut Ctx<'_>, path: &str, name: &str, known: &BTreeSet<String>) {
    ctx.subdomain(path, name);
    if !known.contains(name) {
        ctx.problems.warning(
            path,
            format!(
                "the Secret `{name}` is neither in `spec.secrets` nor a data store's `credentials.secretName`: it must \
                 already exist in the preview namespace, or the pod waits in CreateContainerConfigError"
            ),
        );
    }
}
