"""Adapters: the only code that talks to AWS (botocore), behind the ports in shared/ports/."""
