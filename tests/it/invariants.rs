//! Properties every render must have, checked over every golden case and every bundled example
//! by one function each, so a new case is covered without a new test:
//! - security posture: Pod Security "restricted", no LoadBalancer/NodePort, data stores reachable
//!   from their own preview only, least-privilege restore RBAC in Velero's namespace only, no
//!   secret values, `Retain` snapshot contents, the contract's labels on every object, a quota
//!   that admits the preview's pods and every container within the LimitRange's bounds;
//! - sync order (SPEC §2): hooks, waves, the Namespace and RBAC before their users, Ingresses
//!   last, and no wave that could be merged into the one before it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use kpreview::spec::defaults::{Inputs, PrEnv, PrFields};
use kpreview::spec::model::{Model, Target};

use crate::golden::cases;
use crate::support::root;

/// A rendered object with the fields the checks use.
struct Obj {
    value: Value,
    kind: String,
    name: String,
    namespace: String,
    phase: String,
    wave: i64,
}

fn parse(yaml: &str) -> Vec<Obj> {
    let docs: Vec<Value> = serde_saphyr::from_multiple(yaml).expect("rendered YAML parses");
    docs.into_iter()
        .map(|value| {
            let meta = &value["metadata"];
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            let annotations = &meta["annotations"];
            let wave = text(&annotations["argocd.argoproj.io/sync-wave"]);
            Obj {
                kind: text(&value["kind"]),
                name: text(&meta["name"]),
                namespace: text(&meta["namespace"]),
                phase: annotations["argocd.argoproj.io/hook"].as_str().unwrap_or("Sync").to_owned(),
                wave: wave.parse().unwrap_or_else(|_| panic!("sync-wave {wave:?} is not a number")),
                value,
            }
        })
        .collect()
}

/// Every rendered preview under test: (name, model, manifests).
fn renders() -> Vec<(String, Model, Vec<Obj>)> {
    let mut out = Vec::new();
    for case in cases() {
        let Some(yaml) = case.rendered() else { continue };
        let spec = std::fs::read_to_string(case.dir.join("preview.yaml")).unwrap();
        let lock = std::fs::read_to_string(case.dir.join("preview.lock"))
            .ok()
            .map(|t| kpreview::spec::lockfile::Lock::parse(&t).unwrap());
        let args: Vec<String> =
            std::fs::read_to_string(case.dir.join("args")).unwrap_or_default().lines().map(str::to_owned).collect();
        let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
        let env: BTreeMap<String, String> = std::fs::read_to_string(case.dir.join("env"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
            .collect();
        let pr = Inputs {
            flags: PrFields {
                number: flag("--pr").map(|n| n.parse().unwrap()),
                head_sha: flag("--sha"),
                branch: flag("--branch"),
            },
            env: PrEnv {
                number: env.get("PREVIEW_PR_NUMBER").cloned(),
                head_sha: env.get("PREVIEW_HEAD_SHA").cloned(),
                branch: env.get("PREVIEW_BRANCH").cloned(),
            },
            ..Inputs::default()
        };
        let policy = flag("--policy").map_or_else(kpreview::policy::Policy::default, |file| {
            let text = std::fs::read_to_string(case.dir.join(&file)).expect("the case's policy");
            kpreview::policy::read(&text, &file).expect("the case's policy is valid")
        });
        let model = kpreview::policy::prepare(&spec, "preview.yaml", &pr, lock.as_ref(), &policy)
            .expect("a case that renders validates");
        out.push((case.name.clone(), model, parse(&yaml)));
    }
    for name in ["shop", "blog", "storefront"] {
        let dir = root().join("examples").join(name);
        let spec = std::fs::read_to_string(dir.join("preview.yaml")).unwrap();
        let lock = std::fs::read_to_string(dir.join("preview.lock"))
            .ok()
            .map(|t| kpreview::spec::lockfile::Lock::parse(&t).unwrap());
        let pr = Inputs {
            flags: PrFields {
                number: Some(42),
                head_sha: Some("0123456789abcdef0123456789abcdef01234567".into()),
                branch: None,
            },
            ..Inputs::default()
        };
        let model = kpreview::prepare(&spec, "preview.yaml", &pr, lock.as_ref()).expect("examples validate");
        let yaml = kpreview::render(&model).to_yaml().unwrap();
        out.push((format!("examples/{name}"), model, parse(&yaml)));
    }
    assert!(out.len() > 15, "too few renders to check");
    out
}

fn pod_spec(o: &Obj) -> Option<&Value> {
    match o.kind.as_str() {
        "Deployment" | "StatefulSet" | "Job" => Some(&o.value["spec"]["template"]["spec"]),
        _ => None,
    }
}

/// The security posture of one rendered preview.
fn check_posture(name: &str, model: &Model, objects: &[Obj]) {
    let at = |o: &Obj| format!("{name}: {} {}/{}", o.kind, o.namespace, o.name);
    let velero = &model.restore.velero_namespace;
    for o in objects {
        let labels = &o.value["metadata"]["labels"];
        assert_eq!(labels["app.kubernetes.io/managed-by"], "kpreview", "{}", at(o));
        assert_eq!(labels["kpreview.dev/preview"], model.namespace.as_str(), "{}", at(o));
        assert_eq!(labels["kpreview.dev/pr"], model.pr.number.to_string().as_str(), "{}", at(o));
        assert!(
            !matches!(o.kind.as_str(), "Secret" | "ClusterRole" | "ClusterRoleBinding"),
            "{} must not be rendered",
            at(o)
        );
        assert!(
            o.namespace.is_empty() || o.namespace == model.namespace || &o.namespace == velero,
            "{} is outside the preview",
            at(o)
        );
        if o.namespace == *velero {
            assert!(
                matches!(o.kind.as_str(), "Role" | "RoleBinding" | "Job"),
                "{}: only restore RBAC and cleanup live in Velero's namespace",
                at(o)
            );
        }
        if o.namespace.is_empty() {
            assert!(matches!(o.kind.as_str(), "Namespace" | "VolumeSnapshotContent"), "{} is cluster-scoped", at(o));
        }
        match o.kind.as_str() {
            "Service" => {
                let ty = o.value["spec"]["type"].as_str().unwrap_or("ClusterIP");
                assert_eq!(ty, "ClusterIP", "{}: no LoadBalancer or NodePort", at(o));
            }
            "VolumeSnapshotContent" => assert_eq!(o.value["spec"]["deletionPolicy"], "Retain", "{}", at(o)),
            "Role" => check_restore_role(&at(o), &o.value, velero, &o.namespace),
            "RoleBinding" => {
                assert_eq!(&o.namespace, velero, "{}", at(o));
                for subject in o.value["subjects"].as_array().unwrap() {
                    assert_eq!(
                        subject["namespace"],
                        model.namespace.as_str(),
                        "{}: binds only the preview's account",
                        at(o)
                    );
                }
            }
            "ResourceQuota" => {
                let hard = &o.value["spec"]["hard"];
                assert_eq!(hard["services.loadbalancers"], "0", "{}", at(o));
                assert_eq!(hard["services.nodeports"], "0", "{}", at(o));
            }
            _ => {}
        }
        if let Some(pod) = pod_spec(o) {
            check_pod(&at(o), pod);
        }
    }
    check_store_isolation(name, model, objects);
    check_cost(name, model, objects);
}

/// The quota admits every pod the preview runs (with room for sidecars) unless the platform's
/// policy caps it lower, never exceeds the policy's limits, holds no saturated number, and every
/// container fits the LimitRange's `max`.
fn check_cost(name: &str, model: &Model, objects: &[Obj]) {
    let namespace = model.namespace.as_str();
    let quantity = |v: &Value| kpreview::k8s::Quantity::parse(v.as_str().expect("a quantity")).expect("parses").value();
    let find = |kind: &str| objects.iter().find(|o| o.kind == kind).unwrap_or_else(|| panic!("{name}: no {kind}"));
    let hard = &find("ResourceQuota").value["spec"]["hard"];
    for (key, value) in hard.as_object().expect("hard") {
        let value = quantity(value);
        assert!(value < 1e15, "{name}: quota {key} = {value} is not a real limit");
    }
    let max = &find("LimitRange").value["spec"]["limits"][0]["max"];
    let (mut cpu, mut memory, mut pods) = (0.0, 0.0, 0.0);
    for o in objects.iter().filter(|o| o.namespace == namespace) {
        let Some(pod) = pod_spec(o) else { continue };
        let replicas = o.value["spec"]["replicas"].as_f64().unwrap_or(1.0);
        pods += replicas;
        for container in pod["containers"].as_array().expect("containers") {
            let resources = &container["resources"];
            cpu += replicas * quantity(&resources["requests"]["cpu"]);
            memory += replicas * quantity(&resources["requests"]["memory"]);
            for (kind, amount) in ["requests", "limits"].iter().flat_map(|k| {
                resources[*k].as_object().into_iter().flatten().map(move |(r, v)| (format!("{k}.{r}"), v))
            }) {
                let resource = kind.rsplit('.').next().expect("resource");
                assert!(quantity(amount) <= quantity(&max[resource]), "{name}: {} {kind} over the max", o.name);
            }
        }
    }
    let ceiling = model.ceiling.as_ref().expect("a policy was applied");
    let ceiling = (ceiling.cpu.value(), ceiling.memory.value());
    let (quota_cpu, quota_memory) = (quantity(&hard["requests.cpu"]), quantity(&hard["requests.memory"]));
    assert!(quota_cpu >= (2.0 * cpu + 0.1 * pods).min(ceiling.0) - 1e-3, "{name}: CPU quota {cpu}");
    assert!(quota_memory >= (2.0 * memory).min(ceiling.1) - 1.0, "{name}: memory quota {memory}");
    assert!(quota_cpu <= ceiling.0 + 1e-3 && quota_memory <= ceiling.1 + 1.0, "{name}: quota over the policy");
    assert!(quota_cpu >= cpu && quota_memory >= memory, "{name}: the quota does not admit the preview's own pods");
    assert!(quantity(&hard["pods"]) >= 2.0 * pods, "{name}: pods quota {pods}");
}

fn check_restore_role(at: &str, role: &Value, velero: &str, namespace: &str) {
    assert_eq!(namespace, velero, "{at}: restore RBAC lives in Velero's namespace");
    for rule in role["rules"].as_array().unwrap() {
        assert_eq!(rule["apiGroups"], serde_json::json!(["velero.io"]), "{at}");
        assert_eq!(rule["resources"], serde_json::json!(["restores"]), "{at}");
        let verbs: BTreeSet<&str> = rule["verbs"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        if rule.get("resourceNames").is_some() {
            assert!(verbs.is_subset(&BTreeSet::from(["get", "list", "watch"])), "{at}: {verbs:?}");
        } else {
            assert_eq!(verbs, BTreeSet::from(["create"]), "{at}: only create is unnamed");
        }
    }
}

/// Pod Security "restricted" (and then some) for one pod template.
fn check_pod(at: &str, pod: &Value) {
    let security = &pod["securityContext"];
    assert_eq!(security["runAsNonRoot"], true, "{at}: pods run as non-root");
    assert_eq!(security["seccompProfile"]["type"], "RuntimeDefault", "{at}");
    for key in ["hostNetwork", "hostPID", "hostIPC"] {
        assert!(pod.get(key).is_none_or(|v| v == false), "{at}: {key}");
    }
    for volume in pod["volumes"].as_array().into_iter().flatten() {
        assert!(volume.get("hostPath").is_none(), "{at}: hostPath volume");
    }
    assert!(security.get("runAsUser").is_none_or(|u| u.as_i64() != Some(0)), "{at}: uid 0");
    let containers =
        pod["containers"].as_array().unwrap().iter().chain(pod["initContainers"].as_array().into_iter().flatten());
    for c in containers {
        let sc = &c["securityContext"];
        assert_eq!(sc["allowPrivilegeEscalation"], false, "{at}: {}", c["name"]);
        assert_eq!(sc["capabilities"]["drop"], serde_json::json!(["ALL"]), "{at}: {}", c["name"]);
        assert!(sc["capabilities"].get("add").is_none(), "{at}: capabilities added");
        assert!(sc.get("privileged").is_none_or(|v| v == false), "{at}: privileged");
        assert!(c["resources"]["limits"]["memory"].is_string(), "{at}: {} has no memory limit", c["name"]);
        for env in c["env"].as_array().into_iter().flatten() {
            let var = env["name"].as_str().unwrap();
            // A `$(VAR)` reference names another variable and holds no secret itself.
            let reference = env["value"]
                .as_str()
                .is_some_and(|v| v.starts_with("$(") && v.ends_with(')') && v.matches("$(").count() == 1);
            if ["PASSWORD", "SECRET", "TOKEN"].iter().any(|w| var.contains(w)) && !reference {
                assert!(env.get("value").is_none(), "{at}: {var} must come from a Secret, not a literal");
            }
        }
    }
    if pod["serviceAccountName"].is_null() {
        assert_eq!(pod["automountServiceAccountToken"], false, "{at}: pods that do not call the API get no token");
    }
}

/// Every NetworkPolicy that selects a data store's pods admits only pods of its own namespace,
/// and a default deny covers every pod.
fn check_store_isolation(name: &str, model: &Model, objects: &[Obj]) {
    let policies: Vec<&Obj> = objects.iter().filter(|o| o.kind == "NetworkPolicy").collect();
    let deny = policies.iter().find(|p| {
        p.value["spec"]["podSelector"] == serde_json::json!({}) && p.value["spec"]["ingress"] == serde_json::json!([])
    });
    assert!(deny.is_some(), "{name}: a default-deny ingress policy");
    for store in &model.stores {
        let pod_labels =
            serde_json::json!({"app.kubernetes.io/name": store.name, "app.kubernetes.io/component": "datastore"});
        for policy in &policies {
            let selector = &policy.value["spec"]["podSelector"]["matchLabels"];
            let selects = selector.as_object().is_none_or(|m| m.iter().all(|(k, v)| &pod_labels[k] == v));
            if !selects {
                continue;
            }
            for rule in policy.value["spec"]["ingress"].as_array().into_iter().flatten() {
                for peer in rule["from"].as_array().into_iter().flatten() {
                    assert!(
                        peer.get("namespaceSelector").is_none() && peer.get("ipBlock").is_none(),
                        "{name}: policy {} lets another namespace reach data store {}",
                        policy.name,
                        store.name
                    );
                }
            }
        }
    }
}

/// The sync order of one rendered preview (SPEC §2).
fn check_order(name: &str, model: &Model, objects: &[Obj]) {
    let rank = |phase: &str| match phase {
        "PreSync" => 0,
        "Sync" => 1,
        "PostDelete" => 3,
        other => panic!("{name}: unexpected phase {other}"),
    };
    // The stream is in apply order (the Namespace moved first, as Argo CD moves it).
    assert_eq!(objects[0].kind, "Namespace", "{name}: the Namespace comes first");
    for pair in objects[1..].windows(2) {
        assert!(
            (rank(&pair[0].phase), pair[0].wave) <= (rank(&pair[1].phase), pair[1].wave),
            "{name}: {} before {}",
            pair[0].name,
            pair[1].name
        );
    }
    let waves_of = |kind: &str, phase: &str| -> Vec<i64> {
        objects.iter().filter(|o| o.kind == kind && o.phase == phase).map(|o| o.wave).collect()
    };
    let max = |v: &[i64]| v.iter().copied().max();
    let min = |v: &[i64]| v.iter().copied().min();

    // PreSync: restore RBAC < restore Jobs.
    let rbac: Vec<i64> =
        ["ServiceAccount", "Role", "RoleBinding"].iter().flat_map(|k| waves_of(k, "PreSync")).collect();
    let restore_jobs = waves_of("Job", "PreSync");
    if let (Some(rbac), Some(jobs)) = (max(&rbac), min(&restore_jobs)) {
        assert!(rbac < jobs, "{name}: restore RBAC before the restore Job");
    }
    assert_eq!(
        restore_jobs.is_empty(),
        !model.stores.iter().any(|s| matches!(s.seed, kpreview::spec::model::Seed::Velero { .. }))
    );

    // Sync: namespace-level ≤ snapshots < stores < migrations < services; Ingress last.
    let setup: Vec<i64> = ["Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange"]
        .iter()
        .flat_map(|k| waves_of(k, "Sync"))
        .collect();
    let snapshots: Vec<i64> =
        ["VolumeSnapshot", "VolumeSnapshotContent"].iter().flat_map(|k| waves_of(k, "Sync")).collect();
    let stores = waves_of("StatefulSet", "Sync");
    let migrations =
        objects.iter().filter(|o| o.kind == "Job" && o.phase == "Sync").map(|o| o.wave).collect::<Vec<_>>();
    let deployments = waves_of("Deployment", "Sync");
    let ingresses = waves_of("Ingress", "Sync");
    let all_sync: Vec<i64> = objects.iter().filter(|o| o.phase == "Sync").map(|o| o.wave).collect();
    if let (Some(a), Some(b)) = (max(&setup), min(&snapshots)) {
        assert!(a <= b, "{name}: namespace-level objects ≤ snapshots");
    }
    let chain = [
        ("namespace-level", &setup),
        ("snapshots", &snapshots),
        ("stores", &stores),
        ("migrations", &migrations),
        ("services", &deployments),
    ];
    for (i, (earlier_name, earlier)) in chain.iter().enumerate() {
        for (j, (later_name, later)) in chain.iter().enumerate().skip(i + 1) {
            if let (Some(a), Some(b)) = (max(earlier), min(later)) {
                // Only namespace-level objects and snapshots may share a wave.
                let ok = if (i, j) == (0, 1) { a <= b } else { a < b };
                assert!(ok, "{name}: {earlier_name} (wave {a}) must come before {later_name} (wave {b})");
            }
        }
    }
    if let Some(last) = max(&ingresses) {
        assert_eq!(Some(last), max(&all_sync), "{name}: Ingresses are in the last wave");
        assert!(min(&ingresses) == Some(last), "{name}: every Ingress in the last wave");
    }
    // A service comes after every preview service it depends on.
    let deployment_wave = |kind: &str, n: &str| {
        objects.iter().find(|o| o.kind == kind && o.name == n && o.phase == "Sync").map(|o| o.wave)
    };
    for service in &model.services {
        let mine = deployment_wave("Deployment", &service.name).unwrap();
        for dep in service.depends_on.iter().filter(|d| d.target == Target::Service) {
            assert!(
                deployment_wave("Deployment", &dep.name).unwrap() < mine,
                "{name}: {} after {}",
                service.name,
                dep.name
            );
        }
    }
    // The namespace's objects come after it; hooks in Velero's namespace need no Namespace.
    let ns_index = objects.iter().position(|o| o.kind == "Namespace").unwrap();
    for (i, o) in objects.iter().enumerate() {
        if o.namespace == model.namespace {
            assert!(i > ns_index, "{name}: {} before its Namespace", o.name);
        }
    }
    check_minimal(name, model, objects);
}

/// No Sync wave could be merged into the one before it: every wave after the first holds an
/// object that must follow an object of the previous wave.
fn check_minimal(name: &str, model: &Model, objects: &[Obj]) {
    let sync: Vec<&Obj> = objects.iter().filter(|o| o.phase == "Sync").collect();
    let waves: BTreeSet<i64> = sync.iter().map(|o| o.wave).collect();
    let expected: BTreeSet<i64> = (0..i64::try_from(waves.len()).unwrap()).collect();
    assert_eq!(waves, expected, "{name}: Sync waves are consecutive from 0");
    let group = |o: &Obj| match o.kind.as_str() {
        "StatefulSet" => 2,
        "Job" => 3,
        "Deployment" => 4,
        "Namespace" | "NetworkPolicy" | "ResourceQuota" | "LimitRange" | "VolumeSnapshot" | "VolumeSnapshotContent" => {
            0
        }
        _ => -1,
    };
    let depends = |later: &Obj, earlier: &Obj| -> bool {
        let (gl, ge) = (group(later), group(earlier));
        if gl >= 0 && ge >= 0 && gl > ge && !(gl == 4 && ge == 4) {
            return true;
        }
        if later.kind == "Deployment" && earlier.kind == "Deployment" {
            let service = model.service(&later.name).unwrap();
            return service.depends_on.iter().any(|d| d.target == Target::Service && d.name == earlier.name);
        }
        false
    };
    for wave in waves.iter().skip(1) {
        let here: Vec<&&Obj> = sync.iter().filter(|o| o.wave == *wave).collect();
        let before: Vec<&&Obj> = sync.iter().filter(|o| o.wave == wave - 1).collect();
        let needed = here.iter().any(|l| before.iter().any(|e| depends(l, e)));
        assert!(needed, "{name}: Sync wave {wave} could merge into wave {}", wave - 1);
    }
}

#[test]
fn every_render_meets_the_security_posture() {
    for (name, model, objects) in renders() {
        check_posture(&name, &model, &objects);
    }
}

#[test]
fn every_render_keeps_the_sync_order() {
    for (name, model, objects) in renders() {
        check_order(&name, &model, &objects);
    }
}
