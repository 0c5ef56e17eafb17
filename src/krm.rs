//! KRM function mode (kpt, kustomize): a `ResourceList` in, the same list out with every selected
//! `Preview` rendered into new items. Pure; the stdin/stdout edge is `cli/function.rs`.

pub mod config;
pub mod entries;
pub mod flow;
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
