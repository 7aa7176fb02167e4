//! The HTTP face of the ledger (spec/ledger-api.md), on axum.
//!
//! Every request passes tower layers before it reaches a handler: a time
//! limit (408), a limit on requests handled at once, and a body limit
//! checked on `Content-Length` before anything is read (413). The till's
//! paths then check the bearer token before the body is read. Connections
//! (TLS, their number, slow headers) are bounded in `serve`.

use crate::ledger::rules::ReservationRefusal;
use crate::ledger::serve::{self, Limits, TlsFiles};
use crate::ledger::storage::{Alarm, Change, RedeemOutcome, Storage, UploadOutcome};
use crate::ledger::wire::{self, BadRequest, EventResult};
use crate::ledger::{Ledger, LedgerError, SystemClock, hash_token};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
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
use tokio_rustls::TlsAcceptor;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

mod returns;

/// The largest page a till may ask for.
pub const MAX_PAGE: u32 = 5000;
pub const DEFAULT_PAGE: u32 = 500;

/// The routes with the default [`Limits`], for embedding or testing
/// without a socket.
pub fn router(ledger: Ledger) -> Router {
    router_with(ledger, Limits::default())
}

/// The routes behind the request limits of `limits`.
pub fn router_with(ledger: Ledger, limits: Limits) -> Router {
    Router::new()
        .route("/v1/tills/{till}/events", post(upload))
        .route("/v1/tills/{till}/changes", get(changes))
        .route("/v1/tills/{till}/redeem", post(redeem))
        .route(
            "/v1/tills/{till}/sales/{orig_till}/{number}",
            get(returns::original_sale),
        )
        .route("/v1/tills/{till}/returns", post(returns::hold_return))
        // Runs after routing and before the handler reads the body.
        .route_layer(middleware::from_fn_with_state(ledger.clone(), authenticate))
        .route("/v1/health", get(health))
        .layer(DefaultBodyLimit::max(limits.max_body))
        .layer(RequestBodyLimitLayer::new(limits.max_body))
        .layer(GlobalConcurrencyLimitLayer::new(
            limits.max_concurrent_requests,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .with_state(ledger)
}

/// A bound, not yet running, ledger server.
pub struct Server {
    listener: TcpListener,
    ledger: Ledger,
    tls: Option<TlsAcceptor>,
    limits: Limits,
}

impl Server {
    /// Binds `listen` (`127.0.0.1:8080`, `[::1]:8080`, `localhost:0`) for
    /// plain HTTP: every address it resolves to must be loopback.
    pub async fn bind(listen: &str, ledger: Ledger) -> Result<Server, LedgerError> {
        Ok(Server {
            listener: serve::bind(listen, false).await?,
            ledger,
            tls: None,
            limits: Limits::default(),
        })
    }

    /// Binds `listen` for HTTPS with the certificate and key in `files`;
    /// any address may be used.
    pub async fn bind_tls(
        listen: &str,
        ledger: Ledger,
        files: &TlsFiles,
    ) -> Result<Server, LedgerError> {
        let acceptor = serve::tls_acceptor(files)?;
        Ok(Server {
            listener: serve::bind(listen, true).await?,
            ledger,
            tls: Some(acceptor),
            limits: Limits::default(),
        })
    }

    /// Other limits than [`Limits::default`] (tests, benchmarks).
    pub fn with_limits(mut self, limits: Limits) -> Server {
        self.limits = limits;
        self
    }

    /// The address actually bound (the port, when asked for port 0).
    pub fn local_addr(&self) -> Result<SocketAddr, LedgerError> {
        self.listener.local_addr().map_err(LedgerError::Serve)
    }

    /// "https" or "http".
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }

    pub async fn run(self) -> Result<(), LedgerError> {
        self.run_until(std::future::pending()).await
    }

    /// Serves until `shutdown` completes, then finishes open requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), LedgerError> {
        let router = router_with(self.ledger, self.limits);
        serve::run(self.listener, router, self.tls, self.limits, shutdown).await
    }
}

/// Serves `storage` on `listen` with the system clock until the process
/// ends: HTTPS when `tls` names a certificate and key, else plain HTTP on
/// loopback only.
pub async fn serve(
    listen: &str,
    storage: Arc<dyn Storage>,
    tls: Option<&TlsFiles>,
) -> Result<(), LedgerError> {
    let ledger = Ledger::new(storage, Arc::new(SystemClock));
    match tls {
        Some(files) => Server::bind_tls(listen, ledger, files).await?.run().await,
        None => Server::bind(listen, ledger).await?.run().await,
    }
}

pub fn server_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A refusal, as the till sees it.
#[derive(Debug)]
pub(super) enum ApiError {
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
            // The cause (a database message) stays in the ledger's log: it
            // can name tables, values or hosts a till has no business seeing.
            ApiError::Internal(e) => {
                eprintln!("ledger: request failed: {e}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"error": "the ledger could not complete the request; try again later (the cause is in the ledger's log)",
                           "code": "internal"}),
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

/// The till's paths: the token is checked before the handler reads the body.
async fn authenticate(
    State(ledger): State<Ledger>,
    Path(TillPath { till }): Path<TillPath>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    authorize(&ledger, request.headers(), &till).await?;
    Ok(next.run(request).await)
}

/// `{till}`, the first segment of every till path (others may follow).
#[derive(Deserialize)]
struct TillPath {
    till: String,
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
    body: Bytes,
) -> Result<Response, ApiError> {
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
) -> Result<Response, ApiError> {
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
    body: Bytes,
) -> Result<Response, ApiError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_500_names_no_database_error() {
        let e = ApiError::Internal(LedgerError::Corrupt("table secret_tbl, row 7".into()));
        let resp = e.into_response();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(resp.into_body(), 4096).await.unwrap();
        let text = String::from_utf8_lossy(&body);
        assert!(!text.contains("secret_tbl"), "{text}");
        assert!(text.contains("\"internal\""), "{text}");
    }
}
