//! `kpreview restore velero` and `kpreview restore cleanup`.

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum RestoreCommand {
    /// Restore a Velero backup into a preview and wait for the outcome.
    Velero,
    /// Remove a deleted preview's Restores and RBAC from Velero's namespace.
    Cleanup,
}

pub fn restore(_command: RestoreCommand) -> anyhow::Result<()> {
    anyhow::bail!("kpreview restore is not implemented yet")
}
