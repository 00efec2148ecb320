// Module `Aggregators`: see Docs/Architecture.md.
