"""The web front: citizen portal at ``/`` and clerk console at ``/staff``.

An adapter on top of the contexts (style.md rule 18): server-rendered pages that call the same
service functions as the JSON API and own only translation (forms, labels, languages, pages).
"""
