//! Pieces every pod shares: its spec around the containers (spot placement, security, no service
//! links, no API token by default), environment variables and resources.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    ConfigMapEnvSource, ConfigMapKeySelector, Container, EnvFromSource, EnvVar, EnvVarSource, PodSecurityContext,
    PodSpec, ResourceRequirements, SecretEnvSource, SecretKeySelector,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::{security, spot};
use crate::spec::defaults::{self, JOB_RESOURCES};
use crate::spec::model::{self, Model, Resources};

/// A pod spec for `containers` with kpreview's defaults, on the spot nodes the spec chose.
/// `service_account` is set only for pods that call the Kubernetes API (the restore Jobs);
/// every other pod gets no token at all.
pub fn spec(
    model: &Model,
    containers: Vec<Container>,
    security: PodSecurityContext,
    service_account: Option<&str>,
) -> PodSpec {
    PodSpec {
        tolerations: spot::tolerations(model.spot),
        affinity: spot::affinity(model.spot),
        ..anywhere(containers, security, service_account)
    }
}

/// [`spec`] without spot placement, for pods that must not be evicted with a spot node (the
/// PostDelete cleanup runs once, after the preview is gone).
pub fn anywhere(containers: Vec<Container>, security: PodSecurityContext, service_account: Option<&str>) -> PodSpec {
    PodSpec {
        containers,
        security_context: Some(security),
        service_account_name: service_account.map(str::to_owned),
        automount_service_account_token: Some(service_account.is_some()),
        enable_service_links: Some(false),
        ..PodSpec::default()
    }
}

/// The resources of kpreview's own Jobs (restore, cleanup).
pub fn job_resources() -> Resources {
    defaults::resources(JOB_RESOURCES)
}

/// A container with the restricted security context.
pub fn container(name: &str, image: &str, resources: &Resources) -> Container {
    Container {
        name: name.to_owned(),
        image: Some(image.to_owned()),
        resources: Some(requirements(resources)),
        security_context: Some(security::container()),
        ..Container::default()
    }
}

/// Requests and limits; a CPU limit only when the spec set one.
pub fn requirements(resources: &Resources) -> ResourceRequirements {
    let q = |quantity: &model::Quantity| Quantity(quantity.as_str().to_owned());
    let mut limits = BTreeMap::from([("memory".to_owned(), q(&resources.memory_limit))]);
    if let Some(cpu) = &resources.cpu_limit {
        limits.insert("cpu".to_owned(), q(cpu));
    }
    ResourceRequirements {
        requests: Some(BTreeMap::from([
            ("cpu".to_owned(), q(&resources.cpu_request)),
            ("memory".to_owned(), q(&resources.memory_request)),
        ])),
        limits: Some(limits),
        ..ResourceRequirements::default()
    }
}

/// The model's environment as Kubernetes `EnvVar`s, in order.
pub fn env(vars: &[model::EnvVar]) -> Option<Vec<EnvVar>> {
    let list: Vec<EnvVar> = vars
        .iter()
        .map(|var| match &var.value {
            model::EnvValue::Literal(value) => literal(&var.name, value),
            model::EnvValue::Secret(secret) => secret_key(&var.name, secret),
            model::EnvValue::ConfigMap(map) => EnvVar {
                name: var.name.clone(),
                value: None,
                value_from: Some(EnvVarSource {
                    config_map_key_ref: Some(ConfigMapKeySelector {
                        name: map.name.clone(),
                        key: map.key.clone(),
                        optional: None,
                    }),
                    ..EnvVarSource::default()
                }),
            },
        })
        .collect();
    (!list.is_empty()).then_some(list)
}

/// The model's `envFrom` sources, in order.
pub fn env_from(sources: &[model::EnvFrom]) -> Option<Vec<EnvFromSource>> {
    let list: Vec<EnvFromSource> = sources
        .iter()
        .map(|source| match source {
            model::EnvFrom::Secret(name) => EnvFromSource {
                secret_ref: Some(SecretEnvSource { name: name.clone(), optional: None }),
                ..EnvFromSource::default()
            },
            model::EnvFrom::ConfigMap(name) => EnvFromSource {
                config_map_ref: Some(ConfigMapEnvSource { name: name.clone(), optional: None }),
                ..EnvFromSource::default()
            },
        })
        .collect();
    (!list.is_empty()).then_some(list)
}

/// `name: value`.
pub fn literal(name: &str, value: &str) -> EnvVar {
    EnvVar { name: name.to_owned(), value: Some(value.to_owned()), value_from: None }
}

/// `name` from a Secret's key.
pub fn secret_key(name: &str, secret: &model::SecretRef) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: None,
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: secret.name.clone(),
                key: secret.key.clone(),
                optional: None,
            }),
            ..EnvVarSource::default()
        }),
    }
}
