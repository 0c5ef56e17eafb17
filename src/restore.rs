//! `kpreview restore`: the Velero restore runner the PreSync Job runs, and the cleanup the
//! PostDelete Job runs once the preview is gone.
//!
//! [`crd`] is the `velero.io/v1 Restore` as far as kpreview uses it; [`request`] builds the
//! Restore for a preview and [`phase`] reads its status, both pure; [`run`] creates or adopts
//! the Restore and watches it to the end, and [`cleanup`] removes what a preview left in
//! Velero's namespace, both through the Kubernetes API.

pub mod cleanup;
pub mod crd;
pub mod error;
pub mod phase;
pub mod request;
pub mod run;

pub use error::RestoreError;
