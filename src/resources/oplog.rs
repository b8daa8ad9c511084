//! The AWS operations an apply performs, in order, each with the time it took on the backend.
//!
//! A resource records an operation once its call has returned, and then waits (for a table to
//! be ACTIVE again, a replica to be created, ...). So an operation's time runs from its record
//! to the next one's, or to the end of the component's apply for the last: its wait and the
//! next call's round trip. The first operation also carries the time before it (its own call).

use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct OpLog {
    started: Instant,
    operations: Vec<String>,
    stamps: Vec<Instant>,
}

impl Default for OpLog {
    fn default() -> Self {
        OpLog::new()
    }
}

impl OpLog {
    pub fn new() -> OpLog {
        OpLog { started: Instant::now(), operations: Vec::new(), stamps: Vec::new() }
    }

    /// Records `operation` as done now.
    pub fn push(&mut self, operation: String) {
        self.operations.push(operation);
        self.stamps.push(Instant::now());
    }

    pub fn len(&self) -> usize {
        self.operations.len()
    }

    pub fn is_empty(&self) -> bool {
        self.operations.is_empty()
    }

    pub fn operations(&self) -> &[String] {
        &self.operations
    }

    /// The operations with the milliseconds each took, the apply having ended at `ended`.
    pub fn finish(self, ended: Instant) -> (Vec<String>, Vec<u64>) {
        let ms = durations(self.started, &self.stamps, ended).into_iter().map(|d| d.as_millis() as u64).collect();
        (self.operations, ms)
    }
}

/// Operation `i` runs from stamp `i` to stamp `i + 1` (the last to `ended`); the first also
/// from `started`.
fn durations(started: Instant, stamps: &[Instant], ended: Instant) -> Vec<Duration> {
    let ends = stamps.iter().skip(1).copied().chain(std::iter::once(ended));
    let mut from = started;
    stamps
        .iter()
        .zip(ends)
        .enumerate()
        .map(|(i, (at, until))| {
            let begin = if i == 0 { from } else { *at };
            from = *at;
            until.saturating_duration_since(begin)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn each_operation_takes_its_wait_and_the_first_its_call() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        // Calls return at 100, 1100 and 1200; the apply ends at 5200.
        let d = durations(t0, &[at(100), at(1100), at(1200)], at(5200));
        let ms: Vec<u128> = d.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [1100, 100, 4000]);
    }

    proptest! {
        #[test]
        fn the_times_add_up_to_the_apply(gaps in proptest::collection::vec(0u64..10_000, 0..12), tail in 0u64..10_000) {
            let t0 = Instant::now();
            let mut stamps = Vec::new();
            let mut at = t0;
            for g in &gaps {
                at += Duration::from_millis(*g);
                stamps.push(at);
            }
            let ended = at + Duration::from_millis(tail);
            let d = durations(t0, &stamps, ended);
            prop_assert_eq!(d.len(), gaps.len());
            if !gaps.is_empty() {
                prop_assert_eq!(d.iter().sum::<Duration>(), ended - t0);
            }
        }
    }
}
