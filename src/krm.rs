//! The ways orchestrators run kpreview. KRM function mode (kpt, kustomize): a `ResourceList` in,
//! the same list out with every selected `Preview` rendered into new items ([`process()`]); the
//! kustomize legacy exec plugin ([`kustomize`]); the Argo CD Config Management Plugin ([`cmp`]);
//! and, for every mode, where a spec's lock is ([`locate`]). Files come in through
//! [`crate::files::Files`]; stdin, stdout and the environment are the binary's (`cli/function.rs`).

pub mod cmp;
pub mod config;
pub mod entries;
pub mod flow;
pub mod kustomize;
pub mod list;
pub mod locate;
pub mod process;
mod replace;
pub mod result;

pub use list::{Item, ResourceList};
pub use process::{Env, process};
pub use result::{KrmResult, Severity};

#[cfg(test)]
mod tests;
