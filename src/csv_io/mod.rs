//! The CSV edge: reads the input files of FORMATS.md into rows with typed cell getters, and writes
//! the CSV outputs. Every problem is a `RowError` naming the file, the line and the column.
use crate::domain::calendar::{parse_date, parse_instant, parse_whole_minute_instant, Instant};
use crate::domain::money::{parse_quantity, Pence};
use crate::domain::refs::Ref;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::fmt;

/// The most data rows one input file may hold.
pub const IMPORT_ROWS_MAX: usize = 5_000_000;

/// One problem with one cell (or row, or header) of an input file. (Serialisable: an import job
/// keeps its row errors.)
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowError {
    pub file: String,
    /// 1 is the header.
    pub line: u64,
    pub column: String,
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.column, self.reason
        )
    }
}

/// A file read as text rows under a checked header.
///
/// The cells live in one string, each row's cells one after another (`ends` holds where each cell
/// ends): a file of a hundred thousand rows is then a handful of allocations, not a million.
pub struct Table {
    pub file: String,
    /// The header's names, in file order.
    columns: Vec<String>,
    text: String,
    ends: Vec<usize>,
    lines: Vec<u64>,
}

/// Reads `bytes` as the CSV file `file`, whose header must hold exactly `columns` in any order.
pub fn read_table(file: &str, bytes: &[u8], columns: &[&str]) -> Result<Table, Vec<RowError>> {
    let err = |line: u64, column: &str, reason: String| RowError {
        file: file.to_owned(),
        line,
        column: column.to_owned(),
        reason,
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    match reader.read_byte_record(&mut record) {
        Ok(true) => {}
        Ok(false) => {
            return Err(vec![err(
                1,
                "header",
                "the file is empty: a header row is required".into(),
            )])
        }
        Err(e) => {
            return Err(vec![err(
                1,
                "header",
                format!("cannot be read as CSV: {e}"),
            )])
        }
    }
    let mut errors = Vec::new();
    let mut header_names: Vec<String> = Vec::new();
    for (i, raw) in record.iter().enumerate() {
        match std::str::from_utf8(raw) {
            Ok(name) => header_names.push(name.to_owned()),
            Err(_) => {
                errors.push(err(1, &format!("field {}", i + 1), "is not UTF-8".into()));
                header_names.push(String::new());
            }
        }
    }
    for (i, name) in header_names.iter().enumerate() {
        if !columns.contains(&name.as_str()) {
            errors.push(err(
                1,
                name,
                format!(
                    "unknown column {name:?}: the columns of {file} are {}",
                    columns.join(", ")
                ),
            ));
        } else if header_names[..i].contains(name) {
            errors.push(err(1, name, "the column appears twice".into()));
        }
    }
    for column in columns {
        if !header_names.iter().any(|n| n == column) {
            errors.push(err(
                1,
                column,
                "required column is missing from the header".into(),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let width = header_names.len();
    // About how many rows and how much text, so the buffers grow once or not at all.
    let rows_guess = bytes.iter().filter(|&&b| b == b'\n').count();
    let mut text = String::with_capacity(bytes.len());
    let mut ends = Vec::with_capacity(rows_guess * width);
    let mut lines = Vec::with_capacity(rows_guess);
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(err(line, "row", format!("cannot be read as CSV: {e}")));
                // Reading from memory, only a broken reader errs here: nothing after is trusted.
                break;
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        if record.len() == 1 && record.get(0).is_some_and(<[u8]>::is_empty) {
            continue; // a blank line
        }
        if lines.len() >= IMPORT_ROWS_MAX {
            errors.push(err(
                line,
                "row",
                format!("more than {IMPORT_ROWS_MAX} rows in one file"),
            ));
            break;
        }
        if record.len() < width {
            errors.push(err(
                line,
                &header_names[record.len()],
                "the row ends before this column".into(),
            ));
            continue;
        }
        if record.len() > width {
            errors.push(err(
                line,
                &format!("field {}", width + 1),
                format!(
                    "the row has {} fields; the header has {width}",
                    record.len()
                ),
            ));
            continue;
        }
        // One UTF-8 check for the whole row; only a row that fails it is looked at cell by cell.
        let Ok(all) = std::str::from_utf8(record.as_slice()) else {
            for (i, raw) in record.iter().enumerate() {
                if std::str::from_utf8(raw).is_err() {
                    errors.push(err(line, &header_names[i], "is not UTF-8".into()));
                }
            }
            continue;
        };
        let base = text.len();
        text.push_str(all);
        for i in 0..width {
            ends.push(base + record.range(i).map_or(0, |r| r.end));
        }
        lines.push(line);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Table {
        file: file.to_owned(),
        columns: header_names,
        text,
        ends,
        lines,
    })
}

impl Table {
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The rows, each with its own error sink.
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.lines.iter().enumerate().map(move |(r, line)| Row {
            table: self,
            line: *line,
            first_cell: r * self.columns.len(),
            errors: Vec::new(),
        })
    }

    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The text of cell `n` (counted across all rows).
    fn cell(&self, n: usize) -> &str {
        let start = if n == 0 { 0 } else { self.ends[n - 1] };
        &self.text[start..self.ends[n]]
    }
}

/// Columns of free text, which keep their spaces as written.
const FREE_TEXT: [&str; 9] = [
    "name",
    "given_name",
    "family_name",
    "title",
    "description",
    "supplier",
    "purpose",
    "approved_by",
    "representative_name",
];

/// One data row and the problems found in it so far.
pub struct Row<'a> {
    table: &'a Table,
    pub line: u64,
    first_cell: usize,
    pub errors: Vec<RowError>,
}

impl<'a> Row<'a> {
    pub fn file(&self) -> &str {
        &self.table.file
    }

    /// Records a problem with `column`.
    pub fn error(&mut self, column: &str, reason: impl Into<String>) {
        self.errors.push(RowError {
            file: self.table.file.clone(),
            line: self.line,
            column: column.to_owned(),
            reason: reason.into(),
        });
    }

    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// The cell of `column`, which must be one of the file's columns (a header without it was
    /// refused). A scan of a dozen names beats hashing the name.
    fn raw(&self, column: &str) -> &'a str {
        let i = self
            .table
            .columns
            .iter()
            .position(|c| c == column)
            .unwrap_or_else(|| panic!("{column} is not a column of {}", self.table.file));
        self.table.cell(self.first_cell + i)
    }

    /// The cell as written, or `None` when empty; spaces around a non-free-text value are an error.
    pub fn opt(&mut self, column: &str) -> Option<&'a str> {
        let cell = self.raw(column);
        if cell.is_empty() {
            return None;
        }
        if !FREE_TEXT.contains(&column) && cell.trim() != cell {
            self.error(
                column,
                format!("{cell:?} has spaces before or after the value"),
            );
            return None;
        }
        Some(cell)
    }

    /// A required cell.
    pub fn req(&mut self, column: &str) -> Option<&'a str> {
        if self.raw(column).is_empty() {
            self.error(column, "is required");
            return None;
        }
        self.opt(column)
    }

    fn parsed<T, E: fmt::Display>(
        &mut self,
        column: &str,
        required: bool,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let cell = if required {
            self.req(column)?
        } else {
            self.opt(column)?
        };
        match parse(cell) {
            Ok(v) => Some(v),
            Err(e) => {
                self.error(column, e.to_string());
                None
            }
        }
    }

    pub fn text(&mut self, column: &str) -> Option<String> {
        self.req(column).map(str::to_owned)
    }

    pub fn opt_text(&mut self, column: &str) -> Option<String> {
        self.opt(column).map(str::to_owned)
    }

    pub fn reference(&mut self, column: &str) -> Option<String> {
        self.parsed(column, true, Ref::parse)
            .map(|r| r.as_str().to_owned())
    }

    pub fn opt_reference(&mut self, column: &str) -> Option<String> {
        self.parsed(column, false, Ref::parse)
            .map(|r| r.as_str().to_owned())
    }

    pub fn date(&mut self, column: &str) -> Option<NaiveDate> {
        self.parsed(column, true, parse_date)
    }

    pub fn opt_date(&mut self, column: &str) -> Option<NaiveDate> {
        self.parsed(column, false, parse_date)
    }

    pub fn instant(&mut self, column: &str) -> Option<Instant> {
        self.parsed(column, true, parse_instant)
    }

    pub fn opt_instant(&mut self, column: &str) -> Option<Instant> {
        self.parsed(column, false, parse_instant)
    }

    pub fn planned_instant(&mut self, column: &str) -> Option<Instant> {
        self.parsed(column, true, parse_whole_minute_instant)
    }

    pub fn money(&mut self, column: &str) -> Option<Pence> {
        self.parsed(column, true, Pence::parse)
    }

    pub fn opt_money(&mut self, column: &str) -> Option<Pence> {
        self.parsed(column, false, Pence::parse)
    }

    pub fn positive_money(&mut self, column: &str) -> Option<Pence> {
        self.parsed(column, true, Pence::parse_positive)
    }

    pub fn quantity(&mut self, column: &str) -> Option<Decimal> {
        self.parsed(column, true, parse_quantity)
    }

    pub fn opt_quantity(&mut self, column: &str) -> Option<Decimal> {
        self.parsed(column, false, parse_quantity)
    }

    /// An optional integer ≥ `min`.
    pub fn opt_integer(&mut self, column: &str, min: i64) -> Option<i64> {
        self.parsed(column, false, |s| parse_integer(s, min))
    }

    pub fn integer(&mut self, column: &str, min: i64) -> Option<i64> {
        self.parsed(column, true, |s| parse_integer(s, min))
    }

    /// A required boolean.
    pub fn boolean(&mut self, column: &str) -> Option<bool> {
        self.parsed(column, true, parse_bool)
    }

    /// An optional boolean: empty is `false`.
    pub fn opt_boolean(&mut self, column: &str) -> Option<bool> {
        if self.raw(column).is_empty() {
            return Some(false);
        }
        self.parsed(column, false, parse_bool)
    }

    /// One word of an enumeration.
    pub fn word<T>(
        &mut self,
        column: &str,
        words: &[&str],
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Option<T> {
        let cell = self.req(column)?;
        match parse(cell) {
            Some(v) => Some(v),
            None => {
                self.error(
                    column,
                    format!("{cell:?} is not one of {}", words.join(", ")),
                );
                None
            }
        }
    }

    pub fn opt_word<T>(
        &mut self,
        column: &str,
        words: &[&str],
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Option<T> {
        let cell = self.opt(column)?;
        match parse(cell) {
            Some(v) => Some(v),
            None => {
                self.error(
                    column,
                    format!("{cell:?} is not one of {}", words.join(", ")),
                );
                None
            }
        }
    }

    /// A `;`-separated list of refs (may be empty).
    pub fn reference_list(&mut self, column: &str) -> Option<Vec<String>> {
        let Some(cell) = self.opt(column) else {
            return Some(Vec::new());
        };
        let mut out = Vec::new();
        for part in cell.split(';') {
            match Ref::parse(part) {
                Ok(r) => out.push(r.as_str().to_owned()),
                Err(e) => {
                    self.error(column, format!("in the list {cell:?}: {e}"));
                    return None;
                }
            }
        }
        Some(out)
    }
}

fn parse_integer(text: &str, min: i64) -> Result<i64, String> {
    if text.is_empty() || text.len() > 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{text:?} is not a whole number ≥ {min}"));
    }
    let value: i64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a whole number"))?;
    if value < min {
        return Err(format!("{value} is below the minimum of {min}"));
    }
    Ok(value)
}

fn parse_bool(text: &str) -> Result<bool, String> {
    match text {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("{text:?} is not true or false")),
    }
}

/// Writes rows of text as CSV (RFC 4180 quoting) to a string.
pub fn write_csv(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(header)
        .expect("writing to memory cannot fail");
    for row in rows {
        writer
            .write_record(&row)
            .expect("writing to memory cannot fail");
    }
    String::from_utf8(writer.into_inner().expect("flushing memory cannot fail"))
        .expect("CSV of UTF-8 cells is UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_column_is_named_on_line_one() {
        let e = read_table("visits.csv", b"a,b,notes\n1,2,3\n", &["a", "b"])
            .err()
            .unwrap();
        assert_eq!(
            e[0].to_string().split(':').take(3).collect::<Vec<_>>(),
            ["visits.csv", "1", " notes"]
        );
    }

    #[test]
    fn a_short_row_names_its_first_missing_column_and_a_long_row_its_extra_field() {
        let e = read_table("f.csv", b"a,b,c\n1\n1,2,3,4\n", &["a", "b", "c"])
            .err()
            .unwrap();
        assert_eq!((e[0].line, e[0].column.as_str()), (2, "b"));
        assert_eq!((e[1].line, e[1].column.as_str()), (3, "field 4"));
    }

    #[test]
    fn a_bom_is_accepted_and_columns_may_come_in_any_order() {
        let t = read_table("f.csv", "\u{feff}b,a\n2,1\n".as_bytes(), &["a", "b"]).unwrap();
        let mut row = t.rows().next().unwrap();
        assert_eq!(row.text("a").as_deref(), Some("1"));
    }

    #[test]
    fn a_quoted_multi_line_record_is_reported_at_the_line_where_it_starts() {
        let t = read_table("f.csv", b"a,b\n\"x\ny\",1\n2,oops\n", &["a", "b"]).unwrap();
        let rows: Vec<_> = t.rows().map(|r| r.line).collect();
        assert_eq!(rows, [2, 4]);
    }

    #[test]
    fn spaces_around_a_value_are_an_error_but_free_text_keeps_them() {
        let t = read_table("f.csv", b"a,title\n 1 , My words \n", &["a", "title"]).unwrap();
        let mut row = t.rows().next().unwrap();
        assert_eq!(row.opt_text("title").as_deref(), Some(" My words "));
        assert_eq!(row.opt("a"), None);
        assert_eq!(row.errors.len(), 1);
    }
}
