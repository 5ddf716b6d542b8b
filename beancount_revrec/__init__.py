"""Revenue recognition for Beancount ledgers (``plugin "beancount_revrec"``)."""

from beancount_revrec.plugin import revrec

__plugins__ = ("revrec",)
__all__ = ["revrec"]
