//! The data file (spec/replay.md): catalog, campaigns, members, coupons and
//! coffee cards, as the ledger would send them. Seeds the till's cache.

use crate::domain::appcode::parse_public_key;
use crate::domain::{
    Campaign, Catalog, CoffeeCard, Coupon, Member, Money, Pricing, Product, Settings, VatRate,
};
use crate::input::{InputError, Source};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;
use toml::{Spanned, Value};

/// Everything a data file holds, checked.
#[derive(Clone, Debug)]
pub struct Data {
    pub catalog: Catalog,
    pub members: Vec<Member>,
    pub coupons: Vec<Coupon>,
    pub cards: Vec<CoffeeCard>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawData {
    settings: Option<RawSettings>,
    #[serde(default)]
    product: Vec<RawProduct>,
    #[serde(default)]
    campaign: Vec<RawCampaign>,
    #[serde(default)]
    member: Vec<RawMember>,
    #[serde(default)]
    coupon: Vec<RawCoupon>,
    #[serde(default)]
    card: Vec<RawCard>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    bonus_rate: Option<Spanned<Value>>,
    coffee_default_sku: Option<String>,
    min_grams: Option<u32>,
    trusted_keys: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProduct {
    sku: Spanned<String>,
    name: String,
    price: Option<Spanned<Value>>,
    price_per_kg: Option<Spanned<Value>>,
    vat: Spanned<Value>,
    #[serde(default)]
    coffee: bool,
    #[serde(default)]
    barcodes: Vec<Spanned<String>>,
    tare_g: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCampaign {
    skus: Vec<String>,
    rate: Spanned<Value>,
    from: Spanned<Value>,
    until: Spanned<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMember {
    id: Spanned<String>,
    name: String,
    #[serde(default)]
    student: bool,
    student_until: Option<Spanned<Value>>,
    bonus: Option<Spanned<Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCoupon {
    id: Spanned<String>,
    member: String,
    sku: String,
    valid_until: Option<Spanned<Value>>,
    #[serde(default)]
    used: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCard {
    id: Spanned<String>,
    member: String,
    clips: u32,
}

impl Data {
    /// A data file for the ledger's import: balances up to [`Money::MAX`]
    /// (the ledger sums them checked and flags what would overflow).
    pub fn load(path: &Path) -> Result<Data, InputError> {
        let text = Source::read(path)?;
        Data::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Data, InputError> {
        Data::parse_within(path, text, Money::MAX)
    }

    /// A data file that seeds a till (replay, the kiosk's demo seed): every
    /// member's balance at most [`max_amount`], so the bonus a sale adds
    /// stays in range and a till never stops on its own cache.
    pub fn load_for_till(path: &Path) -> Result<Data, InputError> {
        let text = Source::read(path)?;
        Data::parse_for_till(path, &text)
    }

    pub fn parse_for_till(path: &Path, text: &str) -> Result<Data, InputError> {
        Data::parse_within(path, text, max_amount())
    }

    fn parse_within(path: &Path, text: &str, max_balance: Money) -> Result<Data, InputError> {
        let src = Source { file: path, text };
        let raw: RawData = src.parse()?;
        let settings = settings(&src, raw.settings)?;
        let mut products = Vec::with_capacity(raw.product.len());
        let mut skus = HashMap::new();
        let mut barcodes = HashMap::new();
        for p in raw.product {
            let product = product(&src, &p)?;
            if let Some(first) = skus.insert(product.sku.clone(), src.line_of(p.sku.span().start)) {
                return Err(src.error(
                    p.sku.span(),
                    "sku",
                    format!("`{}` is already used on line {first}", product.sku),
                ));
            }
            for code in &p.barcodes {
                if let Some(other) = barcodes.insert(code.get_ref().clone(), product.sku.clone()) {
                    return Err(src.error(
                        code.span(),
                        "barcodes",
                        format!("`{}` is already the barcode of {other}", code.get_ref()),
                    ));
                }
            }
            products.push(product);
        }
        let campaigns = raw
            .campaign
            .iter()
            .map(|c| campaign(&src, c))
            .collect::<Result<Vec<_>, _>>()?;
        let members = unique(&src, raw.member.iter().map(|m| (&m.id, m)), |m| {
            member(&src, m, max_balance)
        })?;
        let coupons = unique(&src, raw.coupon.iter().map(|c| (&c.id, c)), |c| {
            Ok(Coupon {
                id: c.id.get_ref().clone(),
                member: c.member.clone(),
                sku: c.sku.clone(),
                valid_until: c
                    .valid_until
                    .as_ref()
                    .map(|v| src.date(v, "valid_until"))
                    .transpose()?,
                used: c.used,
            })
        })?;
        let cards = unique(&src, raw.card.iter().map(|c| (&c.id, c)), |c| {
            Ok(CoffeeCard {
                id: c.id.get_ref().clone(),
                member: c.member.clone(),
                clips: c.clips,
            })
        })?;
        Ok(Data {
            catalog: Catalog::new(products, campaigns, settings),
            members,
            coupons,
            cards,
        })
    }
}

fn unique<'r, R: 'r, T>(
    src: &Source<'_>,
    items: impl Iterator<Item = (&'r Spanned<String>, &'r R)>,
    convert: impl Fn(&R) -> Result<T, InputError>,
) -> Result<Vec<T>, InputError> {
    let mut seen = HashMap::new();
    let mut out = Vec::new();
    for (id, raw) in items {
        let line = src.line_of(id.span().start);
        if let Some(first) = seen.insert(id.get_ref().clone(), line) {
            return Err(src.error(
                id.span(),
                "id",
                format!("`{}` is already used on line {first}", id.get_ref()),
            ));
        }
        out.push(convert(raw)?);
    }
    Ok(out)
}

fn settings(src: &Source<'_>, raw: Option<RawSettings>) -> Result<Settings, InputError> {
    let mut s = Settings::default();
    let Some(raw) = raw else { return Ok(s) };
    if let Some(rate) = &raw.bonus_rate {
        s.bonus_rate = src.decimal(rate, "bonus_rate")?;
        if s.bonus_rate.is_sign_negative() || s.bonus_rate >= rust_decimal::Decimal::ONE {
            return Err(src.error(
                rate.span(),
                "bonus_rate",
                "a rate is a fraction like \"0.03\"",
            ));
        }
    }
    if let Some(sku) = raw.coffee_default_sku {
        s.coffee_default_sku = sku;
    }
    if let Some(g) = raw.min_grams {
        s.min_grams = g;
    }
    if let Some(keys) = raw.trusted_keys {
        for k in &keys {
            parse_public_key(k.get_ref())
                .map_err(|e| src.error(k.span(), "trusted_keys", e.to_string()))?;
        }
        s.trusted_keys = keys.into_iter().map(Spanned::into_inner).collect();
    }
    Ok(s)
}

fn product(src: &Source<'_>, p: &RawProduct) -> Result<Product, InputError> {
    let pricing = match (&p.price, &p.price_per_kg) {
        (Some(price), None) => {
            if p.tare_g.is_some() {
                return Err(src.error(
                    p.sku.span(),
                    "tare_g",
                    "only products sold by weight (price_per_kg) have a tare",
                ));
            }
            Pricing::Unit {
                price: positive(src, price, "price")?,
            }
        }
        (None, Some(ppk)) => Pricing::Weighed {
            price_per_kg: positive(src, ppk, "price_per_kg")?,
            tare_g: p.tare_g.as_ref().map_or(0, |t| *t.get_ref()),
        },
        (Some(_), Some(ppk)) => {
            return Err(src.error(
                ppk.span(),
                "price_per_kg",
                "a product has either `price` or `price_per_kg`, not both",
            ));
        }
        (None, None) => {
            return Err(src.error(
                p.sku.span(),
                "price",
                format!(
                    "product `{}` needs `price` or `price_per_kg`",
                    p.sku.get_ref()
                ),
            ));
        }
    };
    let vat = vat_class(src, &p.vat)?;
    let sku = p.sku.get_ref();
    if !valid_id(sku) {
        return Err(src.error(
            p.sku.span(),
            "sku",
            "a sku is 1–32 characters of A–Z, a–z, 0–9 and -",
        ));
    }
    Ok(Product {
        sku: sku.clone(),
        name: p.name.clone(),
        pricing,
        vat,
        coffee: p.coffee,
        barcodes: p.barcodes.iter().map(|b| b.get_ref().clone()).collect(),
    })
}

/// `vat = "25"` (a rate: 25, 15, 12 or 0, also as a bare number) or
/// `vat = "exempt"` (outside the VAT act, spec/rules.md).
fn vat_class(src: &Source<'_>, v: &Spanned<Value>) -> Result<VatRate, InputError> {
    if let Value::String(s) = v.get_ref()
        && s == VatRate::EXEMPT_CODE
    {
        return Ok(VatRate::EXEMPT);
    }
    let not_a_class = |shown: &dyn std::fmt::Display| {
        src.error(
            v.span(),
            "vat",
            format!("`{shown}` is not a Norwegian VAT class (25, 15, 12, 0 or \"exempt\")"),
        )
    };
    let value = src.decimal(v, "vat").map_err(|_| match v.get_ref() {
        Value::String(s) => not_a_class(s),
        other => not_a_class(other),
    })?;
    u8::try_from(value.trunc().mantissa())
        .ok()
        .filter(|_| value.fract().is_zero())
        .and_then(VatRate::new)
        .ok_or_else(|| not_a_class(&value))
}

fn positive(src: &Source<'_>, v: &Spanned<Value>, key: &str) -> Result<Money, InputError> {
    let m = src.money(v, key)?;
    if m.is_negative() {
        return Err(src.error(v.span(), key, "a price cannot be negative"));
    }
    within_max(src, v, key, m)
}

/// The largest price (and replay's largest `cash_given`): 1 000 000 000.00,
/// far above any canteen's, and small enough that no line a till makes from
/// it (× a u32 quantity or weight) nor any sale's sum of lines comes near
/// `Decimal::MAX`, so pricing a sale cannot overflow.
pub fn max_amount() -> Money {
    Money::from_ore(100_000_000_000)
}

/// `m` when it is at most [`max_amount`], else an error at `v`.
pub fn within_max(
    src: &Source<'_>,
    v: &Spanned<Value>,
    key: &str,
    m: Money,
) -> Result<Money, InputError> {
    if m > max_amount() {
        return Err(src.error(
            v.span(),
            key,
            format!(
                "`{m}` is more than the till handles (at most {})",
                max_amount()
            ),
        ));
    }
    Ok(m)
}

fn campaign(src: &Source<'_>, c: &RawCampaign) -> Result<Campaign, InputError> {
    let from = src.date(&c.from, "from")?;
    let until = src.date(&c.until, "until")?;
    if until < from {
        return Err(src.error(
            c.until.span(),
            "until",
            "the campaign ends before it starts",
        ));
    }
    let rate = src.decimal(&c.rate, "rate")?;
    if rate.is_sign_negative() || rate >= rust_decimal::Decimal::ONE {
        return Err(src.error(c.rate.span(), "rate", "a rate is a fraction like \"0.03\""));
    }
    Ok(Campaign {
        skus: c.skus.clone(),
        rate,
        from,
        until,
    })
}

fn member(src: &Source<'_>, m: &RawMember, max_balance: Money) -> Result<Member, InputError> {
    let bonus = match &m.bonus {
        Some(b) => {
            let v = src.money(b, "bonus")?;
            if v.is_negative() {
                return Err(src.error(b.span(), "bonus", "a bonus balance cannot be negative"));
            }
            if !v.in_range() || v > max_balance {
                return Err(src.error(
                    b.span(),
                    "bonus",
                    format!("`{v}` is more than a balance may hold (at most {max_balance})"),
                ));
            }
            v
        }
        None => Money::ZERO,
    };
    Ok(Member {
        id: m.id.get_ref().clone(),
        name: m.name.clone(),
        student: m.student,
        student_until: m
            .student_until
            .as_ref()
            .map(|v| src.date(v, "student_until"))
            .transpose()?,
        bonus,
    })
}

/// `[A-Za-z0-9-]{1,32}`, the id alphabet of the app codes.
pub fn valid_id(s: &str) -> bool {
    (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> InputError {
        Data::parse(Path::new("data.toml"), text).unwrap_err()
    }

    const OK: &str = r#"
[settings]
bonus_rate = "0.03"

[[product]]
sku = "KAFFE"
name = "Kaffe"
price = "25.00"
vat = "exempt"
coffee = true
barcodes = ["7038010000010"]

[[product]]
sku = "VEKT"
name = "Middag etter vekt"
price_per_kg = "189.00"
vat = 15
tare_g = 25

[[member]]
id = "M-1"
name = "Ola"
student = true
student_until = 2027-02-01
bonus = "12.40"
"#;

    #[test]
    fn reads_a_good_file() {
        let d = Data::parse(Path::new("data.toml"), OK).unwrap();
        assert_eq!(d.catalog.products().len(), 2);
        assert_eq!(
            d.catalog.product_by_barcode("7038010000010").unwrap().sku,
            "KAFFE"
        );
        assert_eq!(
            d.catalog.product("VEKT").unwrap().pricing,
            Pricing::Weighed {
                price_per_kg: "189.00".parse().unwrap(),
                tare_g: 25
            }
        );
        assert_eq!(d.catalog.product("KAFFE").unwrap().vat, VatRate::EXEMPT);
        assert_eq!(
            d.catalog.product("VEKT").unwrap().vat,
            VatRate::new(15).unwrap()
        );
        assert_eq!(d.members[0].bonus.to_string(), "12.40");
        assert!(d.members[0].is_student_on("2027-02-01".parse().unwrap()));
    }

    #[test]
    fn a_till_takes_smaller_balances_than_the_ledger() {
        let text = OK.replace(
            "bonus = \"12.40\"",
            "bonus = \"792281625142643375935439503.35\"",
        );
        let path = Path::new("data.toml");
        assert!(Data::parse(path, &text).is_ok());
        let e = Data::parse_for_till(path, &text).unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(25), Some("bonus")), "{e}");
        let past = OK.replace(
            "bonus = \"12.40\"",
            "bonus = \"79228162514264337593543950335\"",
        );
        let e = Data::parse(path, &past).unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(25), Some("bonus")), "{e}");
    }

    #[test]
    fn bad_files_name_line_and_key() {
        let table: [(String, usize, &str); 12] = [
            // Amounts past the ceiling, where sums could leave Decimal's range.
            (
                OK.replace("price = \"25.00\"", "price = \"1000000000.01\""),
                8,
                "price",
            ),
            (
                OK.replace(
                    "price_per_kg = \"189.00\"",
                    "price_per_kg = \"79228162514264337593543950335\"",
                ),
                16,
                "price_per_kg",
            ),
            (
                format!(
                    "{OK}[[campaign]]\nskus = [\"KAFFE\"]\nrate = \"1.5\"\nfrom = 2026-11-01\nuntil = 2026-11-30\n"
                ),
                OK.lines().count() + 3,
                "rate",
            ),
            (OK.replace("price = \"25.00\"", "price = 25.0"), 8, "price"),
            (OK.replace("vat = 15", "vat = 10"), 17, "vat"),
            (
                OK.replace("vat = \"exempt\"", "vat = \"unntatt\""),
                9,
                "vat",
            ),
            (OK.replace("vat = \"exempt\"", "vat = \"Exempt\""), 9, "vat"),
            (
                OK.replace(
                    "price_per_kg = \"189.00\"",
                    "price = \"1\"\nprice_per_kg = \"189.00\"",
                ),
                17,
                "price_per_kg",
            ),
            (OK.replace("sku = \"VEKT\"", "sku = \"KAFFE\""), 14, "sku"),
            (
                OK.replace("student_until = 2027-02-01", "student_until = \"1. feb\""),
                24,
                "student_until",
            ),
            (OK.replace("coffee = true", "cofee = true"), 10, "cofee"),
            (
                OK.replace("bonus_rate = \"0.03\"", "bonus_rate = \"3%\""),
                3,
                "bonus_rate",
            ),
        ];
        for (text, line, key) in table {
            let e = err(&text);
            assert_eq!((e.line, e.key.as_deref()), (Some(line), Some(key)), "{e}");
        }
        assert!(
            err("[[product]]\nsku = \"A\"\nname = \"a\"\nvat = \"25\"\n")
                .message
                .contains("price")
        );
    }
}
