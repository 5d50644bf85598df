//! Fetched instances kept for reuse, bounded in bytes (least recently used go first).

use hounsfield_core::DicomFile;
use std::collections::HashMap;
use std::sync::Arc;

pub(crate) struct Cache {
    budget: usize,
    used: usize,
    tick: u64,
    entries: HashMap<String, (Arc<DicomFile>, usize, u64)>,
}

impl Cache {
    pub fn new(budget: usize) -> Cache {
        Cache {
            budget,
            used: 0,
            tick: 0,
            entries: HashMap::new(),
        }
    }

    pub fn get(&mut self, key: &str) -> Option<Arc<DicomFile>> {
        self.tick += 1;
        let tick = self.tick;
        self.entries.get_mut(key).map(|e| {
            e.2 = tick;
            e.0.clone()
        })
    }

    /// Whether `key` is held (without counting as a use).
    pub fn contains(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    pub fn put(&mut self, key: String, file: Arc<DicomFile>, bytes: usize) {
        if bytes > self.budget {
            return;
        }
        self.tick += 1;
        if let Some(old) = self.entries.insert(key, (file, bytes, self.tick)) {
            self.used -= old.1;
        }
        self.used += bytes;
        while self.used > self.budget {
            let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.2)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(e) = self.entries.remove(&oldest) {
                self.used -= e.1;
            }
        }
    }

    #[cfg(test)]
    pub fn used(&self) -> usize {
        self.used
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_within_budget_dropping_least_recent() {
        let f = |n: u8| {
            Arc::new(
                DicomFile::from_bytes("x", {
                    let mut v = vec![0u8; 128];
                    v.extend_from_slice(b"DICM");
                    v.extend_from_slice(&[0x08, 0x00, 0x60, 0x00, b'C', b'S', 2, 0, b'C', n]);
                    v
                })
                .expect("a tiny object"),
            )
        };
        let mut c = Cache::new(100);
        c.put("a".into(), f(b'A'), 40);
        c.put("b".into(), f(b'B'), 40);
        assert!(c.get("a").is_some()); // a is now the most recent
        c.put("c".into(), f(b'C'), 40);
        assert!(c.get("b").is_none());
        assert!(c.get("a").is_some() && c.get("c").is_some());
        assert_eq!(c.used(), 80);
        c.put("huge".into(), f(b'D'), 101);
        assert!(c.get("huge").is_none());
    }
}
