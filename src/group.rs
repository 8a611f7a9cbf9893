//! Grouping: every copy of one picture (other sizes, crops, recompressions,
//! re-uploads) is one exposure. Near-duplicate search by Hamming distance on
//! 64-bit perceptual hashes through a multi-index hash table
//! ([`HammingIndex`]); exposure ids come from the hash that first created
//! them and stay the same from run to run. Pure.
//!
//! Why not the BK-tree for grouping: at a radius of 10 bits out of 64 a
//! BK-tree visits nearly every node (distances between unrelated hashes
//! cluster around 32, and every child within 10 of that is searched), so
//! grouping a run was quadratic. The BK-tree stays for the small sets
//! (takedown register, lookups).

use std::collections::HashMap;

use crate::model::ExposureList;

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
            if let Some(&(_, next)) = self.nodes[cur].children.iter().find(|(cd, _)| *cd == d) {
                cur = next;
            } else {
                self.nodes[cur].children.push((d, new));
                return;
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

/// Multi-index hashing (Norouzi et al.) for exact Hamming-radius search:
/// the 64 bits are cut into four 16-bit parts, each indexed in a table
/// sorted by its value. Two hashes within `max` bits of each other differ
/// in at most `max / 4` bits in at least one part (pigeonhole), so a query
/// looks up, in each table, every value within `max / 4` bits of its own
/// part (137 values for `max` = 8 to 11) and checks the candidates' full
/// distance. Exact: it finds what a linear scan finds.
#[derive(Debug, Default)]
pub struct HammingIndex {
    len: usize,
    /// Per part: start of each 16-bit value's run (65,537 entries).
    offsets: [Vec<u32>; 4],
    /// Per part: the hashes sorted by that part's value, so a bucket is one
    /// sequential run of 8-byte words...
    sorted: [Vec<u64>; 4],
    /// ... and, beside them, which item each is.
    items: [Vec<u32>; 4],
}

impl HammingIndex {
    pub fn new(hashes: &[u64]) -> Self {
        let part = |h: u64, c: usize| ((h >> (16 * c)) & 0xffff) as usize;
        let mut offsets: [Vec<u32>; 4] = Default::default();
        let mut sorted_all: [Vec<u64>; 4] = Default::default();
        let mut items: [Vec<u32>; 4] = Default::default();
        for c in 0..4 {
            let mut counts = vec![0u32; 65_537];
            for &h in hashes {
                counts[part(h, c) + 1] += 1;
            }
            for v in 1..counts.len() {
                counts[v] += counts[v - 1];
            }
            let mut next = counts.clone();
            let mut sorted = vec![0u64; hashes.len()];
            let mut ids = vec![0u32; hashes.len()];
            for (i, &h) in hashes.iter().enumerate() {
                let slot = &mut next[part(h, c)];
                sorted[*slot as usize] = h;
                ids[*slot as usize] = i as u32;
                *slot += 1;
            }
            offsets[c] = counts;
            sorted_all[c] = sorted;
            items[c] = ids;
        }
        HammingIndex {
            len: hashes.len(),
            offsets,
            sorted: sorted_all,
            items,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn bucket(&self, c: usize, v: usize) -> std::ops::Range<usize> {
        self.offsets[c][v] as usize..self.offsets[c][v + 1] as usize
    }

    /// Calls `f(i, j, distance)` once for every pair of items `i < j` within
    /// `max` bits of each other: the same pairs as a query per item, found
    /// as a join of each part's table with itself (bucket `v` against bucket
    /// `v ^ m` for every mask `m` within `max / 4` bits), which reads the
    /// tables in order instead of jumping to 548 buckets per item. One
    /// million hashes: docs/performance.md.
    pub fn for_each_pair_within(&self, max: u32, mut f: impl FnMut(usize, usize, u32)) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("popcnt") {
            // SAFETY: the CPU has the instruction the function is compiled for.
            unsafe { self.pairs_popcnt(max, &mut f) };
            return;
        }
        self.pairs(max, &mut f);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "popcnt")]
    unsafe fn pairs_popcnt(&self, max: u32, f: &mut dyn FnMut(usize, usize, u32)) {
        self.pairs(max, f);
    }

    // Inlined into the popcnt-enabled copy above, so the loop is compiled
    // with popcnt (docs/performance.md, grouping).
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn pairs(&self, max: u32, f: &mut dyn FnMut(usize, usize, u32)) {
        let r = max / 4;
        let masks = part_masks(r);
        for c in 0..4 {
            let hashes = &self.sorted[c];
            let items = &self.items[c];
            let mut report = |x: usize, y: usize, d: u32| {
                if first_part_within(hashes[x] ^ hashes[y], c, r) {
                    let (i, j) = (items[x] as usize, items[y] as usize);
                    f(i.min(j), i.max(j), d);
                }
            };
            for &m in masks.iter() {
                for v in 0..=0xffffusize {
                    let u = v ^ m as usize;
                    if u < v {
                        continue;
                    }
                    let a = self.bucket(c, v);
                    if a.is_empty() {
                        continue;
                    }
                    let b = self.bucket(c, u);
                    for x in a.clone() {
                        let hx = hashes[x];
                        // Within one bucket each pair once; across two, all.
                        let from = if m == 0 { x + 1 } else { b.start };
                        for (k, &hy) in hashes[from..b.end].iter().enumerate() {
                            let d = (hx ^ hy).count_ones();
                            if d <= max {
                                report(x, from + k, d);
                            }
                        }
                    }
                }
            }
        }
    }

    /// Calls `f(item, distance)` once for every item within `max` bits.
    pub fn for_each_within(&self, hash: u64, max: u32, mut f: impl FnMut(usize, u32)) {
        if self.is_empty() {
            return;
        }
        let r = max / 4;
        let masks = part_masks(r);
        for c in 0..4 {
            let own = ((hash >> (16 * c)) & 0xffff) as u32;
            for &m in masks.iter() {
                let v = (own ^ m) as usize;
                let bucket = self.bucket(c, v);
                let (hashes, items) = (&self.sorted[c][bucket.clone()], &self.items[c][bucket]);
                for (&other, &id) in hashes.iter().zip(items) {
                    let x = hash ^ other;
                    let d = x.count_ones();
                    if d > max {
                        continue;
                    }
                    if first_part_within(x, c, r) {
                        f(id as usize, d);
                    }
                }
            }
        }
    }
}

/// Whether part `c` is the first of two hashes' parts (`diff` is their XOR)
/// that differ in at most `r` bits: a pair found through several parts'
/// tables is reported once, by the first.
fn first_part_within(diff: u64, c: usize, r: u32) -> bool {
    (0..c).all(|e| ((diff >> (16 * e)) & 0xffff).count_ones() > r)
}

/// Every 16-bit mask with at most `r` bits set, fewest bits first.
fn part_masks(r: u32) -> std::rc::Rc<Vec<u32>> {
    thread_local! {
        static CACHE: std::cell::RefCell<HashMap<u32, std::rc::Rc<Vec<u32>>>> =
            std::cell::RefCell::new(HashMap::new());
    }
    let masks = CACHE.with(|c| {
        c.borrow_mut()
            .entry(r)
            .or_insert_with(|| {
                let mut m: Vec<u32> = (0..=0xffffu32).filter(|v| v.count_ones() <= r).collect();
                m.sort_by_key(|v| v.count_ones());
                std::rc::Rc::new(m)
            })
            .clone()
    });
    masks
}

/// The exposures known before a run, (id, reference hash) in the order
/// given, and their places sorted by id: an id is looked up without being
/// copied into a map, so each is held once.
#[derive(Debug, Default, PartialEq)]
pub struct Known {
    list: ExposureList,
    by_id: Vec<u32>,
}

impl Known {
    pub fn new(list: ExposureList) -> Self {
        let mut by_id: Vec<u32> = (0..list.len() as u32).collect();
        by_id.sort_unstable_by(|&a, &b| list.id(a as usize).cmp(list.id(b as usize)));
        Known { list, by_id }
    }

    /// The place of exposure `id`, if known.
    pub fn place(&self, id: &str) -> Option<u32> {
        self.by_id
            .binary_search_by(|&p| self.list.id(p as usize).cmp(id))
            .ok()
            .map(|i| self.by_id[i])
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// The outcome of grouping one run's pictures. Pictures are named by their
/// place in the slice given to [`group`], exposures by a number: below
/// `known.len()` a known exposure, from there on one of `new_exposures`.
/// A picture costs four bytes here, and each exposure id is held once.
#[derive(Debug, Default, PartialEq)]
pub struct Grouping {
    /// The exposures known before this run.
    pub known: Known,
    /// Exposures created by this run: (id, reference hash).
    pub new_exposures: ExposureList,
    /// Each picture's exposure, in the order given.
    pub of: Vec<u32>,
}

impl Grouping {
    /// How many exposure numbers there are (known and new).
    pub fn exposures(&self) -> usize {
        self.known.len() + self.new_exposures.len()
    }

    /// The id of exposure number `e`.
    pub fn id(&self, e: u32) -> &str {
        let e = e as usize;
        match e.checked_sub(self.known.len()) {
            None => self.known.list.id(e),
            Some(new) => self.new_exposures.id(new),
        }
    }

    /// The exposure id of the `i`th picture.
    pub fn exposure(&self, i: usize) -> &str {
        self.id(self.of[i])
    }
}

/// The stable id of an exposure first created from `hash`.
pub fn exposure_id(hash: u64, taken: &dyn Fn(&str) -> bool) -> String {
    let base = format!("exp-{hash:016x}");
    if !taken(&base) {
        return base;
    }
    // Ends: `taken` holds finitely many ids.
    #[allow(clippy::maybe_infinite_iter)]
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|id| !taken(id))
        .expect("an unused suffix exists")
}

/// No leader yet, in the greedy grouping below.
const NONE: u32 = u32::MAX;

/// Groups `pictures` (sha256, in whatever form, and hash) of a run.
///
/// A picture whose bytes were grouped before (`known_pictures[i]`: the
/// place in `known` of `pictures[i]`'s exposure then) keeps its exposure.
/// Otherwise it joins the nearest known exposure within the threshold;
/// failing that, the run's other unmatched pictures gather around leaders
/// (below), each leader a new exposure named after its hash.
pub fn group<S>(pictures: &[(S, u64)], known: Known, known_pictures: &[Option<u32>]) -> Grouping {
    let index = HammingIndex::new(&known.list.iter().map(|(_, h)| h).collect::<Vec<_>>());
    let mut of = vec![0u32; pictures.len()];
    let mut unmatched: Vec<u32> = Vec::new();
    for (i, (_, h)) in pictures.iter().enumerate() {
        if let Some(&Some(e)) = known_pictures.get(i) {
            of[i] = e;
            continue;
        }
        let mut best: Option<(usize, u32)> = None;
        index.for_each_within(*h, SAME_PICTURE_MAX_DISTANCE, |item, d| {
            if best.is_none_or(|(bi, bd)| (d, item) < (bd, bi)) {
                best = Some((item, d));
            }
        });
        match best {
            Some((item, _)) => of[i] = item as u32,
            None => unmatched.push(i as u32),
        }
    }
    drop(index);
    let mut out = Grouping {
        known,
        new_exposures: ExposureList::default(),
        of,
    };
    // Clusters among the unmatched: each picture joins a leader within the
    // threshold, leaders taken best connected first (the middle of a family
    // of copies), as a picture of a later run joins a known exposure within
    // the threshold of its reference hash. Single linkage (any two within
    // the threshold join) chained distinct pictures once a run held enough
    // of them: 15,570 of 40,000 pictures of the crawl benchmark's site in
    // one exposure.
    let local = HammingIndex::new(
        &unmatched
            .iter()
            .map(|&i| pictures[i as usize].1)
            .collect::<Vec<_>>(),
    );
    let n = unmatched.len();
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    // Summed distance to the neighbours: of two as well connected, the
    // nearer to them all leads.
    let mut spread = vec![0u32; n];
    local.for_each_pair_within(SAME_PICTURE_MAX_DISTANCE, |a, b, d| {
        pairs.push((a as u32, b as u32));
        spread[a] += d;
        spread[b] += d;
    });
    drop(local);
    // Neighbour lists, packed: those of k are adjacent[start[k]..start[k + 1]].
    let mut start = vec![0u32; n + 1];
    for &(a, b) in &pairs {
        start[a as usize + 1] += 1;
        start[b as usize + 1] += 1;
    }
    for k in 0..n {
        start[k + 1] += start[k];
    }
    let mut fill = start.clone();
    let mut adjacent = vec![0u32; pairs.len() * 2];
    for (a, b) in pairs {
        adjacent[fill[a as usize] as usize] = b;
        fill[a as usize] += 1;
        adjacent[fill[b as usize] as usize] = a;
        fill[b as usize] += 1;
    }
    drop(fill);
    let neighbours = |k: usize| &adjacent[start[k] as usize..start[k + 1] as usize];
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_by_key(|&k| {
        let k = k as usize;
        (std::cmp::Reverse(neighbours(k).len()), spread[k], k)
    });
    drop(spread);
    let mut leader = vec![NONE; n];
    for k in order {
        if leader[k as usize] == NONE {
            leader[k as usize] = k;
            for &j in neighbours(k as usize) {
                if leader[j as usize] == NONE {
                    leader[j as usize] = k;
                }
            }
        }
    }
    drop((adjacent, start));
    // New ids must differ from the known ones and from each other; ids
    // made this run are remembered by fingerprint (a false match only adds
    // a suffix).
    let mut made = crate::urls::Fingerprints::default();
    // Each leader's exposure number, once made.
    let mut number = vec![NONE; n];
    for (k, &i) in unmatched.iter().enumerate() {
        let r = leader[k] as usize;
        if number[r] == NONE {
            let h = pictures[unmatched[r] as usize].1;
            let id = exposure_id(h, &|c| out.known.place(c).is_some() || made.contains(c));
            made.insert(id.as_str());
            number[r] = out.exposures() as u32;
            out.new_exposures.push(&id, h);
        }
        out.of[i as usize] = number[r];
    }
    out
}

/// Most bits two pictures' 256-bit detail hashes may differ by for a pHash
/// match between them to stand (`analysis::hash::detail_hash`). Chosen on
/// the real corpus's tune sites (docs/hashing.md): sizes and
/// recompressions of one photo differ by 0 to 8 bits, crops 22 to 46;
/// staff portraits on one backdrop, within 10 pHash bits of each other, by
/// 58 to 90, and unrelated pictures by about 128.
pub const DETAIL_MAX_DISTANCE: u32 = 46;

/// Takes out of each exposure the run's new pictures that its detail hash
/// says are another photo: the pHash alone put them there (staff portraits
/// on one backdrop sit within its threshold of each other).
///
/// A member is checked against the exposure's anchors: its copies whose
/// bytes were grouped there before; for an exposure made this run, else the
/// copy it is named after (its leader). A known exposure none of whose
/// earlier copies is in this run with a detail hash is not checked: nothing
/// says which photo it is. Pictures without a detail hash (analysed before
/// it was kept) are never taken out.
///
/// A picture taken out joins the exposure whose reference hash is within
/// the pHash threshold and one of whose anchors is within
/// [`DETAIL_MAX_DISTANCE`], the nearest first; failing that, the first
/// picture taken out that both hashes match; else it leads an exposure of
/// its own. `details[i]` and `known_pictures[i]` are `pictures[i]`'s, as
/// given to [`group`]. Returns how many pictures moved.
pub fn split_unverified<S>(
    grouping: &mut Grouping,
    pictures: &[(S, u64)],
    details: &[Option<[u64; 4]>],
    known_pictures: &[Option<u32>],
) -> usize {
    use crate::analysis::hash::detail_distance;
    let detail = |i: usize| details.get(i).copied().flatten();
    let known_bytes = |i: usize| known_pictures.get(i).is_some_and(Option::is_some);
    let reference = |g: &Grouping, e: u32| {
        let e = e as usize;
        match e.checked_sub(g.known.len()) {
            None => g.known.list.hash(e),
            Some(new) => g.new_exposures.hash(new),
        }
    };
    let mut order: Vec<u32> = (0..grouping.of.len() as u32).collect();
    order.sort_unstable_by_key(|&i| (grouping.of[i as usize], i));
    // Exposures with anchors: (number, reference hash, anchors).
    let mut anchored: Vec<(u32, u64, Vec<[u64; 4]>)> = Vec::new();
    let mut outcasts: Vec<usize> = Vec::new();
    for run in order.chunk_by(|&a, &b| grouping.of[a as usize] == grouping.of[b as usize]) {
        let e = grouping.of[run[0] as usize];
        let members = || run.iter().map(|&i| i as usize);
        let reference_hash = reference(grouping, e);
        let mut anchors: Vec<[u64; 4]> = members()
            .filter(|&i| known_bytes(i))
            .filter_map(detail)
            .collect();
        let new_exposure = e as usize >= grouping.known.len();
        if anchors.is_empty() && new_exposure {
            anchors.extend(
                members()
                    .find(|&i| pictures[i].1 == reference_hash && detail(i).is_some())
                    .and_then(detail),
            );
        }
        if anchors.is_empty() {
            continue;
        }
        for i in members() {
            if known_bytes(i) {
                continue;
            }
            if let Some(d) = detail(i) {
                if !anchors
                    .iter()
                    .any(|a| detail_distance(a, &d) <= DETAIL_MAX_DISTANCE)
                {
                    outcasts.push(i);
                }
            }
        }
        anchored.push((e, reference_hash, anchors));
    }
    drop(order);
    if outcasts.is_empty() {
        return 0;
    }
    let index = HammingIndex::new(&anchored.iter().map(|a| a.1).collect::<Vec<_>>());
    let mut taken = crate::urls::Fingerprints::default();
    for (id, _) in grouping.new_exposures.iter() {
        taken.insert(id);
    }
    // The exposures made here, by their leader's pHash: (leader, number).
    let mut leaders = BkTree::new();
    let mut made: Vec<(usize, u32)> = Vec::new();
    for &i in &outcasts {
        let (h, d) = (
            pictures[i].1,
            detail(i).expect("outcasts have a detail hash"),
        );
        let current = grouping.of[i];
        // The nearest other exposure both hashes match.
        let mut best: Option<(u32, u32, u32)> = None;
        index.for_each_within(h, SAME_PICTURE_MAX_DISTANCE, |k, dh| {
            let (e, _, anchors) = &anchored[k];
            if *e == current {
                return;
            }
            if let Some(dd) = anchors
                .iter()
                .map(|a| detail_distance(a, &d))
                .filter(|&dd| dd <= DETAIL_MAX_DISTANCE)
                .min()
            {
                if best.is_none_or(|(bh, bd, be)| (dh, dd, *e) < (bh, bd, be)) {
                    best = Some((dh, dd, *e));
                }
            }
        });
        if let Some((_, _, e)) = best {
            grouping.of[i] = e;
            continue;
        }
        let joined = leaders
            .find(h, SAME_PICTURE_MAX_DISTANCE)
            .into_iter()
            .map(|(k, _)| k)
            .filter(|&k| {
                detail(made[k].0).is_some_and(|ld| detail_distance(&ld, &d) <= DETAIL_MAX_DISTANCE)
            })
            .min();
        if let Some(k) = joined {
            grouping.of[i] = made[k].1;
            continue;
        }
        let id = exposure_id(h, &|c| {
            grouping.known.place(c).is_some() || taken.contains(c)
        });
        taken.insert(id.as_str());
        let number = grouping.exposures() as u32;
        grouping.new_exposures.push(&id, h);
        grouping.of[i] = number;
        leaders.insert(h, made.len());
        made.push((i, number));
    }
    outcasts.len()
}

/// Most bits between a picture's mirror hash and another picture's hash for
/// the two to be one photo, flipped. Tighter than the grouping threshold: a
/// flipped, resized, recompressed copy sits 0 to 2 bits from the mirror
/// hash, while on the real corpus two different college logos sat 8 apart
/// and a staff photo 10 from a silhouette placeholder (docs/hashing.md).
pub const MIRROR_MAX_DISTANCE: u32 = 6;
/// Fewest bits a picture's hash must change when it is flipped for its
/// mirror hash to link it to another picture (different pictures are 28 to
/// 40 bits apart; a mirrored photograph 30 to 32 from itself).
pub const MIN_MIRROR_CHANGE: u32 = 20;

/// Pairs of a run's pictures (by place in `pictures`, sorted by sha256)
/// where one is the other flipped left to right: the mirror image's hash is
/// within [`MIRROR_MAX_DISTANCE`] of the other's hash and the two hashes
/// themselves are not within the grouping threshold (those are grouped
/// already).
pub fn mirror_links<S: Ord>(pictures: &[(S, u64)], mirrors: &[(S, u64)]) -> Vec<(usize, usize)> {
    if mirrors.is_empty() {
        return Vec::new();
    }
    let hashes: Vec<u64> = pictures.iter().map(|p| p.1).collect();
    let index = HammingIndex::new(&hashes);
    let mut out = Vec::new();
    for (sha, mirror) in mirrors {
        let Ok(i) = pictures.binary_search_by(|(s, _)| s.cmp(sha)) else {
            continue;
        };
        // A picture that looks much the same flipped (a silhouette, a
        // centred logo) says nothing by its mirror: its mirror hash would
        // only find what its own hash nearly finds, and graphics alike.
        if (hashes[i] ^ mirror).count_ones() <= MIN_MIRROR_CHANGE {
            continue;
        }
        index.for_each_within(*mirror, MIRROR_MAX_DISTANCE, |j, _| {
            let direct = (hashes[i] ^ hashes[j]).count_ones();
            if j != i && direct > SAME_PICTURE_MAX_DISTANCE {
                out.push((i.min(j), i.max(j)));
            }
        });
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Joins pictures known to be one picture whatever their hashes say (for
/// instance WordPress size variants of one upload, whose square crops can be
/// far apart in hash): `links` are pairs of pictures, by their place in the
/// slice grouped. Each linked set goes to the exposure most of its pictures
/// already have (ties: the smallest id); exposures this run created that end
/// up empty are dropped.
pub fn merge_linked(grouping: &mut Grouping, links: &[(usize, usize)]) {
    fn root(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    if links.is_empty() {
        return;
    }
    // Union-find over exposures: a link joins its pictures' exposures.
    let n = grouping.exposures();
    let mut parent: Vec<usize> = (0..n).collect();
    for &(a, b) in links {
        let (x, y) = (grouping.of[a] as usize, grouping.of[b] as usize);
        let (rx, ry) = (root(&mut parent, x), root(&mut parent, y));
        if rx != ry {
            parent[rx.max(ry)] = rx.min(ry);
        }
    }
    let mut votes = vec![0usize; n];
    for &e in &grouping.of {
        votes[e as usize] += 1;
    }
    // Each joined set's winner: most pictures, then the smallest id.
    let mut winner: HashMap<usize, usize> = HashMap::new();
    for e in 0..n {
        let r = root(&mut parent, e);
        let w = winner.entry(r).or_insert(e);
        let better = (votes[e], std::cmp::Reverse(grouping.id(e as u32)))
            > (votes[*w], std::cmp::Reverse(grouping.id(*w as u32)));
        if better {
            *w = e;
        }
    }
    let mut used = vec![false; n];
    for e in &mut grouping.of {
        let r = root(&mut parent, *e as usize);
        *e = winner[&r] as u32;
        used[*e as usize] = true;
    }
    // New exposures left empty are dropped, and the rest renumbered.
    let first_new = grouping.known.len();
    let mut renumbered: Vec<u32> = (0..n as u32).collect();
    let mut next = first_new as u32;
    for e in first_new..n {
        if used[e] {
            renumbered[e] = next;
            next += 1;
        }
    }
    grouping.new_exposures.retain(|new| used[first_new + new]);
    for e in &mut grouping.of {
        *e = renumbered[*e as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bk_tree_matches_brute_force() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
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
            got.sort_unstable();
            let want: Vec<usize> = hashes
                .iter()
                .enumerate()
                .filter(|(_, h)| (*h ^ q).count_ones() <= 12)
                .map(|(i, _)| i)
                .collect();
            assert_eq!(got, want);
        }
    }

    /// Families of near-duplicates (0 to `max_flips - 1` bits from their
    /// first member, 0 to `copies - 1` copies each) among unrelated hashes;
    /// every `shared`-th family has `mask` applied, so families share whole
    /// 16-bit parts and one pair sits in several tables' buckets.
    fn families(
        seed: u64,
        n: usize,
        copies: u64,
        max_flips: u64,
        shared: usize,
        mask: u64,
    ) -> Vec<u64> {
        let mut x = seed;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut hashes = Vec::new();
        for i in 0..n {
            let base = if i % shared == 0 {
                next() & mask
            } else {
                next()
            };
            hashes.push(base);
            for _ in 0..(i as u64 % copies) {
                let mut h = base;
                for _ in 0..(next() % max_flips) {
                    h ^= 1 << (next() % 64);
                }
                hashes.push(h);
            }
        }
        hashes
    }

    #[test]
    fn hamming_index_matches_brute_force() {
        let hashes = families(0x2545_f491_4f6c_dd1d, 3000, 3, 12, 4, 0xffff_0000_ffff_0000);
        let index = HammingIndex::new(&hashes);
        for max in [0, 3, 10, 12] {
            for q in hashes.iter().step_by(37) {
                let mut got = Vec::new();
                index.for_each_within(*q, max, |i, d| got.push((i, d)));
                got.sort_unstable();
                let want: Vec<(usize, u32)> = hashes
                    .iter()
                    .enumerate()
                    .map(|(i, h)| (i, (h ^ q).count_ones()))
                    .filter(|(_, d)| *d <= max)
                    .collect();
                assert_eq!(got, want, "max {max}");
            }
        }
    }

    #[test]
    fn pair_join_finds_each_pair_once_as_brute_force_does() {
        let hashes = families(0x9e37_79b9_7f4a_7c15, 1500, 4, 14, 5, 0x0000_ffff_ffff_0000);
        let index = HammingIndex::new(&hashes);
        for max in [0, 3, 10, 12] {
            let mut got = Vec::new();
            index.for_each_pair_within(max, |i, j, d| got.push((i, j, d)));
            got.sort_unstable();
            let mut want = Vec::new();
            for i in 0..hashes.len() {
                for j in i + 1..hashes.len() {
                    let d = (hashes[i] ^ hashes[j]).count_ones();
                    if d <= max {
                        want.push((i, j, d));
                    }
                }
            }
            assert!(!want.is_empty(), "max {max}: no pairs to test");
            assert_eq!(got, want, "max {max}");
        }
    }

    #[test]
    fn a_phash_match_the_detail_hash_denies_is_undone() {
        let a = 0xf0f0_f0f0_0f0f_0f0fu64;
        // The portrait is the best connected (it leads): 4, 5 and 1 bits
        // from the others.
        let (portrait, other, other_small) = (a, a ^ 0xf0, a ^ 0xf8);
        let d_a = [1u64, 2, 3, 4];
        // 60 detail bits away: another sitter on the same backdrop.
        let d_b = [1u64 ^ ((1 << 60) - 1), 2, 3, 4];
        let pics = vec![
            ("s1".to_string(), portrait),
            ("s2".to_string(), other),
            ("s3".to_string(), other_small),
            ("s4".to_string(), a ^ 0b1),
        ];
        // s4 has no detail hash (analysed before it was kept): never moved.
        let details = [Some(d_a), Some(d_b), Some([d_b[0] ^ 0b111, 2, 3, 4]), None];
        let mut g = group(&pics, Known::default(), &[]);
        assert_eq!(g.new_exposures.len(), 1, "the pHash alone makes one");
        assert_eq!(split_unverified(&mut g, &pics, &details, &[]), 2);
        assert_ne!(g.exposure(0), g.exposure(1));
        assert_eq!(
            g.exposure(1),
            g.exposure(2),
            "the other's copies stay together"
        );
        assert_eq!(g.exposure(0), g.exposure(3));
        // Next run: a new portrait joins the known exposure by its pHash and
        // is taken out again, checked against the copy known by its bytes.
        let known = Known::new(g.new_exposures.clone());
        let of_a = known.place(g.exposure(0));
        let next = vec![("s1".to_string(), portrait), ("s5".to_string(), a ^ 0b111)];
        let mut g2 = group(&next, known, &[of_a, None]);
        assert_eq!(g2.exposure(0), g2.exposure(1));
        assert_eq!(
            split_unverified(&mut g2, &next, &[Some(d_a), Some(d_b)], &[of_a, None]),
            1
        );
        assert_ne!(g2.exposure(0), g2.exposure(1));
        assert_eq!(g2.exposure(0), g.exposure(0));
        // A copy of the other sitter that the pHash put with the portrait
        // joins the other sitter's exposure, not one of its own.
        let known = Known::new(g.new_exposures.clone());
        let of_other = known.place(g.exposure(1));
        let run = vec![
            ("s1".to_string(), portrait),
            ("s2".to_string(), other),
            ("s6".to_string(), a ^ 0b11),
        ];
        let bytes = [of_a, of_other, None];
        let mut g4 = group(&run, known, &bytes);
        assert_eq!(g4.exposure(2), g.exposure(0), "nearest by pHash");
        assert_eq!(
            split_unverified(&mut g4, &run, &[Some(d_a), Some(d_b), Some(d_b)], &bytes),
            1
        );
        assert_eq!(g4.exposure(2), g.exposure(1));
        assert!(g4.new_exposures.is_empty());
        // A copy whose detail hash is near stays.
        let known = Known::new(g.new_exposures.clone());
        let mut g3 = group(&next, known, &[of_a, None]);
        let near = [d_a[0] ^ 0xff, 2, 3, 4];
        assert_eq!(
            split_unverified(&mut g3, &next, &[Some(d_a), Some(near)], &[of_a, None]),
            0
        );
        assert_eq!(g3.exposure(1), g.exposure(0));
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
        let g = group(&pics, Known::default(), &[]);
        assert_eq!(g.new_exposures.len(), 2);
        assert_eq!(g.exposure(0), g.exposure(1));
        assert_ne!(g.exposure(0), g.exposure(2));
        // Next run: a recompressed re-upload joins the known exposure.
        let known = || Known::new(g.new_exposures.clone());
        let next = vec![("s4".to_string(), a ^ 0b1_0000_0001)];
        let g2 = group(&next, known(), &[]);
        assert!(g2.new_exposures.is_empty());
        assert_eq!(g2.exposure(0), g.exposure(0));
        // Known bytes keep their exposure whatever the hash index says.
        let of_a = known().place(g.exposure(0));
        assert!(of_a.is_some());
        assert_eq!(
            group(&[("s3".to_string(), b)], known(), &[of_a]).exposure(0),
            g.exposure(0)
        );
        // A new exposure whose hash names a known one takes a suffix.
        let taken = Known::new(
            [(exposure_id(b, &|_| false).as_str(), a)]
                .into_iter()
                .collect(),
        );
        let g3 = group(&[("s5".to_string(), b)], taken, &[]);
        assert_eq!(g3.exposure(0), format!("{}-2", exposure_id(b, &|_| false)));
    }

    #[test]
    fn a_chain_of_near_pictures_is_not_one_exposure_but_a_family_is() {
        let flip = |h: u64, bits: std::ops::Range<u32>| bits.fold(h, |h, b| h ^ (1 << b));
        let reference = |g: &Grouping, i: usize| {
            let id = g.exposure(i);
            g.new_exposures.iter().find(|(e, _)| *e == id).unwrap().1
        };
        // Each 6 bits from the one before: neighbours are alike, the ends
        // 30 bits apart are different pictures.
        let mut chain = vec![0x0123_4567_89ab_cdefu64];
        for i in 0..5 {
            chain.push(flip(chain[i as usize], i * 6..i * 6 + 6));
        }
        let pics: Vec<(String, u64)> = chain
            .iter()
            .enumerate()
            .map(|(i, h)| (format!("c{i}"), *h))
            .collect();
        let g = group(&pics, Known::default(), &[]);
        assert!(g.new_exposures.len() >= 2, "{:?}", g.new_exposures);
        for (i, (_, h)) in pics.iter().enumerate() {
            assert!((reference(&g, i) ^ h).count_ones() <= SAME_PICTURE_MAX_DISTANCE);
        }
        // A picture and copies around it, some 10 bits from each other but
        // none far from the picture: one exposure named by the picture.
        let c = 0xfedc_ba98_7654_3210u64;
        let family = vec![
            ("f-a".to_string(), flip(c, 0..5)),
            ("f-b".to_string(), flip(c, 5..10)),
            ("f-c".to_string(), flip(c, 10..15)),
            ("f-d".to_string(), c),
            ("f-e".to_string(), flip(c, 20..22)),
        ];
        let g = group(&family, Known::default(), &[]);
        assert_eq!(g.new_exposures.len(), 1);
        assert_eq!(g.new_exposures.hash(0), c);
    }

    #[test]
    fn linked_pictures_join_one_exposure() {
        let a = 0xf0f0_f0f0_0f0f_0f0fu64;
        let crop = 0x1234_5678_9abc_def0u64; // far from `a` in hash
        let other = !a;
        let pics = vec![
            ("orig".to_string(), a),
            ("copy".to_string(), a ^ 1),
            ("thumb".to_string(), crop),
            ("other".to_string(), other),
        ];
        let mut g = group(&pics, Known::default(), &[]);
        assert_eq!(g.new_exposures.len(), 3);
        merge_linked(&mut g, &[(0, 2)]);
        assert_eq!(g.new_exposures.len(), 2);
        let ids: std::collections::HashSet<&str> = (0..3).map(|i| g.exposure(i)).collect();
        assert_eq!(ids.len(), 1);
        let reference = |i: usize| {
            let id = g.exposure(i);
            g.new_exposures.iter().find(|(e, _)| *e == id).unwrap().1
        };
        assert_eq!(reference(0), a, "the majority's exposure wins");
        // The exposure dropped, the others are renumbered.
        assert_eq!(reference(3), other);
        assert!(g.of.iter().all(|&e| (e as usize) < g.exposures()));
    }

    #[test]
    fn id_collisions_get_a_suffix() {
        let taken = |s: &str| s == "exp-0000000000000001";
        assert_eq!(exposure_id(1, &taken), "exp-0000000000000001-2");
    }

    #[test]
    fn mirror_links_join_a_flipped_copy_only() {
        // a: a photo; b: a's mirror image re-posted (b's hash is a's mirror
        // hash, 1 bit off); c: a picture 8 bits from a's mirror hash; d: a
        // silhouette that hardly changes when flipped.
        let a = 0x0123_4567_89ab_cdefu64;
        let a_mirror = 0xfedc_ba98_7654_3210u64;
        let b = a_mirror ^ 1;
        let c = a_mirror ^ 0xff;
        let d = 0x0f0f_0f0f_0f0f_0f0fu64;
        let pictures = vec![("a", a), ("b", b), ("c", c), ("d", d)];
        let mirrors = vec![("a", a_mirror), ("d", d ^ 0x7fff)];
        assert_eq!(mirror_links(&pictures, &mirrors), vec![(0, 1)]);
        // d's mirror is 15 bits from d itself (under MIN_MIRROR_CHANGE): it
        // links nothing, even a picture 2 bits from that mirror hash and
        // 17 from d.
        let d_mirror = d ^ 0x7fff;
        let e = d_mirror ^ 0x3_0000;
        let pictures = vec![("d", d), ("e", e)];
        assert!(mirror_links(&pictures, &[("d", d_mirror)]).is_empty());
        // The same pair, were d not nearly symmetric, would be linked.
        let far_mirror = d ^ 0x00ff_ffff;
        let pictures = vec![("d", d), ("e", far_mirror ^ 0b11)];
        assert_eq!(mirror_links(&pictures, &[("d", far_mirror)]), vec![(0, 1)]);
    }
}
