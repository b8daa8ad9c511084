//! Rehearsals of the whole pipeline and the rollback drill, on an emulator.

pub mod calibration;
pub mod drill;
pub mod not_rehearsed;
pub mod preview;
pub mod projection;
pub mod rehearse;
