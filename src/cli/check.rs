//! `check`: what would be audited, and the privacy warnings of a config.

use super::*;

/// What `check-config` prints: what would be audited, and how.
pub fn describe(config: &Config) -> String {
    let mut s = String::from("config is valid\n");
    s.push_str(&format!(
        "database: {}\n",
        config.storage.database.display()
    ));
    let c = &config.crawl;
    s.push_str(&format!(
        "crawl: up to {} pages per source, depth {}, {} requests in flight, {} ms between requests to one host, robots {:?}\n",
        c.max_pages,
        c.max_depth,
        c.concurrency,
        c.per_host_delay.as_millis(),
        c.robots
    ));
    for src in &config.sources {
        let what = match &src.kind {
            SourceKind::Website {
                start_urls,
                allowed_hosts,
            } => format!(
                "from {} on {}",
                start_urls
                    .iter()
                    .map(url::Url::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
                allowed_hosts.join(", ")
            ),
            SourceKind::Feed { url } | SourceKind::Page { url } => url.to_string(),
            SourceKind::Mastodon { base_url, account }
            | SourceKind::Bluesky { base_url, account } => format!(
                "{account} at {base_url}, up to {} pages of posts{}",
                src.api.max_pages,
                src.api
                    .since
                    .map(|d| format!(" since {d}"))
                    .unwrap_or_default()
            ),
            SourceKind::FacebookPage {
                page_id: id,
                token_env,
                base_url,
            }
            | SourceKind::Instagram {
                account_id: id,
                token_env,
                base_url,
            } => {
                let token = if std::env::var_os(token_env).is_some() {
                    "set"
                } else {
                    "NOT SET in this environment"
                };
                format!(
                    "{id} at {base_url}, token from ${token_env} ({token}), up to {} pages of posts{}",
                    src.api.max_pages,
                    src.api.since.map(|d| format!(" since {d}")).unwrap_or_default()
                )
            }
        };
        s.push_str(&format!(
            "source \"{}\" ({}): {what}\n",
            src.name,
            src.kind.label()
        ));
    }
    if config.sources.is_empty() {
        s.push_str("warning: no [[sources]]: an audit would have nothing to look at\n");
    }
    if let Some(a) = &config.alerts {
        let mut channels = Vec::new();
        if a.smtp_url.is_some() {
            channels.push(format!("email to {} recipient(s)", a.to.len()));
            let user = a
                .smtp_url
                .as_deref()
                .and_then(|u| url::Url::parse(u).ok())
                .is_some_and(|u| !u.username().is_empty());
            let has_password = std::env::var_os(crate::alerts::SMTP_PASSWORD_ENV).is_some()
                || std::env::var_os(crate::alerts::SMTP_PASSWORD_FILE_ENV).is_some();
            if user && !has_password {
                s.push_str(&format!(
                    "warning: alerts.smtp_url names a user but neither {} nor {} is set in this environment\n",
                    crate::alerts::SMTP_PASSWORD_ENV,
                    crate::alerts::SMTP_PASSWORD_FILE_ENV
                ));
            }
        }
        if let Some(var) = &a.webhook_url_env {
            channels.push(format!("webhook from ${var}"));
            if std::env::var_os(var).is_none() {
                s.push_str(&format!(
                    "warning: alerts.webhook_url_env names {var}, which is not set in this environment\n"
                ));
            }
        }
        s.push_str(&format!(
            "alerts: {} at risk {} and above, {}\n",
            channels.join(" and "),
            a.min_risk.as_str(),
            if a.include_details {
                "with names and other details (include_details = true)"
            } else {
                "without personal details"
            }
        ));
    }
    if let Some(sch) = &config.schedule {
        let next = crate::daemon::next_due(sch, chrono::Utc::now()).map_or_else(
            || "never".into(),
            |t| {
                t.with_timezone(&sch.tz)
                    .format("%a %Y-%m-%d %H:%M %Z")
                    .to_string()
            },
        );
        s.push_str(&format!(
            "schedule: \"{}\" in {}: next audit {next}\n",
            sch.cron, sch.timezone
        ));
    }
    s
}

/// What `check-config` warns about the auditor's own data protection: a
/// database others can read, a config file others can change, and values
/// that look like secrets written into the config.
pub fn privacy_warnings(config: &Config, config_path: &Path) -> Vec<String> {
    let mut out = Vec::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| {
            std::fs::metadata(p)
                .ok()
                .map(|m| m.permissions().mode() & 0o777)
        };
        let db = &config.storage.database;
        if let Some(m) = mode(db).filter(|m| m & 0o077 != 0) {
            out.push(format!(
                "the database {} can be read by other users (mode {m:o}); it holds children's personal data: chmod 600 it",
                db.display()
            ));
        }
        let dir = db
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if db.exists() {
            if let Some(m) = mode(dir).filter(|m| m & 0o007 != 0) {
                out.push(format!(
                    "the database's folder {} is open to all users (mode {m:o}): chmod 700 it",
                    dir.display()
                ));
            }
        }
        if let Some(m) = mode(config_path).filter(|m| m & 0o022 != 0) {
            out.push(format!(
                "the config file {} can be changed by other users (mode {m:o}): chmod go-w it",
                config_path.display()
            ));
        }
    }
    let text = std::fs::read_to_string(config_path).unwrap_or_default();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim().trim_matches('"'));
        let looks_like_token = value.len() >= 32
            && !value.contains(['/', ':', ' ', '.'])
            && value.chars().any(|c| c.is_ascii_lowercase())
            && value.chars().any(|c| c.is_ascii_uppercase())
            && value.chars().any(|c| c.is_ascii_digit());
        let webhook = [
            "hooks.slack.com",
            "webhook.office.com",
            "discord.com/api/webhooks",
        ]
        .iter()
        .any(|h| value.contains(h));
        if (key.ends_with("_env") && looks_like_token) || webhook {
            out.push(format!(
                "line {} (`{key}`) looks like a secret written into the config: put it in an environment variable and name the variable here",
                n + 1
            ));
        }
    }
    out
}
