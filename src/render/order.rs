//! Argo CD's apply order and kpreview's file names, for any object that can say its phase, wave,
//! kind, name and namespace: the typed objects a render makes ([`super::object::Object`]) and the
//! untyped ones an overlay build prints (`gitops::overlay`), so both sort and name alike.

use std::cmp::Ordering;

use super::object::kind_rank;

/// What Argo CD orders objects by.
pub trait Ordered {
    /// The sync phase's rank (see [`phase_rank`]).
    fn phase_rank(&self) -> u8;
    /// The sync wave.
    fn wave(&self) -> i64;
    /// `kind`.
    fn kind(&self) -> &str;
    /// `metadata.name`.
    fn name(&self) -> &str;
    /// `metadata.namespace`; empty for cluster-scoped objects.
    fn namespace(&self) -> &str;
    /// Whether it is a `v1 Namespace`.
    fn is_namespace(&self) -> bool;
}

/// The rank of an `argocd.argoproj.io/hook` value in Argo CD's phase order (gitops-engine
/// `sync_tasks.go`): PreSync, Sync, PostSync, SyncFail; then PostDelete, whose hooks run only
/// when the Application is deleted. A hook of several phases sorts with its first; `Skip`,
/// unknown phases and plain resources (`None`) are Sync.
pub fn phase_rank(hook: Option<&str>) -> u8 {
    let Some(hook) = hook else { return 1 };
    hook.split(',')
        .map(|h| match h.trim() {
            "PreSync" => 0,
            "PostSync" => 2,
            "SyncFail" => 3,
            "PostDelete" => 4,
            _ => 1,
        })
        .min()
        .unwrap_or(1)
}

fn apply_order<T: Ordered>(a: &T, b: &T) -> Ordering {
    (a.phase_rank(), a.wave(), kind_rank(a.kind()), a.name(), a.namespace()).cmp(&(
        b.phase_rank(),
        b.wave(),
        kind_rank(b.kind()),
        b.name(),
        b.namespace(),
    ))
}

/// Sorts objects into the order Argo CD applies them: phase, wave, kind, name (stable, so the
/// incoming order breaks any tie); then, as Argo CD does, each Namespace moves just before the
/// first object in it (so a PreSync hook in the preview namespace finds the namespace created).
pub fn sort<T: Ordered>(objects: &mut Vec<T>) {
    objects.sort_by(apply_order);
    let namespaces: Vec<usize> = (0..objects.len()).filter(|&i| objects[i].is_namespace()).collect();
    for index in namespaces.into_iter().rev() {
        let name = objects[index].name().to_owned();
        if let Some(first) = objects.iter().position(|o| o.namespace() == name)
            && first < index
        {
            let namespace = objects.remove(index);
            objects.insert(first, namespace);
        }
    }
}

/// The file of the object at `index` in apply order: `007-deployment-shop-pr-7-api.yaml`, so files
/// sort as Argo CD applies them. Names kpreview renders are DNS labels already and come out as
/// they are; others (a ClusterRole `system:x`) lose what a file name cannot hold, and the index
/// keeps them apart.
pub fn file_name(index: usize, kind: &str, namespace: &str, name: &str) -> String {
    let clean = |s: &str, max: usize| -> String {
        s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '-' }).take(max).collect()
    };
    let scope =
        if namespace.is_empty() || namespace == name { String::new() } else { format!("{}-", clean(namespace, 63)) };
    // At most 3 + 1 + 40 + 1 + 64 + 120 + 5 bytes: far below a file system's 255.
    format!("{index:03}-{}-{scope}{}.yaml", clean(&kind.to_lowercase(), 40), clean(name, 120))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hooks_rank_by_their_first_phase() {
        assert_eq!([None, Some("PreSync"), Some("Sync"), Some("Skip")].map(phase_rank), [1, 0, 1, 1]);
        assert_eq!(phase_rank(Some("PostSync, PreSync")), 0);
        assert_eq!(phase_rank(Some("PostDelete")), 4);
    }

    #[test]
    fn file_names_keep_dns_labels_and_clean_the_rest() {
        assert_eq!(file_name(7, "Deployment", "shop-pr-7", "api"), "007-deployment-shop-pr-7-api.yaml");
        assert_eq!(file_name(0, "Namespace", "", "shop-pr-7"), "000-namespace-shop-pr-7.yaml");
        assert_eq!(file_name(1000, "ClusterRole", "", "system:x"), "1000-clusterrole-system-x.yaml");
    }
}
