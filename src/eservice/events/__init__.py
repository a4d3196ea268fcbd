"""The events and outbox contract: what every writer hands to notifications.

It sits just above ``core`` so that catalog, identity and requests can publish events and queue
emails without importing the notifications context, which consumes them.
"""
