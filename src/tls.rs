//! The one TLS crypto provider of the process: rustls with ring, installed
//! before the first HTTPS client or SMTP connection is built. reqwest and
//! lettre are built without a provider of their own (Cargo.toml says why).

/// Installs ring as rustls' process-wide provider; later calls do nothing.
pub fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err only when a provider is already installed: that one is used.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    /// Without a provider, reqwest built with `rustls-no-provider` cannot
    /// make a client; with ring installed it can, and so can lettre make a
    /// TLS transport.
    #[test]
    fn the_provider_is_installed_for_https_and_smtps() {
        super::install();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
        reqwest::Client::builder()
            .build()
            .expect("an HTTPS client builds");
        let _: lettre::AsyncSmtpTransport<lettre::Tokio1Executor> =
            lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url("smtps://127.0.0.1:465")
                .expect("an SMTPS transport builds")
                .build();
    }
}
