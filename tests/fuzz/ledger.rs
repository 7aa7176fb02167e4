//! The ledger's HTTP API under fuzz: the real router on a real SQLite file,
//! driven in process. Arbitrary methods, paths, tokens and bodies, and
//! structure-aware uploads and reservations (the seq the ledger expects
//! next, so they reach storage; amounts, counts and ids at every limit).
//! No request may panic or earn a 5xx, and no request without the till's own
//! token may get a 2xx from a till's path.

use crate::{cases, config, mutate, note};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, header};
use kasse::data::Data;
use kasse::ledger::sqlite::SqliteStorage;
use kasse::ledger::{Ledger, ManualClock, api};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

const TILLS: [&str; 2] = ["till-a", "till-b"];

struct Fixture {
    rt: tokio::runtime::Runtime,
    router: Router,
    tokens: [String; 2],
    /// The seq each till's next upload should carry, learnt from replies.
    next_seq: [AtomicI64; 2],
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = crate::scratch("ledger");
        std::fs::create_dir_all(&dir).unwrap();
        let (router, tokens) = rt.block_on(async {
            let storage = SqliteStorage::open(&dir.join("ledger.db")).await.unwrap();
            let clock = ManualClock::new("2026-11-23T10:30:00Z".parse().unwrap());
            let ledger = Ledger::new(Arc::new(storage), Arc::new(clock));
            let demo = crate::fixture("fixtures/data/demo.toml");
            let data = Data::parse(Path::new("demo.toml"), &demo).unwrap();
            ledger.import(&data).await.unwrap();
            let a = ledger.enroll(TILLS[0]).await.unwrap().to_string();
            let b = ledger.enroll(TILLS[1]).await.unwrap().to_string();
            (api::router(ledger), [a, b])
        });
        Fixture {
            rt,
            router,
            tokens,
            next_seq: [AtomicI64::new(1), AtomicI64::new(1)],
        }
    })
}

#[derive(Clone, Debug)]
enum Auth {
    None,
    /// The token of the till the path names.
    Own,
    /// The other till's token.
    Other,
    Header(Vec<u8>),
}

#[derive(Clone, Debug)]
enum Till {
    Known(usize),
    Text(String),
}

#[derive(Clone, Debug)]
enum Route {
    Events,
    Redeem,
    Changes(String),
    Health,
    /// Any path at all (bytes, percent-encoded where a URI needs it).
    Raw(Vec<u8>),
}

/// One event of an upload: seq offset from the expected one, kind, and the
/// sale body's fields to replace.
type EventGen = (i64, String, Vec<(&'static str, Value)>);

#[derive(Clone, Debug)]
enum BodyGen {
    Empty,
    Bytes(Vec<u8>),
    /// Events from the seq the ledger expects (plus an offset).
    Upload(Vec<EventGen>),
    Redeem(Value),
    /// A valid upload or reservation, bent as text.
    Bent(bool, Vec<mutate::Mutation>),
    Deep(usize),
}

#[derive(Clone, Debug)]
struct Call {
    method: Method,
    till: Till,
    route: Route,
    auth: Auth,
    body: BodyGen,
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        select(vec![
            "79228162514264337593543950335.00",
            "792281625142643375935439503.35",
            "39614081257132168796771975167.50",
            "-0.01",
            "0.00",
            "12.40",
            "1.5",
            "12",
            "",
            "é",
            "\u{0}",
            "M-1",
            "M-100001",
            "CP-1",
            "KK-1",
            "KAFFE",
            "2026-11-23T11:31:07+01:00",
        ])
        .prop_map(|s| json!(s)),
        select(vec![
            json!(null),
            json!(true),
            json!(0),
            json!(-1),
            json!(u32::MAX),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(1e300),
            json!([]),
            json!({}),
        ]),
        (0u64..100_000).prop_map(|o| json!(format!("{}.{:02}", o / 100, o % 100))),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            vec(
                (
                    select(vec!["card", "n", "sku", "qty", "amount", "kind", "member"]),
                    inner
                ),
                0..4
            )
            .prop_map(|kv| Value::Object(
                kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
            )),
        ]
    })
}

fn sale_patch() -> impl Strategy<Value = Vec<(&'static str, Value)>> {
    let field = select(vec![
        "bonus_earned",
        "bonus_used",
        "bonus_balance",
        "total",
        "rounding",
        "number",
        "member",
        "lines",
        "tenders",
        "vat",
        "coupons",
        "clips",
    ]);
    let clips = vec(
        (
            select(vec!["KK-1", "KK-2", "nope", ""]),
            prop_oneof![Just(u32::MAX), 0u32..3, any::<u32>()],
        ),
        0..3,
    )
    .prop_map(|cs| {
        json!(
            cs.into_iter()
                .map(|(c, n)| json!({"card": c, "n": n}))
                .collect::<Vec<_>>()
        )
    });
    // Well-formed amounts of any size in the stored-value fields reach the
    // ledger's arithmetic; other values test the shape checks.
    let amount = prop_oneof![
        3 => (0u64..100_000).prop_map(|o| format!("{}.{:02}", o / 100, o % 100)),
        1 => select(vec![
            "79228162514264337593543950335.00",
            "792281625142643375935439503.35",
            "39614081257132168796771975167.50",
            "1000000000.00",
        ]).prop_map(str::to_string),
        1 => (any::<u64>(), 0u8..100).prop_map(|(k, o)| format!("{k}.{o:02}")),
    ];
    let money_field = select(vec!["bonus_earned", "bonus_used", "bonus_balance"]);
    prop_oneof![
        2 => Just(Vec::new()),
        2 => vec((money_field, amount.prop_map(Value::String)), 1..3),
        3 => vec(
            prop_oneof![
                3 => (field, json_value()),
                1 => clips.prop_map(|c| ("clips", c)),
            ],
            1..3,
        ),
    ]
}

fn upload() -> impl Strategy<Value = BodyGen> {
    let kind = select(vec![
        "sale", "sale", "sale", "return", "journal", "z_report", "x",
    ]);
    let offset = prop_oneof![8 => Just(0i64), 1 => -3i64..3, 1 => Just(i64::MAX / 2)];
    vec((offset, kind.prop_map(str::to_string), sale_patch()), 0..5).prop_map(BodyGen::Upload)
}

fn redeem() -> impl Strategy<Value = BodyGen> {
    (
        select(vec!["r-1", "r-2", "", "é"]),
        vec(select(vec!["CP-1", "CP-2", "nope"]), 0..4),
        vec(
            (
                select(vec!["KK-1", "KK-2", "nope"]),
                prop_oneof![Just(u32::MAX), 0u32..3, any::<u32>()],
            ),
            0..4,
        ),
        proptest::option::of((select(vec!["M-100001", "M-1", "x"]), json_value())),
    )
        .prop_map(|(id, coupons, clips, bonus)| {
            let mut body = json!({
                "id": id,
                "coupons": coupons,
                "clips": clips.into_iter().map(|(c, n)| json!({"card": c, "n": n})).collect::<Vec<_>>(),
            });
            if let Some((member, amount)) = bonus {
                body["bonus"] = json!({"member": member, "amount": amount});
            }
            BodyGen::Redeem(body)
        })
}

fn call() -> impl Strategy<Value = Call> {
    let method = prop_oneof![
        4 => Just(Method::POST),
        2 => Just(Method::GET),
        1 => select(vec![Method::PUT, Method::DELETE, Method::HEAD, Method::OPTIONS, Method::PATCH]),
        1 => "[A-Z]{1,8}".prop_map(|m| Method::from_bytes(m.as_bytes()).unwrap()),
    ];
    let till = prop_oneof![
        6 => (0usize..2).prop_map(Till::Known),
        1 => select(vec!["unknown", "", "TILL-A", "till-a%00", "till-a/../till-b", "é", "%ff"])
            .prop_map(|s| Till::Text(s.to_string())),
        1 => ".{0,40}".prop_map(Till::Text),
    ];
    let route = prop_oneof![
        4 => Just(Route::Events),
        3 => Just(Route::Redeem),
        2 => select(vec![
            "", "after=0", "after=-1", "after=99999999999999999999", "limit=0", "limit=5000",
            "limit=5001", "after=1&limit=1", "after=%ff&limit=%00", "after=é", "after=0&after=1",
        ]).prop_map(|q| Route::Changes(q.to_string())),
        1 => Just(Route::Health),
        1 => vec(any::<u8>(), 0..64).prop_map(Route::Raw),
    ];
    let auth = prop_oneof![
        6 => Just(Auth::Own),
        1 => Just(Auth::None),
        1 => Just(Auth::Other),
        1 => select(vec![
            "Bearer ", "Bearer x", "bearer  ", "Basic dGlsbC1hOng=", "Bearer \u{e9}",
        ]).prop_map(|s| Auth::Header(s.as_bytes().to_vec())),
        1 => vec(any::<u8>(), 0..80).prop_map(Auth::Header),
    ];
    let body = prop_oneof![
        1 => Just(BodyGen::Empty),
        1 => vec(any::<u8>(), 0..256).prop_map(BodyGen::Bytes),
        5 => upload(),
        3 => redeem(),
        3 => (any::<bool>(), vec(mutate::mutation(), 1..4)).prop_map(|(u, m)| BodyGen::Bent(u, m)),
        1 => select(vec![10usize, 127, 128, 129, 5000, 100_000]).prop_map(BodyGen::Deep),
    ];
    // Mostly the route's own method, so the body gets read.
    // and often the body the route takes, so it reaches storage.
    let weighted = proptest::bool::weighted;
    (
        (weighted(0.85), weighted(0.6)),
        (method, till, route, auth),
        (body, upload(), redeem()),
    )
        .prop_map(
            |((fitting, fitting_body), (method, till, route, auth), (body, upload, redeem))| {
                let method = match (&route, fitting) {
                    (Route::Events | Route::Redeem, true) => Method::POST,
                    (Route::Changes(_) | Route::Health, true) => Method::GET,
                    _ => method,
                };
                let body = match (&route, fitting_body) {
                    (Route::Events, true) => upload,
                    (Route::Redeem, true) => redeem,
                    _ => body,
                };
                Call {
                    method,
                    till,
                    route,
                    auth,
                    body,
                }
            },
        )
}

/// Every byte a URI path cannot carry as is, percent-encoded.
fn encode(bytes: &[u8]) -> String {
    let mut s = String::new();
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~/%".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// A one-coffee sale as a till sends it (spec/ledger-api.md): the receipt
/// of spec/replay.md plus its effects on stored value.
fn sale_body(number: u64) -> Value {
    json!({
        "number": number, "member": "M-100001",
        "lines": [{"sku": "KAFFE", "qty": 1, "grams": null, "unit_price": "25.00",
                   "discount": "0.00", "discount_kind": null, "discount_ref": null,
                   "amount": "25.00"}],
        "total": "25.00",
        "tenders": [{"kind": "card", "amount": "25.00"}],
        "rounding": "0.00",
        "vat": [{"rate": "15", "gross": "25.00", "net": "21.74", "vat": "3.26"}],
        "bonus_earned": "0.75", "bonus_balance": "13.15",
        "coupons": [], "clips": [], "bonus_used": "0.00"
    })
}

fn event(seq: i64, kind: &str, patch: &[(&'static str, Value)]) -> Value {
    let mut body = sale_body(seq.unsigned_abs());
    for (k, v) in patch {
        body[*k] = v.clone();
    }
    json!({"seq": seq, "id": format!("fuzz-{seq}-{}", body["number"]), "kind": kind,
           "at": "2026-11-23T11:31:07+01:00", "offline": false, "body": body})
}

fn body_bytes(body: &BodyGen, next: i64) -> Vec<u8> {
    match body {
        BodyGen::Empty => Vec::new(),
        BodyGen::Bytes(b) => b.clone(),
        BodyGen::Upload(events) => {
            let events: Vec<Value> = events
                .iter()
                .enumerate()
                .map(|(i, (off, kind, patch))| {
                    let seq = next.saturating_add(i as i64).saturating_add(*off);
                    event(seq, kind, patch)
                })
                .collect();
            json!({ "events": events }).to_string().into_bytes()
        }
        BodyGen::Redeem(v) => v.to_string().into_bytes(),
        BodyGen::Bent(upload, ms) => {
            let valid = if *upload {
                json!({"events": [event(next, "sale", &[])]})
            } else {
                json!({"id": "r-9", "coupons": ["CP-1"], "clips": [{"card": "KK-1", "n": 1}],
                       "bonus": {"member": "M-100001", "amount": "1.00"}})
            };
            mutate::apply(valid.to_string().as_bytes(), ms, &mutate::tokens())
        }
        BodyGen::Deep(n) => format!("{}{}", "[".repeat(*n), "]".repeat(*n)).into_bytes(),
    }
}

/// Sends one call; the status and reply text.
fn send(f: &Fixture, c: &Call) -> (u16, String) {
    let (till_path, own) = match &c.till {
        Till::Known(i) => (TILLS[*i].to_string(), Some(*i)),
        Till::Text(t) => (encode(t.as_bytes()), None),
    };
    let own_i = own.unwrap_or(0);
    let path = match &c.route {
        Route::Events => format!("/v1/tills/{till_path}/events"),
        Route::Redeem => format!("/v1/tills/{till_path}/redeem"),
        Route::Changes(q) => format!("/v1/tills/{till_path}/changes?{q}"),
        Route::Health => "/v1/health".to_string(),
        Route::Raw(b) => format!("/{}", encode(b)),
    };
    let next = f.next_seq[own_i].load(Ordering::SeqCst);
    let body = body_bytes(&c.body, next);
    let mut req = Request::builder().method(c.method.clone()).uri(&path);
    let auth = match &c.auth {
        Auth::None => None,
        Auth::Own => Some(format!("Bearer {}", f.tokens[own_i]).into_bytes()),
        Auth::Other => Some(format!("Bearer {}", f.tokens[1 - own_i]).into_bytes()),
        Auth::Header(b) => Some(b.clone()),
    };
    if let Some(v) = auth.and_then(|a| HeaderValue::from_bytes(&a).ok()) {
        req = req.header(header::AUTHORIZATION, v);
    }
    let req = req
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap_or_else(|e| panic!("the harness built a bad request for {path:?}: {e}"));
    let router = f.router.clone();
    let (status, text) = f.rt.block_on(async move {
        let resp = router.oneshot(req).await.unwrap();
        let status = resp.status().as_u16();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap_or_default();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    });
    // Learn the seq the ledger expects next, so later uploads reach storage.
    if let (Some(i), Ok(v)) = (own, serde_json::from_str::<Value>(&text)) {
        if let Some(acked) = v["acked_through"].as_i64() {
            f.next_seq[i].store(acked + 1, Ordering::SeqCst);
        } else if let Some(expected) = v["expected_seq"].as_i64() {
            f.next_seq[i].store(expected, Ordering::SeqCst);
        }
    }
    (status, text)
}

proptest! {
    #![proptest_config(config(cases()))]

    #[test]
    fn ledger_http_api(c in call()) {
        let f = fixture();
        let (status, text) = send(f, &c);
        let route = match c.route {
            Route::Events => "events",
            Route::Redeem => "redeem",
            Route::Changes(_) => "changes",
            Route::Health => "health",
            Route::Raw(_) => "raw",
        };
        let applied = if text.contains("\"applied\"") { " applied" } else { "" };
        note("ledger_http_api", format!("{route} {status}{applied}"), cases());
        prop_assert!(status < 500, "{status} {text} for {c:?}");
        let tills_path = matches!(c.route, Route::Events | Route::Redeem | Route::Changes(_));
        if tills_path && !matches!(c.auth, Auth::Own) {
            prop_assert!(
                !(200..300).contains(&status),
                "{status} without the till's own token: {text} for {c:?}"
            );
        }
    }
}
