"""The running process: lifecycle, polling and webhook, health, logs, metrics, supervised loops."""
