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

/// Below this many objects a transformer runs on the calling thread
/// alone: most take a few microseconds per object, against tens of
/// microseconds to start a thread.
pub const MIN_OBJECTS_PER_SPLIT: usize = 256;

/// Calls `f` on `items` split into up to `threads` contiguous chunks of
/// at least `min_chunk` items, at once, with the index of each chunk's
/// first item, and returns each chunk's result in chunk order. The first
/// chunk runs on the calling thread.
///
/// For steps that treat every object on its own: each chunk sees its
/// objects in list order, so a step that stops at its first failure
/// reports, from the first chunk that failed, the failure a single pass
/// would have met first.
pub fn chunks_mut<T, R, F>(items: &mut [T], threads: usize, min_chunk: usize, f: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(usize, &mut [T]) -> R + Sync,
{
    let threads = threads.min(items.len() / min_chunk.max(1)).max(1);
    if threads == 1 {
        return vec![f(0, items)];
    }
    let size = items.len().div_ceil(threads);
    let mut chunks = items.chunks_mut(size);
    let Some(first) = chunks.next() else { return Vec::new() };
    std::thread::scope(|scope| {
        let f = &f;
        let others: Vec<_> = chunks.enumerate().map(|(i, chunk)| scope.spawn(move || f((i + 1) * size, chunk))).collect();
        let mut out = vec![f(0, first)];
        // A chunk's thread that panicked re-raises its panic here.
        out.extend(others.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))));
        out
    })
}

/// [`chunks_mut`] for a step that stops at its first failure: the first
/// failure in item order, from the first chunk that failed, as one pass
/// over the items would report it.
pub fn try_chunks_mut<T, E, F>(items: &mut [T], threads: usize, min_chunk: usize, f: F) -> Result<(), E>
where
    T: Send,
    E: Send,
    F: Fn(usize, &mut [T]) -> Result<(), E> + Sync,
{
    chunks_mut(items, threads, min_chunk, f).into_iter().collect()
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
    fn chunks_cover_every_item_once_in_order() {
        for (len, threads, min) in [(0, 2, 1), (1, 2, 1), (10, 2, 1), (10, 3, 1), (1000, 2, 256), (300, 4, 256), (7, 8, 1)] {
            let mut items: Vec<usize> = (0..len).collect();
            let seen = chunks_mut(&mut items, threads, min, |start, chunk| {
                for (k, x) in chunk.iter_mut().enumerate() {
                    assert_eq!(*x, start + k, "a chunk starts at its first item's index");
                    *x *= 2;
                }
                chunk.to_vec()
            });
            assert!(seen.len() <= threads.max(1) && (len < min * 2 || seen.len() > 1), "len={len} threads={threads}");
            assert_eq!(seen.concat(), (0..len).map(|x| x * 2).collect::<Vec<_>>(), "len={len} threads={threads}");
            assert_eq!(items, (0..len).map(|x| x * 2).collect::<Vec<_>>());
        }
    }

    #[test]
    fn the_first_failure_in_item_order_wins() {
        let mut items: Vec<usize> = (0..1000).collect();
        for threads in [1, 2, 3] {
            let r = try_chunks_mut(&mut items, threads, 1, |_, chunk| match chunk.iter().find(|x| **x == 10 || **x == 900) {
                Some(x) => Err(*x),
                None => Ok(()),
            });
            assert_eq!(r, Err(10), "threads={threads}");
        }
    }

    #[test]
    fn small_inputs_stay_on_the_calling_thread() {
        let here = std::thread::current().id();
        let ids = map_ordered(&[1, 2, 3], 4, 10, |_| std::thread::current().id());
        assert!(ids.iter().all(|id| *id == here));
    }
}
