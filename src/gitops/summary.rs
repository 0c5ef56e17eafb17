//! The Markdown a CI job posts on the pull request after a publish: where the preview is, what
//! its data came from and when it goes. One writer for both ways of publishing: a spec's summary
//! is filled from its model ([`summary`]), an overlay's from the objects it built
//! (`overlay::summary`). Every value that came from a pull request (names, hosts, images, backup
//! names, snapshot handles and tags) is written as a code span or a plain link, so none can add
//! links, images or HTML to the bot's comment. Pure.

use std::fmt::Write as _;

use super::meta::{PreviewMeta, format_time};
use crate::plan::escape::{code, link};
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
    /// The preview's namespace (a DNS label: publish checks it).
    pub namespace: String,
    /// The pull request.
    pub pr: u64,
    /// The commit rendered.
    pub sha: String,
    /// Exposed services and their URLs, in the spec's order.
    pub links: Vec<(String, String)>,
    /// Data stores.
    pub stores: Vec<Store>,
    /// When the preview expires, RFC 3339.
    pub expires: String,
    /// Its TTL as written.
    pub ttl: String,
}

/// One data store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    /// Its name.
    pub name: String,
    /// What it runs: an engine kpreview knows, or (read off an overlay's objects) an image.
    pub runs: Runs,
    /// Where its data comes from.
    pub origin: Origin,
}

/// What a store runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runs {
    /// One of kpreview's engines.
    Engine(Engine),
    /// An image whose engine the objects do not say.
    Image(String),
}

/// Where a store's data comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The spec's seed.
    Seed(Seed),
    /// Neither a restore nor a snapshot feeds it (an overlay cannot tell an empty store from one
    /// whose image seeds it): it starts from this image.
    Image(String),
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
        stores: model
            .stores
            .iter()
            .map(|s| Store { name: s.name.clone(), runs: Runs::Engine(s.engine), origin: Origin::Seed(s.seed.clone()) })
            .collect(),
        expires: format_time(meta.expires()),
        ttl: meta.ttl.text.clone(),
    }
}

/// The engine's name as people write it.
fn engine(engine: Engine) -> &'static str {
    match engine {
        Engine::Postgres => "PostgreSQL",
        Engine::Redis => "Redis",
        Engine::Mongodb => "MongoDB",
    }
}

/// Where a store's data comes from, in words, every value a code span.
fn origin(origin: &Origin) -> String {
    match origin {
        Origin::Seed(Seed::Empty) => "nothing: starts empty".to_owned(),
        Origin::Seed(Seed::Velero { backup, namespace }) => {
            format!("Velero backup {} of namespace {}", code(backup), code(namespace))
        }
        Origin::Seed(Seed::Snapshot { handle, tags: Some(tags), .. }) => {
            let tags: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("snapshot {} (newest tagged {}, pinned in preview.lock)", code(handle), code(&tags.join(", ")))
        }
        Origin::Seed(Seed::Snapshot { handle, .. }) => format!("snapshot {}", code(handle)),
        Origin::Seed(Seed::Image { image }) => format!("pre-seeded image {}", code(image)),
        Origin::Image(image) => format!("no restore or snapshot: starts from its image {}", code(image)),
    }
}

/// A name (or a TTL, a time) as it is when it holds only letters, digits, `-`, `.` and `:` (all
/// kpreview writes), else a code span.
fn name(text: &str) -> String {
    let plain = !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "-.:".contains(c));
    if plain { text.to_owned() } else { code(text) }
}

/// A table cell: GitHub splits cells at every `|`, even inside a code span, unless it is escaped.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

impl Summary {
    /// The comment. `sync_plan` is Markdown placed after [`SYNC_PLAN_MARKER`] (the Mermaid diagram
    /// of `kpreview plan`); without it the marker ends the text, so a later step can add one.
    pub fn to_markdown(&self, sync_plan: Option<&str>) -> String {
        let short: String = self.sha.chars().take(7).collect();
        let mut md = marker(&self.namespace);
        let _ = write!(md, "\n### Preview {} of #{} at {}\n\n", code(&self.namespace), self.pr, code(&short));
        if self.links.is_empty() {
            md.push_str("No service is exposed (none sets `expose: true`).\n\n");
        } else {
            md.push_str("| Service | URL |\n|---|---|\n");
            for (service, url) in &self.links {
                let _ = writeln!(md, "| {} | {} |", cell(&name(service)), cell(&link(url)));
            }
            md.push('\n');
        }
        if !self.stores.is_empty() {
            md.push_str("| Data store | Seeded from |\n|---|---|\n");
            for store in &self.stores {
                let runs = match &store.runs {
                    Runs::Engine(e) => engine(*e).to_owned(),
                    Runs::Image(image) => code(image),
                };
                let _ = writeln!(
                    md,
                    "| {} ({}) | {} |",
                    cell(&name(&store.name)),
                    cell(&runs),
                    cell(&origin(&store.origin))
                );
            }
            md.push('\n');
        }
        let _ = writeln!(
            md,
            "Expires **{}**, {} after this publish; every publish extends it.\n",
            name(&self.expires),
            name(&self.ttl)
        );
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
            stores: vec![Store {
                name: "db".into(),
                runs: Runs::Engine(Engine::Postgres),
                origin: Origin::Seed(Seed::Snapshot {
                    handle: "snap-1".into(),
                    driver: "ebs.csi.aws.com".into(),
                    class: None,
                    tags: None,
                }),
            }],
            expires: "2026-11-23T10:00:00Z".into(),
            ttl: "48h".into(),
        }
    }

    #[test]
    fn ends_with_the_sync_plan_marker_and_takes_a_plan_after_it() {
        let md = example().to_markdown(None);
        assert!(md.starts_with("<!-- kpreview:summary shop-pr-7 -->\n### Preview `shop-pr-7` of #7 at `4f9c2d1`"));
        assert!(md.contains("| api | <https://api-shop-pr-7.preview.example.com/> |"), "{md}");
        assert!(md.contains("| db (PostgreSQL) | snapshot `snap-1` |"), "{md}");
        assert!(md.contains("Expires **2026-11-23T10:00:00Z**, 48h after this publish"), "{md}");
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

    /// Tags are free text in the spec and overlays' objects are whatever a pull request built: no
    /// value may end its code span, split its table cell, or become a link, an image or HTML.
    #[test]
    fn hostile_values_stay_text() {
        let hostile = "x` | [click me](https://evil.example) <img src=x onerror=alert(1)> `";
        let tags = std::collections::BTreeMap::from([("team".to_owned(), hostile.to_owned())]);
        let summary = Summary {
            links: vec![(hostile.into(), format!("https://{hostile}/")), ("web".into(), "javascript:alert(1)".into())],
            stores: vec![
                Store {
                    name: hostile.into(),
                    runs: Runs::Image(hostile.into()),
                    origin: Origin::Seed(Seed::Snapshot {
                        handle: "snap-1".into(),
                        driver: "d".into(),
                        class: None,
                        tags: Some(tags),
                    }),
                },
                Store {
                    name: "db".into(),
                    runs: Runs::Engine(Engine::Redis),
                    origin: Origin::Seed(Seed::Velero { backup: "a|b\nc".into(), namespace: "``".into() }),
                },
                Store { name: "kv".into(), runs: Runs::Image("i".into()), origin: Origin::Image(hostile.into()) },
            ],
            ttl: "48h`<b>".into(),
            ..example()
        };
        let md = summary.to_markdown(None);
        for line in
            md.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| Service") && !l.starts_with("| Data"))
        {
            let cells = line.replace("\\|", "").matches('|').count();
            assert_eq!(cells, 3, "a value split the row: {line}");
            for span in spans(line) {
                assert!(!span.contains('\n'), "{line}");
            }
            let outside = outside_spans(line);
            for bad in ["](", "<img", "<b>", "[click"] {
                assert!(!outside.contains(bad), "{bad} outside a code span in {line}");
            }
        }
        assert!(md.contains("`javascript:alert(1)`"), "only http(s) hosts become links:\n{md}");
        assert!(md.contains("Velero backup `a\\|b\\u{a}c` of namespace ``` `` ```"), "{md}");
        assert!(md.contains("Expires **2026-11-23T10:00:00Z**, ``48h`<b>`` after"), "{md}");
    }

    /// The text of a line outside its code spans (CommonMark: a span ends at a backtick run as
    /// long as the one that opened it).
    fn outside_spans(line: &str) -> String {
        let mut out = String::new();
        let mut rest = line;
        while let Some(start) = rest.find('`') {
            out.push_str(&rest[..start]);
            let run = rest[start..].chars().take_while(|&c| c == '`').count();
            let fence = "`".repeat(run);
            let after = &rest[start + run..];
            let Some(end) = find_run(after, &fence) else {
                out.push_str(&rest[start..]);
                return out;
            };
            rest = &after[end + run..];
        }
        out.push_str(rest);
        out
    }

    fn spans(line: &str) -> Vec<String> {
        let mut spans = Vec::new();
        let mut rest = line;
        while let Some(start) = rest.find('`') {
            let run = rest[start..].chars().take_while(|&c| c == '`').count();
            let after = &rest[start + run..];
            let Some(end) = find_run(after, &"`".repeat(run)) else { break };
            spans.push(after[..end].to_owned());
            rest = &after[end + run..];
        }
        spans
    }

    /// Where a backtick run of exactly `fence`'s length starts in `text`.
    fn find_run(text: &str, fence: &str) -> Option<usize> {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'`' {
                let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
                if run == fence.len() {
                    return Some(i);
                }
                i += run;
            } else {
                i += 1;
            }
        }
        None
    }
}
