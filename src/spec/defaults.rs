//! Every default of the spec in one place, and the merge of the pull-request fields from flags,
//! spec and environment (flags win over the spec, the spec over the environment), each merged
//! field remembering where it came from so that a bad value is blamed on the place that gave it.
//!
//! Defaults of text fields that validation reads as text (names, templates) are filled into the
//! raw spec by [`apply`]; defaults of typed fields (enums, quantities, durations) are typed values
//! here, which validation puts into the model where the spec is silent, so nothing written by
//! kpreview itself is parsed again.

pub use crate::pr::{Origin, PREVIEW_ENV, PrField, PrSources};

use super::lenient::Lenient;
use super::model::{Engine, Protocol, Resources, Scheme, SpotPolicy, SpotProvider, StoreKind};
use super::types::{CredentialsSpec, IngressSpec, Preview, PullRequest, RestoreSpec, SnapshotSeedSpec, StagingSpec};
use crate::k8s::{Duration, Quantity};

/// `spec.namespace`.
pub const NAMESPACE: &str = "{{ name }}-pr-{{ pr.number }}";
/// `spec.ttl`: two days.
pub const TTL_SECONDS: u64 = 48 * 3600;
/// `spec.staging.namespace`.
pub const STAGING_NAMESPACE: &str = "staging";
/// `spec.staging.url`.
pub const STAGING_URL: &str = "http://{{ service }}.{{ staging.namespace }}.svc.cluster.local";
/// `spec.ingress.controllerNamespace`.
pub const INGRESS_CONTROLLER_NAMESPACE: &str = "ingress-nginx";
/// `spec.restore.veleroNamespace`.
pub const VELERO_NAMESPACE: &str = "velero";
/// `spec.restore.timeout`: a quarter of an hour.
pub const RESTORE_TIMEOUT_SECONDS: u64 = 15 * 60;
/// `spec.secrets.*.refreshInterval`: an hour.
pub const REFRESH_INTERVAL_SECONDS: u64 = 3600;
/// `spec.nodes.spot`.
pub const SPOT_PROVIDER: SpotProvider = SpotProvider::Any;
/// `spec.nodes.policy`.
pub const SPOT_POLICY: SpotPolicy = SpotPolicy::Preferred;
/// `spec.services.*.ports.*.protocol`.
pub const PROTOCOL: Protocol = Protocol::Tcp;
/// `spec.routing.gateway.scheme`.
pub const SCHEME: Scheme = Scheme::Https;
/// `spec.secrets.*.kind`.
pub const STORE_KIND: StoreKind = StoreKind::ClusterSecretStore;
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
pub const REPLICAS: u32 = 1;
/// Most replicas a preview runs of one service.
pub const MAX_REPLICAS: u32 = 20;

/// Default resources: (cpu request, memory request, memory limit).
pub const SERVICE_RESOURCES: (&str, &str, &str) = ("10m", "64Mi", "512Mi");
/// Default resources of a data store.
pub const STORE_RESOURCES: (&str, &str, &str) = ("50m", "128Mi", "1Gi");
/// Resources of the restore and migrate Jobs' helper containers.
pub const JOB_RESOURCES: (&str, &str, &str) = ("10m", "64Mi", "256Mi");

/// `spec.ttl`.
pub fn ttl() -> Duration {
    Duration::from_seconds(TTL_SECONDS)
}

/// `spec.restore.timeout`.
pub fn restore_timeout() -> Duration {
    Duration::from_seconds(RESTORE_TIMEOUT_SECONDS)
}

/// `spec.secrets.*.refreshInterval`.
pub fn refresh_interval() -> Duration {
    Duration::from_seconds(REFRESH_INTERVAL_SECONDS)
}

/// `spec.dataStores.*.storage`.
pub fn storage() -> Quantity {
    quantity(STORAGE)
}

/// One of the resource tuples above, typed: (cpu request, memory request, memory limit), no CPU
/// limit.
pub fn resources((cpu, memory, memory_limit): (&str, &str, &str)) -> Resources {
    Resources {
        cpu_request: quantity(cpu),
        memory_request: quantity(memory),
        cpu_limit: None,
        memory_limit: quantity(memory_limit),
    }
}

/// A quantity of this file; the `defaults_are_valid` test parses every one.
fn quantity(text: &str) -> Quantity {
    Quantity::parse(text).expect("kpreview's defaults are quantities")
}

/// The pull-request fields given where they win over the spec (flags, a mode's own settings),
/// already parsed: a value there is always the one used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrFields {
    /// `--pr` / `PREVIEW_PR_NUMBER`.
    pub number: Option<u64>,
    /// `--sha` / `PREVIEW_HEAD_SHA`.
    pub head_sha: Option<String>,
    /// `--branch` / `PREVIEW_BRANCH`.
    pub branch: Option<String>,
}

/// The `PREVIEW_*` variables as set, unparsed: they lose to flags and the spec, so a value is
/// parsed (and refused) only when it is the one used. `PREVIEW_PR_NUMBER=abc kpreview render
/// --pr 5` works.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrEnv {
    /// `PREVIEW_PR_NUMBER`.
    pub number: Option<String>,
    /// `PREVIEW_HEAD_SHA`.
    pub head_sha: Option<String>,
    /// `PREVIEW_BRANCH`.
    pub branch: Option<String>,
}

impl From<PrFields> for PrEnv {
    fn from(fields: PrFields) -> Self {
        Self { number: fields.number.map(|n| n.to_string()), head_sha: fields.head_sha, branch: fields.branch }
    }
}

/// What a render takes from outside the spec: the pull-request fields from one place that wins
/// over the spec (flags) and one that loses to it (the environment), with the names a message
/// should give for each; and the choices that belong to the platform, not to the pull request.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// From flags (or what stands for them in a mode): these win.
    pub flags: PrFields,
    /// From `PREVIEW_*` variables: these lose to the spec.
    pub env: PrEnv,
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

    /// The pull-request fields that neither these inputs nor `written` (the spec's) give.
    pub fn missing(&self, written: Option<&PullRequest>) -> Vec<PrField> {
        let spec = written.cloned().unwrap_or_default();
        let mut missing = Vec::new();
        if self.flags.number.is_none() && spec.number.is_absent() && self.env.number.is_none() {
            missing.push(PrField::Number);
        }
        if self.flags.head_sha.is_none() && spec.head_sha.is_none() && self.env.head_sha.is_none() {
            missing.push(PrField::HeadSha);
        }
        if self.flags.branch.is_none() && spec.branch.is_none() && self.env.branch.is_none() {
            missing.push(PrField::Branch);
        }
        missing
    }

    /// Gives `fields` their [`PrField::placeholder`] where every other place loses, for checking
    /// a spec that is not rendered for a real pull request (`kpreview validate`).
    pub fn fill(&mut self, fields: &[PrField]) {
        for field in fields {
            let value = Some(field.placeholder().to_owned());
            match field {
                PrField::Number => self.env.number = value,
                PrField::HeadSha => self.env.head_sha = value,
                PrField::Branch => self.env.branch = value,
            }
        }
    }
}

/// A merged pull-request field: the value as given, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Given<T> {
    /// As given: a number still unparsed when it came from the environment.
    pub value: T,
    /// Where it came from.
    pub origin: Origin,
}

/// A pull-request number as given: parsed, or the text of a variable that is not a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Number {
    /// A whole number (maybe 0, which validation refuses).
    Parsed(u64),
    /// Not a whole number: from the environment, as written.
    Text(String),
    /// The spec's value of the wrong type; `load` has reported it.
    Reported,
}

/// The three fields after flags, spec and environment are merged, each with its origin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergedPr {
    /// `number`.
    pub number: Option<Given<Number>>,
    /// `headSha`, as given (not yet trimmed or lowercased).
    pub head_sha: Option<Given<String>>,
    /// `branch`.
    pub branch: Option<Given<String>>,
}

/// Flags win over the spec, the spec over the environment.
pub fn merge(written: Option<&PullRequest>, inputs: &Inputs) -> MergedPr {
    fn pick(over: Option<&String>, spec: Option<&String>, under: Option<&String>) -> Option<Given<String>> {
        let given = |value: &String, origin| Given { value: value.clone(), origin };
        over.map(|v| given(v, Origin::Over))
            .or_else(|| spec.map(|v| given(v, Origin::Spec)))
            .or_else(|| under.map(|v| given(v, Origin::Under)))
    }
    let spec = written.cloned().unwrap_or_default();
    let number = match (inputs.flags.number, &spec.number, &inputs.env.number) {
        (Some(n), _, _) => Some(Given { value: Number::Parsed(n), origin: Origin::Over }),
        (None, Lenient::Value(n), _) => Some(Given { value: Number::Parsed(*n), origin: Origin::Spec }),
        (None, Lenient::Invalid(_), _) => Some(Given { value: Number::Reported, origin: Origin::Spec }),
        (None, Lenient::Absent, Some(text)) => {
            let value = text.trim().parse().map_or_else(|_| Number::Text(text.clone()), Number::Parsed);
            Some(Given { value, origin: Origin::Under })
        }
        (None, Lenient::Absent, None) => None,
    };
    MergedPr {
        number,
        head_sha: pick(inputs.flags.head_sha.as_ref(), spec.head_sha.as_ref(), inputs.env.head_sha.as_ref()),
        branch: pick(inputs.flags.branch.as_ref(), spec.branch.as_ref(), inputs.env.branch.as_ref()),
    }
}

/// Fills in the defaults of text fields. Nothing is validated here; the pull-request fields are
/// merged by validation ([`merge`]), which must know where each came from, and typed defaults are
/// applied by validation as typed values.
pub fn apply(mut preview: Preview) -> Preview {
    let spec = &mut preview.spec;
    spec.namespace.get_or_insert_with(|| NAMESPACE.to_owned());

    // With Gateway API routing there is no Ingress to default: validation refuses the two together.
    if spec.routing.is_none() {
        let ingress = spec.ingress.get_or_insert_with(IngressSpec::default);
        ingress.controller_namespace.get_or_insert_with(|| INGRESS_CONTROLLER_NAMESPACE.to_owned());
    }

    let staging = spec.staging.get_or_insert_with(StagingSpec::default);
    staging.namespace.get_or_insert_with(|| STAGING_NAMESPACE.to_owned());
    staging.url.get_or_insert_with(|| STAGING_URL.to_owned());

    let restore = spec.restore.get_or_insert_with(RestoreSpec::default);
    restore.velero_namespace.get_or_insert_with(|| VELERO_NAMESPACE.to_owned());

    for service in spec.services.values_mut() {
        service.expose.or_value(false);
        service.replicas.or_value(REPLICAS);
    }
    for store in spec.data_stores.values_mut() {
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

    fn preview() -> Preview {
        Preview {
            api_version: None,
            kind: None,
            metadata: Metadata { name: Some("x".into()), ..Metadata::default() },
            spec: PreviewSpec::default(),
        }
    }

    #[test]
    fn flags_beat_spec_beats_env_and_each_field_knows_where_it_came_from() {
        let inputs = Inputs {
            flags: PrFields { number: Some(1), ..Default::default() },
            env: PrEnv { number: Some("3".into()), head_sha: Some("e".into()), branch: Some("env".into()) },
            ..Inputs::default()
        };
        let spec = PullRequest { number: Lenient::Value(2), head_sha: Some("s".into()), branch: None };
        let pr = merge(Some(&spec), &inputs);
        assert_eq!(pr.number, Some(Given { value: Number::Parsed(1), origin: Origin::Over }));
        assert_eq!(pr.head_sha, Some(Given { value: "s".to_owned(), origin: Origin::Spec }));
        assert_eq!(pr.branch, Some(Given { value: "env".to_owned(), origin: Origin::Under }));
    }

    #[test]
    fn an_environment_number_is_parsed_only_when_it_is_used() {
        let inputs = Inputs { env: PrEnv { number: Some("abc".into()), ..PrEnv::default() }, ..Inputs::default() };
        let spec = PullRequest { number: Lenient::Value(2), ..PullRequest::default() };
        assert_eq!(merge(Some(&spec), &inputs).number.map(|n| n.value), Some(Number::Parsed(2)));
        assert_eq!(merge(None, &inputs).number.map(|n| n.value), Some(Number::Text("abc".into())));
        let with = |number: Option<u64>| Inputs { flags: PrFields { number, ..PrFields::default() }, ..inputs.clone() };
        assert_eq!(merge(None, &with(Some(5))).number.map(|n| n.value), Some(Number::Parsed(5)));
    }

    #[test]
    fn placeholders_fill_only_what_no_place_gives() {
        let mut inputs = Inputs { flags: PrFields { number: Some(4), ..PrFields::default() }, ..Inputs::default() };
        let spec = PullRequest { branch: Some("main".into()), ..PullRequest::default() };
        let missing = inputs.missing(Some(&spec));
        assert_eq!(missing, [PrField::HeadSha]);
        inputs.fill(&missing);
        let pr = merge(Some(&spec), &inputs);
        assert_eq!(pr.head_sha.map(|s| s.value), Some("0".repeat(40)));
        assert_eq!(pr.branch.map(|s| s.value), Some("main".to_owned()));
    }

    #[test]
    fn defaults_fill_the_text_fields_and_leave_typed_ones_to_validation() {
        let spec = apply(preview()).spec;
        assert_eq!(spec.namespace.as_deref(), Some(NAMESPACE));
        assert_eq!(spec.staging.unwrap().url.as_deref(), Some(STAGING_URL));
        assert!(spec.nodes.is_none() && spec.ttl.is_none());
    }

    #[test]
    fn defaults_are_valid() {
        for tuple in [SERVICE_RESOURCES, STORE_RESOURCES, JOB_RESOURCES] {
            let r = resources(tuple);
            assert!(r.cpu_request.value() > 0.0 && r.memory_request <= r.memory_limit, "{tuple:?}");
        }
        assert_eq!(storage().as_str(), STORAGE);
        assert_eq!((ttl().as_str(), restore_timeout().as_str(), refresh_interval().as_str()), ("48h", "15m", "1h"));
    }
}
