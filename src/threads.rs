//! Work shared out over the machine's cores, with results in the order of
//! the work, whatever the threads' timing.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Worker threads: the cores there are, at most 8.
pub fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// `f` applied to every item on up to [`workers`] threads, each taking the
/// next item nobody has taken; the results come back in the items' order.
/// A panic in `f` is raised again here.
pub fn map_in_order<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..workers().min(items.len()))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else {
                            return done;
                        };
                        done.push((i, f(item)));
                    }
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_the_order_of_the_work() {
        // Early items take longest, so with more than one worker they finish last.
        let items: Vec<u64> = (0..40).collect();
        let out = map_in_order(&items, |&i| {
            std::thread::sleep(std::time::Duration::from_millis(40 - i));
            i * i
        });
        assert_eq!(out, items.iter().map(|i| i * i).collect::<Vec<_>>());
    }

    #[test]
    fn no_work_gives_no_results() {
        let out: Vec<u8> = map_in_order(&[] as &[u8], |&x| x);
        assert!(out.is_empty());
    }

    #[test]
    #[should_panic(expected = "item 3")]
    fn a_panic_in_the_work_is_raised_again() {
        let items: Vec<u8> = (0..5).collect();
        map_in_order(&items, |&i| assert!(i != 3, "item {i}"));
    }
}
