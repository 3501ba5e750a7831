//! Sharding covers every task exactly once, whatever the number of shards.

use beyond_one_machine::shard::Shard;

#[test]
fn every_task_is_in_exactly_one_shard_for_any_n() {
    let sizes = (0..=70).chain([97, 128, 1000, 4099]);
    for size in sizes {
        for count in (1..=80).chain([128, 999, 5000]) {
            let mut seen = vec![0u8; size as usize];
            let mut lengths = Vec::new();
            for shard in Shard::all(count) {
                let range = shard.range(size);
                lengths.push(range.end - range.start);
                for task in range {
                    seen[task as usize] += 1;
                }
            }
            assert!(
                seen.iter().all(|&n| n == 1),
                "size {size}, {count} shards: {seen:?}"
            );
            let (min, max) = (lengths.iter().min(), lengths.iter().max());
            assert!(max.unwrap() - min.unwrap() <= 1, "balanced: {lengths:?}");
        }
    }
}

#[test]
fn shards_are_contiguous_and_in_order() {
    for count in 1..=20 {
        let ranges: Vec<_> = Shard::all(count).map(|s| s.range(37)).collect();
        assert_eq!(ranges.first().unwrap().start, 0);
        assert_eq!(ranges.last().unwrap().end, 37);
        assert!(ranges.windows(2).all(|w| w[0].end == w[1].start));
    }
}
