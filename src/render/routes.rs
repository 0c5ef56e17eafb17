//! Gateway API: one `gateway.networking.k8s.io/v1` `HTTPRoute` per exposed service, attached to
//! the platform's shared Gateway (which must admit routes from namespaces labelled
//! `kpreview.dev/preview`), serving the same host an Ingress would and sending everything to the
//! service's Service on port 80.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use super::meta::{namespaced, workload_labels};
use super::workloads::{COMPONENT, SERVICE_PORT};
use crate::spec::model::{Gateway, Model, Service};

/// The API version of `HTTPRoute`.
pub const API_VERSION: &str = "gateway.networking.k8s.io/v1";

/// An `HTTPRoute`, with the fields of its CRD that kpreview sets.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRoute {
    /// Always [`API_VERSION`].
    pub api_version: &'static str,
    /// Always `HTTPRoute`.
    pub kind: &'static str,
    /// Name and namespace.
    pub metadata: ObjectMeta,
    /// Where it attaches and what it serves.
    pub spec: HttpRouteSpec,
}

/// `HTTPRoute.spec`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteSpec {
    /// The shared Gateway.
    pub parent_refs: Vec<ParentRef>,
    /// The service's public host.
    pub hostnames: Vec<String>,
    /// One rule: every path to the service.
    pub rules: Vec<Rule>,
}

/// `spec.parentRefs[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParentRef {
    /// `gateway.networking.k8s.io`.
    pub group: &'static str,
    /// `Gateway`.
    pub kind: &'static str,
    /// The Gateway's name.
    pub name: String,
    /// The Gateway's namespace.
    pub namespace: String,
    /// The listener.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section_name: Option<String>,
}

/// `spec.rules[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// `PathPrefix /`.
    pub matches: Vec<Match>,
    /// The service.
    pub backend_refs: Vec<BackendRef>,
}

/// `rules[].matches[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Match {
    /// The path match.
    pub path: PathMatch,
}

/// `matches[].path`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathMatch {
    /// `PathPrefix`.
    #[serde(rename = "type")]
    pub type_: &'static str,
    /// `/`.
    pub value: &'static str,
}

/// `rules[].backendRefs[]`: a Service of the preview.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackendRef {
    /// `Service`.
    pub kind: &'static str,
    /// The Service's name.
    pub name: String,
    /// Its port, 80.
    pub port: i32,
}

/// The HTTPRoute of an exposed service.
pub fn route(model: &Model, gateway: &Gateway, service: &Service, host: &str) -> HttpRoute {
    HttpRoute {
        api_version: API_VERSION,
        kind: "HTTPRoute",
        metadata: ObjectMeta {
            labels: Some(workload_labels(model, &service.name, COMPONENT)),
            ..namespaced(model, &service.name)
        },
        spec: HttpRouteSpec {
            parent_refs: vec![ParentRef {
                group: "gateway.networking.k8s.io",
                kind: "Gateway",
                name: gateway.name.clone(),
                namespace: gateway.namespace.clone(),
                section_name: gateway.section_name.clone(),
            }],
            hostnames: vec![host.to_owned()],
            rules: vec![Rule {
                matches: vec![Match { path: PathMatch { type_: "PathPrefix", value: "/" } }],
                backend_refs: vec![BackendRef { kind: "Service", name: service.name.clone(), port: SERVICE_PORT }],
            }],
        },
    }
}
