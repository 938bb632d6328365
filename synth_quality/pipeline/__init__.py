"""The audit as one call: the stages chained (:mod:`.audit`), new rows added to an earlier audit
(:mod:`.incremental`) and the summary (:mod:`.summary`).

(Not named ``synth_quality.audit``: that name is the public function ``synth_quality.audit``.)"""
