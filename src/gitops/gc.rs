//! Expiry: a preview expires at its latest publish plus its TTL (or `--ttl` for all); gc removes
//! the expired, then the oldest by creation beyond `--max`, and purges the manifests of previews
//! removed more than `--grace` ago, in one commit. The plan is a pure function of the metadata
//! and the policy, made again on every commit gc lands on, so a preview republished meanwhile is
//! never removed for an expiry it no longer has.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use jiff::Timestamp;
use serde::Serialize;

use super::cap::evictions;
use super::error::GitOpsError;
use super::land::{Prepared, Push, land};
use super::meta::{PreviewMeta, Tombstone, format_time};
use super::repo::{Entry, Oid, Repo};
use super::sleep;
use super::tree::{Change, Dir, MANIFESTS, PREVIEWS, Snapshot, Status, retire};
use crate::k8s::Duration;

/// What gc removes.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The time to judge expiry at.
    pub now: Timestamp,
    /// A TTL for every preview instead of each one's own.
    pub ttl: Option<Duration>,
    /// The most previews to keep.
    pub max: Option<usize>,
    /// How long a removed preview's manifests stay for Argo CD to finish deleting it.
    pub grace: Duration,
    /// Put to sleep the previews with no publish for this long.
    pub sleep_after: Option<Duration>,
}

/// What gc will do (or did): the `--dry-run` JSON. Keys and order are part of the interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// The time expiry was judged at.
    pub now: String,
    /// `--ttl`, when given.
    pub ttl: Option<String>,
    /// `--max`, when given.
    pub max: Option<usize>,
    /// `--grace`.
    pub grace: String,
    /// Live previews found.
    pub previews: usize,
    /// Previews left after removal.
    pub kept: usize,
    /// What goes: expired ones first (soonest expired first), then those beyond `--max` (oldest
    /// first).
    pub remove: Vec<Removal>,
    /// Removed previews whose manifests go now, by namespace.
    pub purge: Vec<Purge>,
    /// Directories under `previews/` gc cannot judge and leaves alone, and why.
    pub skipped: Vec<Skipped>,
    /// `--sleep-after`, when given.
    pub sleep_after: Option<String>,
    /// Live previews `kpreview keep` exempts from expiry, the cap and sleep.
    pub keep: Vec<Exempt>,
    /// Live previews put to sleep now (beyond `--sleep-after` since their latest publish).
    pub sleep: Vec<Sleeper>,
    /// How many more previews than `--max` stay because they are kept.
    pub over_max_kept: usize,
}

/// A kept preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exempt {
    /// Its namespace (directory).
    pub namespace: String,
    /// Its app.
    pub app: String,
    /// Its pull request.
    pub pr: u64,
    /// Until when: an RFC 3339 time or `indefinitely`.
    pub until: String,
    /// When it would have expired without the keep.
    pub expires: String,
}

/// A preview put to sleep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sleeper {
    /// Its namespace (directory).
    pub namespace: String,
    /// Its app.
    pub app: String,
    /// Its pull request.
    pub pr: u64,
    /// Its latest publish.
    pub updated: String,
    /// Why, in words.
    pub detail: String,
}

/// One preview that goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Removal {
    /// Its namespace (directory).
    pub namespace: String,
    /// Its app.
    pub app: String,
    /// Its pull request.
    pub pr: u64,
    /// `expired` or `over-max`.
    pub reason: Reason,
    /// The same in words.
    pub detail: String,
    /// First publish.
    pub created: String,
    /// Latest publish.
    pub updated: String,
    /// The TTL applied.
    pub ttl: String,
    /// When it expires (or expired) under that TTL.
    pub expires: String,
}

/// A removed preview whose directory goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Purge {
    /// Its namespace (directory).
    pub namespace: String,
    /// Its app.
    pub app: String,
    /// Its pull request.
    pub pr: u64,
    /// When it was removed.
    pub removed: String,
    /// Why it was removed.
    pub reason: String,
}

/// Why a preview goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// Its latest publish plus its TTL is not after `now`.
    Expired,
    /// It is among the oldest beyond `--max`.
    OverMax,
}

impl Reason {
    /// As in the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::OverMax => "over-max",
        }
    }
}

/// A directory gc leaves alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// `previews/<name>`.
    pub path: String,
    /// Why it cannot be judged.
    pub reason: String,
}

/// Plans gc over every directory under `previews/`.
pub fn plan(dirs: &BTreeMap<String, Dir>, policy: &Policy) -> Plan {
    let mut skipped = Vec::new();
    let mut purge = Vec::new();
    let mut live = Vec::new();
    let mut expired = Vec::new();
    let mut keep = Vec::new();
    for (name, dir) in dirs {
        match &dir.status {
            Status::Unreadable(reason) => {
                skipped.push(Skipped { path: format!("{PREVIEWS}/{name}"), reason: reason.clone() });
            }
            Status::Removed(t) => {
                if policy.grace.after(t.removed) <= policy.now {
                    purge.push(Purge {
                        namespace: name.clone(),
                        app: t.meta.app.clone(),
                        pr: t.meta.pr,
                        removed: format_time(t.removed),
                        reason: t.reason.clone(),
                    });
                }
            }
            Status::Live(m) => {
                let ttl = policy.ttl.as_ref().unwrap_or(&m.ttl);
                let end = ttl.after(m.updated);
                if m.kept.holds_at(policy.now) {
                    keep.push(Exempt {
                        namespace: name.clone(),
                        app: m.app.clone(),
                        pr: m.pr,
                        until: m.kept.to_text(),
                        expires: format_time(end),
                    });
                }
                if end <= policy.now && !m.kept.holds_at(policy.now) {
                    let detail = format!(
                        "expired at {} (latest publish {} + ttl {})",
                        format_time(end),
                        format_time(m.updated),
                        ttl
                    );
                    expired.push((end, removal(m, ttl, Reason::Expired, detail)));
                } else {
                    live.push((m, ttl));
                }
            }
        }
    }
    let previews = live.len() + expired.len();
    expired.sort_by(|(a, ra), (b, rb)| a.cmp(b).then_with(|| ra.namespace.cmp(&rb.namespace)));
    let mut remove: Vec<Removal> = expired.into_iter().map(|(_, r)| r).collect();
    let mut over_max_kept = 0;
    if let Some(max) = policy.max {
        let metas: Vec<&PreviewMeta> = live.iter().map(|(m, _)| *m).collect();
        let cap = evictions(&metas, max, policy.now, None);
        over_max_kept = cap.unmet;
        let gone: Vec<&str> = cap.evicted.iter().map(|m| m.namespace.as_str()).collect();
        for m in cap.evicted {
            remove.push(Removal::over_max(m, policy.ttl.as_ref().unwrap_or(&m.ttl), max));
        }
        live.retain(|(m, _)| !gone.contains(&m.namespace.as_str()));
    }
    let mut sleep = Vec::new();
    if let Some(after) = &policy.sleep_after {
        for (m, _) in &live {
            let due = after.after(m.idle_since());
            if m.sleeping.is_none() && due <= policy.now && !m.kept.holds_at(policy.now) {
                sleep.push(Sleeper {
                    namespace: m.namespace.clone(),
                    app: m.app.clone(),
                    pr: m.pr,
                    updated: format_time(m.updated),
                    detail: format!(
                        "idle since {} (--sleep-after {}, due {})",
                        format_time(m.idle_since()),
                        after,
                        format_time(due)
                    ),
                });
            }
        }
    }
    Plan {
        now: format_time(policy.now),
        ttl: policy.ttl.as_ref().map(|t| t.as_str().to_owned()),
        max: policy.max,
        grace: policy.grace.as_str().to_owned(),
        previews,
        kept: live.len(),
        remove,
        purge,
        skipped,
        sleep_after: policy.sleep_after.as_ref().map(|t| t.as_str().to_owned()),
        keep,
        sleep,
        over_max_kept,
    }
}

/// The directory of a preview put to sleep: `meta`, its sleeping manifests, and the awake ones.
fn put_to_sleep(repo: &Repo, meta: &PreviewMeta, manifests: &Oid) -> Result<Oid, GitOpsError> {
    let blob = repo.write_blob(meta.to_json().as_bytes())?;
    repo.mktree(&[
        Entry::tree(MANIFESTS, sleep::asleep(repo, manifests)?),
        Entry::tree(sleep::AWAKE, manifests.clone()),
        Entry::file(super::meta::FILE_NAME, blob),
    ])
}

impl Removal {
    /// `m` taken down as among the oldest beyond `--max max`, under `ttl`: gc's cap and
    /// publish's (`publish --evicted`) say it alike.
    pub fn over_max(m: &PreviewMeta, ttl: &Duration, max: usize) -> Self {
        let detail = format!("oldest unkept beyond --max {max} (created {})", format_time(m.created));
        removal(m, ttl, Reason::OverMax, detail)
    }
}

fn removal(m: &PreviewMeta, ttl: &Duration, reason: Reason, detail: String) -> Removal {
    Removal {
        namespace: m.namespace.clone(),
        app: m.app.clone(),
        pr: m.pr,
        reason,
        detail,
        created: format_time(m.created),
        updated: format_time(m.updated),
        ttl: ttl.as_str().to_owned(),
        expires: format_time(ttl.after(m.updated)),
    }
}

impl Plan {
    /// Pretty JSON ending in a newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    fn message(&self) -> String {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let (n, m, z) = (self.remove.len(), self.purge.len(), self.sleep.len());
        let evicted = self.remove.iter().filter(|r| r.reason == Reason::OverMax).count();
        let expired = n - evicted;
        // The subject says what happened, as `git log --oneline` shows it: expired previews and
        // the cap's evictions are different news.
        let mut parts = Vec::new();
        if expired > 0 {
            parts.push(format!("expire {expired} preview{}", plural(expired)));
        }
        if evicted > 0 {
            parts.push(format!("evict {evicted} preview{} over --max", plural(evicted)));
        }
        if m > 0 {
            parts.push(if n == 0 {
                format!("purge {m} removed preview{}", plural(m))
            } else {
                format!("purge {m} removed")
            });
        }
        if z > 0 {
            parts.push(format!("put {z} preview{} to sleep", plural(z)));
        }
        let subject = parts.join(", ");
        let mut chars = subject.chars();
        let first = chars.next().map(|c| c.to_uppercase().to_string()).unwrap_or_default();
        let mut text = format!("{first}{}\n\n", chars.as_str());
        for r in &self.remove {
            let _ = writeln!(text, "{} (app {}, PR #{}): {}", r.namespace, r.app, r.pr, r.detail);
        }
        if n > 0 {
            let whose = if n == 1 { "Its manifests stay" } else { "Their manifests stay" };
            let _ = writeln!(text, "\n{whose} beside removed.json until a gc after --grace purges them.");
        }
        for p in &self.purge {
            let _ = writeln!(
                text,
                "purged {} (app {}, PR #{}): removed {} ({})",
                p.namespace, p.app, p.pr, p.removed, p.reason
            );
        }
        for s in &self.sleep {
            let _ = writeln!(text, "asleep {} (app {}, PR #{}): {}", s.namespace, s.app, s.pr, s.detail);
        }
        if z > 0 {
            text.push_str(
                "\nTheir Deployments and StatefulSets are at replicas 0; claims stay. `kpreview wake` or the next publish wakes them.\n",
            );
        }
        text
    }
}

/// What a gc did.
#[derive(Debug)]
pub struct Collected {
    /// The plan that was carried out.
    pub plan: Plan,
    /// The commit made; `None` when nothing went.
    pub commit: Option<Oid>,
    /// Whether it was pushed.
    pub pushed: bool,
}

/// The plan for the branch's tip, or, with `remote`, for the remote's (fetched without moving
/// any ref, not even the remote-tracking one); changes nothing.
pub fn dry_run(repo: &Repo, policy: &Policy, remote: Option<&str>) -> Result<Plan, GitOpsError> {
    let tip = match remote {
        Some(remote) => {
            repo.require_remote(remote)?;
            repo.peek(remote)?
        }
        None => repo.tip()?,
    };
    let snapshot = Snapshot::read(repo, tip.as_ref())?;
    Ok(plan(&snapshot.all_dirs(repo)?, policy))
}

/// Carries out the plan in one commit.
pub fn collect(
    repo: &Repo,
    policy: &Policy,
    push: Option<&Push>,
    report: &mut dyn FnMut(&str),
) -> Result<Collected, GitOpsError> {
    let outcome = land(repo, push, report, |snapshot| {
        let dirs = snapshot.all_dirs(repo)?;
        let plan = plan(&dirs, policy);
        let retirees: Vec<(Tombstone, Option<Oid>)> = plan
            .remove
            .iter()
            .filter_map(|r| match dirs.get(&r.namespace) {
                Some(Dir { status: Status::Live(meta), manifests }) => Some((
                    Tombstone { meta: meta.clone(), removed: policy.now, reason: r.reason.as_str().to_owned() },
                    manifests.clone(),
                )),
                _ => None,
            })
            .collect();
        let mut changes = retire(repo, &retirees)?;
        changes.extend(plan.purge.iter().map(|p| Change::Remove { namespace: p.namespace.clone() }));
        for s in &plan.sleep {
            if let Some(Dir { status: Status::Live(meta), manifests: Some(manifests) }) = dirs.get(&s.namespace) {
                let meta = PreviewMeta { sleeping: Some(policy.now), ..meta.clone() };
                changes
                    .push(Change::Put { namespace: s.namespace.clone(), tree: put_to_sleep(repo, &meta, manifests)? });
            }
        }
        Ok(Prepared { changes, message: plan.message(), value: plan })
    })?;
    Ok(Collected { plan: outcome.value, commit: outcome.commit, pushed: outcome.pushed })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gitops::meta::{Keep, UNPUBLISHED, parse_time};

    fn meta(name: &str, created: &str, updated: &str, ttl: &str) -> (String, Dir) {
        let m = PreviewMeta {
            app: "shop".into(),
            namespace: name.into(),
            pr: name.rsplit('-').next().unwrap().parse().unwrap(),
            sha: "abc".into(),
            branch: None,
            created: parse_time(created).unwrap(),
            updated: parse_time(updated).unwrap(),
            ttl: Duration::parse(ttl).unwrap(),
            kept: Keep::No,
            sleeping: None,
            woken: None,
        };
        (name.to_owned(), Dir { status: Status::Live(m), manifests: None })
    }

    fn policy(now: &str, ttl: Option<&str>, max: Option<usize>) -> Policy {
        Policy {
            now: parse_time(now).unwrap(),
            ttl: ttl.map(|t| Duration::parse(t).unwrap()),
            max,
            grace: Duration::parse("1h").unwrap(),
            sleep_after: None,
        }
    }

    fn gone(plan: &Plan) -> Vec<(&str, Reason)> {
        plan.remove.iter().map(|r| (r.namespace.as_str(), r.reason)).collect()
    }

    #[test]
    fn expires_at_the_latest_publish_plus_the_ttl() {
        let metas = BTreeMap::from([
            meta("shop-pr-1", "2026-01-01T00:00:00Z", "2026-01-03T00:00:00Z", "48h"),
            meta("shop-pr-2", "2026-01-01T00:00:00Z", "2026-01-03T00:00:01Z", "48h"),
            meta("shop-pr-3", "2026-01-04T00:00:00Z", "2026-01-04T00:00:00Z", "1h"),
        ]);
        let plan = plan(&metas, &policy("2026-01-05T00:00:00Z", None, None));
        assert_eq!(gone(&plan), [("shop-pr-3", Reason::Expired), ("shop-pr-1", Reason::Expired)]);
        assert_eq!((plan.previews, plan.kept), (3, 1));
        assert_eq!(
            plan.remove[1].detail,
            "expired at 2026-01-05T00:00:00Z (latest publish 2026-01-03T00:00:00Z + ttl 48h)"
        );
    }

    #[test]
    fn a_ttl_for_all_overrides_each_previews_own() {
        let metas = BTreeMap::from([meta("shop-pr-1", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "480h")]);
        let plan = plan(&metas, &policy("2026-01-02T00:00:00Z", Some("24h"), None));
        assert_eq!(gone(&plan), [("shop-pr-1", Reason::Expired)]);
        assert_eq!(plan.remove[0].ttl, "24h");
    }

    #[test]
    fn beyond_max_the_first_created_go_first_ties_by_update_then_name() {
        let metas = BTreeMap::from([
            meta("shop-pr-1", "2026-01-02T00:00:00Z", "2026-01-02T00:00:00Z", "48h"),
            meta("shop-pr-2", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "48h"),
            meta("shop-pr-3", "2026-01-01T00:00:00Z", "2026-01-01T12:00:00Z", "48h"),
            meta("shop-pr-4", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "48h"),
            meta("shop-pr-5", "2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z", "48h"),
        ]);
        let plan = plan(&metas, &policy("2026-01-02T06:00:00Z", None, Some(2)));
        assert_eq!(
            gone(&plan),
            [("shop-pr-5", Reason::Expired), ("shop-pr-3", Reason::OverMax), ("shop-pr-2", Reason::OverMax),]
        );
        assert_eq!(plan.kept, 2);
    }

    #[test]
    fn kept_previews_neither_expire_go_over_max_nor_sleep_and_idle_time_counts_from_a_wake() {
        let with = |(name, mut dir): (String, Dir), f: &dyn Fn(&mut PreviewMeta)| {
            if let Status::Live(m) = &mut dir.status {
                f(m);
            }
            (name, dir)
        };
        let woke = parse_time("2026-01-03T23:00:00Z").unwrap();
        let metas = BTreeMap::from([
            with(meta("shop-pr-1", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "1h"), &|m| {
                m.kept = Keep::Indefinitely;
            }),
            meta("shop-pr-2", "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "48h"),
            with(meta("shop-pr-3", "2026-01-03T00:00:00Z", "2026-01-03T00:00:00Z", "48h"), &|m| {
                m.woken = Some(woke);
            }),
            with(meta("shop-pr-4", "2026-01-03T00:00:00Z", "2026-01-03T00:00:00Z", "48h"), &|m| {
                m.sleeping = Some(woke);
            }),
        ]);
        let mut p = policy("2026-01-04T06:00:00Z", None, Some(3));
        p.sleep_after = Some(Duration::parse("8h").unwrap());
        let plan = plan(&metas, &p);
        assert_eq!(gone(&plan), [("shop-pr-2", Reason::OverMax)], "the kept one is the oldest and expired");
        assert_eq!(plan.keep.iter().map(|k| k.until.as_str()).collect::<Vec<_>>(), ["indefinitely"]);
        assert_eq!(plan.keep[0].expires, "2026-01-01T01:00:00Z");
        assert!(plan.sleep.is_empty(), "pr-3 woke 7h ago, pr-4 sleeps already: {:?}", plan.sleep);
        p.now = parse_time("2026-01-04T07:00:00Z").unwrap();
        let plan = super::plan(&metas, &p);
        assert_eq!(plan.sleep.iter().map(|s| s.namespace.as_str()).collect::<Vec<_>>(), ["shop-pr-3"]);
        assert_eq!(
            plan.sleep[0].detail,
            "idle since 2026-01-03T23:00:00Z (--sleep-after 8h, due 2026-01-04T07:00:00Z)"
        );
    }

    #[test]
    fn unreadable_metadata_is_skipped_not_removed() {
        let mut metas = BTreeMap::from([meta("shop-pr-1", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", "1h")]);
        metas.insert(
            "notes".into(),
            Dir { status: Status::Unreadable("no preview.json in it".into()), manifests: None },
        );
        let plan = plan(&metas, &policy("2026-01-01T00:00:00Z", None, Some(0)));
        assert_eq!(gone(&plan), [("shop-pr-1", Reason::Expired)]);
        assert_eq!(plan.skipped, [Skipped { path: "previews/notes".into(), reason: "no preview.json in it".into() }]);
    }

    #[test]
    fn purges_what_was_removed_more_than_the_grace_ago() {
        let tombstone = |name: &str, removed: &str| {
            let (_, dir) = meta(name, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "48h");
            let Status::Live(meta) = dir.status else { unreachable!() };
            let t = Tombstone { meta, removed: parse_time(removed).unwrap(), reason: UNPUBLISHED.into() };
            (name.to_owned(), Dir { status: Status::Removed(t), manifests: None })
        };
        let dirs = BTreeMap::from([
            tombstone("shop-pr-1", "2026-01-01T10:00:00Z"),
            tombstone("shop-pr-2", "2026-01-01T10:00:01Z"),
        ]);
        let plan = plan(&dirs, &policy("2026-01-01T11:00:00Z", None, Some(0)));
        let purged: Vec<&str> = plan.purge.iter().map(|p| p.namespace.as_str()).collect();
        assert_eq!(purged, ["shop-pr-1"]);
        assert_eq!((plan.previews, plan.remove.len()), (0, 0), "removed previews do not count against --max");
    }
}
