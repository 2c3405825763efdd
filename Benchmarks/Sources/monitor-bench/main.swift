// Entry point only: benchmarks live in their own files (see Bench.swift).
Bench.main()
