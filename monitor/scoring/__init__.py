"""``Article`` -> ``Scored`` with the active model; the model registry (promotion, rollback,
retraining).
"""
