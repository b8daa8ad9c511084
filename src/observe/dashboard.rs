//! The 30-day dashboard of LLD 7.10.2 (R50): in the terminal, boxed as the LLD draws it, and
//! as one self-contained HTML page (inline CSS and SVG, no scripts, nothing fetched). Every
//! text that comes from a record is escaped.

use std::fmt::{self, Write as _};

use serde::Serialize;

use crate::Environment;
use crate::Error;
use crate::emulator::Endpoint;
use crate::engine::state::{StateError, StateStore};
use crate::foundation::clock::in_pipeline_zone;
use crate::observe::metrics::{self, Metrics, Verdict, Window};
use crate::release::ledger::{self, CheckRecord, DeploymentRecord, Outcome, RecordKind};

fn absent_is_empty<T>(read: Result<Vec<T>, StateError>) -> Result<Vec<T>, Error> {
    match read {
        Ok(r) => Ok(r),
        Err(e) if e.is_missing_bucket() => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// Inner width of the terminal box, in characters.
const INNER: usize = 52;
/// Width of a full bar, in characters.
const BAR: usize = 20;
/// How many of the newest records the HTML page lists.
const RECENT: usize = 12;

/// The colour of each environment's bars (DEV, SIT, PROD).
pub const ENVIRONMENT_COLOURS: [&str; 3] = ["#2563eb", "#d97706", "#059669"];

#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    #[serde(flatten)]
    pub metrics: Metrics,
    /// The newest records of the window, newest first.
    #[serde(skip)]
    pub recent: Vec<DeploymentRecord>,
    /// Automated rollbacks and drift alerts (R55, R56).
    pub automation: crate::observe::level4::Automation,
}

impl Dashboard {
    /// The dashboard of the records inside `window`.
    pub fn new(records: &[DeploymentRecord], checks: &[CheckRecord], window: Window) -> Dashboard {
        let metrics = metrics::compute(records, checks, window);
        let mut recent: Vec<DeploymentRecord> =
            records.iter().filter(|r| window.contains(r.started)).cloned().collect();
        recent.sort_by_key(|r| std::cmp::Reverse((r.started, r.recorded)));
        recent.truncate(RECENT);
        Dashboard { metrics, recent, automation: Default::default() }
    }

    /// The dashboard of every environment's ledger (each read with its own account's
    /// credentials) and DEV's check records. An environment never deployed has no records.
    pub async fn load(endpoint: &Endpoint, region: &str, window: Window) -> Result<Dashboard, Error> {
        let mut records = Vec::new();
        let mut checks = Vec::new();
        for env in Environment::ALL {
            let store = StateStore::for_environment(endpoint, env, region).await;
            records.extend(absent_is_empty(ledger::records(&store).await)?);
            if env == Environment::Dev {
                checks = absent_is_empty(ledger::checks(&store).await)?;
            }
        }
        let automation = crate::observe::level4::Automation::load(endpoint, region, window).await?;
        Ok(Dashboard { automation, ..Dashboard::new(&records, &checks, window) })
    }

    fn title(&self) -> String {
        format!("DEPLOYMENT DASHBOARD (Last {} Days)", self.metrics.window.days)
    }

    fn period(&self) -> String {
        let w = &self.metrics.window;
        format!(
            "{} to {}",
            in_pipeline_zone(w.from).strftime("%Y-%m-%d %H:%M"),
            in_pipeline_zone(w.to).strftime("%Y-%m-%d %H:%M %Z")
        )
    }

    /// The self-contained HTML page.
    pub fn html(&self) -> String {
        let m = &self.metrics;
        let mut page = String::with_capacity(16 * 1024);
        let _ = write!(
            page,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n\
             <header><h1>{title}</h1><p class=\"period\">{period}</p></header>\n",
            title = escape(&self.title()),
            period = escape(&self.period()),
        );

        let success = m.success_rate();
        let rollback_rate = m.rollback_rate();
        page.push_str("<section class=\"cards\">\n");
        card(
            &mut page,
            "Success rate",
            &success.map_or("no data".into(), |p| format!("{p:.1}%")),
            &format!("{} of {} deployments", m.succeeded, m.deployments),
            m.kpi(metrics::Metric::DeploymentSuccessRate).verdict,
            Some(progress(success)),
        );
        card(
            &mut page,
            "Deployments",
            &m.deployments.to_string(),
            &format!(
                "{} DEV · {} SIT · {} PROD",
                m.environments[0].deployments, m.environments[1].deployments, m.environments[2].deployments
            ),
            Verdict::NoData,
            None,
        );
        card(
            &mut page,
            "Rollbacks",
            &m.rollbacks.to_string(),
            &rollback_rate.map_or("no deployments".into(), |p| format!("{p:.1}% of all changes")),
            m.kpi(metrics::Metric::RollbackRate).verdict,
            None,
        );
        let lead = m.kpi(metrics::Metric::MergeToProd);
        card(
            &mut page,
            "Merge to PROD",
            &lead.value.map_or("no data".into(), |v| v.to_string()),
            &format!("mean, target {}", lead.target),
            lead.verdict,
            None,
        );
        let a = &self.automation;
        let drift = format!(
            "{} not rolled back · {} drift alerts ({} resources)",
            a.failures_not_rolled_back, a.drift_alerts, a.drifted_resources
        );
        card(&mut page, "Automated rollbacks", &a.rollbacks_line(), &drift, Verdict::NoData, None);
        page.push_str("</section>\n<section class=\"charts\">\n");

        let rows = |value: &dyn Fn(&metrics::EnvironmentFigures) -> (f64, String)| -> Vec<Row> {
            m.environments
                .iter()
                .zip(ENVIRONMENT_COLOURS)
                .map(|(e, colour)| {
                    let (v, shown) = value(e);
                    Row { label: e.environment.label(), value: v, shown, colour }
                })
                .collect()
        };
        chart(
            &mut page,
            "Deployments by environment",
            &rows(&|e| (e.deployments as f64, e.deployments.to_string())),
            None,
        );
        let limit = metrics::DEPLOY_TIME_BELOW.as_secs_f64() / 60.0;
        chart(
            &mut page,
            "Average deployment time",
            &rows(&|e| match e.average_deploy_ms {
                Some(ms) => (ms as f64 / 60_000.0, metrics::human(jiff::SignedDuration::from_millis(ms))),
                None => (0.0, "no data".into()),
            }),
            Some((limit, format!("target {}", metrics::human(metrics::DEPLOY_TIME_BELOW)))),
        );
        chart(&mut page, "Rollbacks by environment", &rows(&|e| (e.rollbacks as f64, e.rollbacks.to_string())), None);
        page.push_str("</section>\n");

        page.push_str(
            "<section>\n<h2>Key metrics (LLD 7.10.1)</h2>\n<table class=\"kpis\">\n<thead><tr><th>Metric</th>\
             <th>Target</th><th>Value</th><th>Verdict</th><th>Measured from</th></tr></thead>\n<tbody>\n",
        );
        for k in &m.kpis {
            let _ = writeln!(
                page,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td><span class=\"badge {}\">{}</span></td><td>{}</td></tr>",
                escape(k.name),
                escape(&k.target),
                k.value.map_or("–".into(), |v| escape(&v.to_string())),
                verdict_class(k.verdict),
                k.verdict.label(),
                escape(&k.basis)
            );
        }
        page.push_str("</tbody>\n</table>\n</section>\n");

        page.push_str("<section>\n<h2>Latest deployments and rollbacks</h2>\n");
        if self.recent.is_empty() {
            page.push_str("<p class=\"empty\">No deployment was recorded in this window.</p>\n");
        } else {
            page.push_str(
                "<table class=\"recent\">\n<thead><tr><th>Started (SAST)</th><th>Environment</th><th>Kind</th>\
                 <th>Commit</th><th>Deployer</th><th>Result</th><th>Duration</th><th>Tag</th></tr></thead>\n<tbody>\n",
            );
            for r in &self.recent {
                let green = r.is_green();
                let _ = writeln!(
                    page,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td>\
                     <td><span class=\"badge {}\">{}</span></td><td class=\"num\">{}</td><td>{}</td></tr>",
                    in_pipeline_zone(r.started).strftime("%Y-%m-%d %H:%M"),
                    r.environment.label(),
                    match r.kind {
                        RecordKind::Deploy => "deploy",
                        RecordKind::Rollback => "rollback",
                    },
                    escape(&r.commit.chars().take(10).collect::<String>()),
                    escape(&r.deployer),
                    if green { "met" } else { "missed" },
                    match (r.result, green) {
                        (Outcome::Succeeded, true) => "succeeded",
                        (Outcome::Succeeded, false) => "tests failed",
                        (Outcome::Failed, _) => "failed",
                    },
                    metrics::human(jiff::SignedDuration::from_millis(i64::try_from(r.duration_ms).unwrap_or(i64::MAX))),
                    escape(r.tag.as_deref().unwrap_or("–")),
                );
            }
            page.push_str("</tbody>\n</table>\n");
        }
        let _ = write!(
            page,
            "</section>\n<footer>stagegate report · records from each environment's state bucket · \
             generated at {}</footer>\n</main>\n</body>\n</html>\n",
            escape(&in_pipeline_zone(m.window.to).strftime("%Y-%m-%d %H:%M %Z").to_string())
        );
        page
    }
}

/// The terminal dashboard (7.10.2), then the KPI table.
impl fmt::Display for Dashboard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.metrics;
        let rule = "─".repeat(INNER);
        let line = |f: &mut fmt::Formatter<'_>, text: &str| {
            let pad = INNER.saturating_sub(text.chars().count());
            writeln!(f, "│{text}{}│", " ".repeat(pad))
        };
        let centred = |f: &mut fmt::Formatter<'_>, text: &str| {
            let left = INNER.saturating_sub(text.chars().count()) / 2;
            line(f, &format!("{}{text}", " ".repeat(left)))
        };
        writeln!(f, "┌{rule}┐")?;
        centred(f, &self.title())?;
        centred(f, &self.period())?;
        writeln!(f, "├{rule}┤")?;
        line(f, "")?;
        match m.success_rate() {
            Some(p) => {
                let filled = ((p / 100.0) * BAR as f64).round() as usize;
                line(f, &format!("  Success Rate: {}{} {p:.1}%", "█".repeat(filled), "░".repeat(BAR - filled)))?
            }
            None => line(f, "  Success Rate: no data")?,
        }
        line(f, "")?;
        line(f, "  Deployments by Environment:")?;
        let most = m.environments.iter().map(|e| e.deployments).max().unwrap_or(0);
        for e in &m.environments {
            line(
                f,
                &format!(
                    "    {:<5} {} {}",
                    format!("{}:", e.environment.label()),
                    bar(e.deployments, most),
                    e.deployments
                ),
            )?;
        }
        line(f, "")?;
        line(f, "  Avg Deployment Time:")?;
        for e in &m.environments {
            let shown = match e.average_deploy_ms {
                Some(ms) => {
                    let over = ms >= metrics::DEPLOY_TIME_BELOW.as_millis() as i64;
                    format!(
                        "{}{}",
                        metrics::human(jiff::SignedDuration::from_millis(ms)),
                        if over { "  (over target)" } else { "" }
                    )
                }
                None => "no data".into(),
            };
            line(f, &format!("    {:<5} {shown}", format!("{}:", e.environment.label())))?;
        }
        line(f, "")?;
        match m.rollback_rate() {
            Some(p) => line(f, &format!("  Rollbacks: {} ({p:.1}%)", m.rollbacks))?,
            None => line(f, &format!("  Rollbacks: {}", m.rollbacks))?,
        }
        let per_env: Vec<String> =
            m.environments.iter().map(|e| format!("{}: {}", e.environment.label(), e.rollbacks)).collect();
        line(f, &format!("    {}", per_env.join(", ")))?;
        line(f, &format!("  Automated rollbacks: {}", self.automation.rollbacks_line()))?;
        let a = &self.automation;
        line(f, &format!("    not rolled back: {}; drift alerts: {}", a.failures_not_rolled_back, a.drift_alerts))?;
        line(f, "")?;
        writeln!(f, "└{rule}┘")?;
        writeln!(f)?;
        let width = m.kpis.iter().map(|k| k.name.chars().count()).max().unwrap_or(0);
        writeln!(f, "{:<width$}  {:<8} {:<9} {:<8} measured from", "KPI", "target", "value", "verdict")?;
        for k in &m.kpis {
            writeln!(
                f,
                "{:<width$}  {:<8} {:<9} {:<8} {}",
                k.name,
                k.target,
                k.value.map_or("–".into(), |v| v.to_string()),
                k.verdict.label(),
                k.basis
            )?;
        }
        Ok(())
    }
}

/// A bar of `n` scaled so that `most` fills [`BAR`]; a non-zero count shows at least one block.
fn bar(n: usize, most: usize) -> String {
    if most == 0 || n == 0 {
        return String::new();
    }
    let len = ((n as f64 / most as f64) * BAR as f64).round().max(1.0) as usize;
    "█".repeat(len.min(BAR))
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters and noncharacters are parse errors in HTML.
            c if (c.is_control() && !matches!(c, '\n' | '\t')) || is_noncharacter(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn is_noncharacter(c: char) -> bool {
    let n = u32::from(c);
    (0xFDD0..=0xFDEF).contains(&n) || n & 0xFFFE == 0xFFFE
}

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Met => "met",
        Verdict::Missed => "missed",
        Verdict::NoData => "nodata",
    }
}

fn card(page: &mut String, title: &str, value: &str, note: &str, verdict: Verdict, extra: Option<String>) {
    let _ = writeln!(
        page,
        "<div class=\"card {}\"><h2>{}</h2><p class=\"big\">{}</p>{}<p class=\"note\">{}</p></div>",
        verdict_class(verdict),
        escape(title),
        escape(value),
        extra.unwrap_or_default(),
        escape(note)
    );
}

/// The success rate as a horizontal gauge.
fn progress(percent: Option<f64>) -> String {
    let width = percent.map_or(0.0, |p| p.clamp(0.0, 100.0) * 2.4);
    format!(
        "<svg class=\"gauge\" width=\"240\" height=\"14\" viewBox=\"0 0 240 14\" role=\"img\" aria-label=\"success rate\">\
         <rect width=\"240\" height=\"14\" rx=\"7\" fill=\"#e5e7eb\"/>\
         <rect width=\"{width:.1}\" height=\"14\" rx=\"7\" fill=\"#16a34a\"/>\
         <line x1=\"{target:.1}\" x2=\"{target:.1}\" y1=\"0\" y2=\"14\" stroke=\"#111827\" stroke-width=\"2\"/></svg>",
        target = metrics::SUCCESS_RATE_ABOVE_PERCENT as f64 * 2.4
    )
}

struct Row {
    label: &'static str,
    value: f64,
    shown: String,
    colour: &'static str,
}

/// A horizontal bar chart, scaled to its largest value (or its target line, when larger).
fn chart(page: &mut String, caption: &str, rows: &[Row], target: Option<(f64, String)>) {
    const LABEL: f64 = 50.0;
    const SPAN: f64 = 230.0;
    const ROW: f64 = 40.0;
    let most = rows.iter().map(|r| r.value).chain(target.iter().map(|t| t.0)).fold(0.0, f64::max);
    let height = ROW * rows.len() as f64 + 24.0;
    let _ = write!(
        page,
        "<figure class=\"chart\"><figcaption>{}</figcaption>\
         <svg width=\"360\" height=\"{height}\" viewBox=\"0 0 360 {height}\" role=\"img\" aria-label=\"{}\">",
        escape(caption),
        escape(caption)
    );
    for (i, r) in rows.iter().enumerate() {
        let y = 8.0 + ROW * i as f64;
        let w = if most > 0.0 { (r.value / most * SPAN).max(if r.value > 0.0 { 3.0 } else { 0.0 }) } else { 0.0 };
        let _ = write!(
            page,
            "<text x=\"0\" y=\"{ty}\" class=\"label\">{label}</text>\
             <rect x=\"{LABEL}\" y=\"{y}\" width=\"{SPAN}\" height=\"26\" rx=\"4\" fill=\"#f3f4f6\"/>\
             <rect x=\"{LABEL}\" y=\"{y}\" width=\"{w:.1}\" height=\"26\" rx=\"4\" fill=\"{colour}\"/>\
             <text x=\"{tx:.1}\" y=\"{ty}\" class=\"value\">{shown}</text>",
            ty = y + 18.0,
            label = escape(r.label),
            colour = r.colour,
            tx = LABEL + w.max(0.0) + 8.0,
            shown = escape(&r.shown),
        );
    }
    if let Some((value, label)) = target.filter(|_| most > 0.0) {
        let x = LABEL + value / most * SPAN;
        let bottom = ROW * rows.len() as f64 + 4.0;
        let _ = write!(
            page,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"2\" y2=\"{bottom}\" stroke=\"#dc2626\" stroke-width=\"2\" stroke-dasharray=\"5 3\"/>\
             <text x=\"{x:.1}\" y=\"{ly}\" class=\"target\" text-anchor=\"middle\">{}</text>",
            escape(&label),
            ly = bottom + 16.0
        );
    }
    page.push_str("</svg></figure>\n");
}

const STYLE: &str = "
*{box-sizing:border-box}
body{margin:0;background:#f1f5f9;color:#0f172a;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif}
main{max-width:1120px;margin:0 auto;padding:28px 32px 40px}
header{background:#0f172a;color:#f8fafc;border-radius:12px;padding:20px 26px;margin-bottom:20px}
h1{margin:0;font-size:24px;letter-spacing:.04em}
.period{margin:4px 0 0;color:#cbd5e1}
h2{font-size:15px;margin:0 0 10px;color:#334155;text-transform:uppercase;letter-spacing:.06em}
section{margin-bottom:22px}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:16px}
.card{background:#fff;border-radius:12px;padding:16px 18px;border-top:5px solid #94a3b8;box-shadow:0 1px 3px rgba(15,23,42,.08)}
.card.met{border-top-color:#16a34a}.card.missed{border-top-color:#dc2626}
.card h2{font-size:12px;margin-bottom:4px}
.big{font-size:32px;font-weight:700;margin:0 0 6px}
.note{margin:6px 0 0;color:#64748b;font-size:13px}
.charts{display:grid;grid-template-columns:repeat(3,1fr);gap:16px}
.chart svg{width:100%;height:auto}
.chart{background:#fff;border-radius:12px;margin:0;padding:16px 18px;box-shadow:0 1px 3px rgba(15,23,42,.08)}
figcaption{font-weight:600;margin-bottom:10px;color:#334155}
svg text{font:13px system-ui,'DejaVu Sans',sans-serif;fill:#0f172a}
svg .label{font-weight:700}
svg .target{fill:#dc2626;font-size:12px}
table{width:100%;border-collapse:collapse;background:#fff;border-radius:12px;overflow:hidden;box-shadow:0 1px 3px rgba(15,23,42,.08)}
th,td{text-align:left;padding:9px 12px;border-bottom:1px solid #e2e8f0;font-size:14px}
th{background:#f8fafc;color:#475569;font-size:12px;text-transform:uppercase;letter-spacing:.05em}
td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
.recent td{white-space:nowrap}
code{font-size:13px}
.badge{display:inline-block;white-space:nowrap;border-radius:999px;padding:1px 10px;font-size:12px;font-weight:700;color:#fff;background:#94a3b8}
.badge.met{background:#16a34a}.badge.missed{background:#dc2626}
.empty{color:#64748b}
footer{color:#64748b;font-size:12px;text-align:center}
";
