"""The built-in demo: a small, hand-built real-vs-synthetic sample with known answers
(:mod:`.sample`), its word lists and templates as package data (``phrases.json``)."""
