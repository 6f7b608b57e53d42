//! A bounded, seeded fuzz run of the protocol parsers for `make test` (the same checks as
//! the cargo-fuzz target `fuzz/fuzz_targets/parse.rs`): the committed corpus, then
//! mutations of it. NLFAM_FUZZ_ITERS sets the number of mutated inputs.

fn corpus() -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus/parse");
    let mut v: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter_map(|e| std::fs::read(e.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    assert!(!v.is_empty(), "no corpus in {dir}");
    v
}

#[test]
fn corpus_and_mutations() {
    let iters: u64 = std::env::var("NLFAM_FUZZ_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let seeds = corpus();
    for s in &seeds {
        nlfam_proto::fuzzing::check(s);
    }
    let mut x = 0x243f_6a88_85a3_08d3u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..iters {
        let mut d = seeds[(next() % seeds.len() as u64) as usize].clone();
        for _ in 0..1 + next() % 8 {
            match next() % 4 {
                0 if !d.is_empty() => {
                    let i = (next() % d.len() as u64) as usize;
                    d[i] ^= 1 << (next() % 8);
                }
                1 if !d.is_empty() => {
                    let i = (next() % d.len() as u64) as usize;
                    d[i] = next() as u8;
                }
                2 => d.truncate((next() % (d.len() as u64 + 1)) as usize),
                _ => d.extend((0..next() % 16).map(|_| next() as u8)),
            }
        }
        nlfam_proto::fuzzing::check(&d);
    }
}
