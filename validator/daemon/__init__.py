"""The scoring daemon: one restart-safe state machine per epoch, from the committee's files to a
claimed validator reward.

``driver`` advances the epochs (:class:`~validator.daemon.driver.ValidatorDaemon`), ``state`` is
the state machine and its recovery rules, ``journal`` its durable record, ``commitment`` the
commit/reveal hash, ``scoring`` the call into the valuation engine, ``adapters`` the production
chain and custody behind the driver's protocols, ``launch`` the wiring that
``datadao validator run`` uses, ``metrics`` the ``/metrics`` and ``/healthz`` app, ``logs`` the
JSON log lines.
"""

__all__: list[str] = []
