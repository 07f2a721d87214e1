"""Signing in: the second-factor step after a password, and single sign-on through OpenID Connect."""
