//! `kpreview render`, `kpreview validate`, `kpreview schema`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use kpreview::fault::Fault;
use kpreview::policy::{Policy, prepare_loaded};
use kpreview::spec::defaults::{Inputs, PrField};
use kpreview::spec::load::load as load_spec;
use kpreview::spec::lockfile::Lock;
use kpreview::spec::model::Model;
use kpreview::spec::problem::Problems;
use kpreview::spec::reference;
use kpreview::{output, render as render_model};

use super::input::{LockBeside, PolicyArgs, PrArgs, SpecFile, load, read_spec, warn};

pub const AFTER_HELP: &str = "\
Examples:
  kpreview render                                   # ./preview.yaml, PR fields from the spec or PREVIEW_*
  kpreview render examples/shop/preview.yaml --pr 42 --sha 4f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d
  kpreview render preview.yaml -o rendered/          # one file per object, written atomically

A `preview.lock` next to the spec pins snapshots selected by tags (see `kpreview lock`).";

pub const SCHEMA_AFTER_HELP: &str = "\
Examples:
  kpreview schema > preview.schema.json             # for editors (`$schema` in a spec) and CI
  check-jsonschema --schemafile preview.schema.json preview.yaml
  kpreview schema --format markdown > reference.md  # the field reference (docs/reference.md)

The schema and kpreview agree on every field's type and form; kpreview also checks what a schema
cannot (bounds, references between fields, the platform's policy).";

pub const VALIDATE_AFTER_HELP: &str = "\
Examples:
  kpreview validate                                 # ./preview.yaml
  kpreview validate examples/{shop,blog}/preview.yaml  # several specs, each named in the report
  kpreview validate preview.yaml --strict           # also require the pull-request fields

Without --strict, pull-request fields that no flag, spec field or PREVIEW_* variable gives are
filled with placeholders (number 1, a SHA of forty zeros, branch `validate/Placeholder_1`, as
hostile as real branch names), and a note on stderr says so: a spec can be linted in CI before
any pull request exists.";

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The spec; `-` reads stdin.
    #[arg(default_value = "preview.yaml")]
    spec: PathBuf,
    #[command(flatten)]
    pr: PrArgs,
    #[command(flatten)]
    policy: PolicyArgs,
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
    #[command(flatten)]
    policy: PolicyArgs,
    /// Refuse a spec whose pull-request fields are not given, as `render` does, instead of
    /// checking it with placeholders.
    #[arg(long)]
    strict: bool,
}

pub fn render(args: &RenderArgs) -> anyhow::Result<()> {
    let (_, model, _) = load(&args.spec, &args.pr.inputs(), &args.policy.load()?)?;
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
    let inputs = args.pr.inputs();
    let policy = args.policy.load()?;
    let several = args.specs.len() > 1;
    let mut invalid = Vec::new();
    // A spec that cannot be read is reported and the others are still checked; it makes the
    // whole run the environment's fault (exit 2) rather than the input's.
    let mut fault = Fault::Input;
    for path in &args.specs {
        let read =
            read_spec(path).map_err(anyhow::Error::from).and_then(|spec| Ok((LockBeside::read(&spec.dir)?, spec)));
        let (lock, spec) = match read {
            Ok(read) => read,
            Err(e) if several => {
                eprintln!("error: {e:#}");
                if super::exit_code(&e) == 2 {
                    fault = Fault::Environment;
                }
                invalid.push(path.display().to_string());
                continue;
            }
            Err(e) => return Err(e),
        };
        match check(&spec, &inputs, lock.lock.as_ref(), &policy, args.strict).map_err(|p| lock.explain(p)) {
            Ok(model) => {
                warn(&spec.name, &model.warnings);
                eprintln!("ok: {}", spec.name);
            }
            // One spec's problems are the error `main` prints; several are printed as they come.
            Err(problems) if several => {
                eprintln!("error: {problems}");
                invalid.push(spec.name);
            }
            Err(problems) => return Err(problems.into()),
        }
    }
    match invalid.len() {
        0 => Ok(()),
        n => Err(super::Worded {
            message: format!(
                "{n} of {} specs {} {}: {}",
                args.specs.len(),
                if n == 1 { "is" } else { "are" },
                if fault == Fault::Input { "invalid" } else { "invalid or unreadable" },
                invalid.join(", ")
            ),
            fault,
        }
        .into()),
    }
}

/// Validates one spec; unless `strict`, the pull-request fields nobody gives get placeholders,
/// with a note on stderr.
fn check(
    spec: &SpecFile,
    inputs: &Inputs,
    lock: Option<&Lock>,
    policy: &Policy,
    strict: bool,
) -> Result<Model, Problems> {
    let loaded = load_spec(&spec.text, &spec.name)?;
    let mut inputs = inputs.clone();
    let missing = if strict { Vec::new() } else { inputs.missing(loaded.preview.spec.pull_request.as_ref()) };
    if !missing.is_empty() {
        inputs.fill(&missing);
        let filled: Vec<String> = missing.iter().map(|f| format!("{} {}", f.name(), shown(*f))).collect();
        eprintln!(
            "note: {}: checked with placeholders for the pull-request fields nothing gives: {} \
             (--strict refuses a spec without them)",
            spec.name,
            filled.join(", ")
        );
    }
    prepare_loaded(loaded, &spec.name, &inputs, lock, policy)
}

fn shown(field: PrField) -> String {
    match field {
        PrField::HeadSha => "0000000… (40 zeros)".to_owned(),
        other => format!("`{}`", other.placeholder()),
    }
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// `json`: the JSON Schema; `markdown`: the field reference (docs/reference.md).
    #[arg(short, long, value_enum, default_value = "json")]
    format: SchemaFormat,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum SchemaFormat {
    Json,
    Markdown,
}

pub fn schema(args: &SchemaArgs) -> anyhow::Result<()> {
    let text = match args.format {
        SchemaFormat::Json => format!("{}\n", serde_json::to_string_pretty(&reference::schema())?),
        SchemaFormat::Markdown => reference::markdown(),
    };
    std::io::stdout().lock().write_all(text.as_bytes()).context("cannot write to stdout")?;
    Ok(())
}
