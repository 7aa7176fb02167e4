//! The ledger's return endpoints (README, "Returns at the ledger"): an
//! original sale of any till, and a hold on units about to be returned.

use super::ApiError;
use crate::ledger::returns::{self, HoldOutcome, LineUnits};
use crate::ledger::wire::BadRequest;
use crate::ledger::{Ledger, valid_till_id};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use serde::Serialize;
use serde_json::json;
use serde_json::value::RawValue;

#[derive(Serialize)]
struct OriginalReply {
    id: String,
    till: String,
    number: u64,
    at: String,
    sale: Box<RawValue>,
    returned: Vec<LineUnits>,
}

/// `GET /v1/tills/{till}/sales/{orig_till}/{number}`.
pub(super) async fn original_sale(
    State(ledger): State<Ledger>,
    Path((_till, orig_till, number)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let number: u64 = number.parse().map_err(|_| {
        BadRequest::new(
            "number",
            format!("`{number}` is not a receipt number (a whole number ≥ 0)"),
        )
    })?;
    let found = if valid_till_id(&orig_till) {
        ledger
            .storage()
            .original_sale(orig_till, number, ledger.now())
            .await?
    } else {
        None
    };
    let Some(sale) = found else {
        return Ok((
            StatusCode::NOT_FOUND,
            Json(json!({"error": "no_such_sale"})),
        )
            .into_response());
    };
    let body = RawValue::from_string(sale.body)
        .map_err(|e| crate::ledger::LedgerError::Corrupt(format!("sale {}: body: {e}", sale.id)))?;
    Ok(Json(OriginalReply {
        id: sale.id,
        till: sale.till,
        number: sale.number,
        at: sale.at,
        sale: body,
        returned: sale
            .returned
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(line, n)| LineUnits {
                line,
                qty: u32::try_from(n).unwrap_or(u32::MAX),
            })
            .collect(),
    })
    .into_response())
}

/// `POST /v1/tills/{till}/returns`.
pub(super) async fn hold_return(
    State(ledger): State<Ledger>,
    Path(till): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request = returns::parse_hold(&body)?;
    let outcome = ledger
        .storage()
        .hold_return(till, request, ledger.now())
        .await?;
    Ok(match outcome {
        HoldOutcome::Granted => Json(json!({"ok": true})).into_response(),
        HoldOutcome::Refused(reason) => (
            StatusCode::CONFLICT,
            Json(json!({"ok": false, "reason": reason.code()})),
        )
            .into_response(),
    })
}
