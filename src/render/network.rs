//! NetworkPolicies: nothing reaches a preview's pods except its own pods, the ingress controller
//! (exposed services only, on their port) and previews of the same application (services only,
//! for `dependencies.*.preview`). Data stores are therefore reachable from their preview alone.
//! Egress is left open: services call staging and external URLs.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::meta::{APP, COMPONENT, MANAGED_BY, common_labels, namespaced, selector};
use super::naming::{MAX_LABEL, join};
use super::object::{Hook, Object, Phase, Resource};
use super::waves::Waves;
use super::workloads;
use crate::spec::model::Model;

fn everything() -> LabelSelector {
    LabelSelector::default()
}

fn labels(pairs: &[(&str, &str)]) -> LabelSelector {
    LabelSelector {
        match_labels: Some(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<BTreeMap<_, _>>()),
        match_expressions: None,
    }
}

fn policy(
    model: &Model,
    name: &str,
    pods: LabelSelector,
    from: Option<Vec<NetworkPolicyPeer>>,
    ports: Option<Vec<NetworkPolicyPort>>,
) -> NetworkPolicy {
    let ingress = from.map(|from| vec![NetworkPolicyIngressRule { from: Some(from), ports }]);
    NetworkPolicy {
        metadata: ObjectMeta { labels: Some(common_labels(model)), ..namespaced(model, name) },
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(pods),
            policy_types: Some(vec!["Ingress".to_owned()]),
            ingress: ingress.or_else(|| Some(Vec::new())),
            egress: None,
        }),
    }
}

/// The preview's NetworkPolicies.
pub fn policies(model: &Model, waves: &Waves) -> Vec<Object> {
    let same_namespace = NetworkPolicyPeer { pod_selector: Some(everything()), ..NetworkPolicyPeer::default() };
    let mut list = vec![
        policy(model, "default-deny-ingress", everything(), None, None),
        policy(model, "allow-same-namespace", everything(), Some(vec![same_namespace]), None),
    ];
    if model.services.iter().any(|s| s.port.is_some()) {
        let siblings = NetworkPolicyPeer {
            namespace_selector: Some(labels(&[(MANAGED_BY, "kpreview"), (APP, &model.app)])),
            ..NetworkPolicyPeer::default()
        };
        list.push(policy(
            model,
            "allow-same-app-previews",
            labels(&[(COMPONENT, workloads::COMPONENT)]),
            Some(vec![siblings]),
            None,
        ));
    }
    for service in model.services.iter().filter(|s| s.host.is_some()) {
        let controller = NetworkPolicyPeer {
            namespace_selector: Some(labels(&[("kubernetes.io/metadata.name", &model.ingress.controller_namespace)])),
            ..NetworkPolicyPeer::default()
        };
        let port = service.port.map(|p| {
            vec![NetworkPolicyPort {
                port: Some(IntOrString::Int(i32::from(p))),
                protocol: Some("TCP".to_owned()),
                end_port: None,
            }]
        });
        let name = join(&["allow-ingress", &service.name], MAX_LABEL);
        list.push(policy(
            model,
            &name,
            LabelSelector {
                match_labels: Some(selector(&service.name, workloads::COMPONENT)),
                match_expressions: None,
            },
            Some(vec![controller]),
            port,
        ));
    }
    list.into_iter()
        .map(|p| Object { phase: Phase::Sync, wave: waves.setup, hook: Hook::No, resource: Resource::NetworkPolicy(p) })
        .collect()
}
