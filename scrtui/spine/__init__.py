"""Talking to the NHS: GP Summary builder, acknowledgement parser, MHS adaptor client.

The stand-ins for the other side (simulator, broker) are in scrtui/standins/, apart."""
