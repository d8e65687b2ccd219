"""The archiver: `vocals.callbacks` -> downloaded audio and covers, a metadata database, `vocals.archived`.

The provider's links expire within days; this service is what makes the music survive. It also serves
what it kept through a small read API.
"""
