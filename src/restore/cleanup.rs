//! What the PostDelete Job runs once a preview is deleted: remove the preview's Restores and any
//! restore RBAC left in Velero's namespace (Argo CD deletes the preview namespace, but these live
//! outside it). Idempotent: what is already gone is skipped.

use std::fmt::Debug;

use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kube::api::{Api, DeleteParams, ListParams};
use kube::{Client, Error as KubeError, Resource, ResourceExt};
use serde::de::DeserializeOwned;

use super::crd::Restore;
use super::error::{RestoreError, api_message};
use crate::k8s::naming::is_dns1123_label;
use crate::render::meta::{MANAGED_BY, PREVIEW};

/// `kpreview restore cleanup`'s arguments, checked: the preview's name goes into a label selector
/// and Velero's namespace into the API's paths, so each must be a namespace name (a value such as
/// `shop,app=x` would widen the selector to other objects).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The deleted preview's namespace.
    pub preview: String,
    /// Where Velero runs and Restores live.
    pub velero_namespace: String,
}

impl Target {
    /// Checks both names; the first that is not a namespace name is the error.
    pub fn new(preview: &str, velero_namespace: &str) -> Result<Self, RestoreError> {
        for (flag, value) in [("--preview", preview), ("--velero-namespace", velero_namespace)] {
            if !is_dns1123_label(value) {
                return Err(RestoreError::Invalid(format!(
                    "{flag} `{value}` is not a namespace name (a DNS-1123 label)"
                )));
            }
        }
        Ok(Self { preview: preview.to_owned(), velero_namespace: velero_namespace.to_owned() })
    }
}

/// Deletes every Restore, Role and RoleBinding in Velero's namespace that kpreview made for the
/// preview of `target`, returning how many it deleted. Tries them all before reporting what
/// failed.
pub async fn cleanup(client: Client, target: &Target, mut log: impl FnMut(String)) -> Result<usize, RestoreError> {
    let (preview, velero_namespace) = (target.preview.as_str(), target.velero_namespace.as_str());
    let selector = format!("{MANAGED_BY}=kpreview,{PREVIEW}={preview}");
    let mut failures = Vec::new();
    let mut removed = 0;
    removed += remove::<Restore>(&client, velero_namespace, &selector, &mut failures, &mut log).await;
    removed += remove::<Role>(&client, velero_namespace, &selector, &mut failures, &mut log).await;
    removed += remove::<RoleBinding>(&client, velero_namespace, &selector, &mut failures, &mut log).await;
    if !failures.is_empty() {
        return Err(RestoreError::Cleanup {
            preview: preview.to_owned(),
            namespace: velero_namespace.to_owned(),
            failures,
        });
    }
    Ok(removed)
}

async fn remove<K>(
    client: &Client,
    namespace: &str,
    selector: &str,
    failures: &mut Vec<String>,
    log: &mut impl FnMut(String),
) -> usize
where
    K: Resource<DynamicType = (), Scope = kube::core::NamespaceResourceScope> + Clone + DeserializeOwned + Debug,
{
    let kind = K::kind(&());
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    let list = match api.list(&ListParams::default().labels(selector)).await {
        Ok(list) => list,
        Err(e) => {
            failures.push(format!("cannot list {kind}s in {namespace}: {}", api_message(&e)));
            return 0;
        }
    };
    let mut names: Vec<String> = list.items.iter().map(ResourceExt::name_any).collect();
    names.sort();
    let mut removed = 0;
    for name in names {
        match api.delete(&name, &DeleteParams::background()).await {
            Ok(_) => {
                log(format!("deleted {kind} {namespace}/{name}"));
                removed += 1;
            }
            Err(KubeError::Api(status)) if status.code == 404 => {}
            Err(e) => failures.push(format!("cannot delete {kind} {namespace}/{name}: {}", api_message(&e))),
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::{Fault, HasFault};

    #[test]
    fn a_target_takes_namespace_names_only() {
        let target = Target::new("shop-pr-42", "velero").unwrap();
        assert_eq!((target.preview.as_str(), target.velero_namespace.as_str()), ("shop-pr-42", "velero"));
        let err = Target::new("shop,app=x", "velero").unwrap_err();
        assert_eq!(err.to_string(), "--preview `shop,app=x` is not a namespace name (a DNS-1123 label)");
        assert_eq!(err.fault(), Fault::Input);
        let err = Target::new("shop-pr-42", "Velero").unwrap_err();
        assert_eq!(err.to_string(), "--velero-namespace `Velero` is not a namespace name (a DNS-1123 label)");
        let err = Target::new("", "").unwrap_err();
        assert!(err.to_string().starts_with("--preview ``"), "the first bad one: {err}");
    }
}
