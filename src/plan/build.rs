//! Builds a [`Plan`] from the validated model and the objects rendered from it. Everything about
//! order (phase, wave, hook, which Job seeds which store) is read off the rendered objects, and
//! everything about meaning (dependencies, seeds) off the model, so the plan cannot tell a story
//! the manifests do not.

use std::collections::BTreeMap;

use crate::render::Manifests;
use crate::render::meta::{COMPONENT, HOOK_DELETE_POLICY};
use crate::render::object::{Hook, Object, Resource};
use crate::render::seeding::RESTORE_COMPONENT;
use crate::render::workloads::migration_name;
use crate::spec::model::{Dependency, Engine, Model, Seed, Service, Store, Target};

use super::types::{
    Edge, EdgeKind, Host, JobRef, Plan, PlanObject, PullRequest, SeedPlan, ServicePlan, Slot, Step, StorePlan, VERSION,
};

/// The manifests lack an object the model says they have: they were not rendered from this
/// model, or the renderer and the plan disagree (a bug).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the rendered manifests have no {what}, so no plan can describe them (were they rendered from this spec?)")]
pub struct PlanError {
    /// The object that is missing, such as "Deployment `api`".
    pub what: String,
}

impl Plan {
    /// The plan of `manifests`, which must be `render(model)`.
    pub fn of(model: &Model, manifests: &Manifests) -> Result<Plan, PlanError> {
        let objects = Objects {
            all: &manifests.objects,
            namespace: &model.namespace,
            velero_namespace: &model.restore.velero_namespace,
        };
        let services = model.services.iter().map(|s| objects.service(s)).collect::<Result<Vec<_>, _>>()?;
        let stores = model.stores.iter().map(|s| objects.store(s)).collect::<Result<Vec<_>, _>>()?;
        let hosts = model
            .services
            .iter()
            .filter_map(|s| s.host.as_ref().map(|host| (s, host)))
            .map(|(s, host)| objects.host(s, host))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Plan {
            version: VERSION,
            app: model.app.clone(),
            namespace: model.namespace.clone(),
            pull_request: PullRequest {
                number: model.pr.number,
                head_sha: model.pr.head_sha.clone(),
                branch: model.pr.branch.clone(),
            },
            ttl: model.ttl.clone(),
            hosts,
            steps: steps(&manifests.objects),
            services,
            stores,
        })
    }
}

/// Where an object syncs.
fn slot(object: &Object) -> Slot {
    Slot { phase: object.phase, wave: object.wave }
}

/// The objects grouped by phase and wave. Within a step they keep the stream's order; an object
/// the stream puts before an earlier step's objects (gitops-engine moves a Namespace to the first
/// object in it) says so in `applied_with`.
fn steps(objects: &[Object]) -> Vec<Step> {
    let mut groups: BTreeMap<Slot, Vec<PlanObject>> = BTreeMap::new();
    for (i, object) in objects.iter().enumerate() {
        let own = slot(object);
        let applied_with = objects.get(i + 1).map(slot).filter(|next| *next < own);
        let resource = &object.resource;
        let namespace = Some(resource.namespace()).filter(|ns| !ns.is_empty()).map(str::to_owned);
        let hook_delete_policy = match object.hook {
            Hook::No => None,
            Hook::KeepUntilNextSync | Hook::DeleteOnSuccess => {
                resource.metadata().annotations.as_ref().and_then(|a| a.get(HOOK_DELETE_POLICY)).cloned()
            }
        };
        groups.entry(own).or_default().push(PlanObject {
            api_version: resource.api_version().to_owned(),
            kind: resource.kind().to_owned(),
            name: resource.name().to_owned(),
            namespace,
            hook: object.hook != Hook::No,
            hook_delete_policy,
            applied_with,
        });
    }
    groups.into_iter().map(|(slot, objects)| Step { phase: slot.phase, wave: slot.wave, objects }).collect()
}

/// Lookups in the rendered objects.
struct Objects<'a> {
    all: &'a [Object],
    namespace: &'a str,
    velero_namespace: &'a str,
}

impl<'a> Objects<'a> {
    /// The object of `kind` called `name` in the preview namespace.
    fn find(&self, kind: &str, name: &str) -> Result<&'a Object, PlanError> {
        self.all
            .iter()
            .find(|o| {
                o.resource.kind() == kind && o.resource.name() == name && o.resource.namespace() == self.namespace
            })
            .ok_or_else(|| PlanError { what: format!("{kind} `{name}` in `{}`", self.namespace) })
    }

    fn service(&self, service: &Service) -> Result<ServicePlan, PlanError> {
        let deployment = self.find("Deployment", &service.name)?;
        let migration = match &service.migrate {
            Some(_) => Some(job_ref(self.find("Job", &migration_name(&service.name))?)),
            None => None,
        };
        Ok(ServicePlan {
            name: service.name.clone(),
            image: service.image.clone(),
            port: service.port,
            phase: deployment.phase,
            wave: deployment.wave,
            depth: service.depth,
            host: service.host.clone(),
            migration,
            depends_on: service.depends_on.iter().map(edge).collect(),
        })
    }

    /// An exposed service's host; TLS as its Ingress has it, or as the Gateway's scheme says for
    /// an HTTPRoute (the Gateway's listener terminates it).
    fn host(&self, service: &Service, host: &str) -> Result<Host, PlanError> {
        let tls = if self.find("HTTPRoute", &service.name).is_ok() {
            service.url.as_deref().is_some_and(|url| url.starts_with("https://"))
        } else {
            let Resource::Ingress(ingress) = &self.find("Ingress", &service.name)?.resource else {
                return Err(PlanError { what: format!("Ingress `{}`", service.name) });
            };
            ingress
                .spec
                .iter()
                .flat_map(|spec| spec.tls.iter().flatten())
                .any(|tls| tls.hosts.iter().flatten().any(|h| h == host))
        };
        let scheme = if tls { "https" } else { "http" };
        Ok(Host { service: service.name.clone(), host: host.to_owned(), tls, url: format!("{scheme}://{host}") })
    }

    fn store(&self, store: &Store) -> Result<StorePlan, PlanError> {
        let object = self.find("StatefulSet", &store.name)?;
        let seed = match &store.seed {
            Seed::Empty => SeedPlan::Empty,
            Seed::Image { image } => SeedPlan::Image { image: image.clone() },
            Seed::Velero { backup, namespace } => SeedPlan::Velero {
                backup: backup.clone(),
                base_namespace: namespace.clone(),
                velero_namespace: self.velero_namespace.to_owned(),
                job: job_ref(self.restore_job(store)?),
            },
            Seed::Snapshot { handle, driver, tags, .. } => {
                let (snapshot, content) = self.snapshot(object, store)?;
                SeedPlan::Snapshot {
                    handle: handle.clone(),
                    driver: driver.clone(),
                    tags: tags.clone(),
                    volume_snapshot: snapshot.resource.name().to_owned(),
                    volume_snapshot_content: content,
                    phase: snapshot.phase,
                    wave: snapshot.wave,
                }
            }
        };
        Ok(StorePlan {
            name: store.name.clone(),
            engine: engine(store.engine).to_owned(),
            image: store.image.clone(),
            storage: store.storage.as_str().to_owned(),
            phase: object.phase,
            wave: object.wave,
            seed,
        })
    }

    /// The restore Job whose arguments name `store` (`--store <name>`): the Job that actually
    /// restores it, however the renderer groups stores into Jobs.
    fn restore_job(&self, store: &Store) -> Result<&'a Object, PlanError> {
        let restores = |o: &&Object| match &o.resource {
            Resource::Job(job) => {
                let component = job.metadata.labels.as_ref().and_then(|l| l.get(COMPONENT)).map(String::as_str);
                let mut args = job
                    .spec
                    .iter()
                    .filter_map(|s| s.template.spec.as_ref())
                    .flat_map(|p| p.containers.iter())
                    .filter_map(|c| c.args.as_ref());
                component == Some(RESTORE_COMPONENT)
                    && args.any(|a| a.windows(2).any(|w| w[0] == "--store" && w[1] == store.name))
            }
            _ => false,
        };
        self.all
            .iter()
            .find(restores)
            .ok_or_else(|| PlanError { what: format!("restore Job for data store `{}`", store.name) })
    }

    /// The VolumeSnapshot the StatefulSet's claim is provisioned from, and the content it binds.
    fn snapshot(&self, statefulset: &Object, store: &Store) -> Result<(&'a Object, String), PlanError> {
        let missing = || PlanError { what: format!("VolumeSnapshot for data store `{}`", store.name) };
        let Resource::StatefulSet(set) = &statefulset.resource else { return Err(missing()) };
        let source = set
            .spec
            .iter()
            .flat_map(|s| s.volume_claim_templates.iter().flatten())
            .find_map(|claim| claim.spec.as_ref().and_then(|s| s.data_source.as_ref()))
            .filter(|source| source.kind == "VolumeSnapshot")
            .ok_or_else(missing)?;
        let snapshot = self.find("VolumeSnapshot", &source.name)?;
        let Resource::VolumeSnapshot(volume_snapshot) = &snapshot.resource else { return Err(missing()) };
        Ok((snapshot, volume_snapshot.spec.source.volume_snapshot_content_name.clone()))
    }
}

fn job_ref(object: &Object) -> JobRef {
    JobRef {
        name: object.resource.name().to_owned(),
        namespace: object.resource.namespace().to_owned(),
        phase: object.phase,
        wave: object.wave,
    }
}

fn edge(dependency: &Dependency) -> Edge {
    let (kind, pr, namespace, engine_name) = match &dependency.target {
        Target::Service => (EdgeKind::Service, None, None, None),
        Target::Store { engine: e } => (EdgeKind::Store, None, None, Some(engine(*e).to_owned())),
        Target::OtherPreview { pr, namespace, .. } => {
            (EdgeKind::OtherPreview, Some(*pr), Some(namespace.clone()), None)
        }
        Target::Url => (EdgeKind::Url, None, None, None),
        Target::Staging => (EdgeKind::Staging, None, None, None),
    };
    Edge {
        name: dependency.name.clone(),
        kind,
        pr,
        namespace,
        engine: engine_name,
        env: dependency.url.as_ref().map(|link| link.env.clone()),
        url: dependency.url.as_ref().map(|link| link.url.clone()),
    }
}

/// The engine as the spec spells it.
pub fn engine(engine: Engine) -> &'static str {
    Engine::VALUES.iter().find(|(_, e)| *e == engine).map_or("", |(name, _)| name)
}
