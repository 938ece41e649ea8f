"""Reports (xlsx/html) generated in the background and downloaded."""
