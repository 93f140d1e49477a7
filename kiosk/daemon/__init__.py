"""The daemon: `kiosk run`'s threads, its main loop and what it tells people.

Its modules may use every layer below (the API client, the store, the display, the
readers); nothing below imports from here.
"""
