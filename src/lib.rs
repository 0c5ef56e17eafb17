//! kpreview: expands a compact `Preview` spec into the Argo CD-ordered manifests of a
//! pull-request preview environment.

#[cfg(any(feature = "aws", feature = "kube"))]
mod chain;
pub mod compose;
pub mod engine;
pub mod fault;
pub mod files;
pub mod gitops;
pub mod k8s;
pub mod krm;
#[cfg(feature = "aws")]
pub mod lock;
pub mod output;
pub mod plan;
pub mod policy;
pub mod pr;
pub mod render;
#[cfg(feature = "kube")]
pub mod restore;
pub mod spec;
pub mod template;
pub mod yaml;

pub use policy::prepare::with_builtin_policy as prepare;
pub use render::{Manifests, render};
