// Command bench measures the product against ceilings taken in the same run
// on the same machine (a bare Fiber handler, raw JetStream, raw pgx, raw
// bcrypt as scenarios are added), and writes each result as a ratio to its
// ceiling: bench/results/latest.json and BENCHMARKS.md. It is loopback only,
// bounded in time, and never part of `make test`.
//
// `go run ./bench -only sustained_command -sustain 10s` is a short smoke
// run of the open-loop scenario (a minute by default). With
// BENCH_PRODUCT_LOG=file, the chatbotd processes a scenario starts write
// their stderr there, so that GODEBUG=gctrace=1 given to the bench reaches
// them and their collections can be read beside the scenario's stalls.
package main
