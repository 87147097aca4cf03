"""The version of kl-derive (read by the build backend and written into JSON documents)."""

__version__ = "0.1.0"
