//! The one integration test binary: every module exercises kpreview as users run it.

mod support;

mod cli;
mod docker;
mod edges;
mod function_modes;
mod gitops;
mod golden;
mod hostile;
mod init;
mod invariants;
mod lifecycle;
mod lock;
mod network;
mod overlay;
mod plan;
mod podman;
mod policy;
mod reference;
mod restore;
mod schema;
mod standalone;
