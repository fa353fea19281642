//! Server certificate verification as kubectl does it, and TLS failures in its words.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// The normal WebPKI verification against the kubeconfig's CA certificates, plus the one case
/// Go's crypto/x509 (so kubectl) accepts and WebPKI refuses: the server presents a certificate
/// that is itself one of the CA certificates. `openssl req -x509` makes such certificates (they
/// carry `basicConstraints: CA:TRUE`), and many single-node and lab clusters use one as both the
/// CA of the kubeconfig and the API server's certificate.
///
/// Go's `Certificate.Verify` checks the leaf's validity period and host name first, then, when
/// the leaf is in the root pool (`opts.Roots.contains(c)`), takes the chain to be the leaf alone,
/// and finally checks the chain's extended key usage for server authentication. WebPKI instead
/// refuses any end-entity certificate with the CA flag (`CaUsedAsEndEntity`). We accept it only
/// when the presented certificate is byte-for-byte one of the configured CA certificates, is
/// valid now, names the server, allows server authentication (or has no extended key usage, as
/// Go allows), and is signed by its own key. Any other failure stays a failure.
#[derive(Debug)]
pub struct KubeconfigVerifier {
    inner: Arc<WebPkiServerVerifier>,
    roots: Vec<CertificateDer<'static>>,
}

impl KubeconfigVerifier {
    pub fn new(
        roots: &[Vec<u8>],
        provider: Arc<CryptoProvider>,
    ) -> Result<KubeconfigVerifier, String> {
        let roots: Vec<CertificateDer<'static>> = roots
            .iter()
            .map(|der| CertificateDer::from(der.clone()))
            .collect();
        let mut store = RootCertStore::empty();
        for root in &roots {
            store.add(root.clone()).map_err(|e| {
                format!(
                    "the certificate authority is not usable: {}",
                    tls_reason(&e)
                )
            })?;
        }
        let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider)
            .build()
            .map_err(|e| format!("the certificate authority is not usable: {e}"))?;
        Ok(KubeconfigVerifier { inner, roots })
    }

    /// Go's acceptance of a root-pool certificate presented as the leaf (see the type's comment):
    /// `None` when the certificate is not one of the CA certificates, else the outcome of the
    /// checks Go makes.
    fn check_pinned_ca(
        &self,
        end_entity: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Option<Result<(), rustls::Error>> {
        if !self.roots.iter().any(|r| r.as_ref() == end_entity.as_ref()) {
            return None;
        }
        let refused = |e: CertificateError| Err(rustls::Error::InvalidCertificate(e));
        let Ok((_, cert)) = x509_parser::parse_x509_certificate(end_entity.as_ref()) else {
            return Some(refused(CertificateError::BadEncoding));
        };
        let valid_now = x509_parser::time::ASN1Time::from_timestamp(now.as_secs() as i64)
            .is_ok_and(|now| cert.validity().is_valid_at(now));
        if !valid_now {
            return Some(refused(CertificateError::Expired));
        }
        match cert.extended_key_usage() {
            Ok(None) => {}
            Ok(Some(eku)) if eku.value.any || eku.value.server_auth => {}
            _ => return Some(refused(CertificateError::InvalidPurpose)),
        }
        if cert.verify_signature(None).is_err() {
            return Some(refused(CertificateError::BadSignature));
        }
        let Ok(parsed) = rustls::server::ParsedCertificate::try_from(end_entity) else {
            return Some(refused(CertificateError::BadEncoding));
        };
        Some(rustls::client::verify_server_name(&parsed, server_name))
    }
}

impl ServerCertVerifier for KubeconfigVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(other)))
                if matches!(
                    other.0.downcast_ref::<webpki::Error>(),
                    Some(webpki::Error::CaUsedAsEndEntity)
                ) =>
            {
                match self.check_pinned_ca(end_entity, server_name, now) {
                    Some(Ok(())) => Ok(ServerCertVerified::assertion()),
                    Some(Err(e)) => Err(e),
                    None => Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                        other,
                    ))),
                }
            }
            result => result,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A TLS failure in Go's words (what kubectl prints), which is what people search for.
pub fn tls_reason(e: &rustls::Error) -> String {
    use rustls::Error as E;
    match e {
        E::InvalidCertificate(c) => {
            format!(
                "tls: failed to verify certificate: x509: {}",
                certificate_reason(c)
            )
        }
        E::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => {
            "http: server gave HTTP response to HTTPS client".to_owned()
        }
        E::AlertReceived(alert) => format!("remote error: tls: {}", alert_words(*alert)),
        E::NoCertificatesPresented => "tls: the server presented no certificate".to_owned(),
        other => format!("tls: {other}"),
    }
}

fn certificate_reason(e: &CertificateError) -> String {
    use CertificateError as C;
    match e {
        // WebPKI's BadSignature is an issuer of the right name whose key did not sign the
        // certificate: Go's path building then finds no authority.
        C::UnknownIssuer | C::BadSignature => "certificate signed by unknown authority".to_owned(),
        C::NotValidForNameContext {
            expected,
            presented,
        } => {
            // Go's HostnameError: an address is matched against the IP SANs only, a host name
            // against the DNS names only.
            let expected = expected.to_str();
            let wants_ip = expected.parse::<std::net::IpAddr>().is_ok();
            let kind = if wants_ip { "IpAddress(" } else { "DnsName(" };
            // Presented names read `DnsName("example.com")` or `IpAddress(10.0.0.1)`.
            let names: Vec<&str> = presented
                .iter()
                .filter_map(|n| n.strip_prefix(kind)?.strip_suffix(')'))
                .map(|n| n.trim_matches('"'))
                .collect();
            match (names.is_empty(), wants_ip) {
                (true, true) => format!(
                    "cannot validate certificate for {expected} because it doesn't contain any IP SANs"
                ),
                (true, false) => {
                    format!("certificate is not valid for any names, but wanted to match {expected}")
                }
                (false, _) => {
                    format!("certificate is valid for {}, not {expected}", names.join(", "))
                }
            }
        }
        C::NotValidForName => "certificate is not valid for the server's name".to_owned(),
        C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. } => {
            "certificate has expired or is not yet valid".to_owned()
        }
        C::UnsupportedSignatureAlgorithmContext { .. } => {
            "certificate uses an unsupported signature algorithm".to_owned()
        }
        C::Revoked => "certificate has been revoked".to_owned(),
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
            "certificate specifies an incompatible key usage".to_owned()
        }
        C::BadEncoding => "malformed certificate".to_owned(),
        C::Other(other) => match other.0.downcast_ref::<webpki::Error>() {
            // A CA certificate as the server's that is not one of the trusted ones: to Go, a
            // chain without a trusted root.
            Some(webpki::Error::CaUsedAsEndEntity) => {
                "certificate signed by unknown authority".to_owned()
            }
            Some(webpki::Error::EndEntityUsedAsCa) => {
                "a certificate that is not a CA signed the server's certificate".to_owned()
            }
            Some(w) => format!("certificate is not valid ({w:?})"),
            None => format!("certificate is not valid ({})", other.0),
        },
        other => format!("certificate is not valid ({other:?})"),
    }
}

/// Go's names for the alerts a server sends when it refuses a handshake.
fn alert_words(alert: rustls::AlertDescription) -> String {
    use rustls::AlertDescription as A;
    match alert {
        A::BadCertificate => "bad certificate".to_owned(),
        A::CertificateRequired => "certificate required".to_owned(),
        A::UnknownCA => "unknown certificate authority".to_owned(),
        A::HandshakeFailure => "handshake failure".to_owned(),
        A::ProtocolVersion => "protocol version not supported".to_owned(),
        A::InternalError => "internal error".to_owned(),
        A::CertificateExpired => "expired certificate".to_owned(),
        A::UnrecognisedName => "unrecognized name".to_owned(),
        other => format!("{other:?}"),
    }
}
