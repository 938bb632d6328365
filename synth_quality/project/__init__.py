"""UMAP projections: the layouts (:mod:`.layout`), UMAP's spectral start (:mod:`.spectral`),
the second process that projects beside this one (:mod:`.worker`, :mod:`.serve`), paying
numba's compilation once per machine (:mod:`.warmup`), and :mod:`.compat`, the only module that
touches the internals of umap-learn, numba and pynndescent."""
