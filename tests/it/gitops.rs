//! The GitOps lifecycle through the binary, with real git: a bare remote, clones, concurrent
//! publishers as separate processes, failures injected at every step.

mod atomic;
mod concurrency;
mod cost;
mod crash;
mod faults;
pub mod fixture;
mod gc;
mod overlay;
mod publish;
mod scale;
mod unpublish;
