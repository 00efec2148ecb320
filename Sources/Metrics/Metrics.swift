// Module `Metrics`: see Docs/Architecture.md.
