//! The terminal view: one block per campaign, arms as rows, lifts with their interval
//! and chance to win, warnings in words underneath.

use super::analyze::{LiftReport, Report};
use std::fmt::Write;

/// `12,345`
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn signed_percent(x: f64) -> String {
    format!("{:+.1} %", 100.0 * x)
}

fn lift_cell(lift: &Option<LiftReport>, is_control: bool) -> (String, String) {
    match lift {
        Some(l) => (
            format!(
                "{} [{}, {}]",
                signed_percent(l.lift.estimate),
                signed_percent(l.lift.ci_low),
                signed_percent(l.lift.ci_high)
            ),
            format!("{:.1} %", 100.0 * l.lift.chance_to_win),
        ),
        None if is_control => ("(control)".into(), String::new()),
        None => ("-".into(), String::new()),
    }
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let level = format!("{:.0} %", 100.0 * report.settings.confidence);
    let _ = writeln!(
        out,
        "perso report: {} campaigns, {} events read, {} visitors, {} orders",
        report.campaigns.len(),
        thousands(report.input.counts.events),
        thousands(report.input.visitors),
        thousands(report.input.orders)
    );
    for w in &report.warnings {
        let _ = writeln!(out, "! {}", w.message);
    }
    for c in &report.campaigns {
        let _ = writeln!(out);
        let control = c.control.as_deref().map(|v| format!(", control `{v}`")).unwrap_or_default();
        let _ = writeln!(
            out,
            "{} ({}{control}) · {} visitors · {} → {} ({:.1} days)",
            c.campaign,
            c.kind,
            thousands(c.visitors),
            &c.first_exposure[..10],
            &c.last_exposure[..10],
            c.days
        );
        if let Some(srm) = &c.srm {
            let _ = writeln!(
                out,
                "  sample ratio: {} (chi-square {:.2}, p = {:.3}, against {} split)",
                if srm.mismatch { "MISMATCH" } else { "ok" },
                srm.chi2,
                srm.p_value,
                if srm.expected == "weights" { "the bundle's" } else { "an equal" }
            );
        }
        let _ = writeln!(
            out,
            "  {:<14} {:>9} {:>7} {:>10}  {:<28} {:>7}  {:>11}  {:<28} {:>7}",
            "variant",
            "visitors",
            "conv.",
            "conv. rate",
            format!("lift [{level} interval]"),
            "P(win)",
            "rev/visitor",
            format!("lift [{level} interval]"),
            "P(win)"
        );
        for a in &c.arms {
            let (cr, cr_win) = lift_cell(&a.conversion_lift, a.is_control);
            let (rpv, rpv_win) = lift_cell(&a.revenue_lift, a.is_control);
            let _ = writeln!(
                out,
                "  {:<14} {:>9} {:>7} {:>8.2} %  {:<28} {:>7}  {:>11.2}  {:<28} {:>7}",
                a.variant,
                thousands(a.visitors),
                thousands(a.conversions),
                100.0 * a.conversion_rate,
                cr,
                cr_win,
                a.revenue_per_visitor,
                rpv,
                rpv_win
            );
        }
        for w in &c.warnings {
            let _ = writeln!(out, "  ! {}", w.message);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(signed_percent(0.1234), "+12.3 %");
        assert_eq!(signed_percent(-0.05), "-5.0 %");
    }
}
