"""Green certificates (绿证): import, retire, list."""
