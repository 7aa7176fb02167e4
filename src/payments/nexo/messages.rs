//! The messages, with nexo's own names (Adyen Terminal API, protocol 3.0).

use super::*;

/// An amount as nexo writes it: a JSON *number* in currency units (`65.47`).
/// Read and written through its exact decimal text, never through `f64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amount(pub Money);

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw = serde_json::value::RawValue::from_string(self.0.to_string())
            .map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Amount, D::Error> {
        let raw = Box::<serde_json::value::RawValue>::deserialize(d)?;
        let text = raw.get().trim().trim_matches('"');
        let value = Decimal::from_str(text)
            .or_else(|_| Decimal::from_scientific(text))
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not an amount")))?;
        if value.normalize().scale() > 2 {
            return Err(serde::de::Error::custom(format!(
                "`{text}` has fractions of an øre"
            )));
        }
        Ok(Amount(Money::from_decimal(value)))
    }
}

/// The envelope of a message to the terminal (and of the terminal's own
/// event notifications, such as a `Reject` of a malformed request).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestEnvelope {
    #[serde(rename = "SaleToPOIRequest")]
    pub request: SaleToPoiRequest,
}

/// `SaleToPOIRequest`: a `MessageHeader` and exactly one message body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleToPoiRequest {
    #[serde(rename = "MessageHeader")]
    pub header: MessageHeader,
    #[serde(
        rename = "PaymentRequest",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub payment: Option<PaymentRequest>,
    #[serde(
        rename = "AbortRequest",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub abort: Option<AbortRequest>,
    #[serde(
        rename = "TransactionStatusRequest",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub transaction_status: Option<TransactionStatusRequest>,
    #[serde(
        rename = "ReversalRequest",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub reversal: Option<ReversalRequest>,
    #[serde(
        rename = "EventNotification",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub event: Option<EventNotification>,
}

impl SaleToPoiRequest {
    pub fn new(header: MessageHeader) -> SaleToPoiRequest {
        SaleToPoiRequest {
            header,
            payment: None,
            abort: None,
            transaction_status: None,
            reversal: None,
            event: None,
        }
    }
}

/// The envelope of the terminal's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseEnvelope {
    #[serde(rename = "SaleToPOIResponse")]
    pub response: SaleToPoiResponse,
}

/// `SaleToPOIResponse`: the request's header (`MessageType` `Response`) and
/// the answer's body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleToPoiResponse {
    #[serde(rename = "MessageHeader")]
    pub header: MessageHeader,
    #[serde(
        rename = "PaymentResponse",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub payment: Option<PaymentResponse>,
    #[serde(
        rename = "TransactionStatusResponse",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub transaction_status: Option<TransactionStatusResponse>,
    #[serde(
        rename = "ReversalResponse",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub reversal: Option<ReversalResponse>,
}

impl SaleToPoiResponse {
    pub fn new(header: MessageHeader) -> SaleToPoiResponse {
        SaleToPoiResponse {
            header,
            payment: None,
            transaction_status: None,
            reversal: None,
        }
    }
}

/// `MessageHeader`. `ServiceID` (1–10 alphanumerics, unique per terminal
/// for 48 hours) pairs a request with its answer and names a payment in a
/// later abort or status request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageHeader {
    #[serde(
        rename = "ProtocolVersion",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub protocol_version: Option<String>,
    /// `Service` for payments, aborts, status and reversals; `Event` for events.
    #[serde(rename = "MessageClass")]
    pub message_class: String,
    /// `Payment`, `Abort`, `TransactionStatus`, `Reversal`, `Event`.
    #[serde(rename = "MessageCategory")]
    pub message_category: String,
    /// `Request`, `Response` or `Notification`.
    #[serde(rename = "MessageType")]
    pub message_type: String,
    #[serde(rename = "ServiceID", default, skip_serializing_if = "Option::is_none")]
    pub service_id: Option<String>,
    #[serde(rename = "SaleID")]
    pub sale_id: String,
    #[serde(rename = "POIID")]
    pub poi_id: String,
}

/// `TransactionID` + `TimeStamp`: `SaleTransactionID` (the till's id of the
/// sale) or `POITransactionID` (the terminal's id of the transaction).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionId {
    #[serde(rename = "TransactionID")]
    pub transaction_id: String,
    /// ISO 8601 / RFC 3339.
    #[serde(rename = "TimeStamp")]
    pub time_stamp: String,
}

/// `SaleData`: the sale a transaction belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleData {
    #[serde(rename = "SaleTransactionID")]
    pub sale_transaction_id: TransactionId,
    /// Adyen's key=value extras, e.g. `currency=NOK` on a partial refund.
    #[serde(
        rename = "SaleToAcquirerData",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sale_to_acquirer_data: Option<String>,
}

/// `PaymentRequest`: take `AmountsReq.RequestedAmount` from the card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRequest {
    #[serde(rename = "SaleData")]
    pub sale_data: SaleData,
    #[serde(rename = "PaymentTransaction")]
    pub payment_transaction: PaymentTransaction,
    /// `PaymentType` `Normal` (the default) or `Refund` (an unreferenced refund).
    #[serde(
        rename = "PaymentData",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub payment_data: Option<PaymentData>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentTransaction {
    #[serde(rename = "AmountsReq")]
    pub amounts_req: AmountsReq,
}

/// `AmountsReq`: the amount asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmountsReq {
    #[serde(rename = "Currency")]
    pub currency: String,
    #[serde(rename = "RequestedAmount")]
    pub requested_amount: Amount,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentData {
    #[serde(rename = "PaymentType")]
    pub payment_type: String,
}

/// `Response`: `Result` `Success`, `Partial` or `Failure`; on failure an
/// `ErrorCondition` (`Refusal`, `Aborted`, `Cancel`, `Busy`, `InProgress`,
/// `NotFound`, `NotAllowed`, `MessageFormat`, …) and, from Adyen, an
/// `AdditionalResponse` of form-encoded details (`refusalReason=…&message=…`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    #[serde(rename = "Result")]
    pub result: String,
    #[serde(
        rename = "ErrorCondition",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub error_condition: Option<String>,
    #[serde(
        rename = "AdditionalResponse",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub additional_response: Option<String>,
}

impl Response {
    pub fn success() -> Response {
        Response {
            result: "Success".into(),
            error_condition: None,
            additional_response: None,
        }
    }

    pub fn failure(condition: &str, additional: Option<String>) -> Response {
        Response {
            result: "Failure".into(),
            error_condition: Some(condition.into()),
            additional_response: additional,
        }
    }

    /// `Success` (or `Partial`, an approval of part of the amount).
    pub fn approved(&self) -> bool {
        self.result == "Success" || self.result == "Partial"
    }

    /// Why it failed, in words: the `message` or `refusalReason` Adyen puts
    /// in `AdditionalResponse`, after the `ErrorCondition`.
    pub fn reason(&self) -> String {
        let detail = self.additional_response.as_deref().and_then(|extra| {
            let url = reqwest::Url::parse(&format!("http://terminal/?{extra}")).ok()?;
            let pairs: HashMap<String, String> = url.query_pairs().into_owned().collect();
            pairs
                .get("message")
                .or_else(|| pairs.get("refusalReason"))
                .filter(|m| !m.is_empty())
                .cloned()
        });
        match (self.error_condition.as_deref(), detail) {
            (Some(c), Some(d)) => format!("{c}: {d}"),
            (Some(c), None) => c.to_string(),
            (None, Some(d)) => d,
            (None, None) => format!("the terminal answered {}", self.result),
        }
    }
}

/// `PaymentResponse`: the outcome of a payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentResponse {
    #[serde(rename = "Response")]
    pub response: Response,
    #[serde(rename = "SaleData", default, skip_serializing_if = "Option::is_none")]
    pub sale_data: Option<SaleData>,
    #[serde(rename = "POIData", default, skip_serializing_if = "Option::is_none")]
    pub poi_data: Option<PoiData>,
    #[serde(
        rename = "PaymentResult",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub payment_result: Option<PaymentResult>,
}

impl PaymentResponse {
    /// The terminal's transaction and the amount it authorised, when approved.
    pub fn approval(&self) -> Option<(TransactionId, Money)> {
        if !self.response.approved() {
            return None;
        }
        let id = self.poi_data.as_ref()?.poi_transaction_id.clone();
        let amount = self
            .payment_result
            .as_ref()?
            .amounts_resp
            .as_ref()?
            .authorized_amount;
        Some((id, amount.0))
    }
}

/// `POIData`: the terminal's id of the transaction (`tenderReference.pspReference`
/// at Adyen), printed on the receipt and needed to reverse it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoiData {
    #[serde(rename = "POITransactionID")]
    pub poi_transaction_id: TransactionId,
    #[serde(
        rename = "POIReconciliationID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub poi_reconciliation_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentResult {
    #[serde(
        rename = "AmountsResp",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub amounts_resp: Option<AmountsResp>,
}

/// `AmountsResp`: what the card was actually charged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmountsResp {
    #[serde(rename = "Currency", default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(rename = "AuthorizedAmount")]
    pub authorized_amount: Amount,
}

/// `MessageReference`: names an earlier message by its category and `ServiceID`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageReference {
    #[serde(rename = "MessageCategory")]
    pub message_category: String,
    #[serde(rename = "ServiceID", default, skip_serializing_if = "Option::is_none")]
    pub service_id: Option<String>,
    #[serde(rename = "SaleID", default, skip_serializing_if = "Option::is_none")]
    pub sale_id: Option<String>,
    #[serde(rename = "POIID", default, skip_serializing_if = "Option::is_none")]
    pub poi_id: Option<String>,
}

/// `AbortRequest`: stop the transaction `MessageReference` names. Answered
/// `200 OK` with no body; the aborted payment answers `Failure` / `Aborted`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbortRequest {
    /// `MerchantAbort` when the till cancels.
    #[serde(rename = "AbortReason")]
    pub abort_reason: String,
    #[serde(rename = "MessageReference")]
    pub message_reference: MessageReference,
}

/// `TransactionStatusRequest`: how did the transaction `MessageReference`
/// names end? (Without a reference: the last one.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionStatusRequest {
    #[serde(
        rename = "MessageReference",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub message_reference: Option<MessageReference>,
}

/// `TransactionStatusResponse`: `Success` with the original answer repeated
/// in `RepeatedMessageResponse`, or `Failure` with `InProgress` (still
/// running) or `NotFound` (never seen).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionStatusResponse {
    #[serde(rename = "Response")]
    pub response: Response,
    #[serde(
        rename = "MessageReference",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub message_reference: Option<MessageReference>,
    #[serde(
        rename = "RepeatedMessageResponse",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub repeated_message_response: Option<RepeatedMessageResponse>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepeatedMessageResponse {
    #[serde(rename = "MessageHeader")]
    pub header: MessageHeader,
    #[serde(rename = "RepeatedResponseMessageBody")]
    pub body: RepeatedResponseMessageBody,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepeatedResponseMessageBody {
    #[serde(
        rename = "PaymentResponse",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub payment: Option<PaymentResponse>,
    #[serde(
        rename = "ReversalResponse",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub reversal: Option<ReversalResponse>,
}

/// `ReversalRequest`: give back a completed payment. Without
/// `ReversedAmount` all of it; with it (and `SaleData`) part of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReversalRequest {
    #[serde(rename = "OriginalPOITransaction")]
    pub original_poi_transaction: OriginalPoiTransaction,
    /// `MerchantCancel` (the till's decision), `CustCancel`, `Malfunction`, `Unable2Compl`.
    #[serde(rename = "ReversalReason")]
    pub reversal_reason: String,
    #[serde(
        rename = "ReversedAmount",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub reversed_amount: Option<Amount>,
    #[serde(rename = "SaleData", default, skip_serializing_if = "Option::is_none")]
    pub sale_data: Option<SaleData>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginalPoiTransaction {
    #[serde(rename = "POITransactionID")]
    pub poi_transaction_id: TransactionId,
    #[serde(rename = "SaleID", default, skip_serializing_if = "Option::is_none")]
    pub sale_id: Option<String>,
    #[serde(rename = "POIID", default, skip_serializing_if = "Option::is_none")]
    pub poi_id: Option<String>,
}

/// `ReversalResponse`: the reversal's own `POITransactionID` and amount.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReversalResponse {
    #[serde(rename = "Response")]
    pub response: Response,
    #[serde(rename = "POIData", default, skip_serializing_if = "Option::is_none")]
    pub poi_data: Option<PoiData>,
    #[serde(
        rename = "ReversedAmount",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub reversed_amount: Option<Amount>,
}

/// `EventNotification`: sent by the terminal, e.g. `EventToNotify` `Reject`
/// for a request it could not read (`EventDetails` says why).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventNotification {
    #[serde(rename = "EventToNotify")]
    pub event_to_notify: String,
    #[serde(
        rename = "EventDetails",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub event_details: Option<String>,
    #[serde(
        rename = "RejectedMessage",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub rejected_message: Option<String>,
    #[serde(rename = "TimeStamp")]
    pub time_stamp: String,
}

/// The payment's `ServiceID`, derived from the till's reference so that
/// recovery can name it again: its last 10 alphanumerics (UUID v7's last
/// digits are random, so they are unique for the terminal's 48 hours).
pub fn payment_service_id(reference: &str) -> String {
    let chars: Vec<char> = reference
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let tail: String = chars[chars.len().saturating_sub(10)..].iter().collect();
    if tail.is_empty() { "0".into() } else { tail }
}

/// A fresh `ServiceID` for a message that is not the payment itself.
pub(super) fn fresh_service_id() -> String {
    let id = uuid::Uuid::now_v7().simple().to_string();
    id[id.len() - 10..].to_string()
}

/// Now, as nexo's `TimeStamp`.
pub fn time_stamp() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
