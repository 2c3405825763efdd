// Entry point only: commands live in their own files (see Monitor.swift).
import MonitorKit

Signals.listen()
Monitor.main()
