//! NetworkPolicies: nothing reaches a preview's pods except its own pods, the real source of
//! routed traffic (exposed services only, on their port: the Gateway's namespace, the ingress
//! controller's, or `ingress.sourceCIDRs` for load balancers that send straight to pod IPs) and
//! every preview namespace (services only, so another app's preview can call them through
//! `dependencies.*.preview`). Data stores are therefore reachable from their preview alone.
//! Egress is left open: services call staging and external URLs.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::meta::{COMPONENT, PREVIEW, common_labels, namespaced, selector};
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
    if model.services.iter().any(|s| s.port.is_some() || !s.ports.is_empty()) {
        let previews = NetworkPolicyPeer {
            namespace_selector: Some(LabelSelector {
                match_labels: None,
                match_expressions: Some(vec![LabelSelectorRequirement {
                    key: PREVIEW.to_owned(),
                    operator: "Exists".to_owned(),
                    values: None,
                }]),
            }),
            ..NetworkPolicyPeer::default()
        };
        list.push(policy(
            model,
            "allow-from-previews",
            labels(&[(COMPONENT, workloads::COMPONENT)]),
            Some(vec![previews]),
            None,
        ));
    }
    let source_namespace = model.gateway.as_ref().map_or(&model.ingress.controller_namespace, |g| &g.namespace);
    for service in model.services.iter().filter(|s| s.host.is_some()) {
        let mut from = vec![NetworkPolicyPeer {
            namespace_selector: Some(labels(&[("kubernetes.io/metadata.name", source_namespace)])),
            ..NetworkPolicyPeer::default()
        }];
        if model.gateway.is_none() {
            from.extend(model.ingress.source_cidrs.iter().map(|cidr| NetworkPolicyPeer {
                ip_block: Some(IPBlock { cidr: cidr.clone(), except: None }),
                ..NetworkPolicyPeer::default()
            }));
        }
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
            Some(from),
            port,
        ));
    }
    list.into_iter()
        .map(|p| Object { phase: Phase::Sync, wave: waves.setup, hook: Hook::No, resource: Resource::NetworkPolicy(p) })
        .collect()
}
