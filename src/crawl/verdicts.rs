//! What each AI crawler may do with each picture: verdicts from robots.txt,
//! X-Robots-Tag and page directives, interned so a site's thousands of
//! sightings share a few maps.

use super::*;

impl std::fmt::Debug for Pictures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pictures")
            .field("known", &self.known.len())
            .field("waiting", &self.waiting.len())
            .field("verdict_maps", &self.interned.len())
            .finish_non_exhaustive()
    }
}

/// Distinct values, each held once and named by its place.
pub(super) struct Interned<T> {
    values: Vec<T>,
    places: HashMap<T, u32>,
}

impl<T: Default> Default for Interned<T> {
    fn default() -> Self {
        Interned {
            values: vec![T::default()],
            places: HashMap::new(),
        }
    }
}

impl<T: Clone + Eq + std::hash::Hash + Default> Interned<T> {
    pub(super) fn place(&mut self, value: T) -> u32 {
        if value == T::default() {
            return 0;
        }
        if let Some(&p) = self.places.get(&value) {
            return p;
        }
        let p = self.values.len() as u32;
        self.values.push(value.clone());
        self.places.insert(value, p);
        p
    }
}

impl Pictures {
    /// Records what a picture's verdicts need once its fetch has ended or
    /// will not happen.
    pub(super) fn know(
        &mut self,
        url: &str,
        x_robots_tag: Option<String>,
        rules: Option<Arc<HostRobots>>,
    ) {
        let tag = self.tags.place(x_robots_tag);
        // 0: not a URL; host n: hosts[n - 1].
        let host = match rules {
            None => 0,
            Some(r) => *self
                .host_places
                .entry(Arc::as_ptr(&r) as usize)
                .or_insert_with(|| {
                    self.hosts.push(r);
                    self.hosts.len() as u32
                }),
        };
        self.known.insert(Fingerprints::of(url), (tag, host));
    }

    /// Whether some page of this run linked the address.
    pub fn sighted(&self, url: &str) -> bool {
        self.known.contains_key(&Fingerprints::of(url)) || self.waiting.contains_key(url)
    }

    pub(super) fn count_address(&mut self, url: &str) {
        if let Ok(u) = Url::parse(url) {
            self.by_origin
                .entry(u.origin().ascii_serialization())
                .or_default()
                .1 += 1;
        }
    }

    /// A sighting's robots verdicts, from what is known of its picture.
    pub(super) fn verdicts(&mut self, crawlers: &[Crawler], s: &Sighting) -> Arc<RobotsVerdicts> {
        let known = self.known.get(&Fingerprints::of(&s.image_url));
        let known = known.and_then(|&(tag, host)| {
            let rules = self.hosts.get((host as usize).checked_sub(1)?)?;
            Some((&self.tags.values[tag as usize], rules))
        });
        let verdicts = match known {
            Some((tags, rules)) => {
                let image_tags =
                    robots::parse_directives(&tags.iter().map(String::as_str).collect::<Vec<_>>());
                let page_tags = robots::parse_directives(
                    &s.page_robots.iter().map(String::as_str).collect::<Vec<_>>(),
                );
                robots::verdicts(crawlers, rules, &s.image_url, &image_tags, &page_tags)
            }
            _ => RobotsVerdicts::default(),
        };
        let verdicts = self
            .interned
            .entry(verdicts)
            .or_insert_with_key(|v| Arc::new(v.clone()))
            .clone();
        if let Ok(u) = Url::parse(&s.image_url) {
            let agents = &mut self
                .by_origin
                .entry(u.origin().ascii_serialization())
                .or_default()
                .0;
            for (agent, verdict) in verdicts.iter() {
                if agent != "*" && *verdict == Verdict::Allowed && !agents.contains(agent) {
                    agents.insert(agent.clone());
                }
            }
        }
        verdicts
    }

    /// One finding per picture host whose pictures some AI or dataset
    /// crawler may take, by what robots.txt and the headers say and what
    /// it obeys.
    pub(super) fn findings(&self) -> Vec<SiteFinding> {
        self.by_origin
            .iter()
            .filter(|(_, (agents, _))| !agents.is_empty())
            .map(|(origin, (agents, addresses))| SiteFinding {
                kind: FindingKind::RobotsAllowsAiCrawlers,
                url: format!("{origin}/robots.txt"),
                detail: format!(
                    "pictures on this host ({addresses} addresses) may be taken by {}",
                    agents
                        .iter()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
            .collect()
    }
}
