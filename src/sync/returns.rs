//! The till's client for returns at the ledger (README, "Returns at the
//! ledger"): an original sale of any till, and a hold on the units about to
//! be returned. Same timeouts as `reserve`: no usable answer in time is
//! `Unreachable`, and the till decides from its own store.

use super::LedgerClient;
use crate::domain::Money;
use crate::domain::receipt::Receipt;
use crate::till::{Original, RemoteSale, Reserve, ReturnHold};
use chrono::DateTime;
use serde_json::{Value, json};

impl LedgerClient {
    /// Sale `number` of `till` as the ledger holds it, with what has been
    /// returned or held of it at every till.
    pub fn original(&self, till: &str, number: u64) -> Original {
        let Ok(resp) = self
            .http
            .get(self.url(&format!("sales/{till}/{number}")))
            .bearer_auth(&self.config.token)
            .send()
        else {
            return Original::Unreachable;
        };
        match resp.status().as_u16() {
            200 => resp
                .json::<Value>()
                .ok()
                .and_then(|v| remote_sale(&v))
                .map_or(Original::Unreachable, |s| Original::Found(Box::new(s))),
            404 => Original::NotFound,
            // Anything else is no usable answer.
            _ => Original::Unreachable,
        }
    }

    /// Holds units of an original sale for a return: `Refused` with the
    /// ledger's reason (`already_returned`, `no_such_sale`).
    pub fn hold_return(&self, hold: &ReturnHold) -> Reserve {
        let body = json!({
            "id": hold.id,
            "original": {
                "till": hold.till,
                "number": hold.number,
                "lines": hold.lines.iter().map(|(line, qty)| json!({"line": line, "qty": qty})).collect::<Vec<_>>(),
            },
        });
        self.hold("returns", &body)
    }
}

/// The ledger's reply to `GET …/sales/{till}/{number}`; None when it does
/// not have the documented shape.
fn remote_sale(v: &Value) -> Option<RemoteSale> {
    let sale = &v["sale"];
    let returned = v["returned"]
        .as_array()?
        .iter()
        .map(|r| {
            Some((
                usize::try_from(r["line"].as_u64()?).ok()?,
                u32::try_from(r["qty"].as_u64()?).ok()?,
            ))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(RemoteSale {
        id: v["id"].as_str()?.to_string(),
        till: v["till"].as_str()?.to_string(),
        number: v["number"].as_u64()?,
        at: DateTime::parse_from_rfc3339(v["at"].as_str()?).ok()?,
        receipt: Receipt::from_json(sale)?,
        bonus_used: sale["bonus_used"].as_str()?.parse::<Money>().ok()?,
        returned,
    })
}
