//! What an overlay built, read as the objects of one preview: the stream split into objects, the
//! preview's identity taken from the Namespace kpreview's generator rendered (and checked against
//! what the publish was given), the objects put in Argo CD's apply order and named as
//! `kpreview render -o` names them. Pure: text in, objects out.

use serde_json::Value;

use super::error::OverlayError;
use crate::k8s::Duration;
use crate::k8s::naming::is_dns1123_label;
use crate::krm::list;
use crate::render::meta::{APP, HOOK, PR, PREVIEW, SYNC_WAVE};
use crate::render::namespace::{BRANCH, HEAD_SHA, TTL};
use crate::render::order::{self, Ordered, phase_rank};
use crate::spec::defaults::PrFields;
use crate::yaml::{self, WriteError};

/// The objects of one preview, as an overlay built them.
#[derive(Debug, Clone)]
pub struct Overlay {
    /// The application family (`kpreview.dev/app`).
    pub app: String,
    /// The preview's namespace.
    pub namespace: String,
    /// The pull request (`kpreview.dev/pr`).
    pub pr: u64,
    /// The head commit (`kpreview.dev/head-sha`), when the build had one.
    pub sha: Option<String>,
    /// The branch (`kpreview.dev/branch`), when the build had one.
    pub branch: Option<String>,
    /// The lifetime after each publish (`kpreview.dev/ttl`).
    pub ttl: Duration,
    /// Every object, in apply order.
    pub objects: Vec<Value>,
}

/// Reads the stream `overlay` built; `given` are the fields the publish was given, which the
/// objects must agree with.
pub fn read(stream: &str, overlay: &str, given: &PrFields) -> Result<Overlay, OverlayError> {
    let stream_error = |reason: String| OverlayError::Stream { overlay: overlay.to_owned(), reason };
    let values = yaml::values_from_stream(stream).map_err(|e| stream_error(format!("the build is not YAML: {e}")))?;
    let mut objects = Vec::with_capacity(values.len());
    for (index, value) in values.into_iter().enumerate() {
        objects.push(Keyed::new(value).map_err(|reason| stream_error(format!("object {} {reason}", index + 1)))?);
    }
    if objects.is_empty() {
        return Err(OverlayError::Empty { overlay: overlay.to_owned() });
    }
    let identity = identify(&objects, overlay)?;
    check(&identity, given, overlay)?;
    if let Some(stray) = objects.iter().find(|o| o.label(PREVIEW).is_some_and(|p| p != identity.namespace)) {
        return Err(OverlayError::SeveralPreviews {
            overlay: overlay.to_owned(),
            namespaces: vec![identity.namespace.clone(), stray.label(PREVIEW).unwrap_or_default().to_owned()],
        });
    }
    order::sort(&mut objects);
    Ok(Overlay {
        app: identity.app,
        namespace: identity.namespace,
        pr: identity.pr,
        sha: identity.sha,
        branch: identity.branch,
        ttl: identity.ttl,
        objects: objects.into_iter().map(|o| o.value).collect(),
    })
}

impl Overlay {
    /// One file per object, named as `kpreview render -o` names them (`007-deployment-api.yaml`),
    /// so a preview reads the same in the GitOps repository however it was rendered.
    pub fn files(&self) -> Result<Vec<(String, String)>, WriteError> {
        self.objects
            .iter()
            .enumerate()
            .map(|(i, object)| {
                let text = |pointer: &str| object.pointer(pointer).and_then(Value::as_str).unwrap_or_default();
                let (kind, namespace, name) = (text("/kind"), text("/metadata/namespace"), text("/metadata/name"));
                Ok((order::file_name(i, kind, namespace, name), yaml::to_string(object)?))
            })
            .collect()
    }
}

/// Why an object of the overlay's stream cannot be ordered or identified.
#[derive(Debug, thiserror::Error)]
enum ObjectError {
    #[error("is not a mapping")]
    NotAMapping,
    #[error("(kind `{kind}`, name `{name}`) lacks apiVersion, kind or metadata.name; every object needs all three")]
    Unnamed { kind: String, name: String },
}

/// An object with what ordering and identification need.
struct Keyed {
    value: Value,
    phase: u8,
    wave: i64,
    kind: String,
    namespace: String,
    name: String,
}

impl Keyed {
    fn new(value: Value) -> Result<Self, ObjectError> {
        let Some(object) = value.as_object() else { return Err(ObjectError::NotAMapping) };
        let text = |pointer: &str| value.pointer(pointer).and_then(Value::as_str).unwrap_or_default().to_owned();
        let (kind, name) = (text("/kind"), text("/metadata/name"));
        if text("/apiVersion").is_empty() || kind.is_empty() || name.is_empty() {
            return Err(ObjectError::Unnamed { kind, name });
        }
        let phase = phase_rank(list::annotation(object, HOOK));
        // As Argo CD reads it (`strconv.Atoi`, no trimming): anything but a whole number is wave 0.
        let wave = list::annotation(object, SYNC_WAVE).and_then(|w| w.parse().ok()).unwrap_or(0);
        let namespace = text("/metadata/namespace");
        Ok(Self { value, phase, wave, kind, namespace, name })
    }

    fn label(&self, key: &str) -> Option<&str> {
        self.value.as_object().and_then(|o| list::label(o, key))
    }

    fn annotation(&self, key: &str) -> Option<&str> {
        self.value.as_object().and_then(|o| list::annotation(o, key))
    }
}

impl Ordered for Keyed {
    fn phase_rank(&self) -> u8 {
        self.phase
    }

    fn wave(&self) -> i64 {
        self.wave
    }

    fn kind(&self) -> &str {
        &self.kind
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn namespace(&self) -> &str {
        &self.namespace
    }

    fn is_namespace(&self) -> bool {
        self.kind == "Namespace" && self.value.get("apiVersion").and_then(Value::as_str) == Some("v1")
    }
}

/// The preview as its Namespace describes it.
struct Identity {
    app: String,
    namespace: String,
    pr: u64,
    sha: Option<String>,
    branch: Option<String>,
    ttl: Duration,
}

fn identify(objects: &[Keyed], overlay: &str) -> Result<Identity, OverlayError> {
    let previews: Vec<&Keyed> = objects.iter().filter(|o| o.is_namespace() && o.label(PREVIEW).is_some()).collect();
    let namespace = match previews.as_slice() {
        [] => return Err(OverlayError::NoPreview { overlay: overlay.to_owned(), objects: objects.len() }),
        [one] => *one,
        several => {
            return Err(OverlayError::SeveralPreviews {
                overlay: overlay.to_owned(),
                namespaces: several.iter().map(|o| o.name.clone()).collect(),
            });
        }
    };
    let name = namespace.name.clone();
    let wrong =
        |reason: String| OverlayError::Identity { overlay: overlay.to_owned(), namespace: name.clone(), reason };
    let label = namespace.label(PREVIEW).unwrap_or_default();
    if label != name {
        return Err(wrong(format!(
            "its label {PREVIEW} is `{label}`, not its name; the usual cause is a `namespace:` field in a \
             kustomization of the overlay, which renames the Namespace (and moves the restore RBAC out of \
             Velero's namespace): drop it, the namespace is the platform policy's (`namespace`); else a patch renamed one of them"
        )));
    }
    // The name becomes a directory, an Application and the PR comment's marker: Kubernetes'
    // rule, checked before anything uses it.
    if !is_dns1123_label(&name) {
        return Err(wrong(
            "its name is not a DNS-1123 label (lowercase letters, digits and `-`, at most 63)".to_owned(),
        ));
    }
    let app = namespace.label(APP).filter(|a| !a.is_empty()).ok_or_else(|| {
        wrong(format!("it has no label {APP}; kpreview's generator puts it there, so a patch removed it"))
    })?;
    if !is_dns1123_label(app) {
        return Err(wrong(format!("its label {APP} is `{app}`, not a DNS-1123 label as a spec's metadata.name is")));
    }
    let pr_text = namespace.label(PR).unwrap_or_default();
    let pr = pr_text
        .parse::<u64>()
        .map_err(|_| wrong(format!("its label {PR} is `{pr_text}`, not a pull request number")))?;
    let ttl_text = namespace.annotation(TTL).unwrap_or_default();
    let ttl = Duration::parse(ttl_text)
        .map_err(|e| wrong(format!("its annotation {TTL} is `{ttl_text}`, not a Go duration such as `48h` ({e})")))?;
    Ok(Identity {
        app: app.to_owned(),
        namespace: name.clone(),
        pr,
        sha: namespace.annotation(HEAD_SHA).map(str::to_owned),
        branch: namespace.annotation(BRANCH).map(str::to_owned),
        ttl,
    })
}

fn check(identity: &Identity, given: &PrFields, overlay: &str) -> Result<(), OverlayError> {
    let mismatch = |field, flag, built: String, given: String| {
        Err(OverlayError::Mismatch { overlay: overlay.to_owned(), field, flag, built, given })
    };
    if let Some(pr) = given.number
        && pr != identity.pr
    {
        return mismatch("pull request", "--pr", identity.pr.to_string(), pr.to_string());
    }
    if let Some(sha) = &given.head_sha
        && identity.sha.as_ref() != Some(sha)
    {
        return mismatch("head commit", "--sha", identity.sha.clone().unwrap_or_default(), sha.clone());
    }
    if let Some(branch) = &given.branch
        && identity.branch.as_ref() != Some(branch)
    {
        return mismatch("branch", "--branch", identity.branch.clone().unwrap_or_default(), branch.clone());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop-pr-7\n  labels:\n    kpreview.dev/preview: shop-pr-7\n    kpreview.dev/app: shop\n    kpreview.dev/pr: \"7\"\n  annotations:\n    kpreview.dev/ttl: 24h\n    kpreview.dev/head-sha: abc1234\n";

    fn given(pr: Option<u64>) -> PrFields {
        PrFields { number: pr, ..PrFields::default() }
    }

    fn names(overlay: &Overlay) -> Vec<String> {
        overlay.files().unwrap().into_iter().map(|(name, _)| name).collect()
    }

    #[test]
    fn objects_go_in_apply_order_and_the_namespace_before_its_first_hook() {
        let stream = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: extra, namespace: shop-pr-7}}\n---\n{NAMESPACE}---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop-pr-7\n  annotations: {{argocd.argoproj.io/sync-wave: \"2\"}}\n---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: restore\n  namespace: shop-pr-7\n  annotations: {{argocd.argoproj.io/hook: PreSync}}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: \"system:x\"}}\n"
        );
        let overlay = read(&stream, "app", &given(Some(7))).unwrap();
        assert_eq!((overlay.app.as_str(), overlay.namespace.as_str(), overlay.pr), ("shop", "shop-pr-7", 7));
        assert_eq!(overlay.ttl.as_str(), "24h");
        assert_eq!(overlay.sha.as_deref(), Some("abc1234"));
        assert_eq!(
            names(&overlay),
            [
                "000-namespace-shop-pr-7.yaml",
                "001-job-shop-pr-7-restore.yaml",
                "002-configmap-shop-pr-7-extra.yaml",
                "003-clusterrole-system-x.yaml",
                "004-deployment-shop-pr-7-web.yaml",
            ]
        );
    }

    #[test]
    fn no_objects_no_preview_and_two_previews_are_refused() {
        assert!(matches!(read("", "app", &given(None)), Err(OverlayError::Empty { .. })));
        let config = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n";
        let err = read(config, "app", &given(None)).unwrap_err();
        assert!(matches!(err, OverlayError::NoPreview { objects: 1, .. }), "{err}");
        let two = format!("{NAMESPACE}---\n{}", NAMESPACE.replace("shop-pr-7", "shop-pr-8"));
        let err = read(&two, "app", &given(None)).unwrap_err();
        assert!(err.to_string().contains("built 2 previews (shop-pr-7, shop-pr-8)"), "{err}");
    }

    #[test]
    fn the_namespace_must_agree_with_what_the_publish_was_given() {
        let err = read(NAMESPACE, "app", &given(Some(8))).unwrap_err();
        assert!(err.to_string().contains("pull request `7`, but --pr is `8`"), "{err}");
        let sha = PrFields { head_sha: Some("def".into()), ..PrFields::default() };
        assert!(read(NAMESPACE, "app", &sha).unwrap_err().to_string().contains("--sha is `def`"));
        let bad = NAMESPACE.replace("ttl: 24h", "ttl: forever");
        let err = read(&bad, "app", &given(None)).unwrap_err();
        assert!(err.to_string().contains("kpreview.dev/ttl is `forever`"), "{err}");
    }

    #[test]
    fn sync_waves_are_read_as_argo_cd_reads_them() {
        let job = |name: &str, wave: &str| {
            format!(
                "---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\n  namespace: shop-pr-7\n  annotations: {{argocd.argoproj.io/sync-wave: \"{wave}\"}}\n"
            )
        };
        let stream = format!("{NAMESPACE}{}{}{}", job("a", " 2"), job("b", "1"), job("c", "-1"));
        let overlay = read(&stream, "app", &given(None)).unwrap();
        // " 2" is not a number to Argo CD's strconv.Atoi: wave 0, between -1 and 1.
        assert_eq!(
            names(&overlay),
            [
                "000-namespace-shop-pr-7.yaml",
                "001-job-shop-pr-7-c.yaml",
                "002-job-shop-pr-7-a.yaml",
                "003-job-shop-pr-7-b.yaml"
            ]
        );
    }

    #[test]
    fn names_that_are_not_dns_labels_are_refused() {
        let hostile = NAMESPACE.replace("shop-pr-7", "x --><img src=x>");
        let err = read(&hostile, "app", &given(None)).unwrap_err().to_string();
        assert!(err.contains("not a DNS-1123 label"), "{err}");
        let app = NAMESPACE.replace("kpreview.dev/app: shop", "kpreview.dev/app: Shop_1");
        let err = read(&app, "app", &given(None)).unwrap_err().to_string();
        assert!(err.contains("kpreview.dev/app is `Shop_1`, not a DNS-1123 label"), "{err}");
    }

    #[test]
    fn a_renamed_namespace_points_at_kustomizes_namespace_field() {
        let renamed = NAMESPACE.replacen("name: shop-pr-7", "name: team-a", 1);
        let err = read(&renamed, "app", &given(None)).unwrap_err().to_string();
        assert!(err.contains("its label kpreview.dev/preview is `shop-pr-7`, not its name"), "{err}");
        assert!(err.contains("a `namespace:` field in a kustomization of the overlay"), "{err}");
    }

    #[test]
    fn an_object_without_a_name_is_refused_by_its_position() {
        let err = read(&format!("{NAMESPACE}---\napiVersion: v1\nkind: ConfigMap\n"), "app", &given(None)).unwrap_err();
        assert!(err.to_string().contains("object 2 (kind `ConfigMap`, name ``) lacks"), "{err}");
    }
}
