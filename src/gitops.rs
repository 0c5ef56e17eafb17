//! The GitOps repository: publish previews into it, unpublish them, expire them, keep them, put
//! them to sleep and wake them. Every change is one commit built with git plumbing and landed all
//! or nothing (see `land`).

pub mod cap;
pub mod checkout;
pub mod clone_lock;
pub mod error;
pub mod gc;
pub mod git;
pub mod journal;
pub mod keep;
pub mod land;
pub mod meta;
pub mod narrate;
pub mod overlay;
pub mod publication;
pub mod publish;
pub mod remote;
pub mod repo;
pub mod requests;
pub mod sleep;
pub mod summary;
pub mod tree;
pub mod unpublish;
pub mod wake;

pub use error::GitOpsError;
pub use land::Push;
pub use meta::{Keep, PreviewMeta};
pub use repo::Repo;
