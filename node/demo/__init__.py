"""The demo scenario: a whole Data DAO for one epoch on this machine, every outcome checked.

``datadao demo`` is a thin shell over :func:`node.demo.run.run_demo`; the scenario's parts are
the synthetic exports of its six contributors (:mod:`node.demo.data`), the supervisor of its
child processes (:mod:`node.demo.procs`) and its stages over the pipeline, custody, devnet and
chain (:mod:`node.demo.stages`).
"""

__all__: list[str] = []
