//! The leaf vocabulary every layer uses: Kubernetes names (DNS labels, the stable hash that
//! shortens them, slugs, kpreview's file names), field paths as users read them, and "did you
//! mean". It imports nothing of the crate, so spec, template, policy and render can all use it
//! without importing each other.

pub mod naming;
pub mod path;
pub mod suggest;
