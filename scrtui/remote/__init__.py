"""An upload in a process of its own (issue 25): the process publishes its live state on an
owner-only Unix socket in the data directory; app windows and commands follow it there."""
