"""The web explorer behind kg.server.pages: the SPARQL it runs and the view models its templates show.

Every module here turns query answers into plain dataclasses; none renders HTML, reads the
environment or talks HTTP, so each can be tested with a hand-made result.
"""
