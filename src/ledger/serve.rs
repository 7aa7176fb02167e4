//! Connections: the listener, TLS (rustls) and the limits that keep one
//! client from occupying the ledger. Requests go on to the router of
//! `api`, whose tower layers bound each request (body size, concurrency,
//! time); here each connection is bounded:
//!
//! - at most [`Limits::max_connections`] at once; one more is closed at accept;
//! - the TLS handshake must finish within [`Limits::handshake_timeout`];
//! - request headers must arrive within [`Limits::header_read_timeout`],
//!   also between keep-alive requests: a slow or idle connection (slowloris)
//!   is closed.
//!
//! Plain HTTP is served only when the bound address is loopback (checked on
//! the parsed address); anything else needs a certificate and key.

use crate::ledger::LedgerError;
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The ledger's connection and request limits (README, "Ledger limits").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Open connections at most; past it a new one is closed at once.
    pub max_connections: usize,
    /// Requests handled at once; more wait (within `request_timeout`).
    pub max_concurrent_requests: usize,
    /// The largest request body; a larger one is refused (413) before it
    /// is read, and a body is read only after the token was checked.
    pub max_body: usize,
    /// A request, body and database work included, must finish in this time (408).
    pub request_timeout: Duration,
    /// Request headers must arrive within this time, on a new connection and
    /// between keep-alive requests, or the connection is closed.
    pub header_read_timeout: Duration,
    pub handshake_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            max_concurrent_requests: 64,
            // A full batch of 1000 sales is about 1 MiB.
            max_body: 4 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(10),
        }
    }
}

/// Where the server's certificate chain and private key are (PEM files).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Reads the PEM files into a rustls server configuration (ring, TLS 1.2
/// and 1.3, HTTP/1.1).
pub fn tls_acceptor(files: &TlsFiles) -> Result<TlsAcceptor, LedgerError> {
    let bad = |path: &Path, why: String| LedgerError::Tls(format!("{}: {why}", path.display()));
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| bad(&files.cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| bad(&files.cert, e.to_string()))?;
    if certs.is_empty() {
        return Err(bad(&files.cert, "no PEM certificate in it".into()));
    }
    let key =
        PrivateKeyDer::from_pem_file(&files.key).map_err(|e| bad(&files.key, e.to_string()))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| LedgerError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| bad(&files.key, format!("does not match the certificate: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Resolves `listen` and binds it; without TLS every address must be loopback.
pub async fn bind(listen: &str, tls: bool) -> Result<TcpListener, LedgerError> {
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
    if !tls && let Some(open) = addrs.iter().find(|a| !a.ip().is_loopback()) {
        return Err(LedgerError::PlainHttpNotLoopback(*open));
    }
    TcpListener::bind(&addrs[..])
        .await
        .map_err(|source| LedgerError::Bind {
            addr: listen.to_string(),
            source,
        })
}

/// Accepts connections until `shutdown`, then lets open requests finish
/// (at most `request_timeout`).
pub async fn run(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsAcceptor>,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), LedgerError> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, _peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of file descriptors and the like: wait, do not spin.
                Err(e) => {
                    eprintln!("ledger: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (router, tls, stop) = (router.clone(), tls.clone(), stop_rx.clone());
        tokio::spawn(async move {
            let _slot = slot;
            match tls {
                None => serve_connection(stream, router, limits, stop).await,
                Some(acceptor) => {
                    let handshake =
                        tokio::time::timeout(limits.handshake_timeout, acceptor.accept(stream));
                    if let Ok(Ok(stream)) = handshake.await {
                        serve_connection(stream, router, limits, stop).await;
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection holds a slot: all slots back means all are closed.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(
        limits.request_timeout + limits.header_read_timeout,
        slots.acquire_many(all),
    )
    .await;
    Ok(())
}

async fn serve_connection<S>(
    stream: S,
    router: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = TowerToHyperService::new(router);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        () = async { drop(stop.wait_for(|s| *s).await) } => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}
