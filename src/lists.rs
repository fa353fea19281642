//! Building long lists: joined on every core, and converted into lists of their own size.
//!
//! A run builds its large lists (workloads, findings) in pieces, one per task, then joins them.
//! Joined by one core, the move onto freshly faulted pages was a pause of several milliseconds
//! in which the other cores had nothing to do.

use rayon::prelude::*;

/// The lists one after the other, in order, each moved into its place on whichever core is
/// free.
pub fn concat<T: Send>(lists: Vec<Vec<T>>) -> Vec<T> {
    let total = lists.iter().map(Vec::len).sum();
    let mut all: Vec<T> = Vec::with_capacity(total);
    let mut slots = &mut all.spare_capacity_mut()[..total];
    let mut moves = Vec::with_capacity(lists.len());
    for list in lists {
        let (these, after) = std::mem::take(&mut slots).split_at_mut(list.len());
        slots = after;
        moves.push((these, list));
    }
    moves.into_par_iter().for_each(|(slots, list)| {
        for (slot, item) in slots.iter_mut().zip(list) {
            slot.write(item);
        }
    });
    // SAFETY: the lists' shares split the first `total` slots of the capacity between them,
    // each as long as its list, and every item of a list was written to its share above: each
    // of the `total` slots holds an item. Had a task panicked, this would not be reached.
    unsafe { all.set_len(total) };
    all
}

/// The items in a list allocated for them. For the raw objects' lists converted into the
/// model: `collect` converts a `Vec`'s items in place, keeping the raw list's allocation, sized
/// for raw values two to four times as large as the model's, for as long as the inventory
/// lives (most of a NetworkPolicy's memory).
pub fn exact<I: ExactSizeIterator>(items: I) -> Vec<I::Item> {
    let mut out = Vec::with_capacity(items.len());
    out.extend(items);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converted_lists_take_the_room_of_their_own_items() {
        // 64-byte values converted to 8-byte ones: in place, the list would keep room for 512.
        let raw: Vec<[u64; 8]> = (0..64).map(|i| [i; 8]).collect();
        let converted = exact(raw.into_iter().map(|a| a[0]));
        assert_eq!(converted, (0..64).collect::<Vec<u64>>());
        assert_eq!(converted.capacity(), 64);
    }

    #[test]
    fn lists_are_joined_in_order() {
        let lists: Vec<Vec<String>> = (0..50)
            .map(|i| (0..i % 7).map(|j| format!("{i}.{j}")).collect())
            .collect();
        let expected: Vec<String> = lists.iter().flatten().cloned().collect();
        assert_eq!(concat(lists), expected);
        assert_eq!(concat(Vec::<Vec<u8>>::new()), Vec::<u8>::new());
    }
}
