//! The step before a destructive action: a page that says what will happen (who is
//! emailed, what is lost) and sends the same form again with `confirm=yes`. The handlers of
//! such actions act only on a confirmed form, so a single unconfirmed POST (the button on
//! the page, a replayed request) never does it. Works without JavaScript.

use super::layout::Layout;
use super::respond::render;
use super::PageResult;
use askama::Template;
use axum::response::Response;

/// The value of the `confirm` field that the confirmation page sends.
const YES: &str = "yes";

/// Whether the form came from the confirmation page.
pub fn confirmed(confirm: &Option<String>) -> bool {
    confirm.as_deref() == Some(YES)
}

/// What the confirmation page asks.
pub struct Ask {
    /// The question, e.g. "Cancel the meeting of Tue 3 March, 19:30?"
    pub heading: String,
    /// What will happen, one line each.
    pub consequences: Vec<String>,
    /// Where the confirmed form goes (the action's own address).
    pub action: String,
    /// The form's own fields, sent again unchanged.
    pub fields: Vec<(&'static str, String)>,
    /// The button that does it, e.g. "Yes, cancel the meeting".
    pub button: &'static str,
    /// Where "keep it" goes back to.
    pub back: String,
    pub keep: &'static str,
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    layout: Layout,
    ask: Ask,
}

/// The confirmation page for `ask`.
pub fn ask(layout: Layout, ask: Ask) -> PageResult<Response> {
    render(ConfirmPage { layout, ask })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_confirmation_pages_answer_confirms() {
        assert!(confirmed(&Some("yes".into())));
        assert!(!confirmed(&None));
        assert!(!confirmed(&Some("".into())));
        assert!(!confirmed(&Some("1".into())));
    }
}
