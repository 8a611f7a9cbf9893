use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("test.toml"))
}

#[test]
fn example_config_parses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/exposure-audit.toml");
    let config = Config::load(&path).expect("example config is valid");
    assert!(!config.sources.is_empty());
    assert_eq!(config.crawl.robots, RobotsMode::Evaluate);
}

#[test]
fn defaults_apply() {
    let c = parse("[[sources]]\nkind = \"website\"\nstart_urls = [\"https://school.example/\"]\n")
        .unwrap();
    assert_eq!(c.crawl.max_pages, defaults::MAX_PAGES);
    assert_eq!(c.storage.database, PathBuf::from(defaults::DATABASE));
    match &c.sources[0].kind {
        SourceKind::Website { allowed_hosts, .. } => {
            assert_eq!(allowed_hosts, &vec!["school.example".to_string()]);
        }
        other => panic!("wrong kind {other:?}"),
    }
}

#[test]
fn unknown_key_names_key_and_line() {
    let e = parse("[crawl]\nmax_pages = 10\nmax_pagez = 3\n").unwrap_err();
    assert_eq!(e.line(), Some(3), "{e}");
    assert!(e.to_string().contains("max_pagez"), "{e}");
}

#[test]
fn out_of_range_names_key_and_line() {
    let e = parse("\n[crawl]\nconcurrency = 0\n").unwrap_err();
    assert_eq!(e.line(), Some(3));
    assert!(e.to_string().contains("crawl.concurrency"), "{e}");
}

#[test]
fn bad_start_url_names_line() {
    let e = parse("[[sources]]\nkind = \"website\"\nstart_urls = [\n  \"https://ok.example/\",\n  \"ftp://bad.example/\",\n]\n")
        .unwrap_err();
    assert_eq!(e.line(), Some(5), "{e}");
    assert!(e.to_string().contains("sources[0].start_urls"), "{e}");
}

#[test]
fn key_of_another_kind_is_refused() {
    let e =
        parse("[[sources]]\nkind = \"feed\"\nurl = \"https://a.example/feed\"\npage_id = \"1\"\n")
            .unwrap_err();
    assert_eq!(e.line(), Some(4));
    assert!(e.to_string().contains("page_id"), "{e}");
}

#[test]
fn schedule_and_alert_errors_name_key_and_line() {
    let cases = [
        ("[schedule]\ncron = \"61 3 * * *\"\n", "schedule.cron", 2),
        ("[schedule]\ncron = \"0 3 * *\"\n", "schedule.cron", 2),
        (
            "[schedule]\ncron = \"0 3 * * Mon\"\ntimezone = \"Europe/Londres\"\n",
            "schedule.timezone",
            3,
        ),
        ("\n[alerts]\nmin_risk = \"high\"\n", "smtp_url", 2),
        (
            "[alerts]\nsmtp_url = \"smtp://127.0.0.1:25\"\nto = [\"d@e.f\"]\n",
            "alerts.from",
            1,
        ),
        (
            "[alerts]\nwebhook_url_env = \"https://hooks.example/x\"\n",
            "alerts.webhook_url_env",
            2,
        ),
        ("[logging]\nformat = \"xml\"\n", "format", 2),
    ];
    for (text, key, line) in cases {
        let e = parse(text).unwrap_err();
        assert!(e.to_string().contains(key), "{text}: {e}");
        assert_eq!(e.line(), Some(line), "{text}: {e}");
    }
}

#[test]
fn schedule_parses_five_and_six_fields_in_a_time_zone() {
    let c = parse("[schedule]\ncron = \"0 3 * * Mon\"\ntimezone = \"Europe/London\"\n").unwrap();
    let s = c.schedule.unwrap();
    assert_eq!(s.tz, chrono_tz::Europe::London);
    let c = parse("[schedule]\ncron = \"30 0 3 * * *\"\n").unwrap();
    assert_eq!(c.schedule.unwrap().tz, chrono_tz::UTC);
    let c = parse("[alerts]\nwebhook_url_env = \"TEAMS_HOOK\"\n[logging]\nformat = \"json\"\n")
        .unwrap();
    let a = c.alerts.unwrap();
    assert!(a.smtp_url.is_none());
    assert_eq!(a.webhook_url_env.as_deref(), Some("TEAMS_HOOK"));
    assert_eq!(c.logging.format, LogFormat::Json);
}

#[test]
fn password_in_smtp_url_is_refused() {
    let e = parse("[alerts]\nsmtp_url = \"smtp://u:secret@127.0.0.1:25\"\nfrom = \"a@b.c\"\nto = [\"d@e.f\"]\n").unwrap_err();
    assert!(
        e.to_string().contains("EXPOSURE_AUDIT_SMTP_PASSWORD"),
        "{e}"
    );
    assert!(
        !e.to_string().contains("secret"),
        "the error must not echo the secret: {e}"
    );
}

/// Issue 16, item 5: a syntax error on or after the `smtp_url` line
/// names the key and line but never quotes the password.
#[test]
fn syntax_errors_never_quote_a_secret() {
    let url = "smtp_url = \"smtp://u:hunter2@127.0.0.1:25\"";
    for text in [
        format!("[alerts]\n{url}\n{url}\nfrom = \"a@b.c\"\nto = [\"d@e.f\"]\n"),
        format!("[alerts]\n{url} stray\nfrom = \"a@b.c\"\nto = [\"d@e.f\"]\n"),
        format!("[alerts]\n{url}\nfrom = \"a@b.c\" \"x\"\n"),
        "[[sources]]\nkind = \"facebook_page\"\ntoken_env = \"EAAGhunter2\" x\n".to_string(),
    ] {
        let e = parse(&text).unwrap_err().to_string();
        assert!(!e.contains("hunter2"), "the error quotes the secret: {e}");
        assert!(e.contains("line"), "{e}");
    }
    let e = parse(&format!("[alerts]\n{url} stray\n")).unwrap_err();
    assert_eq!(e.line(), Some(2), "{e}");
    assert!(e.to_string().contains("smtp_url"), "{e}");
    assert_eq!(
        redact_userinfo("bad `smtp://me:pw@host:25/` here"),
        "bad `smtp://…@host:25/` here"
    );
}

#[test]
fn token_must_be_a_variable_name() {
    let e = parse(
        "[[sources]]\nkind = \"facebook_page\"\npage_id = \"1\"\ntoken_env = \"EAAB-xyz.123\"\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("token_env"), "{e}");
}

#[test]
fn duplicate_key_names_the_key_and_line() {
    let e = parse("[crawl]\nmax_retries = 1\nmax_retries = 0\n").unwrap_err();
    assert_eq!(e.line(), Some(3), "{e}");
    assert!(
        e.to_string()
            .contains("duplicate key (in the `max_retries` line)"),
        "{e}"
    );
}

#[test]
fn risk_weights_are_configurable_and_checked() {
    use crate::model::Reason;
    let c = parse("[risk]\nhigh_from = 80\n[risk.weights]\nfaces = 30\n").unwrap();
    assert_eq!(c.risk.high_from, 80);
    assert_eq!(c.risk.weights[&Reason::Faces], 30);
    assert_eq!(
        c.risk.weights[&Reason::GpsInMetadata],
        crate::risk::Policy::default().weights[&Reason::GpsInMetadata]
    );
    let e = parse("[risk]\n[risk.weights]\nfacez = 30\n").unwrap_err();
    assert!(
        e.to_string().contains("risk.weights.facez") && e.line() == Some(2),
        "{e}"
    );
}

#[test]
fn bad_enum_value_names_line() {
    let e = parse("[crawl]\nrobots = \"ignore\"\n").unwrap_err();
    assert_eq!(e.line(), Some(2), "{e}");
}

#[test]
fn duplicate_source_names_refused() {
    let e = parse(
        "[[sources]]\nkind = \"page\"\nname = \"A\"\nurl = \"https://a.example/\"\n[[sources]]\nkind = \"page\"\nname = \"A\"\nurl = \"https://b.example/\"\n",
    )
    .unwrap_err();
    assert_eq!(e.line(), Some(7), "{e}");
}
