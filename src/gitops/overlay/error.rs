//! What stops an overlay from being published. Each names the overlay and what to do; all of them
//! happen before the GitOps repository is opened.

use std::path::PathBuf;

use crate::policy::namespace::MissingField;

/// An overlay that could not be built or read as one preview.
#[derive(Debug, thiserror::Error)]
pub enum OverlayError {
    /// `--kustomize` is empty or uses shell syntax it cannot honour.
    #[error("--kustomize `{command}`: {reason}")]
    Command {
        /// What was given.
        command: String,
        /// Why it cannot run.
        reason: String,
    },
    /// The kustomize program could not be started.
    #[error(
        "cannot run `{program}` to build {dir}: {reason}; install it or name another with --kustomize (e.g. \"kustomize build --enable-alpha-plugins --enable-exec\")"
    )]
    Spawn {
        /// The program.
        program: String,
        /// The overlay.
        dir: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// kustomize ran and failed: a bad patch, a bad spec, a missing file.
    #[error("`{command} {dir}` failed ({status}):\n{stderr}", dir = .dir.display(), stderr = .stderr.trim_end())]
    Failed {
        /// The command line without the directory.
        command: String,
        /// The overlay.
        dir: PathBuf,
        /// Its exit status.
        status: String,
        /// What it printed on stderr.
        stderr: String,
    },
    /// kustomize printed more than a manifest stream may hold.
    #[error("`{command}` printed more than the {limit} bytes a manifest stream may have")]
    TooLarge {
        /// The command line.
        command: String,
        /// The limit.
        limit: usize,
    },
    /// The temporary plugin home could not be made, or the output not read.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// What kustomize printed is not a stream of Kubernetes objects.
    #[error("{overlay}: {reason}")]
    Stream {
        /// The overlay.
        overlay: String,
        /// What is wrong, and where.
        reason: String,
    },
    /// The build printed no objects: publishing that would make Argo CD prune the preview.
    #[error(
        "{overlay} built no objects; refusing to publish an empty preview (Argo CD would prune everything it deployed)"
    )]
    Empty {
        /// The overlay.
        overlay: String,
    },
    /// No kpreview Namespace among the objects: the overlay has no Preview generator.
    #[error(
        "{overlay} built {objects} objects but no preview: none is a Namespace labelled `kpreview.dev/preview`, which kpreview's generator renders; list the spec as a generator (`generators: [preview.yaml]`, or a directory holding it) in the overlay or a base it uses"
    )]
    NoPreview {
        /// The overlay.
        overlay: String,
        /// How many objects it built.
        objects: usize,
    },
    /// Two previews in one build.
    #[error(
        "{overlay} built {} previews ({}); publish one overlay per preview",
        .namespaces.len(),
        .namespaces.join(", ")
    )]
    SeveralPreviews {
        /// The overlay.
        overlay: String,
        /// Their namespaces.
        namespaces: Vec<String>,
    },
    /// The preview's Namespace lacks what kpreview puts on it, or says something else.
    #[error("{overlay}: Namespace {namespace}: {reason}")]
    Identity {
        /// The overlay.
        overlay: String,
        /// The Namespace.
        namespace: String,
        /// What is missing or wrong.
        reason: String,
    },
    /// The build disagrees with `--pr`, `--sha` or `--branch`.
    #[error(
        "{overlay} built the preview of {field} `{built}`, but {flag} is `{given}`; a patch or the spec overrides it (kpreview's plugin puts {flag} first, but an `exec:` function reads the spec's pullRequest before PREVIEW_*): remove it there"
    )]
    Mismatch {
        /// The overlay.
        overlay: String,
        /// `pull request`, `head commit`, `branch`.
        field: &'static str,
        /// `--pr`, `--sha`, `--branch`.
        flag: &'static str,
        /// What the objects say.
        built: String,
        /// What the flag says.
        given: String,
    },
    /// The overlay built a namespace other than the one the platform's template gives (SPEC §7).
    #[error(transparent)]
    MovedNamespace(Box<MovedNamespace>),
    /// The platform's template needs a pull-request field the build did not carry.
    #[error("{overlay}: {entry}: {missing}")]
    NamespaceTemplate {
        /// The overlay.
        overlay: String,
        /// How messages name the policy's entry.
        entry: String,
        /// The field the template needs.
        missing: MissingField,
    },
    /// The build asks for a longer life than the platform allows (a patch may raise what the
    /// generator wrote).
    #[error(
        "{overlay}: the overlay's Namespace asks for a TTL of `{ttl}` (kpreview.dev/ttl), longer than {entry} allows, at most {limit}"
    )]
    TtlOverLimit {
        /// The overlay.
        overlay: String,
        /// The TTL it built.
        ttl: String,
        /// How messages name the policy's entry.
        entry: String,
        /// The most the policy allows.
        limit: String,
    },
    /// The build goes beyond the platform's policy: a patch or an object of the overlay's own
    /// undid what the generator rendered under it (SPEC §7). Every violation, at once.
    #[error(
        "{overlay}: the overlay's build goes beyond the platform's policy ({policy}) in {count} place{s}; an overlay is policed as a spec is, whatever its patches change:{list}",
        count = .violations.len(),
        s = if .violations.len() == 1 { "" } else { "s" },
        list = bullets(.violations)
    )]
    Policed {
        /// The overlay.
        overlay: String,
        /// How messages name the policy: `the built-in policy`, `the policy p.yaml`.
        policy: String,
        /// What goes beyond it, in the order of the objects.
        violations: Vec<Violation>,
    },
}

/// A kustomization's `namespace:` or a patch moved what the generator rendered.
#[derive(Debug, thiserror::Error)]
#[error(
    "{overlay}: the overlay renders namespace `{namespace}`, but {entry} (`{template}`) gives `{expected}` for app `{app}`, pull request {pr}; an overlay may not move a preview's namespace"
)]
pub struct MovedNamespace {
    /// The overlay.
    pub overlay: String,
    /// The namespace it built.
    pub namespace: String,
    /// How messages name the policy's entry: `` `namespace` of the built-in policy ``.
    pub entry: String,
    /// The template as written.
    pub template: String,
    /// The namespace the template gives.
    pub expected: String,
    /// The app the build is the preview of.
    pub app: String,
    /// Its pull request.
    pub pr: u64,
}

/// One way a built object goes beyond the policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{object}: {path}: {why}")]
pub struct Violation {
    /// `Kind/name`.
    pub object: String,
    /// The field, as a path in the object (`spec.template.spec.containers[0].image`).
    pub path: String,
    /// Why, naming the policy entry where one decides.
    pub why: String,
}

/// One line per violation, each after a newline.
fn bullets(violations: &[Violation]) -> String {
    violations.iter().fold(String::new(), |mut out, v| {
        use std::fmt::Write;
        let _ = write!(out, "\n  - {v}");
        out
    })
}

/// The overlay itself is at fault (exit 1), unless the machine could not run or read it (exit 2).
impl crate::fault::HasFault for OverlayError {
    fn fault(&self) -> crate::fault::Fault {
        match self {
            Self::Spawn { .. } | Self::Io { .. } => crate::fault::Fault::Environment,
            _ => crate::fault::Fault::Input,
        }
    }
}
