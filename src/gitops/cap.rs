//! The cap on live previews (`--max`): which go when there are too many. The first created go
//! first (FIFO); a kept preview and the one being published never go, though they count.

use jiff::Timestamp;

use super::meta::PreviewMeta;

/// What the cap takes down.
#[derive(Debug)]
pub struct Evictions<'a> {
    /// The previews that go, oldest first.
    pub evicted: Vec<&'a PreviewMeta>,
    /// How many more would have to go for the cap to hold, when only kept (or spared) previews
    /// are left to take; zero when it holds.
    pub unmet: usize,
}

/// The previews of `live` to take down so that at most `max` remain, at `now`; never a kept one
/// and never the one in namespace `spare`.
pub fn evictions<'a>(live: &[&'a PreviewMeta], max: usize, now: Timestamp, spare: Option<&str>) -> Evictions<'a> {
    let over = live.len().saturating_sub(max);
    let mut candidates: Vec<&PreviewMeta> =
        live.iter().copied().filter(|m| !m.kept.holds_at(now) && spare != Some(m.namespace.as_str())).collect();
    // FIFO: the first created go first; a tie goes to the one published least recently, then to
    // the namespace, so the same repository always yields the same choice.
    candidates.sort_by(|a, b| {
        a.created.cmp(&b.created).then(a.updated.cmp(&b.updated)).then_with(|| a.namespace.cmp(&b.namespace))
    });
    candidates.truncate(over);
    let unmet = over - candidates.len();
    Evictions { evicted: candidates, unmet }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gitops::meta::{Keep, parse_time};
    use crate::k8s::Duration;

    fn meta(pr: u64, created: &str, kept: Keep) -> PreviewMeta {
        PreviewMeta {
            app: "shop".into(),
            namespace: format!("shop-pr-{pr}"),
            pr,
            sha: "abc".into(),
            branch: None,
            created: parse_time(created).unwrap(),
            updated: parse_time(created).unwrap(),
            ttl: Duration::parse("48h").unwrap(),
            kept,
            sleeping: None,
            woken: None,
        }
    }

    #[test]
    fn the_oldest_unkept_go_and_the_spared_one_stays() {
        let now = parse_time("2026-01-10T00:00:00Z").unwrap();
        let previews = [
            meta(1, "2026-01-01T00:00:00Z", Keep::Indefinitely),
            meta(2, "2026-01-02T00:00:00Z", Keep::Until(parse_time("2026-01-09T00:00:00Z").unwrap())),
            meta(3, "2026-01-03T00:00:00Z", Keep::No),
            meta(4, "2026-01-04T00:00:00Z", Keep::No),
            meta(5, "2025-01-01T00:00:00Z", Keep::No),
        ];
        let live: Vec<&PreviewMeta> = previews.iter().collect();
        let gone = |e: Evictions| (e.evicted.iter().map(|m| m.pr).collect::<Vec<_>>(), e.unmet);
        assert_eq!(
            gone(evictions(&live, 2, now, Some("shop-pr-5"))),
            (vec![2, 3, 4], 0),
            "a keep that ended holds no more"
        );
        assert_eq!(gone(evictions(&live, 5, now, None)), (vec![], 0));
        assert_eq!(gone(evictions(&live, 0, now, Some("shop-pr-5"))), (vec![2, 3, 4], 2));
    }
}
