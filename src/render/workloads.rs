//! The pull request's own services: a Deployment each, a ClusterIP Service on port 80 for those
//! with a port, an Ingress for exposed ones and a Sync-hook Job for migrations.

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    ContainerPort, HTTPGetAction, PodTemplateSpec, Probe, Service as KubeService, ServicePort, ServiceSpec,
    TCPSocketAction,
};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule, IngressServiceBackend, IngressSpec,
    IngressTLS, ServiceBackendPort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::meta::{namespaced, selector, workload_labels};
use super::naming::{MAX_LABEL, join};
use super::object::{Hook, Object, Phase, Resource};
use super::waves::Waves;
use super::{pod, security};
use crate::spec::model::{Model, Service};

/// Component label of service pods.
pub const COMPONENT: &str = "service";
/// Component label of migration pods.
pub const MIGRATION: &str = "migration";
/// The port every preview Service listens on, like the staging services it stands in for.
pub const SERVICE_PORT: i32 = 80;
const PORT_NAME: &str = "http";

/// Objects of one service.
pub fn service(model: &Model, waves: &Waves, service: &Service) -> Vec<Object> {
    let wave = waves.service(service.depth);
    let mut out = vec![Object {
        phase: Phase::Sync,
        wave,
        hook: Hook::No,
        resource: Resource::Deployment(deployment(model, service)),
    }];
    if service.port.is_some() || !service.ports.is_empty() {
        out.push(Object {
            phase: Phase::Sync,
            wave,
            hook: Hook::No,
            resource: Resource::Service(cluster_ip(model, service)),
        });
    }
    if let Some(host) = &service.host {
        let resource = match &model.gateway {
            Some(gateway) => Resource::HttpRoute(super::routes::route(model, gateway, service, host)),
            None => Resource::Ingress(ingress(model, service, host)),
        };
        out.push(Object { phase: Phase::Sync, wave: waves.ingress, hook: Hook::No, resource });
    }
    if let Some(command) = &service.migrate {
        let job = migration(model, service, command);
        out.push(Object {
            phase: Phase::Sync,
            wave: waves.migrate,
            hook: Hook::KeepUntilNextSync,
            resource: Resource::Job(job),
        });
    }
    out
}

fn deployment(model: &Model, service: &Service) -> Deployment {
    let labels = workload_labels(model, &service.name, COMPONENT);
    let mut container = pod::container(&service.name, &service.image, &service.resources);
    container.command.clone_from(&service.command);
    container.args.clone_from(&service.args);
    container.env = pod::env(&service.env);
    container.env_from = pod::env_from(&service.env_from);
    let mut ports: Vec<ContainerPort> = service
        .port
        .map(|port| ContainerPort {
            name: Some(PORT_NAME.to_owned()),
            container_port: i32::from(port),
            protocol: Some("TCP".to_owned()),
            ..ContainerPort::default()
        })
        .into_iter()
        .collect();
    ports.extend(service.ports.iter().map(|p| ContainerPort {
        name: Some(p.name.clone()),
        container_port: i32::from(p.port),
        protocol: Some(p.protocol.as_str().to_owned()),
        ..ContainerPort::default()
    }));
    container.ports = (!ports.is_empty()).then_some(ports);
    if service.port.is_some() {
        container.readiness_probe = Some(readiness(service));
    }
    Deployment {
        metadata: ObjectMeta { labels: Some(labels.clone()), ..namespaced(model, &service.name) },
        spec: Some(DeploymentSpec {
            replicas: Some(service.replicas),
            revision_history_limit: Some(2),
            selector: LabelSelector { match_labels: Some(selector(&service.name, COMPONENT)), match_expressions: None },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta { labels: Some(labels), ..ObjectMeta::default() }),
                spec: Some(pod::spec(model, vec![container], security::pod(service.run_as_user, None), None)),
            },
            ..DeploymentSpec::default()
        }),
        status: None,
    }
}

fn readiness(service: &Service) -> Probe {
    let port = IntOrString::String(PORT_NAME.to_owned());
    let (http_get, tcp_socket) = match &service.health_path {
        Some(path) => (Some(HTTPGetAction { path: Some(path.clone()), port, ..HTTPGetAction::default() }), None),
        None => (None, Some(TCPSocketAction { port, host: None })),
    };
    Probe { http_get, tcp_socket, period_seconds: Some(5), failure_threshold: Some(3), ..Probe::default() }
}

fn cluster_ip(model: &Model, service: &Service) -> KubeService {
    KubeService {
        metadata: ObjectMeta {
            labels: Some(workload_labels(model, &service.name, COMPONENT)),
            ..namespaced(model, &service.name)
        },
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".to_owned()),
            selector: Some(selector(&service.name, COMPONENT)),
            ports: Some(service_ports(service)),
            ..ServiceSpec::default()
        }),
        status: None,
    }
}

/// Port 80 (`http`) for `port`, then each further port on its own number.
fn service_ports(service: &Service) -> Vec<ServicePort> {
    let main = service.port.map(|_| ServicePort {
        name: Some(PORT_NAME.to_owned()),
        port: SERVICE_PORT,
        target_port: Some(IntOrString::String(PORT_NAME.to_owned())),
        protocol: Some("TCP".to_owned()),
        ..ServicePort::default()
    });
    let further = service.ports.iter().map(|p| ServicePort {
        name: Some(p.name.clone()),
        port: i32::from(p.port),
        target_port: Some(IntOrString::String(p.name.clone())),
        protocol: Some(p.protocol.as_str().to_owned()),
        ..ServicePort::default()
    });
    main.into_iter().chain(further).collect()
}

fn ingress(model: &Model, service: &Service, host: &str) -> Ingress {
    let annotations = (!model.ingress.annotations.is_empty()).then(|| model.ingress.annotations.clone());
    Ingress {
        metadata: ObjectMeta {
            labels: Some(workload_labels(model, &service.name, COMPONENT)),
            annotations,
            ..namespaced(model, &service.name)
        },
        spec: Some(IngressSpec {
            ingress_class_name: model.ingress.class_name.clone(),
            rules: Some(vec![IngressRule {
                host: Some(host.to_owned()),
                http: Some(HTTPIngressRuleValue {
                    paths: vec![HTTPIngressPath {
                        path: Some("/".to_owned()),
                        path_type: "Prefix".to_owned(),
                        backend: IngressBackend {
                            service: Some(IngressServiceBackend {
                                name: service.name.clone(),
                                port: Some(ServiceBackendPort { name: Some(PORT_NAME.to_owned()), number: None }),
                            }),
                            resource: None,
                        },
                    }],
                }),
            }]),
            tls: model.ingress.tls_secret.as_ref().map(|secret| {
                vec![IngressTLS { hosts: Some(vec![host.to_owned()]), secret_name: Some(secret.clone()) }]
            }),
            default_backend: None,
        }),
        status: None,
    }
}

/// The name of a service's migration Job.
pub fn migration_name(service: &str) -> String {
    join(&["migrate", service], MAX_LABEL)
}

fn migration(model: &Model, service: &Service, command: &[String]) -> Job {
    let name = migration_name(&service.name);
    let labels = workload_labels(model, &service.name, MIGRATION);
    let mut container = pod::container("migrate", &service.image, &service.resources);
    container.command = Some(command.to_vec());
    container.env = pod::env(&service.env);
    container.env_from = pod::env_from(&service.env_from);
    let mut spec = pod::spec(model, vec![container], security::pod(service.run_as_user, None), None);
    spec.restart_policy = Some("Never".to_owned());
    Job {
        metadata: ObjectMeta { labels: Some(labels.clone()), ..namespaced(model, &name) },
        spec: Some(JobSpec {
            backoff_limit: Some(2),
            active_deadline_seconds: Some(1800),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta { labels: Some(labels), ..ObjectMeta::default() }),
                spec: Some(spec),
            },
            ..JobSpec::default()
        }),
        status: None,
    }
}
