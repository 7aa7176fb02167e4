//! Reading the project's TOML input files with errors that name the file, the
//! line and the key, so a tester can fix a scenario without a debugger.

use chrono::NaiveDate;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::{Spanned, Value};

use crate::domain::Mode;
use crate::domain::money::{Money, parse_rate};

/// A file that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for InputError {
    /// Always one line (spec/replay.md): control characters the file put
    /// into a key, a value or a path are shown escaped (`\n`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", OneLine(&self.file.display().to_string()))?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": key `{}`", OneLine(key))?;
        }
        write!(f, ": {}", OneLine(&self.message))
    }
}

/// Text with its control characters escaped.
struct OneLine<'a>(&'a str);

impl fmt::Display for OneLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for InputError {}

/// A source text being read, for locating spans.
pub struct Source<'a> {
    pub file: &'a Path,
    pub text: &'a str,
}

impl<'a> Source<'a> {
    pub fn read(file: &Path) -> Result<String, InputError> {
        std::fs::read_to_string(file).map_err(|e| InputError {
            file: file.to_path_buf(),
            line: None,
            key: None,
            message: format!("cannot read the file: {e}"),
        })
    }

    pub fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    /// An error at `span` about `key`.
    pub fn error(&self, span: Range<usize>, key: &str, message: impl Into<String>) -> InputError {
        InputError {
            file: self.file.to_path_buf(),
            line: Some(self.line_of(span.start)),
            key: Some(key.to_string()),
            message: message.into(),
        }
    }

    /// An error for the whole file (no line).
    pub fn file_error(&self, message: impl Into<String>) -> InputError {
        InputError {
            file: self.file.to_path_buf(),
            line: None,
            key: None,
            message: message.into(),
        }
    }

    /// Deserialize the whole text, turning TOML and shape errors into `InputError`.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, InputError> {
        toml::from_str(self.text).map_err(|e| self.toml_error(&e))
    }

    fn toml_error(&self, e: &toml::de::Error) -> InputError {
        let message = e.message().trim().to_string();
        let line = e.span().map(|s| self.line_of(s.start));
        let key = key_in_message(&message)
            .or_else(|| e.span().and_then(|s| key_near(self.text, s.start)));
        InputError {
            file: self.file.to_path_buf(),
            line,
            key,
            message,
        }
    }

    /// A money amount written as a string ("25.00") or a whole number.
    pub fn money(&self, v: &Spanned<Value>, key: &str) -> Result<Money, InputError> {
        let text = self.amount_text(v, key)?;
        text.parse()
            .map_err(|e| self.error(v.span(), key, format!("{e}")))
    }

    /// A plain decimal such as a rate ("0.03") or a VAT percentage ("25").
    pub fn decimal(
        &self,
        v: &Spanned<Value>,
        key: &str,
    ) -> Result<rust_decimal::Decimal, InputError> {
        let text = self.amount_text(v, key)?;
        parse_rate(&text).map_err(|e| self.error(v.span(), key, format!("{e}")))
    }

    fn amount_text(&self, v: &Spanned<Value>, key: &str) -> Result<String, InputError> {
        match v.get_ref() {
            Value::String(s) => Ok(s.clone()),
            Value::Integer(i) => Ok(i.to_string()),
            Value::Float(_) => Err(self.error(
                v.span(),
                key,
                "write amounts as strings (e.g. \"25.00\"): a float cannot hold øre exactly",
            )),
            other => Err(self.error(
                v.span(),
                key,
                format!("expected an amount, found {}", other.type_str()),
            )),
        }
    }

    /// The till's mode, `self` (the default) or `cashier`.
    pub fn mode(&self, v: Option<&Spanned<String>>) -> Result<Mode, InputError> {
        match v {
            None => Ok(Mode::SelfService),
            Some(m) => Mode::parse(m.get_ref()).ok_or_else(|| {
                self.error(
                    m.span(),
                    "mode",
                    format!("`{}` is not a mode (self or cashier)", m.get_ref()),
                )
            }),
        }
    }

    /// A date written as "2026-11-23" or as a TOML date.
    pub fn date(&self, v: &Spanned<Value>, key: &str) -> Result<NaiveDate, InputError> {
        let text = match v.get_ref() {
            Value::String(s) => s.clone(),
            Value::Datetime(d) => d.to_string(),
            other => {
                return Err(self.error(
                    v.span(),
                    key,
                    format!("expected a date, found {}", other.type_str()),
                ));
            }
        };
        NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| {
            self.error(
                v.span(),
                key,
                format!("`{text}` is not a date like 2026-11-23"),
            )
        })
    }
}

/// `unknown field `foo`` and `missing field `foo`` name the key themselves.
fn key_in_message(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("missing field `"))
        .or_else(|| message.split("missing field `").nth(1))?;
    rest.split('`').next().map(str::to_string)
}

/// The key a syntax error at `offset` belongs to: the key or `[table]`
/// written on its line, else the first word there (a key missing its `=`),
/// else the nearest key or table above it.
fn key_near(text: &str, offset: usize) -> Option<String> {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let start = text[..end].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next().unwrap_or_default();
    if let Some(key) = key_on_line(line) {
        return Some(key);
    }
    let word: String = line
        .trim()
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, '=' | '#' | '"' | '\''))
        .take(32)
        .collect();
    if !word.is_empty() {
        return Some(word);
    }
    text[..start].lines().rev().find_map(key_on_line)
}

/// The key written on one line: `key = value`, or a `[table]` header.
fn key_on_line(line: &str) -> Option<String> {
    let line = line.trim();
    if line.starts_with('#') {
        return None;
    }
    if let Some(header) = line.strip_prefix('[') {
        let name = header.trim_start_matches('[').split(']').next()?.trim();
        return (!name.is_empty()).then(|| name.to_string());
    }
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty()).then(|| key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct T {
        name: String,
        qty: Option<u32>,
        price: Option<Spanned<Value>>,
    }

    fn parse(text: &str) -> Result<T, InputError> {
        Source {
            file: Path::new("x.toml"),
            text,
        }
        .parse::<T>()
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let table = [
            ("name = \"a\"\nqty = \"two\"\n", 2, "qty"),
            ("name = \"a\"\n\nprise = 3\n", 3, "prise"),
            ("qty = 1\n", 1, "name"),
            ("name = \"a\"\nqty = [\n", 2, "qty"),
        ];
        for (text, line, key) in table {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, Some(line), "{text:?}: {e}");
            assert_eq!(e.key.as_deref(), Some(key), "{text:?}: {e}");
            assert!(
                e.to_string()
                    .starts_with(&format!("x.toml:{line}: key `{key}`")),
                "{e}"
            );
        }
    }

    #[test]
    fn syntax_errors_name_the_nearest_key() {
        let table = [
            // A key missing its `=` is named itself.
            ("name = \"a\"\ngarbage\n", 2, Some("garbage")),
            // A bad character in a comment: the key above it.
            ("name = \"a\"\n# x\u{1}\n", 2, Some("name")),
            ("[t]\n\n\"unclosed\n", 3, Some("t")),
            // Above every key there is none to name.
            ("# x\u{1}\nname = \"a\"\n", 1, None),
        ];
        for (text, line, key) in table {
            let e = parse(text).unwrap_err();
            assert_eq!(
                (e.line, e.key.as_deref()),
                (Some(line), key),
                "{text:?}: {e}"
            );
        }
    }

    #[test]
    fn an_error_is_one_line_whatever_the_file_holds() {
        let src = Source {
            file: Path::new("a\nb.toml"),
            text: "name = \"a\"\nqty = \"x\"\n",
        };
        let e = src.error(12..15, "q\rty", "`x\ny` is not a number");
        assert_eq!(
            e.to_string(),
            "a\\nb.toml:2: key `q\\rty`: `x\\ny` is not a number"
        );
    }

    #[test]
    fn money_refuses_floats_and_bad_text() {
        let src = Source {
            file: Path::new("d.toml"),
            text: "name = \"a\"\nprice = 25.5\n",
        };
        let t: T = src.parse().unwrap();
        let e = src.money(t.price.as_ref().unwrap(), "price").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("strings"), "{e}");

        let src = Source {
            file: Path::new("d.toml"),
            text: "name = \"a\"\nprice = \"2x\"\n",
        };
        let t: T = src.parse().unwrap();
        assert!(src.money(t.price.as_ref().unwrap(), "price").is_err());

        let src = Source {
            file: Path::new("d.toml"),
            text: "name = \"a\"\nprice = 25\n",
        };
        let t: T = src.parse().unwrap();
        assert_eq!(
            src.money(t.price.as_ref().unwrap(), "price")
                .unwrap()
                .to_string(),
            "25.00"
        );
    }
}
