//! NHS numbers: check-digit validation and keyed pseudonyms.
//!
//! Raw NHS numbers never reach the warehouse, logs or reports. A valid number
//! is replaced by `HMAC-SHA256(key, ten digits)`, truncated to 128 bits and
//! written as 32 lowercase hex characters; the same key gives the same
//! pseudonym, so tables from different extracts still link.

use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{Error, Result};

/// Environment variable holding the pseudonymisation key.
pub const KEY_ENV: &str = "SPROUT_PSEUDONYM_KEY";

/// Shown instead of a value that must not be stored.
pub const REDACTED: &str = "[redacted]";

/// Shortest key accepted, in bytes.
const MIN_KEY_BYTES: usize = 16;

/// Why a value is not a valid NHS number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NhsNumberProblem {
    /// Not ten digits (spaces and hyphens are allowed between them).
    NotTenDigits,
    /// The modulus-11 check gives 10, which no NHS number has.
    CheckGivesTen,
    /// The check digit does not match the first nine digits.
    WrongCheckDigit,
}

impl NhsNumberProblem {
    /// An explanation for the quarantine table.
    pub fn explain(self) -> &'static str {
        match self {
            NhsNumberProblem::NotTenDigits => {
                "not an NHS number: expected 10 digits (spaces or hyphens allowed between them)"
            }
            NhsNumberProblem::CheckGivesTen | NhsNumberProblem::WrongCheckDigit => {
                "not a valid NHS number: the modulus-11 check digit does not match (mistyped, or a local id mapped as nhs_number)"
            }
        }
    }
}

/// The ten digits of a valid NHS number.
///
/// Modulus 11: weights 10, 9, …, 2 on the first nine digits; check =
/// 11 − (sum mod 11), where 11 becomes 0 and 10 means the number is invalid.
pub fn parse_nhs_number(raw: &str) -> Result<[u8; 10], NhsNumberProblem> {
    let mut digits = [0u8; 10];
    let mut n = 0;
    for ch in raw.trim().chars() {
        match ch {
            '0'..='9' if n < 10 => {
                digits[n] = ch as u8 - b'0';
                n += 1;
            }
            ' ' | '-' => {}
            _ => return Err(NhsNumberProblem::NotTenDigits),
        }
    }
    if n != 10 || raw.trim().chars().filter(char::is_ascii_digit).count() != 10 {
        return Err(NhsNumberProblem::NotTenDigits);
    }
    let sum: u32 = digits[..9]
        .iter()
        .zip((2..=10).rev())
        .map(|(&d, w)| u32::from(d) * w)
        .sum();
    let check = match 11 - (sum % 11) {
        11 => 0,
        10 => return Err(NhsNumberProblem::CheckGivesTen),
        c => c as u8,
    };
    if check == digits[9] {
        Ok(digits)
    } else {
        Err(NhsNumberProblem::WrongCheckDigit)
    }
}

/// Whether a value that should be a pseudonymous id is in fact a valid NHS number.
pub fn looks_like_nhs_number(value: &str) -> bool {
    parse_nhs_number(value).is_ok()
}

/// Where NHS numbers are written inside `text`: byte ranges of each run of
/// exactly ten digits (single spaces or hyphens allowed between them) that
/// passes the modulus-11 check. A run glued to letters counts too
/// (`LW9434765919`), unless the word it is in looks like a hash (16 or more
/// hexadecimal characters, such as a pseudonym).
pub fn nhs_numbers_in(text: &str) -> Vec<std::ops::Range<usize>> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() || (i > 0 && bytes[i - 1].is_ascii_digit()) {
            i += 1;
            continue;
        }
        // The run: digits, with single separators between digits.
        let start = i;
        let mut end = i;
        let mut digits = 0;
        let mut j = i;
        while j < bytes.len() {
            if bytes[j].is_ascii_digit() {
                digits += 1;
                j += 1;
                end = j;
            } else if matches!(bytes[j], b' ' | b'-')
                && bytes.get(j + 1).is_some_and(u8::is_ascii_digit)
            {
                j += 1;
            } else {
                break;
            }
        }
        if digits == 10
            && parse_nhs_number(&text[start..end]).is_ok()
            && !in_hash_like_word(bytes, start, end)
        {
            found.push(start..end);
        }
        i = end.max(i + 1);
    }
    found
}

/// Whether bytes `start..end` sit in a word of 16 or more hexadecimal characters.
fn in_hash_like_word(bytes: &[u8], start: usize, end: usize) -> bool {
    let mut from = start;
    while from > 0 && bytes[from - 1].is_ascii_alphanumeric() {
        from -= 1;
    }
    let mut to = end;
    while to < bytes.len() && bytes[to].is_ascii_alphanumeric() {
        to += 1;
    }
    let word = &bytes[from..to];
    word.len() >= 16 && word.iter().all(u8::is_ascii_hexdigit)
}

/// Whether `text` holds an NHS number anywhere ([`nhs_numbers_in`]).
pub fn contains_nhs_number(text: &str) -> bool {
    !nhs_numbers_in(text).is_empty()
}

/// `text` with every NHS number in it replaced by `[redacted]`.
pub fn redact_nhs_numbers(text: &str) -> std::borrow::Cow<'_, str> {
    let ranges = nhs_numbers_in(text);
    if ranges.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for r in ranges {
        out.push_str(&text[last..r.start]);
        out.push_str(REDACTED);
        last = r.end;
    }
    out.push_str(&text[last..]);
    std::borrow::Cow::Owned(out)
}

/// Turns NHS numbers into keyed pseudonyms.
#[derive(Clone)]
pub struct Pseudonymiser {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for Pseudonymiser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonymiser { key: [redacted] }")
    }
}

impl Pseudonymiser {
    /// A pseudonymiser with `key` (at least 16 bytes).
    pub fn new(key: &[u8]) -> Result<Self> {
        if key.len() < MIN_KEY_BYTES {
            return Err(Error::Key(format!(
                "the pseudonymisation key is {} bytes; use at least {MIN_KEY_BYTES} random bytes \
                 (e.g. `openssl rand -hex 32 > sprout.key`)",
                key.len()
            )));
        }
        let mac = Hmac::<Sha256>::new_from_slice(key)
            .map_err(|e| Error::Key(format!("unusable pseudonymisation key: {e}")))?;
        Ok(Pseudonymiser { mac })
    }

    /// The key from `key_file` if given, else from the environment; `None` when neither is set.
    pub fn from_config(key_file: Option<&Path>) -> Result<Option<Self>> {
        if let Some(path) = key_file {
            let bytes =
                std::fs::read(path).map_err(|e| Error::io(path, "reading the key file", e))?;
            let trimmed = bytes.trim_ascii();
            return Self::new(trimmed).map(Some);
        }
        match std::env::var(KEY_ENV) {
            Ok(key) if !key.trim().is_empty() => Self::new(key.trim().as_bytes()).map(Some),
            _ => Ok(None),
        }
    }

    /// The pseudonym of a valid NHS number: 32 hex characters.
    pub fn pseudonym(&self, digits: &[u8; 10]) -> String {
        let mut mac = self.mac.clone();
        let text: Vec<u8> = digits.iter().map(|d| b'0' + d).collect();
        mac.update(&text);
        let bytes = mac.finalize().into_bytes();
        let mut out = String::with_capacity(32);
        for b in &bytes[..16] {
            out.push_str(&format!("{b:02x}"));
        }
        out
    }
}

/// The error for NHS numbers arriving without a key.
pub fn missing_key_error(file: &Path) -> Error {
    Error::Key(format!(
        "{}: has an nhs_number column but no pseudonymisation key is configured, so sprout \
         will not read it (raw NHS numbers must never reach the warehouse).\n  fix: set {KEY_ENV} \
         to a secret of at least {MIN_KEY_BYTES} characters, or pass --key-file FILE \
         (e.g. `openssl rand -hex 32 > sprout.key`); keep the key: the same key links future extracts",
        file.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values below were checked with the Python one-liner in
    // `scripts/reference/nhs_number.py`.

    #[test]
    fn accepts_valid_nhs_numbers_with_spacing() {
        // 943 476 5919 is the example in the NHS Data Dictionary.
        assert!(parse_nhs_number("9434765919").is_ok());
        assert!(parse_nhs_number("943 476 5919").is_ok());
        assert!(parse_nhs_number("943-476-5919").is_ok());
        assert!(parse_nhs_number("4010232137").is_ok());
    }

    #[test]
    fn check_value_eleven_becomes_zero() {
        // 1 0 0 0 0 0 0 0 6: 10 + 12 = 22, 22 mod 11 = 0, 11 - 0 = 11 -> check digit 0.
        assert!(parse_nhs_number("1000000060").is_ok());
        assert!(parse_nhs_number("0000000000").is_ok());
    }

    #[test]
    fn rejects_wrong_check_digits_and_shapes() {
        assert_eq!(
            parse_nhs_number("9434765918"),
            Err(NhsNumberProblem::WrongCheckDigit)
        );
        assert_eq!(
            parse_nhs_number("943476591"),
            Err(NhsNumberProblem::NotTenDigits)
        );
        assert_eq!(
            parse_nhs_number("94347659190"),
            Err(NhsNumberProblem::NotTenDigits)
        );
        assert_eq!(
            parse_nhs_number("94347X5919"),
            Err(NhsNumberProblem::NotTenDigits)
        );
        // 1 0 0 0 0 0 0 0 1: 10 + 2 = 12, 12 mod 11 = 1, 11 - 1 = 10: no valid check digit.
        assert_eq!(
            parse_nhs_number("1000000010"),
            Err(NhsNumberProblem::CheckGivesTen)
        );
    }

    #[test]
    fn pseudonyms_are_keyed_stable_and_hide_the_number() {
        let a = Pseudonymiser::new(b"0123456789abcdef-key-one").unwrap();
        let b = Pseudonymiser::new(b"0123456789abcdef-key-two").unwrap();
        let n = parse_nhs_number("943 476 5919").unwrap();
        let p = a.pseudonym(&n);
        assert_eq!(p, a.pseudonym(&parse_nhs_number("9434765919").unwrap()));
        assert_ne!(p, b.pseudonym(&n));
        // hmac.new(b"0123456789abcdef-key-one", b"9434765919", hashlib.sha256).hexdigest()[:32]
        assert_eq!(p, "952878d915bcf1b875c375db3f3ab45b");
    }

    #[test]
    fn nhs_numbers_are_found_inside_text() {
        for text in [
            "9434765919",
            "943 476 5919",
            "943-476-5919",
            "LW9434765919",
            "worker 943 476 5919 (north)",
            "Ref:9434765919;",
        ] {
            assert!(contains_nhs_number(text), "{text}");
        }
        for text in [
            "9434765918",
            "94347659190",
            "19434765919",
            "01632 960001",
            "2024-05-01",
            "943  476 5919",
            "a1b2c3d4e5f6a7b8c9d0e1f20123456789",
            "9434765919abcdef0123456789abcdef",
        ] {
            assert!(!contains_nhs_number(text), "{text}");
        }
        assert_eq!(
            redact_nhs_numbers("LW 943 476 5919 and 4010232137"),
            "LW [redacted] and [redacted]"
        );
        assert_eq!(redact_nhs_numbers("nothing here"), "nothing here");
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(Pseudonymiser::new(b"short").is_err());
    }
}
