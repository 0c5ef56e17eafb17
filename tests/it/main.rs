//! The one integration test binary: every module exercises kpreview as users run it.

mod support;

mod cli;
mod docker;
mod function_modes;
mod gitops;
mod golden;
mod hostile;
mod invariants;
mod lock;
mod network;
mod overlay;
mod plan;
mod policy;
mod restore;
mod standalone;
