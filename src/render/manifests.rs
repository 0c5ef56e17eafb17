//! The render itself: a validated model in, every object of the preview out, stamped with its
//! labels and Argo CD annotations and sorted into apply order. Pure: no I/O, no clock.

use super::object::{Object, sort};
use super::waves::Waves;
use super::{datastores, meta, namespace, network, quota, secrets, seeding, workloads};
use crate::spec::model::Model;
use crate::yaml::{self, WriteError};

/// The objects of one preview, in Argo CD apply order.
#[derive(Debug, Clone)]
pub struct Manifests {
    /// The objects.
    pub objects: Vec<Object>,
    /// The waves they were given.
    pub waves: Waves,
}

/// Renders a preview.
pub fn render(model: &Model) -> Manifests {
    let waves = Waves::of(model);
    let mut objects = vec![namespace::object(model, &waves)];
    objects.extend(quota::objects(model, &waves));
    objects.extend(network::policies(model, &waves));
    objects.extend(secrets::objects(model, &waves));
    objects.extend(seeding::objects(model, &waves));
    for store in &model.stores {
        objects.extend(datastores::store(model, &waves, store));
    }
    for service in &model.services {
        objects.extend(workloads::service(model, &waves, service));
    }
    for object in &mut objects {
        meta::stamp(model, object);
    }
    sort(&mut objects);
    Manifests { objects, waves }
}

impl Manifests {
    /// One YAML document per object, each introduced by `---`.
    pub fn to_yaml(&self) -> Result<String, WriteError> {
        let mut out = String::with_capacity(self.objects.len() * 2048);
        for object in &self.objects {
            out.push_str("---\n");
            out.push_str(&yaml::to_string(&object.resource)?);
        }
        Ok(out)
    }

    /// One file per object, named so they sort in apply order: `007-deployment-api.yaml`.
    pub fn files(&self) -> Result<Vec<(String, String)>, WriteError> {
        self.file_names()
            .into_iter()
            .zip(&self.objects)
            .map(|(name, o)| Ok((name, yaml::to_string(&o.resource)?)))
            .collect()
    }

    /// The file name of each object, in order ([`super::order::file_name`]).
    pub fn file_names(&self) -> Vec<String> {
        self.objects
            .iter()
            .enumerate()
            .map(|(i, o)| super::order::file_name(i, o.resource.kind(), o.resource.namespace(), o.resource.name()))
            .collect()
    }
}
