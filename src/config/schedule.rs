//! `[schedule]`: when the daemon audits.

use super::*;

#[derive(Debug, Clone)]
pub struct ScheduleSettings {
    pub cron: String,
    pub timezone: String,
    /// The parsed pattern; `cron` is kept for messages.
    pub pattern: croner::Cron,
    pub tz: chrono_tz::Tz,
}
impl Ctx<'_> {
    pub(super) fn schedule(&self, s: RawSchedule) -> Result<ScheduleSettings, ConfigError> {
        let text = s.cron.get_ref().trim().to_string();
        let fields = text.split_whitespace().count();
        if !(5..=6).contains(&fields) {
            return Err(self.at(
                &s.cron,
                format!(
                    "key `schedule.cron`: `{text}` has {fields} fields; use 5 (minute hour day month weekday) or 6 with a leading seconds field"
                ),
            ));
        }
        let pattern = croner::parser::CronParser::builder()
            .seconds(if fields == 6 {
                croner::parser::Seconds::Required
            } else {
                croner::parser::Seconds::Disallowed
            })
            .build()
            .parse(&text)
            .map_err(|e| {
                self.at(
                    &s.cron,
                    format!("key `schedule.cron`: `{text}` is not a cron pattern ({e})"),
                )
            })?;
        let (timezone, tz) = match s.timezone {
            None => ("UTC".to_string(), chrono_tz::UTC),
            Some(t) => {
                let tz: chrono_tz::Tz = t.get_ref().parse().map_err(|_| {
                    self.at(
                        &t,
                        format!(
                            "key `schedule.timezone`: `{}` is not an IANA time zone (for example Europe/London)",
                            t.get_ref()
                        ),
                    )
                })?;
                (t.into_inner(), tz)
            }
        };
        Ok(ScheduleSettings {
            cron: text,
            timezone,
            pattern,
            tz,
        })
    }
}
