// Module `Partitioners`: see Docs/Architecture.md.
