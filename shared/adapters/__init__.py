"""Adapters: the only code that imports boto3."""
