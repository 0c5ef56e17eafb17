//! `kpreview plan`: what a preview will create and in what order, from the same model and render
//! as `kpreview render`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};

use kpreview::plan::{Format, Plan};
use kpreview::render;

use super::input::{PolicyArgs, PrArgs, load};

const AFTER_HELP: &str = "\
Examples:
  kpreview plan                                      # ./preview.yaml as a table in the terminal
  kpreview plan examples/shop/preview.yaml --pr 42 --sha 4f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d
  kpreview plan --format markdown > comment.md       # summary and diagram for a PR comment
  kpreview plan --format dot | dot -Tsvg > plan.svg  # a picture with Graphviz
  kpreview plan --format json | jq '.steps[] | {phase, wave}'

The plan is read off the same render as `kpreview render`, so it cannot disagree with the
manifests. The JSON is documented in docs/plan-json.md. Colour only on a terminal, never with
NO_COLOR set.";

#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub struct PlanArgs {
    /// The spec; `-` reads stdin.
    #[arg(default_value = "preview.yaml")]
    spec: PathBuf,
    #[command(flatten)]
    pr: PrArgs,
    #[command(flatten)]
    policy: PolicyArgs,
    /// What to print.
    #[arg(short, long, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    /// Aligned columns for a terminal.
    Text,
    /// A summary and a Mermaid diagram for a pull-request comment.
    Markdown,
    /// A Mermaid flowchart.
    Mermaid,
    /// A Graphviz graph (`dot -Tsvg`).
    Dot,
    /// The plan as data (docs/plan-json.md).
    Json,
}

impl From<FormatArg> for Format {
    fn from(arg: FormatArg) -> Self {
        match arg {
            FormatArg::Text => Format::Text,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Mermaid => Format::Mermaid,
            FormatArg::Dot => Format::Dot,
            FormatArg::Json => Format::Json,
        }
    }
}

pub fn plan(args: &PlanArgs) -> anyhow::Result<()> {
    let (_, model, _) = load(&args.spec, &args.pr.inputs(), &args.policy.load()?)?;
    let manifests = render(&model);
    let plan = Plan::of(&model, &manifests)?;
    let format = Format::from(args.format);
    // Styles are always written for text; anstream strips them unless stdout is a terminal
    // that takes colour and NO_COLOR is unset.
    let text = plan.write(format, format == Format::Text)?;
    let mut stdout = anstream::stdout().lock();
    stdout.write_all(text.as_bytes()).context("cannot write to stdout")?;
    stdout.flush().context("cannot write to stdout")?;
    Ok(())
}
