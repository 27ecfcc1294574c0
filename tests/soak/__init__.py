"""The simulated soak: the real integration, simulated weeks, random faults.

:mod:`tests.soak.plan` draws accounts and events from a seed;
:mod:`tests.soak.world` runs them in a fresh Home Assistant against the
stand-in provider, in simulated time; :mod:`tests.soak.invariants` checks
the product's promises against the stand-in's own log after every step;
:mod:`tests.soak.shrink` cuts a failing run down to a few events.
"""
