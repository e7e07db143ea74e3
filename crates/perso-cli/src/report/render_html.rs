//! `--html FILE`: the report as one self-contained page a marketer would rather look
//! at than read. Inline CSS and inline SVG only: no script, no font, no image, no
//! request of any kind, so it can be mailed, archived or opened offline.
//!
//! Per campaign: a verdict in words for each variant, a lift chart (for conversion
//! rate and revenue per visitor: the point estimate, its interval as a bar, the zero
//! line, the chance to win), the numbers as a table, and the warnings in plain words.

use super::analyze::{ArmReport, CampaignReport, LiftReport, Report};
use super::render_table::{signed_percent, thousands};
use std::fmt::Write;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { --ink: #1d2433; --muted: #5b6478; --line: #dfe3ea; --win: #1f8a4c; --loss: #c0392b; --flat: #7a8294; --warn-bg: #fff6e0; --warn: #8a5a00; --srm-bg: #fdecea; --srm: #a12a1f; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f6f9; color: var(--ink); font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 28px 20px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
.sub { color: var(--muted); margin: 0 0 20px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 12px; padding: 20px 22px; margin: 0 0 20px; box-shadow: 0 1px 2px rgba(20, 30, 50, .04); }
.card h2 { font-size: 19px; margin: 0; display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
.meta { color: var(--muted); font-size: 13px; margin: 2px 0 14px; }
.badge { font-size: 12px; font-weight: 600; padding: 2px 9px; border-radius: 999px; color: #fff; background: var(--flat); }
.badge.win { background: var(--win); } .badge.loss { background: var(--loss); } .badge.srm { background: var(--srm); }
.verdict { margin: 0 0 8px; font-size: 16px; }
.verdict b.win { color: var(--win); } .verdict b.loss { color: var(--loss); }
svg { display: block; width: 100%; height: auto; margin: 8px 0 4px; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; margin-top: 10px; }
th, td { text-align: right; padding: 6px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
th { color: var(--muted); font-weight: 600; }
.warn { background: var(--warn-bg); color: var(--warn); border-radius: 8px; padding: 9px 12px; margin: 10px 0 0; font-size: 14px; }
.warn.srm { background: var(--srm-bg); color: var(--srm); font-weight: 600; }
.foot { color: var(--muted); font-size: 12.5px; margin-top: 26px; }
"#;

/// `win`, `loss` or `flat` for a lift (interval above 0, below 0, across 0).
fn class(lift: &LiftReport) -> &'static str {
    match lift.outcome {
        "better" => "win",
        "worse" => "loss",
        _ => "flat",
    }
}

/// A "nice" tick step (1, 2 or 5 × 10^k) for a span.
fn tick_step(span: f64) -> f64 {
    let raw = span / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let ratio = raw / magnitude;
    magnitude
        * if ratio < 1.5 {
            1.0
        } else if ratio < 3.5 {
            2.0
        } else if ratio < 7.5 {
            5.0
        } else {
            10.0
        }
}

/// The lift chart of one campaign: one row per (variant, metric) with a lift.
fn chart(c: &CampaignReport, level: &str) -> String {
    let rows: Vec<(&ArmReport, &str, &LiftReport)> = c
        .arms
        .iter()
        .flat_map(|a| {
            [("conversion rate", &a.conversion_lift), ("revenue per visitor", &a.revenue_lift)]
                .into_iter()
                .filter_map(move |(metric, lift)| lift.as_ref().map(|l| (a, metric, l)))
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    // Intervals wider than ±300 % (too little data) are drawn clipped, with an arrow.
    let (clip_low, clip_high) = (-1.0, 3.0);
    let low = rows.iter().map(|r| r.2.lift.ci_low.max(clip_low)).fold(0.0f64, f64::min);
    let high = rows.iter().map(|r| r.2.lift.ci_high.min(clip_high)).fold(0.0f64, f64::max);
    let pad = ((high - low) * 0.08).max(0.01);
    let (low, high) = (low - pad, high + pad);
    let (left, width, right_label) = (160.0, 500.0, 290.0);
    let row_h = 46.0;
    let top = 30.0;
    let total_w = left + width + right_label;
    let total_h = top + row_h * rows.len() as f64 + 10.0;
    let x = |v: f64| left + (v.clamp(low, high) - low) / (high - low) * width;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg viewBox="0 0 {total_w} {total_h}" role="img" aria-label="Lift of each variant against the control, with {level} intervals" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif">"#
    );
    for i in (0..rows.len()).step_by(2) {
        let _ = write!(
            svg,
            r##"<rect x="0" y="{:.1}" width="{total_w}" height="{row_h}" fill="#fafbfc"/>"##,
            top + row_h * i as f64
        );
    }
    let step = tick_step(high - low);
    let mut tick = (low / step).ceil() * step;
    while tick <= high + 1e-12 {
        let tx = x(tick);
        let _ = write!(
            svg,
            r##"<line x1="{tx:.1}" y1="{top}" x2="{tx:.1}" y2="{:.1}" stroke="#eef0f4"/><text x="{tx:.1}" y="{:.1}" font-size="11" fill="#5b6478" text-anchor="middle">{}</text>"##,
            total_h - 10.0,
            top - 10.0,
            format!("{:+.0} %", 100.0 * tick).replace("+0 %", "0 %").replace("-0 %", "0 %")
        );
        tick += step;
    }
    let mut bars = String::new();
    for (i, (arm, metric, lift)) in rows.iter().enumerate() {
        let y = top + row_h * (i as f64 + 0.5);
        let color = match class(lift) {
            "win" => "#1f8a4c",
            "loss" => "#c0392b",
            _ => "#7a8294",
        };
        let (a, b, p) = (x(lift.lift.ci_low), x(lift.lift.ci_high), x(lift.lift.estimate));
        let svg = &mut bars;
        let _ = write!(
            svg,
            r##"<text x="8" y="{:.1}" font-size="13" font-weight="600" fill="#1d2433">{}</text><text x="8" y="{:.1}" font-size="12" fill="#5b6478">{metric}</text>"##,
            y - 3.0,
            escape(&arm.variant),
            y + 13.0
        );
        let _ = write!(
            svg,
            r##"<line x1="{a:.1}" y1="{y:.1}" x2="{b:.1}" y2="{y:.1}" stroke="{color}" stroke-width="8" stroke-linecap="round" opacity="0.35"/><circle cx="{p:.1}" cy="{y:.1}" r="6.5" fill="{color}"/>"##
        );
        if lift.lift.ci_low < low {
            let _ = write!(svg, r#"<path d="M{:.1} {y:.1} l8 -6 v12 z" fill="{color}"/>"#, left);
        }
        if lift.lift.ci_high > high {
            let _ = write!(svg, r#"<path d="M{:.1} {y:.1} l-8 -6 v12 z" fill="{color}"/>"#, left + width);
        }
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="13" font-weight="600" fill="{color}">{}</text><text x="{:.1}" y="{:.1}" font-size="12" fill="#5b6478">{} to {} · {:.0} % chance to win</text>"##,
            left + width + 14.0,
            y - 3.0,
            signed_percent(lift.lift.estimate),
            left + width + 14.0,
            y + 13.0,
            signed_percent(lift.lift.ci_low),
            signed_percent(lift.lift.ci_high),
            100.0 * lift.lift.chance_to_win
        );
    }
    // The zero line above the grid and under the bars.
    let zero = x(0.0);
    let _ = write!(
        svg,
        r##"<line x1="{zero:.1}" y1="{:.1}" x2="{zero:.1}" y2="{:.1}" stroke="#1d2433" stroke-width="1.5"/>"##,
        top - 4.0,
        total_h - 6.0
    );
    svg.push_str(&bars);
    svg.push_str("</svg>");
    svg
}

fn verdicts(c: &CampaignReport, level: &str) -> String {
    let mut out = String::new();
    let control = c.control.as_deref().unwrap_or("the control");
    for a in c.arms.iter().filter(|a| !a.is_control) {
        let Some(cr) = &a.conversion_lift else { continue };
        let rpv = a.revenue_lift.as_ref();
        let cls = class(cr);
        let reading = match cr.outcome {
            "better" => "a clear gain",
            "worse" => "a clear loss",
            _ => "not clear yet: the interval includes zero",
        };
        let _ = write!(
            out,
            r#"<p class="verdict">Variant <b>{}</b>: conversion rate <b class="{cls}">{}</b> ({level} interval {} to {}), {reading}; {:.0} % chance it beats {}."#,
            escape(&a.variant),
            signed_percent(cr.lift.estimate),
            signed_percent(cr.lift.ci_low),
            signed_percent(cr.lift.ci_high),
            100.0 * cr.lift.chance_to_win,
            escape(control)
        );
        if let Some(r) = rpv {
            let _ = write!(
                out,
                r#" Revenue per visitor: <b class="{}">{}</b> ({} to {})."#,
                class(r),
                signed_percent(r.lift.estimate),
                signed_percent(r.lift.ci_low),
                signed_percent(r.lift.ci_high)
            );
        }
        out.push_str("</p>");
    }
    out
}

fn badge(c: &CampaignReport) -> &'static str {
    if c.srm.as_ref().is_some_and(|s| s.mismatch) {
        return r#"<span class="badge srm">Check the set-up</span>"#;
    }
    let lifts: Vec<&LiftReport> = c.arms.iter().filter_map(|a| a.conversion_lift.as_ref()).collect();
    if lifts.iter().any(|l| l.outcome == "better") {
        r#"<span class="badge win">Winning</span>"#
    } else if !lifts.is_empty() && lifts.iter().all(|l| l.outcome == "worse") {
        r#"<span class="badge loss">Losing</span>"#
    } else if lifts.is_empty() {
        r#"<span class="badge">No lift measured</span>"#
    } else {
        r#"<span class="badge">Not clear yet</span>"#
    }
}

fn card(out: &mut String, c: &CampaignReport, level: &str) {
    let _ = write!(
        out,
        r#"<section class="card"><h2>{} {}</h2><p class="meta">{} · {} visitors · {} to {} ({:.1} days){}</p>"#,
        escape(&c.campaign),
        badge(c),
        if c.kind == "promotion" { "shown (view_promotion)" } else { "experiment" },
        thousands(c.visitors),
        &c.first_exposure[..10],
        &c.last_exposure[..10],
        c.days,
        c.control.as_deref().map(|v| format!(" · control: {}", escape(v))).unwrap_or_default()
    );
    out.push_str(&verdicts(c, level));
    out.push_str(&chart(c, level));
    out.push_str("<table><tr><th>variant</th><th>visitors</th><th>expected share</th><th>conversions</th><th>conversion rate</th><th>revenue</th><th>revenue / visitor</th></tr>");
    for a in &c.arms {
        let _ = write!(
            out,
            "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2} %</td><td>{:.2}</td><td>{:.2}</td></tr>",
            escape(&a.variant),
            if a.is_control { " (control)" } else { "" },
            thousands(a.visitors),
            a.expected_share.map(|s| format!("{:.1} %", 100.0 * s)).unwrap_or_else(|| "–".into()),
            thousands(a.conversions),
            100.0 * a.conversion_rate,
            a.revenue,
            a.revenue_per_visitor
        );
    }
    out.push_str("</table>");
    if let Some(s) = &c.srm {
        if !s.mismatch {
            let _ = write!(
                out,
                r#"<p class="meta" style="margin-top:10px">Sample ratio: as expected ({} split, chi-square p = {:.2}).</p>"#,
                if s.expected == "weights" { "the bundle's" } else { "an equal" },
                s.p_value
            );
        }
    }
    for w in &c.warnings {
        let _ =
            write!(out, r#"<p class="warn{}">{}</p>"#, if w.code == "srm" { " srm" } else { "" }, escape(&w.message));
    }
    out.push_str("</section>");
}

pub fn render(report: &Report) -> String {
    let level = format!("{:.0} %", 100.0 * report.settings.confidence);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>perso report</title><link rel="icon" href="data:,"><style>{STYLE}</style></head><body><main><h1>What personalization earned</h1><p class="sub">{} campaigns · {} visitors · {} orders · lift against the holdout with {level} intervals{}</p>"#,
        report.campaigns.len(),
        thousands(report.input.visitors),
        thousands(report.input.orders),
        report
            .settings
            .window_days
            .map(|d| format!(" · orders within {d} days of the first exposure"))
            .unwrap_or_default()
    );
    for w in &report.warnings {
        let _ = write!(out, r#"<p class="warn">{}</p>"#, escape(&w.message));
    }
    for c in &report.campaigns {
        card(&mut out, c, &level);
    }
    let _ = write!(
        out,
        r#"<p class="foot">Made by <code>perso report</code> from {} events. Lift = variant ÷ control − 1, interval by the delta method (as GrowthBook's frequentist engine), chance to win = P(lift &gt; 0) under a flat prior. A bar that does not cross the black zero line is a clear result.</p></main></body></html>"#,
        thousands(report.input.counts.events)
    );
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_ticks() {
        assert_eq!(escape(r#"<a href="x">&'"#), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(tick_step(0.5), 0.1);
        assert_eq!(tick_step(2.0), 0.5);
        assert_eq!(tick_step(0.07), 0.01);
    }
}
