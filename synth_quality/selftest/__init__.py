"""The self-test (``synth-quality selftest``): known defects planted into a copy of the user's
data, audited, and each detector's recall, AUROC and false-alarm rate reported; and the text it
plants."""
