//! The HTTP client to the API server: kube-rs's authentication, base URI and headers, on a
//! connector of our own. kube-rs builds its connector internally, with no way to change how the
//! server's certificate is verified, to log requests, or to tunnel through an HTTP proxy.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{Request, Response, Uri};
use hyper::rt::{Read, Write};
use hyper_util::client::legacy::connect::{Connection, HttpConnector};
use hyper_util::rt::TokioExecutor;
use kube::client::{Body, ClientBuilder, ConfigExt};
use kube::{Client, Config};
use tower::{BoxError, Layer, Service, ServiceBuilder};

use super::tls::KubeconfigVerifier;

/// Builds the client for `config`, through `proxy` when given. With `verbosity` 6 or more each
/// request's verb, URL, status and duration go to stderr, as `kubectl -v=6` shows them.
pub fn build(config: Config, proxy: Option<Uri>, verbosity: u8) -> Result<Client, String> {
    let mut connector = HttpConnector::new();
    connector.enforce_http(false);
    match proxy {
        None => finish(config, connector, verbosity),
        Some(proxy) => match proxy.scheme_str() {
            Some("http") => {
                let tunnel =
                    hyper_util::client::legacy::connect::proxy::Tunnel::new(proxy, connector);
                finish(config, tunnel, verbosity)
            }
            Some("socks5") => {
                let socks =
                    hyper_util::client::legacy::connect::proxy::SocksV5::new(proxy, connector);
                finish(config, socks, verbosity)
            }
            _ => Err(format!(
                "proxy-url {proxy}: only http:// (CONNECT) and socks5:// proxies are supported"
            )),
        },
    }
}

fn finish<C>(config: Config, connector: C, verbosity: u8) -> Result<Client, String>
where
    C: Service<Uri> + Clone + Send + Sync + 'static,
    C::Response: Connection + Read + Write + Send + Unpin + 'static,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
{
    let mut tls = config
        .rustls_client_config()
        .map_err(|e| super::fetch::error_chain(&e))?;
    // A kubeconfig CA (certificate-authority[-data]) gets kubectl's verification; without one
    // kube-rs uses the system's trust store, and insecure-skip-tls-verify none at all.
    if !config.accept_invalid_certs {
        if let Some(roots) = &config.root_cert {
            let verifier = KubeconfigVerifier::new(roots, tls.crypto_provider().clone())?;
            tls.dangerous().set_certificate_verifier(Arc::new(verifier));
        }
    }
    let mut https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http();
    if let Some(name) = &config.tls_server_name {
        let name = rustls::pki_types::ServerName::try_from(name.clone())
            .map_err(|_| format!("tls-server-name {name:?} is not a host name or address"))?;
        https = https.with_server_name_resolver(hyper_rustls::FixedServerNameResolver::new(name));
    }
    let https = https.enable_http1().wrap_connector(connector);
    let mut connector = hyper_timeout::TimeoutConnector::new(https);
    connector.set_connect_timeout(config.connect_timeout);
    connector.set_read_timeout(config.read_timeout);
    connector.set_write_timeout(config.write_timeout);
    let http: hyper_util::client::legacy::Client<_, Body> =
        hyper_util::client::legacy::Builder::new(TokioExecutor::new()).build(connector);

    let auth = config
        .auth_layer()
        .map_err(|e| super::fetch::error_chain(&e))?;
    let headers = config
        .extra_headers_layer()
        .map_err(|e| super::fetch::error_chain(&e))?;
    let service = ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .layer(
            tower_http::decompression::DecompressionLayer::new()
                .no_br()
                .no_deflate()
                .no_zstd()
                .gzip(!config.disable_compression),
        )
        .option_layer(config.default_retry.then(|| {
            tower::retry::RetryLayer::new(kube::client::retry::RetryPolicy::server_retry())
        }))
        .option_layer(auth)
        .layer(headers)
        .map_err(BoxError::from)
        .layer(RequestLogLayer { verbosity })
        .service(http);
    // kube-rs also sets the expiry of an exec plugin's client certificate on its client, which
    // a run of seconds never reaches.
    Ok(ClientBuilder::new(service, config.default_namespace.clone()).build())
}

/// `-v=6`: one line per request, after its response headers (or its failure).
#[derive(Clone, Copy)]
struct RequestLogLayer {
    verbosity: u8,
}

impl<S> Layer<S> for RequestLogLayer {
    type Service = RequestLog<S>;

    fn layer(&self, inner: S) -> RequestLog<S> {
        RequestLog {
            inner,
            verbosity: self.verbosity,
        }
    }
}

#[derive(Clone)]
struct RequestLog<S> {
    inner: S,
    verbosity: u8,
}

impl<S, B> Service<Request<Body>> for RequestLog<S>
where
    S: Service<Request<Body>, Response = Response<B>>,
    S::Future: Send + 'static,
    S::Error: std::error::Error + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let log = (self.verbosity >= 6).then(|| {
            (
                request.method().clone(),
                request.uri().clone(),
                Instant::now(),
            )
        });
        let response = self.inner.call(request);
        Box::pin(async move {
            let result = response.await;
            if let Some((verb, url, start)) = log {
                let ms = start.elapsed().as_millis();
                let authority = url.authority().map(|a| a.to_string()).unwrap_or_default();
                match &result {
                    Ok(r) => eprintln!("{verb} {url} {} in {ms} milliseconds", r.status()),
                    Err(e) => eprintln!(
                        "{verb} {url} failed: {} in {ms} milliseconds",
                        transport_reason(e, &authority)
                    ),
                }
            }
            result
        })
    }
}

/// Why a request got no answer, in kubectl's words: `authority` is the server's `host:port`.
pub fn transport_reason(e: &(dyn std::error::Error + 'static), authority: &str) -> String {
    let mut causes = Vec::new();
    flatten(e, &mut causes);
    if let Some(tls) = causes
        .iter()
        .find_map(|c| c.downcast_ref::<rustls::Error>())
    {
        return super::tls::tls_reason(tls);
    }
    use std::io::ErrorKind;
    for cause in &causes {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            match io.kind() {
                ErrorKind::ConnectionRefused => {
                    return format!("the connection to the server {authority} was refused")
                }
                ErrorKind::TimedOut => {
                    return format!("the server {authority} did not answer in time")
                }
                ErrorKind::ConnectionReset
                | ErrorKind::UnexpectedEof
                | ErrorKind::ConnectionAborted => {
                    return format!("the server {authority} closed the connection")
                }
                _ => {}
            }
        }
    }
    if causes.iter().any(|c| c.to_string() == "dns error") {
        let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
        return format!("no such host {host}");
    }
    let innermost = causes.last().map(|c| c.to_string()).unwrap_or_default();
    strip_os_error(&innermost)
}

/// An error and its causes, outermost first, including the errors an `io::Error` wraps (its
/// `source()` skips them).
fn flatten<'a>(
    e: &'a (dyn std::error::Error + 'static),
    out: &mut Vec<&'a (dyn std::error::Error + 'static)>,
) {
    out.push(e);
    if let Some(inner) = e
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
    {
        let inner: &(dyn std::error::Error + 'static) = inner;
        return flatten(inner, out);
    }
    if let Some(source) = e.source() {
        flatten(source, out);
    }
}

fn strip_os_error(text: &str) -> String {
    match text.find(" (os error ") {
        Some(i) => text[..i].to_owned(),
        None => text.to_owned(),
    }
}
