//! Publishing a kustomize overlay: build it with the kpreview plugin made available for that one
//! build ([`build`]), read what it printed as the objects of one preview ([`objects`]), check its
//! namespace against the platform's ([`namespace`]) and every object against its policy ([`police`]), and say what the pull-request comment can say
//! about them ([`summary`]). Landing the files is [`super::publish`]'s, exactly as for a spec.

pub mod build;
pub mod error;
pub mod namespace;
pub mod objects;
pub mod police;
pub mod summary;

pub use build::{DEFAULT_KUSTOMIZE, FLAG_VARS, build};
pub use error::OverlayError;
pub use objects::{Overlay, read};
