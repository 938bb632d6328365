"""The neighbour graph every later stage shares: one exact k-NN pass in row blocks
(:mod:`.knn`), k-NN manifold counts (:mod:`.manifold`) and connected groups
(:mod:`.components`)."""
