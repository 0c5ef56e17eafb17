//! The Markdown a CI job posts on the pull request after a publish: where the preview is, what
//! its data came from and when it goes. One writer for both ways of publishing: a spec's summary
//! is filled from its model ([`summary`]), an overlay's from the objects it built
//! (`overlay::summary`). Every value that came from a pull request (names, hosts, images, backup
//! names, snapshot handles and tags) is written as a code span or a plain link, so none can add
//! links, images or HTML to the bot's comment. Pure.

use std::fmt::Write as _;

use jiff::Timestamp;

use super::meta::{PreviewMeta, format_time, parse_time};
use super::requests::Requests;
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
#[derive(Debug, Clone, PartialEq)]
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
    /// What its pods and claims request, when known.
    pub requests: Option<Requests>,
    /// What it uses outside itself, each already Markdown (as `plan --format markdown` lists it).
    pub outside: Vec<String>,
    /// Until when it is kept (`until 2026-12-01T00:00:00Z`), when it is.
    pub kept: Option<String>,
    /// Previews the cap took down with this publish: namespace and pull request.
    pub evicted: Vec<(String, u64)>,
    /// The cap, when this publish enforced one.
    pub max: Option<usize>,
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
    /// When its snapshot was taken (`preview.lock`'s start time) and how long before this
    /// publish, when known.
    pub taken: Option<(String, String)>,
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
            .map(|s| Store {
                name: s.name.clone(),
                runs: Runs::Engine(s.engine),
                origin: Origin::Seed(s.seed.clone()),
                taken: None,
            })
            .collect(),
        expires: format_time(meta.expires()),
        ttl: meta.ttl.as_str().to_owned(),
        requests: None,
        outside: Vec::new(),
        kept: None,
        evicted: Vec::new(),
        max: None,
    }
}

/// When `started` (RFC 3339) was, and how long before `at`: `2026-11-20T03:00:00Z` and
/// `1d 7h`. `None` when `started` is not a time.
pub fn age(started: &str, at: Timestamp) -> Option<(String, String)> {
    let started = parse_time(started).ok()?;
    let seconds = at.as_second().saturating_sub(started.as_second());
    let (days, hours, minutes) = (seconds / 86_400, seconds % 86_400 / 3_600, seconds % 3_600 / 60);
    let age = match (days, hours) {
        _ if seconds < 0 => "after this publish".to_owned(),
        (0, 0) => format!("{minutes}m before this publish"),
        (0, h) => format!("{h}h before this publish"),
        (d, h) => format!("{d}d {h}h before this publish"),
    };
    Some((format_time(started), age))
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
                let mut from = origin(&store.origin);
                if let Some((started, age)) = &store.taken {
                    let _ = write!(from, "; taken {}, {age}", name(started));
                }
                let _ = writeln!(md, "| {} ({}) | {} |", cell(&name(&store.name)), cell(&runs), cell(&from));
            }
            md.push('\n');
        }
        if let Some(r) = &self.requests {
            let _ = write!(md, "**Requests:** {}", r.describe());
            if !r.quota.is_empty() {
                let quota: Vec<String> = r.quota.iter().map(|(k, v)| format!("{k} {}", name(v))).collect();
                let _ = write!(md, " (quota: at most {})", quota.join(", "));
            }
            md.push_str(".\n\n");
        }
        if !self.outside.is_empty() {
            let _ = writeln!(md, "**Outside the preview:** {}.\n", self.outside.join(", "));
        }
        match &self.kept {
            Some(until) => {
                let _ = writeln!(
                    md,
                    "Kept **{until}**: neither its TTL ({}), the cap nor sleep takes it down meanwhile. Removing the `preview-keep` label (`kpreview keep --off`) ends the keep.\n",
                    name(&self.ttl)
                );
            }
            None => {
                let _ = writeln!(
                    md,
                    "Expires **{}**, {} after this publish; every publish extends it. To keep it longer (a demo), add the `preview-keep` label (`kpreview keep`).\n",
                    name(&self.expires),
                    name(&self.ttl)
                );
            }
        }
        md.push_str(
            "If it has had no publish for a while it may be put to sleep (replicas 0, data kept); comment `/preview wake` or push to wake it.\n\n",
        );
        if !self.evicted.is_empty() {
            let gone: Vec<String> = self.evicted.iter().map(|(ns, pr)| format!("{} (#{pr})", name(ns))).collect();
            let _ = writeln!(
                md,
                "To stay within the cap of {} previews, this publish took down the oldest: {}.\n",
                self.max.unwrap_or_default(),
                gone.join(", ")
            );
        }
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
                taken: Some(("2026-11-20T03:00:00Z".into(), "3d 7h before this publish".into())),
            }],
            expires: "2026-11-23T10:00:00Z".into(),
            ttl: "48h".into(),
            requests: None,
            outside: Vec::new(),
            kept: None,
            evicted: Vec::new(),
            max: None,
        }
    }

    #[test]
    fn ends_with_the_sync_plan_marker_and_takes_a_plan_after_it() {
        let md = example().to_markdown(None);
        assert!(md.starts_with("<!-- kpreview:summary shop-pr-7 -->\n### Preview `shop-pr-7` of #7 at `4f9c2d1`"));
        assert!(md.contains("| api | <https://api-shop-pr-7.preview.example.com/> |"), "{md}");
        assert!(
            md.contains(
                "| db (PostgreSQL) | snapshot `snap-1`; taken 2026-11-20T03:00:00Z, 3d 7h before this publish |"
            ),
            "{md}"
        );
        assert!(md.contains("Expires **2026-11-23T10:00:00Z**, 48h after this publish"), "{md}");
        assert!(md.ends_with("<!-- kpreview:sync-plan -->\n"), "{md}");
        let with = example().to_markdown(Some("```mermaid\nflowchart LR\n```\n\n"));
        assert!(with.ends_with("<!-- kpreview:sync-plan -->\n\n```mermaid\nflowchart LR\n```\n"), "{with}");
    }

    #[test]
    fn says_what_it_requests_what_is_outside_and_how_to_keep_or_wake_it() {
        let requests = Requests {
            cpu: 0.75,
            memory: 1024.0 * 1024.0 * 1024.0,
            storage: 0.0,
            pods: 2,
            quota: vec![("requests.cpu".into(), "2".into())],
        };
        let md = Summary {
            requests: Some(requests),
            outside: vec!["`auth` (pull request #812, `accounts-pr-812`)".into()],
            evicted: vec![("shop-pr-1".into(), 1)],
            max: Some(3),
            ..example()
        }
        .to_markdown(None);
        assert!(
            md.contains("**Requests:** 750m CPU, 1Gi memory, 0 storage, 2 pods (quota: at most requests.cpu 2).\n"),
            "{md}"
        );
        assert!(md.contains("**Outside the preview:** `auth` (pull request #812, `accounts-pr-812`).\n"), "{md}");
        assert!(md.contains("add the `preview-keep` label") && md.contains("comment `/preview wake`"), "{md}");
        assert!(md.contains("cap of 3 previews, this publish took down the oldest: shop-pr-1 (#1)."), "{md}");
        let kept = Summary { kept: Some("until 2026-12-01T00:00:00Z".into()), ..example() }.to_markdown(None);
        assert!(kept.contains("Kept **until 2026-12-01T00:00:00Z**") && !kept.contains("Expires"), "{kept}");
    }

    #[test]
    fn ages_read_in_days_and_hours() {
        let at = parse_time("2026-11-23T10:30:00Z").unwrap();
        assert_eq!(age("2026-11-20T03:00:00Z", at).unwrap().1, "3d 7h before this publish");
        assert_eq!(age("2026-11-23T10:00:00Z", at).unwrap().1, "30m before this publish");
        assert_eq!(age("soon", at), None);
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
                    taken: None,
                },
                Store {
                    name: "db".into(),
                    runs: Runs::Engine(Engine::Redis),
                    origin: Origin::Seed(Seed::Velero { backup: "a|b\nc".into(), namespace: "``".into() }),
                    taken: None,
                },
                Store {
                    name: "kv".into(),
                    runs: Runs::Image("i".into()),
                    origin: Origin::Image(hostile.into()),
                    taken: None,
                },
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
