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

mod messages;
pub use messages::*;

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
    ) -> Result<Option<String>, Failure> {
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
            Ok(reversal
                .poi_data
                .map(|d| d.poi_transaction_id.transaction_id))
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
                return link.reverse(&original, None, until).map(drop);
            }
            match link.status(&service_id)? {
                Lookup::InProgress => link.abort(&service_id),
                Lookup::Done(_) | Lookup::NotFound => Ok(()),
            }
        })
    }

    /// A referenced refund: `ReversalRequest` with `ReversedAmount`.
    fn refund(&self, reference: &str, amount: Money) -> Result<Option<String>, ProviderError> {
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
mod tests;
