//! Rendering: a validated model → typed Kubernetes objects in Argo CD apply order. One file per
//! concern; nothing here reads files, the environment or the clock.

pub mod crd;
pub mod datastores;
pub mod manifests;
pub mod meta;
pub mod namespace;
pub use crate::k8s::naming;
pub mod network;
pub mod object;
pub mod order;
pub mod pod;
pub mod quota;
pub mod routes;
pub mod secrets;
pub mod security;
pub mod seeding;
pub mod spot;
pub mod waves;
pub mod workloads;

pub use manifests::{Manifests, render};
