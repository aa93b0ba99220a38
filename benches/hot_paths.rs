//! Criterion benchmarks of the hot pure functions: instrument scoring, the
//! statistics behind every measure, disclosure control of a published table,
//! and reading CSV records (sprout's line-accounting reader beside the csv
//! crate it replaced for extracts).
//!
//! ```sh
//! cargo bench --bench hot_paths            # all groups
//! cargo bench --bench hot_paths -- stats   # one group
//! ```
//!
//! Inputs are drawn once from a seeded ChaCha8 stream, so every run times the
//! same work. Sizes are those of a large scheme's year (10,000 pairs, 1,000
//! PCNs, 100,000 matched sets) or of a national table (10,000 rows); the scale
//! benchmark (`benches/scale/`) times the whole pipeline.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use std::hint::black_box;

use sprout::batch::Value;
use sprout::disclosure::{self, Policy};
use sprout::measures::table::{
    OutTable, Sums, TableBuilder, TableDef, count, int_label, int_value, num_value, share,
    statistic, text, text_value, wilson_lower, wilson_upper,
};
use sprout::model::instruments::MAX_ITEMS;
use sprout::scoring;
use sprout::stats::{did, effect, funnel, paired, proportion, spc, summary};

fn rng() -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(20_261_125)
}

/// Paired differences of a wellbeing score: mean 2, SD 6 (a typical SWEMWBS change).
fn differences(n: usize) -> Vec<f64> {
    let normal = Normal::new(2.0f64, 6.0).expect("normal");
    let mut rng = rng();
    (0..n).map(|_| normal.sample(&mut rng).round()).collect()
}

fn scoring(c: &mut Criterion) {
    let mut rng = rng();
    let assessments: Vec<(&str, [Option<i64>; MAX_ITEMS])> = (0..100_000)
        .map(|i| {
            let (instrument, items, low, high) = match i % 3 {
                0 => ("swemwbs", 7, 1, 5),
                1 => ("wemwbs", 14, 1, 5),
                _ => ("ons4", 4, 0, 10),
            };
            let mut values = [None; MAX_ITEMS];
            for v in values.iter_mut().take(items) {
                // One item in fifty missing, as in real extracts.
                *v = (rng.random_range(0..50) > 0).then(|| rng.random_range(low..=high));
            }
            (instrument, values)
        })
        .collect();
    let mut group = c.benchmark_group("scoring");
    group.throughput(Throughput::Elements(assessments.len() as u64));
    group.bench_function("score 100k assessments", |b| {
        b.iter(|| {
            assessments
                .iter()
                .map(|(instrument, items)| scoring::score(instrument, items, None).len())
                .sum::<usize>()
        });
    });
    group.finish();
}

fn stats(c: &mut Criterion) {
    let mut group = c.benchmark_group("stats");
    for n in [1_000usize, 10_000] {
        let d = differences(n);
        let before: Vec<f64> = d.iter().map(|x| 40.0 - x / 2.0).collect();
        let after: Vec<f64> = before.iter().zip(&d).map(|(b, x)| b + x).collect();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("paired_t", n), &d, |b, d| {
            b.iter(|| paired::paired_t(black_box(d)));
        });
        group.bench_with_input(BenchmarkId::new("wilcoxon_signed_rank", n), &d, |b, d| {
            b.iter(|| paired::wilcoxon_signed_rank(black_box(d)));
        });
        group.bench_with_input(BenchmarkId::new("mean_ci", n), &d, |b, d| {
            b.iter(|| summary::mean_ci(black_box(d)));
        });
        group.bench_function(BenchmarkId::new("cohens_dz", n), |b| {
            b.iter(|| effect::cohens_dz(black_box(&before), black_box(&after)));
        });
    }
    // Difference-in-differences over 100,000 matched sets and four settings,
    // with the 1,000-resample bootstrap the report uses.
    let sets = 100_000;
    let contrasts = differences(sets * 4);
    group.throughput(Throughput::Elements(sets as u64));
    group.sample_size(10);
    group.bench_function(
        "did_estimates 100k sets x 4 settings, 1000 resamples",
        |b| {
            b.iter(|| did::did_estimates(black_box(&contrasts), 4, 1000, 1));
        },
    );
    group.sample_size(100);
    // Funnel: 1,000 PCNs' proportions, their flags and the overdispersion test.
    let mut rng = rng();
    let pcns: Vec<(f64, f64)> = (0..1_000)
        .map(|_| {
            let n = f64::from(rng.random_range(20..2_000));
            ((rng.random_range(0.2..0.4) * n).round(), n)
        })
        .collect();
    let theta = 0.3;
    group.throughput(Throughput::Elements(pcns.len() as u64));
    group.bench_function("funnel flags + overdispersion, 1000 PCNs", |b| {
        b.iter(|| {
            let flagged = pcns
                .iter()
                .filter(|(x, n)| {
                    funnel::proportion_flag(*x, *n, theta) != funnel::Flag::NotSignificant
                })
                .count();
            let sigma: Vec<f64> = pcns
                .iter()
                .map(|(_, n)| (theta * (1.0 - theta) / n).sqrt())
                .collect();
            let z: Vec<f64> = pcns
                .iter()
                .zip(&sigma)
                .map(|((x, n), s)| (x / n - theta) / s)
                .collect();
            (flagged, funnel::overdispersion(&z, &sigma))
        });
    });
    group.bench_function("wilson intervals, 1000 PCNs", |b| {
        b.iter(|| {
            pcns.iter()
                .map(|(x, n)| proportion::wilson(*x as u64, *n as u64).lower)
                .sum::<f64>()
        });
    });
    // SPC: a five-year monthly series.
    let series: Vec<f64> = differences(60).iter().map(|x| 200.0 + 10.0 * x).collect();
    let options = spc::SpcOptions::default();
    group.throughput(Throughput::Elements(series.len() as u64));
    group.bench_function("xmr chart, 60 months", |b| {
        b.iter(|| spc::xmr(black_box(&series), &options));
    });
    group.finish();
}

/// Shaped like `equity`: breakdowns with groups, counts, shares and intervals.
const EQUITY: TableDef = TableDef {
    name: "equity",
    description: "bench",
    queries: &[],
    columns: &[
        text("period", "p"),
        text("breakdown", "b"),
        text("group", "g"),
        count("referrals", "base"),
        count("declined", "count"),
        share("declined_share", "declined", "referrals", "share"),
        wilson_lower("declined_lower", "declined", "referrals", "bound"),
        wilson_upper("declined_upper", "declined", "referrals", "bound"),
        statistic("rate_per_1000", &["referrals"], "statistic"),
        int_label("window_months", "parameter"),
    ],
    sums: Sums {
        breakdown_key: &["period"],
        overlapping: &[],
        not_summed: &[],
        row_parts: &[],
    },
};

/// An equity-shaped table of `rows` rows: periods × breakdowns of 10 groups,
/// with small counts common (a tenth of cells 1–7) so that secondary
/// suppression has work to do.
fn equity_table(rows: usize) -> OutTable {
    let mut rng = rng();
    let mut builder = TableBuilder::new(&EQUITY);
    for i in 0..rows {
        let referrals: i64 = if rng.random_range(0..10) == 0 {
            rng.random_range(1..=7)
        } else {
            rng.random_range(8..5_000)
        };
        let declined = rng.random_range(0..=referrals);
        let share = declined as f64 / referrals as f64;
        builder.push(&[
            text_value(format!("P{}", i / 100)),
            text_value(format!("B{}", (i / 10) % 10)),
            text_value(format!("G{}", i % 10)),
            int_value(referrals),
            int_value(declined),
            num_value(share),
            num_value(share * 0.9),
            num_value((share * 1.1).min(1.0)),
            num_value(referrals as f64 * 1.5),
            Value::Int(6),
        ]);
    }
    builder.finish().expect("table")
}

fn suppression(c: &mut Criterion) {
    let mut group = c.benchmark_group("suppression");
    for rows in [1_000usize, 10_000] {
        let table = equity_table(rows);
        group.throughput(Throughput::Elements(rows as u64));
        for policy in [Policy::NhsDigital, Policy::OpenSafely] {
            group.bench_with_input(
                BenchmarkId::new(format!("publish {}", policy.name()), rows),
                &table,
                |b, t| b.iter(|| disclosure::publish(black_box(t), policy)),
            );
        }
    }
    group.finish();
}

/// A health-events extract of `rows` rows (about 36 bytes a row), with a
/// quoted field now and then.
fn events_csv(rows: usize) -> Vec<u8> {
    let mut out = b"person_id,event_date,setting\n".to_vec();
    for i in 0..rows {
        let setting = if i % 50 == 0 {
            "\"gp_appointment\""
        } else {
            "ae_attendance"
        };
        out.extend(
            format!(
                "P{:08},2024-{:02}-{:02},{setting}\n",
                i % 99_991,
                1 + i % 12,
                1 + i % 28
            )
            .bytes(),
        );
    }
    out
}

fn csv_records(c: &mut Criterion) {
    let mut group = c.benchmark_group("csv_records");
    let rows = 200_000;
    let bytes = events_csv(rows);
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function(BenchmarkId::new("sprout CsvRecords", rows), |b| {
        b.iter(|| {
            let mut reader = sprout::ingest::records::CsvRecords::new(black_box(&bytes[..]), b',');
            let mut record = sprout::ingest::records::Record::default();
            let mut fields = 0;
            while reader.read(&mut record).expect("readable") {
                fields += record.len();
            }
            (fields, reader.lines_read())
        })
    });
    group.bench_function(BenchmarkId::new("csv crate ByteRecord", rows), |b| {
        b.iter(|| {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(black_box(&bytes[..]));
            let mut record = csv::ByteRecord::new();
            let mut fields = 0;
            while reader.read_byte_record(&mut record).expect("readable") {
                fields += record.len();
            }
            fields
        })
    });
    group.finish();
}

criterion_group!(benches, scoring, stats, suppression, csv_records);
criterion_main!(benches);
