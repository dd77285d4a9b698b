//! `dive store`: check, collect and list the evidence store; import cassettes.

use crate::context::{open_store, Global};
use crate::{exit, report};
use anyhow::Result;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand)]
pub(crate) enum StoreCommand {
    /// Re-hash every object and trace; name each bad one.
    Fsck,
    /// Remove objects no trace or cassette reaches (dry run unless --apply).
    Gc {
        #[arg(long)]
        apply: bool,
        /// Keep unreachable objects younger than this many seconds (a recording in
        /// progress writes its blobs before its trace).
        #[arg(long, default_value_t = 3600)]
        grace_secs: u64,
    },
    /// Import VCR-style (vcrpy) YAML cassettes so tools can be answered from them.
    ImportCassette {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// List traces and refs.
    Ls,
}

/// `dive store ...`.
pub(crate) fn run(g: &Global, command: &StoreCommand) -> Result<u8> {
    let store = open_store(g)?;
    match command {
        StoreCommand::Fsck => report::fsck(&dive_runtime::fsck::fsck(&store)?, g.json),
        StoreCommand::Gc { apply, grace_secs } => report::gc(
            &dive_runtime::fsck::gc(&store, *apply, std::time::Duration::from_secs(*grace_secs))?,
            g.json,
        ),
        StoreCommand::ImportCassette { files } => {
            let mut failed = 0;
            for f in files {
                match dive_runtime::cassette::import(&store, f) {
                    Ok((name, c)) => eprintln!("imported {} ({} interactions) as cassette {name}", f.display(), c.interactions.len()),
                    Err(e) => {
                        failed += 1;
                        eprintln!("error: {e}");
                    }
                }
            }
            Ok(if failed > 0 { exit::USAGE } else { 0 })
        }
        StoreCommand::Ls => report::ls(&store, g.json),
    }
}
