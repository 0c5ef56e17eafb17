//! Reading a Restore's status: where it stands, a one-line summary for progress logs, and the
//! details a failure is reported with.

use super::crd::RestoreStatus;

/// The phase Velero ends a good restore in.
pub const COMPLETED: &str = "Completed";
/// The phases Velero ends a bad restore in.
pub const FAILED: [&str; 3] = ["PartiallyFailed", "Failed", "FailedValidation"];

/// Where a Restore stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Not yet picked up, or still running (including Velero's finalizing phases).
    Running,
    /// `Completed`: every item restored (warnings allowed).
    Completed,
    /// `PartiallyFailed`, `Failed` or `FailedValidation`.
    Failed,
}

/// Where `status` stands.
pub fn outcome(status: Option<&RestoreStatus>) -> Outcome {
    match status.and_then(|s| s.phase.as_deref()) {
        Some(COMPLETED) => Outcome::Completed,
        Some(phase) if FAILED.contains(&phase) => Outcome::Failed,
        _ => Outcome::Running,
    }
}

/// How many items a `Completed` restore of `stores` seeded stores (every claim when 0) restored,
/// when that is too few to have seeded them; `None` when it is enough, or when Velero reported
/// no count. Velero counts every item it restored (claims, volumes, snapshot objects, Secrets),
/// and each store needs at least its claim: so this catches a restore that found nothing of a
/// store to restore (the usual cause: base claims without the `kpreview.dev/store` label), but
/// not one that restored one store of two.
pub fn too_few_items(status: Option<&RestoreStatus>, stores: usize) -> Option<i64> {
    let restored = status?.progress.as_ref()?.items_restored?;
    let needed = i64::try_from(stores.max(1)).unwrap_or(i64::MAX);
    (restored < needed).then_some(restored)
}

/// The phase, or what an empty one means.
pub fn phase(status: Option<&RestoreStatus>) -> &str {
    match status.and_then(|s| s.phase.as_deref()) {
        Some(phase) if !phase.is_empty() => phase,
        _ => "New",
    }
}

/// `InProgress: 3/10 items restored, 1 warning, 0 errors`.
pub fn summary(status: Option<&RestoreStatus>) -> String {
    let mut parts = Vec::new();
    if let Some(progress) = status.and_then(|s| s.progress.as_ref()) {
        match (progress.items_restored, progress.total_items) {
            (Some(done), Some(total)) => parts.push(format!("{done}/{total} items restored")),
            (Some(done), None) => parts.push(format!("{done} items restored")),
            _ => {}
        }
    }
    if let Some(status) = status {
        parts.push(counted(status.warnings.unwrap_or(0), "warning"));
        parts.push(counted(status.errors.unwrap_or(0), "error"));
    }
    let phase = phase(status);
    let phase =
        if status.and_then(|s| s.phase.as_deref()).is_none() { "New (not yet picked up by Velero)" } else { phase };
    if parts.is_empty() { phase.to_owned() } else { format!("{phase}: {}", parts.join(", ")) }
}

/// Everything Velero says about a failure: counts, validation errors and the failure reason.
pub fn details(status: Option<&RestoreStatus>) -> String {
    let Some(status) = status else {
        return "no status".to_owned();
    };
    let mut parts =
        vec![counted(status.errors.unwrap_or(0), "error"), counted(status.warnings.unwrap_or(0), "warning")];
    if !status.validation_errors.is_empty() {
        parts.push(format!("validation errors: {}", status.validation_errors.join("; ")));
    }
    if let Some(reason) = status.failure_reason.as_deref().filter(|r| !r.is_empty()) {
        parts.push(format!("failure reason: {reason}"));
    }
    parts.join("; ")
}

fn counted(n: i64, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::restore::crd::RestoreProgress;

    fn status(phase: &str) -> RestoreStatus {
        RestoreStatus { phase: Some(phase.to_owned()), ..RestoreStatus::default() }
    }

    #[test]
    fn only_completed_succeeds_and_finalizing_is_still_running() {
        assert_eq!(outcome(Some(&status("Completed"))), Outcome::Completed);
        for phase in FAILED {
            assert_eq!(outcome(Some(&status(phase))), Outcome::Failed, "{phase}");
        }
        for phase in ["New", "InProgress", "WaitingForPluginOperations", "Finalizing", "FinalizingPartiallyFailed", ""]
        {
            assert_eq!(outcome(Some(&status(phase))), Outcome::Running, "{phase}");
        }
        assert_eq!(outcome(None), Outcome::Running);
    }

    #[test]
    fn a_completed_restore_needs_an_item_per_store() {
        let counted = |restored| {
            let mut s = status("Completed");
            s.progress = Some(RestoreProgress { items_restored: Some(restored), total_items: Some(restored) });
            s
        };
        assert_eq!(too_few_items(Some(&counted(0)), 0), Some(0));
        assert_eq!(too_few_items(Some(&counted(1)), 2), Some(1));
        assert_eq!(too_few_items(Some(&counted(2)), 2), None);
        assert_eq!(too_few_items(Some(&counted(4)), 1), None);
        assert_eq!(too_few_items(Some(&status("Completed")), 2), None, "no count: nothing to judge");
        assert_eq!(too_few_items(None, 1), None);
    }

    #[test]
    fn summaries_show_progress_and_counts() {
        assert_eq!(summary(None), "New (not yet picked up by Velero)");
        let mut s = status("InProgress");
        s.progress = Some(RestoreProgress { items_restored: Some(3), total_items: Some(10) });
        s.warnings = Some(1);
        assert_eq!(summary(Some(&s)), "InProgress: 3/10 items restored, 1 warning, 0 errors");
    }

    #[test]
    fn details_carry_everything_velero_said() {
        let mut s = status("FailedValidation");
        s.validation_errors = vec!["backup not found".into(), "bad selector".into()];
        s.failure_reason = Some("boom".into());
        s.errors = Some(2);
        assert_eq!(
            details(Some(&s)),
            "2 errors; 0 warnings; validation errors: backup not found; bad selector; failure reason: boom"
        );
    }
}
