//! Order-preserving parallel map for the two embarrassingly parallel
//! stages of a build: parsing the files of a `resources:` list and
//! printing the final objects.
//!
//! Work items are handed out one at a time from a shared counter, so a
//! few very large items (dashboards, CRDs) do not leave a thread idle, and
//! every result lands in the slot of its item: the output is the same
//! bytes whatever the thread count.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// How many threads to use when the caller asked for `requested` (0 means
/// one per available core).
pub fn thread_count(requested: usize) -> usize {
    if requested > 0 {
        return requested;
    }
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(8)
}

/// `items.iter().map(f).collect()`, computed on up to `threads` threads.
/// Runs on the calling thread alone when there is one thread or fewer
/// than `min_items` items, where starting threads would cost more than
/// it saves.
pub fn map_ordered<T, R, F>(items: &[T], threads: usize, min_items: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let threads = threads.min(items.len());
    if threads <= 1 || items.len() < min_items {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                if let Ok(mut slot) = slots[i].lock() {
                    *slot = Some(r);
                }
            });
        }
    });
    // Every index below items.len() was taken by exactly one thread, which
    // filled its slot before the scope ended; a thread that panicked
    // re-raised its panic when the scope joined it.
    slots.into_iter().filter_map(|m| m.into_inner().ok().flatten()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_order_for_any_thread_count() {
        let items: Vec<u64> = (0..1000).collect();
        let want: Vec<u64> = items.iter().map(|x| x * x).collect();
        for threads in [1, 2, 3, 8] {
            assert_eq!(map_ordered(&items, threads, 0, |x| x * x), want, "threads={threads}");
        }
    }

    #[test]
    fn small_inputs_stay_on_the_calling_thread() {
        let here = std::thread::current().id();
        let ids = map_ordered(&[1, 2, 3], 4, 10, |_| std::thread::current().id());
        assert!(ids.iter().all(|id| *id == here));
    }
}
