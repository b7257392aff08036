"""Paper-style tables and figures. Nothing here estimates: it formats results it is given."""
