//! The GitOps repository: publish, unpublish and expire previews.
