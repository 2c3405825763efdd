// Entry point only: commands live in their own files (see Monitor.swift).
Signals.listen()
Monitor.main()
