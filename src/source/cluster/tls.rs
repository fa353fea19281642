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

    /// Go's acceptance of a root-pool certificate presented as the leaf (see the type's comment).
    fn accept_pinned_ca(
        &self,
        end_entity: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> bool {
        if !self.roots.iter().any(|r| r.as_ref() == end_entity.as_ref()) {
            return false;
        }
        let Ok((_, cert)) = x509_parser::parse_x509_certificate(end_entity.as_ref()) else {
            return false;
        };
        let Ok(now) = x509_parser::time::ASN1Time::from_timestamp(now.as_secs() as i64) else {
            return false;
        };
        if !cert.validity().is_valid_at(now) {
            return false;
        }
        match cert.extended_key_usage() {
            Ok(None) => {}
            Ok(Some(eku)) if eku.value.any || eku.value.server_auth => {}
            _ => return false,
        }
        if cert.verify_signature(None).is_err() {
            return false;
        }
        let Ok(parsed) = rustls::server::ParsedCertificate::try_from(end_entity) else {
            return false;
        };
        rustls::client::verify_server_name(&parsed, server_name).is_ok()
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
                ) && self.accept_pinned_ca(end_entity, server_name, now) =>
            {
                Ok(ServerCertVerified::assertion())
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
        C::UnknownIssuer => "certificate signed by unknown authority".to_owned(),
        C::NotValidForNameContext {
            expected,
            presented,
        } => {
            let expected = expected.to_str();
            if presented.is_empty() {
                format!("certificate is not valid for any names, but wanted to match {expected}")
            } else {
                let names: Vec<&str> = presented.iter().map(|n| n.trim_matches('"')).collect();
                format!(
                    "certificate is valid for {}, not {expected}",
                    names.join(", ")
                )
            }
        }
        C::NotValidForName => "certificate is not valid for the server's name".to_owned(),
        C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. } => {
            "certificate has expired or is not yet valid".to_owned()
        }
        C::BadSignature | C::UnsupportedSignatureAlgorithmContext { .. } => {
            "certificate signature is invalid or uses an unsupported algorithm".to_owned()
        }
        C::Revoked => "certificate has been revoked".to_owned(),
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
            "certificate specifies an incompatible key usage".to_owned()
        }
        C::BadEncoding => "malformed certificate".to_owned(),
        C::Other(other) => match other.0.downcast_ref::<webpki::Error>() {
            Some(webpki::Error::CaUsedAsEndEntity) => {
                "the server's certificate is a CA certificate that the kubeconfig's \
                 certificate authority does not hold"
                    .to_owned()
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
