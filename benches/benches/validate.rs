//! Validating (and compiling) a 100-node workflow against the real node catalog. Target:
//! under 10 ms.

/// The allocator the `weft` binary ships with.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, criterion_group, criterion_main};
use weft_core::Definition;
use weft_nodes::{NodeOptions, Registry};

fn validate(c: &mut Criterion) {
    let registry = Registry::builtin(NodeOptions::default()).expect("registry");
    for n in [10usize, 100] {
        let def = Definition::from_value(weft_benches::wide_workflow(n)).expect("definition");
        c.bench_function(&format!("validate_{n}_nodes"), |b| {
            b.iter(|| weft_core::validate(std::hint::black_box(&def), &registry).expect("valid"))
        });
    }
}

criterion_group!(benches, validate);
criterion_main!(benches);
