//! The HTTP face of the ledger (spec/ledger-api.md), on axum.
//!
//! Plain HTTP only: [`Server::bind`] refuses any address that is not
//! loopback. TLS is not built in; production puts a TLS-terminating proxy
//! (or a future rustls listener) in front.

use crate::ledger::rules::ReservationRefusal;
use crate::ledger::storage::{Alarm, Change, RedeemOutcome, Storage, UploadOutcome};
use crate::ledger::wire::{self, BadRequest, EventResult};
use crate::ledger::{Ledger, LedgerError, SystemClock, hash_token};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;

/// The largest page a till may ask for.
pub const MAX_PAGE: u32 = 5000;
pub const DEFAULT_PAGE: u32 = 500;
/// A batch of 1000 sales is well under this.
const MAX_BODY: usize = 32 * 1024 * 1024;

/// The routes, for embedding or testing without a socket.
pub fn router(ledger: Ledger) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/tills/{till}/events", post(upload))
        .route("/v1/tills/{till}/changes", get(changes))
        .route("/v1/tills/{till}/redeem", post(redeem))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(ledger)
}

/// A bound, not yet running, ledger server.
pub struct Server {
    listener: TcpListener,
    ledger: Ledger,
}

impl Server {
    /// Binds `listen` (`127.0.0.1:8080`, `[::1]:8080`, `localhost:0`). Every
    /// address it resolves to must be loopback: this server speaks plain HTTP.
    pub async fn bind(listen: &str, ledger: Ledger) -> Result<Server, LedgerError> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host(listen)
            .await
            .map_err(|e| LedgerError::BadListenAddress(listen.to_string(), e.to_string()))?
            .collect();
        if addrs.is_empty() {
            return Err(LedgerError::BadListenAddress(
                listen.to_string(),
                "it resolves to no address".into(),
            ));
        }
        if let Some(open) = addrs.iter().find(|a| !a.ip().is_loopback()) {
            return Err(LedgerError::PlainHttpNotLoopback(*open));
        }
        let listener = TcpListener::bind(&addrs[..])
            .await
            .map_err(|source| LedgerError::Bind {
                addr: listen.to_string(),
                source,
            })?;
        Ok(Server { listener, ledger })
    }

    /// The address actually bound (the port, when asked for port 0).
    pub fn local_addr(&self) -> Result<SocketAddr, LedgerError> {
        self.listener.local_addr().map_err(LedgerError::Serve)
    }

    pub async fn run(self) -> Result<(), LedgerError> {
        axum::serve(self.listener, router(self.ledger))
            .await
            .map_err(LedgerError::Serve)
    }

    /// Serves until `shutdown` completes, then finishes open requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), LedgerError> {
        axum::serve(self.listener, router(self.ledger))
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(LedgerError::Serve)
    }
}

/// Serves `storage` on `listen` with the system clock until the process ends.
pub async fn serve(listen: &str, storage: Arc<dyn Storage>) -> Result<(), LedgerError> {
    let ledger = Ledger::new(storage, Arc::new(SystemClock));
    Server::bind(listen, ledger).await?.run().await
}

pub fn server_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A refusal, as the till sees it.
#[derive(Debug)]
enum ApiError {
    BadRequest(BadRequest),
    Unauthorized(&'static str),
    Forbidden,
    Internal(LedgerError),
}

impl From<BadRequest> for ApiError {
    fn from(e: BadRequest) -> Self {
        ApiError::BadRequest(e)
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        ApiError::Internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            ApiError::BadRequest(e) => (
                StatusCode::BAD_REQUEST,
                json!({"error": e.to_string(), "field": e.field}),
            ),
            ApiError::Unauthorized(why) => (StatusCode::UNAUTHORIZED, json!({"error": why})),
            ApiError::Forbidden => (
                StatusCode::FORBIDDEN,
                json!({"error": "this token belongs to another till; a till may use only its own /v1/tills/{till}/ paths"}),
            ),
            ApiError::Internal(e) => {
                eprintln!("ledger: request failed: {e}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"error": format!("the ledger could not complete the request: {e}")}),
                )
            }
        };
        (status, Json(body)).into_response()
    }
}

/// Checks `Authorization: Bearer <token>` against the stored hash for `till`.
async fn authorize(ledger: &Ledger, headers: &HeaderMap, till: &str) -> Result<(), ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::Unauthorized(
            "send the till's token as `Authorization: Bearer <token>`",
        ))?;
    let presented = hash_token(token);
    match ledger.storage().till_for_token(presented).await? {
        Some((owner, stored)) if bool::from(stored.ct_eq(&presented)) => {
            if owner == till {
                Ok(())
            } else {
                Err(ApiError::Forbidden)
            }
        }
        _ => Err(ApiError::Unauthorized(
            "the token is not valid; enroll the till again to get a new one",
        )),
    }
}

async fn health(State(ledger): State<Ledger>) -> Json<serde_json::Value> {
    Json(json!({"status": "ok", "server_time": server_time(ledger.now())}))
}

#[derive(Serialize)]
struct UploadReply {
    acked_through: i64,
    server_time: String,
    results: Vec<EventResult>,
}

async fn upload(
    State(ledger): State<Ledger>,
    Path(till): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    authorize(&ledger, &headers, &till).await?;
    let events = wire::parse_upload(&body)?;
    let now = ledger.now();
    let outcome = ledger.storage().upload(till.clone(), events, now).await?;
    Ok(match outcome {
        UploadOutcome::Applied {
            acked_through,
            results,
        } => Json(UploadReply {
            acked_through,
            server_time: server_time(now),
            results,
        })
        .into_response(),
        UploadOutcome::Gap { expected } => (
            StatusCode::CONFLICT,
            Json(json!({"expected_seq": expected})),
        )
            .into_response(),
        UploadOutcome::Mismatch { seq } => {
            let detail = format!(
                "till {till} sent seq {seq} again with other content than the ledger stored; the batch was refused"
            );
            eprintln!("ledger ALARM: {detail}");
            ledger
                .storage()
                .record_alarm(Alarm {
                    till: till.clone(),
                    seq,
                    detail: detail.clone(),
                    recorded_at: now,
                })
                .await?;
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({"error": detail, "seq": seq})),
            )
                .into_response()
        }
    })
}

#[derive(Deserialize)]
struct ChangesQuery {
    after: Option<String>,
    limit: Option<String>,
}

#[derive(Serialize)]
struct ChangesReply {
    changes: Vec<Change>,
    next: i64,
    more: bool,
    /// Every member/card balance in `changes` includes this till's events up
    /// to here (read in the same snapshot).
    acked_through: i64,
    server_time: String,
}

async fn changes(
    State(ledger): State<Ledger>,
    Path(till): Path<String>,
    Query(q): Query<ChangesQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&ledger, &headers, &till).await?;
    let after = match q.after.as_deref() {
        None | Some("") => 0,
        Some(s) => s.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            BadRequest::new(
                "after",
                format!("`{s}` is not a cursor (a whole number ≥ 0)"),
            )
        })?,
    };
    let limit = match q.limit.as_deref() {
        None | Some("") => DEFAULT_PAGE,
        Some(s) => s
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| {
                BadRequest::new(
                    "limit",
                    format!("`{s}` is not a page size from 1 to {MAX_PAGE}"),
                )
            })?,
    };
    let page = ledger.storage().changes(till, after, limit).await?;
    Ok(Json(ChangesReply {
        changes: page.changes,
        next: page.next,
        more: page.more,
        acked_through: page.acked_through,
        server_time: server_time(ledger.now()),
    })
    .into_response())
}

async fn redeem(
    State(ledger): State<Ledger>,
    Path(till): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    authorize(&ledger, &headers, &till).await?;
    let request = wire::parse_redeem(&body)?;
    let outcome = ledger.storage().redeem(till, request, ledger.now()).await?;
    Ok(match outcome {
        RedeemOutcome::Granted => Json(json!({"ok": true})).into_response(),
        RedeemOutcome::Refused(reason) => refused(reason),
    })
}

fn refused(reason: ReservationRefusal) -> Response {
    (
        StatusCode::CONFLICT,
        Json(json!({"ok": false, "reason": reason.code()})),
    )
        .into_response()
}
