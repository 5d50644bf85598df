//! Which instance to decode next: the one on screen first, then outward from it.
//!
//! A loader that has read a series' headers knows its slice order before any pixel. It
//! hands its decoding workers the instances through a [`DecodeQueue`]: the slice on
//! screen (the first in stack order when none is, the one a viewer shows first), then
//! the next one after it, the next one before it, and so on, so that the slices around
//! the one a reader looks at are ready first. When the reader scrolls while the series
//! loads, decoding follows.
//!
//! ```
//! use hounsfield_viewer::decode_order::DecodeQueue;
//! // Five instances in display order, ids 10..15; the reader is on id 12.
//! let mut queue = DecodeQueue::new(vec![10, 11, 12, 13, 14]);
//! let order: Vec<u64> = std::iter::from_fn(|| queue.next(Some(12))).collect();
//! assert_eq!(order, vec![12, 13, 11, 14, 10]);
//! ```

use hounsfield_core::DicomFile;
use hounsfield_core::dimensions::display_order;
use hounsfield_core::series::InstanceInfo;
use std::collections::HashMap;
use std::sync::Arc;

/// Instances read by a loader: id, header, and what the header tells of the instance (as
/// [`Model::files_parsed`](crate::model::Model::files_parsed) takes them).
pub type ParsedInstance = (u64, Arc<DicomFile>, InstanceInfo);

/// The display order of `instances` (series, then slice order within each), as indices
/// into them.
pub fn display_order_of(instances: &[ParsedInstance]) -> Vec<usize> {
    let files: Vec<&DicomFile> = instances.iter().map(|(_, f, _)| &**f).collect();
    let infos: Vec<InstanceInfo> = instances.iter().map(|(_, _, i)| i.clone()).collect();
    display_order(&files, &infos)
}

/// Instances of a load in display order, handed out nearest the one on screen first.
#[derive(Debug, Clone, Default)]
pub struct DecodeQueue {
    ids: Vec<u64>,
    place: HashMap<u64, usize>,
    taken: Vec<bool>,
    left: usize,
}

impl DecodeQueue {
    /// A queue of `ids`, in display order (see
    /// [`display_order`]).
    pub fn new(ids: Vec<u64>) -> DecodeQueue {
        let place = ids.iter().enumerate().map(|(k, &id)| (id, k)).collect();
        let n = ids.len();
        DecodeQueue {
            ids,
            place,
            taken: vec![false; n],
            left: n,
        }
    }

    /// The queue of `instances`, read by a loader, in their display order
    /// ([`display_order_of`]).
    pub fn of_instances(instances: &[ParsedInstance]) -> DecodeQueue {
        DecodeQueue::new(
            display_order_of(instances)
                .into_iter()
                .map(|k| instances[k].0)
                .collect(),
        )
    }

    /// The next instance to decode: `focus` (the instance on screen) if it is still to
    /// decode, else the nearest one to it in display order (after it first at equal
    /// distance); from the first in display order when `focus` is none or not of this
    /// queue. None when every instance was handed out.
    pub fn next(&mut self, focus: Option<u64>) -> Option<u64> {
        if self.left == 0 {
            return None;
        }
        let n = self.ids.len();
        let from = focus
            .and_then(|id| self.place.get(&id).copied())
            .unwrap_or(0);
        let k = (0..n).find_map(|d| {
            [Some(from + d), from.checked_sub(d)]
                .into_iter()
                .flatten()
                .find(|&k| k < n && !self.taken[k])
        })?;
        self.taken[k] = true;
        self.left -= 1;
        Some(self.ids[k])
    }

    /// Marks instance `id` as handed out (decoded by other means, or by an earlier queue of
    /// the same load: a queue rebuilt as more headers arrive keeps what the old one gave);
    /// false when it is not of this queue or was handed out already.
    pub fn take(&mut self, id: u64) -> bool {
        match self.place.get(&id) {
            Some(&k) if !self.taken[k] => {
                self.taken[k] = true;
                self.left -= 1;
                true
            }
            _ => false,
        }
    }

    /// The instances handed out so far, in display order.
    pub fn handed_out(&self) -> impl Iterator<Item = u64> + '_ {
        self.ids
            .iter()
            .zip(&self.taken)
            .filter(|(_, taken)| **taken)
            .map(|(&id, _)| id)
    }

    /// How many instances are still to be handed out.
    pub fn left(&self) -> usize {
        self.left
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_slice_first_without_a_focus_then_in_order() {
        let mut q = DecodeQueue::new(vec![5, 6, 7]);
        assert_eq!(q.next(None), Some(5));
        assert_eq!(q.next(Some(99)), Some(6), "a focus of another load");
        assert_eq!(q.left(), 1);
        assert_eq!(q.next(None), Some(7));
        assert_eq!(q.next(None), None);
    }

    #[test]
    fn a_rebuilt_queue_keeps_what_the_old_one_handed_out() {
        let mut old = DecodeQueue::new(vec![10, 12, 14]);
        assert_eq!(old.next(Some(12)), Some(12));
        // More headers arrived: 11 and 13 fall between.
        let mut new = DecodeQueue::new(vec![10, 11, 12, 13, 14]);
        for id in old.handed_out() {
            assert!(new.take(id));
        }
        assert!(!new.take(12), "already handed out");
        assert!(!new.take(99), "not of this queue");
        assert_eq!(new.left(), 4);
        let rest: Vec<u64> = std::iter::from_fn(|| new.next(Some(12))).collect();
        assert_eq!(rest, vec![13, 11, 14, 10]);
    }

    #[test]
    fn decoding_follows_the_reader() {
        let mut q = DecodeQueue::new((0..10).collect());
        assert_eq!(q.next(None), Some(0));
        assert_eq!(q.next(None), Some(1));
        // The reader jumps to slice 7: it, then outward from it.
        assert_eq!(q.next(Some(7)), Some(7));
        assert_eq!(q.next(Some(7)), Some(8));
        assert_eq!(q.next(Some(7)), Some(6));
        assert_eq!(q.next(Some(7)), Some(9));
        assert_eq!(q.next(Some(7)), Some(5));
        // Past the end on one side, the other side goes on.
        let rest: Vec<u64> = std::iter::from_fn(|| q.next(Some(7))).collect();
        assert_eq!(rest, vec![4, 3, 2]);
    }
}
