//! Owns the bounded LRU cache from a text to what was parsed from it (a `Compiled` or a
//! `Script`), shared by all threads.
//! Must not know what it caches: it keys on the text and keeps clones of what `make` built.

use numjit_syntax::Result;
use std::collections::HashMap;
use std::sync::Mutex;

/// Bound on texts kept in each global cache (numexpr keeps 256).
const CACHE_SIZE: usize = 256;

pub(super) struct Cache<T> {
    map: HashMap<String, (T, u64)>,
    clock: u64,
}

impl<T: Clone> Cache<T> {
    /// The cached value for `key`, or the one `make` builds (evicting the least recently used
    /// entry when full).
    pub(super) fn get_or(
        slot: &Mutex<Option<Cache<T>>>,
        key: &str,
        make: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        let mut guard = slot.lock().unwrap_or_else(|e| e.into_inner());
        let cache = guard.get_or_insert_with(|| Cache {
            map: HashMap::new(),
            clock: 0,
        });
        cache.clock += 1;
        let now = cache.clock;
        if let Some((v, stamp)) = cache.map.get_mut(key) {
            *stamp = now;
            return Ok(v.clone());
        }
        let v = make()?;
        if cache.map.len() >= CACHE_SIZE {
            let oldest = cache
                .map
                .iter()
                .min_by_key(|(_, (_, s))| *s)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                cache.map.remove(&k);
            }
        }
        cache.map.insert(key.to_string(), (v.clone(), now));
        Ok(v)
    }
}
