"""Accounts, tokens, API clients and the guards every route uses."""
