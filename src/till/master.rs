//! Master data from the ledger in the running till: products, prices,
//! campaigns and keys written by the sync worker take effect between sales,
//! never in one, and the journal says when.

use super::*;

impl Till {
    /// A write of the sync worker, made on this till's connection (the
    /// kiosk keeps one writer per process).
    pub fn sync_write(&mut self, op: &crate::store::SyncOp) -> Result<(), String> {
        op.apply(&mut self.store)?;
        if let crate::store::SyncOp::Changes { changes, at, .. } = op {
            // What the till holds in memory; members, coupons and cards
            // are read from the store when a code is scanned.
            let kinds: std::collections::BTreeSet<String> = changes
                .iter()
                .filter(|c| {
                    matches!(
                        c.kind.as_str(),
                        "product" | "campaign" | "key" | "settings" | "delete"
                    )
                })
                .map(|c| c.kind.clone())
                .collect();
            if !kinds.is_empty() {
                self.master_data_arrived(kinds, *at)
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    /// Trusts the config's keys plus those the ledger delivered, now and
    /// each time new master data takes effect (spec/qr-payloads.md).
    pub fn trust_config_and_ledger_keys(&mut self, config: &[String]) -> Result<(), TillError> {
        self.config_keys = Some(config.to_vec());
        self.reload_keys()
    }

    fn reload_keys(&mut self) -> Result<(), TillError> {
        let Some(config) = &self.config_keys else {
            return Ok(());
        };
        let mut keys = config.clone();
        for k in self.store.ledger_keys()? {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        self.set_trusted_keys(&keys)
    }

    /// Master data written by sync takes effect between sales, never in
    /// one: now when no sale is open, else when the open one ends. Each time
    /// it does, the journal says so.
    fn master_data_arrived(
        &mut self,
        kinds: std::collections::BTreeSet<String>,
        now: DateTime<FixedOffset>,
    ) -> Result<(), TillError> {
        self.master_pending
            .get_or_insert_with(Default::default)
            .extend(kinds);
        if self.sale.is_empty() && self.tendering.is_none() && self.pending.is_none() {
            self.master_data_takes_effect(now)?;
        }
        Ok(())
    }

    pub(super) fn master_data_takes_effect(
        &mut self,
        now: DateTime<FixedOffset>,
    ) -> Result<(), TillError> {
        let Some(kinds) = self.master_pending.take() else {
            return Ok(());
        };
        self.catalog = self.store.catalog()?;
        self.reload_keys()?;
        self.store.journal(&JournalEntry {
            at: now,
            operator: self.operator.clone(),
            code: codes::OTHER,
            kind: "master_data_in_effect",
            sale_id: None,
            detail: serde_json::json!({ "kinds": kinds }),
        })?;
        Ok(())
    }
}
