"""The Alertmanager webhook receiver: alerts in, one chat message per alert group with its
evidence, and the runbook's fix as an ordinary preview that waits for approval."""
