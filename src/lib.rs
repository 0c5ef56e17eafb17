//! kpreview: expands a compact `Preview` spec into the Argo CD-ordered manifests of a
//! pull-request preview environment.

pub mod engine;
pub mod output;
pub mod render;
pub mod spec;
pub mod template;
pub mod yaml;

pub use render::{Manifests, render};
pub use spec::prepare::prepare;
