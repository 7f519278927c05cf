//! Small server-rendered SVG charts. No script and no style attributes (the CSP forbids
//! inline styles): colours come from classes in app.css, so they follow the light and
//! dark themes. Each chart carries a title and a description for screen readers; pages
//! also show the numbers as a table.

use std::fmt::Write;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;

/// One value on the chart's x axis.
pub struct Point {
    pub label: String,
    pub value: f64,
}

/// What a chart shows and how its y axis reads.
pub struct Chart<'a> {
    /// Unique on the page (ids for the accessible name).
    pub id: &'a str,
    pub title: &'a str,
    pub description: String,
    /// The top of the y axis (the bottom is 0).
    pub max: f64,
    /// Turns a y value into its axis label ("50%", "4").
    pub format: fn(f64) -> String,
}

/// A bar per point (attendance rate per meeting).
pub fn bars(chart: &Chart, points: &[Point]) -> String {
    let mut svg = frame(chart);
    let slot = plot_width() / points.len().max(1) as f64;
    let bar = (slot * 0.6).min(40.0);
    for (i, p) in points.iter().enumerate() {
        let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        let h = scale(chart, p.value);
        let _ = write!(
            svg,
            r#"<rect class="chart-bar" x="{x:.1}" y="{:.1}" width="{bar:.1}" height="{h:.1}"><title>{}: {}</title></rect>"#,
            TOP + plot_height() - h,
            escape(&p.label),
            escape(&(chart.format)(p.value)),
        );
    }
    x_labels(&mut svg, points, slot);
    svg.push_str("</svg>");
    svg
}

/// A line through the points (members per month).
pub fn line(chart: &Chart, points: &[Point]) -> String {
    let mut svg = frame(chart);
    let slot = plot_width() / points.len().max(1) as f64;
    let coords: Vec<(f64, f64)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let x = LEFT + slot * (i as f64 + 0.5);
            (x, TOP + plot_height() - scale(chart, p.value))
        })
        .collect();
    let path: Vec<String> = coords
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    let _ = write!(
        svg,
        r#"<polyline class="chart-line" points="{}"/>"#,
        path.join(" ")
    );
    for ((x, y), p) in coords.iter().zip(points) {
        let _ = write!(
            svg,
            r#"<circle class="chart-dot" cx="{x:.1}" cy="{y:.1}" r="4"><title>{}: {}</title></circle>"#,
            escape(&p.label),
            escape(&(chart.format)(p.value)),
        );
    }
    x_labels(&mut svg, points, slot);
    svg.push_str("</svg>");
    svg
}

/// A whole percentage ("75%").
pub fn percent(v: f64) -> String {
    format!("{:.0}%", v * 100.0)
}

/// A whole count ("4").
pub fn count(v: f64) -> String {
    format!("{v:.0}")
}

fn plot_width() -> f64 {
    WIDTH - LEFT - RIGHT
}

fn plot_height() -> f64 {
    HEIGHT - TOP - BOTTOM
}

fn scale(chart: &Chart, v: f64) -> f64 {
    if chart.max <= 0.0 {
        return 0.0;
    }
    (v / chart.max).clamp(0.0, 1.0) * plot_height()
}

/// The opening tag, accessible name, grid lines and y labels (0, half, max).
fn frame(chart: &Chart) -> String {
    let id = escape(chart.id);
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(chart.title),
        escape(&chart.description),
    );
    for fraction in [0.0, 0.5, 1.0] {
        let y = TOP + plot_height() * (1.0 - fraction);
        let _ = write!(
            svg,
            r#"<line class="chart-grid" x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}"/><text class="chart-label" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            escape(&(chart.format)(chart.max * fraction)),
        );
    }
    svg
}

/// Labels under the x axis; with many points only every other one, so they never overlap.
fn x_labels(svg: &mut String, points: &[Point], slot: f64) {
    let every = if slot < 44.0 { 2 } else { 1 };
    for (i, p) in points.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let _ = write!(
            svg,
            r#"<text class="chart-label" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            LEFT + slot * (i as f64 + 0.5),
            HEIGHT - BOTTOM + 18.0,
            escape(&p.label),
        );
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> Chart<'static> {
        Chart {
            id: "att",
            title: "Attendance <per meeting>",
            description: "Two meetings".into(),
            max: 1.0,
            format: percent,
        }
    }

    fn points() -> Vec<Point> {
        vec![
            Point {
                label: "3 Mar".into(),
                value: 0.5,
            },
            Point {
                label: "10 Mar".into(),
                value: 1.0,
            },
        ]
    }

    #[test]
    fn bars_are_scaled_to_the_axis_and_named() {
        let svg = bars(&chart(), &points());
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("class=\"chart-bar\"").count(), 2);
        // Half of the 204-px plot, then all of it.
        assert!(svg.contains("height=\"102.0\""), "{svg}");
        assert!(svg.contains("height=\"204.0\""), "{svg}");
        assert!(svg.contains("<title>10 Mar: 100%</title>"));
        assert!(svg.contains("Attendance &lt;per meeting&gt;"));
        assert!(!svg.contains("style="));
    }

    #[test]
    fn a_line_has_a_dot_per_point_and_survives_no_data() {
        let svg = line(&chart(), &points());
        assert_eq!(svg.matches("class=\"chart-dot\"").count(), 2);
        assert!(svg.contains("<polyline class=\"chart-line\""));
        let empty = Chart {
            max: 0.0,
            ..chart()
        };
        assert!(line(&empty, &[]).ends_with("</svg>"));
        assert!(bars(&empty, &points()).contains("height=\"0.0\""));
    }
}
