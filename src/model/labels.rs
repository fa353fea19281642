//! [`Labels`]: an object's labels, as a sorted list of pairs.
//!
//! Every workload, pod shape and namespace carries one, so a 100,000-workload cluster holds a few
//! hundred thousand of them. A `BTreeMap` spends a node of room for eleven pairs on each (objects
//! carry two to five labels) and walks nodes to iterate or hash; a sorted `Vec` keeps the same
//! order, the same lookups (a label set is short: binary search or a scan cost the same) and the
//! same `Debug`, JSON and ordering forms as the map it replaces, in a fraction of the memory.

use std::fmt;

use serde::{Serialize, Serializer};

/// Labels of one object, sorted by key, each key once. Sorting keeps matching and output
/// deterministic. Compares, orders and prints as the `BTreeMap<String, String>` it stands for.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Labels(Vec<(String, String)>);

type Pair = (String, String);

/// The pairs of a [`Labels`], in key order.
pub type Iter<'a> = std::iter::Map<std::slice::Iter<'a, Pair>, fn(&Pair) -> (&String, &String)>;

fn as_refs((k, v): &Pair) -> (&String, &String) {
    (k, v)
}

impl Labels {
    pub const fn new() -> Self {
        Labels(Vec::new())
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    /// Where `key` is. Objects carry two to five labels: a scan that tells keys apart by
    /// their length first skips most of the byte comparisons a binary search makes at each
    /// step (matching selectors, which ask this, was a fifth of a large `diff`'s time).
    fn find(&self, key: &str) -> Option<usize> {
        if self.0.len() > 8 {
            return self.position(key).ok();
        }
        self.0
            .iter()
            .position(|(k, _)| k.len() == key.len() && k.as_bytes() == key.as_bytes())
    }

    pub fn get(&self, key: &str) -> Option<&String> {
        self.find(key).map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_some()
    }

    /// Sets `key` to `value`, returning the value it replaces, as a map's `insert` does.
    pub fn insert(&mut self, key: String, value: String) -> Option<String> {
        match self.position(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The pairs in key order.
    pub fn iter(&self) -> Iter<'_> {
        self.0
            .iter()
            .map(as_refs as fn(&Pair) -> (&String, &String))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator + Clone {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator + Clone {
        self.0.iter().map(|(_, v)| v)
    }

    /// Sorts pairs gathered in any order; of pairs with the same key the last one stays, as
    /// inserting them one by one into a map would leave it.
    fn from_pairs(mut pairs: Vec<Pair>) -> Self {
        if pairs.is_sorted_by(|a, b| a.0 < b.0) {
            return Labels(pairs);
        }
        // Stable, so that pairs with the same key keep their input order.
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<Pair> = Vec::with_capacity(pairs.len());
        for pair in pairs {
            match out.last_mut() {
                Some(last) if last.0 == pair.0 => *last = pair,
                _ => out.push(pair),
            }
        }
        Labels(out)
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// The value of a label the caller knows is there; panics otherwise, as a map's index does.
impl std::ops::Index<&str> for Labels {
    type Output = String;
    fn index(&self, key: &str) -> &String {
        self.get(key).expect("no label with this key")
    }
}

impl FromIterator<Pair> for Labels {
    fn from_iter<I: IntoIterator<Item = Pair>>(iter: I) -> Self {
        Labels::from_pairs(iter.into_iter().collect())
    }
}

impl<const N: usize> From<[Pair; N]> for Labels {
    fn from(pairs: [Pair; N]) -> Self {
        Labels::from_pairs(pairs.into())
    }
}

impl Extend<Pair> for Labels {
    fn extend<I: IntoIterator<Item = Pair>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl IntoIterator for Labels {
    type Item = Pair;
    type IntoIter = std::vec::IntoIter<Pair>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = (&'a String, &'a String);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl Serialize for Labels {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<Pair> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Whatever order pairs come in, with keys repeated or not, the labels are what a map
    /// built from them is: the same pairs, order, `Debug` form and JSON.
    #[test]
    fn labels_are_the_map_they_stand_for() {
        let cases: &[&[(&str, &str)]] = &[
            &[],
            &[("app", "web")],
            &[("tier", "db"), ("app", "web"), ("a", "")],
            &[("app", "web"), ("team", "x"), ("app", "api")],
            &[("b", "1"), ("a", "1"), ("b", "2"), ("a", "3"), ("c", "")],
        ];
        for case in cases {
            let map: BTreeMap<String, String> = pairs(case).into_iter().collect();
            let labels: Labels = pairs(case).into_iter().collect();
            let mut inserted = Labels::new();
            for (k, v) in pairs(case) {
                inserted.insert(k, v);
            }
            assert_eq!(labels, inserted, "{case:?}");
            assert_eq!(
                labels.iter().collect::<Vec<_>>(),
                map.iter().collect::<Vec<_>>()
            );
            assert_eq!(format!("{labels:?}"), format!("{map:?}"));
            assert_eq!(
                serde_json::to_string(&labels).unwrap(),
                serde_json::to_string(&map).unwrap()
            );
            assert_eq!(labels.len(), map.len());
            for (k, v) in &map {
                assert_eq!(labels.get(k), Some(v));
                assert!(labels.contains_key(k));
            }
            assert_eq!(labels.get("absent"), None);
        }
    }

    /// Short sets are scanned and long ones searched: both find each key, and no other, keys
    /// of the same length or prefixes of one another included.
    #[test]
    fn every_key_is_found_and_no_other_whatever_the_number_of_labels() {
        let keys = [
            "a", "ab", "b", "ba", "app", "env", "tier", "team", "zone", "z", "app2",
        ];
        for n in 0..=keys.len() {
            let labels: Labels = keys[..n]
                .iter()
                .map(|k| (k.to_string(), format!("v-{k}")))
                .collect();
            for (i, k) in keys.iter().enumerate() {
                let want = (i < n).then(|| format!("v-{k}"));
                assert_eq!(labels.get(k), want.as_ref(), "{k} among {n}");
                assert_eq!(labels.contains_key(k), i < n, "{k} among {n}");
            }
            for absent in ["", "ap", "apps", "tiers", "c"] {
                assert_eq!(labels.get(absent), None, "{absent} among {n}");
            }
        }
    }

    #[test]
    fn labels_order_as_maps_do() {
        let sets: Vec<&[(&str, &str)]> = vec![
            &[],
            &[("a", "1")],
            &[("a", "1"), ("b", "1")],
            &[("a", "2")],
            &[("b", "0")],
            &[("a", "1"), ("c", "0")],
        ];
        for x in &sets {
            for y in &sets {
                let (mx, my): (BTreeMap<_, _>, BTreeMap<_, _>) = (
                    pairs(x).into_iter().collect(),
                    pairs(y).into_iter().collect(),
                );
                let (lx, ly): (Labels, Labels) = (
                    pairs(x).into_iter().collect(),
                    pairs(y).into_iter().collect(),
                );
                assert_eq!(lx.cmp(&ly), mx.cmp(&my), "{x:?} against {y:?}");
            }
        }
    }

    #[test]
    fn insert_answers_as_a_map_does() {
        let mut labels = Labels::new();
        assert_eq!(labels.insert("b".into(), "1".into()), None);
        assert_eq!(labels.insert("a".into(), "1".into()), None);
        assert_eq!(labels.insert("b".into(), "2".into()), Some("1".into()));
        assert_eq!(
            labels.keys().collect::<Vec<_>>(),
            [&"a".to_string(), &"b".to_string()]
        );
        assert_eq!(format!("{labels:?}"), r#"{"a": "1", "b": "2"}"#);
    }
}
