"""Repeat buying as the BTYD literature models it: BG/NBD and Pareto/NBD closed forms and a maximum-likelihood fitter.

`summarise_transactions` turns a transaction table into per-customer (x, t_x, T); `fit_btyd` estimates a model's
four parameters with standard errors; `MODELS` gives each model's closed forms (E[X(t)], P(X(t)=x), P(alive),
conditional expected purchases) by name.
"""

from __future__ import annotations

from journeysim.study.btyd.base import MODELS, BtydModel
from journeysim.study.btyd.bgnbd import BGNBD
from journeysim.study.btyd.fit import BtydFit, Convergence, fit_btyd
from journeysim.study.btyd.paretonbd import ParetoNBD
from journeysim.study.btyd.summary import RepeatSummary, summarise_transactions

__all__ = [
    "BGNBD",
    "MODELS",
    "BtydFit",
    "BtydModel",
    "Convergence",
    "ParetoNBD",
    "RepeatSummary",
    "fit_btyd",
    "summarise_transactions",
]
