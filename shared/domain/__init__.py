"""Pure domain: models, scoring and errors. No boto3, no os.environ, no I/O."""
