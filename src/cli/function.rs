//! `kpreview fn`, `kpreview cmp`, `kpreview install-plugin`, and the kustomize legacy plugin
//! entry point (the binary invoked as `Preview`).

use clap::Args;

#[derive(Debug, Args)]
pub struct FnArgs {}

#[derive(Debug, Args)]
pub struct CmpArgs {}

#[derive(Debug, Args)]
pub struct InstallPluginArgs {}

/// `Some` when the binary runs as the kustomize legacy plugin `Preview`.
pub fn as_kustomize_plugin() -> Option<anyhow::Result<()>> {
    None
}

/// No subcommand: the KRM function when stdin is not a terminal, else `help`.
pub fn default_mode(help: impl FnOnce() -> anyhow::Result<()>) -> anyhow::Result<()> {
    help()
}

pub fn krm(_args: &FnArgs) -> anyhow::Result<()> {
    anyhow::bail!("kpreview fn is not implemented yet")
}

pub fn cmp(_args: &CmpArgs) -> anyhow::Result<()> {
    anyhow::bail!("kpreview cmp is not implemented yet")
}

pub fn install_plugin(_args: &InstallPluginArgs) -> anyhow::Result<()> {
    anyhow::bail!("kpreview install-plugin is not implemented yet")
}
