"""What the audit measures on the embeddings and the graph: clusters (:mod:`.cluster`) and
their keywords (:mod:`.keywords`), the real-vs-synthetic detector (:mod:`.detect`), per-row
scores and categories (:mod:`.scores`), coverage (:mod:`.coverage`) and text checks
(:mod:`.text_checks`)."""
