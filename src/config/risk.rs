//! `[risk]`: the scoring policy's keys, checked.

use super::*;

impl Ctx<'_> {
    pub(super) fn risk(&self, r: &RawRisk) -> Result<crate::risk::Policy, ConfigError> {
        use crate::risk;
        let mut policy = risk::Policy {
            base: self.number(r.base.as_ref(), "risk.base", 0, 100, u64::from(risk::BASE))? as u32,
            high_from: self.number(
                r.high_from.as_ref(),
                "risk.high_from",
                1,
                100,
                u64::from(risk::HIGH_FROM),
            )? as u32,
            medium_from: self.number(
                r.medium_from.as_ref(),
                "risk.medium_from",
                1,
                100,
                u64::from(risk::MEDIUM_FROM),
            )? as u32,
            max_published_side: self.number(
                r.max_published_side.as_ref(),
                "risk.max_published_side",
                16,
                100_000,
                u64::from(risk::MAX_PUBLISHED_SIDE),
            )? as u32,
            ..risk::Policy::default()
        };
        if policy.medium_from > policy.high_from {
            let span = r.medium_from.as_ref().map(toml::Spanned::span);
            return Err(self.err(
                span,
                "key `risk.medium_from` must not be above `risk.high_from`",
            ));
        }
        if let Some(w) = &r.weights {
            for (name, value) in w.get_ref() {
                let reason = crate::model::Reason::parse(name)
                    .ok()
                    .filter(|r| policy.weights.contains_key(r));
                let Some(reason) = reason else {
                    let known: Vec<&str> = risk::WEIGHTS.iter().map(|(n, _)| n.as_str()).collect();
                    return Err(self.at(
                        w,
                        format!(
                            "key `risk.weights.{name}`: no such reason; the reasons are {}",
                            known.join(", ")
                        ),
                    ));
                };
                if !(0..=100).contains(value) {
                    return Err(self.at(
                        w,
                        format!(
                            "key `risk.weights.{name}` must be between 0 and 100, found {value}"
                        ),
                    ));
                }
                policy.weights.insert(reason, *value as u32);
            }
        }
        Ok(policy)
    }
}
