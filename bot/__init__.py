"""opsbot: a ChatOps bot for Kubernetes and Docker."""
