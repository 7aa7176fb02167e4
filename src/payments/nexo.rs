//! The card terminal: nexo Sale-to-POI in JSON, as Adyen's Terminal API
//! documents it for a local integration (spec/payments.md, "Providers"):
//! every message is one `POST {url}` with a `SaleToPOIRequest`, answered in
//! the same HTTP exchange by a `SaleToPOIResponse`.
//!
//! - Payment: `PaymentRequest` (`MessageCategory` `Payment`). The terminal
//!   holds the HTTP request open while the customer presents the card, so it
//!   is sent with a long timeout on a thread of its own.
//! - Cancel while waiting: `AbortRequest` (a separate request naming the
//!   payment's `ServiceID`; answered `200 OK` without a body). The payment's
//!   own answer then comes back `Failure` / `Aborted`.
//! - No answer to the payment (connection lost, terminal restarted, till
//!   crashed): `TransactionStatusRequest` naming the payment's `ServiceID`.
//!   The till only keeps the reference, so the payment's `ServiceID` is
//!   derived from it ([`payment_service_id`]).
//! - Wrong amount, lost sale, return: `ReversalRequest` naming the payment's
//!   `POITransactionID` (`ReversalReason` `MerchantCancel`; with
//!   `ReversedAmount` for a partial refund — Adyen's referenced refund).
//!
//! Message security (Adyen's `SecurityTrailer` and `NexoBlob`) is
//! configuration of a real deployment and not spoken here; the emulator
//! takes plain JSON on loopback.

use super::{
    Decline, Failure, PaymentUpdate, Provider, ProviderError, ProviderStatus, Running, Step,
};
use crate::domain::Money;
use reqwest::blocking::Client;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::HashMap;
use std::net::{TcpStream, ToSocketAddrs};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const NAME: &str = "nexo";
pub const PROTOCOL_VERSION: &str = "3.0";
/// How long a short message (abort, status, reversal) may take.
const SHORT: Duration = Duration::from_secs(10);
/// How long the wrap-up after the payment's time is up may take.
const GRACE: Duration = Duration::from_secs(5);

/// `[payment.nexo]`: where the terminal is and who the till is to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NexoConfig {
    /// The terminal's endpoint, e.g. `https://192.168.1.20:8443/nexo`.
    pub url: String,
    /// `SaleID`: this till, as the terminal knows it.
    pub sale_id: String,
    /// `POIID`: the terminal, `[device model]-[serial number]`.
    pub poi_id: String,
    /// How long the customer has to present the card.
    pub timeout_ms: u64,
}

// ---------------------------------------------------------------------------
// The messages, with nexo's own names (Adyen Terminal API, protocol 3.0).
// ---------------------------------------------------------------------------

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
fn fresh_service_id() -> String {
    let id = uuid::Uuid::now_v7().simple().to_string();
    id[id.len() - 10..].to_string()
}

/// Now, as nexo's `TimeStamp`.
pub fn time_stamp() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

// ---------------------------------------------------------------------------
// The client.
// ---------------------------------------------------------------------------

/// The nexo card terminal provider.
pub struct Nexo {
    config: Arc<NexoConfig>,
    /// The terminal's transaction ids of this process's approvals, so a
    /// reversal need not ask the terminal first.
    approved: Arc<Mutex<HashMap<String, TransactionId>>>,
}

/// What `TransactionStatus` says of a payment.
enum Lookup {
    Done(Box<PaymentResponse>),
    InProgress,
    NotFound,
}

/// The HTTP link to the terminal (one blocking client, made on the thread
/// that uses it).
#[derive(Clone)]
struct Link {
    http: Client,
    config: Arc<NexoConfig>,
}

impl Link {
    fn new(config: Arc<NexoConfig>) -> Result<Link, Failure> {
        let http = Client::builder()
            .build()
            .map_err(|e| Failure::Garbled(format!("cannot make an HTTP client: {e}")))?;
        Ok(Link { http, config })
    }

    fn header(&self, category: &str, service_id: String) -> MessageHeader {
        MessageHeader {
            protocol_version: Some(PROTOCOL_VERSION.into()),
            message_class: "Service".into(),
            message_category: category.into(),
            message_type: "Request".into(),
            service_id: Some(service_id),
            sale_id: self.config.sale_id.clone(),
            poi_id: self.config.poi_id.clone(),
        }
    }

    /// Whether the terminal takes connections at all (before a card is asked for).
    fn reachable(&self, within: Duration) -> Result<(), Failure> {
        let url = reqwest::Url::parse(&self.config.url)
            .map_err(|e| Failure::Refused(format!("{}: {e}", self.config.url)))?;
        let host = url.host_str().unwrap_or("localhost").to_string();
        let port = url.port_or_known_default().unwrap_or(443);
        let addrs = (host.as_str(), port)
            .to_socket_addrs()
            .map_err(|e| Failure::Unreachable(format!("{host}: {e}")))?;
        let mut last = format!("{host}: no address");
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, within) {
                Ok(_) => return Ok(()),
                Err(e) => last = format!("{addr}: {e}"),
            }
        }
        Err(Failure::Unreachable(last))
    }

    /// One exchange: the answer, `None` for an empty `200 OK` (an abort's).
    fn send(
        &self,
        request: SaleToPoiRequest,
        wait: Duration,
    ) -> Result<Option<SaleToPoiResponse>, Failure> {
        let body = serde_json::to_string(&RequestEnvelope { request })
            .map_err(|e| Failure::Garbled(e.to_string()))?;
        let answer = self
            .http
            .post(&self.config.url)
            .timeout(wait)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .map_err(|e| Failure::Unreachable(format!("the terminal did not answer: {e}")))?;
        let status = answer.status();
        let text = answer
            .text()
            .map_err(|e| Failure::Unreachable(format!("the terminal's answer was cut: {e}")))?;
        if status.is_success() && text.trim().is_empty() {
            return Ok(None);
        }
        if let Ok(envelope) = serde_json::from_str::<ResponseEnvelope>(&text) {
            return Ok(Some(envelope.response));
        }
        if let Ok(RequestEnvelope {
            request: SaleToPoiRequest {
                event: Some(event), ..
            },
        }) = serde_json::from_str::<RequestEnvelope>(&text)
        {
            return Err(Failure::Refused(format!(
                "the terminal refused the request ({}): {}",
                event.event_to_notify,
                event.event_details.unwrap_or_default()
            )));
        }
        if status.is_server_error() {
            return Err(Failure::Unreachable(format!(
                "the terminal answered HTTP {status}"
            )));
        }
        let start: String = text.chars().take(200).collect();
        if status.is_success() {
            Err(Failure::Garbled(format!(
                "the terminal's answer is not nexo: {start}"
            )))
        } else {
            Err(Failure::Refused(format!(
                "the terminal answered HTTP {status}: {start}"
            )))
        }
    }

    fn payment_request(
        &self,
        service_id: &str,
        reference: &str,
        amount: Money,
    ) -> SaleToPoiRequest {
        let mut request = SaleToPoiRequest::new(self.header("Payment", service_id.to_string()));
        request.payment = Some(PaymentRequest {
            sale_data: SaleData {
                sale_transaction_id: TransactionId {
                    transaction_id: reference.to_string(),
                    time_stamp: time_stamp(),
                },
                sale_to_acquirer_data: None,
            },
            payment_transaction: PaymentTransaction {
                amounts_req: AmountsReq {
                    currency: "NOK".into(),
                    requested_amount: Amount(amount),
                },
            },
            payment_data: None,
        });
        request
    }

    /// `AbortRequest` for the payment with `service_id`.
    fn abort(&self, service_id: &str) -> Result<(), Failure> {
        let mut request = SaleToPoiRequest::new(self.header("Abort", fresh_service_id()));
        request.abort = Some(AbortRequest {
            abort_reason: "MerchantAbort".into(),
            message_reference: MessageReference {
                message_category: "Payment".into(),
                service_id: Some(service_id.to_string()),
                sale_id: Some(self.config.sale_id.clone()),
                poi_id: Some(self.config.poi_id.clone()),
            },
        });
        self.send(request, Duration::from_secs(3)).map(drop)
    }

    /// `TransactionStatusRequest` for the payment with `service_id`.
    fn status(&self, service_id: &str) -> Result<Lookup, Failure> {
        let mut request =
            SaleToPoiRequest::new(self.header("TransactionStatus", fresh_service_id()));
        request.transaction_status = Some(TransactionStatusRequest {
            message_reference: Some(MessageReference {
                message_category: "Payment".into(),
                service_id: Some(service_id.to_string()),
                sale_id: Some(self.config.sale_id.clone()),
                poi_id: None,
            }),
        });
        let answer = self
            .send(request, SHORT)?
            .and_then(|r| r.transaction_status)
            .ok_or_else(|| Failure::Garbled("no TransactionStatusResponse".into()))?;
        if answer.response.approved() {
            return answer
                .repeated_message_response
                .and_then(|r| r.body.payment)
                .map(|p| Lookup::Done(Box::new(p)))
                .ok_or_else(|| Failure::Garbled("a status without the payment's answer".into()));
        }
        match answer.response.error_condition.as_deref() {
            Some("InProgress") => Ok(Lookup::InProgress),
            Some("NotFound") => Ok(Lookup::NotFound),
            _ => Err(Failure::Refused(format!(
                "transaction status: {}",
                answer.response.reason()
            ))),
        }
    }

    /// `ReversalRequest` of `original`: all of it, or `amount` of it (a refund).
    fn reverse(
        &self,
        original: &TransactionId,
        amount: Option<Money>,
        until: Instant,
    ) -> Result<(), Failure> {
        let service_id = fresh_service_id();
        let mut request = SaleToPoiRequest::new(self.header("Reversal", service_id));
        request.reversal = Some(ReversalRequest {
            original_poi_transaction: OriginalPoiTransaction {
                poi_transaction_id: original.clone(),
                sale_id: None,
                poi_id: None,
            },
            reversal_reason: "MerchantCancel".into(),
            reversed_amount: amount.map(Amount),
            sale_data: amount.map(|_| SaleData {
                sale_transaction_id: TransactionId {
                    transaction_id: uuid::Uuid::now_v7().simple().to_string(),
                    time_stamp: time_stamp(),
                },
                sale_to_acquirer_data: Some("currency=NOK".into()),
            }),
        });
        // The same ServiceID on every try: the terminal answers a repeat
        // from its record instead of reversing twice.
        let answer = loop {
            match self.send(request.clone(), SHORT) {
                Err(Failure::Unreachable(_)) if Instant::now() < until => {
                    thread::sleep(Duration::from_millis(100));
                }
                other => break other?,
            }
        };
        let reversal = answer
            .and_then(|r| r.reversal)
            .ok_or_else(|| Failure::Garbled("no ReversalResponse".into()))?;
        if reversal.response.approved() {
            Ok(())
        } else {
            Err(Failure::Refused(format!(
                "the terminal refused the reversal: {}",
                reversal.response.reason()
            )))
        }
    }
}

impl Nexo {
    pub fn new(config: NexoConfig) -> Nexo {
        Nexo {
            config: Arc::new(config),
            approved: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Runs `work` with a fresh link on a thread of its own (never a blocking
    /// HTTP client in async context, whoever calls).
    fn blocking<T: Send>(
        &self,
        work: impl FnOnce(&Link) -> Result<T, Failure> + Send,
    ) -> Result<T, ProviderError> {
        let config = Arc::clone(&self.config);
        thread::scope(|s| {
            s.spawn(move || Link::new(config).and_then(|link| work(&link)))
                .join()
                .unwrap_or_else(|_| Err(Failure::Garbled("the terminal thread failed".into())))
        })
        .map_err(|f| f.into_error(NAME))
    }

    /// The approved payment's terminal transaction, remembered or asked.
    fn original(&self, link: &Link, reference: &str) -> Result<Option<TransactionId>, Failure> {
        if let Some(id) = self
            .approved
            .lock()
            .ok()
            .and_then(|m| m.get(reference).cloned())
        {
            return Ok(Some(id));
        }
        Ok(match link.status(&payment_service_id(reference))? {
            Lookup::Done(p) => p.approval().map(|(id, _)| id),
            Lookup::InProgress | Lookup::NotFound => None,
        })
    }
}

/// One running payment, on its worker thread.
struct Payment<'a> {
    link: Link,
    reference: String,
    service_id: String,
    amount: Money,
    approved: &'a Mutex<HashMap<String, TransactionId>>,
    tx: &'a Sender<PaymentUpdate>,
    stop: &'a AtomicBool,
    deadline: Instant,
    grace: Duration,
    /// An `AbortRequest` was sent (by the till's cancel or the timeout).
    aborted: bool,
    timed_out: bool,
}

impl Payment<'_> {
    fn run(&mut self) -> PaymentUpdate {
        let within = Duration::from_secs(3).min(self.grace);
        if let Err(e) = self.link.reachable(within) {
            return PaymentUpdate::Declined {
                why: Decline::Unreachable,
                reason: format!("the card terminal does not answer: {e}"),
            };
        }
        let request = self
            .link
            .payment_request(&self.service_id, &self.reference, self.amount);
        let wait = self.deadline.saturating_duration_since(Instant::now()) + self.grace;
        let (answer_tx, answer_rx) = mpsc::channel();
        let link = self.link.clone();
        thread::spawn(move || {
            let _ = answer_tx.send(link.send(request, wait));
        });
        let _ = self.tx.send(PaymentUpdate::Progress(Step::PresentCard));
        loop {
            match answer_rx.recv_timeout(Duration::from_millis(10)) {
                Ok(Ok(Some(SaleToPoiResponse {
                    payment: Some(p), ..
                }))) => return self.outcome(&p),
                Ok(Ok(_)) => {
                    return self.resolve(self.deadline.max(Instant::now()) + self.grace);
                }
                Ok(Err(Failure::Refused(reason))) => {
                    return PaymentUpdate::Declined {
                        why: Decline::Fault,
                        reason,
                    };
                }
                Ok(Err(_)) | Err(RecvTimeoutError::Disconnected) => {
                    // No answer: ask the terminal how the payment ended.
                    let until = if self.aborted {
                        self.deadline.max(Instant::now()) + self.grace
                    } else {
                        self.deadline
                    };
                    return self.resolve(until);
                }
                Err(RecvTimeoutError::Timeout) => {
                    let now = Instant::now();
                    if !self.aborted && self.stop.load(Ordering::SeqCst) {
                        self.abort();
                    } else if !self.aborted && now >= self.deadline {
                        self.timed_out = true;
                        self.abort();
                    } else if now >= self.deadline + self.grace {
                        return self.resolve(now + self.grace);
                    }
                }
            }
        }
    }

    fn abort(&mut self) {
        self.aborted = true;
        let _ = self.link.abort(&self.service_id);
    }

    /// What the payment's answer means for the till.
    fn outcome(&self, p: &PaymentResponse) -> PaymentUpdate {
        if p.response.approved() {
            return match p.approval() {
                Some((id, amount)) => {
                    if let Ok(mut m) = self.approved.lock() {
                        m.insert(self.reference.clone(), id.clone());
                    }
                    PaymentUpdate::Approved {
                        transaction_id: id.transaction_id,
                        amount,
                    }
                }
                None => {
                    // Approved without saying what was charged: give it back.
                    if let Some(poi) = &p.poi_data {
                        let until = Instant::now() + self.grace;
                        let _ = self.link.reverse(&poi.poi_transaction_id, None, until);
                    }
                    PaymentUpdate::Declined {
                        why: Decline::Fault,
                        reason: "the terminal approved without an amount: reversed".into(),
                    }
                }
            };
        }
        let cancelled = matches!(
            p.response.error_condition.as_deref(),
            Some("Aborted") | Some("Cancel")
        );
        if self.timed_out {
            PaymentUpdate::TimedOut
        } else if cancelled || self.aborted {
            PaymentUpdate::Cancelled
        } else {
            PaymentUpdate::Declined {
                why: Decline::of_nexo(p.response.error_condition.as_deref()),
                reason: p.response.reason(),
            }
        }
    }

    /// The payment's answer was lost: ask `TransactionStatus` until it says
    /// how the payment ended, or `until` passes.
    fn resolve(&mut self, until: Instant) -> PaymentUpdate {
        loop {
            match self.link.status(&self.service_id) {
                Ok(Lookup::Done(p)) => return self.outcome(&p),
                Ok(Lookup::NotFound) => {
                    return if self.timed_out {
                        PaymentUpdate::TimedOut
                    } else if self.aborted {
                        PaymentUpdate::Cancelled
                    } else {
                        PaymentUpdate::Declined {
                            why: Decline::Fault,
                            reason: "the terminal has no record of the payment".into(),
                        }
                    };
                }
                Ok(Lookup::InProgress) | Err(_) => {}
            }
            let now = Instant::now();
            if !self.aborted && self.stop.load(Ordering::SeqCst) {
                self.abort();
            }
            if now >= until {
                if !self.aborted {
                    self.abort();
                }
                return PaymentUpdate::TimedOut;
            }
            if !self.aborted && now >= self.deadline {
                self.timed_out = true;
                self.abort();
            }
            thread::sleep(Duration::from_millis(50).min(until.saturating_duration_since(now)));
        }
    }
}

impl Provider for Nexo {
    fn name(&self) -> &'static str {
        NAME
    }

    fn start(&self, amount: Money, reference: &str, _description: &str) -> Running {
        let (tx, rx) = mpsc::channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&cancel);
        let config = Arc::clone(&self.config);
        let approved = Arc::clone(&self.approved);
        let reference = reference.to_string();
        thread::spawn(move || {
            let _ = tx.send(PaymentUpdate::Progress(Step::Connecting));
            let last = match Link::new(Arc::clone(&config)) {
                Err(e) => PaymentUpdate::Declined {
                    why: Decline::Fault,
                    reason: e.to_string(),
                },
                Ok(_) if !amount.is_positive() => PaymentUpdate::Declined {
                    why: Decline::Amount,
                    reason: format!("{amount} NOK cannot be paid by card"),
                },
                Ok(link) => {
                    let timeout = Duration::from_millis(config.timeout_ms);
                    let mut payment = Payment {
                        link,
                        service_id: payment_service_id(&reference),
                        reference,
                        amount,
                        approved: &approved,
                        tx: &tx,
                        stop: &stop,
                        deadline: Instant::now() + timeout,
                        grace: GRACE.min(timeout),
                        aborted: false,
                        timed_out: false,
                    };
                    payment.run()
                }
            };
            let _ = tx.send(last);
        });
        Running {
            updates: rx,
            cancel,
        }
    }

    /// `TransactionStatusRequest` naming the payment's `ServiceID`.
    fn status(&self, reference: &str) -> Result<ProviderStatus, ProviderError> {
        let service_id = payment_service_id(reference);
        let lookup = self.blocking(|link| link.status(&service_id))?;
        Ok(match lookup {
            Lookup::Done(p) => match p.approval() {
                Some((id, amount)) => {
                    if let Ok(mut m) = self.approved.lock() {
                        m.insert(reference.to_string(), id.clone());
                    }
                    ProviderStatus::Approved {
                        transaction_id: id.transaction_id,
                        amount,
                    }
                }
                None => ProviderStatus::Failed,
            },
            Lookup::InProgress => ProviderStatus::Pending,
            Lookup::NotFound => ProviderStatus::Unknown,
        })
    }

    /// Abort it while it runs; reverse it in full once approved; nothing to
    /// do when the terminal never took it.
    fn reverse(&self, reference: &str, _amount: Money) -> Result<(), ProviderError> {
        let service_id = payment_service_id(reference);
        let until = Instant::now() + SHORT;
        self.blocking(|link| {
            if let Some(original) = self.original(link, reference)? {
                return link.reverse(&original, None, until);
            }
            match link.status(&service_id)? {
                Lookup::InProgress => link.abort(&service_id),
                Lookup::Done(_) | Lookup::NotFound => Ok(()),
            }
        })
    }

    /// A referenced refund: `ReversalRequest` with `ReversedAmount`.
    fn refund(&self, reference: &str, amount: Money) -> Result<(), ProviderError> {
        if !amount.is_positive() {
            return Err(
                Failure::Refused(format!("{amount} NOK cannot be refunded")).into_error(NAME)
            );
        }
        let until = Instant::now() + SHORT;
        self.blocking(|link| match self.original(link, reference)? {
            Some(original) => link.reverse(&original, Some(amount), until),
            None => Err(Failure::Refused(format!(
                "the terminal has no approved payment {reference} to refund"
            ))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn link() -> Link {
        Link::new(Arc::new(NexoConfig {
            url: "http://127.0.0.1:1/nexo".into(),
            sale_id: "kafe-1".into(),
            poi_id: "V400m-324688179".into(),
            timeout_ms: 1000,
        }))
        .unwrap()
    }

    fn wire(request: SaleToPoiRequest) -> serde_json::Value {
        serde_json::from_str(&serde_json::to_string(&RequestEnvelope { request }).unwrap()).unwrap()
    }

    #[test]
    fn the_payment_request_has_nexos_field_names_and_an_exact_amount() {
        let reference = "0190f0c2a1b27c3d8e9f00112233aabb";
        let mut v = wire(link().payment_request(
            &payment_service_id(reference),
            reference,
            Money::from_ore(6547),
        ));
        let stamp = v["SaleToPOIRequest"]["PaymentRequest"]["SaleData"]["SaleTransactionID"]
            .as_object_mut()
            .unwrap()
            .remove("TimeStamp")
            .unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(stamp.as_str().unwrap()).is_ok(),
            "{stamp}"
        );
        assert_eq!(
            v,
            json!({"SaleToPOIRequest": {
                "MessageHeader": {
                    "ProtocolVersion": "3.0", "MessageClass": "Service",
                    "MessageCategory": "Payment", "MessageType": "Request",
                    "ServiceID": "112233aabb",
                    "SaleID": "kafe-1", "POIID": "V400m-324688179"
                },
                "PaymentRequest": {
                    "SaleData": {"SaleTransactionID": {"TransactionID": reference}},
                    "PaymentTransaction": {"AmountsReq": {"Currency": "NOK", "RequestedAmount": 65.47}}
                }
            }})
        );
        let text = serde_json::to_string(&RequestEnvelope {
            request: link().payment_request("1", "r", Money::from_ore(1200)),
        })
        .unwrap();
        assert!(text.contains("\"RequestedAmount\":12.00"), "{text}");
    }

    #[test]
    fn abort_status_and_reversal_name_the_original() {
        let l = link();
        let mut abort = SaleToPoiRequest::new(l.header("Abort", "A1".into()));
        abort.abort = Some(AbortRequest {
            abort_reason: "MerchantAbort".into(),
            message_reference: MessageReference {
                message_category: "Payment".into(),
                service_id: Some("112233aabb".into()),
                sale_id: Some("kafe-1".into()),
                poi_id: None,
            },
        });
        let v = wire(abort);
        assert_eq!(
            v["SaleToPOIRequest"]["MessageHeader"]["MessageCategory"],
            "Abort"
        );
        assert_eq!(
            v["SaleToPOIRequest"]["AbortRequest"],
            json!({"AbortReason": "MerchantAbort", "MessageReference":
                {"MessageCategory": "Payment", "ServiceID": "112233aabb", "SaleID": "kafe-1"}})
        );
        let mut reversal = SaleToPoiRequest::new(l.header("Reversal", "R1".into()));
        reversal.reversal = Some(ReversalRequest {
            original_poi_transaction: OriginalPoiTransaction {
                poi_transaction_id: TransactionId {
                    transaction_id: "oLkO001517998574000.8815179985821711".into(),
                    time_stamp: "2017-11-10T14:11:21.000Z".into(),
                },
                sale_id: None,
                poi_id: None,
            },
            reversal_reason: "MerchantCancel".into(),
            reversed_amount: Some(Amount(Money::from_ore(1000))),
            sale_data: None,
        });
        assert_eq!(
            wire(reversal)["SaleToPOIRequest"]["ReversalRequest"],
            json!({"OriginalPOITransaction": {"POITransactionID": {
                    "TransactionID": "oLkO001517998574000.8815179985821711",
                    "TimeStamp": "2017-11-10T14:11:21.000Z"}},
                "ReversalReason": "MerchantCancel", "ReversedAmount": 10.00})
        );
    }

    #[test]
    fn adyens_payment_response_reads_with_the_exact_amount() {
        let text = r#"{"SaleToPOIResponse":{"MessageHeader":{"ProtocolVersion":"3.0",
            "SaleID":"John","MessageClass":"Service","MessageCategory":"Payment",
            "ServiceID":"1110151123","POIID":"MX925-260193322","MessageType":"Response"},
            "PaymentResponse":{"POIData":{"POIReconciliationID":"1000","POITransactionID":
            {"TimeStamp":"2017-11-10T14:11:21.000Z","TransactionID":"oLkO001510323081009.9815103231020966"}},
            "PaymentResult":{"AmountsResp":{"AuthorizedAmount":10.99,"Currency":"EUR"},"OnlineFlag":true},
            "Response":{"AdditionalResponse":"tid=1234&transactionType=GOODS_SERVICES","Result":"Success"},
            "SaleData":{"SaleTransactionID":{"TimeStamp":"2017-11-10T14:11:18.000Z","TransactionID":"4001"}}}}}"#;
        let r: ResponseEnvelope = serde_json::from_str(text).unwrap();
        let (id, amount) = r.response.payment.unwrap().approval().unwrap();
        assert_eq!(id.transaction_id, "oLkO001510323081009.9815103231020966");
        assert_eq!(amount, Money::from_ore(1099));
        let refused = Response::failure(
            "Refusal",
            Some("refusalReason=Refused&message=Declined+by+issuer".into()),
        );
        assert_eq!(refused.reason(), "Refusal: Declined by issuer");
    }

    #[test]
    fn the_payments_service_id_comes_from_the_reference() {
        assert_eq!(
            payment_service_id("0190f0c2a1b27c3d8e9f00112233aabb"),
            "112233aabb"
        );
        assert_eq!(payment_service_id("S1"), "S1");
        assert_eq!(payment_service_id("--"), "0");
        assert_eq!(fresh_service_id().len(), 10);
    }
}
