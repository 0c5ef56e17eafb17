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
use crate::render::meta::{MANAGED_BY, PREVIEW};

/// Deletes every Restore, Role and RoleBinding in `velero_namespace` that kpreview made for
/// `preview`, returning how many it deleted. Tries them all before reporting what failed.
pub async fn cleanup(
    client: Client,
    preview: &str,
    velero_namespace: &str,
    mut log: impl FnMut(String),
) -> Result<usize, RestoreError> {
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
