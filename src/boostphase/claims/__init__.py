"""The seed claims' checks: ``check`` (C3, speed claims against ballistic and glide limits),
``verdict`` (the verdict vocabulary), ``c4`` (UAV boost-phase defence) and ``c5`` (where the
payload lands after an intercept, as probabilities).
"""
