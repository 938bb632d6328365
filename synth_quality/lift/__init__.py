"""The real-data control ("lift"): does adding the synthetic rows help a model scored on real
rows? :func:`synth_quality.lift.run.run_lift` is the entry point; the method is described
there."""
