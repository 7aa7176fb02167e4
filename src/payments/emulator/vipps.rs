//! An emulated Vipps MobilePay ePayment API v1 (and its access token
//! endpoint) on loopback. It checks the required headers
//! (`Authorization: Bearer` with a token it issued,
//! `Ocp-Apim-Subscription-Key`, `Merchant-Serial-Number`, `Idempotency-Key`
//! on every POST) and the body fields of the OpenAPI document, and answers
//! errors as `application/problem+json`.
//!
//! A created payment is approved by the emulated customer after the
//! emulator's delay (`CREATED` → `AUTHORIZED`, or `ABORTED` in
//! [`Mode::Decline`]); capture, cancel and refund update the `aggregate` as
//! the API guide describes (a cancel after authorisation keeps the state
//! `AUTHORIZED` and fills `cancelledAmount`). A POST repeated with the same
//! `Idempotency-Key` and body is answered from the record.
//!
//! With a state file ([`spawn_vipps_on`]) the whole book — payments
//! with their creation time and when the customer acts, the recorded
//! answers to idempotent requests, the issued access tokens — is saved
//! after every change and read back at start. The customer's approval is
//! worked out from the stored times whenever a payment is looked at, so a
//! payment whose delay passed while no emulator ran is `AUTHORIZED` when
//! read, as if the customer approved in the app while the till was down.

use super::{
    Book, Connection, Control, EmulatorError, EmulatorHandle, Mode, Record, StateFile, after_ms,
    now_ms,
};
use crate::payments::epayment::{
    AccessToken, Aggregate, Amount, CreatePaymentRequest, CreatePaymentResponse, ExtraDetail,
    GetPaymentResponse, ModificationRequest, ModificationResponse, PaymentMethod, Problem, Profile,
    State,
};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State as Shared};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A QR payment nobody acts on expires (the app's payment request times
/// out), in milliseconds.
const EXPIRES_AFTER_MS: i64 = 300_000;
/// Its book's name in a state file.
const BOOK: &str = "vipps";
const PROBLEM_TYPE: &str = "https://developer.vippsmobilepay.com/docs/knowledge-base/errors";

/// Starts an emulated Vipps on an ephemeral loopback port.
pub fn spawn_vipps(mode: Mode) -> Result<EmulatorHandle, EmulatorError> {
    start_at(super::loopback(), mode, super::TEST_DELAY, None)
}

/// Starts an emulated Vipps on an ephemeral loopback port, keeping its book
/// in `state` (see [`StateFile`]) when given and starting from what is
/// saved there.
pub fn spawn_vipps_on(
    mode: Mode,
    state: Option<Arc<StateFile>>,
) -> Result<EmulatorHandle, EmulatorError> {
    start_at(super::loopback(), mode, super::TEST_DELAY, state)
}

/// Serves an emulated Vipps on `listen` until the process ends (`kasse sim vipps`).
pub fn serve_vipps(listen: SocketAddr, mode: Mode) -> Result<(), EmulatorError> {
    let handle = start_at(listen, mode, super::DEMO_DELAY, None)?;
    println!(
        "emulated Vipps MobilePay ePayment API on {} (mode {mode}); [payment.epayment] base_url = \"{}\"",
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
    let ledger = match &state {
        Some(file) => file.book::<Ledger>(BOOK)?.unwrap_or_default(),
        None => Ledger::default(),
    };
    let control = Control::new(mode, delay);
    let vipps = Arc::new(Vipps {
        control: Arc::clone(&control),
        base: Mutex::new(String::new()),
        ledger: Mutex::new(ledger),
        state,
    });
    let book: Arc<dyn Book> = vipps.clone();
    super::start(listen, control, book, move |addr| {
        let base = format!("http://{addr}");
        if let Ok(mut b) = vipps.base.lock() {
            *b = base.clone();
        }
        let app = Router::new()
            .route("/accesstoken/get", post(access_token))
            .route("/epayment/v1/payments", post(create))
            .route("/epayment/v1/payments/{reference}", get(read))
            .route("/epayment/v1/payments/{reference}/capture", post(capture))
            .route("/epayment/v1/payments/{reference}/cancel", post(cancel))
            .route("/epayment/v1/payments/{reference}/refund", post(refund))
            .with_state(vipps);
        (app, base)
    })
}

struct Vipps {
    control: Arc<Control>,
    base: Mutex<String>,
    ledger: Mutex<Ledger>,
    /// Where the ledger is saved, if anywhere.
    state: Option<Arc<StateFile>>,
}

/// Everything the emulated Vipps knows: what a state file keeps.
#[derive(Default, Serialize, Deserialize)]
struct Ledger {
    payments: BTreeMap<String, Payment>,
    /// Insertion order, for the records.
    order: Vec<String>,
    /// `operation:Idempotency-Key` → the request it came with and the answer.
    replies: HashMap<String, Reply>,
    tokens: HashSet<String>,
    issued: u64,
}

#[derive(Serialize, Deserialize)]
struct Reply {
    request: String,
    /// The HTTP status it was answered with.
    status: u16,
    body: String,
}

impl Reply {
    fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// One payment, in øre; times in wall-clock milliseconds since the epoch.
#[derive(Serialize, Deserialize)]
struct Payment {
    reference: String,
    amount: i64,
    state: State,
    authorized: i64,
    captured: i64,
    cancelled: i64,
    refunded: i64,
    psp_reference: String,
    redirect_url: Option<String>,
    created: i64,
    /// When the emulated customer acts.
    due: i64,
    /// The mode when it was created decides what the customer does.
    outcome: Mode,
}

impl Payment {
    /// The emulated customer acts once the delay is over. Worked out from
    /// the stored times, so it holds for a payment read back from a state
    /// file. True if the state changed.
    fn advance(&mut self, now: i64) -> bool {
        let before = self.state;
        self.act(now);
        self.state != before
    }

    fn act(&mut self, now: i64) {
        if self.state != State::Created {
            return;
        }
        if now >= self.due {
            match self.outcome {
                Mode::Decline => self.state = State::Aborted,
                Mode::GoAway => {}
                Mode::WrongAmount => {
                    self.state = State::Authorized;
                    self.authorized = self.amount + 100;
                }
                Mode::Approve | Mode::Delay(_) | Mode::ApproveNoReply | Mode::AnswerTwice => {
                    self.state = State::Authorized;
                    self.authorized = self.amount;
                }
            }
        } else if now.saturating_sub(self.created) >= EXPIRES_AFTER_MS {
            self.state = State::Expired;
        }
    }

    fn aggregate(&self) -> Aggregate {
        Aggregate {
            authorized_amount: Amount::nok(self.authorized),
            cancelled_amount: Amount::nok(self.cancelled),
            captured_amount: Amount::nok(self.captured),
            refunded_amount: Amount::nok(self.refunded),
        }
    }

    fn modification(&self) -> ModificationResponse {
        ModificationResponse {
            amount: Amount::nok(self.amount),
            state: self.state,
            aggregate: self.aggregate(),
            psp_reference: self.psp_reference.clone(),
            reference: self.reference.clone(),
        }
    }

    fn view(&self) -> GetPaymentResponse {
        GetPaymentResponse {
            aggregate: self.aggregate(),
            amount: Amount::nok(self.amount),
            state: self.state,
            payment_method: Some(PaymentMethod {
                kind: "WALLET".into(),
            }),
            profile: Some(Profile::default()),
            psp_reference: self.psp_reference.clone(),
            redirect_url: self.redirect_url.clone(),
            reference: self.reference.clone(),
        }
    }
}

impl Book for Vipps {
    fn records(&self) -> Vec<Record> {
        let now = now_ms();
        let Ok(mut ledger) = self.ledger.lock() else {
            return Vec::new();
        };
        let mut changed = false;
        for p in ledger.payments.values_mut() {
            changed |= p.advance(now);
        }
        if changed {
            // Best effort: the customer's action follows from the stored
            // times, so a book saved before it is read back the same.
            let _ = self.save(&ledger);
        }
        ledger
            .order
            .iter()
            .filter_map(|reference| {
                let p = ledger.payments.get(reference)?;
                Some(Record {
                    reference: p.reference.clone(),
                    requested: Amount::nok(p.amount).money(),
                    state: p.state.as_str().to_string(),
                    authorized: Amount::nok(p.authorized).money(),
                    captured: Amount::nok(p.captured).money(),
                    cancelled: Amount::nok(p.cancelled).money(),
                    refunded: Amount::nok(p.refunded).money(),
                    transaction_id: p.psp_reference.clone(),
                })
            })
            .collect()
    }
}

fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_string(body) {
        Ok(text) => (status, [(header::CONTENT_TYPE, "application/json")], text).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// An error answer: a `Problem` as `application/problem+json`.
fn problem(status: StatusCode, detail: impl Into<String>, field: Option<&str>) -> Response {
    let detail = detail.into();
    let body = Problem {
        kind: PROBLEM_TYPE.into(),
        title: status.canonical_reason().unwrap_or("Error").into(),
        detail: Some(detail.clone()),
        status: status.as_u16(),
        instance: None,
        trace_id: uuid::Uuid::now_v7().simple().to_string(),
        extra_details: field
            .map(|name| {
                vec![ExtraDetail {
                    name: name.into(),
                    reason: detail,
                }]
            })
            .unwrap_or_default(),
    };
    match serde_json::to_string(&body) {
        Ok(text) => (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            text,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// A refused request: answered as a `Problem` about `field`.
struct Refusal {
    status: StatusCode,
    detail: &'static str,
    field: Option<&'static str>,
}

impl Refusal {
    fn new(status: StatusCode, detail: &'static str, field: Option<&'static str>) -> Refusal {
        Refusal {
            status,
            detail,
            field,
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        problem(self.status, self.detail, self.field)
    }
}

fn text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn valid_msn(msn: &str) -> bool {
    (4..=6).contains(&msn.len()) && msn.bytes().all(|b| b.is_ascii_digit())
}

fn valid_reference(reference: &str) -> bool {
    (8..=50).contains(&reference.len())
        && reference
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// An emulator that went away answers nothing at all.
fn went_away(vipps: &Vipps, connection: &Connection) -> Option<Response> {
    vipps.control.gone().then(|| {
        connection.drop_it();
        StatusCode::SERVICE_UNAVAILABLE.into_response()
    })
}

impl Vipps {
    /// Writes the ledger to the state file, if there is one.
    fn save(&self, ledger: &Ledger) -> std::io::Result<()> {
        match &self.state {
            Some(file) => file.save(BOOK, ledger),
            None => Ok(()),
        }
    }

    /// [`Vipps::save`] for a change a client waits on: a book that cannot
    /// be saved is answered 500 (the answer returned), as by a provider that
    /// could not record it.
    fn unsaved(&self, ledger: &Ledger) -> Option<Response> {
        self.save(ledger).err().map(|e| {
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the emulator could not save its book: {e}"),
                None,
            )
        })
    }

    /// The headers every ePayment call needs; the `Idempotency-Key` when
    /// `idempotent`.
    fn admit(&self, headers: &HeaderMap, idempotent: bool) -> Result<Option<String>, Refusal> {
        let token = text(headers, "Authorization").and_then(|a| a.strip_prefix("Bearer "));
        let known = token.is_some_and(|t| {
            self.ledger
                .lock()
                .is_ok_and(|l| l.tokens.contains(t.trim()))
        });
        if !known {
            return Err(Refusal::new(
                StatusCode::UNAUTHORIZED,
                "missing or unknown access token (Authorization: Bearer)",
                Some("Authorization"),
            ));
        }
        if text(headers, "Ocp-Apim-Subscription-Key").is_none() {
            return Err(Refusal::new(
                StatusCode::UNAUTHORIZED,
                "missing Ocp-Apim-Subscription-Key",
                Some("Ocp-Apim-Subscription-Key"),
            ));
        }
        if !text(headers, "Merchant-Serial-Number").is_some_and(valid_msn) {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                "Merchant-Serial-Number must be 4 to 6 digits",
                Some("Merchant-Serial-Number"),
            ));
        }
        if !idempotent {
            return Ok(None);
        }
        match text(headers, "Idempotency-Key") {
            Some(key) if key.len() <= 50 => Ok(Some(key.to_string())),
            _ => Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                "Idempotency-Key is required (at most 50 characters)",
                Some("Idempotency-Key"),
            )),
        }
    }

    /// The recorded answer to a repeat, or a conflict if the key came with
    /// another request.
    fn replay(&self, scope: &str, request: &str) -> Option<Response> {
        let ledger = self.ledger.lock().ok()?;
        let reply = ledger.replies.get(scope)?;
        Some(if reply.request == request {
            (
                reply.status(),
                [(header::CONTENT_TYPE, "application/json")],
                reply.body.clone(),
            )
                .into_response()
        } else {
            problem(
                StatusCode::CONFLICT,
                "the Idempotency-Key was used for another request",
                Some("Idempotency-Key"),
            )
        })
    }

    /// Records the answer to an idempotent request, saves the ledger and
    /// answers.
    fn remember(
        &self,
        ledger: &mut Ledger,
        scope: String,
        request: String,
        status: StatusCode,
        body: &impl Serialize,
    ) -> Response {
        let text = serde_json::to_string(body).unwrap_or_default();
        ledger.replies.insert(
            scope,
            Reply {
                request,
                status: status.as_u16(),
                body: text.clone(),
            },
        );
        if let Some(r) = self.unsaved(ledger) {
            return r;
        }
        (status, [(header::CONTENT_TYPE, "application/json")], text).into_response()
    }
}

/// `POST /accesstoken/get`: headers `client_id`, `client_secret`,
/// `Ocp-Apim-Subscription-Key`, `Merchant-Serial-Number`; no body.
async fn access_token(
    Shared(vipps): Shared<Arc<Vipps>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = went_away(&vipps, &connection) {
        return r;
    }
    for name in ["client_id", "client_secret", "Ocp-Apim-Subscription-Key"] {
        if text(&headers, name).is_none() {
            return problem(
                StatusCode::UNAUTHORIZED,
                format!("missing {name}"),
                Some(name),
            );
        }
    }
    if !text(&headers, "Merchant-Serial-Number").is_some_and(valid_msn) {
        return problem(
            StatusCode::BAD_REQUEST,
            "Merchant-Serial-Number must be 4 to 6 digits",
            Some("Merchant-Serial-Number"),
        );
    }
    let Ok(mut ledger) = vipps.ledger.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    ledger.issued += 1;
    let token = format!(
        "emulated.{}.{}",
        ledger.issued,
        uuid::Uuid::now_v7().simple()
    );
    ledger.tokens.insert(token.clone());
    if let Some(r) = vipps.unsaved(&ledger) {
        return r;
    }
    drop(ledger);
    let now = chrono::Utc::now().timestamp();
    json(
        StatusCode::OK,
        &AccessToken {
            token_type: "Bearer".into(),
            expires_in: 3600,
            ext_expires_in: Some("0".into()),
            expires_on: Some((now + 3600).to_string()),
            not_before: Some(now.to_string()),
            resource: Some("00000002-0000-0000-c000-000000000000".into()),
            access_token: token,
        },
    )
}

/// What is wrong with a `CreatePaymentRequest`, as (field, reason).
fn invalid(body: &CreatePaymentRequest) -> Option<(&'static str, String)> {
    if !["NOK", "DKK", "EUR"].contains(&body.amount.currency.as_str()) {
        return Some(("amount.currency", "NOK, DKK or EUR".into()));
    }
    if !(0..=65_000_000).contains(&body.amount.value) {
        return Some(("amount.value", "minor units, 0 to 65000000".into()));
    }
    if !valid_reference(&body.reference) {
        return Some(("reference", "8 to 50 of a-z, A-Z, 0-9 and -".into()));
    }
    let flow = body.user_flow.as_str();
    if !["PUSH_MESSAGE", "NATIVE_REDIRECT", "WEB_REDIRECT", "QR"].contains(&flow) {
        return Some(("userFlow", format!("`{flow}` is not a user flow")));
    }
    match body.payment_method.kind.as_str() {
        "WALLET" => {}
        "CARD" if flow == "WEB_REDIRECT" => {}
        "CARD" => {
            return Some((
                "paymentMethod.type",
                "CARD needs userFlow WEB_REDIRECT".into(),
            ));
        }
        other => return Some(("paymentMethod.type", format!("`{other}`: WALLET or CARD"))),
    }
    if matches!(flow, "WEB_REDIRECT" | "NATIVE_REDIRECT") && body.return_url.is_none() {
        return Some(("returnUrl", format!("required with userFlow {flow}")));
    }
    if flow == "PUSH_MESSAGE" && body.customer.is_none() {
        return Some(("customer", "required with userFlow PUSH_MESSAGE".into()));
    }
    if let Some(ci) = &body.customer_interaction
        && !["CUSTOMER_PRESENT", "CUSTOMER_NOT_PRESENT"].contains(&ci.as_str())
    {
        return Some(("customerInteraction", format!("`{ci}`")));
    }
    if let Some(d) = &body.payment_description
        && !(3..=100).contains(&d.chars().count())
    {
        return Some(("paymentDescription", "3 to 100 characters".into()));
    }
    if let Some(q) = &body.qr_format {
        if flow != "QR" {
            return Some(("qrFormat", "only with userFlow QR".into()));
        }
        if !["TEXT/TARGETURL", "IMAGE/SVG+XML", "IMAGE/PNG"].contains(&q.format.as_str()) {
            return Some(("qrFormat.format", format!("`{}`", q.format)));
        }
    }
    None
}

/// `POST /epayment/v1/payments`.
async fn create(
    Shared(vipps): Shared<Arc<Vipps>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = went_away(&vipps, &connection) {
        return r;
    }
    let key = match vipps.admit(&headers, true) {
        Ok(key) => key.unwrap_or_default(),
        Err(r) => return r.into_response(),
    };
    let request: CreatePaymentRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return problem(StatusCode::BAD_REQUEST, e.to_string(), None),
    };
    if let Some((field, reason)) = invalid(&request) {
        return problem(StatusCode::BAD_REQUEST, reason, Some(field));
    }
    let scope = format!("create:{key}");
    let fingerprint = serde_json::to_string(&request).unwrap_or_default();
    if let Some(r) = vipps.replay(&scope, &fingerprint) {
        return r;
    }
    let mode = vipps.control.mode();
    let base = vipps.base.lock().map(|b| b.clone()).unwrap_or_default();
    let Ok(mut ledger) = vipps.ledger.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if ledger.payments.contains_key(&request.reference) {
        return problem(
            StatusCode::CONFLICT,
            format!("reference {} is already used", request.reference),
            Some("reference"),
        );
    }
    let psp_reference = uuid::Uuid::now_v7().to_string();
    let redirect_url = match (request.user_flow.as_str(), &request.qr_format) {
        ("PUSH_MESSAGE", _) => None,
        ("QR", Some(q)) if q.format == "TEXT/TARGETURL" => {
            Some(format!("{base}/landing/{}", request.reference))
        }
        ("QR", _) => Some(format!("{base}/qr-image/{}.svg", request.reference)),
        _ => Some(format!("{base}/landing?token={psp_reference}")),
    };
    let now = now_ms();
    ledger.order.push(request.reference.clone());
    ledger.payments.insert(
        request.reference.clone(),
        Payment {
            reference: request.reference.clone(),
            amount: request.amount.value,
            state: State::Created,
            authorized: 0,
            captured: 0,
            cancelled: 0,
            refunded: 0,
            psp_reference,
            redirect_url: redirect_url.clone(),
            created: now,
            due: after_ms(now, mode.delay(vipps.control.delay())),
            outcome: mode,
        },
    );
    let answer = CreatePaymentResponse {
        redirect_url,
        reference: request.reference.clone(),
    };
    let response = vipps.remember(
        &mut ledger,
        scope,
        fingerprint,
        StatusCode::CREATED,
        &answer,
    );
    drop(ledger);
    if mode == Mode::GoAway {
        // The payment is created; from now on nothing answers.
        vipps.control.go_away(Some(&connection));
    }
    response
}

/// `GET /epayment/v1/payments/{reference}`.
async fn read(
    Shared(vipps): Shared<Arc<Vipps>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    headers: HeaderMap,
    Path(reference): Path<String>,
) -> Response {
    if let Some(r) = went_away(&vipps, &connection) {
        return r;
    }
    if let Err(r) = vipps.admit(&headers, false) {
        return r.into_response();
    }
    let Ok(mut ledger) = vipps.ledger.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Some(payment) = ledger.payments.get_mut(&reference) else {
        return problem(
            StatusCode::NOT_FOUND,
            format!("no payment {reference}"),
            Some("reference"),
        );
    };
    let changed = payment.advance(now_ms());
    let view = payment.view();
    if changed {
        // Best effort, as in `records`.
        let _ = vipps.save(&ledger);
    }
    drop(ledger);
    if vipps.control.mode() == Mode::ApproveNoReply {
        return problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "emulated outage: the payment cannot be read",
            None,
        );
    }
    json(StatusCode::OK, &view)
}

/// Which modification a POST is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Modification {
    Capture,
    Cancel,
    Refund,
}

async fn capture(
    vipps: Shared<Arc<Vipps>>,
    connection: ConnectInfo<Connection>,
    headers: HeaderMap,
    reference: Path<String>,
    body: Bytes,
) -> Response {
    modify(
        Modification::Capture,
        vipps,
        connection,
        headers,
        reference,
        body,
    )
}

async fn cancel(
    vipps: Shared<Arc<Vipps>>,
    connection: ConnectInfo<Connection>,
    headers: HeaderMap,
    reference: Path<String>,
    body: Bytes,
) -> Response {
    modify(
        Modification::Cancel,
        vipps,
        connection,
        headers,
        reference,
        body,
    )
}

async fn refund(
    vipps: Shared<Arc<Vipps>>,
    connection: ConnectInfo<Connection>,
    headers: HeaderMap,
    reference: Path<String>,
    body: Bytes,
) -> Response {
    modify(
        Modification::Refund,
        vipps,
        connection,
        headers,
        reference,
        body,
    )
}

/// `POST …/capture`, `…/cancel`, `…/refund`.
fn modify(
    what: Modification,
    Shared(vipps): Shared<Arc<Vipps>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    body: Bytes,
) -> Response {
    if let Some(r) = went_away(&vipps, &connection) {
        return r;
    }
    let key = match vipps.admit(&headers, true) {
        Ok(key) => key.unwrap_or_default(),
        Err(r) => return r.into_response(),
    };
    let value = if what == Modification::Cancel {
        None
    } else {
        match serde_json::from_slice::<ModificationRequest>(&body) {
            Ok(m) if m.modification_amount.value > 0 => Some(m.modification_amount),
            Ok(_) => {
                return problem(
                    StatusCode::BAD_REQUEST,
                    "modificationAmount.value must be positive",
                    Some("modificationAmount.value"),
                );
            }
            Err(e) => return problem(StatusCode::BAD_REQUEST, e.to_string(), None),
        }
    };
    let operation = match what {
        Modification::Capture => "capture",
        Modification::Cancel => "cancel",
        Modification::Refund => "refund",
    };
    let scope = format!("{operation}:{key}");
    let fingerprint = format!("{reference}:{}", String::from_utf8_lossy(&body));
    if let Some(r) = vipps.replay(&scope, &fingerprint) {
        return r;
    }
    let Ok(mut ledger) = vipps.ledger.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Some(p) = ledger.payments.get_mut(&reference) else {
        return problem(
            StatusCode::NOT_FOUND,
            format!("no payment {reference}"),
            Some("reference"),
        );
    };
    p.advance(now_ms());
    let refused = |detail: &'static str| -> Result<(), Refusal> {
        Err(Refusal::new(StatusCode::BAD_REQUEST, detail, None))
    };
    let done: Result<(), Refusal> = match (what, value) {
        (Modification::Cancel, _) => match p.state {
            State::Created => {
                p.state = State::Terminated;
                p.cancelled = p.amount;
                Ok(())
            }
            State::Authorized if p.captured + p.cancelled >= p.authorized => {
                refused("nothing left to cancel: the payment is captured or cancelled")
            }
            State::Authorized => {
                p.cancelled = p.authorized - p.captured;
                Ok(())
            }
            State::Terminated => Ok(()),
            State::Aborted | State::Expired => refused("the payment is not active"),
        },
        (_, Some(amount)) if amount.currency != "NOK" => {
            refused("the currency must be the payment's")
        }
        (Modification::Capture, Some(amount)) => {
            if p.state != State::Authorized {
                refused("the payment is not authorized")
            } else if amount.value > p.authorized - p.captured - p.cancelled {
                refused("the amount is more than is left to capture")
            } else {
                p.captured += amount.value;
                Ok(())
            }
        }
        (Modification::Refund, Some(amount)) => {
            if amount.value > p.captured - p.refunded {
                refused("the amount is more than is left to refund")
            } else {
                p.refunded += amount.value;
                Ok(())
            }
        }
        (_, None) => refused("modificationAmount is required"),
    };
    if let Err(r) = done {
        return r.into_response();
    }
    let answer = p.modification();
    vipps.remember(&mut ledger, scope, fingerprint, StatusCode::OK, &answer)
}
