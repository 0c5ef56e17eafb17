//! Spot placement: for each provider, its spot node label, a node affinity to it (preferred or
//! required) and a toleration of a taint with the same key and value. AKS and GKE Autopilot taint
//! spot nodes that way themselves; teams commonly do it on EKS, Karpenter and GKE Standard, and
//! tolerating a taint that is absent costs nothing.

use k8s_openapi::api::core::v1::{
    Affinity, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, PreferredSchedulingTerm,
    Toleration,
};

use crate::spec::model::{Spot, SpotPolicy, SpotProvider};

/// The node label (key, value) a provider puts on its spot nodes.
pub fn label(provider: SpotProvider) -> Option<(&'static str, &'static str)> {
    match provider {
        SpotProvider::Eks => Some(("eks.amazonaws.com/capacityType", "SPOT")),
        SpotProvider::Karpenter => Some(("karpenter.sh/capacity-type", "spot")),
        SpotProvider::Gke => Some(("cloud.google.com/gke-spot", "true")),
        SpotProvider::Aks => Some(("kubernetes.azure.com/scalesetpriority", "spot")),
        SpotProvider::Any | SpotProvider::None => None,
    }
}

fn labels(provider: SpotProvider) -> Vec<(&'static str, &'static str)> {
    match provider {
        SpotProvider::Any => [SpotProvider::Eks, SpotProvider::Karpenter, SpotProvider::Gke, SpotProvider::Aks]
            .into_iter()
            .filter_map(label)
            .collect(),
        other => label(other).into_iter().collect(),
    }
}

/// Tolerations of the chosen providers' spot taints.
pub fn tolerations(spot: Spot) -> Option<Vec<Toleration>> {
    let list: Vec<Toleration> = labels(spot.provider)
        .into_iter()
        .map(|(key, value)| Toleration {
            key: Some(key.to_owned()),
            operator: Some("Equal".to_owned()),
            value: Some(value.to_owned()),
            effect: Some("NoSchedule".to_owned()),
            toleration_seconds: None,
        })
        .collect();
    (!list.is_empty()).then_some(list)
}

/// Node affinity to the chosen providers' spot nodes: one term per provider (terms are ORed).
pub fn affinity(spot: Spot) -> Option<Affinity> {
    let terms: Vec<NodeSelectorTerm> = labels(spot.provider)
        .into_iter()
        .map(|(key, value)| NodeSelectorTerm {
            match_expressions: Some(vec![NodeSelectorRequirement {
                key: key.to_owned(),
                operator: "In".to_owned(),
                values: Some(vec![value.to_owned()]),
            }]),
            match_fields: None,
        })
        .collect();
    if terms.is_empty() {
        return None;
    }
    let node_affinity = match spot.policy {
        SpotPolicy::Required => NodeAffinity {
            required_during_scheduling_ignored_during_execution: Some(NodeSelector { node_selector_terms: terms }),
            ..NodeAffinity::default()
        },
        SpotPolicy::Preferred => NodeAffinity {
            preferred_during_scheduling_ignored_during_execution: Some(
                terms.into_iter().map(|preference| PreferredSchedulingTerm { preference, weight: 100 }).collect(),
            ),
            ..NodeAffinity::default()
        },
    };
    Some(Affinity { node_affinity: Some(node_affinity), ..Affinity::default() })
}
