//! What the ledger keeps about products, campaigns, members, coupons, cards,
//! keys and settings: one JSON document per entity, with the same fields as
//! the data file (spec/replay.md), which is also what the change feed sends.

use crate::data::Data;
use crate::domain::{
    Campaign, CoffeeCard, Coupon, Member, Money, Pricing, Product, Settings, VatRate,
};
use crate::ledger::LedgerError;
use crate::ledger::wire::{Amount, canonical_json, digest_of};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::fmt;

/// The kind of an entity, as the change feed names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityKind {
    Product,
    Campaign,
    Member,
    Coupon,
    Card,
    Key,
    Settings,
}

impl EntityKind {
    pub const ALL: [EntityKind; 7] = [
        EntityKind::Settings,
        EntityKind::Key,
        EntityKind::Product,
        EntityKind::Campaign,
        EntityKind::Member,
        EntityKind::Coupon,
        EntityKind::Card,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EntityKind::Product => "product",
            EntityKind::Campaign => "campaign",
            EntityKind::Member => "member",
            EntityKind::Coupon => "coupon",
            EntityKind::Card => "card",
            EntityKind::Key => "key",
            EntityKind::Settings => "settings",
        }
    }

    pub fn parse(s: &str) -> Option<EntityKind> {
        EntityKind::ALL.into_iter().find(|k| k.code() == s)
    }

    /// The catalog is replaced whole by an import; people and their stored
    /// value are only added to or updated.
    pub fn is_catalog(self) -> bool {
        matches!(
            self,
            EntityKind::Product | EntityKind::Campaign | EntityKind::Key | EntityKind::Settings
        )
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One entity's current document (`data` None: deleted).
#[derive(Clone, Debug, PartialEq)]
pub struct EntityData {
    pub kind: EntityKind,
    pub id: String,
    pub data: Value,
}

/// An entity row to write with a fresh change number; `data` None deletes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntityWrite {
    pub kind: EntityKind,
    pub id: String,
    pub data: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRecord {
    pub id: String,
    pub name: String,
    pub student: bool,
    pub student_until: Option<String>,
    /// The ledger's balance; may go below zero when a till overdrew it offline.
    pub bonus: Amount,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponRecord {
    pub id: String,
    pub member: String,
    pub sku: String,
    pub valid_until: Option<String>,
    pub used: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardRecord {
    pub id: String,
    pub member: String,
    /// Clips left; never below zero (an overdrawn card is flagged instead).
    pub clips: u32,
}

pub const SETTINGS_ID: &str = "settings";

fn to_value<T: Serialize>(v: &T) -> Value {
    // Serialising these plain records cannot fail (no maps with non-string keys).
    serde_json::to_value(v).unwrap_or(Value::Null)
}

pub fn product_data(p: &Product) -> Value {
    let mut v = json!({"sku": p.sku, "name": p.name});
    let obj = v.as_object_mut();
    if let Some(obj) = obj {
        match p.pricing {
            Pricing::Unit { price } => {
                obj.insert("price".into(), json!(price.to_string()));
            }
            Pricing::Weighed {
                price_per_kg,
                tare_g,
            } => {
                obj.insert("price_per_kg".into(), json!(price_per_kg.to_string()));
                obj.insert("tare_g".into(), json!(tare_g));
            }
        }
        obj.insert("vat".into(), json!(p.vat.to_string()));
        obj.insert("coffee".into(), json!(p.coffee));
        obj.insert("barcodes".into(), json!(p.barcodes));
    }
    v
}

/// A campaign has no id in the data file; its id is derived from its content,
/// so changing a campaign is a `delete` of the old one and a new one.
pub fn campaign_data(c: &Campaign) -> (String, Value) {
    let body = json!({
        "skus": c.skus,
        "rate": c.rate.to_string(),
        "from": c.from.to_string(),
        "until": c.until.to_string(),
    });
    let id = format!("c-{}", &digest_of(&body)[..16]);
    let mut v = json!({"id": id});
    if let (Some(obj), Value::Object(rest)) = (v.as_object_mut(), body) {
        obj.extend(rest);
    }
    (id, v)
}

pub fn member_record(m: &Member) -> MemberRecord {
    MemberRecord {
        id: m.id.clone(),
        name: m.name.clone(),
        student: m.student,
        student_until: m.student_until.map(|d| d.to_string()),
        bonus: Amount(m.bonus),
    }
}

pub fn coupon_record(c: &Coupon) -> CouponRecord {
    CouponRecord {
        id: c.id.clone(),
        member: c.member.clone(),
        sku: c.sku.clone(),
        valid_until: c.valid_until.map(|d| d.to_string()),
        used: c.used,
    }
}

pub fn card_record(c: &CoffeeCard) -> CardRecord {
    CardRecord {
        id: c.id.clone(),
        member: c.member.clone(),
        clips: c.clips,
    }
}

/// Settings without `trusted_keys`: each key is its own `key` entity, so one
/// can be revoked (a `delete`) without resending the others.
pub fn settings_data(s: &Settings) -> Value {
    json!({
        "bonus_rate": s.bonus_rate.to_string(),
        "coffee_default_sku": s.coffee_default_sku,
        "min_grams": s.min_grams,
    })
}

/// Every entity a data file describes, catalog first.
pub fn entities_from_data(data: &Data) -> Vec<EntityData> {
    let mut out = Vec::new();
    let settings = &data.catalog.settings;
    out.push(EntityData {
        kind: EntityKind::Settings,
        id: SETTINGS_ID.to_string(),
        data: settings_data(settings),
    });
    for key in &settings.trusted_keys {
        out.push(EntityData {
            kind: EntityKind::Key,
            id: key.clone(),
            data: json!({"key": key}),
        });
    }
    for p in data.catalog.products() {
        out.push(EntityData {
            kind: EntityKind::Product,
            id: p.sku.clone(),
            data: product_data(p),
        });
    }
    for c in &data.catalog.campaigns {
        let (id, data) = campaign_data(c);
        out.push(EntityData {
            kind: EntityKind::Campaign,
            id,
            data,
        });
    }
    for m in &data.members {
        out.push(EntityData {
            kind: EntityKind::Member,
            id: m.id.clone(),
            data: to_value(&member_record(m)),
        });
    }
    for c in &data.coupons {
        out.push(EntityData {
            kind: EntityKind::Coupon,
            id: c.id.clone(),
            data: to_value(&coupon_record(c)),
        });
    }
    for c in &data.cards {
        out.push(EntityData {
            kind: EntityKind::Card,
            id: c.id.clone(),
            data: to_value(&card_record(c)),
        });
    }
    out
}

/// What an import writes, given what the ledger holds now (live entities only).
///
/// - New entities are written as the file has them.
/// - For an existing member, coupon or card the file's master data (name,
///   student status, owner, sku, dates) wins, but the ledger's running
///   balance (`bonus`, `used`, `clips`) is kept: the ledger is the authority
///   for stored value, and re-importing a file must not undo a day of sales.
/// - A file with products is a catalog: its products, campaigns, keys and
///   settings replace the ledger's, and catalog entities it no longer has are
///   deleted. A file without products (members, coupons, cards only) leaves
///   the catalog alone, so adding people cannot empty the price list.
/// - Members, coupons and cards are never deleted by an import.
/// - Unchanged entities are not written, so they get no new change number.
pub fn plan_import(
    existing: &HashMap<(EntityKind, String), Value>,
    incoming: Vec<EntityData>,
) -> Vec<EntityWrite> {
    let replace_catalog = incoming.iter().any(|e| e.kind == EntityKind::Product);
    let mut writes = Vec::new();
    let mut seen: HashSet<(EntityKind, String)> = HashSet::new();
    for e in incoming {
        if e.kind.is_catalog() && !replace_catalog {
            continue;
        }
        let key = (e.kind, e.id.clone());
        let new = match existing.get(&key) {
            None => e.data,
            Some(old) => {
                let mut merged = e.data;
                let kept = match e.kind {
                    EntityKind::Member => Some("bonus"),
                    EntityKind::Coupon => Some("used"),
                    EntityKind::Card => Some("clips"),
                    _ => None,
                };
                if let (Some(field), Some(obj)) = (kept, merged.as_object_mut())
                    && let Some(v) = old.get(field)
                {
                    obj.insert(field.to_string(), v.clone());
                }
                if &merged == old {
                    seen.insert(key);
                    continue;
                }
                merged
            }
        };
        if seen.insert(key) {
            writes.push(EntityWrite {
                kind: e.kind,
                id: e.id,
                data: Some(canonical_json(&new)),
            });
        }
    }
    let mut gone: Vec<&(EntityKind, String)> = existing
        .keys()
        .filter(|k| replace_catalog && k.0.is_catalog() && !seen.contains(*k))
        .collect();
    gone.sort();
    writes.extend(gone.into_iter().map(|(kind, id)| EntityWrite {
        kind: *kind,
        id: id.clone(),
        data: None,
    }));
    writes
}

/// Reads a stored product document back (the bonus check needs whether it
/// is sold by weight). None: not a product document.
pub fn product_from_data(v: &Value) -> Option<Product> {
    let money = |key: &str| v.get(key)?.as_str()?.parse::<Money>().ok();
    let pricing = match (money("price"), money("price_per_kg")) {
        (Some(price), None) => Pricing::Unit { price },
        (None, Some(price_per_kg)) => Pricing::Weighed {
            price_per_kg,
            tare_g: v
                .get("tare_g")
                .and_then(Value::as_u64)
                .and_then(|t| u32::try_from(t).ok())
                .unwrap_or(0),
        },
        _ => return None,
    };
    Some(Product {
        sku: v.get("sku")?.as_str()?.to_string(),
        name: v.get("name")?.as_str()?.to_string(),
        pricing,
        vat: VatRate::new(v.get("vat")?.as_str()?.parse().ok()?)?,
        coffee: v.get("coffee").and_then(Value::as_bool).unwrap_or(false),
        barcodes: Vec::new(),
    })
}

/// Reads a stored campaign document back. None: not a campaign document.
pub fn campaign_from_data(v: &Value) -> Option<Campaign> {
    let text = |key: &str| v.get(key)?.as_str();
    Some(Campaign {
        skus: v
            .get("skus")?
            .as_array()?
            .iter()
            .map(|s| s.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()?,
        rate: crate::domain::money::parse_rate(text("rate")?).ok()?,
        from: text("from")?.parse().ok()?,
        until: text("until")?.parse().ok()?,
    })
}

/// Reads the stored settings document back (what [`settings_data`] wrote).
pub fn settings_from_data(v: &Value) -> Option<Settings> {
    let d = Settings::default();
    Some(Settings {
        bonus_rate: crate::domain::money::parse_rate(v.get("bonus_rate")?.as_str()?).ok()?,
        coffee_default_sku: v
            .get("coffee_default_sku")
            .and_then(Value::as_str)
            .map_or(d.coffee_default_sku, str::to_string),
        min_grams: v
            .get("min_grams")
            .and_then(Value::as_u64)
            .and_then(|g| u32::try_from(g).ok())
            .unwrap_or(d.min_grams),
        trusted_keys: Vec::new(),
    })
}

/// Øre in a bonus amount, for summing holds in SQL.
pub fn ore(m: Money) -> i64 {
    let cents = m.as_decimal() * rust_decimal::Decimal::ONE_HUNDRED;
    i64::try_from(cents.trunc()).unwrap_or(i64::MAX)
}

pub fn from_ore(ore: i64) -> Money {
    Money::from_ore(ore)
}

/// Reads a stored document, naming the entity when it cannot be read.
pub fn parse_record<T: for<'de> Deserialize<'de>>(
    kind: EntityKind,
    id: &str,
    text: &str,
) -> Result<T, LedgerError> {
    serde_json::from_str(text)
        .map_err(|e| LedgerError::Corrupt(format!("{kind} `{id}` has an unreadable document: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const DATA: &str = r#"
[settings]
bonus_rate = "0.03"
trusted_keys = ["ts52GlVUWWXP-szEDveSILg_nCW4SBbZqauxHo0uhLQ"]

[[product]]
sku = "KAFFE"
name = "Kaffe"
price = "25.00"
vat = "25"
coffee = true
barcodes = ["7038010000010"]

[[product]]
sku = "VEKT"
name = "Middag"
price_per_kg = "189.00"
vat = "15"

[[campaign]]
skus = ["SALAT"]
rate = "0.05"
from = "2026-11-01"
until = "2026-11-30"

[[member]]
id = "M-1"
name = "Ola"
student = true
student_until = "2027-02-01"
bonus = "12.40"

[[coupon]]
id = "CP-1"
member = "M-1"
sku = "KAFFE"
valid_until = "2026-12-31"

[[card]]
id = "KK-1"
member = "M-1"
clips = 10
"#;

    fn data(text: &str) -> Data {
        Data::parse(Path::new("data.toml"), text).unwrap()
    }

    #[test]
    fn data_file_fields_come_through() {
        let es = entities_from_data(&data(DATA));
        let find = |k: EntityKind, id: &str| {
            es.iter()
                .find(|e| e.kind == k && e.id == id)
                .unwrap()
                .data
                .clone()
        };
        assert_eq!(
            find(EntityKind::Product, "KAFFE"),
            json!({"sku": "KAFFE", "name": "Kaffe", "price": "25.00", "vat": "25",
                   "coffee": true, "barcodes": ["7038010000010"]})
        );
        assert_eq!(find(EntityKind::Product, "VEKT")["tare_g"], json!(0));
        assert_eq!(
            find(EntityKind::Member, "M-1"),
            json!({"id": "M-1", "name": "Ola", "student": true,
                   "student_until": "2027-02-01", "bonus": "12.40"})
        );
        assert_eq!(
            find(EntityKind::Coupon, "CP-1"),
            json!({"id": "CP-1", "member": "M-1", "sku": "KAFFE",
                   "valid_until": "2026-12-31", "used": false})
        );
        assert_eq!(find(EntityKind::Card, "KK-1")["clips"], json!(10));
        assert_eq!(
            find(
                EntityKind::Key,
                "ts52GlVUWWXP-szEDveSILg_nCW4SBbZqauxHo0uhLQ"
            )["key"],
            json!("ts52GlVUWWXP-szEDveSILg_nCW4SBbZqauxHo0uhLQ")
        );
        let campaign = es.iter().find(|e| e.kind == EntityKind::Campaign).unwrap();
        assert!(campaign.id.starts_with("c-"));
        assert_eq!(campaign.data["rate"], json!("0.05"));
    }

    #[test]
    fn catalog_documents_read_back() {
        let d = data(DATA);
        for p in d.catalog.products() {
            let back = product_from_data(&product_data(p)).unwrap();
            assert_eq!(
                (back.sku.as_str(), &back.pricing, back.vat),
                (p.sku.as_str(), &p.pricing, p.vat)
            );
        }
        for c in &d.catalog.campaigns {
            assert_eq!(campaign_from_data(&campaign_data(c).1).as_ref(), Some(c));
        }
        let s = settings_from_data(&settings_data(&d.catalog.settings)).unwrap();
        assert_eq!(s.bonus_rate, d.catalog.settings.bonus_rate);
        assert_eq!(product_from_data(&json!({"sku": "X"})), None);
    }

    #[test]
    fn reimport_keeps_balances_and_deletes_only_catalog() {
        let first = entities_from_data(&data(DATA));
        let mut existing: HashMap<_, _> = first
            .iter()
            .map(|e| ((e.kind, e.id.clone()), e.data.clone()))
            .collect();
        // A day of sales later: bonus spent, coupon used.
        existing.insert(
            (EntityKind::Member, "M-1".into()),
            json!({"id": "M-1", "name": "Ola", "student": true,
                   "student_until": "2027-02-01", "bonus": "3.00"}),
        );
        // Same file again: nothing to write.
        assert_eq!(plan_import(&existing, first.clone()), vec![]);
        // The file drops VEKT and the member, renames Ola.
        let second = DATA
            .replace("sku = \"VEKT\"", "sku = \"VEKT2\"")
            .replace("name = \"Ola\"", "name = \"Ola N\"");
        let writes = plan_import(&existing, entities_from_data(&data(&second)));
        let member = writes
            .iter()
            .find(|w| w.kind == EntityKind::Member)
            .unwrap();
        let doc: MemberRecord = serde_json::from_str(member.data.as_deref().unwrap()).unwrap();
        assert_eq!(
            (doc.name.as_str(), doc.bonus.0.to_string().as_str()),
            ("Ola N", "3.00")
        );
        assert!(writes.contains(&EntityWrite {
            kind: EntityKind::Product,
            id: "VEKT".into(),
            data: None
        }));
        assert!(
            writes
                .iter()
                .any(|w| w.kind == EntityKind::Product && w.id == "VEKT2")
        );
        assert_eq!(writes.len(), 3, "{writes:?}");
        // A file with people only leaves the catalog alone.
        let people = "[[member]]\nid = \"M-2\"\nname = \"Kari\"\n";
        let writes = plan_import(&existing, entities_from_data(&data(people)));
        assert_eq!(
            writes
                .iter()
                .map(|w| (w.kind, w.id.as_str()))
                .collect::<Vec<_>>(),
            [(EntityKind::Member, "M-2")]
        );
    }
}
