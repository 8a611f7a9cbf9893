//! `demo`: the bundled demo site served, audited and reported.

use super::*;

/// `demo`: serve the bundled site, audit it, write the reports.
pub async fn demo_cmd(output: &Path) -> Exit {
    let Some(site) = crate::demo::demo_site_dir() else {
        eprintln!(
            "exposure-audit: cannot find the demo site ({}); run `demo` from the source folder",
            crate::demo::DEMO_SITE
        );
        return Exit::Usage;
    };
    let server = match crate::demo::serve_site(site, crate::demo::DEMO_PORT).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("exposure-audit: cannot serve the demo site on 127.0.0.1: {e}");
            return Exit::Failed;
        }
    };
    let db = output.join("exposure-audit.db");
    let config_text = demo_config(&server.url(), &db);
    let config =
        Config::parse(&config_text, Path::new("<demo>")).expect("the demo config is valid");
    println!("Serving the demo school website at {}", server.url());
    let summary = match crate::audit::run(&config, progress()).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("exposure-audit: {e}");
            return Exit::Failed;
        }
    };
    print!("{}", summary_text(&summary));
    for (name, format) in [
        ("report.html", Format::Html),
        ("report.json", Format::Json),
        ("report.csv", Format::Csv),
    ] {
        let run = summary.run_id.to_string();
        let path = output.join(name);
        if let Err((exit, msg)) = report_to_file(&db, &run, None, (format, false), &path) {
            eprintln!("exposure-audit: {msg}");
            return exit;
        }
    }
    println!(
        "Reports written to {}/ (report.html, report.json, report.csv); database {}",
        output.display(),
        db.display()
    );
    println!("Run `exposure-audit demo` again to see a second, conditional run of the same site.");
    exit_for(summary.status)
}

/// The demo's config: the bundled site on loopback, a local database.
pub fn demo_config(site_url: &str, db: &Path) -> String {
    format!(
        r#"[storage]
database = "{}"

[crawl]
per_host_delay_ms = 10
concurrency = 4

[[sources]]
kind = "website"
name = "Riverside Primary (demo)"
start_urls = ["{site_url}"]
"#,
        db.display().to_string().replace('\\', "/")
    )
}
