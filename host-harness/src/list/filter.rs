//! Choosing which cases this run executes: name filters and partitions across CI machines
//! (the same `count:K/N` and `hash:K/N` forms as cargo-nextest).

use std::str::FromStr;

use sha2::{Digest, Sha256};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Partition {
    /// The K-th of every N cases, in name order: even sizes, but shifts when cases change.
    Count { index: u64, total: u64 },
    /// Cases whose name hashes to K (mod N): stable as the suite grows.
    Hash { index: u64, total: u64 },
}

impl FromStr for Partition {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not count:K/N or hash:K/N with 1 <= K <= N");
        let (kind, rest) = text.split_once(':').ok_or_else(bad)?;
        let (k, n) = rest.split_once('/').ok_or_else(bad)?;
        let index: u64 = k.parse().map_err(|_| bad())?;
        let total: u64 = n.parse().map_err(|_| bad())?;
        if index == 0 || total == 0 || index > total {
            return Err(bad());
        }
        match kind {
            "count" => Ok(Partition::Count { index, total }),
            "hash" => Ok(Partition::Hash { index, total }),
            _ => Err(bad()),
        }
    }
}

impl Partition {
    /// Whether the case at `position` (in name order) named `name` belongs to this partition.
    pub fn contains(&self, position: usize, name: &str) -> bool {
        match *self {
            Partition::Count { index, total } => position as u64 % total == index - 1,
            Partition::Hash { index, total } => {
                let digest = Sha256::digest(name.as_bytes());
                let mut first = [0u8; 8];
                first.copy_from_slice(&digest[..8]);
                u64::from_le_bytes(first) % total == index - 1
            }
        }
    }
}

/// Name filters: a case runs if it contains any filter (or equals one, with `exact`).
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub patterns: Vec<String>,
    pub exact: bool,
    pub skip: Vec<String>,
}

impl Filter {
    pub fn matches(&self, name: &str) -> bool {
        let wanted = self.patterns.is_empty()
            || self
                .patterns
                .iter()
                .any(|p| if self.exact { name == p } else { name.contains(p.as_str()) });
        wanted && !self.skip.iter().any(|s| name.contains(s.as_str()))
    }
}

/// Keeps the names (given in a fixed order) that pass the filter and the partition; returns
/// the indices kept.
pub fn select(names: &[String], filter: &Filter, partition: Option<Partition>) -> Vec<usize> {
    let mut kept = Vec::new();
    let mut position = 0;
    for (i, name) in names.iter().enumerate() {
        if !filter.matches(name) {
            continue;
        }
        if partition.is_none_or(|p| p.contains(position, name)) {
            kept.push(i);
        }
        position += 1;
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("case_{i:02}")).collect()
    }

    #[test]
    fn parses_partitions() {
        assert_eq!("count:2/3".parse(), Ok(Partition::Count { index: 2, total: 3 }));
        assert_eq!("hash:1/1".parse(), Ok(Partition::Hash { index: 1, total: 1 }));
        for bad in ["count:0/3", "count:4/3", "hash:1", "slice:1/2", "count:a/b"] {
            assert!(bad.parse::<Partition>().is_err(), "{bad}");
        }
    }

    #[test]
    fn partitions_cover_every_case_exactly_once() {
        let all = names(31);
        for kind in ["count", "hash"] {
            let mut seen = Vec::new();
            for k in 1..=4 {
                let p: Partition = format!("{kind}:{k}/4").parse().unwrap();
                seen.extend(select(&all, &Filter::default(), Some(p)));
            }
            seen.sort();
            assert_eq!(seen, (0..31).collect::<Vec<_>>(), "{kind}");
        }
    }

    #[test]
    fn filters_then_partitions() {
        let all = names(10);
        let filter =
            Filter { patterns: vec!["case_0".into()], exact: false, skip: vec!["case_09".into()] };
        assert_eq!(select(&all, &filter, None), (0..9).collect::<Vec<_>>());
        let exact = Filter { patterns: vec!["case_03".into()], exact: true, skip: vec![] };
        assert_eq!(select(&all, &exact, None), vec![3]);
        let p = Some(Partition::Count { index: 1, total: 2 });
        assert_eq!(select(&all, &filter, p), vec![0, 2, 4, 6, 8]);
    }
}
