//! Colour contrast of the stylesheet in both themes (WCAG 2.1 AA): every rule that sets a
//! text colour is checked against its own background, or — when it sets none — against
//! the page and card backgrounds it is drawn on. Text needs 4.5:1; the check applies that
//! to all text, large text included.

use std::collections::HashMap;

const CSS: &str = include_str!("../../static/app.css");
const AA: f64 = 4.5;

/// The custom properties holding colours in the first `:root { … }` after `from`.
fn root_colours(css: &str) -> HashMap<String, String> {
    let start = css.find(":root").expect("a :root block");
    let body = &css[start..];
    let body = &body[body.find('{').unwrap() + 1..body.find('}').unwrap()];
    declarations(body)
        .filter(|(k, v)| k.starts_with("--") && v.starts_with('#'))
        .map(|(k, v)| (k.trim_start_matches("--").to_owned(), v.to_owned()))
        .collect()
}

fn declarations(block: &str) -> impl Iterator<Item = (&str, &str)> {
    block
        .split(';')
        .filter_map(|d| d.split_once(':'))
        .map(|(k, v)| (k.trim(), v.trim()))
}

/// The light theme, and the dark one (its overrides on top of the light).
fn themes() -> [(&'static str, HashMap<String, String>); 2] {
    let css = without_comments(CSS);
    let light = root_colours(&css);
    let at = css
        .find("@media (prefers-color-scheme: dark)")
        .expect("a dark theme");
    let mut dark = light.clone();
    dark.extend(root_colours(&css[at..]));
    [("light", light), ("dark", dark)]
}

fn without_comments(css: &str) -> String {
    let mut out = String::new();
    let mut rest = css;
    while let Some(i) = rest.find("/*") {
        out.push_str(&rest[..i]);
        rest = &rest[i + rest[i..].find("*/").map_or(rest.len() - i, |j| j + 2)..];
    }
    out.push_str(rest);
    out
}

/// Every innermost rule: (selector, declarations).
fn rules(css: &str) -> Vec<(String, String)> {
    let css = without_comments(css);
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in css.char_indices() {
        match c {
            '{' => start = i + 1,
            '}' if start > 0 => {
                let selector = css[..start - 1]
                    .rsplit(['}', '{'])
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_owned();
                out.push((selector, css[start..i].to_owned()));
                start = 0;
            }
            _ => {}
        }
    }
    out
}

fn resolve(value: &str, vars: &HashMap<String, String>) -> Option<String> {
    let value = value.trim();
    if let Some(name) = value
        .strip_prefix("var(--")
        .and_then(|v| v.strip_suffix(')'))
    {
        return vars.get(name).cloned();
    }
    value.starts_with('#').then(|| value.to_owned())
}

fn luminance(hex: &str) -> f64 {
    let h = hex.trim_start_matches('#');
    let h: String = if h.len() == 3 {
        h.chars().flat_map(|c| [c, c]).collect()
    } else {
        h.to_owned()
    };
    let channel = |i: usize| {
        let c = f64::from(u8::from_str_radix(&h[i..i + 2], 16).unwrap()) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
}

fn ratio(a: &str, b: &str) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// Every (theme, selector, text, background) the stylesheet draws.
fn pairs() -> Vec<(&'static str, String, String, String)> {
    let mut out = Vec::new();
    for (theme, vars) in themes() {
        for (selector, block) in rules(CSS) {
            let decl: HashMap<&str, &str> = declarations(&block).collect();
            let Some(text) = decl.get("color").and_then(|c| resolve(c, &vars)) else {
                continue;
            };
            let own = ["background", "background-color"]
                .iter()
                .find_map(|k| decl.get(k).and_then(|b| resolve(b, &vars)));
            let behind = match own {
                Some(b) => vec![b],
                // Drawn on whatever is behind it: the page or a card.
                None => vec![vars["bg"].clone(), vars["surface"].clone()],
            };
            for b in behind {
                out.push((theme, selector.clone(), text.clone(), b));
            }
        }
    }
    out
}

#[test]
fn every_text_colour_meets_aa_in_both_themes() {
    let pairs = pairs();
    // The check sees what matters: buttons, danger buttons and notices in both themes.
    for (theme, selector) in [
        ("light", "button.danger"),
        ("dark", "button.danger"),
        ("dark", ".notice.error"),
        ("dark", "button, .button"),
    ] {
        assert!(
            pairs
                .iter()
                .any(|(t, s, _, _)| *t == theme && s == selector),
            "{selector} ({theme}) was not checked"
        );
    }
    let failing: Vec<String> = pairs
        .iter()
        .filter(|(_, _, text, bg)| ratio(text, bg) < AA)
        .map(|(theme, sel, text, bg)| {
            format!(
                "{theme}: `{sel}` {text} on {bg} is {:.2}:1",
                ratio(text, bg)
            )
        })
        .collect();
    assert!(failing.is_empty(), "below {AA}:1:\n{}", failing.join("\n"));
}

#[test]
fn contrast_is_computed_as_wcag_defines_it() {
    assert!((ratio("#000", "#fff") - 21.0).abs() < 0.01);
    assert!((ratio("#777777", "#ffffff") - 4.48).abs() < 0.01);
    // The danger button of the dark theme before it was fixed.
    assert!(ratio("#ffffff", "#ff8a8a") < 2.4);
}
