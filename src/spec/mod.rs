//! The `Preview` spec: its types, and the stages that turn its text into a validated model.

pub mod check;
pub mod defaults;
pub mod graph;
pub mod lenient;
pub mod load;
pub mod lockfile;
pub mod model;
pub mod prepare;
pub mod problem;
mod resources;
mod services;
mod stores;
pub mod types;
pub mod validate;
