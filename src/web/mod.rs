//! The web edge: HTML pages rendered with askama. Only this module knows templates.
use askama::Template;

#[derive(Template)]
#[template(path = "return.html")]
struct ReturnPage<'a> {
    commissioner_ref: &'a str,
    commissioner_name: &'a str,
    from: String,
    to: String,
    /// The CSV cells of each row, in `RETURN_COLUMNS` order.
    rows: Vec<Vec<String>>,
    /// Totals for columns 8 onwards (weekly amount to exceptions open).
    totals: Vec<String>,
}

/// The council return as a page a finance officer can read and print.
pub fn return_page(
    commissioner_ref: &str,
    commissioner_name: &str,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    rows: Vec<Vec<String>>,
    totals: Vec<String>,
) -> Result<String, askama::Error> {
    ReturnPage {
        commissioner_ref,
        commissioner_name,
        from: from.to_string(),
        to: to.to_string(),
        rows,
        totals,
    }
    .render()
}
