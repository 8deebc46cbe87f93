//! `rootspan keys create|list|revoke`: the API keys that `serve` requires once any exists.

use crate::output::{print_json, timestamp};
use crate::store::StoreArgs;
use rootspan_app::auth::Role;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: KeysCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Create a key for one project and role; the key is printed once, as the last line.
    Create(CreateArgs),
    /// List keys: prefix, label, project, role, created, revoked.
    List(ListArgs),
    /// Revoke the key with this prefix; it stops working at once.
    Revoke(RevokeArgs),
}

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The project whose traces the key writes or reads.
    #[arg(long)]
    pub project: String,
    /// ingest: write only; read: queries, UI, MCP; admin: everything.
    #[arg(long, value_parser = ["ingest", "read", "admin"])]
    pub role: String,
    /// A label to recognise the key by in lists.
    #[arg(long, default_value = "")]
    pub label: String,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Print JSON (never the keys themselves, nor their hashes).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The key's prefix, as `keys list` shows it (e.g. rsk_1a2b3c4d).
    pub prefix: String,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        KeysCommand::Create(args) => {
            let app = args.store.app()?;
            let role = Role::parse(&args.role).ok_or_else(|| anyhow::anyhow!("--role: ingest, read or admin"))?;
            let (key, stored) = app.create_key(&args.project, role, &args.label)?;
            eprintln!(
                "created {} key {} for project {}; it is shown once, store it now:",
                stored.role, stored.prefix, stored.project
            );
            println!("{key}");
        }
        KeysCommand::List(args) => {
            let keys = args.store.app()?.list_keys()?;
            let rows: Vec<serde_json::Value> = keys
                .iter()
                .map(|k| {
                    serde_json::json!({
                        "prefix": k.prefix, "label": k.label, "project": k.project, "role": k.role,
                        "created_unix_nano": k.created_unix_nano, "revoked_unix_nano": k.revoked_unix_nano,
                    })
                })
                .collect();
            if args.json {
                print_json(&rows)?;
                return Ok(ExitCode::SUCCESS);
            }
            if keys.is_empty() {
                println!("no keys: serve answers without authentication, on loopback only");
                return Ok(ExitCode::SUCCESS);
            }
            println!("{:<13} {:<16} {:<16} {:<7} {:<12} revoked", "prefix", "label", "project", "role", "created");
            for key in &keys {
                let revoked = key.revoked_unix_nano.map_or_else(|| "-".to_owned(), timestamp);
                println!(
                    "{:<13} {:<16} {:<16} {:<7} {:<12} {revoked}",
                    key.prefix,
                    key.label,
                    key.project,
                    key.role,
                    timestamp(key.created_unix_nano)
                );
            }
        }
        KeysCommand::Revoke(args) => {
            let revoked = args.store.app()?.revoke_key(&args.prefix)?;
            println!("revoked key {} ({} key of project {})", revoked.prefix, revoked.role, revoked.project);
        }
    }
    Ok(ExitCode::SUCCESS)
}
