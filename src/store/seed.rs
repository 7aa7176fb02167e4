//! The data file into the till's cache: products, campaigns, members,
//! coupons, cards and settings, in one transaction.

use super::*;

impl Store {
    /// Replaces the cache with a data file's contents in one transaction.
    /// `at` is when the data arrived (journaled as a master-data change).
    pub fn seed(&mut self, data: &Data, at: DateTime<FixedOffset>) -> Result<()> {
        let tx = write_tx(&mut self.conn)?;
        for table in [
            "barcode", "product", "campaign", "member", "coupon", "card", "setting",
        ] {
            tx.execute(&format!("DELETE FROM {table}"), [])?;
        }
        for p in data.catalog.products() {
            let (price, ppk, tare) = match p.pricing {
                Pricing::Unit { price } => (Some(price.to_string()), None, 0),
                Pricing::Weighed {
                    price_per_kg,
                    tare_g,
                } => (None, Some(price_per_kg.to_string()), tare_g),
            };
            tx.execute(
                "INSERT INTO product (sku, name, price, price_per_kg, vat, coffee, tare_g, vat_class) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![p.sku, p.name, price, ppk, p.vat.percent().unwrap_or(0), p.coffee, tare, p.vat.to_string()],
            )?;
            for code in &p.barcodes {
                tx.execute(
                    "INSERT INTO barcode (code, sku) VALUES (?1, ?2)",
                    params![code, p.sku],
                )?;
            }
        }
        for (i, c) in data.catalog.campaigns.iter().enumerate() {
            let skus =
                serde_json::to_string(&c.skus).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            tx.execute(
                "INSERT INTO campaign (id, skus, rate, from_date, until_date) VALUES (?5, ?1, ?2, ?3, ?4)",
                params![
                    skus,
                    c.rate.to_string(),
                    c.from.to_string(),
                    c.until.to_string(),
                    format!("seed-{}", i + 1)
                ],
            )?;
        }
        for m in &data.members {
            tx.execute(
                "INSERT INTO member (id, name, student, student_until, bonus) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![m.id, m.name, m.student, m.student_until.map(|d| d.to_string()), m.bonus.to_string()],
            )?;
        }
        for c in &data.coupons {
            tx.execute(
                "INSERT INTO coupon (id, member, sku, valid_until, used) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![c.id, c.member, c.sku, c.valid_until.map(|d| d.to_string()), c.used],
            )?;
        }
        for c in &data.cards {
            tx.execute(
                "INSERT INTO card (id, member, clips) VALUES (?1, ?2, ?3)",
                params![c.id, c.member, c.clips],
            )?;
        }
        let s = &data.catalog.settings;
        let keys = serde_json::to_string(&s.trusted_keys)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        for (k, v) in [
            ("bonus_rate", s.bonus_rate.to_string()),
            ("coffee_default_sku", s.coffee_default_sku.clone()),
            ("min_grams", s.min_grams.to_string()),
            ("trusted_keys", keys),
        ] {
            tx.execute(
                "INSERT INTO setting (key, value) VALUES (?1, ?2)",
                params![k, v],
            )?;
        }
        journal_master_data(
            &tx,
            &self.till,
            at,
            serde_json::json!({
                "products": data.catalog.products().len(),
                "members": data.members.len(),
                "coupons": data.coupons.len(),
                "cards": data.cards.len(),
            }),
        )?;
        tx.commit()?;
        Ok(())
    }
}
