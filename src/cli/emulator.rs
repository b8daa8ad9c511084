//! `stagegate emulator up|down|status`: one emulator kept in the background for chained commands.

use clap::Subcommand;

use super::Format;
use crate::Error;
use crate::emulator::{BackendChoice, BackgroundEmulator};
use crate::foundation::exit;

#[derive(Debug, Subcommand)]
pub enum EmulatorAction {
    /// Start moto (or, with --backend localstack, LocalStack in host mode) in the background,
    /// provisioned on first use, and record its endpoint in .stagegate/.
    Up,
    /// Stop the background emulator.
    Down,
    /// Tell whether a background emulator is running, and where.
    Status,
}

pub async fn run(action: EmulatorAction, backend: BackendChoice, format: Format) -> Result<u8, Error> {
    let print = |value: serde_json::Value, text: String| match format {
        Format::Text => println!("{text}"),
        Format::Json | Format::Sarif => println!("{value}"),
    };
    match action {
        EmulatorAction::Up => {
            let (bg, started) = BackgroundEmulator::up(backend).await?;
            let verb = if started { "started" } else { "already running" };
            let r = &bg.record;
            print(
                serde_json::json!({"status": verb, "backend": r.backend, "endpoint": r.url, "pid": r.pid}),
                format!("emulator {verb}: {} at {} (pid {})", r.backend, r.url, r.pid),
            );
            Ok(exit::OK)
        }
        EmulatorAction::Down => {
            match BackgroundEmulator::down()? {
                Some(r) => print(
                    serde_json::json!({"status": "stopped", "endpoint": r.url, "pid": r.pid}),
                    format!("emulator stopped (pid {})", r.pid),
                ),
                None => print(serde_json::json!({"status": "not running"}), "no emulator was running".into()),
            }
            Ok(exit::OK)
        }
        EmulatorAction::Status => match BackgroundEmulator::find_running().await {
            Some(bg) => {
                print(
                    serde_json::json!({"status": "running", "backend": bg.record.backend, "endpoint": bg.record.url, "pid": bg.record.pid, "started": bg.record.started}),
                    format!(
                        "running: {} at {} (pid {}, since {})",
                        bg.record.backend, bg.record.url, bg.record.pid, bg.record.started
                    ),
                );
                Ok(exit::OK)
            }
            None => {
                print(serde_json::json!({"status": "not running"}), "not running".into());
                Ok(exit::RULE_FAILED)
            }
        },
    }
}
