"""Calibration from aggregate data: stage counts over time (a CTMC quasi-likelihood), the fit report's checks."""
