//! An emulated card terminal speaking nexo Sale-to-POI JSON as Adyen's
//! Terminal API does on a local network: `POST /nexo` with a
//! `SaleToPOIRequest`, answered with a `SaleToPOIResponse`.
//!
//! - `Payment`: the HTTP request is held while the emulated customer
//!   presents the card (the emulator's delay), then answered `Success` with
//!   `POIData.POITransactionID` and `PaymentResult.AmountsResp`, or
//!   `Failure` (`Refusal`, `Aborted`, `Busy`). A repeat with the same
//!   `ServiceID` and body is answered from the record (or waits for the
//!   running one), never charged twice.
//! - `Abort`: the waiting payment answers `Failure` / `Aborted`; the abort
//!   itself is answered `200 OK` without a body, as Adyen does.
//! - `TransactionStatus`: the recorded payment answer inside
//!   `RepeatedMessageResponse`, or `Failure` with `InProgress` / `NotFound`.
//! - `Reversal`: gives back all (or `ReversedAmount`) of an approved payment.
//!
//! A request it cannot read is answered `400` with the terminal's own
//! rejection: an `EventNotification` with `EventToNotify` `Reject`.
//!
//! With a state file ([`spawn_terminal_on`]) the terminal saves its
//! book (payments with their answers, aborts, reversals) after every change
//! and reads it back at start, so `TransactionStatus` and `Reversal` answer
//! for payments made before a restart. A payment still waiting for the card
//! when the emulator stopped is read back as `Failure` / `Aborted`: the
//! emulated card holder acts only while the till's request is held open, and
//! that request died with the process, so no card was presented and nothing
//! was approved (a real terminal likewise ends the transaction when it loses
//! the sale system). Recovery then finds it failed, never approved later.

use super::{
    Book, Connection, Control, EmulatorError, EmulatorHandle, Mode, Record, StateFile, after_ms,
    now_ms,
};
use crate::domain::Money;
use crate::payments::nexo::{
    AbortRequest, Amount, AmountsResp, EventNotification, MessageHeader, MessageReference,
    PROTOCOL_VERSION, PaymentRequest, PaymentResponse, PaymentResult, PoiData,
    RepeatedMessageResponse, RepeatedResponseMessageBody, RequestEnvelope, Response,
    ResponseEnvelope, ReversalRequest, ReversalResponse, SaleData, SaleToPoiRequest,
    SaleToPoiResponse, TransactionId, TransactionStatusRequest, TransactionStatusResponse,
    time_stamp,
};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::routing::post;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The emulated terminal's `POIID` ([device model]-[serial number]).
pub const POIID: &str = "EMU400-000000001";
/// Its book's name in a state file.
const BOOK: &str = "terminal";

/// Starts an emulated terminal on an ephemeral loopback port.
pub fn spawn_terminal(mode: Mode) -> Result<EmulatorHandle, EmulatorError> {
    start_at(super::loopback(), mode, super::TEST_DELAY, None)
}

/// Starts an emulated terminal on an ephemeral loopback port, keeping its
/// book in `state` (see [`StateFile`]) when given and starting from what is
/// saved there.
pub fn spawn_terminal_on(
    mode: Mode,
    state: Option<Arc<StateFile>>,
) -> Result<EmulatorHandle, EmulatorError> {
    start_at(super::loopback(), mode, super::TEST_DELAY, state)
}

/// Serves an emulated terminal on `listen` until the process ends
/// (`kasse sim terminal`).
pub fn serve_terminal(listen: SocketAddr, mode: Mode) -> Result<(), EmulatorError> {
    let handle = start_at(listen, mode, super::DEMO_DELAY, None)?;
    println!(
        "emulated nexo terminal {POIID} on {} (mode {mode}); [payment.nexo] url = \"{}\", poi_id = \"{POIID}\"",
        handle.url(),
        handle.url()
    );
    handle.serve_forever()
}

fn start_at(
    listen: SocketAddr,
    mode: Mode,
    delay: Duration,
    state: Option<Arc<StateFile>>,
) -> Result<EmulatorHandle, EmulatorError> {
    let desk = match &state {
        Some(file) => {
            let mut desk = file.book::<Desk>(BOOK)?.unwrap_or_default();
            if desk.reopen() {
                file.save(BOOK, &desk).map_err(|e| EmulatorError::State {
                    path: file.path().to_path_buf(),
                    why: e.to_string(),
                })?;
            }
            desk
        }
        None => Desk::default(),
    };
    let control = Control::new(mode, delay);
    let terminal = Arc::new(Terminal {
        control: Arc::clone(&control),
        desk: Mutex::new(desk),
        state,
    });
    let book: Arc<dyn Book> = terminal.clone();
    super::start(listen, control, book, move |addr| {
        let app = Router::new()
            .route("/nexo", post(nexo))
            .with_state(terminal);
        (app, format!("http://{addr}/nexo"))
    })
}

struct Terminal {
    control: Arc<Control>,
    desk: Mutex<Desk>,
    /// Where the desk is saved, if anywhere.
    state: Option<Arc<StateFile>>,
}

impl Terminal {
    /// Writes the desk to the state file, if there is one. A desk that
    /// cannot be saved is answered 500 (the answer returned), as by a
    /// terminal that could not record it.
    fn unsaved(&self, desk: &Desk) -> Option<HttpResponse> {
        let file = self.state.as_ref()?;
        file.save(BOOK, desk).err().map(|e| {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the emulator could not save its book: {e}"),
            )
                .into_response()
        })
    }
}

/// Everything the emulated terminal knows: what a state file keeps.
#[derive(Default, Serialize, Deserialize)]
struct Desk {
    /// Payments in the order they came.
    payments: Vec<Exchange>,
    /// Index into `payments` by `ServiceID` (rebuilt when read back).
    #[serde(skip)]
    by_service: HashMap<String, usize>,
    /// Aborts that came before the payment they name.
    pre_aborted: HashSet<String>,
    /// Reversals by `ServiceID`: the request and the answer, for repeats.
    reversals: HashMap<String, (String, SaleToPoiResponse)>,
    /// Terminal transactions made so far (numbers their ids).
    issued: u64,
}

impl Desk {
    fn issue(&mut self) -> u64 {
        self.issued += 1;
        self.issued
    }

    /// A desk read back from a state file: its index rebuilt, and every
    /// payment that was waiting for the card ended `Failure` / `Aborted`
    /// (the module's documentation says why). True if a payment was ended.
    fn reopen(&mut self) -> bool {
        self.by_service = self
            .payments
            .iter()
            .enumerate()
            .map(|(i, x)| (x.service_id.clone(), i))
            .collect();
        let mut ended = false;
        for i in 0..self.payments.len() {
            if self.payments[i].reply.is_none() {
                let issued = self.issue();
                let extra = form(&[(
                    "message",
                    "Transaction aborted: the sale system's connection was lost",
                )]);
                finish(
                    &mut self.payments[i],
                    issued,
                    Response::failure("Aborted", Some(extra)),
                    None,
                );
                ended = true;
            }
        }
        ended
    }
}

/// One payment request and what became of it.
#[derive(Serialize, Deserialize)]
struct Exchange {
    service_id: String,
    /// Sale, transaction and amount: tells a repeat from a reuse of the `ServiceID`.
    request: String,
    header: MessageHeader,
    sale: TransactionId,
    currency: String,
    requested: Money,
    outcome: Mode,
    /// When the emulated card holder acts, in wall-clock milliseconds.
    due: i64,
    aborted: bool,
    /// `InProgress`, `Success`, `Failure:<ErrorCondition>`, `Gone`.
    state: String,
    reply: Option<SaleToPoiResponse>,
    poi: Option<TransactionId>,
    authorized: Money,
    reversed: Money,
}

impl Book for Terminal {
    fn records(&self) -> Vec<Record> {
        let Ok(desk) = self.desk.lock() else {
            return Vec::new();
        };
        desk.payments
            .iter()
            .map(|x| Record {
                reference: x.sale.transaction_id.clone(),
                requested: x.requested,
                state: x.state.clone(),
                authorized: x.authorized,
                captured: x.authorized,
                cancelled: if x.state == "Failure:Aborted" {
                    x.requested
                } else {
                    Money::ZERO
                },
                refunded: x.reversed,
                transaction_id: x
                    .poi
                    .as_ref()
                    .map(|p| p.transaction_id.clone())
                    .unwrap_or_default(),
            })
            .collect()
    }
}

fn json<T: serde::Serialize>(status: StatusCode, body: &T) -> HttpResponse {
    match serde_json::to_string(body) {
        Ok(text) => (status, [(header::CONTENT_TYPE, "application/json")], text).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

fn answer(response: &SaleToPoiResponse) -> HttpResponse {
    json(
        StatusCode::OK,
        &ResponseEnvelope {
            response: response.clone(),
        },
    )
}

/// Adyen's form-encoded `AdditionalResponse` / `EventDetails`.
fn form(pairs: &[(&str, &str)]) -> String {
    reqwest::Url::parse_with_params("http://terminal/", pairs)
        .ok()
        .and_then(|u| u.query().map(str::to_string))
        .unwrap_or_default()
}

/// The terminal's rejection of a request it cannot take.
fn reject(body: &[u8], header: Option<&MessageHeader>, why: &str) -> HttpResponse {
    let mut event = SaleToPoiRequest::new(MessageHeader {
        protocol_version: Some(PROTOCOL_VERSION.into()),
        message_class: "Event".into(),
        message_category: "Event".into(),
        message_type: "Notification".into(),
        service_id: header.and_then(|h| h.service_id.clone()),
        sale_id: header.map(|h| h.sale_id.clone()).unwrap_or_default(),
        poi_id: POIID.into(),
    });
    event.event = Some(EventNotification {
        event_to_notify: "Reject".into(),
        event_details: Some(form(&[("message", why)])),
        rejected_message: Some(base64::engine::general_purpose::STANDARD.encode(body)),
        time_stamp: time_stamp(),
    });
    json(StatusCode::BAD_REQUEST, &RequestEnvelope { request: event })
}

/// What is wrong with a request's header, if anything.
fn bad_header(h: &MessageHeader) -> Option<String> {
    if h.protocol_version.as_deref() != Some(PROTOCOL_VERSION) {
        return Some(format!("ProtocolVersion must be {PROTOCOL_VERSION}"));
    }
    if h.message_class != "Service" {
        return Some(format!("MessageClass {} is not Service", h.message_class));
    }
    if h.message_type != "Request" {
        return Some(format!("MessageType {} is not Request", h.message_type));
    }
    let id = h.service_id.as_deref().unwrap_or("");
    if !(1..=10).contains(&id.len()) || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Some("ServiceID must be 1 to 10 letters and digits".into());
    }
    if h.sale_id.trim().is_empty() {
        return Some("SaleID is required".into());
    }
    if h.poi_id != POIID {
        return Some(format!("POIID {} is not this terminal ({POIID})", h.poi_id));
    }
    None
}

fn response_header(request: &MessageHeader) -> MessageHeader {
    MessageHeader {
        message_type: "Response".into(),
        ..request.clone()
    }
}

/// A new terminal transaction id: Adyen's `tenderReference.pspReference` shape.
fn poi_transaction(issued: u64) -> TransactionId {
    let psp = uuid::Uuid::now_v7().as_u128() % 10_000_000_000_000_000;
    TransactionId {
        transaction_id: format!(
            "EMU{issued:04}{:013}.{psp:016}",
            chrono::Utc::now().timestamp_millis()
        ),
        time_stamp: time_stamp(),
    }
}

/// `POST /nexo`: one `SaleToPOIRequest`.
async fn nexo(
    State(terminal): State<Arc<Terminal>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    body: Bytes,
) -> HttpResponse {
    if terminal.control.gone() {
        connection.drop_it();
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let request = match serde_json::from_slice::<RequestEnvelope>(&body) {
        Ok(envelope) => envelope.request,
        Err(e) => return reject(&body, None, &format!("not a SaleToPOIRequest: {e}")),
    };
    let h = request.header.clone();
    if let Some(why) = bad_header(&h) {
        return reject(&body, Some(&h), &why);
    }
    let bodies = [
        request.payment.is_some(),
        request.abort.is_some(),
        request.transaction_status.is_some(),
        request.reversal.is_some(),
        request.event.is_some(),
    ];
    if bodies.iter().filter(|b| **b).count() != 1 {
        return reject(
            &body,
            Some(&h),
            "a request carries exactly one message body",
        );
    }
    let fingerprint = String::from_utf8_lossy(&body).into_owned();
    match (h.message_category.as_str(), request) {
        (
            "Payment",
            SaleToPoiRequest {
                payment: Some(p), ..
            },
        ) => payment(&terminal, &connection, &body, h, p).await,
        ("Abort", SaleToPoiRequest { abort: Some(a), .. }) => abort(&terminal, &body, &h, a),
        (
            "TransactionStatus",
            SaleToPoiRequest {
                transaction_status: Some(s),
                ..
            },
        ) => status(&terminal, &h, s),
        (
            "Reversal",
            SaleToPoiRequest {
                reversal: Some(r), ..
            },
        ) => reversal(&terminal, &body, &h, fingerprint, r),
        (category, _) => reject(
            &body,
            Some(&h),
            &format!("MessageCategory {category} does not match the message body"),
        ),
    }
}

/// The answer to a payment, recorded on the exchange.
fn finish(
    x: &mut Exchange,
    issued: u64,
    response: Response,
    authorized: Option<Money>,
) -> SaleToPoiResponse {
    let poi = poi_transaction(issued);
    x.state = match &response.error_condition {
        None => "Success".to_string(),
        Some(c) => format!("Failure:{c}"),
    };
    if let Some(a) = authorized {
        x.authorized = a;
        x.poi = Some(poi.clone());
    }
    let mut reply = SaleToPoiResponse::new(response_header(&x.header));
    reply.payment = Some(PaymentResponse {
        response,
        sale_data: Some(SaleData {
            sale_transaction_id: x.sale.clone(),
            sale_to_acquirer_data: None,
        }),
        poi_data: Some(PoiData {
            poi_transaction_id: poi,
            poi_reconciliation_id: Some("1000".into()),
        }),
        payment_result: authorized.map(|a| PaymentResult {
            amounts_resp: Some(AmountsResp {
                currency: Some(x.currency.clone()),
                authorized_amount: Amount(a),
            }),
        }),
    });
    x.reply = Some(reply.clone());
    reply
}

async fn payment(
    terminal: &Terminal,
    connection: &Connection,
    body: &[u8],
    header: MessageHeader,
    request: PaymentRequest,
) -> HttpResponse {
    let service_id = header.service_id.clone().unwrap_or_default();
    let amounts = &request.payment_transaction.amounts_req;
    if !amounts.requested_amount.0.is_positive() {
        return reject(body, Some(&header), "RequestedAmount must be positive");
    }
    let currency = &amounts.currency;
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return reject(body, Some(&header), "Currency must be an ISO 4217 code");
    }
    // A repeat is the same sale, transaction and amount (its TimeStamp may be new).
    let fingerprint = format!(
        "{}|{}|{}|{}",
        header.sale_id,
        request.sale_data.sale_transaction_id.transaction_id,
        currency,
        amounts.requested_amount.0
    );
    let index = {
        let Ok(mut desk) = terminal.desk.lock() else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        if let Some(&i) = desk.by_service.get(&service_id) {
            let x = &desk.payments[i];
            if x.request != fingerprint {
                return reject(
                    body,
                    Some(&header),
                    &format!("ServiceID {service_id} was used for another request"),
                );
            }
            if let Some(reply) = &x.reply {
                // A repeat: the recorded answer again, never a second payment.
                return answer(reply);
            }
            i
        } else {
            if desk.payments.iter().any(|x| x.state == "InProgress") {
                let mut busy = SaleToPoiResponse::new(response_header(&header));
                busy.payment = Some(PaymentResponse {
                    response: Response::failure(
                        "Busy",
                        Some(form(&[("message", "Terminal busy with another payment")])),
                    ),
                    sale_data: Some(request.sale_data.clone()),
                    poi_data: None,
                    payment_result: None,
                });
                return answer(&busy);
            }
            let mode = terminal.control.mode();
            let now = now_ms();
            let aborted = desk.pre_aborted.remove(&service_id);
            desk.payments.push(Exchange {
                service_id: service_id.clone(),
                request: fingerprint,
                header: header.clone(),
                sale: request.sale_data.sale_transaction_id.clone(),
                currency: currency.clone(),
                requested: amounts.requested_amount.0,
                outcome: mode,
                due: after_ms(now, mode.delay(terminal.control.delay())),
                aborted,
                state: "InProgress".into(),
                reply: None,
                poi: None,
                authorized: Money::ZERO,
                reversed: Money::ZERO,
            });
            let i = desk.payments.len() - 1;
            desk.by_service.insert(service_id.clone(), i);
            if mode == Mode::GoAway {
                desk.payments[i].state = "Gone".into();
                // Saved or not, nothing answers from now on.
                let _ = terminal.unsaved(&desk);
                drop(desk);
                terminal.control.go_away(None);
                connection.drop_it();
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
            if let Some(r) = terminal.unsaved(&desk) {
                return r;
            }
            i
        }
    };
    loop {
        tokio::time::sleep(Duration::from_millis(5)).await;
        let Ok(mut guard) = terminal.desk.lock() else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        let desk = &mut *guard;
        let x = &mut desk.payments[index];
        if let Some(reply) = &x.reply {
            return answer(reply);
        }
        if x.state == "Gone" || terminal.control.gone() {
            connection.drop_it();
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
        if x.aborted {
            let extra = form(&[("message", "Transaction aborted by the sale system")]);
            desk.issued += 1;
            let reply = finish(
                x,
                desk.issued,
                Response::failure("Aborted", Some(extra)),
                None,
            );
            if let Some(r) = terminal.unsaved(desk) {
                return r;
            }
            return answer(&reply);
        }
        if now_ms() < x.due {
            continue;
        }
        let requested = x.requested;
        desk.issued += 1;
        let issued = desk.issued;
        let reply = match x.outcome {
            Mode::Decline => {
                let extra = form(&[
                    ("refusalReason", "Refused"),
                    ("message", "Declined by the card issuer (emulated)"),
                ]);
                finish(x, issued, Response::failure("Refusal", Some(extra)), None)
            }
            Mode::WrongAmount => finish(
                x,
                issued,
                Response::success(),
                Some(requested + Money::from_ore(100)),
            ),
            Mode::ApproveNoReply => {
                // Approved and recorded, but the answer never reaches the till.
                finish(x, issued, Response::success(), Some(requested));
                let _ = terminal.unsaved(desk);
                connection.drop_it();
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
            Mode::Approve | Mode::Delay(_) | Mode::AnswerTwice | Mode::GoAway => {
                finish(x, issued, Response::success(), Some(requested))
            }
        };
        if let Some(r) = terminal.unsaved(desk) {
            return r;
        }
        return answer(&reply);
    }
}

/// `AbortRequest`: answered `200 OK` without a body.
fn abort(
    terminal: &Terminal,
    body: &[u8],
    header: &MessageHeader,
    request: AbortRequest,
) -> HttpResponse {
    if request.abort_reason.trim().is_empty() {
        return reject(body, Some(header), "AbortReason is required");
    }
    let Some(target) = request.message_reference.service_id else {
        return reject(body, Some(header), "MessageReference.ServiceID is required");
    };
    let Ok(mut desk) = terminal.desk.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    match desk.by_service.get(&target).copied() {
        Some(i) => {
            let x = &mut desk.payments[i];
            if x.reply.is_none() {
                x.aborted = true;
            }
        }
        None => {
            desk.pre_aborted.insert(target);
        }
    }
    if let Some(r) = terminal.unsaved(&desk) {
        return r;
    }
    StatusCode::OK.into_response()
}

/// `TransactionStatusRequest`: the recorded answer of the payment it names.
fn status(
    terminal: &Terminal,
    header: &MessageHeader,
    request: TransactionStatusRequest,
) -> HttpResponse {
    let Ok(desk) = terminal.desk.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let found = match &request.message_reference {
        Some(r) => r
            .service_id
            .as_ref()
            .and_then(|id| desk.by_service.get(id))
            .map(|&i| &desk.payments[i]),
        None => desk.payments.last(),
    };
    let not = |condition: &str, message: &str| {
        (
            Response::failure(condition, Some(form(&[("message", message)]))),
            None,
        )
    };
    let (response, repeated) = match found {
        None => not("NotFound", "No transaction with this reference"),
        Some(x) => match &x.reply {
            None => not("InProgress", "The transaction is still in progress"),
            Some(reply) => (
                Response::success(),
                Some(RepeatedMessageResponse {
                    header: reply.header.clone(),
                    body: RepeatedResponseMessageBody {
                        payment: reply.payment.clone(),
                        reversal: None,
                    },
                }),
            ),
        },
    };
    let mut reply = SaleToPoiResponse::new(response_header(header));
    reply.transaction_status = Some(TransactionStatusResponse {
        response,
        message_reference: found.map(|x| MessageReference {
            message_category: "Payment".into(),
            service_id: Some(x.service_id.clone()),
            sale_id: Some(x.header.sale_id.clone()),
            poi_id: Some(POIID.into()),
        }),
        repeated_message_response: repeated,
    });
    answer(&reply)
}

/// `ReversalRequest`: all of an approved payment, or `ReversedAmount` of it.
fn reversal(
    terminal: &Terminal,
    body: &[u8],
    header: &MessageHeader,
    fingerprint: String,
    request: ReversalRequest,
) -> HttpResponse {
    let reasons = [
        "MerchantCancel",
        "CustCancel",
        "Malfunction",
        "Unable2Compl",
    ];
    if !reasons.contains(&request.reversal_reason.as_str()) {
        return reject(body, Some(header), "ReversalReason is not a nexo reason");
    }
    let service_id = header.service_id.clone().unwrap_or_default();
    let Ok(mut desk) = terminal.desk.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Some((seen, reply)) = desk.reversals.get(&service_id) {
        return if *seen == fingerprint {
            answer(reply)
        } else {
            reject(
                body,
                Some(header),
                &format!("ServiceID {service_id} was used for another request"),
            )
        };
    }
    let issued = desk.issue();
    let original = &request
        .original_poi_transaction
        .poi_transaction_id
        .transaction_id;
    let found = desk.payments.iter_mut().find(|x| {
        x.poi
            .as_ref()
            .is_some_and(|p| &p.transaction_id == original)
    });
    let refused = |condition: &str, message: &str| ReversalResponse {
        response: Response::failure(condition, Some(form(&[("message", message)]))),
        poi_data: None,
        reversed_amount: None,
    };
    let outcome = match found {
        None => refused("NotFound", "Original transaction not found"),
        Some(x) if x.state != "Success" => {
            refused("NotAllowed", "The transaction was not approved")
        }
        Some(x) => {
            let left = x.authorized - x.reversed;
            let amount = request.reversed_amount.map_or(left, |a| a.0);
            if !amount.is_positive() || amount > left {
                refused("NotAllowed", "Nothing left to reverse of this amount")
            } else {
                x.reversed += amount;
                ReversalResponse {
                    response: Response::success(),
                    poi_data: Some(PoiData {
                        poi_transaction_id: poi_transaction(issued),
                        poi_reconciliation_id: Some("1000".into()),
                    }),
                    reversed_amount: Some(Amount(amount)),
                }
            }
        }
    };
    let mut reply = SaleToPoiResponse::new(response_header(header));
    reply.reversal = Some(outcome);
    desk.reversals
        .insert(service_id, (fingerprint, reply.clone()));
    if let Some(r) = terminal.unsaved(&desk) {
        return r;
    }
    answer(&reply)
}
