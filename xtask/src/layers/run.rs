//! Running cargo for a check: one command line, its status as an error that
//! names the command and where it ran.

use std::path::Path;

use anyhow::{Context, bail};

/// Runs cargo with `args` in `dir`, with `env` set; fails with the command.
pub(super) fn cargo(
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> anyhow::Result<()> {
    let status = crate::cargo()
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .status()
        .context("starting cargo")?;
    if !status.success() {
        bail!(
            "`cargo {}` in {} failed ({status})",
            args.join(" "),
            dir.display()
        );
    }
    Ok(())
}
