//! `stagegate emulator up|down|status`: one emulator kept in the background for chained commands.

use clap::Subcommand;

use super::Format;
use crate::Error;
use crate::emulator::BackgroundEmulator;
use crate::foundation::exit;

#[derive(Debug, Subcommand)]
pub enum EmulatorAction {
    /// Start moto in the background (provisioned on first use) and record its endpoint in .stagegate/.
    Up,
    /// Stop the background emulator.
    Down,
    /// Tell whether a background emulator is running, and where.
    Status,
}

pub async fn run(action: EmulatorAction, format: Format) -> Result<u8, Error> {
    let print = |value: serde_json::Value, text: String| match format {
        Format::Text => println!("{text}"),
        Format::Json | Format::Sarif => println!("{value}"),
    };
    match action {
        EmulatorAction::Up => {
            let (bg, started) = BackgroundEmulator::up().await?;
            let verb = if started { "started" } else { "already running" };
            print(
                serde_json::json!({"status": verb, "endpoint": bg.record.url, "pid": bg.record.pid}),
                format!("emulator {verb}: moto at {} (pid {})", bg.record.url, bg.record.pid),
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
                    serde_json::json!({"status": "running", "endpoint": bg.record.url, "pid": bg.record.pid, "started": bg.record.started}),
                    format!("running: moto at {} (pid {}, since {})", bg.record.url, bg.record.pid, bg.record.started),
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
