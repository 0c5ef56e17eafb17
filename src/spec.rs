//! The `Preview` spec: its types, and the stages that turn its text into a validated model.

mod annotations;
pub mod check;
pub mod defaults;
mod dependencies;
pub mod envvalue;
pub mod graph;
pub mod lenient;
pub mod load;
pub mod lockfile;
pub mod model;
mod namespace;
pub mod prepare;
pub mod problem;
pub mod reference;
pub mod resources;
mod routing;
pub mod secrets;
mod services;
mod stores;
pub mod types;
pub mod validate;

pub use annotations::problem as annotation_problem;
