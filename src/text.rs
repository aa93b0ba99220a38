//! Text from extracts made safe to show.
//!
//! Extract values, file names and headers reach the terminal, the HTML
//! reports, the workbook and CSV files. A terminal escape (ESC `[`…), a
//! carriage return, a NUL or a bidirectional override (which makes
//! `gpj.exe` display as `exe.jpg`) must not act on any of them: [`visible`]
//! writes each such character out as its code point, `<U+001B>`, so a reader
//! sees that it was there and nothing it does takes effect ([`visible_markup`]
//! for HTML and SVG). Text a spreadsheet would run as a formula is
//! neutralised ([`for_spreadsheet`]), and a value longer than an Excel cell
//! holds is cut visibly ([`for_excel_cell`]). Counts are written with
//! thousands separators by [`thousands`], wherever they are shown.

use std::borrow::Cow;

/// Whether `c` must not be shown as itself: C0 controls other than tab and
/// line feed, DEL and the C1 controls, and the bidirectional formatting
/// characters (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069).
pub fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every [`is_hidden`] character written out as `<U+XXXX>`.
pub fn visible(text: &str) -> Cow<'_, str> {
    written_out(text, "<", ">")
}

/// [`visible`] for HTML or SVG markup: `&lt;U+XXXX&gt;`, so the mark shows
/// as text and never as a tag.
pub fn visible_markup(text: &str) -> Cow<'_, str> {
    written_out(text, "&lt;", "&gt;")
}

fn written_out<'a>(text: &'a str, open: &str, close: &str) -> Cow<'a, str> {
    if !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_hidden(c) {
            out.push_str(&format!("{open}U+{:04X}{close}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Whether a spreadsheet would run `value` as a formula: it starts with `=`,
/// `+`, `-`, `@`, tab or carriage return (OWASP CSV injection guidance).
pub fn is_formula(value: &str) -> bool {
    value.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// Whether [`for_spreadsheet`] would change `value`.
pub fn needs_care(value: &str) -> bool {
    is_formula(value) || value.chars().any(is_hidden)
}

/// `text` as a spreadsheet (CSV opened in Excel, or the workbook) should get
/// it: a leading apostrophe when it would otherwise run as a formula, and
/// hidden characters written out.
pub fn for_spreadsheet(text: &str) -> String {
    let shown = if is_formula(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    };
    visible(&shown).into_owned()
}

/// The most characters an Excel cell holds.
pub const EXCEL_CELL_CHARS: usize = 32_767;

/// [`for_spreadsheet`], cut to what an Excel cell holds with the cut said.
pub fn for_excel_cell(text: &str) -> String {
    let safe = for_spreadsheet(text);
    let chars = safe.chars().count();
    if chars <= EXCEL_CELL_CHARS {
        return safe;
    }
    let note = format!(" … [cut: {chars} characters in all; see the CSV or Parquet table]");
    let keep = EXCEL_CELL_CHARS - note.chars().count();
    let mut out: String = safe.chars().take(keep).collect();
    out.push_str(&note);
    out
}

/// A count with thousands separators.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `x` to `digits` significant digits, trailing zeros dropped (`0.333333333333`
/// for 1/3 at 12, `2`, `-1.5`, `3.3e-8` below a millionth or from 10¹⁵;
/// `NaN`, `inf`): for golden files and SQL test
/// expectations, which should not change with the last bits of a float.
pub fn significant(x: f64, digits: usize) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let magnitude = x.abs().log10().floor() as i64;
    if !(-6..15).contains(&magnitude) {
        // Scientific, with the mantissa's trailing zeros dropped: 3.3e-8.
        let text = format!("{x:.*e}", digits.saturating_sub(1));
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.trim_end_matches('0').trim_end_matches('.')
        } else {
            mantissa
        };
        return format!("{mantissa}e{exponent}");
    }
    let decimals = (digits as i64 - 1 - magnitude).max(0) as usize;
    let text = format!("{x:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    if text == "-0" { "0".into() } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreadsheets_get_text_not_formulas_and_cells_they_can_hold() {
        assert_eq!(for_spreadsheet("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(for_spreadsheet("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(for_spreadsheet("Garden club"), "Garden club");
        assert_eq!(for_spreadsheet("a\u{1b}b"), "a<U+001B>b");
        let long = "x".repeat(40_000);
        let cell = for_excel_cell(&long);
        assert_eq!(cell.chars().count(), EXCEL_CELL_CHARS);
        assert!(cell.ends_with("40000 characters in all; see the CSV or Parquet table]"));
        assert_eq!(for_excel_cell("short"), "short");
        assert_eq!(visible_markup("<b>\u{202e}</b>"), "<b>&lt;U+202E&gt;</b>");
    }

    #[test]
    fn escapes_and_overrides_are_written_out() {
        assert_eq!(visible("Garden club"), "Garden club");
        assert!(matches!(visible("plain"), Cow::Borrowed(_)));
        assert_eq!(visible("a\u{1b}[31mred"), "a<U+001B>[31mred");
        assert_eq!(visible("x\u{0}y\rz"), "x<U+0000>y<U+000D>z");
        assert_eq!(visible("gpj\u{202e}.exe"), "gpj<U+202E>.exe");
        assert_eq!(visible("\u{85}\u{2066}"), "<U+0085><U+2066>");
        assert_eq!(visible("tab\tand\nline"), "tab\tand\nline");
        assert_eq!(visible("Café ✓"), "Café ✓");
    }

    #[test]
    fn floats_are_written_to_their_significant_digits() {
        assert_eq!(significant(1.0 / 3.0, 12), "0.333333333333");
        assert_eq!(significant(2.0, 12), "2");
        assert_eq!(significant(-1.5, 12), "-1.5");
        assert_eq!(significant(123456.789012345, 12), "123456.789012");
        assert_eq!(significant(-0.0, 12), "0");
        assert_eq!(significant(1e-5 / 3.0, 12), "0.00000333333333333");
        assert_eq!(significant(1e-7 / 3.0, 12), "3.33333333333e-8");
        assert_eq!(significant(4.4591708388512895e-40, 12), "4.45917083885e-40");
        assert_eq!(significant(2e20, 12), "2e20");
        assert_eq!(significant(f64::NAN, 12), "NaN");
    }
}
