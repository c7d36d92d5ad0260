"""Full screens: the front screen, GP Summary Bulk Transmission, the SCR Upload window, help."""
