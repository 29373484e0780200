"""journeysim: simulate customer journeys as Markov processes and project marketing strategies before spending."""

__version__ = "0.1.0"
