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

/// [`map_in_order`] with the costliest items (by `cost`) started first, so
/// the largest is not left to one core at the end while the others idle;
/// the results still come back in the items' order.
pub fn map_in_order_costliest_first<T: Sync, R: Send>(
    items: &[T],
    cost: impl Fn(&T) -> u64,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let order = costliest_first(items, cost);
    let done = map_in_order(&order, |&i| f(&items[i]));
    let mut results: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    for (i, r) in order.into_iter().zip(done) {
        results[i] = Some(r);
    }
    results
        .into_iter()
        .map(|r| r.expect("every item is done once"))
        .collect()
}

/// The items' positions, costliest first (ties in the items' order).
fn costliest_first<T>(items: &[T], cost: impl Fn(&T) -> u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(cost(&items[i])));
    order
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
    fn the_costliest_are_taken_first_and_results_keep_the_items_order() {
        let items: Vec<u64> = vec![3, 50, 7, 50, 1, 20];
        let started = std::sync::Mutex::new(Vec::new());
        let out = map_in_order_costliest_first(
            &items,
            |&x| x,
            |&x| {
                started.lock().unwrap().push(x);
                x * 10
            },
        );
        assert_eq!(out, [30, 500, 70, 500, 10, 200]);
        let mut started = started.into_inner().unwrap();
        started.sort_unstable();
        assert_eq!(started, [1, 3, 7, 20, 50, 50], "each item done once");
        assert_eq!(costliest_first(&items, |&x| x), [1, 3, 5, 2, 0, 4]);
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
