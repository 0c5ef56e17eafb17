//! The rendered NetworkPolicies, evaluated rather than read: a small evaluator of Kubernetes'
//! ingress NetworkPolicy semantics (a pod selected by no policy admits everything; one selected
//! by any admits what one of their rules admits; peers by pod, namespace or both, or by
//! `ipBlock`; ports by number and protocol) answers who may reach which pod on which port, from
//! the preview itself, another app's preview, the Gateway's or ingress controller's namespace, a
//! load balancer's address, or a stranger.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::Value;

use crate::golden::cases;
use crate::support::{kpreview, root};

/// Where traffic comes from.
#[derive(Debug, Clone)]
enum Source {
    /// A pod with these labels in a namespace with these labels.
    Pod { namespace: String, namespace_labels: BTreeMap<String, String>, labels: BTreeMap<String, String> },
    /// An address outside the cluster's pods (a load balancer in IP mode).
    Address(IpAddr),
}

/// A namespace's labels as the API server sets them, plus `extra`.
fn namespace(name: &str, extra: &[(&str, &str)]) -> Source {
    let mut namespace_labels = BTreeMap::from([("kubernetes.io/metadata.name".to_owned(), name.to_owned())]);
    namespace_labels.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    Source::Pod { namespace: name.to_owned(), namespace_labels, labels: BTreeMap::new() }
}

/// A rendered preview: its objects and the pods its workloads run.
struct Preview {
    namespace: String,
    namespace_labels: BTreeMap<String, String>,
    policies: Vec<Value>,
    /// Workload name → pod labels.
    pods: BTreeMap<String, BTreeMap<String, String>>,
}

fn labels_of(value: &Value) -> BTreeMap<String, String> {
    value
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect()
}

impl Preview {
    fn parse(yaml: &str) -> Self {
        let docs: Vec<Value> = serde_saphyr::from_multiple(yaml).expect("rendered YAML parses");
        let ns = docs.iter().find(|d| d["kind"] == "Namespace").expect("a Namespace");
        let mut namespace_labels = labels_of(&ns["metadata"]["labels"]);
        let namespace = ns["metadata"]["name"].as_str().unwrap().to_owned();
        namespace_labels.insert("kubernetes.io/metadata.name".to_owned(), namespace.clone());
        let policies = docs.iter().filter(|d| d["kind"] == "NetworkPolicy").cloned().collect();
        let pods = docs
            .iter()
            .filter(|d| d["kind"] == "Deployment" || d["kind"] == "StatefulSet")
            .map(|d| {
                let name = d["metadata"]["name"].as_str().unwrap().to_owned();
                (name, labels_of(&d["spec"]["template"]["metadata"]["labels"]))
            })
            .collect();
        Self { namespace, namespace_labels, policies, pods }
    }

    /// A pod of this preview (one of its workloads) as a source.
    fn own(&self, workload: &str) -> Source {
        Source::Pod {
            namespace: self.namespace.clone(),
            namespace_labels: self.namespace_labels.clone(),
            labels: self.pods[workload].clone(),
        }
    }

    /// Whether `source` may open `port`/`protocol` on the pods of `workload`.
    fn admits(&self, workload: &str, source: &Source, port: u16, protocol: &str) -> bool {
        let pod = &self.pods[workload];
        let selecting: Vec<&Value> = self
            .policies
            .iter()
            .filter(|p| p["metadata"]["namespace"] == self.namespace.as_str())
            .filter(|p| p["spec"]["policyTypes"].as_array().is_none_or(|t| t.iter().any(|t| t == "Ingress")))
            .filter(|p| selects(&p["spec"]["podSelector"], pod))
            .collect();
        if selecting.is_empty() {
            return true;
        }
        selecting.iter().any(|policy| {
            policy["spec"]["ingress"].as_array().into_iter().flatten().any(|rule| {
                let from_ok = match rule["from"].as_array() {
                    None => true,
                    Some(peers) if peers.is_empty() => true,
                    Some(peers) => peers.iter().any(|peer| self.peer_matches(peer, source)),
                };
                let port_ok = match rule["ports"].as_array() {
                    None => true,
                    Some(ports) if ports.is_empty() => true,
                    Some(ports) => ports.iter().any(|p| {
                        let proto = p["protocol"].as_str().unwrap_or("TCP");
                        let number = p["port"].as_u64().expect("kpreview writes numbered ports");
                        let end = p["endPort"].as_u64().unwrap_or(number);
                        proto == protocol && (number..=end).contains(&u64::from(port))
                    }),
                };
                from_ok && port_ok
            })
        })
    }

    fn peer_matches(&self, peer: &Value, source: &Source) -> bool {
        match source {
            Source::Address(ip) => peer.get("ipBlock").is_some_and(|block| {
                in_cidr(ip, block["cidr"].as_str().unwrap())
                    && !block["except"].as_array().into_iter().flatten().any(|e| in_cidr(ip, e.as_str().unwrap()))
            }),
            Source::Pod { namespace, namespace_labels, labels } => {
                if peer.get("ipBlock").is_some() {
                    return false;
                }
                let namespace_ok = match peer.get("namespaceSelector") {
                    Some(selector) => selects(selector, namespace_labels),
                    None => *namespace == self.namespace,
                };
                let pod_ok = peer.get("podSelector").is_none_or(|selector| selects(selector, labels));
                namespace_ok && pod_ok
            }
        }
    }
}

/// A label selector: every `matchLabels` pair and every `matchExpressions` requirement.
fn selects(selector: &Value, labels: &BTreeMap<String, String>) -> bool {
    let pairs_ok = selector["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .all(|(k, v)| labels.get(k).map(String::as_str) == v.as_str());
    let expressions_ok = selector["matchExpressions"].as_array().into_iter().flatten().all(|e| {
        let key = e["key"].as_str().unwrap();
        let values: Vec<&str> = e["values"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        match e["operator"].as_str().unwrap() {
            "Exists" => labels.contains_key(key),
            "DoesNotExist" => !labels.contains_key(key),
            "In" => labels.get(key).is_some_and(|v| values.contains(&v.as_str())),
            "NotIn" => labels.get(key).is_none_or(|v| !values.contains(&v.as_str())),
            other => panic!("unknown operator {other}"),
        }
    });
    pairs_ok && expressions_ok
}

fn in_cidr(ip: &IpAddr, cidr: &str) -> bool {
    let (base, bits) = cidr.split_once('/').unwrap();
    let (base, bits): (IpAddr, u32) = (base.parse().unwrap(), bits.parse().unwrap());
    match (ip, base) {
        (IpAddr::V4(ip), IpAddr::V4(base)) => {
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            u32::from(*ip) & mask == u32::from(base) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(base)) => {
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            u128::from(*ip) & mask == u128::from(base) & mask
        }
        _ => false,
    }
}

fn render(dir: &str, args: &[&str]) -> Preview {
    let output =
        kpreview().current_dir(root().join(dir)).arg("render").arg("preview.yaml").args(args).output().unwrap();
    assert!(output.status.success(), "{}", crate::support::describe(&output));
    Preview::parse(&String::from_utf8(output.stdout).unwrap())
}

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

#[test]
fn behind_a_gateway_its_namespace_other_previews_and_strangers_reach_what_they_should() {
    let p = render("examples/marketplace", &["--pr", "7", "--sha", SHA, "--policy", "policy.yaml"]);
    let gateway = namespace("gateway-system", &[]);
    let accounts = namespace("accounts-pr-812", &[("kpreview.dev/preview", "accounts-pr-812")]);
    let stranger = namespace("default", &[]);
    let nginx = namespace("ingress-nginx", &[]);
    let balancer = Source::Address("10.0.3.4".parse().unwrap());

    // The Gateway forwards to each exposed service's port, and nothing else.
    for (service, port) in [("api", 8000), ("web", 3000), ("mailpit", 8025)] {
        assert!(p.admits(service, &gateway, port, "TCP"), "gateway → {service}:{port}");
        assert!(!p.admits(service, &stranger, port, "TCP"), "stranger → {service}:{port}");
        assert!(!p.admits(service, &nginx, port, "TCP"), "an unused ingress controller → {service}:{port}");
        assert!(!p.admits(service, &balancer, port, "TCP"), "an address → {service}:{port}");
    }
    assert!(!p.admits("mailpit", &gateway, 1025, "TCP"), "the Gateway does not reach SMTP");
    assert!(!p.admits("api", &gateway, 8001, "TCP"));
    assert!(!p.admits("db", &gateway, 5432, "TCP"));

    // Another app's preview calls the services (on any of their ports), never the data stores.
    assert!(p.admits("api", &accounts, 8000, "TCP"));
    assert!(p.admits("mailpit", &accounts, 1025, "TCP"));
    for (store, port) in [("db", 5432), ("cache", 6379)] {
        assert!(!p.admits(store, &accounts, port, "TCP"), "another preview → {store}");
        assert!(!p.admits(store, &stranger, port, "TCP"), "stranger → {store}");
        assert!(p.admits(store, &p.own("api"), port, "TCP"), "own api → {store}");
        assert!(p.admits(store, &p.own("worker"), port, "TCP"), "own worker → {store}");
    }
    assert!(p.admits("mailpit", &p.own("worker"), 1025, "TCP"));
    assert!(!p.admits("worker", &stranger, 8000, "TCP"));
}

#[test]
fn behind_an_ingress_in_ip_mode_the_load_balancer_s_addresses_reach_exposed_ports() {
    let p = render("testdata/real-app-ingress", &["--policy", "policy.yaml"]);
    let v4 = Source::Address("10.0.200.9".parse().unwrap());
    let v6 = Source::Address("2001:db8::17".parse().unwrap());
    let outside = Source::Address("192.168.0.1".parse().unwrap());
    let controller = namespace("ingress-nginx", &[]);
    let other_preview = namespace("shop-pr-9", &[("kpreview.dev/preview", "shop-pr-9")]);
    for source in [&v4, &v6, &controller] {
        assert!(p.admits("collector", source, 8080, "TCP"), "{source:?}");
        assert!(!p.admits("collector", source, 9125, "UDP"), "{source:?} reaches statsd");
        assert!(!p.admits("sender", source, 8080, "TCP"), "{source:?} reaches an unexposed service");
    }
    assert!(!p.admits("collector", &outside, 8080, "TCP"));
    assert!(p.admits("collector", &other_preview, 9125, "UDP"));
    assert!(p.admits("collector", &p.own("sender"), 4317, "TCP"));
}

/// Over every golden render: a stranger reaches nothing, no other namespace reaches a data store,
/// every other preview reaches every service, and each exposed service's port is open to the
/// routing's source namespace.
#[test]
fn every_render_isolates_stores_and_admits_previews_to_services() {
    let stranger = namespace("default", &[]);
    let other_preview = namespace("zzz-pr-1", &[("kpreview.dev/preview", "zzz-pr-1")]);
    let mut checked = 0;
    for case in cases() {
        let Some(yaml) = case.rendered() else { continue };
        let p = Preview::parse(&yaml);
        let text = std::fs::read_to_string(case.dir.join("preview.yaml")).unwrap();
        let spec = kpreview::yaml::value_from_str(&text, kpreview::yaml::Limits::Spec).unwrap();
        let spec = &spec["spec"];
        for store in spec["dataStores"].as_object().into_iter().flatten().map(|(k, _)| k) {
            for source in
                [&stranger, &other_preview, &namespace("ingress-nginx", &[]), &namespace("gateway-system", &[])]
            {
                for port in [5432, 6379, 27017] {
                    assert!(!p.admits(store, source, port, "TCP"), "{}: {source:?} → {store}", case.name);
                }
            }
        }
        for (name, service) in spec["services"].as_object().into_iter().flatten() {
            let port = u16::try_from(service["port"].as_u64().unwrap_or(8080)).unwrap();
            assert!(!p.admits(name, &stranger, port, "TCP"), "{}: stranger → {name}", case.name);
            if service.get("port").is_some() {
                assert!(p.admits(name, &other_preview, port, "TCP"), "{}: preview → {name}", case.name);
            }
            if service["expose"] == true {
                let source = spec["routing"]["gateway"]["namespace"]
                    .as_str()
                    .or(spec["ingress"]["controllerNamespace"].as_str())
                    .unwrap_or("ingress-nginx");
                assert!(p.admits(name, &namespace(source, &[]), port, "TCP"), "{}: {source} → {name}", case.name);
            }
        }
        checked += 1;
    }
    assert!(checked > 15, "only {checked} renders evaluated");
}

#[test]
fn the_marketplace_example_is_a_golden_case() {
    for file in ["preview.yaml", "policy.yaml"] {
        assert_eq!(
            std::fs::read_to_string(root().join("examples/marketplace").join(file)).unwrap(),
            std::fs::read_to_string(root().join("testdata/real-app-gateway").join(file)).unwrap(),
            "testdata/real-app-gateway/{file} drifted from examples/marketplace"
        );
    }
}

/// The platform's Gateway (`overlays/platform/gateway.yaml`) accepts the marketplace's routes:
/// its listener named by `sectionName` admits routes from the rendered Namespace's labels, and
/// its wildcard hostname covers every route's host.
#[test]
fn the_platform_gateway_admits_the_routes_a_preview_renders() {
    let text = std::fs::read_to_string(root().join("overlays/platform/gateway.yaml")).unwrap();
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap();
    let gateway = docs.iter().find(|d| d["kind"] == "Gateway").expect("a Gateway");
    let output = kpreview()
        .current_dir(root().join("examples/marketplace"))
        .args(["render", "preview.yaml", "--pr", "7", "--sha", SHA, "--policy", "policy.yaml"])
        .output()
        .unwrap();
    let rendered: Vec<Value> = serde_saphyr::from_multiple(&String::from_utf8(output.stdout).unwrap()).unwrap();
    let namespace = rendered.iter().find(|d| d["kind"] == "Namespace").unwrap();
    let routes: Vec<&Value> = rendered.iter().filter(|d| d["kind"] == "HTTPRoute").collect();
    assert_eq!(routes.len(), 3);
    for route in routes {
        let parent = &route["spec"]["parentRefs"][0];
        assert_eq!(parent["name"], gateway["metadata"]["name"]);
        assert_eq!(parent["namespace"], gateway["metadata"]["namespace"]);
        let listener = gateway["spec"]["listeners"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["name"] == parent["sectionName"])
            .expect("the listener the route names");
        let allowed = &listener["allowedRoutes"]["namespaces"];
        assert_eq!(allowed["from"], "Selector");
        assert!(selects(&allowed["selector"], &labels_of(&namespace["metadata"]["labels"])), "namespace admitted");
        assert!(!selects(&allowed["selector"], &BTreeMap::new()), "an unlabelled namespace is not");
        let wildcard = listener["hostname"].as_str().unwrap().trim_start_matches('*');
        let host = route["spec"]["hostnames"][0].as_str().unwrap();
        let (first, rest) = host.split_once('.').unwrap();
        assert!(!first.is_empty() && format!(".{rest}") == wildcard, "{host} under {wildcard}");
    }
}

#[test]
fn the_real_apps_guide_shows_the_example_as_it_is() {
    let guide = std::fs::read_to_string(root().join("docs/real-apps.md")).unwrap();
    for file in ["preview.yaml", "policy.yaml"] {
        let text = std::fs::read_to_string(root().join("examples/marketplace").join(file)).unwrap();
        assert!(guide.contains(&format!("```yaml\n{text}```")), "docs/real-apps.md lacks examples/marketplace/{file}");
    }
}
