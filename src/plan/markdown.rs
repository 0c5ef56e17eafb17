//! The plan for a pull-request comment: a few lines on the preview (namespace, expiry, hosts,
//! where each store's data comes from, what lives outside the preview), then the Mermaid
//! diagram, which GitHub draws.

use std::fmt::Write;

use super::build::PlanError;
use super::escape::{code, link};
use super::mermaid::mermaid;
use super::types::{EdgeKind, Plan, SeedPlan};
use crate::render::Manifests;
use crate::spec::model::Model;

/// The Markdown summary and diagram of the preview `manifests` were rendered from, for a
/// pull-request comment (what `kpreview publish` posts).
pub fn markdown_for(model: &Model, manifests: &Manifests) -> Result<String, PlanError> {
    Ok(markdown(&Plan::of(model, manifests)?))
}

/// The Markdown summary and diagram of `plan`.
pub fn markdown(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### Preview {}\n", code(&plan.namespace));
    let pr = &plan.pull_request;
    let mut about = format!("Pull request #{}", pr.number);
    match (&pr.branch, &pr.head_sha) {
        (Some(branch), Some(sha)) => {
            let _ = write!(about, " ({} at {})", code(branch), code(sha.get(..7).unwrap_or(sha)));
        }
        (Some(branch), None) => {
            let _ = write!(about, " ({})", code(branch));
        }
        (None, Some(sha)) => {
            let _ = write!(about, " (at {})", code(sha.get(..7).unwrap_or(sha)));
        }
        (None, None) => {}
    }
    let _ = writeln!(out, "{about}; the preview expires {} after its last publish.\n", code(plan.ttl.as_str()));
    if !plan.hosts.is_empty() {
        let hosts: Vec<String> = plan.hosts.iter().map(|h| link(&h.url)).collect();
        let _ = writeln!(out, "- **Hosts:** {}", hosts.join(", "));
    }
    if !plan.stores.is_empty() {
        out.push_str("- **Data stores:**\n");
        for store in &plan.stores {
            let _ = writeln!(
                out,
                "  - {} ({}, {}): {}",
                code(&store.name),
                store.engine,
                code(&store.storage),
                seed(&store.seed)
            );
        }
    }
    let outside = outside(plan);
    if !outside.is_empty() {
        let _ = writeln!(out, "- **Outside the preview:** {}", outside.join(", "));
    }
    let objects: usize = plan.steps.iter().map(|s| s.objects.len()).sum();
    let _ = writeln!(out, "- **Sync:** {objects} objects in {} steps, in this order:\n", plan.steps.len());
    out.push_str("```mermaid\n");
    out.push_str(&mermaid(plan));
    out.push_str("```\n\n");
    out.push_str(
        "_Arrows run from what comes first, or is used, to what needs it; dashed nodes are outside the preview._\n",
    );
    out
}

fn seed(seed: &SeedPlan) -> String {
    match seed {
        SeedPlan::Empty => "starts empty".to_owned(),
        SeedPlan::Velero { backup, base_namespace, .. } => {
            format!("Velero backup {} of {}", code(backup), code(base_namespace))
        }
        SeedPlan::Snapshot { handle, tags: Some(_), .. } => format!("snapshot {} (locked from tags)", code(handle)),
        SeedPlan::Snapshot { handle, .. } => format!("snapshot {}", code(handle)),
        SeedPlan::Image { image } => format!("seed image {}", code(image)),
    }
}

/// Every dependency outside the preview, once, in the order services name them, each Markdown
/// whose values are code spans or plain links (what the PR comment lists too).
pub fn outside(plan: &Plan) -> Vec<String> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for dep in plan.services.iter().flat_map(|s| &s.depends_on).filter(|d| d.kind.is_external()) {
        if seen.contains(&(dep.kind, &dep.name)) {
            continue;
        }
        seen.push((dep.kind, &dep.name));
        let where_ = match dep.kind {
            EdgeKind::OtherPreview => format!(
                "pull request #{}, {}",
                dep.pr.unwrap_or_default(),
                code(dep.namespace.as_deref().unwrap_or_default())
            ),
            EdgeKind::Url => link(dep.url.as_deref().unwrap_or_default()),
            _ => "staging".to_owned(),
        };
        out.push(format!("{} ({where_})", code(&dep.name)));
    }
    out
}
