//! Product barcodes (spec/devices.md): GTIN check digits, GS1 in-store
//! price/weight codes, and telling a keyboard-wedge scan from typing by speed.

/// What a scanned non-app text is, once its check digit is known to be right.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Barcode {
    /// EAN-13, EAN-8 or UPC-A with a correct check digit, or any other text
    /// (Code 128, in-house labels) to be looked up as it is.
    Plain(String),
    /// GS1 in-store code `2X PPPPP VVVVV C`: `item` is the 7-digit prefix
    /// `2XPPPPP` a product lists among its barcodes; `value` is the weight in
    /// grams for food by weight, else the price in øre.
    InStore { item: String, value: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BarcodeError {
    #[error("wrong check digit")]
    BadCheckDigit,
}

/// GTIN check digit over all digits but the last (weights 3, 1 from the right).
pub fn check_digit(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(d - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// Classifies scanned text; all-digit EAN-8, UPC-A and EAN-13 must carry a
/// correct check digit (a misread is refused, never looked up as another item).
pub fn classify(text: &str) -> Result<Barcode, BarcodeError> {
    let bytes = text.as_bytes();
    let gtin = matches!(bytes.len(), 8 | 12 | 13) && bytes.iter().all(u8::is_ascii_digit);
    if !gtin {
        return Ok(Barcode::Plain(text.to_string()));
    }
    let (body, check) = bytes.split_at(bytes.len() - 1);
    if check_digit(body) != check[0] - b'0' {
        return Err(BarcodeError::BadCheckDigit);
    }
    if bytes.len() == 13 && bytes[0] == b'2' {
        let value = text[7..12]
            .parse()
            .map_err(|_| BarcodeError::BadCheckDigit)?;
        return Ok(Barcode::InStore {
            item: text[..7].to_string(),
            value,
        });
    }
    Ok(Barcode::Plain(text.to_string()))
}

/// What the keyboard wedge produced once Enter arrives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Keyed {
    /// Every key came within `max_gap_ms` of the one before: a scanner.
    Scan(String),
    /// Slower than a scanner: a person typing.
    Typed(String),
}

/// Tells a barcode scanner (a keyboard that types very fast) from a person.
/// Time is passed in, in milliseconds. A scanner's keys come within
/// `max_gap_ms` of each other; one gap in eight may be longer, because a
/// window busy drawing delivers a scan's keys late (seen by hand: 2 of 10
/// scans lost), while a person's gaps are all long.
#[derive(Clone, Debug)]
pub struct WedgeDetector {
    max_gap_ms: u64,
    buf: String,
    last_ms: Option<u64>,
    gaps: u32,
    slow: u32,
}

impl WedgeDetector {
    /// Scanners send at least this many characters.
    const MIN_LEN: usize = 4;

    pub fn new(max_gap_ms: u64) -> WedgeDetector {
        WedgeDetector {
            max_gap_ms,
            buf: String::new(),
            last_ms: None,
            gaps: 0,
            slow: 0,
        }
    }

    /// One key press; `'\n'` or `'\r'` ends the input.
    pub fn key(&mut self, now_ms: u64, ch: char) -> Option<Keyed> {
        if let Some(last) = self.last_ms {
            self.gaps += 1;
            if now_ms.saturating_sub(last) > self.max_gap_ms {
                self.slow += 1;
            }
        }
        self.last_ms = Some(now_ms);
        if ch == '\n' || ch == '\r' {
            let text = std::mem::take(&mut self.buf);
            let fast = self.slow.saturating_mul(8) <= self.gaps;
            (self.gaps, self.slow, self.last_ms) = (0, 0, None);
            if text.is_empty() {
                return None;
            }
            return Some(if fast && text.chars().count() >= Self::MIN_LEN {
                Keyed::Scan(text)
            } else {
                Keyed::Typed(text)
            });
        }
        self.buf.push(ch);
        None
    }

    /// Keys arrived that no Enter has ended yet (a scan under way).
    pub fn pending(&self) -> bool {
        !self.buf.is_empty()
    }

    /// A scanner is typing right now: keys are pending and the last came
    /// within the scanner's gap of `now_ms` (a `-` in a code is the
    /// code's, not a key of its own).
    pub fn scanning(&self, now_ms: u64) -> bool {
        self.pending()
            && self
                .last_ms
                .is_some_and(|last| now_ms.saturating_sub(last) <= self.max_gap_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn check_digits() {
        let table = [
            ("7038010000010", true),
            ("7038010000011", false),
            ("96385074", true),     // EAN-8
            ("96385075", false),    //
            ("036000291452", true), // UPC-A
            ("036000291453", false),
            ("4006381333931", true),
            ("4006381333932", false),
        ];
        for (code, ok) in table {
            assert_eq!(classify(code).is_ok(), ok, "{code}");
        }
    }

    #[test]
    fn in_store_codes_carry_their_value() {
        // 23 01234 00412 + check digit
        let body = b"230123400412";
        let code = format!(
            "{}{}",
            std::str::from_utf8(body).unwrap(),
            check_digit(body)
        );
        assert_eq!(
            classify(&code),
            Ok(Barcode::InStore {
                item: "2301234".into(),
                value: 412
            })
        );
        assert_eq!(classify("ABC-123"), Ok(Barcode::Plain("ABC-123".into())));
        assert_eq!(classify("12345"), Ok(Barcode::Plain("12345".into())));
    }

    fn feed(d: &mut WedgeDetector, text: &str, start: u64, gap: u64) -> Option<Keyed> {
        let mut out = None;
        for (i, ch) in text.chars().chain(['\n']).enumerate() {
            out = d.key(start + i as u64 * gap, ch);
        }
        out
    }

    #[test]
    fn fast_digits_and_enter_are_a_scan_slow_typing_is_not() {
        let mut d = WedgeDetector::new(30);
        assert_eq!(
            feed(&mut d, "7038010000010", 0, 8),
            Some(Keyed::Scan("7038010000010".into()))
        );
        assert_eq!(
            feed(&mut d, "7038010000010", 1000, 120),
            Some(Keyed::Typed("7038010000010".into()))
        );
        // One slow gap in the middle makes it typing.
        let mut out = None;
        for (t, ch) in [(0, '1'), (5, '2'), (200, '3'), (205, '4'), (210, '\n')] {
            out = d.key(t, ch);
        }
        assert_eq!(out, Some(Keyed::Typed("1234".into())));
        // After that, the next fast burst is a scan again.
        assert_eq!(
            feed(&mut d, "12345678", 5000, 10),
            Some(Keyed::Scan("12345678".into()))
        );
        assert_eq!(feed(&mut d, "12", 9000, 1), Some(Keyed::Typed("12".into())));
        assert_eq!(d.key(9999, '\n'), None);
        // A scan whose keys one stall of the window delivered late is still
        // a scan: one slow gap in thirteen.
        let mut out = None;
        for (i, ch) in "7038010000010\n".chars().enumerate() {
            let t = 20_000 + i as u64 * 2 + if i >= 6 { 150 } else { 0 };
            out = d.key(t, ch);
        }
        assert_eq!(out, Some(Keyed::Scan("7038010000010".into())));
    }

    proptest! {
        #[test]
        fn classify_never_panics(text in "[0-9]{0,14}|.{0,20}") {
            let _ = classify(&text);
        }

        #[test]
        fn a_correct_check_digit_is_always_accepted(body in "[0-9]{12}") {
            let code = format!("{body}{}", check_digit(body.as_bytes()));
            prop_assert!(classify(&code).is_ok());
            let wrong = (check_digit(body.as_bytes()) + 1) % 10;
            prop_assert_eq!(classify(&format!("{body}{wrong}")), Err(BarcodeError::BadCheckDigit));
        }
    }
}
