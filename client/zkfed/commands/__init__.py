"""The sub-commands of `zkfed`, one module per stage of the lifecycle.

``setup`` (node, deploy, advance), ``members`` (keygen, register, join), ``governance``
(propose, vote, execute), ``rounds`` (train, submit, reveal, finalize) and ``inspect``
(status, verify-round). ``_session`` holds what they share: the connection, the deployment,
accounts and passwords. Modules that load torch (training, models, protocol) are imported
inside the commands that need them, so ``zkfed --help`` and ``zkfed keygen`` start quickly.
"""
