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
