"""Impact estimators. Each returns a frozen results object (see :mod:`.results`).

Modules: ``did`` (2x2, TWFE), ``event_study`` (TWFE event study), ``_fe_engine`` (the shared TWFE fit),
``staggered`` (Callaway & Sant'Anna), ``cs_aggregate`` (its aggregations), ``event_time`` (Sun & Abraham,
imputation), ``bacon`` (Goodman-Bacon), ``dose`` (effect per EUR per resident), ``synth`` (synthetic control),
``sdid`` (synthetic DiD), ``inference`` (wild cluster bootstrap), ``multiplier`` (multiplier bootstrap),
``randomization`` (randomization inference), ``sensitivity`` (HonestDiD, pre-trend power), ``placebo``
(placebo in time, leave-one-out), ``before_after`` (descriptive before/after comparison), ``results``
(the common result type). Nothing heavy is imported here.
"""
