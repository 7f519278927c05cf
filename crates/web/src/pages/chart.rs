//! Small server-rendered SVG charts. No script and no style attributes (the CSP forbids
//! inline styles): colours come from classes in app.css, so they follow the light and
//! dark themes. Each chart carries a title and a description for screen readers; pages
//! also show the numbers as a table.

use std::fmt::Write;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 280.0;
/// Room for y labels as wide as "100%" in the largest label size below.
const LEFT: f64 = 76.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 20.0;
const BOTTOM: f64 = 48.0;
/// The label size, in the chart's own units, that app.css uses on narrow screens. The
/// chart shrinks with the screen (on a 375-px phone to about 300 px, under half of
/// [`WIDTH`]), so its labels are drawn this large there to stay at least 11 px; x labels
/// are spaced for it so they never overlap.
const LABEL_UNITS: f64 = 26.0;

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
    /// The largest value the chart must reach (the bottom is 0); the axis ends at the
    /// first tick at or above it.
    pub max: f64,
    /// Turns a y value into its axis label ("50%", "4").
    pub format: fn(f64) -> String,
    /// Whether values are counts, so ticks fall on whole numbers only.
    pub whole: bool,
}

impl Chart<'_> {
    /// The y ticks from 0 up, a round step apart (1, 2 or 5 times a power of ten, whole
    /// for counts), at most four steps: each tick sits at exactly the value it labels.
    fn ticks(&self) -> Vec<f64> {
        if self.max <= 0.0 || !self.max.is_finite() {
            return vec![0.0];
        }
        let rough = self.max / 4.0;
        let power = 10f64.powf(rough.log10().floor());
        let mut step = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * power)
            .find(|s| *s >= rough)
            .unwrap_or(10.0 * power);
        if self.whole {
            step = step.max(1.0).ceil();
        }
        let steps = (self.max / step - 1e-9).ceil().max(1.0) as usize;
        (0..=steps).map(|i| step * i as f64).collect()
    }

    /// The value at the top of the y axis: the highest tick.
    fn top(&self) -> f64 {
        self.ticks().last().copied().unwrap_or(0.0)
    }
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
    let top = chart.top();
    if top <= 0.0 {
        return 0.0;
    }
    (v / top).clamp(0.0, 1.0) * plot_height()
}

/// The opening tag, accessible name, grid lines and y labels (one per tick).
fn frame(chart: &Chart) -> String {
    let id = escape(chart.id);
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(chart.title),
        escape(&chart.description),
    );
    for tick in chart.ticks() {
        let y = TOP + plot_height() - scale(chart, tick);
        let _ = write!(
            svg,
            r#"<line class="chart-grid" x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}"/><text class="chart-label" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            WIDTH - RIGHT,
            LEFT - 8.0,
            y + 8.0,
            escape(&(chart.format)(tick)),
        );
    }
    svg
}

/// Labels under the x axis; with many points only every second (third …) one, so they
/// never overlap even at the large label size of narrow screens.
fn x_labels(svg: &mut String, points: &[Point], slot: f64) {
    let widest = points
        .iter()
        .map(|p| p.label.chars().count())
        .max()
        .unwrap_or(0) as f64;
    // An average glyph is about 0.6 of the font size; keep a gap of a third of it.
    let needed = (widest * 0.6 + 0.35) * LABEL_UNITS;
    let every = ((needed / slot.max(1.0)).ceil() as usize).max(1);
    for (i, p) in points.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let _ = write!(
            svg,
            r#"<text class="chart-label" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            LEFT + slot * (i as f64 + 0.5),
            HEIGHT - BOTTOM + 32.0,
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
            whole: false,
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
        // Half of the 212-unit plot, then all of it.
        assert!(svg.contains("height=\"106.0\""), "{svg}");
        assert!(svg.contains("height=\"212.0\""), "{svg}");
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

    fn counts(max: f64) -> Chart<'static> {
        Chart {
            max,
            format: count,
            whole: true,
            ..chart()
        }
    }

    #[test]
    fn ticks_sit_at_the_values_they_label() {
        // A circle of 5: not 0, 2.5 (labelled "2" or "3") and 5, but whole steps.
        assert_eq!(counts(5.0).ticks(), [0.0, 2.0, 4.0, 6.0]);
        assert_eq!(counts(3.0).ticks(), [0.0, 1.0, 2.0, 3.0]);
        assert_eq!(counts(10.0).ticks(), [0.0, 5.0, 10.0]);
        assert_eq!(chart().ticks().last(), Some(&1.0));
        // The label of each tick is drawn 8 units below its grid line's height.
        let svg = line(&counts(5.0), &points());
        let plot = HEIGHT - TOP - BOTTOM;
        for (tick, label) in [(2.0, "2"), (4.0, "4"), (6.0, "6")] {
            let y = TOP + plot - plot * tick / 6.0 + 8.0;
            assert!(
                svg.contains(&format!("y=\"{y:.1}\" text-anchor=\"end\">{label}<")),
                "{svg}"
            );
        }
        assert!(!svg.contains(">3<") && !svg.contains(">2.5<"));
    }

    #[test]
    fn x_labels_thin_out_so_large_labels_never_overlap() {
        let many: Vec<Point> = (1..=12)
            .map(|i| Point {
                label: format!("{i} Mar"),
                value: 0.5,
            })
            .collect();
        let svg = bars(&chart(), &many);
        let shown = svg.matches("text-anchor=\"middle\"").count();
        assert!((4..12).contains(&shown), "{shown} labels");
    }
}
