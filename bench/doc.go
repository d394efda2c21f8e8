// Command bench measures the product against ceilings taken in the same run
// on the same machine (a bare Fiber handler, raw JetStream, raw pgx, raw
// bcrypt as scenarios are added), and writes each result as a ratio to its
// ceiling: bench/results/latest.json and BENCHMARKS.md. It is loopback only,
// bounded in time, and never part of `make test`.
package main
