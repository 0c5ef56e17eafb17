//! The plan for a terminal: the preview at a glance, then its hosts, data stores and seeds,
//! services (in the order they start) with their dependencies, and every object in sync order,
//! in aligned columns. Styled with ANSI escapes when asked; the binary prints through
//! `anstream`, which drops them unless stdout is a terminal and `NO_COLOR` is unset.

use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use super::escape::visible;
use super::types::{Edge, EdgeKind, Phase, Plan, PlanObject, SeedPlan, Slot};

const HEADING: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const NAME: Style = Style::new().bold();

/// A cell of a table.
struct Cell {
    text: String,
    style: Style,
}

fn cell(text: impl AsRef<str>, style: Style) -> Cell {
    Cell { text: visible(text.as_ref()).into_owned(), style }
}

fn plain(text: impl AsRef<str>) -> Cell {
    cell(text, Style::new())
}

/// The plan as text; with `styled`, with ANSI colours and weights.
pub fn text(plan: &Plan, styled: bool) -> String {
    let paint = |text: &str, style: Style| if styled { format!("{style}{text}{style:#}") } else { text.to_owned() };
    let mut out = String::new();
    let pr = &plan.pull_request;
    let mut about = format!("pull request #{}", pr.number);
    match (&pr.branch, &pr.head_sha) {
        (Some(branch), Some(sha)) => {
            let _ = write!(about, ", {branch} at {}", short(sha));
        }
        (Some(branch), None) => {
            let _ = write!(about, ", {branch}");
        }
        (None, Some(sha)) => {
            let _ = write!(about, " at {}", short(sha));
        }
        (None, None) => {}
    }
    let _ = writeln!(
        out,
        "{} {} ({}, {})",
        paint("Preview", HEADING),
        paint(&visible(&plan.namespace), NAME),
        visible(&plan.app),
        visible(&about)
    );
    let _ = writeln!(out, "Expires {} after its last publish.", plan.ttl);

    if !plan.hosts.is_empty() {
        section(&mut out, &paint("Hosts", HEADING));
        let rows = plan.hosts.iter().map(|h| vec![cell(&h.service, NAME), plain(&h.url)]).collect();
        out.push_str(&table(rows, styled));
    }

    if !plan.stores.is_empty() {
        section(&mut out, &paint("Data stores and their seeds", HEADING));
        let rows = plan
            .stores
            .iter()
            .map(|s| {
                vec![
                    cell(&s.name, NAME),
                    plain(&s.engine),
                    plain(&s.storage),
                    plain(format!("{} wave {}", s.phase.as_str(), s.wave)),
                    plain(seed(&s.seed)),
                ]
            })
            .collect();
        out.push_str(&table(rows, styled));
    }

    if !plan.services.is_empty() {
        section(&mut out, &paint("Services and what they depend on", HEADING));
        let mut rows = Vec::new();
        let mut services: Vec<_> = plan.services.iter().collect();
        services.sort_by_key(|s| (s.phase, s.wave, &s.name));
        for service in services {
            let lead =
                || vec![cell(&service.name, NAME), plain(format!("{} wave {}", service.phase.as_str(), service.wave))];
            if service.depends_on.is_empty() {
                let mut row = lead();
                row.push(cell("(nothing)", DIM));
                rows.push(row);
            }
            for (i, dep) in service.depends_on.iter().enumerate() {
                let mut row = if i == 0 { lead() } else { vec![plain(""), plain("")] };
                row.extend([
                    plain(format!("-> {}", dep.name)),
                    dependency_kind(dep),
                    cell(dep.env.as_deref().unwrap_or("(no URL: orders the rollout)"), DIM),
                    plain(dep.url.as_deref().unwrap_or_default()),
                ]);
                rows.push(row);
            }
        }
        out.push_str(&table(rows, styled));
    }

    section(&mut out, &paint("Sync order", HEADING));
    out.push_str(&paint(
        "  Argo CD applies each step once every object of the one before is healthy; PostDelete runs when the preview is deleted.\n",
        DIM,
    ));
    let mut rows = Vec::new();
    for (i, step) in plan.steps.iter().enumerate() {
        for (j, object) in step.objects.iter().enumerate() {
            let label = if j == 0 { format!("{}  {}", i + 1, step.slot()) } else { String::new() };
            rows.push(vec![
                cell(label, phase_style(step.phase)),
                plain(&object.kind),
                cell(&object.name, NAME),
                plain(object.namespace.as_deref().unwrap_or("(cluster)")),
                cell(note(object), DIM),
            ]);
        }
    }
    out.push_str(&table(rows, styled));
    out
}

fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

fn section(out: &mut String, title: &str) {
    out.push('\n');
    out.push_str(title);
    out.push('\n');
}

fn seed(seed: &SeedPlan) -> String {
    match seed {
        SeedPlan::Empty => "starts empty".to_owned(),
        SeedPlan::Velero { backup, base_namespace, job, .. } => format!(
            "Velero backup {backup} of {base_namespace}, restored by Job {} ({} wave {})",
            job.name,
            job.phase.as_str(),
            job.wave
        ),
        SeedPlan::Snapshot { handle, driver, tags, .. } => {
            let mut text = format!("snapshot {handle} ({driver})");
            if let Some(tags) = tags {
                let tags: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let _ = write!(text, ", locked from tags {}", tags.join(", "));
            }
            text
        }
        SeedPlan::Image { image } => format!("seed image {image}"),
    }
}

fn dependency_kind(dep: &Edge) -> Cell {
    match dep.kind {
        EdgeKind::Service => cell("preview service", Style::new().fg_color(Some(AnsiColor::Blue.into()))),
        EdgeKind::Store => cell(
            format!("data store ({})", dep.engine.as_deref().unwrap_or_default()),
            Style::new().fg_color(Some(AnsiColor::Magenta.into())),
        ),
        EdgeKind::OtherPreview => cell(
            format!("pull request #{} ({})", dep.pr.unwrap_or_default(), dep.namespace.as_deref().unwrap_or_default()),
            Style::new().fg_color(Some(AnsiColor::Cyan.into())),
        ),
        EdgeKind::Url => cell("URL", Style::new().fg_color(Some(AnsiColor::Green.into()))),
        EdgeKind::Staging => cell("staging", Style::new().fg_color(Some(AnsiColor::Yellow.into()))),
    }
}

fn phase_style(phase: Phase) -> Style {
    let color = match phase {
        Phase::PreSync => AnsiColor::Magenta,
        Phase::Sync => AnsiColor::Cyan,
        Phase::PostDelete => AnsiColor::Yellow,
    };
    Style::new().bold().fg_color(Some(color.into()))
}

fn note(object: &PlanObject) -> String {
    let mut notes = Vec::new();
    if object.hook {
        notes.push(match object.hook_delete_policy.as_deref() {
            Some("BeforeHookCreation") => "hook, kept until the next sync".to_owned(),
            Some("BeforeHookCreation,HookSucceeded") => "hook, deleted once it succeeds".to_owned(),
            Some(policy) => format!("hook, {policy}"),
            None => "hook".to_owned(),
        });
    }
    if let Some(Slot { phase, wave }) = object.applied_with {
        notes.push(format!("Argo CD applies it first, with {} wave {wave}", phase.as_str()));
    }
    notes.join("; ")
}

/// Rows in aligned columns, two spaces in front and between; no trailing spaces.
fn table(rows: Vec<Vec<Cell>>, styled: bool) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().filter_map(|r| r.get(c)).map(|cell| cell.text.chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let last = row.iter().rposition(|c| !c.text.is_empty()).unwrap_or(0);
        out.push_str("  ");
        for (c, cell) in row.iter().enumerate().take(last + 1) {
            if styled && !cell.text.is_empty() {
                let _ = write!(out, "{}{}{:#}", cell.style, cell.text, cell.style);
            } else {
                out.push_str(&cell.text);
            }
            if c < last {
                out.push_str(&" ".repeat(widths[c] - cell.text.chars().count() + 2));
            }
        }
        out.push('\n');
    }
    out
}
