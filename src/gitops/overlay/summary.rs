//! The pull-request comment of an overlay publish, read off the objects it built (there is no spec
//! model to read): links from the Ingresses, data stores from the StatefulSets kpreview renders,
//! their seeds from the restore Jobs and VolumeSnapshotContents, and the expiry from the metadata.
//! What the objects cannot say (a seed image, the tags a snapshot was picked by, the dependency
//! graph behind the sync plan) the comment does not claim.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::gitops::meta::{PreviewMeta, format_time};
use crate::gitops::summary::{Origin, Runs, Store, Summary};
use crate::render::meta::{COMPONENT, NAME};
use crate::spec::model::{Engine, Seed};

/// The summary of an overlay publish of `objects`, recorded as `meta`.
pub fn summary(objects: &[Value], meta: &PreviewMeta) -> Summary {
    let mut seeds = seeds(objects);
    let stores = of_kind(objects, "StatefulSet")
        .filter(|o| label(o, COMPONENT) == Some("datastore"))
        .map(|o| {
            let name = component_name(o);
            let image = str_at(o, "/spec/template/spec/containers/0/image").unwrap_or("?").to_owned();
            let runs = engine_of(o).map_or_else(|| Runs::Image(image.clone()), Runs::Engine);
            let origin = seeds.remove(&name).map_or(Origin::Image(image), Origin::Seed);
            Store { name, runs, origin, taken: None }
        })
        .collect();
    Summary {
        namespace: meta.namespace.clone(),
        pr: meta.pr,
        sha: meta.sha.clone(),
        links: links(objects),
        stores,
        expires: format_time(meta.expires()),
        ttl: meta.ttl.as_str().to_owned(),
        requests: Some(crate::gitops::requests::requests(objects)),
        outside: Vec::new(),
        kept: None,
        evicted: Vec::new(),
        max: None,
    }
}

/// Every host of every Ingress, `https` where the Ingress's TLS covers it.
fn links(objects: &[Value]) -> Vec<(String, String)> {
    let mut links = Vec::new();
    for ingress in of_kind(objects, "Ingress") {
        let tls: Vec<&str> = array_at(ingress, "/spec/tls")
            .flat_map(|t| t.get("hosts").and_then(Value::as_array).into_iter().flatten())
            .filter_map(Value::as_str)
            .collect();
        for host in array_at(ingress, "/spec/rules").filter_map(|r| r.get("host").and_then(Value::as_str)) {
            let scheme = if tls.contains(&host) { "https" } else { "http" };
            links.push((component_name(ingress), format!("{scheme}://{host}/")));
        }
    }
    links
}

/// Seeds by store: Velero restores from the restore Jobs' arguments (`--backup B --from NS
/// --store S…`), snapshots from the VolumeSnapshotContents.
fn seeds(objects: &[Value]) -> BTreeMap<String, Seed> {
    let mut seeds = BTreeMap::new();
    for job in of_kind(objects, "Job").filter(|o| label(o, COMPONENT) == Some("restore")) {
        let args: Vec<&str> =
            array_at(job, "/spec/template/spec/containers/0/args").filter_map(Value::as_str).collect();
        let after = |flag: &str| args.windows(2).filter(|w| w[0] == flag).map(|w| w[1].to_owned()).collect::<Vec<_>>();
        let (Some(backup), Some(namespace)) = (after("--backup").pop(), after("--from").pop()) else { continue };
        for store in after("--store") {
            seeds.insert(store, Seed::Velero { backup: backup.clone(), namespace: namespace.clone() });
        }
    }
    for content in of_kind(objects, "VolumeSnapshotContent") {
        if let Some(handle) = str_at(content, "/spec/source/snapshotHandle") {
            let driver = str_at(content, "/spec/driver").unwrap_or_default().to_owned();
            let seed = Seed::Snapshot { handle: handle.to_owned(), driver, class: None, tags: None };
            seeds.insert(component_name(content), seed);
        }
    }
    seeds
}

/// The engine whose port name the store's container uses (kpreview names it after the engine).
fn engine_of(statefulset: &Value) -> Option<Engine> {
    let port = str_at(statefulset, "/spec/template/spec/containers/0/ports/0/name")?;
    Engine::VALUES.iter().map(|(_, e)| *e).find(|e| e.port_name() == port)
}

fn of_kind<'a>(objects: &'a [Value], kind: &'a str) -> impl Iterator<Item = &'a Value> {
    objects.iter().filter(move |o| o.get("kind").and_then(Value::as_str) == Some(kind))
}

/// `app.kubernetes.io/name` (the service or store kpreview rendered it for), else the name.
fn component_name(object: &Value) -> String {
    label(object, NAME).or_else(|| str_at(object, "/metadata/name")).unwrap_or_default().to_owned()
}

fn str_at<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

fn array_at<'a>(value: &'a Value, pointer: &str) -> impl Iterator<Item = &'a Value> {
    value.pointer(pointer).and_then(Value::as_array).into_iter().flatten()
}

fn label<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object.as_object().and_then(|o| crate::krm::list::label(o, key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gitops::meta::parse_time;
    use crate::k8s::Duration;

    fn meta() -> PreviewMeta {
        PreviewMeta {
            app: "shop".into(),
            namespace: "shop-pr-7".into(),
            pr: 7,
            sha: "4f9c2d1e8b7a".into(),
            branch: None,
            created: parse_time("2026-11-21T10:00:00Z").unwrap(),
            updated: parse_time("2026-11-21T10:00:00Z").unwrap(),
            ttl: Duration::parse("48h").unwrap(),
            kept: crate::gitops::meta::Keep::No,
            sleeping: None,
            woken: None,
        }
    }

    #[test]
    fn reads_links_stores_and_seeds_off_the_objects() {
        let objects: Vec<Value> = serde_json::from_str(
            r#"[
            {"kind": "Ingress", "metadata": {"name": "api", "labels": {"app.kubernetes.io/name": "api"}},
             "spec": {"rules": [{"host": "api.example.com"}, {"host": "plain.example.com"}],
                      "tls": [{"hosts": ["api.example.com"]}]}},
            {"kind": "StatefulSet", "metadata": {"name": "db", "labels": {"app.kubernetes.io/component": "datastore", "app.kubernetes.io/name": "db"}},
             "spec": {"template": {"spec": {"containers": [{"image": "postgres:16", "ports": [{"name": "postgres"}]}]}}}},
            {"kind": "StatefulSet", "metadata": {"name": "cache", "labels": {"app.kubernetes.io/component": "datastore"}},
             "spec": {"template": {"spec": {"containers": [{"image": "my/kv:1", "ports": [{"name": "kv"}]}]}}}},
            {"kind": "StatefulSet", "metadata": {"name": "docs", "labels": {"app.kubernetes.io/component": "datastore", "app.kubernetes.io/name": "docs"}},
             "spec": {"template": {"spec": {"containers": [{"image": "mongo:7", "ports": [{"name": "mongodb"}]}]}}}},
            {"kind": "Job", "metadata": {"name": "restore-nightly", "labels": {"app.kubernetes.io/component": "restore"}},
             "spec": {"template": {"spec": {"containers": [{"args": ["restore", "velero", "--backup", "nightly", "--from", "base", "--store", "db"]}]}}}},
            {"kind": "VolumeSnapshotContent", "metadata": {"name": "x", "labels": {"app.kubernetes.io/name": "docs"}},
             "spec": {"driver": "ebs.csi.aws.com", "source": {"snapshotHandle": "snap-1"}}}
            ]"#,
        )
        .unwrap();
        let s = summary(&objects, &meta());
        assert_eq!(
            s.links,
            [
                ("api".to_owned(), "https://api.example.com/".to_owned()),
                ("api".to_owned(), "http://plain.example.com/".to_owned())
            ]
        );
        let velero = Seed::Velero { backup: "nightly".into(), namespace: "base".into() };
        assert_eq!(
            s.stores[0],
            Store {
                name: "db".into(),
                runs: Runs::Engine(Engine::Postgres),
                origin: Origin::Seed(velero),
                taken: None
            }
        );
        assert_eq!(
            s.stores[1],
            Store {
                name: "cache".into(),
                runs: Runs::Image("my/kv:1".into()),
                origin: Origin::Image("my/kv:1".into()),
                taken: None
            }
        );
        let md = s.to_markdown(None);
        assert!(md.contains("| cache (`my/kv:1`) | no restore or snapshot: starts from its image `my/kv:1` |"), "{md}");
        assert!(md.contains("| docs (MongoDB) | snapshot `snap-1` |"), "{md}");
        assert!(md.contains("| db (PostgreSQL) | Velero backup `nightly` of namespace `base` |"), "{md}");
        assert_eq!(s.expires, "2026-11-23T10:00:00Z");
    }
}
