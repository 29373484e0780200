"""The `journeysim` console script: a Hydra app plus verbs (`check`) dispatched before Hydra sees the arguments."""
