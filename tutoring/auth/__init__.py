"""Accounts and sign-in: sign up, sign in and out, password reset, and the friendly 400/429 pages."""
