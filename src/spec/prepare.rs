//! The whole spec pipeline in one call: load → defaults → validate.

use super::defaults::{self, Inputs};
use super::load::{Loaded, load};
use super::lockfile::Lock;
use super::model::Model;
use super::problem::Problems;
use super::validate::validate;

/// Turns spec text into a validated [`Model`], or every problem found in it (unknown fields,
/// invalid values and warnings together). `file` names the spec in messages.
pub fn prepare(text: &str, file: &str, pr: &Inputs, lock: Option<&Lock>) -> Result<Model, Problems> {
    prepare_loaded(load(text, file)?, file, pr, lock)
}

/// [`prepare`] for a spec already loaded, for a caller that looks at it first (`kpreview
/// validate` fills in the pull-request fields the spec lacks).
pub fn prepare_loaded(loaded: Loaded, file: &str, pr: &Inputs, lock: Option<&Lock>) -> Result<Model, Problems> {
    let defaulted = defaults::apply(loaded.preview);
    let mut problems = loaded.problems;
    match validate(&defaulted, lock, pr) {
        Ok(model) if problems.is_empty() => Ok(model),
        Ok(model) => {
            problems.extend(model.warnings);
            Err(Problems::new(file, problems))
        }
        Err(found) => {
            problems.extend(found);
            Err(Problems::new(file, problems))
        }
    }
}

/// For unit tests: the model of app `app`, pull request 3, with `services` (indented entries
/// under `spec.services`) and `rest` (further `spec` fields).
#[cfg(test)]
pub(crate) fn test_model(services: &str, rest: &str) -> Model {
    let text = format!(
        "apiVersion: kpreview.dev/v1alpha1\nkind: Preview\nmetadata: {{name: app}}\nspec:\n  services:\n{services}{rest}"
    );
    let pr = Inputs {
        flags: crate::spec::defaults::PrFields { number: Some(3), ..Default::default() },
        ..Inputs::default()
    };
    prepare(&text, "t.yaml", &pr, None).unwrap_or_else(|e| panic!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::defaults::PrFields;
    use crate::spec::model::Target;

    use super::test_model as model;

    #[test]
    fn every_kind_of_dependency_resolves() {
        let m = model(
            "    api: {image: a, port: 80, dependsOn: [web, db, other, fixed, billing]}\n    web: {image: w, port: 81}\n",
            "  dependencies:\n    other: {preview: 9}\n    fixed: {url: 'https://f.example.com'}\n  dataStores:\n    db: {engine: redis}\n",
        );
        let deps: Vec<(&str, &Target, &str)> = m
            .service("api")
            .unwrap()
            .depends_on
            .iter()
            .map(|d| {
                let link = d.url.as_ref().unwrap();
                (link.env.as_str(), &d.target, link.url.as_str())
            })
            .collect();
        assert_eq!(deps[0], ("WEB_URL", &Target::Service, "http://web"));
        assert_eq!(deps[1].2, "redis://db:6379/0");
        assert_eq!(
            deps[2],
            (
                "OTHER_URL",
                &Target::OtherPreview { app: None, pr: 9, namespace: "app-pr-9".into() },
                "http://other.app-pr-9.svc.cluster.local"
            )
        );
        assert_eq!(deps[3], ("FIXED_URL", &Target::Url, "https://f.example.com"));
        assert_eq!(deps[4], ("BILLING_URL", &Target::Staging, "http://billing.staging.svc.cluster.local"));
    }

    #[test]
    fn a_bad_pull_request_value_names_the_place_it_came_from() {
        use crate::spec::defaults::{PrEnv, PrSources};
        let text = "apiVersion: kpreview.dev/v1alpha1\nkind: Preview\nmetadata: {name: app}\nspec:\n  pullRequest: {number: 4, headSha: xyz}\n  services: {a: {image: 'a:1'}}\n";
        let inputs = Inputs {
            flags: PrFields { number: Some(0), ..PrFields::default() },
            env: PrEnv { branch: Some("\u{7}".into()), ..PrEnv::default() },
            sources: PrSources::variables(["ARGOCD_ENV_PR_NUMBER", "ARGOCD_ENV_HEAD_SHA", "ARGOCD_ENV_BRANCH"]),
            ..Inputs::default()
        };
        let problems = prepare(text, "t.yaml", &inputs, None).unwrap_err();
        let shown: Vec<String> = problems.list.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "`ARGOCD_ENV_PR_NUMBER` is `0`, not a pull request number: they start at 1",
                "spec.pullRequest.headSha: `xyz` is not a commit SHA: 7 to 64 hex digits (give the full 40)",
                "`PREVIEW_BRANCH` is `\\u{7}`, not a branch: 1 to 255 characters without control characters",
            ]
        );
    }

    #[test]
    fn depths_follow_the_longest_chain() {
        let m = model(
            "    top: {image: a, dependsOn: [left, right]}\n    left: {image: a, dependsOn: [bottom]}\n    right: {image: a, dependsOn: [mid]}\n    mid: {image: a, dependsOn: [bottom]}\n    bottom: {image: a}\n",
            "",
        );
        let depth = |n: &str| m.service(n).unwrap().depth;
        assert_eq!((depth("bottom"), depth("left"), depth("mid"), depth("right"), depth("top")), (0, 1, 1, 2, 3));
    }
}
