//! The overlay's namespace against the platform's (SPEC §7). The overlay is the pull request's
//! too: a kustomization's `namespace:` or a patch could move what the generator rendered, so the
//! namespace a build holds must be the one the policy's template gives for its app and pull
//! request, however the generator got there; and its TTL within the policy's `limits.ttl`.

use super::error::{MovedNamespace, OverlayError};
use super::objects::Overlay;
use crate::policy::Policy;
use crate::spec::model::Pr;

impl Overlay {
    /// Refuses a build whose namespace is not the one `policy` gives; `overlay` names it.
    pub fn check_namespace(&self, overlay: &str, policy: &Policy) -> Result<(), OverlayError> {
        let pr = Pr { number: self.pr, head_sha: self.sha.clone(), branch: self.branch.clone() };
        match policy.namespace.evaluate(&self.app, &pr) {
            Ok(expected) if expected == self.namespace => Ok(()),
            Ok(expected) => Err(OverlayError::MovedNamespace(Box::new(MovedNamespace {
                overlay: overlay.to_owned(),
                namespace: self.namespace.clone(),
                entry: policy.entry("namespace"),
                template: policy.namespace.text.clone(),
                expected,
                app: self.app.clone(),
                pr: self.pr,
            }))),
            Err(missing) => Err(OverlayError::NamespaceTemplate {
                overlay: overlay.to_owned(),
                entry: policy.entry("namespace"),
                missing,
            }),
        }
    }

    /// Refuses a build whose TTL is longer than `policy`'s `limits.ttl`.
    pub fn check_ttl(&self, overlay: &str, policy: &Policy) -> Result<(), OverlayError> {
        if self.ttl.seconds() <= policy.limits.ttl.seconds() {
            return Ok(());
        }
        Err(OverlayError::TtlOverLimit {
            overlay: overlay.to_owned(),
            ttl: self.ttl.to_string(),
            entry: policy.entry("limits.ttl"),
            limit: policy.limits.ttl.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::{Fault, HasFault};
    use crate::spec::defaults::PrFields;

    /// The Namespace kpreview's generator renders for app `shop`, pull request 7, with no branch.
    fn built(namespace: &str) -> Overlay {
        let stream = format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}\n  labels:\n    kpreview.dev/preview: {namespace}\n    kpreview.dev/app: shop\n    kpreview.dev/pr: \"7\"\n  annotations:\n    kpreview.dev/ttl: 24h\n    kpreview.dev/head-sha: abc1234\n"
        );
        super::super::read(&stream, "deploy/preview", &PrFields::default()).unwrap()
    }

    fn policy(template: &str) -> Policy {
        let text = format!("apiVersion: kpreview.dev/v1alpha1\nkind: PreviewPolicy\nnamespace: \"{template}\"\n");
        crate::policy::read(&text, "platform.yaml").unwrap()
    }

    #[test]
    fn the_namespace_the_template_gives_is_accepted() {
        assert!(built("shop-pr-7").check_namespace("deploy/preview", &Policy::default()).is_ok());
        let own = policy("preview-{{ name }}-{{ pr.number }}-{{ pr.shortSha }}");
        assert!(built("preview-shop-7-abc1234").check_namespace("deploy/preview", &own).is_ok());
    }

    #[test]
    fn a_moved_namespace_is_refused_naming_both() {
        let err = built("staging").check_namespace("deploy/preview", &Policy::default()).unwrap_err();
        assert!(matches!(err, OverlayError::MovedNamespace(_)), "{err}");
        assert_eq!(err.fault(), Fault::Input);
        assert_eq!(
            err.to_string(),
            "deploy/preview: the overlay renders namespace `staging`, but `namespace` of the built-in policy \
             (`{{ name }}-pr-{{ pr.number }}`) gives `shop-pr-7` for app `shop`, pull request 7; an overlay may not \
             move a preview's namespace"
        );
        let err = built("shop-pr-7").check_namespace("o", &policy("preview-{{ name }}-{{ pr.number }}")).unwrap_err();
        assert!(err.to_string().contains("gives `preview-shop-7`"), "{err}");
    }

    #[test]
    fn a_template_the_build_cannot_fill_is_refused() {
        let branchy = policy("{{ name }}-{{ pr.number }}-{{ pr.branchSlug }}");
        let err = built("shop-7-main").check_namespace("deploy/preview", &branchy).unwrap_err();
        assert!(matches!(err, OverlayError::NamespaceTemplate { .. }), "{err}");
        assert_eq!(err.fault(), Fault::Input);
        assert_eq!(
            err.to_string(),
            "deploy/preview: `namespace` of the policy platform.yaml: `{{ name }}-{{ pr.number }}-{{ pr.branchSlug }}` \
             needs the pull request's branch"
        );
    }

    #[test]
    fn a_ttl_beyond_the_policy_s_limit_is_refused() {
        assert!(built("shop-pr-7").check_ttl("deploy/preview", &Policy::default()).is_ok(), "24h within 168h");
        let text = "apiVersion: kpreview.dev/v1alpha1\nkind: PreviewPolicy\nlimits: {ttl: 12h}\n";
        let short = crate::policy::read(text, "platform.yaml").unwrap();
        let error = built("shop-pr-7").check_ttl("deploy/preview", &short).unwrap_err();
        assert_eq!(error.fault(), Fault::Input);
        let message = error.to_string();
        assert!(message.starts_with("deploy/preview: the overlay's Namespace asks for a TTL of `24h`"), "{message}");
        assert!(message.ends_with("at most 12h"), "{message}");
    }
}
