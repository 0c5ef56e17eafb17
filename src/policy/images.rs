//! Which images a preview may run (`images` of the policy): services', migrate Jobs' (the
//! service's) and data stores' (official, `image` or a seed image). A prefix is matched against
//! the fully qualified reference, so `postgres:16` is `docker.io/library/postgres:16`.

use super::model::Policy;

impl Policy {
    /// Whether `image` starts with one of the allowed prefixes (any image when none is listed).
    pub fn allows_image(&self, image: &str) -> bool {
        if self.images.is_empty() {
            return true;
        }
        let full = qualified(image);
        self.images.iter().any(|prefix| starts_with(&full, prefix) || starts_with(image, prefix))
    }
}

/// `prefix` ends at a boundary of `image`: after `/` it may go on freely; a whole repository
/// (`docker.io/library/postgres`) must be followed by a tag, a digest or nothing, so that
/// `registry.example.com` does not allow `registry.example.com.evil.io/x`.
fn starts_with(image: &str, prefix: &str) -> bool {
    match image.strip_prefix(prefix) {
        Some(_) if prefix.ends_with('/') => true,
        Some(rest) => rest.is_empty() || rest.starts_with([':', '@', '/']),
        None => false,
    }
}

/// The reference with Docker Hub's implicit registry and `library/` written out.
fn qualified(image: &str) -> String {
    let first = image.split('/').next().unwrap_or_default();
    let has_registry = image.contains('/') && (first.contains(['.', ':']) || first == "localhost");
    if has_registry {
        image.to_owned()
    } else if image.contains('/') {
        format!("docker.io/{image}")
    } else {
        format!("docker.io/library/{image}")
    }
}

#[cfg(test)]
mod tests {
    use crate::policy::builtin;

    #[test]
    fn prefixes_match_qualified_references_at_a_boundary() {
        let mut p = builtin::policy();
        assert!(p.allows_image("anything.example/x:1"));
        p.images = vec!["registry.example.com/".into(), "docker.io/library/".into(), "ghcr.io/acme/tool".into()];
        for ok in [
            "registry.example.com/shop/api:1",
            "postgres:16",
            "docker.io/library/redis:7",
            "ghcr.io/acme/tool:2",
            "ghcr.io/acme/tool@sha256:00",
        ] {
            assert!(p.allows_image(ok), "{ok}");
        }
        for refused in [
            "evil.io/registry.example.com/x",
            "registry.example.com.evil.io/x:1",
            "bitnami/postgresql:16",
            "ghcr.io/acme/toolkit:1",
            "quay.io/x/y",
        ] {
            assert!(!p.allows_image(refused), "{refused}");
        }
    }
}
