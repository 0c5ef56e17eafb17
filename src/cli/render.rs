//! `kpreview render`, `kpreview validate`, `kpreview schema`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use kpreview::spec::types::Preview;
use kpreview::{output, prepare, render as render_model};

use super::input::{PrArgs, load, read_lock, read_spec, warn};

pub const AFTER_HELP: &str = "\
Examples:
  kpreview render                                   # ./preview.yaml, PR fields from the spec or PREVIEW_*
  kpreview render examples/shop.yaml --pr 42 --sha 4f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d
  kpreview render preview.yaml -o rendered/          # one file per object, written atomically

A `preview.lock` next to the spec pins snapshots selected by tags (see `kpreview lock`).";

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The spec; `-` reads stdin.
    #[arg(default_value = "preview.yaml")]
    spec: PathBuf,
    #[command(flatten)]
    pr: PrArgs,
    /// Write one file per object into DIR (replaced as a whole, never half-written) instead of
    /// a YAML stream on stdout.
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Specs to check.
    #[arg(default_value = "preview.yaml")]
    specs: Vec<PathBuf>,
    #[command(flatten)]
    pr: PrArgs,
}

pub fn render(args: &RenderArgs) -> anyhow::Result<()> {
    let (_, model) = load(&args.spec, &args.pr.inputs()?)?;
    let manifests = render_model(&model);
    match &args.output {
        None => {
            let text = manifests.to_yaml()?;
            std::io::stdout().lock().write_all(text.as_bytes()).context("cannot write to stdout")?;
        }
        Some(dir) => {
            let files = manifests.files()?;
            output::replace_dir(dir, &files)?;
            eprintln!("wrote {} objects to {}", files.len(), dir.display());
        }
    }
    Ok(())
}

pub fn validate(args: &ValidateArgs) -> anyhow::Result<()> {
    let inputs = args.pr.inputs()?;
    let mut failed = None;
    for path in &args.specs {
        let spec = read_spec(path)?;
        let lock = read_lock(&spec.dir)?;
        match prepare(&spec.text, &spec.name, &inputs, lock.as_ref()) {
            Ok(model) => {
                warn(&spec.name, &model.warnings);
                eprintln!("ok: {}", spec.name);
            }
            Err(problems) => {
                eprintln!("error: {problems}");
                failed = Some(problems);
            }
        }
    }
    match failed {
        Some(problems) if args.specs.len() == 1 => Err(problems.into()),
        Some(_) => Err(super::Invalid("some specs are invalid".to_owned()).into()),
        None => Ok(()),
    }
}

pub fn schema() -> anyhow::Result<()> {
    let schema = schemars::schema_for!(Preview);
    let text = serde_json::to_string_pretty(&schema)?;
    println!("{text}");
    Ok(())
}
