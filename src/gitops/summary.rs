//! The Markdown a CI job posts on the pull request after a publish: where the preview is, what
//! its data came from and when it goes. Pure: built from the model and the metadata.

use std::fmt::Write as _;

use super::meta::{PreviewMeta, format_time};
use crate::spec::model::{Engine, Model, Seed};

/// The first line of every summary: a bot can find its earlier comment by it and edit that one
/// instead of adding another.
pub fn marker(namespace: &str) -> String {
    format!("<!-- kpreview:summary {namespace} -->")
}

/// Where the sync-plan diagram goes. Text after it is the plan (a Mermaid block) when there is one.
pub const SYNC_PLAN_MARKER: &str = "<!-- kpreview:sync-plan -->";

/// What the summary says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The preview's namespace.
    pub namespace: String,
    /// The pull request.
    pub pr: u64,
    /// The commit rendered.
    pub sha: String,
    /// Exposed services and their URLs, in the spec's order.
    pub links: Vec<(String, String)>,
    /// Data stores, their engine and where their data came from.
    pub stores: Vec<(String, String, String)>,
    /// When the preview expires, RFC 3339.
    pub expires: String,
    /// Its TTL as written.
    pub ttl: String,
}

/// The summary of a publish of `model`, recorded as `meta`.
pub fn summary(model: &Model, meta: &PreviewMeta) -> Summary {
    let scheme = if model.ingress.tls_secret.is_some() { "https" } else { "http" };
    Summary {
        namespace: meta.namespace.clone(),
        pr: meta.pr,
        sha: meta.sha.clone(),
        links: model
            .services
            .iter()
            .filter_map(|s| s.host.as_ref().map(|h| (s.name.clone(), format!("{scheme}://{h}/"))))
            .collect(),
        stores: model.stores.iter().map(|s| (s.name.clone(), engine(s.engine).to_owned(), seed(&s.seed))).collect(),
        expires: format_time(meta.expires()),
        ttl: meta.ttl.text.clone(),
    }
}

/// The engine's name as people write it; also what an overlay's summary says.
pub(crate) fn engine(engine: Engine) -> &'static str {
    match engine {
        Engine::Postgres => "PostgreSQL",
        Engine::Redis => "Redis",
        Engine::Mongodb => "MongoDB",
    }
}

/// Where a store's data comes from, in words; also what an overlay's summary says.
pub(crate) fn seed(seed: &Seed) -> String {
    match seed {
        Seed::Empty => "nothing: starts empty".to_owned(),
        Seed::Velero { backup, namespace } => format!("Velero backup `{backup}` of namespace `{namespace}`"),
        Seed::Snapshot { handle, tags: Some(tags), .. } => {
            let tags: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("snapshot `{handle}` (newest tagged `{}`, pinned in preview.lock)", tags.join(", "))
        }
        Seed::Snapshot { handle, .. } => format!("snapshot `{handle}`"),
        Seed::Image { image } => format!("pre-seeded image `{image}`"),
    }
}

/// Escapes what would break a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

impl Summary {
    /// The comment. `sync_plan` is Markdown placed after [`SYNC_PLAN_MARKER`] (the Mermaid diagram
    /// of `kpreview plan`); without it the marker ends the text, so a later step can add one.
    pub fn to_markdown(&self, sync_plan: Option<&str>) -> String {
        let short: String = self.sha.chars().take(7).collect();
        let mut md = marker(&self.namespace);
        let _ = write!(md, "\n### Preview `{}` of #{} at `{short}`\n\n", self.namespace, self.pr);
        if self.links.is_empty() {
            md.push_str("No service is exposed (none sets `expose: true`).\n\n");
        } else {
            md.push_str("| Service | URL |\n|---|---|\n");
            for (name, url) in &self.links {
                let _ = writeln!(md, "| {} | {url} |", cell(name));
            }
            md.push('\n');
        }
        if !self.stores.is_empty() {
            md.push_str("| Data store | Seeded from |\n|---|---|\n");
            for (name, engine, from) in &self.stores {
                let _ = writeln!(md, "| {} ({engine}) | {} |", cell(name), cell(from));
            }
            md.push('\n');
        }
        let _ =
            writeln!(md, "Expires **{}**, {} after this publish; every publish extends it.\n", self.expires, self.ttl);
        md.push_str(SYNC_PLAN_MARKER);
        md.push('\n');
        if let Some(plan) = sync_plan {
            md.push('\n');
            md.push_str(plan.trim_end());
            md.push('\n');
        }
        md
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Summary {
        Summary {
            namespace: "shop-pr-7".into(),
            pr: 7,
            sha: "4f9c2d1e8b7a".into(),
            links: vec![("api".into(), "https://api-shop-pr-7.preview.example.com/".into())],
            stores: vec![("db".into(), "PostgreSQL".into(), "snapshot `snap-1`".into())],
            expires: "2026-11-23T10:00:00Z".into(),
            ttl: "48h".into(),
        }
    }

    #[test]
    fn ends_with_the_sync_plan_marker_and_takes_a_plan_after_it() {
        let md = example().to_markdown(None);
        assert!(md.starts_with("<!-- kpreview:summary shop-pr-7 -->\n### Preview `shop-pr-7` of #7 at `4f9c2d1`"));
        assert!(md.contains("| api | https://api-shop-pr-7.preview.example.com/ |"), "{md}");
        assert!(md.contains("| db (PostgreSQL) | snapshot `snap-1` |"), "{md}");
        assert!(md.ends_with("<!-- kpreview:sync-plan -->\n"), "{md}");
        let with = example().to_markdown(Some("```mermaid\nflowchart LR\n```\n\n"));
        assert!(with.ends_with("<!-- kpreview:sync-plan -->\n\n```mermaid\nflowchart LR\n```\n"), "{with}");
    }

    #[test]
    fn says_so_when_nothing_is_exposed() {
        let md = Summary { links: vec![], stores: vec![], ..example() }.to_markdown(None);
        assert!(md.contains("No service is exposed"), "{md}");
        assert!(!md.contains("| Data store |"), "{md}");
    }
}
