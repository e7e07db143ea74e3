//! The HTML page (to be written).
use super::analyze::Report;
pub fn render(_report: &Report) -> String {
    String::new()
}
