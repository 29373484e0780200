"""The measurement arena: touch paths, attribution methods and their scoring against counterfactual truth."""
