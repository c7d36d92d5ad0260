"""The NHS side: GP Summary builder, acknowledgement parser, MHS adaptor client and simulator."""
