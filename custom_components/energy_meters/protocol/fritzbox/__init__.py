"""FRITZ!Box smart home over AHA (``homeautoswitch.lua``): login, XML, client. No HA import."""
