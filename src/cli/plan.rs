//! `kpreview plan`.

use clap::Args;

#[derive(Debug, Args)]
pub struct PlanArgs {}

pub fn plan(_args: &PlanArgs) -> anyhow::Result<()> {
    anyhow::bail!("kpreview plan is not implemented yet")
}
