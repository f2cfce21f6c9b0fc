"""Impact estimators. Each returns a frozen results object (see :mod:`.results`).

Modules: ``did`` (2x2, TWFE, event study), ``staggered`` (Callaway & Sant'Anna), ``event_time`` (Sun & Abraham,
imputation), ``bacon`` (Goodman-Bacon), ``dose`` (effect per EUR per resident), ``synth`` (synthetic control,
synthetic DiD), ``inference`` (wild cluster bootstrap, randomization inference), ``sensitivity``
(HonestDiD, placebo, leave-one-out, pre-trend power), ``results`` (the common result type).
Nothing heavy is imported here.
"""
