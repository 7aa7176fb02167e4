//! What the till knows from the ledger: products, campaigns, members, coupons,
//! coffee cards and settings. Plain values; the store keeps them.

use super::money::Money;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::fmt;

/// A product's VAT class (spec/rules.md): a Norwegian rate in whole percent
/// (`0` is zero-rated, "fritatt"), or exempt — outside the VAT act
/// ("unntatt"), as serving food and drink in a student canteen is. An exempt
/// line has no VAT and a row of its own, after every rate.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "VatWire", into = "VatWire")]
pub struct VatRate(Class);

/// Exempt sorts below every rate, so "highest first" lists it last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Class {
    Exempt,
    Percent(u8),
}

/// How a VAT class is written in JSON: a rate as its number (as it always
/// was), exempt as `"exempt"`; a rate given as a string is read too.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum VatWire {
    Percent(u8),
    Code(String),
}

impl TryFrom<VatWire> for VatRate {
    type Error = String;
    fn try_from(w: VatWire) -> Result<VatRate, String> {
        match w {
            VatWire::Percent(p) => VatRate::new(p),
            VatWire::Code(code) => VatRate::parse(&code),
        }
        .ok_or_else(|| "not a Norwegian VAT class (25, 15, 12, 0 or exempt)".to_string())
    }
}

impl From<VatRate> for VatWire {
    fn from(rate: VatRate) -> VatWire {
        match rate.0 {
            Class::Percent(p) => VatWire::Percent(p),
            Class::Exempt => VatWire::Code(VatRate::EXEMPT_CODE.to_string()),
        }
    }
}

impl VatRate {
    pub const ALLOWED: [u8; 4] = [25, 15, 12, 0];
    /// Outside the VAT act (merverdiavgiftsloven § 3-5 (4) for a canteen).
    pub const EXEMPT: VatRate = VatRate(Class::Exempt);
    /// How the data file, the feed and the receipt name the exempt class.
    pub const EXEMPT_CODE: &'static str = "exempt";
    /// Every class, highest rate first, exempt last.
    pub const ALL: [VatRate; 5] = [
        VatRate(Class::Percent(25)),
        VatRate(Class::Percent(15)),
        VatRate(Class::Percent(12)),
        VatRate(Class::Percent(0)),
        VatRate::EXEMPT,
    ];

    pub fn new(percent: u8) -> Option<VatRate> {
        Self::ALLOWED
            .contains(&percent)
            .then_some(VatRate(Class::Percent(percent)))
    }

    /// `"25"`, `"15"`, `"12"`, `"0"` or `"exempt"` (as `Display` writes them).
    pub fn parse(code: &str) -> Option<VatRate> {
        if code == Self::EXEMPT_CODE {
            return Some(Self::EXEMPT);
        }
        code.parse::<u8>().ok().and_then(VatRate::new)
    }

    /// The rate in percent; None when the class is exempt (no rate applies).
    pub fn percent(self) -> Option<u8> {
        match self.0 {
            Class::Percent(p) => Some(p),
            Class::Exempt => None,
        }
    }

    pub fn is_exempt(self) -> bool {
        self.0 == Class::Exempt
    }

    /// The VAT part of a gross amount that includes VAT, rounded once
    /// (zero when exempt).
    pub fn vat_of_gross(self, gross: Money) -> Money {
        let r = Decimal::from(self.percent().unwrap_or(0));
        Money::from_decimal(gross.as_decimal() * r / (Decimal::ONE_HUNDRED + r))
    }
}

impl fmt::Display for VatRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Class::Percent(p) => write!(f, "{p}"),
            Class::Exempt => f.write_str(Self::EXEMPT_CODE),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pricing {
    Unit {
        price: Money,
    },
    /// Food by weight: `tare_g` (the container) is subtracted from the gross weight.
    Weighed {
        price_per_kg: Money,
        tare_g: u32,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Product {
    pub sku: String,
    pub name: String,
    pub pricing: Pricing,
    pub vat: VatRate,
    /// A coffee card clip may pay for it.
    pub coffee: bool,
    pub barcodes: Vec<String>,
}

impl Product {
    /// The price of one unit, or of one kilogram for food by weight.
    pub fn unit_price(&self) -> Money {
        match self.pricing {
            Pricing::Unit { price } => price,
            Pricing::Weighed { price_per_kg, .. } => price_per_kg,
        }
    }

    pub fn is_weighed(&self) -> bool {
        matches!(self.pricing, Pricing::Weighed { .. })
    }
}

/// A bonus rate on named products for a period (inclusive dates).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Campaign {
    pub skus: Vec<String>,
    pub rate: Decimal,
    pub from: NaiveDate,
    pub until: NaiveDate,
}

impl Campaign {
    pub fn is_active_on(&self, date: NaiveDate) -> bool {
        self.from <= date && date <= self.until
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub name: String,
    pub student: bool,
    pub student_until: Option<NaiveDate>,
    /// Bonus balance as this till sees it: cache plus its own unacknowledged sales.
    pub bonus: Money,
}

impl Member {
    /// A student on `date`: flagged as student and `student_until` on or after it.
    pub fn is_student_on(&self, date: NaiveDate) -> bool {
        self.student && self.student_until.is_some_and(|until| until >= date)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coupon {
    pub id: String,
    pub member: String,
    pub sku: String,
    pub valid_until: Option<NaiveDate>,
    /// Used according to the cache or to this till's own sales.
    pub used: bool,
}

impl Coupon {
    pub fn is_expired_on(&self, date: NaiveDate) -> bool {
        self.valid_until.is_some_and(|until| date > until)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoffeeCard {
    pub id: String,
    pub member: String,
    /// Clips left as this till sees them: cache minus its own unacknowledged use.
    pub clips: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub bonus_rate: Decimal,
    pub coffee_default_sku: String,
    pub min_grams: u32,
    /// QR public keys a data file lists (base64url of the 32-byte Ed25519
    /// key). Replay trusts these (the demo key when none are listed, as
    /// spec/replay.md gives); the kiosk trusts its config's `[qr]
    /// trusted_keys` and the keys the ledger delivers, never these.
    pub trusted_keys: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bonus_rate: Decimal::new(3, 2),
            coffee_default_sku: "KAFFE".to_string(),
            min_grams: 40,
            trusted_keys: Vec::new(),
        }
    }
}

/// Products and campaigns held in memory for fast lookups at the till.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    products: Vec<Product>,
    by_sku: HashMap<String, usize>,
    by_barcode: HashMap<String, usize>,
    pub campaigns: Vec<Campaign>,
    pub settings: Settings,
}

impl Catalog {
    pub fn new(products: Vec<Product>, campaigns: Vec<Campaign>, settings: Settings) -> Catalog {
        let mut by_sku = HashMap::with_capacity(products.len());
        let mut by_barcode = HashMap::new();
        for (i, p) in products.iter().enumerate() {
            by_sku.insert(p.sku.clone(), i);
            for code in &p.barcodes {
                by_barcode.insert(code.clone(), i);
            }
        }
        Catalog {
            products,
            by_sku,
            by_barcode,
            campaigns,
            settings,
        }
    }

    pub fn product(&self, sku: &str) -> Option<&Product> {
        self.by_sku.get(sku).map(|&i| &self.products[i])
    }

    pub fn product_by_barcode(&self, code: &str) -> Option<&Product> {
        self.by_barcode.get(code).map(|&i| &self.products[i])
    }

    pub fn products(&self) -> &[Product] {
        &self.products
    }

    /// The bonus rate a student earns on `product` on `date`, if any: an active
    /// campaign's rate, else the base rate for food sold by weight.
    pub fn bonus_rate_for(
        &self,
        product_sku: &str,
        weighed: bool,
        date: NaiveDate,
    ) -> Option<Decimal> {
        let campaign = self
            .campaigns
            .iter()
            .filter(|c| c.is_active_on(date) && c.skus.iter().any(|s| s == product_sku))
            .map(|c| c.rate)
            .max();
        campaign.or(weighed.then_some(self.settings.bonus_rate))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn student_status_on_date() {
        let mut m = Member {
            id: "M-1".into(),
            name: "Kari".into(),
            student: true,
            student_until: Some(date("2026-11-23")),
            bonus: Money::ZERO,
        };
        let table = [
            ("2026-11-22", true),
            ("2026-11-23", true), // on the last day: still a student
            ("2026-11-24", false),
        ];
        for (day, expected) in table {
            assert_eq!(m.is_student_on(date(day)), expected, "{day}");
        }
        m.student = false;
        assert!(!m.is_student_on(date("2026-11-01")));
        m.student = true;
        m.student_until = None;
        assert!(!m.is_student_on(date("2026-11-01")));
    }

    #[test]
    fn vat_of_gross_per_rate() {
        let table = [
            (25, "100.00", "20.00"),
            (15, "77.87", "10.16"),
            (12, "50.00", "5.36"),
            (0, "42.00", "0.00"),
        ];
        for (rate, gross, vat) in table {
            let r = VatRate::new(rate).unwrap();
            assert_eq!(
                r.vat_of_gross(gross.parse().unwrap()).to_string(),
                vat,
                "{rate}% of {gross}"
            );
        }
        assert!(VatRate::new(10).is_none());
        assert_eq!(
            VatRate::EXEMPT.vat_of_gross("42.00".parse().unwrap()),
            Money::ZERO
        );
    }

    #[test]
    fn vat_classes_parse_print_order_and_serialise() {
        for class in VatRate::ALL {
            assert_eq!(VatRate::parse(&class.to_string()), Some(class));
        }
        assert_eq!(VatRate::parse("exempt"), Some(VatRate::EXEMPT));
        assert_eq!(VatRate::parse("10"), None);
        assert_eq!(VatRate::parse("Exempt"), None);
        // Highest first, exempt after the zero rate.
        let mut sorted = VatRate::ALL.to_vec();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(sorted, VatRate::ALL.to_vec());
        assert_eq!(VatRate::EXEMPT.percent(), None);
        assert_eq!(VatRate::new(0).unwrap().percent(), Some(0));
        // Rates stay numbers in JSON (stored sales read back), exempt is a word.
        let r15 = VatRate::new(15).unwrap();
        assert_eq!(serde_json::to_string(&r15).unwrap(), "15");
        assert_eq!(
            serde_json::to_string(&VatRate::EXEMPT).unwrap(),
            "\"exempt\""
        );
        for (text, class) in [
            ("15", Some(r15)),
            ("\"15\"", Some(r15)),
            ("\"exempt\"", Some(VatRate::EXEMPT)),
            ("10", None),
        ] {
            assert_eq!(serde_json::from_str::<VatRate>(text).ok(), class, "{text}");
        }
    }

    #[test]
    fn campaign_rate_wins_and_dates_are_inclusive() {
        let weighed = Product {
            sku: "VEKT".into(),
            name: "Middag".into(),
            pricing: Pricing::Weighed {
                price_per_kg: "189.00".parse().unwrap(),
                tare_g: 0,
            },
            vat: VatRate::new(15).unwrap(),
            coffee: false,
            barcodes: vec![],
        };
        let campaign = Campaign {
            skus: vec!["SALAT".into()],
            rate: Decimal::new(5, 2),
            from: date("2026-11-01"),
            until: date("2026-11-30"),
        };
        let cat = Catalog::new(vec![weighed], vec![campaign], Settings::default());
        assert_eq!(
            cat.bonus_rate_for("VEKT", true, date("2026-11-23")),
            Some(Decimal::new(3, 2))
        );
        assert_eq!(
            cat.bonus_rate_for("SALAT", false, date("2026-11-30")),
            Some(Decimal::new(5, 2))
        );
        assert_eq!(cat.bonus_rate_for("SALAT", false, date("2026-12-01")), None);
        assert_eq!(
            cat.bonus_rate_for("SALAT", false, date("2026-11-01")),
            Some(Decimal::new(5, 2))
        );
        assert_eq!(cat.bonus_rate_for("KAFFE", false, date("2026-11-23")), None);
        assert!(cat.product("VEKT").is_some());
        assert!(cat.product("NOPE").is_none());
    }
}
