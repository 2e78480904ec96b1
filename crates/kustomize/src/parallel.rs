//! Order-preserving parallel work for a build: a map for parsing the
//! files of a `resources:` list, a stream for printing the final objects,
//! and contiguous chunks for the steps that treat each object on its own.
//!
//! The map and the stream hand work out as it is asked for (items one at
//! a time, runs of items sized from the text made so far), so a few very
//! large items (dashboards, CRDs) do not leave a thread idle; every result
//! lands in the place of its item, so the output is the same bytes
//! whatever the thread count.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// How many threads to use when the caller asked for `requested` (0 means
/// one per available core).
pub fn thread_count(requested: usize) -> usize {
    if requested > 0 {
        return requested;
    }
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8)
}

/// `items.iter().map(f).collect()` for items whose cost shows only once
/// they are done (files, whose size is known once read): the calling
/// thread starts alone, and once `f` has reported `enough` units of work
/// (bytes) with items still left, up to `threads - 1` helpers join in.
/// Each thread keeps a state made by `init` (a read buffer) for all the
/// items it takes.
pub(crate) fn map_ordered<T, R, S, I, F>(
    items: &[T],
    threads: usize,
    enough: usize,
    init: I,
    f: F,
) -> Vec<R>
where
    T: Sync,
    R: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, &T) -> (R, usize) + Sync,
{
    let next = AtomicUsize::new(0);
    let work = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    let take = |state: &mut S| -> Option<usize> {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let item = items.get(i)?;
        let (r, done) = f(state, item);
        if let Ok(mut slot) = slots[i].lock() {
            *slot = Some(r);
        }
        Some(work.fetch_add(done, Ordering::Relaxed) + done)
    };
    std::thread::scope(|scope| {
        let mut state = init();
        let mut helped = threads <= 1;
        while let Some(total) = take(&mut state) {
            if !helped && total >= enough && next.load(Ordering::Relaxed) < items.len() {
                helped = true;
                for _ in 1..threads {
                    scope.spawn(|| {
                        let mut state = init();
                        while take(&mut state).is_some() {}
                    });
                }
            }
        }
    });
    // Every index below items.len() was taken by exactly one thread, which
    // filled its slot before the scope ended.
    slots
        .into_iter()
        .filter_map(|m| m.into_inner().ok().flatten())
        .collect()
}

/// Below this many objects a transformer runs on the calling thread
/// alone: most take a few microseconds per object, against tens of
/// microseconds to start a thread.
pub(crate) const MIN_OBJECTS_PER_SPLIT: usize = 256;

/// Calls `f` on `items` split into up to `threads` contiguous chunks of
/// at least `min_chunk` items, at once, with the index of each chunk's
/// first item, and returns each chunk's result in chunk order. The first
/// chunk runs on the calling thread.
///
/// For steps that treat every object on its own: each chunk sees its
/// objects in list order, so a step that stops at its first failure
/// reports, from the first chunk that failed, the failure a single pass
/// would have met first.
pub(crate) fn chunks_mut<T, R, F>(items: &mut [T], threads: usize, min_chunk: usize, f: F) -> Vec<R>
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
    let Some(first) = chunks.next() else {
        return Vec::new();
    };
    std::thread::scope(|scope| {
        let f = &f;
        let others: Vec<_> = chunks
            .enumerate()
            .map(|(i, chunk)| scope.spawn(move || f((i + 1) * size, chunk)))
            .collect();
        let mut out = vec![f(0, first)];
        // A chunk's thread that panicked re-raises its panic here.
        out.extend(
            others
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))),
        );
        out
    })
}

/// [`chunks_mut`] for a step that stops at its first failure: the first
/// failure in item order, from the first chunk that failed, as one pass
/// over the items would report it.
pub(crate) fn try_chunks_mut<T, E, F>(
    items: &mut [T],
    threads: usize,
    min_chunk: usize,
    f: F,
) -> Result<(), E>
where
    T: Send,
    E: Send,
    F: Fn(usize, &mut [T]) -> Result<(), E> + Sync,
{
    chunks_mut(items, threads, min_chunk, f)
        .into_iter()
        .collect()
}

/// Turns `items` into text a run of consecutive items at a time, on up to
/// `threads` threads, and hands the texts to `sink` in item order, with
/// each text's item count and how many items are still to come; `sink`
/// returns whether to go on. `render` appends the text of the items it is
/// given (the first one's index comes along) to a buffer, and may take
/// (and so free) them.
///
/// A run is sized to make about [`STREAM_TEXT_BYTES`] of text at the
/// average size of the items rendered so far, between one and `max_run`
/// items, and at most twice the previous run: small items go many at a
/// time, so that handing texts between threads costs little, while a few
/// huge ones (dashboards, CRDs) are spread over the threads instead of
/// landing in one run.
///
/// Built for printing: the calling thread renders too, and hands on each
/// text as soon as it and those before it are ready; only a few runs
/// (four per thread) are ever between being taken and being handed on,
/// and their buffers are used again, so the memory this takes stays small
/// whatever the output's size. Each item is freed by the thread that
/// rendered it.
pub(crate) fn stream_ordered<T, F, S>(
    items: Vec<T>,
    threads: usize,
    max_run: usize,
    render: F,
    mut sink: S,
) where
    T: Send,
    F: Fn(usize, &mut Vec<T>, &mut String) + Sync,
    S: FnMut(&str, usize, usize) -> bool,
{
    let max_run = max_run.max(1);
    let total = items.len();
    let threads = threads.min(total.div_ceil(max_run));
    if threads <= 1 {
        let (mut rest, mut part, mut text) = (
            items.into_iter(),
            Vec::with_capacity(max_run),
            String::new(),
        );
        let mut start = 0;
        while start < total {
            part.extend(rest.by_ref().take(max_run));
            let n = part.len();
            text.clear();
            render(start, &mut part, &mut text);
            part.clear();
            start += n;
            if !sink(&text, n, total - start) {
                break;
            }
        }
        return;
    }
    let stream = Stream {
        state: Mutex::new(StreamState {
            rest: items.into_iter(),
            rendered: (0, 0),
            last_run: 0,
            taken: 0,
            handed: 0,
            slots: (0..threads * 4).map(|_| None).collect(),
            spare: Vec::new(),
            stop: false,
            helping: threads - 1,
        }),
        changed: std::sync::Condvar::new(),
        max_run,
        total,
    };
    let render_run = |mut part: Vec<T>, run: Run| {
        let Run {
            index,
            first,
            mut text,
        } = run;
        let n = part.len();
        text.clear();
        render(first, &mut part, &mut text);
        part.clear();
        stream.store(index, n, text);
        part
    };
    std::thread::scope(|scope| {
        for _ in 1..threads {
            scope.spawn(|| {
                let _leaving = Leaving(&stream, true);
                let mut part = Vec::with_capacity(max_run);
                while let Some(run) = stream.take(&mut part, true) {
                    part = render_run(part, run);
                }
            });
        }
        // This thread renders runs too, and hands the texts on in order
        // whenever the next one is ready.
        let _leaving = Leaving(&stream, false);
        let mut part = Vec::with_capacity(max_run);
        let mut start = 0;
        while start < total {
            let ready = {
                let mut s = stream.lock();
                let slot = s.handed % s.slots.len();
                s.slots[slot].take()
            };
            if let Some((text, n)) = ready {
                start += n;
                let go_on = sink(&text, n, total - start);
                let mut s = stream.lock();
                s.spare.push(text);
                s.handed += 1;
                s.stop = !go_on;
                drop(s);
                stream.changed.notify_all();
                if !go_on {
                    break;
                }
            } else if let Some(run) = stream.take(&mut part, false) {
                part = render_run(part, run);
            } else if !stream.wait_for_next() {
                break;
            }
        }
    });
}

/// The text [`stream_ordered`] aims to make per run.
pub(crate) const STREAM_TEXT_BYTES: usize = 64 * 1024;

/// What the threads of [`stream_ordered`] share.
struct Stream<T> {
    state: Mutex<StreamState<T>>,
    changed: std::sync::Condvar,
    max_run: usize,
    /// How many items there are; those not in `rest` have been taken.
    total: usize,
}

struct StreamState<T> {
    rest: std::vec::IntoIter<T>,
    /// Items rendered so far, and the bytes of their text.
    rendered: (usize, usize),
    /// The length of the last run taken.
    last_run: usize,
    /// Runs taken, and runs handed on; run `i` is rendered into slot
    /// `i % slots.len()`, so no run is taken until the one that many
    /// places before it has been handed on.
    taken: usize,
    handed: usize,
    slots: Vec<Option<(String, usize)>>,
    /// Buffers of texts handed on, for later runs.
    spare: Vec<String>,
    /// The sink wants no more, or the handing-on thread is gone.
    stop: bool,
    /// Helper threads still running; one that panicked is no longer, so
    /// the handing-on thread does not wait for its run forever (the scope
    /// then re-raises the panic).
    helping: usize,
}

/// A run taken: its place among the runs, its first item's index, and the
/// buffer to render it into.
struct Run {
    index: usize,
    first: usize,
    text: String,
}

impl<T> Stream<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, StreamState<T>> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Moves the next run's items into `part`. A helper (`wait`) waits
    /// while too many runs are in hand; the handing-on thread then gets
    /// nothing, and hands on or waits instead.
    fn take(&self, part: &mut Vec<T>, wait: bool) -> Option<Run> {
        let mut s = self.lock();
        while wait && !s.stop && s.taken >= s.handed + s.slots.len() {
            s = self
                .changed
                .wait(s)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        if s.stop || s.taken >= s.handed + s.slots.len() {
            return None;
        }
        let estimate = match s.rendered {
            (0, _) => 1,
            (items, bytes) => STREAM_TEXT_BYTES * items / bytes.max(1),
        };
        let run = estimate.min(s.last_run * 2).clamp(1, self.max_run);
        let first = self.total - s.rest.len();
        part.extend(s.rest.by_ref().take(run));
        if part.is_empty() {
            return None;
        }
        s.last_run = part.len();
        s.taken += 1;
        Some(Run {
            index: s.taken - 1,
            first,
            text: s.spare.pop().unwrap_or_default(),
        })
    }

    /// Files a rendered run's text for the handing-on thread.
    fn store(&self, index: usize, items: usize, text: String) {
        let mut s = self.lock();
        s.rendered = (s.rendered.0 + items, s.rendered.1 + text.len());
        let slot = index % s.slots.len();
        s.slots[slot] = Some((text, items));
        drop(s);
        self.changed.notify_all();
    }

    /// Waits until the next text to hand on is ready, or a run can be
    /// taken; false when neither will happen (a helper panicked).
    fn wait_for_next(&self) -> bool {
        let mut s = self.lock();
        loop {
            let slot = s.handed % s.slots.len();
            let can_take = s.taken < s.handed + s.slots.len() && s.rest.len() > 0;
            if s.slots[slot].is_some() || can_take {
                return true;
            }
            if s.helping == 0 {
                return false;
            }
            s = self
                .changed
                .wait(s)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

/// Marks a helper gone, or (for the handing-on thread) tells the helpers
/// to stop, however the thread leaves, panics included: no thread is left
/// waiting for one that will not come.
struct Leaving<'a, T>(&'a Stream<T>, bool);

impl<T> Drop for Leaving<'_, T> {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        if self.1 {
            s.helping -= 1;
        } else {
            s.stop = true;
        }
        drop(s);
        self.0.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_order_for_any_thread_count() {
        let items: Vec<u64> = (0..1000).collect();
        let want: Vec<u64> = items.iter().map(|x| x * x).collect();
        for threads in [1, 2, 3, 8] {
            assert_eq!(
                map_ordered(&items, threads, 0, || (), |_, x| (x * x, 1)),
                want,
                "threads={threads}"
            );
        }
    }

    #[test]
    fn chunks_cover_every_item_once_in_order() {
        for (len, threads, min) in [
            (0, 2, 1),
            (1, 2, 1),
            (10, 2, 1),
            (10, 3, 1),
            (1000, 2, 256),
            (300, 4, 256),
            (7, 8, 1),
        ] {
            let mut items: Vec<usize> = (0..len).collect();
            let seen = chunks_mut(&mut items, threads, min, |start, chunk| {
                for (k, x) in chunk.iter_mut().enumerate() {
                    assert_eq!(*x, start + k, "a chunk starts at its first item's index");
                    *x *= 2;
                }
                chunk.to_vec()
            });
            assert!(
                seen.len() <= threads.max(1) && (len < min * 2 || seen.len() > 1),
                "len={len} threads={threads}"
            );
            assert_eq!(
                seen.concat(),
                (0..len).map(|x| x * 2).collect::<Vec<_>>(),
                "len={len} threads={threads}"
            );
            assert_eq!(items, (0..len).map(|x| x * 2).collect::<Vec<_>>());
        }
    }

    #[test]
    fn the_first_failure_in_item_order_wins() {
        let mut items: Vec<usize> = (0..1000).collect();
        for threads in [1, 2, 3] {
            let r = try_chunks_mut(&mut items, threads, 1, |_, chunk| {
                match chunk.iter().find(|x| **x == 10 || **x == 900) {
                    Some(x) => Err(*x),
                    None => Ok(()),
                }
            });
            assert_eq!(r, Err(10), "threads={threads}");
        }
    }

    /// Renders each item as its number on a line, tagging every text with
    /// the index its render was given.
    fn stream(
        len: usize,
        threads: usize,
        chunk: usize,
        stop_after: usize,
    ) -> Vec<(String, usize, usize)> {
        let mut seen = Vec::new();
        let render = |first: usize, part: &mut Vec<usize>, out: &mut String| {
            out.push_str(&format!("@{first}\n"));
            for x in part.drain(..) {
                out.push_str(&format!("{x}\n"));
            }
        };
        stream_ordered(
            (0..len).collect(),
            threads,
            chunk,
            render,
            |text, n, still| {
                seen.push((text.to_string(), n, still));
                seen.len() < stop_after
            },
        );
        seen
    }

    #[test]
    fn streamed_texts_come_in_order_for_any_thread_count() {
        for (len, max_run) in [
            (0, 4),
            (1, 4),
            (4, 4),
            (5, 4),
            (1000, 3),
            (1000, 64),
            (20_000, 64),
        ] {
            let want: String = (0..len).map(|x| format!("{x}\n")).collect();
            for threads in [1, 2, 3, 8] {
                let seen = stream(len, threads, max_run, usize::MAX);
                let mut text = String::new();
                let mut before = 0;
                for (t, n, still) in &seen {
                    let (tag, items) = t.split_once('\n').unwrap();
                    assert_eq!(
                        tag,
                        format!("@{before}"),
                        "a run's render is given its first item's index"
                    );
                    assert!(*n >= 1 && *n <= max_run && items.lines().count() == *n);
                    before += n;
                    assert_eq!(*still, len - before);
                    text.push_str(items);
                }
                assert_eq!(text, want, "len={len} max_run={max_run} threads={threads}");
            }
        }
    }

    #[test]
    fn runs_follow_the_size_of_the_text() {
        // Items of 1 KiB of text go up to STREAM_TEXT_BYTES / 1 KiB at a
        // time, growing to it by doubling; items of 1 MiB go one at a time.
        for (size, most) in [(1024, STREAM_TEXT_BYTES / 1024), (1 << 20, 1)] {
            let mut runs = Vec::new();
            let render = |_: usize, part: &mut Vec<usize>, out: &mut String| {
                for _ in part.drain(..) {
                    out.push_str(&" ".repeat(size));
                }
            };
            stream_ordered((0..300).collect(), 2, 128, render, |_, n, _| {
                runs.push(n);
                true
            });
            assert_eq!(runs.iter().sum::<usize>(), 300);
            assert!(
                runs.windows(2).all(|w| w[1] <= w[0] * 2),
                "size={size}: {runs:?}"
            );
            assert_eq!(runs.iter().max(), Some(&most), "size={size}: {runs:?}");
        }
    }

    #[test]
    fn a_stream_stops_when_the_sink_says_so() {
        for threads in [1, 2, 4] {
            let seen = stream(10_000, threads, 8, 3);
            assert_eq!(seen.len(), 3, "threads={threads}");
        }
    }

    #[test]
    fn a_panic_while_rendering_reaches_the_caller() {
        for threads in [1, 2] {
            let r = std::panic::catch_unwind(|| {
                stream_ordered(
                    (0..1000).collect::<Vec<u32>>(),
                    threads,
                    8,
                    |first, _, _| assert!(first < 500, "boom"),
                    |_, _, _| true,
                )
            });
            assert!(r.is_err(), "threads={threads}");
        }
    }

    #[test]
    fn growing_maps_keep_the_order_and_get_help_only_when_the_work_is_large() {
        let items: Vec<usize> = (0..200).collect();
        let here = std::thread::current().id();
        for (enough, helped) in [(usize::MAX, false), (0, true)] {
            let out = map_ordered(
                &items,
                2,
                enough,
                || 0usize,
                |count, x| {
                    *count += 1;
                    // Slow enough that a helper started after the first item
                    // gets some of the rest.
                    std::thread::sleep(std::time::Duration::from_micros(200));
                    ((x * 3, std::thread::current().id()), 1)
                },
            );
            assert_eq!(
                out.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
                items.iter().map(|x| x * 3).collect::<Vec<_>>()
            );
            assert_eq!(
                out.iter().any(|(_, id)| *id != here),
                helped,
                "enough={enough}"
            );
        }
    }

    #[test]
    fn small_inputs_stay_on_the_calling_thread() {
        let here = std::thread::current().id();
        let ids = map_ordered(
            &[1, 2, 3],
            4,
            usize::MAX,
            || (),
            |_, _| (std::thread::current().id(), 1),
        );
        assert!(ids.iter().all(|id| *id == here));
    }
}
