use super::*;

use serde_json::json;

#[test]
fn the_create_body_has_the_documented_field_names() {
    let body = serde_json::to_value(CreatePaymentRequest::at_the_till(
        6547,
        "0190f0c2a1b27c3d8e9f00112233aabb",
        "Kafe 1: 2 varer",
    ))
    .unwrap();
    assert_eq!(
        body,
        json!({
            "amount": {"currency": "NOK", "value": 6547},
            "paymentMethod": {"type": "WALLET"},
            "customerInteraction": "CUSTOMER_PRESENT",
            "reference": "0190f0c2a1b27c3d8e9f00112233aabb",
            "userFlow": "QR",
            "qrFormat": {"format": "TEXT/TARGETURL"},
            "paymentDescription": "Kafe 1: 2 varer"
        })
    );
    let short = CreatePaymentRequest::at_the_till(100, "ref-12345678", "x");
    assert_eq!(
        short.payment_description.as_deref(),
        Some("kasse ref-12345678")
    );
}

#[test]
fn modification_and_answers_read_as_documented() {
    let capture = serde_json::to_value(ModificationRequest {
        modification_amount: Amount::nok(1000),
    })
    .unwrap();
    assert_eq!(
        capture,
        json!({"modificationAmount": {"currency": "NOK", "value": 1000}})
    );
    // The cancel-after-authorisation example of the API guide.
    let m: ModificationResponse = serde_json::from_value(json!({
        "amount": {"currency": "NOK", "value": 49900},
        "state": "AUTHORIZED",
        "aggregate": {
            "authorizedAmount": {"currency": "NOK", "value": 49900},
            "cancelledAmount": {"currency": "NOK", "value": 49900},
            "capturedAmount": {"currency": "NOK", "value": 0},
            "refundedAmount": {"currency": "NOK", "value": 0}
        },
        "pspReference": "37c34d8c-2649-448e-864b-060d5d93e4c4",
        "reference": "acme-shop-123-order123abc"
    }))
    .unwrap();
    assert_eq!(m.state, State::Authorized);
    assert_eq!(m.aggregate.cancelled_amount.money(), Money::from_ore(49900));
    // Vipps sends expires_in as a string.
    let t: AccessToken = serde_json::from_value(json!({
        "token_type": "Bearer", "expires_in": "86398", "ext_expires_in": "0",
        "expires_on": "1495271273", "not_before": "1495184574",
        "resource": "00000002-0000-0000-c000-000000000000", "access_token": "eyJ0eXAi"
    }))
    .unwrap();
    assert_eq!(t.expires_in, 86398);
}

#[test]
fn ore_is_exact_and_keys_fit() {
    assert_eq!(ore(Money::from_ore(6547)), Some(6547));
    assert_eq!(ore("65.47".parse().unwrap()), Some(6547));
    assert_eq!(ore(Money::ZERO), Some(0));
    let reference = "0190f0c2a1b27c3d8e9f00112233aabb";
    assert_eq!(
        idempotency_key(reference, "capture"),
        format!("{reference}-capture")
    );
    assert!(idempotency_key(&"x".repeat(50), "capture").len() <= 50);
}
