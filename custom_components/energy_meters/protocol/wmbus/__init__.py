"""
Wireless M-Bus through the ``wmbusmeters`` program (HA-free).

``config``: validation of what the user types (device spec, meter id, driver,
key) and the generated ``--useconfig`` directory; ``output``: the JSON lines on
stdout and the classified messages on stderr; ``fields``: units of JSON fields;
``supervisor``: the long-running process, restarted with backoff, watched for
silence and hangs, stopped cleanly.
"""
