//! `kpreview restore`: the Velero restore runner and the post-delete cleanup.
