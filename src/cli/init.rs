//! `kpreview init`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use kpreview::compose::{Options, from_compose, starter};
use kpreview::files;

pub const AFTER_HELP: &str = "\
Examples:
  kpreview init                                      # a starter preview.yaml for one service
  kpreview init --from docker-compose.yml            # services, ports, env, dependsOn, data stores
  kpreview init --from compose.yaml --profile debug -o - | less

What has no equivalent in a spec (bind mounts, env_file, build, networks, restart policies, secrets
written into the file) is listed on stderr, one line each, and as a comment in the spec.
An existing file is never overwritten.";

#[derive(Debug, Args)]
pub struct InitArgs {
    /// A docker-compose file to start from.
    #[arg(long, value_name = "COMPOSE_FILE")]
    from: Option<PathBuf>,
    /// Where to write the spec; `-` is stdout.
    #[arg(short, long, value_name = "FILE", default_value = "preview.yaml")]
    output: PathBuf,
    /// `metadata.name`, the application; default the compose file's `name:` or its directory's.
    #[arg(long)]
    name: Option<String>,
    /// Include the services of this compose profile (repeatable).
    #[arg(long = "profile", value_name = "PROFILE")]
    profiles: Vec<String>,
}

pub fn init(args: &InitArgs) -> anyhow::Result<()> {
    let to_stdout = args.output.as_os_str() == "-";
    if !to_stdout && args.output.exists() {
        anyhow::bail!("{} exists; kpreview init never overwrites a file (remove it or give -o)", args.output.display());
    }
    let made = if let Some(path) = &args.from {
        let directory =
            std::path::absolute(path).ok().and_then(|p| p.parent()?.file_name()?.to_str().map(str::to_owned));
        let options =
            Options { name: args.name.clone(), directory, profiles: args.profiles.clone(), output: output(args) };
        let text = files::read_path(path, files::SMALL)?;
        from_compose(&text, &path.display().to_string(), &options)?
    } else {
        let directory = std::env::current_dir().ok().and_then(|d| d.file_name()?.to_str().map(str::to_owned));
        starter(&Options { name: args.name.clone(), directory, profiles: Vec::new(), output: output(args) })?
    };
    for note in &made.notes {
        eprintln!("note: {note}");
    }
    if to_stdout {
        std::io::stdout().lock().write_all(made.text.as_bytes()).context("cannot write to stdout")?;
        return Ok(());
    }
    let dir = match args.output.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut file =
        tempfile::NamedTempFile::new_in(&dir).with_context(|| format!("cannot write in {}", dir.display()))?;
    file.write_all(made.text.as_bytes()).context("cannot write the spec")?;
    file.persist_noclobber(&args.output).map_err(|e| {
        anyhow::anyhow!("cannot write {}: {} (kpreview init never overwrites a file)", args.output.display(), e.error)
    })?;
    eprintln!(
        "wrote {}{}; next: kpreview validate {0}",
        args.output.display(),
        if made.notes.is_empty() {
            String::new()
        } else {
            format!(" ({} notes above, also as comments)", made.notes.len())
        }
    );
    Ok(())
}

/// The file name the spec's header suggests commands for: `-o`'s, unless stdout.
fn output(args: &InitArgs) -> Option<String> {
    (args.output.as_os_str() != "-").then(|| args.output.display().to_string())
}
