//! `kpreview lock`.

use clap::Args;

#[derive(Debug, Args)]
pub struct LockArgs {}

pub fn lock(_args: &LockArgs) -> anyhow::Result<()> {
    anyhow::bail!("kpreview lock is not implemented yet")
}
