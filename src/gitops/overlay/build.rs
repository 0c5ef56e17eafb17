//! Running kustomize on an overlay with kpreview's legacy plugin available for that one build: a
//! temporary plugin home holding this very executable as `Preview`, named by
//! `KUSTOMIZE_PLUGIN_HOME` for the kustomize process only, and removed afterwards. Nothing on the
//! machine changes; no earlier `kpreview install-plugin` is needed or used.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::error::OverlayError;
use crate::files::read_at_most;
/// The variables kpreview's kustomize plugin and KRM function read as flags.
pub use crate::krm::config::FLAG_VARS;
use crate::spec::defaults::PrFields;
use crate::yaml::MAX_STREAM_BYTES;

/// What builds an overlay unless `--kustomize` says otherwise; the directory is appended.
pub const DEFAULT_KUSTOMIZE: &str = "kubectl kustomize --enable-alpha-plugins";

/// The plugin's place under a plugin home: `<group>/<version>/<lowercase kind>/<Kind>`.
const PLUGIN_PATH: &str = "kpreview.dev/v1alpha1/preview/Preview";

/// stderr kept from kustomize for an error message; the rest is dropped.
const MAX_STDERR_BYTES: usize = 64 << 10;

/// One build.
#[derive(Debug, Clone)]
pub struct Build<'a> {
    /// The overlay: a directory with a kustomization.
    pub dir: &'a Path,
    /// The kustomize command line (`kubectl kustomize --enable-alpha-plugins`), split into words.
    pub command: &'a [String],
    /// The kpreview executable to offer as the plugin (the running one).
    pub exe: &'a Path,
    /// The pull-request fields the generator must use.
    pub pr: &'a PrFields,
    /// The platform's policy file given as `--policy`, passed to the plugin as `KPREVIEW_POLICY`
    /// (absolute); without one the plugin inherits this process's `KPREVIEW_POLICY`, if any.
    pub policy: Option<&'a Path>,
}

/// What the build printed.
#[derive(Debug, Clone)]
pub struct Built {
    /// The manifest stream (stdout).
    pub stream: String,
    /// kustomize's and the plugin's messages (warnings), for the user.
    pub stderr: String,
}

/// Splits a `--kustomize` value into words at whitespace. Quotes are refused rather than
/// half-honoured: there is no shell here to interpret them.
pub fn parse_command(text: &str) -> Result<Vec<String>, OverlayError> {
    let fail = |reason: &str| OverlayError::Command { command: text.to_owned(), reason: reason.to_owned() };
    if text.contains(['\'', '"', '\\', '$', '`']) {
        return Err(fail(
            "it is split at spaces and run without a shell, so quotes, escapes and variables are not interpreted; put such a command in a script and name the script",
        ));
    }
    let words: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
    if words.is_empty() {
        return Err(fail("it is empty; the default is `kubectl kustomize --enable-alpha-plugins`"));
    }
    Ok(words)
}

/// Builds the overlay. `report` hears what is being run (it can take a while).
pub fn build(b: &Build<'_>, report: &mut dyn FnMut(&str)) -> Result<Built, OverlayError> {
    let shown = b.command.join(" ");
    let (program, args) = b.command.split_first().ok_or_else(|| OverlayError::Command {
        command: shown.clone(),
        reason: "it is empty; the default is `kubectl kustomize --enable-alpha-plugins`".to_owned(),
    })?;
    let home = PluginHome::new(b.exe)?;
    let mut cmd = Command::new(program);
    cmd.args(args).arg(b.dir).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.env("KUSTOMIZE_PLUGIN_HOME", &home.plugins).env("PATH", home.path_with_bin()?);
    let values = [b.pr.number.map(|n| n.to_string()), b.pr.head_sha.clone(), b.pr.branch.clone()];
    for (flag, value) in FLAG_VARS.iter().zip(values) {
        match value {
            Some(v) => cmd.env(flag, &v),
            // Only what this publish was given may act as a flag.
            None => cmd.env_remove(flag),
        };
    }
    if let Some(policy) = b.policy {
        cmd.env("KPREVIEW_POLICY", policy);
    }
    report(&format!("building {} with `{shown}` (kpreview's plugin from {})", b.dir.display(), home.root.display()));
    let mut child = cmd.spawn().map_err(|e| OverlayError::Spawn {
        program: program.clone(),
        dir: b.dir.to_owned(),
        reason: e.to_string(),
    })?;
    let stderr = child.stderr.take().map(|pipe| {
        std::thread::spawn(move || {
            let mut pipe = pipe;
            let kept = read_at_most(pipe.by_ref(), MAX_STDERR_BYTES).map(|(kept, _)| kept).unwrap_or_default();
            // Drain the rest so kustomize never blocks on a full pipe.
            let _ = std::io::copy(&mut pipe, &mut std::io::sink());
            String::from_utf8_lossy(&kept).into_owned()
        })
    });
    let read = match child.stdout.take() {
        Some(pipe) => read_at_most(pipe, MAX_STREAM_BYTES),
        None => Ok((Vec::new(), false)),
    };
    let too_large = read.as_ref().is_ok_and(|(_, more)| *more);
    if too_large {
        let _ = child.kill();
    }
    let status = child.wait().map_err(|e| io(format!("cannot wait for `{shown}`"), e))?;
    let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    let (stdout, _) = read.map_err(|e| io(format!("cannot read the output of `{shown}`"), e))?;
    if too_large {
        return Err(OverlayError::TooLarge { command: shown, limit: MAX_STREAM_BYTES });
    }
    if !status.success() {
        let status = status.code().map_or_else(|| "killed by a signal".to_owned(), |c| format!("exit {c}"));
        return Err(OverlayError::Failed { command: shown, dir: b.dir.to_owned(), status, stderr });
    }
    let stream = String::from_utf8(stdout).map_err(|_| OverlayError::Stream {
        overlay: b.dir.display().to_string(),
        reason: format!("`{shown}` printed something that is not UTF-8 text"),
    })?;
    Ok(Built { stream, stderr })
}

fn io(what: String, source: std::io::Error) -> OverlayError {
    OverlayError::Io { what, source }
}

/// A temporary directory with `plugins/<PLUGIN_PATH>` (for `KUSTOMIZE_PLUGIN_HOME`) and
/// `bin/kpreview` (first on `PATH`, so an `exec: {path: kpreview}` function finds this binary
/// too), both links to, or copies of, the running executable. Removed when dropped.
struct PluginHome {
    root: PathBuf,
    plugins: PathBuf,
    bin: PathBuf,
    _dir: tempfile::TempDir,
}

impl PluginHome {
    fn new(exe: &Path) -> Result<Self, OverlayError> {
        let dir = tempfile::Builder::new()
            .prefix("kpreview-plugin-")
            .tempdir()
            .map_err(|e| io("cannot make a temporary kustomize plugin home".to_owned(), e))?;
        let root = dir.path().to_owned();
        let plugins = root.join("plugins");
        let plugin = plugins.join(PLUGIN_PATH);
        let bin = root.join("bin");
        for parent in [plugin.parent().unwrap_or(&plugins), &bin] {
            std::fs::create_dir_all(parent).map_err(|e| io(format!("cannot create {}", parent.display()), e))?;
        }
        link_or_copy(exe, &plugin)?;
        link_or_copy(&plugin, &bin.join("kpreview"))?;
        Ok(Self { root, plugins, bin, _dir: dir })
    }

    /// `PATH` with this home's `bin` first.
    fn path_with_bin(&self) -> Result<OsString, OverlayError> {
        let rest = std::env::var_os("PATH").unwrap_or_default();
        let dirs = std::iter::once(self.bin.clone()).chain(std::env::split_paths(&rest));
        std::env::join_paths(dirs).map_err(|e| {
            io(
                "cannot put the plugin home on PATH".to_owned(),
                std::io::Error::new(std::io::ErrorKind::InvalidInput, e),
            )
        })
    }
}

/// A hard link costs nothing; across file systems (or where links to others' files are not
/// allowed) a copy, which keeps the executable bit.
fn link_or_copy(from: &Path, to: &Path) -> Result<(), OverlayError> {
    if std::fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| io(format!("cannot copy {} to {}", from.display(), to.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_is_split_at_whitespace_and_shell_syntax_is_refused() {
        assert_eq!(
            parse_command(" kustomize  build --enable-alpha-plugins\t--enable-exec ").unwrap(),
            ["kustomize", "build", "--enable-alpha-plugins", "--enable-exec"]
        );
        let err = parse_command("kustomize build --load-restrictor 'LoadRestrictionsNone'").unwrap_err();
        assert!(err.to_string().contains("without a shell"), "{err}");
        assert!(parse_command("  ").unwrap_err().to_string().contains("is empty"));
    }
}
