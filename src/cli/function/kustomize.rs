//! kustomize's legacy exec plugin: the binary installed as `<plugin home>/kpreview.dev/
//! v1alpha1/preview/Preview`, which `kubectl kustomize --enable-alpha-plugins` runs with the
//! generator config's path as its only argument, and `kpreview install-plugin`, which puts it there.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use kpreview::files::Disk;
use kpreview::gitops::overlay::FLAG_VARS;
use kpreview::krm::kustomize;
use kpreview::render;
use kpreview::spec::defaults::PrSources;

use super::super::Invalid;
use super::super::input::{env_inputs, policy_from_env, read_spec, warn};
use super::write_stream;

/// The executable's name kustomize looks for: the generator's `kind`.
const PLUGIN_NAME: &str = "Preview";
/// Its directory under the plugin home: `<group>/<version>/<lowercase kind>`.
const PLUGIN_DIR: &str = "kpreview.dev/v1alpha1/preview";

const INSTALL_HELP: &str = "\
Copies this kpreview binary to <plugin home>/kpreview.dev/v1alpha1/preview/Preview, where
`kubectl kustomize --enable-alpha-plugins` finds it for a kustomization with
`generators: [preview.yaml]`. Run it again after upgrading kpreview.

Examples:
  kpreview install-plugin
  kpreview install-plugin --dir ./plugins && KUSTOMIZE_PLUGIN_HOME=$PWD/plugins \\
    kubectl kustomize --enable-alpha-plugins overlays/base";

/// `kpreview install-plugin`.
#[derive(Debug, Args)]
#[command(after_help = INSTALL_HELP)]
pub struct InstallPluginArgs {
    /// Plugin home to install into [default: $KUSTOMIZE_PLUGIN_HOME, else
    /// $XDG_CONFIG_HOME/kustomize/plugin, else ~/.config/kustomize/plugin].
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// `Some` when the binary runs as the kustomize legacy plugin `Preview`.
pub fn as_kustomize_plugin() -> Option<anyhow::Result<()>> {
    let mut args = std::env::args_os();
    let argv0 = args.next()?;
    (Path::new(&argv0).file_name()? == PLUGIN_NAME).then(|| generate(args.next()))
}

/// Renders the generator config kustomize wrote to a temporary file (`config`), or passed in
/// `KUSTOMIZE_PLUGIN_CONFIG_STRING`, as a YAML stream.
fn generate(config: Option<OsString>) -> anyhow::Result<()> {
    let root = std::env::var_os("KUSTOMIZE_PLUGIN_CONFIG_ROOT").map_or_else(|| PathBuf::from("."), PathBuf::from);
    let text = match config {
        Some(flag) if flag == "-h" || flag == "--help" => {
            println!("{PLUGIN_NAME}: kpreview as a kustomize generator plugin; see `kpreview install-plugin --help`");
            return Ok(());
        }
        Some(path) => read_spec(Path::new(&path))?.text,
        None => std::env::var("KUSTOMIZE_PLUGIN_CONFIG_STRING").map_err(|_| {
            Invalid(format!(
                "{PLUGIN_NAME} is kpreview's kustomize plugin: kustomize runs it with the generator config's path; \
                 run `kpreview --help` for the other ways in"
            ))
        })?,
    };
    // KPREVIEW_* act as flags (what `kpreview publish --overlay` passes its --pr, --sha and
    // --branch through), so they win over the spec, which wins over PREVIEW_*.
    let inputs = env_inputs(FLAG_VARS, PrSources::variables(FLAG_VARS))?;
    let policy = policy_from_env()?;
    let generated = kustomize::generate(&Disk, &root, text, &inputs, &policy)?;
    warn(&generated.name, &generated.model.warnings);
    write_stream(&render(&generated.model), &generated.name)
}

/// `kpreview install-plugin`.
pub fn install_plugin(args: &InstallPluginArgs) -> anyhow::Result<()> {
    let home = match &args.dir {
        Some(dir) => dir.clone(),
        None => default_home()?,
    };
    // Printed for KUSTOMIZE_PLUGIN_HOME, which must not depend on where kustomize runs.
    let home = std::path::absolute(&home).unwrap_or(home);
    let dir = home.join(PLUGIN_DIR);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let exe = std::env::current_exe().context("cannot find the running kpreview binary")?;
    let mut source = std::fs::File::open(&exe).with_context(|| format!("cannot read {}", exe.display()))?;
    let target = dir.join(PLUGIN_NAME);
    // Replaced by a rename: kustomize never runs a half-copied plugin.
    kpreview::output::replace_file(&target, |copy| {
        std::io::copy(&mut source, copy)?;
        make_executable(copy)
    })
    .with_context(|| format!("cannot copy {} to {}", exe.display(), target.display()))?;
    println!("installed {} as {}", exe.display(), target.display());
    let searched = std::env::var_os("KUSTOMIZE_PLUGIN_HOME").map(PathBuf::from);
    if args.dir.is_some() && searched.as_deref() != Some(home.as_path()) {
        println!("kustomize looks there only with KUSTOMIZE_PLUGIN_HOME={}", home.display());
    }
    println!(
        "use it with: kubectl kustomize --enable-alpha-plugins DIR   (DIR's kustomization: generators: [preview.yaml])"
    );
    Ok(())
}

/// Where kustomize looks first: `$KUSTOMIZE_PLUGIN_HOME`, `$XDG_CONFIG_HOME/kustomize/plugin`,
/// `~/.config/kustomize/plugin`.
fn default_home() -> anyhow::Result<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(home) = var("KUSTOMIZE_PLUGIN_HOME") {
        return Ok(home);
    }
    if let Some(config) = var("XDG_CONFIG_HOME") {
        return Ok(config.join("kustomize/plugin"));
    }
    var("HOME").map(|home| home.join(".config/kustomize/plugin")).ok_or_else(|| {
        Invalid("neither KUSTOMIZE_PLUGIN_HOME, XDG_CONFIG_HOME nor HOME is set: pass --dir".to_owned()).into()
    })
}

#[cfg(unix)]
fn make_executable(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn make_executable(_file: &std::fs::File) -> std::io::Result<()> {
    Ok(())
}
