"""Login (OAuth2 password flow), token refresh and logout; the caller's own account."""
