//! Exit codes of every command (DESIGN.md, "CLI contract").

pub const OK: u8 = 0;
/// A check or rule failed (findings, a refused gate, a held lock).
pub const RULE_FAILED: u8 = 1;
/// Bad usage or unusable input.
pub const BAD_INPUT: u8 = 2;
/// The infrastructure (emulator, AWS, Docker) failed.
pub const INFRASTRUCTURE: u8 = 3;
