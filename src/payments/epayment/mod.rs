//! Vipps MobilePay ePayment API v1 as a payment provider (spec/payments.md,
//! "Providers"). The wire format is Vipps MobilePay's own, from their OpenAPI
//! document (github vippsas/vipps-epayment-api, `docs/epayment.v1.yml`).
//!
//! One payment at the kiosk:
//! 1. `POST {base_url}/accesstoken/get` for an access token, reused until it
//!    expires (`expires_in`);
//! 2. `POST /epayment/v1/payments` with `userFlow` `QR` and
//!    `customerInteraction` `CUSTOMER_PRESENT`; the `redirectUrl` it returns
//!    is shown as a QR code ([`PaymentUpdate::ShowQr`]);
//! 3. `GET /epayment/v1/payments/{reference}` every poll interval until the
//!    `state` is `AUTHORIZED`, `ABORTED`, `EXPIRED` or `TERMINATED`;
//! 4. `AUTHORIZED` → `POST …/{reference}/capture`, and only then approved.
//!
//! Only a capture takes the customer's money, and this client captures only
//! what it is about to report approved: a cancel, a timeout or a lost answer
//! never leaves money captured. An authorisation for another amount than
//! asked is reported approved *uncaptured*, with the authorised amount, so
//! the till's mismatch path reverses it (a cancel releases it).
//!
//! Every create, capture, cancel and refund carries an `Idempotency-Key`
//! derived from the reference, so a retry after a lost answer repeats the
//! same operation instead of making a second one. Everything blocks
//! (`reqwest::blocking`) and runs on a thread of its own, never inside an
//! async runtime.

use super::{
    Decline, Failure, PaymentUpdate, Provider, ProviderError, ProviderStatus, Running, Step,
};
use crate::domain::Money;
use reqwest::Method;
use reqwest::blocking::Client;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const NAME: &str = "epayment";
/// `Vipps-System-Name`: the till, for Vipps MobilePay's support.
pub const SYSTEM_NAME: &str = "kasse";
/// `Vipps-System-Plugin-Name`: this client.
pub const PLUGIN_NAME: &str = "kasse-epayment";
const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The docs ask integrators not to poll a payment faster than every 2 s.
pub const DEFAULT_POLL_MS: u64 = 2000;
/// The longest a single HTTP request may take, however much time is left.
const REQUEST_LIMIT: Duration = Duration::from_secs(10);
/// How long a wrap-up (capture after approval, cancel after a timeout) may
/// still take once the payment's own time is up.
const GRACE: Duration = Duration::from_secs(5);

/// `[payment.epayment]`: the merchant's API keys and sales unit.
#[derive(Clone, PartialEq, Eq)]
pub struct EpaymentConfig {
    /// `https://api.vipps.no` (production) or `https://apitest.vipps.no` (test).
    pub base_url: String,
    pub client_id: String,
    /// Read from `client_secret_file`.
    pub client_secret: String,
    /// The `Ocp-Apim-Subscription-Key`, read from `subscription_key_file`.
    pub subscription_key: String,
    /// The sales unit's MSN (4–6 digits).
    pub merchant_serial_number: String,
    /// How often a running payment's state is asked.
    pub poll_ms: u64,
    /// How long the customer has to approve before the payment is cancelled.
    pub timeout_ms: u64,
}

/// The secrets stay out of logs.
impl fmt::Debug for EpaymentConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EpaymentConfig")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"(hidden)")
            .field("subscription_key", &"(hidden)")
            .field("merchant_serial_number", &self.merchant_serial_number)
            .field("poll_ms", &self.poll_ms)
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

mod messages;
pub use messages::*;

// ---------------------------------------------------------------------------
// The client.
// ---------------------------------------------------------------------------

/// The Vipps MobilePay ePayment provider. Cheap to share: the access token is
/// kept for every payment and query made through it.
pub struct Epayment {
    config: Arc<EpaymentConfig>,
    token: Arc<Mutex<Option<Token>>>,
}

#[derive(Clone)]
struct Token {
    bearer: String,
    until: Instant,
}

impl Epayment {
    pub fn new(config: EpaymentConfig) -> Epayment {
        Epayment {
            config: Arc::new(config),
            token: Arc::new(Mutex::new(None)),
        }
    }

    /// Runs `work` with a fresh HTTP client on a thread of its own: the
    /// blocking client must never be created or dropped in async context,
    /// whoever calls.
    fn blocking<T: Send>(
        &self,
        work: impl FnOnce(&Api) -> Result<T, Failure> + Send,
    ) -> Result<T, ProviderError> {
        let config = Arc::clone(&self.config);
        let token = Arc::clone(&self.token);
        thread::scope(|s| {
            s.spawn(move || Api::new(config, token).and_then(|api| work(&api)))
                .join()
                .unwrap_or_else(|_| Err(Failure::Garbled("the Vipps worker thread failed".into())))
        })
        .map_err(|f| f.into_error(NAME))
    }

    fn query_deadline(&self) -> Instant {
        Instant::now() + Duration::from_millis(self.config.timeout_ms).clamp(GRACE, REQUEST_LIMIT)
    }
}

/// Tries `call` again while it fails for want of an answer, until `until`
/// (or until `stop` is set).
fn retrying<T>(
    until: Instant,
    stop: Option<&AtomicBool>,
    pause: Duration,
    mut call: impl FnMut() -> Result<T, Failure>,
) -> Result<T, Failure> {
    loop {
        match call() {
            Err(Failure::Unreachable(detail)) => {
                let stopped = stop.is_some_and(|s| s.load(Ordering::SeqCst));
                if stopped || Instant::now() + pause >= until {
                    return Err(Failure::Unreachable(detail));
                }
                thread::sleep(pause);
            }
            other => return other,
        }
    }
}

/// An idempotency key for `operation` on `reference` (at most 50 characters).
fn idempotency_key(reference: &str, operation: &str) -> String {
    let room = 50usize.saturating_sub(operation.len() + 1);
    let head: String = reference.chars().take(room).collect();
    format!("{head}-{operation}")
}

/// One thread's connection to the API (a blocking client lives on the thread
/// that made it).
struct Api {
    http: Client,
    config: Arc<EpaymentConfig>,
    token: Arc<Mutex<Option<Token>>>,
}

impl Api {
    fn new(config: Arc<EpaymentConfig>, token: Arc<Mutex<Option<Token>>>) -> Result<Api, Failure> {
        let http = Client::builder()
            .user_agent(format!("{SYSTEM_NAME}/{VERSION}"))
            .build()
            .map_err(|e| Failure::Garbled(format!("cannot make an HTTP client: {e}")))?;
        Ok(Api {
            http,
            config,
            token,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.base_url.trim_end_matches('/'))
    }

    fn time_left(until: Instant) -> Result<Duration, Failure> {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(Failure::Unreachable("out of time waiting for Vipps".into()))
        } else {
            Ok(left.min(REQUEST_LIMIT))
        }
    }

    fn forget_token(&self) {
        if let Ok(mut t) = self.token.lock() {
            *t = None;
        }
    }

    /// The access token: the cached one while it is valid, else a new one
    /// from `POST /accesstoken/get` (a POST without a body, as documented).
    fn bearer(&self, until: Instant) -> Result<String, Failure> {
        let now = Instant::now();
        if let Ok(t) = self.token.lock()
            && let Some(t) = t.as_ref()
            && t.until > now
        {
            return Ok(t.bearer.clone());
        }
        let c = &self.config;
        let response = self
            .http
            .post(self.url("/accesstoken/get"))
            .timeout(Self::time_left(until)?)
            .header("client_id", &c.client_id)
            .header("client_secret", &c.client_secret)
            .header("Ocp-Apim-Subscription-Key", &c.subscription_key)
            .header("Merchant-Serial-Number", &c.merchant_serial_number)
            .header("Vipps-System-Name", SYSTEM_NAME)
            .header("Vipps-System-Version", VERSION)
            .header("Vipps-System-Plugin-Name", PLUGIN_NAME)
            .header("Vipps-System-Plugin-Version", VERSION)
            .header(reqwest::header::CONTENT_LENGTH, "0")
            .send()
            .map_err(|e| Failure::Unreachable(format!("access token: {e}")))?;
        let status = response.status();
        let text = response
            .text()
            .map_err(|e| Failure::Unreachable(format!("access token: {e}")))?;
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(Failure::Unreachable(format!("access token: HTTP {status}")));
        }
        if !status.is_success() {
            return Err(Failure::Refused(format!(
                "Vipps refused the API keys (HTTP {status}): {}",
                problem_text(&text)
            )));
        }
        let token: AccessToken = serde_json::from_str(&text)
            .map_err(|e| Failure::Garbled(format!("access token answer: {e}")))?;
        // Renew a minute early, so a token never expires between two calls.
        let life = Duration::from_secs(token.expires_in);
        let margin = Duration::from_secs(60).min(life / 2);
        let fresh = Token {
            bearer: token.access_token,
            until: now + life - margin,
        };
        if let Ok(mut t) = self.token.lock() {
            *t = Some(fresh.clone());
        }
        Ok(fresh.bearer)
    }

    /// One API call; `Ok(None)` is 404 (no such payment).
    fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        idempotency_key: Option<&str>,
        body: Option<String>,
        until: Instant,
    ) -> Result<Option<T>, Failure> {
        let bearer = self.bearer(until)?;
        let c = &self.config;
        let mut request = self
            .http
            .request(method, self.url(path))
            .timeout(Self::time_left(until)?)
            .bearer_auth(bearer)
            .header("Ocp-Apim-Subscription-Key", &c.subscription_key)
            .header("Merchant-Serial-Number", &c.merchant_serial_number)
            .header("Vipps-System-Name", SYSTEM_NAME)
            .header("Vipps-System-Version", VERSION)
            .header("Vipps-System-Plugin-Name", PLUGIN_NAME)
            .header("Vipps-System-Plugin-Version", VERSION);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let response = request
            .send()
            .map_err(|e| Failure::Unreachable(format!("{path}: {e}")))?;
        let status = response.status();
        let text = response
            .text()
            .map_err(|e| Failure::Unreachable(format!("{path}: {e}")))?;
        match status.as_u16() {
            200..=299 => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| Failure::Garbled(format!("{path}: unexpected answer: {e}"))),
            404 => Ok(None),
            401 => {
                // The token expired or was revoked early: fetch a new one next time.
                self.forget_token();
                Err(Failure::Unreachable(format!(
                    "{path}: the access token was refused"
                )))
            }
            408 | 429 | 500..=599 => Err(Failure::Unreachable(format!(
                "{path}: HTTP {status}: {}",
                problem_text(&text)
            ))),
            _ => Err(Failure::Refused(format!(
                "Vipps refused {path} (HTTP {status}): {}",
                problem_text(&text)
            ))),
        }
    }

    fn create(
        &self,
        body: &CreatePaymentRequest,
        until: Instant,
    ) -> Result<CreatePaymentResponse, Failure> {
        let text = serde_json::to_string(body).map_err(|e| Failure::Garbled(e.to_string()))?;
        self.call(
            Method::POST,
            "/epayment/v1/payments",
            Some(&body.reference),
            Some(text),
            until,
        )?
        .ok_or_else(|| Failure::Refused("Vipps answered 404 to a new payment".into()))
    }

    fn get(&self, reference: &str, until: Instant) -> Result<Option<GetPaymentResponse>, Failure> {
        self.call(
            Method::GET,
            &format!("/epayment/v1/payments/{reference}"),
            None,
            None,
            until,
        )
    }

    fn modify(
        &self,
        reference: &str,
        operation: &str,
        key: &str,
        amount: Option<i64>,
        until: Instant,
    ) -> Result<ModificationResponse, Failure> {
        let body = match amount {
            Some(ore) => Some(
                serde_json::to_string(&ModificationRequest {
                    modification_amount: Amount::nok(ore),
                })
                .map_err(|e| Failure::Garbled(e.to_string()))?,
            ),
            None => None,
        };
        self.call(
            Method::POST,
            &format!("/epayment/v1/payments/{reference}/{operation}"),
            Some(key),
            body,
            until,
        )?
        .ok_or_else(|| Failure::Refused(format!("Vipps does not know payment {reference}")))
    }

    fn capture(
        &self,
        reference: &str,
        ore: i64,
        until: Instant,
    ) -> Result<ModificationResponse, Failure> {
        let key = idempotency_key(reference, "capture");
        self.modify(reference, "capture", &key, Some(ore), until)
    }

    fn cancel(&self, reference: &str, until: Instant) -> Result<ModificationResponse, Failure> {
        let key = idempotency_key(reference, "cancel");
        self.modify(reference, "cancel", &key, None, until)
    }

    fn refund(
        &self,
        reference: &str,
        key: &str,
        ore: i64,
        until: Instant,
    ) -> Result<ModificationResponse, Failure> {
        self.modify(reference, "refund", key, Some(ore), until)
    }
}

/// The human part of a `Problem` answer (or the start of whatever came).
fn problem_text(text: &str) -> String {
    match serde_json::from_str::<Problem>(text) {
        Ok(p) => match p.detail {
            Some(d) if !d.is_empty() => format!("{}: {d}", p.title),
            _ => p.title,
        },
        Err(_) => text.chars().take(200).collect(),
    }
}

fn transaction_id(psp_reference: &str, reference: &str) -> String {
    if psp_reference.is_empty() {
        reference.to_string()
    } else {
        psp_reference.to_string()
    }
}

/// Sleeps until `until` in short naps, waking early when `stop` is set.
fn nap(until: Instant, stop: &AtomicBool) {
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() || stop.load(Ordering::SeqCst) {
            return;
        }
        thread::sleep(left.min(Duration::from_millis(10)));
    }
}

/// One running payment, on its worker thread.
struct Payment<'a> {
    api: Api,
    config: &'a EpaymentConfig,
    reference: String,
    ore: i64,
    tx: &'a Sender<PaymentUpdate>,
    stop: &'a AtomicBool,
    deadline: Instant,
    grace: Duration,
    pause: Duration,
}

impl Payment<'_> {
    fn say(&self, update: PaymentUpdate) {
        let _ = self.tx.send(update);
    }

    fn run(&self, description: &str) -> PaymentUpdate {
        let body = CreatePaymentRequest::at_the_till(self.ore, &self.reference, description);
        let created = retrying(self.deadline, Some(self.stop), self.pause, || {
            self.api.create(&body, self.deadline)
        });
        match created {
            Ok(c) => match c.redirect_url {
                Some(url) => self.say(PaymentUpdate::ShowQr(url)),
                None => {
                    return self.end_with_cancel(PaymentUpdate::Declined {
                        why: Decline::Fault,
                        reason: "Vipps sent no QR code for the payment".into(),
                    });
                }
            },
            Err(Failure::Unreachable(_)) => return self.give_up(),
            Err(e) => {
                return PaymentUpdate::Declined {
                    why: Decline::Fault,
                    reason: e.to_string(),
                };
            }
        }
        self.say(PaymentUpdate::Progress(Step::WaitingForCustomer));
        let poll = Duration::from_millis(self.config.poll_ms.max(1));
        loop {
            nap((Instant::now() + poll).min(self.deadline), self.stop);
            if self.stop.load(Ordering::SeqCst) || Instant::now() >= self.deadline {
                return self.give_up();
            }
            match self.api.get(&self.reference, self.deadline) {
                Ok(Some(p)) => match p.state {
                    State::Created => {}
                    State::Authorized => return self.capture(&p),
                    State::Aborted => {
                        return PaymentUpdate::Declined {
                            why: Decline::CustomerDeclined,
                            reason: "the customer declined the payment in the app".into(),
                        };
                    }
                    State::Expired => {
                        return PaymentUpdate::Declined {
                            why: Decline::Expired,
                            reason: "the payment request expired".into(),
                        };
                    }
                    State::Terminated => return PaymentUpdate::Cancelled,
                },
                // Not visible yet, or no answer: ask again until the time is up.
                Ok(None) | Err(Failure::Unreachable(_)) => {}
                Err(e) => {
                    return self.end_with_cancel(PaymentUpdate::Declined {
                        why: Decline::Fault,
                        reason: e.to_string(),
                    });
                }
            }
        }
    }

    /// Cancelled by the till or out of time: cancel at Vipps, then say which.
    fn give_up(&self) -> PaymentUpdate {
        let last = if self.stop.load(Ordering::SeqCst) {
            PaymentUpdate::Cancelled
        } else {
            PaymentUpdate::TimedOut
        };
        self.end_with_cancel(last)
    }

    /// Cancels the payment (best effort: nothing was captured, so a failed
    /// cancel leaves at most a reservation that expires) and ends with `last`.
    fn end_with_cancel(&self, last: PaymentUpdate) -> PaymentUpdate {
        let until = Instant::now() + self.grace;
        let _ = retrying(until, None, self.pause, || {
            self.api.cancel(&self.reference, until)
        });
        last
    }

    /// `AUTHORIZED`: capture exactly what was asked, then report what Vipps
    /// says was captured.
    fn capture(&self, p: &GetPaymentResponse) -> PaymentUpdate {
        self.say(PaymentUpdate::Progress(Step::Capturing));
        let authorized = p.aggregate.authorized_amount.value;
        if authorized != self.ore {
            // Never capture a wrong amount: the till reverses this one.
            return PaymentUpdate::Approved {
                transaction_id: transaction_id(&p.psp_reference, &self.reference),
                amount: Money::from_ore(authorized),
            };
        }
        let until = self.deadline.max(Instant::now()) + self.grace;
        match retrying(until, None, self.pause, || {
            self.api.capture(&self.reference, authorized, until)
        }) {
            Ok(m) => PaymentUpdate::Approved {
                transaction_id: transaction_id(&m.psp_reference, &self.reference),
                amount: m.aggregate.captured_amount.money(),
            },
            Err(Failure::Unreachable(_)) => self.end_with_cancel(PaymentUpdate::TimedOut),
            Err(e) => self.end_with_cancel(PaymentUpdate::Declined {
                why: Decline::Fault,
                reason: format!("the capture failed: {e}"),
            }),
        }
    }
}

impl Provider for Epayment {
    fn name(&self) -> &'static str {
        NAME
    }

    fn start(&self, amount: Money, reference: &str, description: &str) -> Running {
        let (tx, rx) = mpsc::channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&cancel);
        let config = Arc::clone(&self.config);
        let token = Arc::clone(&self.token);
        let reference = reference.to_string();
        let description = description.to_string();
        thread::spawn(move || {
            let _ = tx.send(PaymentUpdate::Progress(Step::Connecting));
            let last = match (Api::new(Arc::clone(&config), token), ore(amount)) {
                (Err(e), _) => PaymentUpdate::Declined {
                    why: Decline::Fault,
                    reason: e.to_string(),
                },
                (Ok(_), None) | (Ok(_), Some(..=0)) => PaymentUpdate::Declined {
                    why: Decline::Amount,
                    reason: format!("{amount} NOK cannot be paid with Vipps"),
                },
                (Ok(api), Some(ore)) => {
                    let timeout = Duration::from_millis(config.timeout_ms);
                    let payment = Payment {
                        api,
                        config: &config,
                        reference,
                        ore,
                        tx: &tx,
                        stop: &stop,
                        deadline: Instant::now() + timeout,
                        grace: GRACE.min(timeout),
                        pause: Duration::from_millis(config.poll_ms.clamp(1, 250)),
                    };
                    payment.run(&description)
                }
            };
            let _ = tx.send(last);
        });
        Running {
            updates: rx,
            cancel,
        }
    }

    /// `GET` the payment. `AUTHORIZED` and not yet captured means the till
    /// crashed between the approval and the capture: capture it now, so
    /// "approved" always means the money is taken.
    fn status(&self, reference: &str) -> Result<ProviderStatus, ProviderError> {
        let until = self.query_deadline();
        let pause = Duration::from_millis(self.config.poll_ms.clamp(1, 250));
        self.blocking(|api| {
            let Some(p) = retrying(until, None, pause, || api.get(reference, until))? else {
                return Ok(ProviderStatus::Unknown);
            };
            let a = &p.aggregate;
            Ok(match p.state {
                State::Created => ProviderStatus::Pending,
                State::Aborted | State::Expired | State::Terminated => ProviderStatus::Failed,
                State::Authorized if a.captured_amount.value > 0 => {
                    if a.refunded_amount.value >= a.captured_amount.value {
                        ProviderStatus::Failed
                    } else {
                        ProviderStatus::Approved {
                            transaction_id: transaction_id(&p.psp_reference, reference),
                            amount: a.captured_amount.money(),
                        }
                    }
                }
                State::Authorized if a.cancelled_amount.value > 0 => ProviderStatus::Failed,
                State::Authorized => {
                    let ore = a.authorized_amount.value;
                    let m = retrying(until, None, pause, || api.capture(reference, ore, until))?;
                    ProviderStatus::Approved {
                        transaction_id: transaction_id(&m.psp_reference, reference),
                        amount: m.aggregate.captured_amount.money(),
                    }
                }
            })
        })
    }

    /// Undoes the payment in full: cancel while nothing is captured (it
    /// releases the reservation), refund whatever is captured.
    fn reverse(&self, reference: &str, _amount: Money) -> Result<(), ProviderError> {
        let until = self.query_deadline();
        let pause = Duration::from_millis(self.config.poll_ms.clamp(1, 250));
        self.blocking(|api| {
            let Some(p) = retrying(until, None, pause, || api.get(reference, until))? else {
                return Ok(());
            };
            let a = &p.aggregate;
            match p.state {
                State::Aborted | State::Expired | State::Terminated => Ok(()),
                State::Created => {
                    retrying(until, None, pause, || api.cancel(reference, until)).map(drop)
                }
                State::Authorized => {
                    let captured = a.captured_amount.value - a.refunded_amount.value;
                    if captured > 0 {
                        let key = idempotency_key(reference, "reverse");
                        retrying(until, None, pause, || {
                            api.refund(reference, &key, captured, until)
                        })?;
                    }
                    let open = a.authorized_amount.value
                        - a.captured_amount.value
                        - a.cancelled_amount.value;
                    if open > 0 {
                        retrying(until, None, pause, || api.cancel(reference, until))?;
                    }
                    Ok(())
                }
            }
        })
    }

    /// `POST …/refund` of `amount` (a return). Each call is a new refund; its
    /// retries share one idempotency key.
    fn refund(&self, reference: &str, amount: Money) -> Result<Option<String>, ProviderError> {
        let Some(value) = ore(amount).filter(|v| *v > 0) else {
            return Err(
                Failure::Refused(format!("{amount} NOK cannot be refunded")).into_error(NAME)
            );
        };
        let until = self.query_deadline();
        let pause = Duration::from_millis(self.config.poll_ms.clamp(1, 250));
        let nonce = uuid::Uuid::now_v7().simple().to_string();
        let key = idempotency_key(reference, &format!("rf{}", &nonce[nonce.len() - 12..]));
        self.blocking(|api| {
            retrying(until, None, pause, || {
                api.refund(reference, &key, value, until)
            })
            .map(|m| Some(transaction_id(&m.psp_reference, reference)))
        })
    }
}

#[cfg(test)]
mod tests;
