"""The ``synth-quality`` command line (:mod:`.main`), one module per command. Commands parse
options, call the library and print; they hold no audit logic."""
