//! `[alerts]`: where alerts go and what they may hold; secrets stay out.

use super::*;

#[derive(Clone)]
pub struct AlertSettings {
    /// SMTP server; `None` when only the webhook is used.
    pub smtp_url: Option<String>,
    pub from: String,
    pub to: Vec<String>,
    pub min_risk: Risk,
    pub include_details: bool,
    /// Environment variable holding the webhook address (it carries a token).
    pub webhook_url_env: Option<String>,
}

impl std::fmt::Debug for AlertSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // smtp_url may carry a user name; never print it whole.
        f.debug_struct("AlertSettings")
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("from", &self.from)
            .field("to", &self.to.len())
            .field("min_risk", &self.min_risk)
            .field("include_details", &self.include_details)
            .field("webhook_url_env", &self.webhook_url_env)
            .finish()
    }
}

/// `text` with the user and password of every URL in it taken out: no
/// config error quotes a credential, whatever the parser put in it.
pub(super) fn redact_userinfo(text: &str) -> String {
    static USERINFO: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = USERINFO.get_or_init(|| {
        regex::Regex::new(r"(?i)([a-z][a-z0-9+.-]*://)[^/?#@\s]*@").expect("static pattern")
    });
    re.replace_all(text, "${1}…@").into_owned()
}

pub(super) fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => "<unparsable>".into(),
    }
}
impl Ctx<'_> {
    pub(super) fn alerts(&self, a: Spanned<RawAlerts>) -> Result<AlertSettings, ConfigError> {
        let section = Some(a.span());
        let a = a.into_inner();
        let smtp_url = match a.smtp_url {
            None => None,
            Some(raw) => {
                let smtp = Url::parse(raw.get_ref()).map_err(|e| {
                    self.at(&raw, format!("key `alerts.smtp_url`: not a URL ({e})"))
                })?;
                if !matches!(smtp.scheme(), "smtp" | "smtps") {
                    return Err(self.at(
                        &raw,
                        "key `alerts.smtp_url` must start with smtp:// or smtps://",
                    ));
                }
                if smtp.password().is_some() {
                    return Err(self.at(
                        &raw,
                        "key `alerts.smtp_url` holds a password: remove it and set EXPOSURE_AUDIT_SMTP_PASSWORD instead",
                    ));
                }
                Some(raw.into_inner())
            }
        };
        let webhook_url_env = match a.webhook_url_env {
            None => None,
            Some(v) => {
                let name = v.get_ref();
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(self.at(
                        &v,
                        "key `alerts.webhook_url_env` names an environment variable (letters, digits, _); the webhook address itself never goes in the file",
                    ));
                }
                Some(v.into_inner())
            }
        };
        if smtp_url.is_none() && webhook_url_env.is_none() {
            return Err(self.err(
                section.clone(),
                "section `[alerts]` needs `smtp_url` or `webhook_url_env`: there is nowhere to send alerts",
            ));
        }
        let from = match (&smtp_url, a.from) {
            (_, Some(f)) if !f.get_ref().contains('@') => {
                return Err(self.at(&f, "key `alerts.from` must be an email address"))
            }
            (_, Some(f)) => f.into_inner(),
            (Some(_), None) => {
                return Err(self.err(
                    section.clone(),
                    "key `alerts.from` is missing: email alerts need a sender address",
                ))
            }
            (None, None) => String::new(),
        };
        let to = match (&smtp_url, a.to) {
            (_, Some(t))
                if t.get_ref().is_empty() || t.get_ref().iter().any(|x| !x.contains('@')) =>
            {
                return Err(self.at(&t, "key `alerts.to` must list at least one email address"))
            }
            (_, Some(t)) => t.into_inner(),
            (Some(_), None) => {
                return Err(self.err(
                    section.clone(),
                    "key `alerts.to` is missing: email alerts need at least one recipient",
                ))
            }
            (None, None) => Vec::new(),
        };
        Ok(AlertSettings {
            smtp_url,
            from,
            to,
            min_risk: a.min_risk.unwrap_or(Risk::High),
            include_details: a.include_details,
            webhook_url_env,
        })
    }
}
