//! The messages, exactly as the Vipps ePayment OpenAPI document names them.

use super::*;

/// `Amount`: a `value` in minor units (øre) and its `currency`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amount {
    pub currency: String,
    pub value: i64,
}

impl Amount {
    pub fn nok(ore: i64) -> Amount {
        Amount {
            currency: "NOK".into(),
            value: ore,
        }
    }

    pub fn money(&self) -> Money {
        Money::from_ore(self.value)
    }
}

/// Whole øre of an amount, or None if it has fractions of an øre or does not fit.
pub fn ore(amount: Money) -> Option<i64> {
    let minor = amount.as_decimal() * Decimal::ONE_HUNDRED;
    if minor.fract().is_zero() {
        minor.to_i64()
    } else {
        None
    }
}

/// `PaymentMethod`: `WALLET` (the app) or `CARD` (free-standing card payment).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentMethod {
    #[serde(rename = "type")]
    pub kind: String,
}

/// `qrFormat`: with `userFlow` `QR`, `TEXT/TARGETURL` makes `redirectUrl` the
/// URL to encode (the kiosk draws the QR code itself) instead of a link to
/// an SVG or PNG image of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrFormat {
    pub format: String,
}

/// `CreatePaymentRequest`, the body of `POST /epayment/v1/payments`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePaymentRequest {
    pub amount: Amount,
    pub payment_method: PaymentMethod,
    /// `CUSTOMER_PRESENT`: the customer stands at the till.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_interaction: Option<String>,
    /// The till's payment intent id (8–50 of `a-zA-Z0-9-`).
    pub reference: String,
    /// `QR`: the customer scans a QR code shown by the till.
    pub user_flow: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_format: Option<QrFormat>,
    /// Needed for `WEB_REDIRECT` and `NATIVE_REDIRECT` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    /// Phone number, personal QR or customer token; `PUSH_MESSAGE` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<serde_json::Value>,
    /// Shown in the app and on settlements (3–100 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_description: Option<String>,
}

impl CreatePaymentRequest {
    /// A QR payment of `ore` at the till, as this client sends it.
    pub fn at_the_till(ore: i64, reference: &str, description: &str) -> CreatePaymentRequest {
        // 3–100 characters, or Vipps refuses the payment.
        let mut text: String = description.chars().take(100).collect();
        if text.chars().count() < 3 {
            text = format!("{SYSTEM_NAME} {reference}")
                .chars()
                .take(100)
                .collect();
        }
        CreatePaymentRequest {
            amount: Amount::nok(ore),
            payment_method: PaymentMethod {
                kind: "WALLET".into(),
            },
            customer_interaction: Some("CUSTOMER_PRESENT".into()),
            reference: reference.to_string(),
            user_flow: "QR".into(),
            qr_format: Some(QrFormat {
                format: "TEXT/TARGETURL".into(),
            }),
            return_url: None,
            customer: None,
            payment_description: Some(text),
        }
    }
}

/// `CreatePaymentResponse`: with `userFlow` `QR`, `redirectUrl` is the QR's content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePaymentResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    pub reference: String,
}

/// `State` of a payment: `CREATED` until the customer acts; every other
/// state is final. `AUTHORIZED` stays `AUTHORIZED` through captures,
/// refunds and a cancel after authorisation (the `aggregate` tells those).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum State {
    Created,
    Aborted,
    Expired,
    Authorized,
    Terminated,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Created => "CREATED",
            State::Aborted => "ABORTED",
            State::Expired => "EXPIRED",
            State::Authorized => "AUTHORIZED",
            State::Terminated => "TERMINATED",
        }
    }
}

/// `Aggregate`: what has been authorised, cancelled, captured and refunded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Aggregate {
    pub authorized_amount: Amount,
    pub cancelled_amount: Amount,
    pub captured_amount: Amount,
    pub refunded_amount: Amount,
}

/// `ProfileResponse`: `sub` only when a profile `scope` was asked (never here).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
}

/// `GetPaymentResponse`, the answer of `GET /epayment/v1/payments/{reference}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetPaymentResponse {
    pub aggregate: Aggregate,
    /// The amount asked for when the payment was created.
    pub amount: Amount,
    pub state: State,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<PaymentMethod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// Vipps MobilePay's own reference: the transaction id on the receipt.
    #[serde(default)]
    pub psp_reference: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    pub reference: String,
}

/// `CaptureModificationRequest` / `RefundModificationRequest`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModificationRequest {
    pub modification_amount: Amount,
}

/// `ModificationResponse`: the payment after a capture, cancel or refund.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModificationResponse {
    pub amount: Amount,
    pub state: State,
    pub aggregate: Aggregate,
    #[serde(default)]
    pub psp_reference: String,
    pub reference: String,
}

/// `Problem` (RFC 7807, `application/problem+json`): every error answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    #[serde(default)]
    pub trace_id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_details: Vec<ExtraDetail>,
}

/// One field a `Problem` is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtraDetail {
    pub name: String,
    pub reason: String,
}

/// The answer of `POST /accesstoken/get`. `expires_in` is seconds, sent as a
/// string ("3599") by Vipps MobilePay; a number is accepted too.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessToken {
    pub token_type: String,
    #[serde(with = "seconds")]
    pub expires_in: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ext_expires_in: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub access_token: String,
}

mod seconds {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(value)
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        Number(u64),
        String(String),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        match Text::deserialize(d)? {
            Text::Number(n) => Ok(n),
            Text::String(s) => s.trim().parse().map_err(serde::de::Error::custom),
        }
    }
}
