//! What `publish`, `unpublish`, `gc`, `keep` and `wake` say on stderr about what they did, one line each, for the
//! caller to print. Pure: the branch, the remote and the clock are given.

use std::path::Path;

use jiff::Timestamp;

use super::gc::{Collected, Plan};
use super::keep::Changed;
use super::land::Push;
use super::meta::{Keep, format_time};
use super::publish::{Publication, Published};
use super::repo::Oid;
use super::unpublish::{Unpublish, Unpublished, by_app};

/// Where `commit` landed: `abc1234 on main`, with `push` `abc1234 on main and origin/main`.
pub fn landed(commit: Option<&Oid>, branch: &str, push: Option<&Push>) -> String {
    let commit = commit.map_or("?", |c| c.short());
    match push {
        Some(p) => format!("{commit} on {branch} and {}/{branch}", p.remote),
        None => format!("{commit} on {branch}"),
    }
}

/// What publishing `p` did on `branch`: the commit (or that there was nothing to commit), a
/// wake, the cap's evictions and what it could not hold, and a warning when the preview's expiry
/// is already past at `clock` (the next gc removes it).
pub fn published(
    p: &Publication,
    done: &Published,
    branch: &str,
    push: Option<&Push>,
    clock: Timestamp,
) -> Vec<String> {
    let dir = format!("previews/{}", p.namespace);
    let mut lines = Vec::new();
    lines.push(match &done.commit {
        None => {
            let holder = push.map_or_else(|| branch.to_owned(), |push| format!("{}/{branch}", push.remote));
            format!("{dir} on {holder} already holds exactly this; nothing to commit")
        }
        Some(commit) => format!(
            "{} {dir} ({} objects, PR #{}, expires {}): {}",
            if done.existed { "updated" } else { "published" },
            p.files.len(),
            p.pr,
            format_time(done.meta.expires()),
            landed(Some(commit), branch, push)
        ),
    });
    if let Some(since) = done.woke {
        lines.push(format!("woke {dir}: it slept since {}", format_time(since)));
    }
    let max = p.max.unwrap_or_default();
    for m in &done.evicted {
        lines.push(format!(
            "took down previews/{} (app {}, PR #{}, created {}): oldest unkept beyond --max {max}",
            m.namespace,
            m.app,
            m.pr,
            format_time(m.created)
        ));
    }
    if done.over_max_kept > 0 {
        let one = done.over_max_kept == 1;
        lines.push(format!(
            "warning: {} more preview{} than --max {max} stay{}: kept previews are never taken down, nor by a \
             publish its own preview (the next `gc --max {max}` takes down the oldest unkept ones, this one too \
             if it is among them)",
            done.over_max_kept,
            if one { "" } else { "s" },
            if one { "s" } else { "" }
        ));
    }
    if !done.meta.kept.holds_at(clock) && done.meta.expires() <= clock {
        lines.push(format!(
            "warning: {dir} expires at {}, already past (--now {} + ttl {}); the next gc removes it",
            format_time(done.meta.expires()),
            format_time(p.now),
            p.ttl
        ));
    }
    lines
}

/// What unpublishing `request` from the repository at `dir` did: directories it left alone, what
/// it removed, or that there was nothing to remove (with a warning when only other apps have
/// previews of the pull request, which a wrong `--app` would otherwise leak until gc).
pub fn unpublished(
    request: &Unpublish<'_>,
    done: &Unpublished,
    dir: &Path,
    branch: &str,
    push: Option<&Push>,
) -> Vec<String> {
    let mut lines: Vec<String> =
        done.unreadable.iter().map(|(name, reason)| format!("warning: left previews/{name} alone: {reason}")).collect();
    if !done.removed.is_empty() {
        let names: Vec<&str> = done.removed.iter().map(|m| m.namespace.as_str()).collect();
        lines.push(format!("removed {}: {}", names.join(", "), landed(done.commit.as_ref(), branch, push)));
        return lines;
    }
    let of_app = request.app.map(|a| format!(" of app {a}")).unwrap_or_default();
    let already: Vec<String> =
        done.already.iter().map(|t| format!("{} (removed {})", t.meta.namespace, format_time(t.removed))).collect();
    let note = if already.is_empty() { String::new() } else { format!(" (already removed: {})", already.join(", ")) };
    lines.push(format!("no preview of PR #{}{of_app} in {}{note}; nothing to do", request.pr, dir.display()));
    if !done.others.is_empty() && done.already.is_empty() {
        lines.push(format!(
            "warning: PR #{} has previews of other apps: {}; if one of them is this pull request's, --app is wrong \
             (it must be the spec's metadata.name)",
            request.pr,
            by_app(done.others.iter()).join(", ")
        ));
    }
    lines
}

/// What a gc that was carried out did.
pub fn collected(done: &Collected, branch: &str, push: Option<&Push>) -> String {
    match &done.commit {
        None => format!("nothing to remove among {} previews", done.plan.previews),
        Some(commit) => format!(
            "removed {} of {} previews, put {} to sleep, purged {} removed earlier: {}",
            done.plan.remove.len(),
            done.plan.previews,
            done.plan.sleep.len(),
            done.plan.purge.len(),
            landed(Some(commit), branch, push)
        ),
    }
}

/// What a gc plan, carried out or not, warns of: kept previews beyond `--max`, directories left
/// alone.
pub fn gc_warnings(plan: &Plan) -> Vec<String> {
    let mut lines = Vec::new();
    if plan.over_max_kept > 0 {
        let (previews, stay) = if plan.over_max_kept == 1 { ("preview", "stays") } else { ("previews", "stay") };
        lines.push(format!(
            "warning: {} more {previews} than --max {stay} because {} kept (`kpreview keep`)",
            plan.over_max_kept,
            if plan.over_max_kept == 1 { "it is" } else { "they are" }
        ));
    }
    lines.extend(plan.skipped.iter().map(|s| format!("warning: left {} alone: {}", s.path, s.reason)));
    lines
}

/// What `kpreview keep` did: the previews it now keeps as `keep` says, or that they already were.
pub fn kept(keep: Keep, done: &Changed, branch: &str, push: Option<&Push>) -> String {
    let (verb, unchanged) = match keep {
        Keep::No => ("stopped keeping".to_owned(), "was not kept"),
        Keep::Until(until) => (format!("kept until {}", format_time(until)), "is already kept so"),
        Keep::Indefinitely => ("kept until `kpreview keep --off`".to_owned(), "is already kept so"),
    };
    changed(done, &verb, unchanged, branch, push)
}

/// What `kpreview wake` did: the previews it woke, or that they are awake.
pub fn woke(done: &Changed, branch: &str, push: Option<&Push>) -> String {
    changed(done, "woke", "is awake", branch, push)
}

fn changed(done: &Changed, verb: &str, unchanged: &str, branch: &str, push: Option<&Push>) -> String {
    match &done.commit {
        None => {
            let names: Vec<&str> = done.previews.iter().map(|m| m.namespace.as_str()).collect();
            format!("{} {unchanged}; nothing to commit", names.join(", "))
        }
        Some(commit) => format!("{verb} {}: {}", done.changed.join(", "), landed(Some(commit), branch, push)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gitops::meta::{PreviewMeta, Tombstone, parse_time};
    use crate::k8s::Duration;

    const COMMIT: &str = "89abcdef0123456789abcdef0123456789abcdef";

    fn time(text: &str) -> Timestamp {
        parse_time(text).unwrap()
    }

    fn meta(namespace: &str, pr: u64, created: &str) -> PreviewMeta {
        PreviewMeta {
            app: "shop".into(),
            namespace: namespace.into(),
            pr,
            sha: "4f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d".into(),
            branch: None,
            created: time(created),
            updated: time("2026-11-21T10:00:00Z"),
            ttl: Duration::parse("48h").unwrap(),
            kept: Keep::No,
            sleeping: None,
            woken: None,
        }
    }

    fn publication(max: Option<usize>) -> Publication {
        Publication {
            app: "shop".into(),
            namespace: "shop-pr-7".into(),
            pr: 7,
            sha: "4f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d".into(),
            branch: None,
            ttl: Duration::parse("48h").unwrap(),
            files: vec![("000-namespace-shop-pr-7.yaml".into(), String::new()); 3],
            now: time("2026-11-21T10:00:00Z"),
            force: false,
            max,
        }
    }

    fn done(commit: Option<&str>) -> Published {
        Published {
            meta: meta("shop-pr-7", 7, "2026-11-20T08:00:00Z"),
            existed: false,
            commit: commit.and_then(Oid::parse),
            pushed: false,
            evicted: Vec::new(),
            over_max_kept: 0,
            woke: None,
        }
    }

    fn origin() -> Push {
        Push { remote: "origin".into(), attempts: None }
    }

    const BEFORE: &str = "2026-11-21T11:00:00Z";

    #[test]
    fn a_publish_says_where_it_landed_or_that_nothing_changed() {
        let clock = time(BEFORE);
        assert_eq!(
            published(&publication(None), &done(Some(COMMIT)), "main", None, clock),
            ["published previews/shop-pr-7 (3 objects, PR #7, expires 2026-11-23T10:00:00Z): 89abcde on main"]
        );
        let updated = Published { existed: true, ..done(Some(COMMIT)) };
        assert_eq!(
            published(&publication(None), &updated, "main", Some(&origin()), clock),
            ["updated previews/shop-pr-7 (3 objects, PR #7, expires 2026-11-23T10:00:00Z): 89abcde on main and \
                 origin/main"]
        );
        assert_eq!(
            published(&publication(None), &done(None), "main", None, clock),
            ["previews/shop-pr-7 on main already holds exactly this; nothing to commit"]
        );
        assert_eq!(
            published(&publication(None), &done(None), "main", Some(&origin()), clock),
            ["previews/shop-pr-7 on origin/main already holds exactly this; nothing to commit"]
        );
    }

    #[test]
    fn a_publish_says_what_it_woke_and_what_the_cap_took_down_or_could_not() {
        let done = Published {
            woke: Some(time("2026-11-20T20:00:00Z")),
            evicted: vec![meta("shop-pr-1", 1, "2026-11-01T00:00:00Z")],
            over_max_kept: 1,
            ..done(Some(COMMIT))
        };
        let lines = published(&publication(Some(2)), &done, "main", None, time(BEFORE));
        assert_eq!(
            lines[1..],
            [
                "woke previews/shop-pr-7: it slept since 2026-11-20T20:00:00Z",
                "took down previews/shop-pr-1 (app shop, PR #1, created 2026-11-01T00:00:00Z): oldest unkept beyond --max 2",
                "warning: 1 more preview than --max 2 stays: kept previews are never taken down, nor by a publish its own preview (the next `gc --max 2` takes down the oldest unkept ones, this one too if it is among them)",
            ]
        );
        let two = Published { over_max_kept: 2, ..done };
        let lines = published(&publication(Some(2)), &two, "main", None, time(BEFORE));
        assert_eq!(
            lines.last().unwrap(),
            "warning: 2 more previews than --max 2 stay: kept previews are never taken down, nor by a publish its own preview (the next `gc --max 2` takes down the oldest unkept ones, this one too if it is among them)"
        );
    }

    #[test]
    fn a_publish_already_expired_at_the_clock_is_a_warning_unless_kept() {
        let past = time("2026-11-23T10:00:00Z");
        let lines = published(&publication(None), &done(Some(COMMIT)), "main", None, past);
        assert_eq!(
            lines.last().unwrap(),
            "warning: previews/shop-pr-7 expires at 2026-11-23T10:00:00Z, already past (--now 2026-11-21T10:00:00Z + \
             ttl 48h); the next gc removes it"
        );
        let mut kept = done(Some(COMMIT));
        kept.meta.kept = Keep::Indefinitely;
        assert_eq!(published(&publication(None), &kept, "main", None, past).len(), 1);
        kept.meta.kept = Keep::Until(time("2026-11-23T09:00:00Z"));
        assert_eq!(published(&publication(None), &kept, "main", None, past).len(), 2, "a keep that ended");
    }

    fn unpublished_of(app: Option<&str>, done: &Unpublished) -> Vec<String> {
        let request = Unpublish { pr: 7, app, now: time(BEFORE), force: false };
        unpublished(&request, done, Path::new("gitops"), "main", Some(&origin()))
    }

    fn nothing() -> Unpublished {
        Unpublished {
            removed: Vec::new(),
            already: Vec::new(),
            unreadable: Vec::new(),
            others: Vec::new(),
            commit: None,
            pushed: false,
        }
    }

    #[test]
    fn an_unpublish_says_what_it_removed_and_left_alone() {
        let done = Unpublished {
            removed: vec![meta("shop-pr-7", 7, "2026-11-20T08:00:00Z")],
            unreadable: vec![("junk".into(), "preview.json is not JSON".into())],
            commit: Oid::parse(COMMIT),
            ..nothing()
        };
        assert_eq!(
            unpublished_of(None, &done),
            [
                "warning: left previews/junk alone: preview.json is not JSON",
                "removed shop-pr-7: 89abcde on main and origin/main",
            ]
        );
    }

    #[test]
    fn an_unpublish_of_nothing_says_what_was_already_removed_or_which_apps_have_previews() {
        assert_eq!(unpublished_of(None, &nothing()), ["no preview of PR #7 in gitops; nothing to do"]);
        let gone = Tombstone {
            meta: meta("shop-pr-7", 7, "2026-11-20T08:00:00Z"),
            removed: time("2026-11-21T12:00:00Z"),
            reason: "unpublished".into(),
        };
        let others = vec![PreviewMeta { app: "billing".into(), ..meta("billing-pr-7", 7, "2026-11-20T08:00:00Z") }];
        let already = Unpublished { already: vec![gone], others: others.clone(), ..nothing() };
        assert_eq!(
            unpublished_of(Some("shop"), &already),
            ["no preview of PR #7 of app shop in gitops (already removed: shop-pr-7 (removed 2026-11-21T12:00:00Z)); \
                 nothing to do"]
        );
        let lines = unpublished_of(Some("shop"), &Unpublished { others, ..nothing() });
        assert_eq!(lines.len(), 2);
        assert!(
            lines[1].starts_with("warning: PR #7 has previews of other apps: billing (billing-pr-7); if one"),
            "{}",
            lines[1]
        );
    }

    #[test]
    fn keep_and_wake_say_what_changed_or_that_nothing_did() {
        let changed = Changed {
            previews: vec![meta("shop-pr-7", 7, "2026-11-20T08:00:00Z")],
            changed: vec!["shop-pr-7".into()],
            commit: Oid::parse(COMMIT),
            pushed: true,
        };
        let until = Keep::Until(time("2026-12-24T18:00:00Z"));
        assert_eq!(
            kept(until, &changed, "main", Some(&origin())),
            "kept until 2026-12-24T18:00:00Z shop-pr-7: 89abcde on main and origin/main"
        );
        assert_eq!(
            kept(Keep::Indefinitely, &changed, "main", None),
            "kept until `kpreview keep --off` shop-pr-7: 89abcde on main"
        );
        assert_eq!(kept(Keep::No, &changed, "main", None), "stopped keeping shop-pr-7: 89abcde on main");
        assert_eq!(woke(&changed, "main", None), "woke shop-pr-7: 89abcde on main");
        let same = Changed { changed: Vec::new(), commit: None, pushed: false, ..changed };
        assert_eq!(kept(until, &same, "main", None), "shop-pr-7 is already kept so; nothing to commit");
        assert_eq!(kept(Keep::No, &same, "main", None), "shop-pr-7 was not kept; nothing to commit");
        assert_eq!(woke(&same, "main", None), "shop-pr-7 is awake; nothing to commit");
    }

    #[test]
    fn gc_warns_of_kept_previews_beyond_the_cap_in_the_right_number() {
        let plan = |over_max_kept| Plan {
            now: "2026-11-21T10:00:00Z".into(),
            ttl: None,
            max: Some(1),
            grace: "24h".into(),
            previews: 3,
            kept: 3,
            remove: Vec::new(),
            purge: Vec::new(),
            skipped: Vec::new(),
            sleep_after: None,
            keep: Vec::new(),
            sleep: Vec::new(),
            over_max_kept,
        };
        assert!(gc_warnings(&plan(0)).is_empty());
        assert_eq!(
            gc_warnings(&plan(1)),
            ["warning: 1 more preview than --max stays because it is kept (`kpreview keep`)"]
        );
        assert_eq!(
            gc_warnings(&plan(2)),
            ["warning: 2 more previews than --max stay because they are kept (`kpreview keep`)"]
        );
    }
}
