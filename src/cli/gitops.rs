//! `kpreview publish`, `kpreview unpublish`, `kpreview gc`.

use clap::Args;

#[derive(Debug, Args)]
pub struct PublishArgs {}

#[derive(Debug, Args)]
pub struct UnpublishArgs {}

#[derive(Debug, Args)]
pub struct GcArgs {}

pub fn publish(_args: &PublishArgs) -> anyhow::Result<()> {
    anyhow::bail!("kpreview publish is not implemented yet")
}

pub fn unpublish(_args: &UnpublishArgs) -> anyhow::Result<()> {
    anyhow::bail!("kpreview unpublish is not implemented yet")
}

pub fn gc(_args: &GcArgs) -> anyhow::Result<()> {
    anyhow::bail!("kpreview gc is not implemented yet")
}
