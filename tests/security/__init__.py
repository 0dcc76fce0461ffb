"""Attacks from adversarial reviews, each a test that failed before its fix."""
