//! Grouping: every copy of one picture (other sizes, crops, recompressions,
//! re-uploads) is one exposure. Near-duplicate search by Hamming distance on
//! 64-bit perceptual hashes through a BK-tree, so grouping is far from
//! quadratic; exposure ids come from the hash that first created them and
//! stay the same from run to run. Pure.

use std::collections::HashMap;

/// Hashes at most this many bits apart are the same picture. Chosen by
/// measurement (docs/hashing.md): resized and recompressed copies differ by
/// 0-4 bits, mild crops by up to about 12, different pictures by 20 or more.
pub const SAME_PICTURE_MAX_DISTANCE: u32 = 10;

/// A BK-tree over 64-bit hashes with Hamming distance.
#[derive(Debug, Default)]
pub struct BkTree {
    nodes: Vec<Node>,
}

#[derive(Debug)]
struct Node {
    hash: u64,
    item: usize,
    children: Vec<(u32, usize)>,
}

impl BkTree {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Adds `hash` carrying `item`.
    pub fn insert(&mut self, hash: u64, item: usize) {
        let new = self.nodes.len();
        self.nodes.push(Node {
            hash,
            item,
            children: Vec::new(),
        });
        if new == 0 {
            return;
        }
        let mut cur = 0;
        loop {
            let d = (self.nodes[cur].hash ^ hash).count_ones();
            match self.nodes[cur].children.iter().find(|(cd, _)| *cd == d) {
                Some(&(_, next)) => cur = next,
                None => {
                    self.nodes[cur].children.push((d, new));
                    return;
                }
            }
        }
    }

    /// Every (item, distance) within `max` bits of `hash`.
    pub fn find(&self, hash: u64, max: u32) -> Vec<(usize, u32)> {
        let mut out = Vec::new();
        if self.nodes.is_empty() {
            return out;
        }
        let mut stack = vec![0usize];
        while let Some(i) = stack.pop() {
            let n = &self.nodes[i];
            let d = (n.hash ^ hash).count_ones();
            if d <= max {
                out.push((n.item, d));
            }
            let (lo, hi) = (d.saturating_sub(max), d + max);
            stack.extend(
                n.children
                    .iter()
                    .filter(|(cd, _)| *cd >= lo && *cd <= hi)
                    .map(|&(_, c)| c),
            );
        }
        out
    }
}

/// The outcome of grouping one run's pictures.
#[derive(Debug, Default, PartialEq)]
pub struct Grouping {
    /// Exposures created by this run: (id, reference hash).
    pub new_exposures: Vec<(String, u64)>,
    /// Every picture of the run: (sha256, exposure id).
    pub assignments: Vec<(String, String)>,
}

/// The stable id of an exposure first created from `hash`.
pub fn exposure_id(hash: u64, taken: &dyn Fn(&str) -> bool) -> String {
    let base = format!("exp-{hash:016x}");
    if !taken(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|id| !taken(id))
        .expect("an unused suffix exists")
}

/// Groups `pictures` (sha256, hash) of a run.
///
/// A picture whose bytes were grouped before keeps its exposure. Otherwise it
/// joins the nearest known exposure within the threshold; failing that,
/// pictures of this run that match each other (single linkage) form a new
/// exposure named after the first of them in sha256 order.
pub fn group(
    pictures: &[(String, u64)],
    known: &[(String, u64)],
    known_pictures: &HashMap<String, String>,
) -> Grouping {
    let mut tree = BkTree::new();
    for (i, (_, h)) in known.iter().enumerate() {
        tree.insert(*h, i);
    }
    let mut taken: std::collections::HashSet<String> =
        known.iter().map(|(id, _)| id.clone()).collect();
    let mut out = Grouping::default();
    let mut unmatched: Vec<usize> = Vec::new();
    for (i, (sha, h)) in pictures.iter().enumerate() {
        if let Some(id) = known_pictures.get(sha) {
            out.assignments.push((sha.clone(), id.clone()));
            continue;
        }
        let best = tree
            .find(*h, SAME_PICTURE_MAX_DISTANCE)
            .into_iter()
            .min_by_key(|&(item, d)| (d, item));
        match best {
            Some((item, _)) => out.assignments.push((sha.clone(), known[item].0.clone())),
            None => unmatched.push(i),
        }
    }
    // Single-linkage clusters among the unmatched, through a BK-tree of them.
    let mut local = BkTree::new();
    for (k, &i) in unmatched.iter().enumerate() {
        local.insert(pictures[i].1, k);
    }
    let mut parent: Vec<usize> = (0..unmatched.len()).collect();
    fn root(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for (k, &i) in unmatched.iter().enumerate() {
        for (other, _) in local.find(pictures[i].1, SAME_PICTURE_MAX_DISTANCE) {
            let (a, b) = (root(&mut parent, k), root(&mut parent, other));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut ids: HashMap<usize, String> = HashMap::new();
    for (k, &i) in unmatched.iter().enumerate() {
        let r = root(&mut parent, k);
        let id = ids
            .entry(r)
            .or_insert_with(|| {
                let h = pictures[unmatched[r]].1;
                let id = exposure_id(h, &|c| taken.contains(c));
                taken.insert(id.clone());
                out.new_exposures.push((id.clone(), h));
                id
            })
            .clone();
        out.assignments.push((pictures[i].0.clone(), id));
    }
    out
}

/// Joins pictures known to be one picture whatever their hashes say (for
/// instance WordPress size variants of one upload, whose square crops can be
/// far apart in hash). Each linked set goes to the exposure most of its
/// pictures already have (ties: the oldest, i.e. smallest id); exposures this
/// run created that end up empty are dropped.
pub fn merge_linked(grouping: &mut Grouping, links: &[(String, String)]) {
    if links.is_empty() {
        return;
    }
    let index: HashMap<&str, usize> = grouping
        .assignments
        .iter()
        .enumerate()
        .map(|(i, (s, _))| (s.as_str(), i))
        .collect();
    let n = grouping.assignments.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let union = |p: &mut Vec<usize>, a: usize, b: usize| {
        let (ra, rb) = (root(p, a), root(p, b));
        if ra != rb {
            p[ra.max(rb)] = ra.min(rb);
        }
    };
    // Pictures already in one exposure stay together.
    let mut first_of: HashMap<&str, usize> = HashMap::new();
    for (i, (_, e)) in grouping.assignments.iter().enumerate() {
        let f = *first_of.entry(e.as_str()).or_insert(i);
        union(&mut parent, f, i);
    }
    for (a, b) in links {
        if let (Some(&x), Some(&y)) = (index.get(a.as_str()), index.get(b.as_str())) {
            union(&mut parent, x, y);
        }
    }
    let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..n {
        let r = root(&mut parent, i);
        members.entry(r).or_default().push(i);
    }
    for group in members.values() {
        let mut votes: HashMap<&str, usize> = HashMap::new();
        for &i in group {
            *votes.entry(grouping.assignments[i].1.as_str()).or_default() += 1;
        }
        if votes.len() < 2 {
            continue;
        }
        let winner = votes
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
            .map(|(e, _)| e.to_string())
            .expect("non-empty group");
        for &i in group {
            grouping.assignments[i].1.clone_from(&winner);
        }
    }
    let used: std::collections::HashSet<&str> = grouping
        .assignments
        .iter()
        .map(|(_, e)| e.as_str())
        .collect();
    let keep: Vec<(String, u64)> = grouping
        .new_exposures
        .iter()
        .filter(|(id, _)| used.contains(id.as_str()))
        .cloned()
        .collect();
    grouping.new_exposures = keep;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bk_tree_matches_brute_force() {
        let mut x: u64 = 0x9e3779b97f4a7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let hashes: Vec<u64> = (0..2000)
            .map(|i| {
                if i % 3 == 0 {
                    next()
                } else {
                    next() & 0xffff_0000_ffff_0000
                }
            })
            .collect();
        let mut tree = BkTree::new();
        for (i, h) in hashes.iter().enumerate() {
            tree.insert(*h, i);
        }
        for q in hashes.iter().take(50) {
            let mut got: Vec<usize> = tree.find(*q, 12).into_iter().map(|(i, _)| i).collect();
            got.sort();
            let want: Vec<usize> = hashes
                .iter()
                .enumerate()
                .filter(|(_, h)| (*h ^ q).count_ones() <= 12)
                .map(|(i, _)| i)
                .collect();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn copies_join_and_ids_are_stable() {
        let a = 0xf0f0_f0f0_0f0f_0f0fu64;
        let a_copy = a ^ 0b111; // 3 bits away
        let b = !a;
        let pics = vec![
            ("s1".to_string(), a),
            ("s2".to_string(), a_copy),
            ("s3".to_string(), b),
        ];
        let g = group(&pics, &[], &HashMap::new());
        assert_eq!(g.new_exposures.len(), 2);
        let id_of = |g: &Grouping, s: &str| {
            g.assignments
                .iter()
                .find(|(x, _)| x == s)
                .unwrap()
                .1
                .clone()
        };
        assert_eq!(id_of(&g, "s1"), id_of(&g, "s2"));
        assert_ne!(id_of(&g, "s1"), id_of(&g, "s3"));
        // Next run: a recompressed re-upload joins the known exposure.
        let known = g.new_exposures.clone();
        let next = vec![("s4".to_string(), a ^ 0b1_0000_0001)];
        let g2 = group(&next, &known, &HashMap::new());
        assert!(g2.new_exposures.is_empty());
        assert_eq!(id_of(&g2, "s4"), id_of(&g, "s1"));
        // Known bytes keep their exposure whatever the hash index says.
        let kp: HashMap<String, String> = [("s3".to_string(), "exp-x".to_string())].into();
        assert_eq!(
            id_of(&group(&[("s3".into(), b)], &known, &kp), "s3"),
            "exp-x"
        );
    }

    #[test]
    fn linked_pictures_join_one_exposure() {
        let a = 0xf0f0_f0f0_0f0f_0f0fu64;
        let crop = 0x1234_5678_9abc_def0u64; // far from `a` in hash
        let pics = vec![
            ("orig".to_string(), a),
            ("copy".to_string(), a ^ 1),
            ("thumb".to_string(), crop),
        ];
        let mut g = group(&pics, &[], &HashMap::new());
        assert_eq!(g.new_exposures.len(), 2);
        merge_linked(&mut g, &[("orig".into(), "thumb".into())]);
        assert_eq!(g.new_exposures.len(), 1);
        let ids: std::collections::HashSet<&str> =
            g.assignments.iter().map(|(_, e)| e.as_str()).collect();
        assert_eq!(ids.len(), 1);
        assert_eq!(g.new_exposures[0].1, a, "the majority's exposure wins");
    }

    #[test]
    fn id_collisions_get_a_suffix() {
        let taken = |s: &str| s == "exp-0000000000000001";
        assert_eq!(exposure_id(1, &taken), "exp-0000000000000001-2");
    }
}
