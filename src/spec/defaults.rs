//! Every default of the spec in one place, and the merge of the pull-request fields from flags,
//! spec and environment (flags win over the spec, the spec over the environment).

use super::types::{
    CredentialsSpec, Engine, IngressSpec, NodesSpec, Preview, PullRequest, RestoreSpec, SnapshotSeedSpec, StagingSpec,
};

/// `spec.namespace`.
pub const NAMESPACE: &str = "{{ name }}-pr-{{ pr.number }}";
/// `spec.ttl`.
pub const TTL: &str = "48h";
/// `spec.staging.namespace`.
pub const STAGING_NAMESPACE: &str = "staging";
/// `spec.staging.url`.
pub const STAGING_URL: &str = "http://{{ service }}.{{ staging.namespace }}.svc.cluster.local";
/// `spec.ingress.controllerNamespace`.
pub const INGRESS_CONTROLLER_NAMESPACE: &str = "ingress-nginx";
/// `spec.restore.veleroNamespace`.
pub const VELERO_NAMESPACE: &str = "velero";
/// `spec.restore.timeout`.
pub const RESTORE_TIMEOUT: &str = "15m";
/// The image of the restore and cleanup Jobs: the one the project's `Dockerfile` builds, under
/// the name its release workflow pushes. Platforms that mirror it set `KPREVIEW_IMAGE`.
pub const IMAGE: &str = concat!("ghcr.io/kpreview/kpreview:", env!("CARGO_PKG_VERSION"));
/// `spec.dataStores.*.seed.snapshot.driver`.
pub const SNAPSHOT_DRIVER: &str = "ebs.csi.aws.com";
/// `spec.dataStores.*.storage`.
pub const STORAGE: &str = "1Gi";
/// `spec.dataStores.*.credentials.passwordKey`.
pub const PASSWORD_KEY: &str = "password";
/// `spec.services.*.replicas`.
pub const REPLICAS: u8 = 1;

/// Default resources: (cpu request, memory request, memory limit).
pub const SERVICE_RESOURCES: (&str, &str, &str) = ("10m", "64Mi", "512Mi");
/// Default resources of a data store.
pub const STORE_RESOURCES: (&str, &str, &str) = ("50m", "128Mi", "1Gi");
/// Resources of the restore and migrate Jobs' helper containers.
pub const JOB_RESOURCES: (&str, &str, &str) = ("10m", "64Mi", "256Mi");

/// The pull-request fields given outside the spec.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrFields {
    /// `--pr` / `PREVIEW_PR_NUMBER`.
    pub number: Option<u64>,
    /// `--sha` / `PREVIEW_HEAD_SHA`.
    pub head_sha: Option<String>,
    /// `--branch` / `PREVIEW_BRANCH`.
    pub branch: Option<String>,
}

/// What a render takes from outside the spec: the pull-request fields from one place that wins
/// over the spec (flags) and one that loses to it (the environment), with the names a message
/// should give for each; and the choices that belong to the platform, not to the pull request.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// From flags (or what stands for them in a mode): these win.
    pub flags: PrFields,
    /// From `PREVIEW_*` variables: these lose to the spec.
    pub env: PrFields,
    /// How this mode names both places.
    pub sources: PrSources,
    /// The kpreview image of the restore and cleanup Jobs (`KPREVIEW_IMAGE`), else [`IMAGE`].
    /// Never from the spec: those Jobs hold Velero RBAC, so a pull request must not choose what
    /// runs in them.
    pub image: Option<String>,
}

impl Inputs {
    /// The image of the restore and cleanup Jobs.
    pub fn image(&self) -> &str {
        self.image.as_deref().unwrap_or(IMAGE)
    }
}

/// A pull-request field, to name where it can be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrField {
    /// `pullRequest.number`.
    Number,
    /// `pullRequest.headSha`.
    HeadSha,
    /// `pullRequest.branch`.
    Branch,
}

/// How a mode names the two places outside the spec that pull-request fields come from, so a
/// missing field names the places that exist where the user runs kpreview (a flag in the CLI,
/// plugin env in Argo CD, the function config under kpt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrSources {
    /// What wins over the spec, for number, head SHA and branch.
    pub over: [String; 3],
    /// What loses to the spec, for the same three.
    pub under: [String; 3],
}

/// The variables that lose to the spec in every mode.
pub const PREVIEW_ENV: [&str; 3] = ["PREVIEW_PR_NUMBER", "PREVIEW_HEAD_SHA", "PREVIEW_BRANCH"];

impl PrSources {
    /// Places that win over the spec, named as messages should name them, over `PREVIEW_*`.
    pub fn new(over: [String; 3]) -> Self {
        Self { over, under: PREVIEW_ENV.map(|v| format!("`{v}`")) }
    }

    /// Environment variables that win over the spec, over `PREVIEW_*`.
    pub fn variables(over: [&str; 3]) -> Self {
        Self::new(over.map(|v| format!("`{v}`")))
    }

    /// The command line's: `--pr`, `--sha`, `--branch`.
    pub fn cli() -> Self {
        Self::new(["`--pr N`", "`--sha`", "`--branch`"].map(str::to_owned))
    }

    /// "give `--pr N`, `spec.pullRequest.number` or `PREVIEW_PR_NUMBER`".
    pub fn hint(&self, field: PrField) -> String {
        let (i, name) = match field {
            PrField::Number => (0, "number"),
            PrField::HeadSha => (1, "headSha"),
            PrField::Branch => (2, "branch"),
        };
        format!("give {}, `spec.pullRequest.{name}` or {}", self.over[i], self.under[i])
    }
}

impl Default for PrSources {
    fn default() -> Self {
        Self::cli()
    }
}

/// Fills in every default and merges the pull-request fields. Nothing is validated here.
pub fn apply(mut preview: Preview, pr: &Inputs) -> Preview {
    let spec = &mut preview.spec;
    let written = spec.pull_request.take().unwrap_or_default();
    spec.pull_request = Some(PullRequest {
        number: pr.flags.number.or(written.number).or(pr.env.number),
        head_sha: pr.flags.head_sha.clone().or(written.head_sha).or_else(|| pr.env.head_sha.clone()),
        branch: pr.flags.branch.clone().or(written.branch).or_else(|| pr.env.branch.clone()),
    });
    spec.namespace.get_or_insert_with(|| NAMESPACE.to_owned());
    spec.ttl.get_or_insert_with(|| TTL.to_owned());

    let ingress = spec.ingress.get_or_insert_with(IngressSpec::default);
    ingress.controller_namespace.get_or_insert_with(|| INGRESS_CONTROLLER_NAMESPACE.to_owned());

    let staging = spec.staging.get_or_insert_with(StagingSpec::default);
    staging.namespace.get_or_insert_with(|| STAGING_NAMESPACE.to_owned());
    staging.url.get_or_insert_with(|| STAGING_URL.to_owned());

    let nodes = spec.nodes.get_or_insert_with(NodesSpec::default);
    nodes.spot.get_or_insert_with(|| "any".to_owned());
    nodes.policy.get_or_insert_with(|| "preferred".to_owned());

    let restore = spec.restore.get_or_insert_with(RestoreSpec::default);
    restore.velero_namespace.get_or_insert_with(|| VELERO_NAMESPACE.to_owned());
    restore.timeout.get_or_insert_with(|| RESTORE_TIMEOUT.to_owned());

    for service in spec.services.values_mut() {
        service.expose.get_or_insert(false);
        service.replicas.get_or_insert(REPLICAS);
    }
    for store in spec.data_stores.values_mut() {
        let engine = store.engine.as_deref().and_then(|e| Engine::VALUES.iter().find(|(name, _)| *name == e));
        if let Some((_, engine)) = engine {
            store.version.get_or_insert_with(|| engine_version(*engine).to_owned());
        }
        store.storage.get_or_insert_with(|| STORAGE.to_owned());
        if let Some(snapshot) = store.seed.as_mut().and_then(|s| s.snapshot.as_mut()) {
            default_snapshot(snapshot);
        }
        if let Some(credentials) = store.credentials.as_mut() {
            default_credentials(credentials);
        }
    }
    preview
}

fn default_snapshot(snapshot: &mut SnapshotSeedSpec) {
    snapshot.driver.get_or_insert_with(|| SNAPSHOT_DRIVER.to_owned());
}

fn default_credentials(credentials: &mut CredentialsSpec) {
    credentials.password_key.get_or_insert_with(|| PASSWORD_KEY.to_owned());
}

/// The official image's tag used when `version` is not given.
pub fn engine_version(engine: Engine) -> &'static str {
    match engine {
        Engine::Postgres => "16",
        Engine::Redis | Engine::Mongodb => "7",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::types::{Metadata, PreviewSpec};

    fn preview(pr: Option<PullRequest>) -> Preview {
        Preview {
            api_version: String::new(),
            kind: String::new(),
            metadata: Metadata {
                name: "x".into(),
                namespace: None,
                labels: std::collections::BTreeMap::default(),
                annotations: std::collections::BTreeMap::default(),
            },
            spec: PreviewSpec { pull_request: pr, ..Default::default() },
        }
    }

    #[test]
    fn flags_beat_spec_beats_env() {
        let inputs = Inputs {
            flags: PrFields { number: Some(1), ..Default::default() },
            env: PrFields { number: Some(3), head_sha: Some("e".into()), branch: Some("env".into()) },
            ..Inputs::default()
        };
        let spec_pr = PullRequest { number: Some(2), head_sha: Some("s".into()), branch: None };
        let pr = apply(preview(Some(spec_pr)), &inputs).spec.pull_request.unwrap();
        assert_eq!((pr.number, pr.head_sha.as_deref(), pr.branch.as_deref()), (Some(1), Some("s"), Some("env")));
    }

    #[test]
    fn defaults_fill_every_option() {
        let spec = apply(preview(None), &Inputs::default()).spec;
        assert_eq!(spec.namespace.as_deref(), Some(NAMESPACE));
        assert_eq!(spec.staging.unwrap().url.as_deref(), Some(STAGING_URL));
        assert_eq!(spec.nodes.unwrap().spot.as_deref(), Some("any"));
    }
}
