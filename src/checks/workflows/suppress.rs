//! Findings a repo accepts, each with a written reason, as `scan` has them: a comment
//! `# stagegate:ignore SG-WF-013 REASON` on the finding's line or on the line above it.

use super::{Finding, Suppression};

/// The inline suppression marker.
pub const INLINE_MARKER: &str = "stagegate:ignore";

/// Marks each finding that a comment in `text` suppresses with a reason. A marker without a
/// reason suppresses nothing.
pub(super) fn apply(text: &str, findings: &mut [Finding]) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    for f in findings.iter_mut() {
        for line in [f.line, f.line.saturating_sub(1)] {
            let Some(l) = line.checked_sub(1).and_then(|i| lines.get(i)) else { continue };
            if let Some(reason) = reason_for(l, f.rule.id) {
                f.suppressed = Some(Suppression { reason, at: format!("{}:{line}", f.file), inline: true });
                break;
            }
        }
    }
}

/// The reason a line's `# stagegate:ignore ID REASON` gives for `rule`, if it names it.
fn reason_for(line: &str, rule: &str) -> Option<String> {
    let comment = line.split_once('#')?.1;
    let rest = comment.trim_start().strip_prefix(INLINE_MARKER)?.trim_start();
    let (ids, reason) = rest.split_once(' ').unwrap_or((rest, ""));
    let reason = reason.trim();
    (ids.split(',').any(|id| id == rule) && !reason.is_empty()).then(|| reason.to_owned())
}
