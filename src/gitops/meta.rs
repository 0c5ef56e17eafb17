//! `preview.json`, the metadata of one published preview: what the Argo CD ApplicationSet's git
//! files generator turns into template parameters, and what gc decides on.
//!
//! Reading a whole file fails with a [`MetaError`]. The parsers of single values ([`parse_time`],
//! [`Duration::parse`], [`Keep::parse`]) fail with errors of their own, whose message clap or
//! [`MetaError::Field`] puts after the flag or field it is about.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::k8s::Duration;

/// The file's name inside `previews/<namespace>/`.
pub const FILE_NAME: &str = "preview.json";
/// What replaces it when the preview is removed (see [`Tombstone`]).
pub const REMOVED_FILE_NAME: &str = "removed.json";

/// The metadata of one preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewMeta {
    /// The application family (`metadata.name` of the spec).
    pub app: String,
    /// The preview's namespace, also its directory name.
    pub namespace: String,
    /// The pull request number.
    pub pr: u64,
    /// The head commit that was rendered.
    pub sha: String,
    /// The pull request's source branch, when known.
    pub branch: Option<String>,
    /// The first publish of this preview.
    pub created: Timestamp,
    /// The latest publish.
    pub updated: Timestamp,
    /// How long after `updated` the preview lives.
    pub ttl: Duration,
    /// Whether `kpreview keep` exempts it from expiry, the cap and sleep.
    pub kept: Keep,
    /// Since when it sleeps (`gc --sleep-after`), when it does.
    pub sleeping: Option<Timestamp>,
    /// When `kpreview wake` last woke it, if since its latest publish: sleep counts idle time
    /// from the later of the two.
    pub woken: Option<Timestamp>,
}

/// A preview kept past its TTL (`kpreview keep`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Keep {
    /// Not kept.
    #[default]
    No,
    /// Kept until this time.
    Until(Timestamp),
    /// Kept until `kpreview keep --off`.
    Indefinitely,
}

/// How an indefinite keep is written in `preview.json`.
pub const INDEFINITELY: &str = "indefinitely";

impl Keep {
    /// Whether it exempts the preview at `now`.
    pub fn holds_at(self, now: Timestamp) -> bool {
        match self {
            Self::No => false,
            Self::Until(until) => until > now,
            Self::Indefinitely => true,
        }
    }

    /// As in `preview.json`: empty, an RFC 3339 time or `indefinitely`.
    pub fn to_text(self) -> String {
        match self {
            Self::No => String::new(),
            Self::Until(until) => format_time(until),
            Self::Indefinitely => INDEFINITELY.to_owned(),
        }
    }

    /// Reads what [`Keep::to_text`] wrote.
    pub fn parse(text: &str) -> Result<Self, TimeError> {
        match text {
            "" => Ok(Self::No),
            INDEFINITELY => Ok(Self::Indefinitely),
            _ => parse_time(text).map(Self::Until),
        }
    }
}

/// The JSON shape: every value a string, keys in this order. Strings, because the git files
/// generator reads JSON numbers as floats and Go templates print a PR number of a million as
/// `1e+06`; and every key always present, because the ApplicationSet uses `missingkey=error`.
#[derive(Serialize, Deserialize)]
struct Wire {
    app: String,
    namespace: String,
    pr: String,
    sha: String,
    branch: String,
    created: String,
    updated: String,
    ttl: String,
    expires: String,
    // Absent in files written before keep and sleep existed.
    #[serde(default)]
    kept: String,
    #[serde(default)]
    sleeping: String,
    #[serde(default)]
    woken: String,
}

impl PreviewMeta {
    /// Since when it has been idle: its latest publish, or a later wake.
    pub fn idle_since(&self) -> Timestamp {
        self.woken.map_or(self.updated, |w| w.max(self.updated))
    }

    /// When the preview expires: its latest publish plus its TTL.
    pub fn expires(&self) -> Timestamp {
        self.ttl.after(self.updated)
    }

    /// The file's content: pretty JSON in a fixed key order, ending in a newline.
    pub fn to_json(&self) -> String {
        let wire = Wire {
            app: self.app.clone(),
            namespace: self.namespace.clone(),
            pr: self.pr.to_string(),
            sha: self.sha.clone(),
            branch: self.branch.clone().unwrap_or_default(),
            created: format_time(self.created),
            updated: format_time(self.updated),
            ttl: self.ttl.as_str().to_owned(),
            expires: format_time(self.expires()),
            kept: self.kept.to_text(),
            sleeping: self.sleeping.map(format_time).unwrap_or_default(),
            woken: self.woken.map(format_time).unwrap_or_default(),
        };
        // Strings only: serializing cannot fail.
        let mut text = serde_json::to_string_pretty(&wire).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads a file written by [`PreviewMeta::to_json`]. `expires` is not read back: it follows
    /// from `updated` and `ttl`, which gc may override.
    pub fn from_json(bytes: &[u8]) -> Result<Self, MetaError> {
        fn field<E: Into<FieldError>>(field: &'static str) -> impl Fn(E) -> MetaError {
            move |e| MetaError::Field { field, problem: e.into() }
        }
        let wire: Wire = serde_json::from_slice(bytes).map_err(|e| MetaError::NotMetadata(e.to_string()))?;
        let pr = wire
            .pr
            .parse::<u64>()
            .map_err(|_| MetaError::Field { field: "pr", problem: FieldError::Pr(wire.pr.clone()) })?;
        let time = |name: &'static str, text: &str| parse_time(text).map_err(field(name));
        Ok(Self {
            app: wire.app,
            namespace: wire.namespace,
            pr,
            sha: wire.sha,
            branch: Some(wire.branch).filter(|b| !b.is_empty()),
            created: time("created", &wire.created)?,
            updated: time("updated", &wire.updated)?,
            ttl: Duration::parse(&wire.ttl).map_err(field("ttl"))?,
            kept: Keep::parse(&wire.kept).map_err(field("kept"))?,
            sleeping: match wire.sleeping.as_str() {
                "" => None,
                text => Some(time("sleeping", text)?),
            },
            woken: match wire.woken.as_str() {
                "" => None,
                text => Some(time("woken", text)?),
            },
        })
    }
}

/// A `preview.json` or `removed.json` kpreview cannot read: the GitOps repository's state, which
/// a person changed or another version of kpreview wrote.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetaError {
    /// Not JSON of the metadata's shape.
    #[error("not kpreview metadata: {0}")]
    NotMetadata(String),
    /// Not JSON of the tombstone's shape.
    #[error("not a kpreview tombstone: {0}")]
    NotTombstone(String),
    /// A field whose value does not parse.
    #[error("{field}: {problem}")]
    Field {
        /// The field, such as `created`.
        field: &'static str,
        /// Why, from the value's parser.
        problem: FieldError,
    },
}

/// Why one value of a `preview.json` does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// A time (or a keep, which is one).
    #[error(transparent)]
    Time(#[from] TimeError),
    /// A lifetime.
    #[error(transparent)]
    Duration(#[from] crate::k8s::DurationError),
    /// The pull request number.
    #[error("`{0}` is not a pull request number")]
    Pr(String),
}

/// A text that is not an RFC 3339 time: a flag's value, or a field of a file (where
/// [`MetaError`] says the repository is at fault).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not an RFC 3339 time such as `2026-11-21T10:00:00Z` ({reason})")]
pub struct TimeError {
    /// As given.
    pub text: String,
    /// What the time parser said.
    pub reason: String,
}

impl crate::fault::HasFault for TimeError {
    fn fault(&self) -> crate::fault::Fault {
        crate::fault::Fault::Input
    }
}

impl crate::fault::HasFault for MetaError {
    fn fault(&self) -> crate::fault::Fault {
        crate::fault::Fault::Environment
    }
}

/// A tombstone's `reason` when `unpublish` removed the preview (its PR closed).
pub const UNPUBLISHED: &str = "unpublished";

/// A removed preview. Its `preview.json` is gone, so the ApplicationSet deletes its Application;
/// its manifests stay until a later gc purges them, because Argo CD renders them again from the
/// branch while it deletes the Application (to run PostDelete hooks) and wedges if it cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tombstone {
    /// The metadata it had.
    pub meta: PreviewMeta,
    /// When it was removed.
    pub removed: Timestamp,
    /// Why: `expired`, `over-max` or `unpublished`.
    pub reason: String,
}

/// The JSON shape of `removed.json`: that of `preview.json` plus two keys.
#[derive(Serialize, Deserialize)]
struct TombstoneWire {
    #[serde(flatten)]
    meta: Wire,
    removed: String,
    reason: String,
}

impl Tombstone {
    /// The file's content, like `preview.json` with `removed` and `reason` at the end.
    pub fn to_json(&self) -> String {
        let meta: Wire = serde_json::from_str(&self.meta.to_json()).unwrap_or_else(|_| unreachable!("own output"));
        let wire = TombstoneWire { meta, removed: format_time(self.removed), reason: self.reason.clone() };
        let mut text = serde_json::to_string_pretty(&wire).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads a file written by [`Tombstone::to_json`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, MetaError> {
        let wire: TombstoneWire = serde_json::from_slice(bytes).map_err(|e| MetaError::NotTombstone(e.to_string()))?;
        let meta = serde_json::to_vec(&wire.meta).map_err(|e| MetaError::NotTombstone(e.to_string()))?;
        Ok(Self {
            meta: PreviewMeta::from_json(&meta)?,
            removed: parse_time(&wire.removed)
                .map_err(|e| MetaError::Field { field: "removed", problem: FieldError::Time(e) })?,
            reason: wire.reason,
        })
    }
}

/// An RFC 3339 time in UTC to the second (`2026-11-21T10:00:00Z`): no fractions, so the files
/// and gc's plan read the same however the clock was read.
pub fn format_time(time: Timestamp) -> String {
    Timestamp::from_second(time.as_second()).unwrap_or(time).to_string()
}

/// Parses an RFC 3339 time with an offset (`2026-11-21T10:00:00Z`, `…+02:00`), to the second.
pub fn parse_time(text: &str) -> Result<Timestamp, TimeError> {
    let time: Timestamp =
        text.trim().parse().map_err(|e: jiff::Error| TimeError { text: text.to_owned(), reason: e.to_string() })?;
    Ok(Timestamp::from_second(time.as_second()).unwrap_or(time))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> PreviewMeta {
        PreviewMeta {
            app: "shop".into(),
            namespace: "shop-pr-7".into(),
            pr: 7,
            sha: "4f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d".into(),
            branch: None,
            created: parse_time("2026-11-20T08:00:00Z").unwrap(),
            updated: parse_time("2026-11-21T10:00:00.75+02:00").unwrap(),
            ttl: Duration::parse("48h").unwrap(),
            kept: Keep::No,
            sleeping: None,
            woken: None,
        }
    }

    #[test]
    fn writes_every_key_as_a_string_in_a_fixed_order() {
        let text = meta().to_json();
        let keys: Vec<&str> = text.lines().filter_map(|l| l.trim().split('"').nth(1)).collect();
        assert_eq!(
            keys,
            [
                "app",
                "namespace",
                "pr",
                "sha",
                "branch",
                "created",
                "updated",
                "ttl",
                "expires",
                "kept",
                "sleeping",
                "woken"
            ]
        );
        assert!(text.contains(r#""pr": "7""#), "{text}");
        assert!(text.contains(r#""branch": """#), "{text}");
        assert!(text.contains(r#""updated": "2026-11-21T08:00:00Z""#), "{text}");
        assert!(text.contains(r#""expires": "2026-11-23T08:00:00Z""#), "{text}");
        assert!(text.ends_with("}\n"));
    }

    #[test]
    fn reads_back_what_it_wrote() {
        let m = meta();
        assert_eq!(PreviewMeta::from_json(m.to_json().as_bytes()).unwrap(), m);
    }

    #[test]
    fn a_tombstone_is_the_metadata_plus_when_and_why() {
        let t =
            Tombstone { meta: meta(), removed: parse_time("2026-11-24T00:00:00Z").unwrap(), reason: "expired".into() };
        let text = t.to_json();
        assert!(text.ends_with("  \"removed\": \"2026-11-24T00:00:00Z\",\n  \"reason\": \"expired\"\n}\n"), "{text}");
        assert_eq!(Tombstone::from_json(text.as_bytes()).unwrap(), t);
    }

    #[test]
    fn keeps_and_sleep_read_back_and_older_files_still_read() {
        let mut m = meta();
        m.kept = Keep::Until(parse_time("2026-12-01T00:00:00Z").unwrap());
        m.sleeping = Some(parse_time("2026-11-22T00:00:00Z").unwrap());
        let text = m.to_json();
        assert!(text.contains(r#""kept": "2026-12-01T00:00:00Z","#), "{text}");
        assert!(text.contains(r#""sleeping": "2026-11-22T00:00:00Z""#), "{text}");
        assert_eq!(PreviewMeta::from_json(text.as_bytes()).unwrap(), m);
        m.kept = Keep::Indefinitely;
        assert_eq!(PreviewMeta::from_json(m.to_json().as_bytes()).unwrap(), m);
        let old = meta().to_json().replace(",\n  \"kept\": \"\",\n  \"sleeping\": \"\",\n  \"woken\": \"\"", "");
        assert!(!old.contains("kept"), "{old}");
        assert_eq!(PreviewMeta::from_json(old.as_bytes()).unwrap(), meta());
        let at = parse_time("2026-12-01T00:00:00Z").unwrap();
        assert!(!Keep::Until(at).holds_at(at) && Keep::Until(at).holds_at(parse_time("2026-11-30T23:59:59Z").unwrap()));
    }

    #[test]
    fn names_the_field_that_is_wrong() {
        let text = meta().to_json().replace("2026-11-20T08:00:00Z", "yesterday");
        let err = PreviewMeta::from_json(text.as_bytes()).unwrap_err().to_string();
        assert!(err.starts_with("created: `yesterday` is not an RFC 3339 time"), "{err}");
        let err = PreviewMeta::from_json(b"{}").unwrap_err().to_string();
        assert!(err.contains("missing field"), "{err}");
    }
}
