//! `check-photo`: a picture checked before it is posted.

use super::*;

pub(super) fn check_photo_cmd(
    config: &Config,
    file: &Path,
    caption: Option<&str>,
    format: CheckFormat,
) -> Exit {
    match crate::check_photo::check(config, file, caption) {
        Ok(v) => {
            match format {
                CheckFormat::Text => {
                    print!("{}", escape_controls(&crate::check_photo::render_text(&v)));
                }
                CheckFormat::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&v).expect("verdict serialises")
                ),
            }
            if v.safe_to_post {
                Exit::Ok
            } else {
                Exit::Unsafe
            }
        }
        Err(e) => {
            eprintln!("exposure-audit: {e}");
            match e {
                crate::check_photo::CheckError::Store(_) => Exit::Failed,
                _ => Exit::Usage,
            }
        }
    }
}
