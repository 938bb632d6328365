"""Audits in pipelines: the named figures of an audit (:mod:`.figures`), rules over them that
pass or fail (:mod:`.rules`, ``synth-quality check``) and what changed between two audits
(:mod:`.diff`, ``synth-quality diff``)."""
