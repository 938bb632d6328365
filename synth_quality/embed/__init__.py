"""Sentence embeddings: the model wrapper and ``embed_texts`` (:mod:`.api`), the on-disk cache
(:mod:`.cache`) and the exact fused forward pass of BERT-like models (:mod:`.fused`)."""
