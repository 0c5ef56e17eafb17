//! The leaf vocabulary every layer uses: Kubernetes names (DNS labels, the stable hash that
//! shortens them, slugs, kpreview's file names), quantities and Go durations, field paths as
//! users read them, and "did you mean". It imports nothing of the crate but [`crate::fault`], so
//! spec, template, policy and render can all use it without importing each other.

pub mod duration;
pub mod naming;
pub mod path;
pub mod quantity;
pub mod suggest;

pub use duration::{Duration, DurationError};
pub use quantity::{Measure, Quantity, QuantityError};
