"""Records, errors, settings (+ the embedded feed list), logging and every port (protocol).

Imports nothing of ours outside ``monitor.core``.
"""
