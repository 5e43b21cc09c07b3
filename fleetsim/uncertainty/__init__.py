"""Uncertainty: distributions in scenarios, Monte Carlo ensembles, sweeps and sensitivity."""
