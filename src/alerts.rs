//! Alerts after a run: which exposures call for one, the digest that says
//! so, and its delivery from the outbox by email (lettre over SMTP) or
//! webhook (a JSON POST that Teams and Slack incoming webhooks accept).
//!
//! A run's digests are written to the outbox in the transaction that closes
//! the run ([`crate::store::Store::close_run`]). Delivery reads the outbox,
//! sends what is due and marks each message delivered the moment its
//! channel accepts it, so a restart does not send it again and an outage
//! only delays it: failed attempts are retried with a growing delay, without
//! limit. The one window left is a crash between the server's acceptance
//! and the database write; each email carries a Message-ID made from the
//! outbox row, so a mail system that sees it twice can tell.
//!
//! Without `alerts.include_details = true` a digest holds no text taken
//! from the audited site: counts, risks, reason names, the run id and where
//! to read the report. Page and picture addresses are site text too (a slug
//! such as `/news/well-done-oliver-smith/` or a file name such as
//! `olivia-brown-year2.jpg` is a child's name), so they are counted, never
//! listed; with details the digest lists them and the details found.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::AlertSettings;
use crate::model::{Change, Detail, Reason, Risk};
use crate::store::{NewAlert, OutboxRow, RunCounts, RunStatus, Store, StoreError};

/// Environment variable holding the SMTP password.
pub const SMTP_PASSWORD_ENV: &str = "EXPOSURE_AUDIT_SMTP_PASSWORD";
/// Environment variable naming a file that holds the SMTP password
/// (systemd credentials, Docker secrets).
pub const SMTP_PASSWORD_FILE_ENV: &str = "EXPOSURE_AUDIT_SMTP_PASSWORD_FILE";

/// Longest wait between two attempts at one alert.
const MAX_BACKOFF: Duration = Duration::from_hours(1);
/// Wait after the first failed attempt; doubles with each further one.
const FIRST_BACKOFF: Duration = Duration::from_mins(1);
/// Most exposures listed one by one in a digest; the rest are counted.
const MAX_LISTED: usize = 25;

/// Why an exposure is in a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// New this run at or above `min_risk`.
    New,
    /// Its risk went up to or above `min_risk`.
    RiskUp,
    /// A copy of a picture in the takedown register is public.
    Withdrawn,
}

/// One exposure that calls for an alert.
#[derive(Debug, Clone)]
pub struct AlertItem {
    pub exposure_id: String,
    pub risk: Risk,
    pub score: u32,
    pub trigger: Trigger,
    pub reasons: Vec<Reason>,
    /// Pages it was seen on this run, sorted.
    pub pages: Vec<String>,
    /// Picture addresses: personal (file names), shown only with details.
    pub images: Vec<String>,
    pub details: Vec<Detail>,
}

/// What the digest says about the run itself.
#[derive(Debug, Clone, Copy)]
pub struct RunInfo {
    pub id: i64,
    pub status: RunStatus,
    pub counts: RunCounts,
}

/// Decides whether an exposure assessed this run calls for an alert.
/// `before` is its risk in the previous run, if it was in it and not resolved.
pub fn trigger(
    settings: &AlertSettings,
    risk: Risk,
    change: Change,
    before: Option<Risk>,
    reasons: &[Reason],
) -> Option<Trigger> {
    if reasons.contains(&Reason::WithdrawnPictureStillPublic) {
        return Some(Trigger::Withdrawn);
    }
    if risk < settings.min_risk || change == Change::Resolved {
        return None;
    }
    match before {
        None => Some(Trigger::New),
        Some(b) if risk > b => Some(Trigger::RiskUp),
        Some(_) => None,
    }
}

#[derive(Serialize)]
struct WebhookPayload<'a> {
    /// Teams and Slack incoming webhooks show `text`.
    text: &'a str,
    schema: &'static str,
    run_id: i64,
    run_status: &'static str,
    exposures: Vec<WebhookExposure<'a>>,
}

#[derive(Serialize)]
struct WebhookExposure<'a> {
    id: &'a str,
    risk: Risk,
    score: u32,
    trigger: Trigger,
    reasons: &'a [Reason],
    /// How many pages and pictures: always there, as counts.
    page_count: usize,
    picture_count: usize,
    /// The addresses and details themselves: only with `include_details`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pages: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pictures: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a [Detail]>,
}

/// The run's digests, one per configured channel; none when nothing calls
/// for an alert.
pub fn compose(settings: &AlertSettings, run: RunInfo, items: &[AlertItem]) -> Vec<NewAlert> {
    if items.is_empty() {
        return Vec::new();
    }
    let mut items: Vec<&AlertItem> = items.iter().collect();
    items.sort_by(|a, b| {
        (b.trigger == Trigger::Withdrawn, b.score, &a.exposure_id).cmp(&(
            a.trigger == Trigger::Withdrawn,
            a.score,
            &b.exposure_id,
        ))
    });
    let count = |t: Trigger| items.iter().filter(|i| i.trigger == t).count();
    let (new, up, withdrawn) = (
        count(Trigger::New),
        count(Trigger::RiskUp),
        count(Trigger::Withdrawn),
    );
    let subject = format!(
        "exposure-audit: {} picture{} need{} attention (run {})",
        items.len(),
        if items.len() == 1 { "" } else { "s" },
        if items.len() == 1 { "s" } else { "" },
        run.id
    );
    let min = settings.min_risk.as_str();
    let mut body = String::new();
    body.push_str(&format!(
        "The audit run {} ended {}: {} pages and {} pictures fetched, {} fetch errors.\n\n",
        run.id,
        run.status.as_str(),
        run.counts.pages_fetched,
        run.counts.images_fetched,
        run.counts.fetch_errors
    ));
    body.push_str(&format!("New pictures at {min} risk or above: {new}\n"));
    body.push_str(&format!(
        "Pictures whose risk rose to {min} or above: {up}\n"
    ));
    body.push_str(&format!("Withdrawn pictures still public: {withdrawn}\n\n"));
    for (n, item) in items.iter().take(MAX_LISTED).enumerate() {
        let why = match item.trigger {
            Trigger::New => "new",
            Trigger::RiskUp => "risk went up",
            Trigger::Withdrawn => "WITHDRAWN PICTURE STILL PUBLIC",
        };
        body.push_str(&format!(
            "{}. {} risk (score {}), {}: {}\n",
            n + 1,
            item.risk.as_str().to_uppercase(),
            item.score,
            why,
            item.reasons
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        if settings.include_details {
            for p in &item.pages {
                body.push_str(&format!("   page: {p}\n"));
            }
            for i in &item.images {
                body.push_str(&format!("   picture: {i}\n"));
            }
            for d in &item.details {
                body.push_str(&format!(
                    "   {}: \"{}\" ({})\n",
                    d.kind.as_str().replace('_', " "),
                    d.text,
                    d.location.as_str().replace('_', " ")
                ));
            }
        } else {
            body.push_str(&format!(
                "   on {} page{}, {} cop{} of the picture\n",
                item.pages.len(),
                if item.pages.len() == 1 { "" } else { "s" },
                item.images.len(),
                if item.images.len() == 1 { "y" } else { "ies" },
            ));
        }
    }
    if items.len() > MAX_LISTED {
        body.push_str(&format!(
            "... and {} more in the full report.\n",
            items.len() - MAX_LISTED
        ));
    }
    body.push_str(&format!(
        "\nWhat to do next:\n\
         - Read the full report on the audit server (it stays there; this email \
         does not carry names, addresses or other text from the site{}):\n  \
         exposure-audit report --run {} --format html --output report.html\n\
         - For each picture: take it down, or remove the names, year groups and \
         other details beside it and in its file name, or publish a smaller \
         version without metadata.\n\
         - A withdrawn picture still public must come down: every copy the \
         report lists.\n\
         - Record a picture that must never be public: exposure-audit withdraw \
         <file or URL> --reason \"consent withdrawn\"\n",
        if settings.include_details {
            " beyond those listed above"
        } else {
            ""
        },
        run.id
    ));

    let mut out = Vec::new();
    if settings.smtp_url.is_some() {
        out.push(NewAlert {
            channel: "email",
            subject: subject.clone(),
            body: body.clone(),
            payload: String::new(),
        });
    }
    if settings.webhook_url_env.is_some() {
        let text = format!("{subject}\n\n{body}");
        let payload = WebhookPayload {
            text: &text,
            schema: "exposure-audit/alert/v1",
            run_id: run.id,
            run_status: run.status.as_str(),
            exposures: items
                .iter()
                .map(|i| WebhookExposure {
                    id: &i.exposure_id,
                    risk: i.risk,
                    score: i.score,
                    trigger: i.trigger,
                    reasons: &i.reasons,
                    page_count: i.pages.len(),
                    picture_count: i.images.len(),
                    pages: settings.include_details.then_some(i.pages.as_slice()),
                    pictures: settings.include_details.then_some(i.images.as_slice()),
                    details: settings.include_details.then_some(i.details.as_slice()),
                })
                .collect(),
        };
        out.push(NewAlert {
            channel: "webhook",
            subject,
            body: text.clone(),
            payload: serde_json::to_string(&payload).expect("payload serialises"),
        });
    }
    out
}

/// What one delivery pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    pub failed: usize,
}

/// Delay before the next attempt after `attempts` failed ones.
pub fn backoff(attempts: u32) -> Duration {
    let factor = 1u32 << attempts.saturating_sub(1).min(10);
    (FIRST_BACKOFF * factor).min(MAX_BACKOFF)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Sends every due alert in the outbox. Failures are recorded with the
/// next attempt's time; the pass itself only fails when the database does.
pub async fn deliver_due(
    store: &Store,
    settings: &AlertSettings,
    now: DateTime<Utc>,
) -> Result<Delivered, StoreError> {
    let due = store.due_alerts(&rfc3339(now))?;
    let mut done = Delivered::default();
    for row in due {
        let result = match row.channel.as_str() {
            "email" => send_email(settings, &row).await,
            "webhook" => send_webhook(settings, &row).await,
            other => Err(format!("unknown alert channel `{other}`")),
        };
        match result {
            Ok(()) => {
                store.alert_delivered(row.id, &rfc3339(Utc::now()))?;
                tracing::info!(alert = row.id, run = row.run_id, channel = %row.channel, "alert delivered");
                done.sent += 1;
            }
            Err(e) => {
                let wait = backoff(row.attempts + 1);
                let next = now + chrono::Duration::from_std(wait).expect("backoff fits");
                store.alert_failed(row.id, &e, &rfc3339(next))?;
                tracing::warn!(
                    alert = row.id,
                    channel = %row.channel,
                    attempts = row.attempts + 1,
                    retry_in_secs = wait.as_secs(),
                    error = %e,
                    "alert not delivered; will retry"
                );
                done.failed += 1;
            }
        }
    }
    Ok(done)
}

/// The SMTP password from the environment or the file it names.
fn smtp_password() -> Result<Option<String>, String> {
    if let Ok(p) = std::env::var(SMTP_PASSWORD_ENV) {
        return Ok(Some(p));
    }
    match std::env::var(SMTP_PASSWORD_FILE_ENV) {
        Ok(path) => std::fs::read_to_string(&path)
            .map(|s| Some(s.trim_end_matches(['\r', '\n']).to_string()))
            .map_err(|e| {
                format!("cannot read the SMTP password file named by {SMTP_PASSWORD_FILE_ENV}: {e}")
            }),
        Err(_) => Ok(None),
    }
}

async fn send_email(settings: &AlertSettings, row: &OutboxRow) -> Result<(), String> {
    use lettre::message::header::ContentType;
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

    let Some(url) = settings.smtp_url.as_deref() else {
        return Err("email alerts are no longer configured (alerts.smtp_url)".into());
    };
    let domain = settings
        .from
        .rsplit_once('@')
        .map_or("localhost", |(_, d)| d);
    let mut message = Message::builder()
        .from(
            settings
                .from
                .parse()
                .map_err(|e| format!("alerts.from: {e}"))?,
        )
        .subject(&row.subject)
        .message_id(Some(format!(
            "<exposure-audit.run{}.alert{}@{domain}>",
            row.run_id, row.id
        )))
        .header(ContentType::TEXT_PLAIN);
    for to in &settings.to {
        message = message.to(to.parse().map_err(|e| format!("alerts.to `{to}`: {e}"))?);
    }
    let message = message
        .body(row.body.clone())
        .map_err(|e| format!("cannot build the email: {e}"))?;
    crate::tls::install();
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map_err(|e| format!("alerts.smtp_url: {e}"))?
        .timeout(Some(Duration::from_secs(30)));
    let user = url::Url::parse(url)
        .ok()
        .map(|u| {
            percent_encoding::percent_decode_str(u.username())
                .decode_utf8_lossy()
                .into_owned()
        })
        .filter(|u| !u.is_empty());
    match (user, smtp_password()?) {
        (Some(user), Some(password)) => {
            builder = builder.credentials(Credentials::new(user, password));
        }
        (Some(_), None) => {
            return Err(format!(
                "alerts.smtp_url names a user but neither {SMTP_PASSWORD_ENV} nor {SMTP_PASSWORD_FILE_ENV} is set"
            ))
        }
        _ => {}
    }
    builder
        .build()
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| format!("SMTP: {e}"))
}

async fn send_webhook(settings: &AlertSettings, row: &OutboxRow) -> Result<(), String> {
    let Some(var) = settings.webhook_url_env.as_deref() else {
        return Err("webhook alerts are no longer configured (alerts.webhook_url_env)".into());
    };
    let url = std::env::var(var)
        .map_err(|_| format!("environment variable {var} (the webhook address) is not set"))?;
    crate::tls::install();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    // The address carries the webhook's secret: errors never quote it.
    let response = client
        .post(&url)
        .header("content-type", "application/json")
        .body(row.payload.clone())
        .send()
        .await
        .map_err(|e| format!("webhook: {}", e.without_url()))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("webhook answered {}", response.status()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(include_details: bool) -> AlertSettings {
        AlertSettings {
            smtp_url: Some("smtp://127.0.0.1:2525".into()),
            from: "audit@school.example".into(),
            to: vec!["comms@school.example".into()],
            min_risk: Risk::High,
            include_details,
            webhook_url_env: Some("HOOK".into()),
        }
    }

    fn item(trigger: Trigger) -> AlertItem {
        AlertItem {
            exposure_id: "e1".into(),
            risk: Risk::High,
            score: 90,
            trigger,
            reasons: vec![Reason::Faces, Reason::FullNameNearby],
            pages: vec!["https://school.example/news/sports-day".into()],
            images: vec!["https://school.example/uploads/amelia-jones.jpg".into()],
            details: vec![Detail {
                kind: crate::model::DetailKind::PersonName,
                text: "Amelia Jones".into(),
                location: crate::model::Where::Caption,
                page_url: "https://school.example/news/sports-day".into(),
                role: None,
            }],
        }
    }

    const RUN: RunInfo = RunInfo {
        id: 7,
        status: RunStatus::Complete,
        counts: RunCounts {
            pages_fetched: 10,
            images_fetched: 20,
            fetch_errors: 0,
            bytes_fetched: 0,
            documents_fetched: 0,
            other_fetched: 0,
        },
    };

    #[test]
    fn only_new_or_risen_exposures_at_the_threshold_alert() {
        let s = settings(false);
        let none: &[Reason] = &[];
        assert_eq!(
            trigger(&s, Risk::High, Change::New, None, none),
            Some(Trigger::New)
        );
        assert_eq!(trigger(&s, Risk::Medium, Change::New, None, none), None);
        assert_eq!(
            trigger(&s, Risk::High, Change::Changed, Some(Risk::Medium), none),
            Some(Trigger::RiskUp)
        );
        assert_eq!(
            trigger(&s, Risk::High, Change::Unchanged, Some(Risk::High), none),
            None
        );
        assert_eq!(
            trigger(&s, Risk::High, Change::Resolved, Some(Risk::High), none),
            None
        );
        let withdrawn = [Reason::WithdrawnPictureStillPublic];
        assert_eq!(
            trigger(
                &s,
                Risk::High,
                Change::Unchanged,
                Some(Risk::High),
                &withdrawn
            ),
            Some(Trigger::Withdrawn)
        );
    }

    #[test]
    fn digests_carry_no_personal_details_unless_configured() {
        let items = [item(Trigger::New), item(Trigger::Withdrawn)];
        let quiet = compose(&settings(false), RUN, &items);
        assert_eq!(quiet.len(), 2, "one per channel");
        for a in &quiet {
            assert!(!a.body.contains("Amelia"), "{}", a.body);
            assert!(!a.payload.contains("Amelia"));
            assert!(!a.body.contains("amelia-jones.jpg"));
            assert!(!a.payload.contains("amelia-jones.jpg"));
            assert!(!a.body.contains("school.example/news"), "{}", a.body);
            assert!(!a.payload.contains("school.example/news"));
            assert!(
                a.body.contains("on 1 page, 1 copy of the picture"),
                "{}",
                a.body
            );
            assert!(a.body.contains("New pictures at high risk or above: 1"));
            assert!(a.body.contains("Withdrawn pictures still public: 1"));
        }
        let hook: serde_json::Value = serde_json::from_str(&quiet[1].payload).unwrap();
        assert_eq!(hook["exposures"].as_array().unwrap().len(), 2);
        assert_eq!(hook["exposures"][0]["trigger"], "withdrawn");
        assert_eq!(hook["exposures"][0]["page_count"], 1);
        assert!(hook["exposures"][0].get("pages").is_none());

        let open = compose(&settings(true), RUN, &items);
        assert!(open[0]
            .body
            .contains("person name: \"Amelia Jones\" (caption)"));
        assert!(open[0].body.contains("amelia-jones.jpg"));
        assert!(open[0]
            .body
            .contains("page: https://school.example/news/sports-day"));
        assert!(open[1].payload.contains("Amelia Jones"));
        assert!(compose(&settings(true), RUN, &[]).is_empty());
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(backoff(1), Duration::from_mins(1));
        assert_eq!(backoff(2), Duration::from_mins(2));
        assert_eq!(backoff(4), Duration::from_mins(8));
        assert_eq!(backoff(30), MAX_BACKOFF);
    }
}
