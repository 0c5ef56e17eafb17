//! The GitOps repository: publish previews into it, unpublish them, expire them. Every change is
//! one commit built with git plumbing and landed all or nothing (see `land`).

pub mod checkout;
pub mod clone_lock;
pub mod error;
pub mod gc;
pub mod git;
pub mod journal;
pub mod land;
pub mod meta;
pub mod overlay;
pub mod publish;
pub mod remote;
pub mod repo;
pub mod summary;
pub mod tree;
pub mod unpublish;

pub use error::GitOpsError;
pub use land::Push;
pub use meta::{PreviewMeta, Ttl};
pub use repo::Repo;
